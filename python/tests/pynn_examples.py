"""Runs PyNN's examples (VAbenchmarks.py CUBA and COBA, brunel.py), unmodified, on a PyNN
backend with a chosen seed, and reads the firing rates they print.

    python pynn_examples.py nest 3 VAbenchmarks.py CUBA      # one run, prints a JSON line
    python pynn_examples.py --reference nest 1 2 3 4 5        # every example, seeds 1..5

The scripts take the simulator name as their first argument, so they run as PyNN ships them.
Seeds reach them from outside: the backend's setup() gets ``rng_seed=seed`` (NEST's kernel
seed; spikegpu's engine seed) and every ``NumpyRNG`` seed is offset by ``1000 * seed``.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
import sys
import tempfile

EXAMPLES = {
    "CUBA": ("VAbenchmarks.py", ["CUBA"]),
    "COBA": ("VAbenchmarks.py", ["COBA"]),
    "brunel": ("brunel.py", []),
}

RATE = re.compile(r"(Excitatory|Inhibitory) rate\s*:\s*([0-9.eE+-]+) Hz")


def seeded_run(simulator: str, seed: int, script: str, args: list) -> None:
    """Runs `script` in this process with the seed hooks installed."""
    import importlib

    import pyNN.random

    backend = importlib.import_module(f"pyNN.{simulator}")
    original_setup = backend.setup

    def setup(*a, **kw):
        kw["rng_seed"] = seed
        return original_setup(*a, **kw)

    backend.setup = setup
    original_init = pyNN.random.NumpyRNG.__init__

    def numpy_rng_init(self, *a, **kw):
        if a:
            a = (None if a[0] is None else a[0] + 1000 * seed, *a[1:])
        elif kw.get("seed") is not None:
            kw["seed"] += 1000 * seed
        original_init(self, *a, **kw)

    pyNN.random.NumpyRNG.__init__ = numpy_rng_init
    sys.argv = [script, simulator, *args]
    runpy.run_path(script, run_name="__main__")


def run_example(examples_dir: str, simulator: str, seed: int, name: str, python: str = sys.executable) -> dict:
    """Runs example `name` in a fresh process and returns its rates (Hz)."""
    script, args = EXAMPLES[name]
    path = os.path.join(examples_dir, script)
    with tempfile.TemporaryDirectory() as cwd:
        out = subprocess.run(
            [python, os.path.abspath(__file__), simulator, str(seed), path, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            env={**os.environ, "XDG_RUNTIME_DIR": os.environ.get("XDG_RUNTIME_DIR", "/tmp")},
        )
    if out.returncode != 0:
        raise RuntimeError(f"{name} on {simulator} (seed {seed}) failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    rates = {kind.lower(): float(value) for kind, value in RATE.findall(out.stdout)}
    if set(rates) != {"excitatory", "inhibitory"}:
        raise RuntimeError(f"{name} on {simulator}: no rates in its output:\n{out.stdout[-2000:]}")
    return {"example": name, "simulator": simulator, "seed": seed, **rates}


def main():
    if sys.argv[1] == "--reference":
        simulator, seeds = sys.argv[2], [int(s) for s in sys.argv[3:]]
        examples_dir = os.environ["PYNN_EXAMPLES"]
        for name in EXAMPLES:
            for seed in seeds:
                print(json.dumps(run_example(examples_dir, simulator, seed, name)), flush=True)
        return
    simulator, seed, script, *args = sys.argv[1:]
    seeded_run(simulator, int(seed), script, args)


if __name__ == "__main__":
    main()
