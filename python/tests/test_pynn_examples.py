"""PyNN's examples VAbenchmarks.py (CUBA, COBA) and brunel.py, as PyNN ships them, on
pyNN.spikegpu: the rates they print against the same scripts on pyNN.nest.

Reference: pyNN.nest 3.10 (PyNN 0.13.0, its default spike_precision="off_grid"), seeds 1-6,
measured on this machine with

    PYNN_EXAMPLES=<pyNN sdist>/examples python tests/pynn_examples.py --reference nest 1 2 3 4 5 6

and stored in data/pynn_examples_nest.jsonl (one JSON line per run). A seed sets setup()'s
rng_seed and offsets every NumpyRNG seed (pynn_examples.py). brunel.py prints the rates of a
random sample of 50 neurons over 100 ms of a strongly synchronous network, hence its spread.

Criterion (as tests/suite/statistics.rs): the mean over our seeds lies within three combined
standard errors of NEST's mean, taking NEST's seed-to-seed spread for both, and every seed
within four NEST standard deviations.
"""

from __future__ import annotations

import json
import math
import pathlib

import pytest

import pynn_examples
from conftest import pynn_source_dir

DATA = pathlib.Path(__file__).parent / "data" / "pynn_examples_nest.jsonl"
SEEDS = [1, 2, 3]


def reference(example: str, kind: str):
    values = [r[kind] for r in map(json.loads, DATA.read_text().splitlines()) if r["example"] == example]
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return mean, sd, len(values)


@pytest.mark.parametrize("example", ["CUBA", "COBA", "brunel"])
def test_example_rates_are_within_the_spread_of_pynn_nest(example, monkeypatch):
    monkeypatch.setenv("SPIKEGPU_BACKEND", "cpu")
    examples_dir = str(pynn_source_dir() / "examples")
    runs = [pynn_examples.run_example(examples_dir, "spikegpu", seed, example) for seed in SEEDS]
    for kind in ("excitatory", "inhibitory"):
        mean_ref, sd_ref, n_ref = reference(example, kind)
        ours = [r[kind] for r in runs]
        mean = sum(ours) / len(ours)
        print(f"{example} {kind}: spikegpu {ours} (mean {mean:.3f}) vs pyNN.nest {mean_ref:.3f} +/- {sd_ref:.3f} (n={n_ref})")
        bound = 3 * sd_ref * math.sqrt(1 / n_ref + 1 / len(ours))
        assert abs(mean - mean_ref) < bound, f"{example} {kind}: mean {mean} vs NEST {mean_ref} +/- {sd_ref}"
        for seed, rate in zip(SEEDS, ours):
            assert abs(rate - mean_ref) < 4 * sd_ref, f"{example} {kind} seed {seed}: {rate} vs NEST {mean_ref}"
