"""A parameter sweep from Python in one process: tau_m x seed on the 4,000-neuron CUBA network
(Vogels & Abbott 2005), 0.5 s of network time per point.

    python sweep.py [--backend cpu|gpu|auto] [--points-tau 10] [--seeds 10] [--ms 500]

Prints one line per point and a summary: the wall time of the whole sweep against the sum of
the simulation times (sim.run) and of the builds (Network.build + Simulator). The network is
rebuilt per point (tau_m and the seed change it), so the build is part of each point's cost;
nothing else should be.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import spikegpu


def cuba(tau_m: float, seed: int) -> spikegpu.Network:
    net = spikegpu.Network(dt=0.1, seed=seed, name="cuba-sweep")
    lif = {"tau_m": tau_m, "v_rest": -49.0, "v_reset": -60.0, "v_thresh": -50.0,
           "tau_syn_exc": 5.0, "tau_syn_inh": 10.0, "refractory": 5.0}
    v0 = {"v": spikegpu.uniform(-60.0, -50.0)}
    exc = net.population("exc", 3200, "lif", params=lif, init=v0)
    inh = net.population("inh", 800, "lif", params=lif, init=v0)
    p = spikegpu.fixed_probability(0.02, autapses=True)
    for post in (exc, inh):
        net.projection(exc, post, p, weight=1.62, delay=0.1)
        net.projection(inh, post, p, weight=-9.0, delay=0.1, receptor="inhibitory")
    return net


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--points-tau", type=int, default=10)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--ms", type=float, default=500.0)
    args = ap.parse_args()
    taus = np.linspace(10.0, 30.0, args.points_tau)
    build_s = run_s = 0.0
    rows = []
    start = time.perf_counter()
    for tau_m in taus:
        for seed in range(1, args.seeds + 1):
            t0 = time.perf_counter()
            sim = spikegpu.Simulator(cuba(float(tau_m), seed).build(), backend=args.backend)
            t1 = time.perf_counter()
            sim.run(args.ms)
            t2 = time.perf_counter()
            rate = sim.counters()["spikes"] / 4000 / (args.ms * 1e-3)
            build_s += t1 - t0
            run_s += t2 - t1
            rows.append((float(tau_m), seed, rate))
            print(f"tau_m {tau_m:5.2f} ms  seed {seed:2d}  rate {rate:6.2f} Hz  build {t1 - t0:.3f} s  run {t2 - t1:.3f} s", flush=True)
    wall = time.perf_counter() - start
    summary = {
        "points": len(rows),
        "backend": sim.backend,
        "wall_s": round(wall, 3),
        "sum_run_s": round(run_s, 3),
        "sum_build_s": round(build_s, 3),
        "wall_over_run": round(wall / run_s, 3),
        "wall_over_run_plus_build": round(wall / (run_s + build_s), 3),
    }
    print("SUMMARY " + json.dumps(summary))


if __name__ == "__main__":
    main()
