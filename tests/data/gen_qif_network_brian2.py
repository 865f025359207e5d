#!/usr/bin/env python
"""Brian2 2.11 reference for the network of examples/models/qif_network.toml (issue 14): 4,000
quadratic integrate-and-fire neurons (3,200 excitatory, 800 inhibitory), exponential synaptic
currents, 2% random connectivity, Poisson drive. Runs it for several seeds and writes each
seed's mean firing rate and mean CV of ISI to tests/data/qif_network_brian2.json, which
tests/suite/equation_network.rs compares with spikegpu's CPU backend.

The script reads the model file and hands Brian2 its equations, threshold, reset,
refractoriness, method, dt, parameters (per population), connectivity, weights, delays,
Poisson inputs and initial values (the notation helpers are those of
scripts/equation_peers_brian2.py). How each maps:

- projections: Synapses with on_pre "I_syn_post += w" and the projection's delay, connected
  with probability p, no autapses (spikegpu's default, `autapses = false`);
- [[poisson]]: each neuron's own Poisson train of the given rate, i.e. a Poisson count per step
  with mean rate * dt, as spikegpu draws it: run_regularly("I_syn += w * poisson(rate * dt)")
  in the 'synapses' slot (after the threshold, so the count acts from the next step, as under
  spikegpu's conventions = "brian2"). Brian2's PoissonInput(N=1) would draw a Bernoulli
  count per step instead (variance 0.16 instead of 0.2 at 2 kHz and dt = 0.1 ms);
- init v uniform in [low, high): low + rand() * (high - low); the other variables take the
  model's initial values.

spikegpu runs the file with conventions = "brian2" (the test sets it): a spike in step t
through a delay of d steps acts from step t + d + 1, the refractory hold and the stamps are
Brian2's.

Statistics, for each window [0, T) of WINDOWS_MS, defined as spikegpu's bench and run summaries define them (src/app/stats.rs):
rate = all spikes / (neurons * duration), silent neurons included, whole run (no transient
dropped besides the window); CV of ISI = mean over neurons with at least 3 spikes of (population standard
deviation / mean) of their intervals, in steps (t / dt rounded).

    /work/peers/bin/python tests/data/gen_qif_network_brian2.py [seeds] [out.json]

Numpy target (float64); about a minute per seed on a loaded 2-core machine.
"""

import importlib.util
import json
import sys
import time
import tomllib
from pathlib import Path

import brian2
import numpy as np
from brian2 import NeuronGroup, Network, SpikeMonitor, Synapses, defaultclock, prefs

ROOT = Path(__file__).resolve().parent.parent.parent
MODEL_FILE = "examples/models/qif_network.toml"
SEEDS = 10
# Statistics over the first 1,000 ms (the whole run) and over the first 300 ms (the same as a
# 300 ms run: what the test runs, to stay cheap).
WINDOWS_MS = (1000.0, 300.0)

_spec = importlib.util.spec_from_file_location("peers", ROOT / "scripts" / "equation_peers_brian2.py")
peers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(peers)


def build(spec, dt):
    """The network of `spec` (a parsed model file): its groups, in file order, and objects."""
    (model,) = spec["neuron_model"]
    equations = peers.brian_equations(model["equations"])
    refractory = peers.python_notation(model["refractory"])
    groups, objects = {}, []
    for pop in spec["population"]:
        assert pop["model"] == model["name"]
        params = {k: peers.quantity(v) for k, v in {**model["params"], **pop.get("params", {})}.items()}
        group = NeuronGroup(pop["size"], equations, threshold=peers.python_notation(model["threshold"]),
                            reset=peers.python_notation(model["reset"]), refractory=refractory,
                            method=model["method"], namespace=params, dt=dt, name=pop["name"])
        namespace = {**peers.UNITS, **params}
        for var, value in model.get("initial", {}).items():
            setattr(group, var, eval(peers.python_notation(value), {}, namespace))  # noqa: S307
        for var, value in pop.get("init", {}).items():
            low, high = (peers.quantity(x) for x in value["uniform"])
            setattr(group, var, low + np.random.rand(pop["size"]) * (high - low))
        groups[pop["name"]] = group
        objects.append(group)
    ports = model["inputs"]
    for proj in spec["projection"]:
        conn = proj["connectivity"]
        assert conn["rule"] == "fixed_probability" and not conn.get("autapses", False)
        pre, post = groups[proj["pre"]], groups[proj["post"]]
        syn = Synapses(pre, post, on_pre=f"{ports[proj['receptor']]}_post += w_syn",
                       namespace={"w_syn": peers.quantity(proj["weight"])},
                       delay=peers.quantity(proj["delay"]), dt=dt)
        syn.connect(condition="i != j" if pre is post else None, p=conn["p"])
        objects.append(syn)
    for inp in spec["poisson"]:
        group = groups[inp["target"]]
        code = f"{ports[inp['receptor']]} += w_in * poisson(rate_in * dt)"
        objects.append(group.run_regularly(code, when="synapses", name=f"poisson_{inp['target']}"))
        group.namespace.update(w_in=peers.quantity(inp["weight"]), rate_in=peers.quantity(inp["rate"]))
    return groups, objects


def mean_cv_isi(trains):
    """spikegpu's mean CV of ISI over trains (arrays of ticks) with at least 3 spikes."""
    cvs = []
    for ticks in trains:
        if len(ticks) >= 3:
            isi = np.diff(np.sort(ticks)).astype(float)
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs)) if cvs else None


def run_seed(spec, seed):
    brian2.start_scope()
    brian2.seed(seed)
    dt = peers.quantity(spec["dt"])
    duration = peers.quantity(spec["duration"])
    defaultclock.dt = dt
    groups, objects = build(spec, dt)
    monitors = {name: SpikeMonitor(g) for name, g in groups.items()}
    net = Network(*objects, *monitors.values())
    t0 = time.time()
    net.run(duration)
    wall = time.time() - t0
    ticks_of = {name: np.round(np.asarray(mon.t / dt)).astype(np.int64) for name, mon in monitors.items()}
    neurons_of = {name: np.asarray(mon.i) for name, mon in monitors.items()}
    row = {"seed": seed, "run_s": round(wall, 1)}
    for window_ms in WINDOWS_MS:
        last = int(round(window_ms * brian2.ms / dt))
        trains, populations, spikes, neurons = [], {}, 0, 0
        for name, ticks in ticks_of.items():
            n = len(groups[name])
            kept = ticks < last
            ticks, index = ticks[kept], neurons_of[name][kept]
            per_neuron = [ticks[index == k] for k in range(n)]
            trains += per_neuron
            populations[name] = {"rate_hz": len(ticks) / (n * window_ms * 1e-3),
                                 "cv_isi": mean_cv_isi(per_neuron)}
            spikes += len(ticks)
            neurons += n
        row[f"{window_ms:g} ms"] = {"spikes": spikes, "rate_hz": spikes / (neurons * window_ms * 1e-3),
                                    "cv_isi": mean_cv_isi(trains), "populations": populations}
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def main():
    prefs.codegen.target = "numpy"
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else SEEDS
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "tests" / "data" / "qif_network_brian2.json"
    spec = tomllib.loads((ROOT / MODEL_FILE).read_text())
    rows = [run_seed(spec, seed) for seed in range(1, seeds + 1)]
    result = {
        "brian2": brian2.__version__, "target": "numpy (float64)", "file": MODEL_FILE,
        "dt_ms": float(peers.quantity(spec["dt"]) / brian2.ms),
        "duration_ms": float(peers.quantity(spec["duration"]) / brian2.ms),
    }
    for window_ms in WINDOWS_MS:
        key = f"{window_ms:g} ms"
        summary = {}
        for stat in ("rate_hz", "cv_isi"):
            x = np.array([r[key][stat] for r in rows])
            summary[stat] = {"mean": x.mean(), "sd": x.std(ddof=1), "min": x.min(), "max": x.max()}
        result[key] = summary
    result.update(
        seeds=rows,
    )
    out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
