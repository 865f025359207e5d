"""Brunel & Hakim 1999 (Neural Comput 11:1621) in Brian2, as examples/models/brunel-hakim.toml
writes it: 5,000 inhibitory LIF neurons, C = 1,000 inputs each (p = 0.2), J = 0.1 mV, D = 2 ms,
mu_ext = 25 mV, sigma_ext = 1 mV. Prints, as JSON, the population-rate spectrum's peak (Hz), the
mean single-neuron rate after the first 100 ms and the mean CV of the ISIs; the runs of seeds 1
and 2 are tests/data/brunel_hakim_brian2.json.

    /work/peers/bin/python scripts/brunel_hakim_brian2.py --duration 1.0 --seed 1  (and --seed 2)
"""

import argparse
import json

import numpy as np
from brian2 import (NeuronGroup, PopulationRateMonitor, SpikeMonitor, Synapses, defaultclock,
                    mV, ms, prefs, run, second, seed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=1.0, help="seconds")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    prefs.codegen.target = "numpy"
    seed(args.seed)
    defaultclock.dt = 0.1 * ms
    n, c, jump, tau = 5000, 1000, 0.1 * mV, 20 * ms
    mu, sigma, theta, vr = 25 * mV, 1 * mV, 20 * mV, 10 * mV
    # "(unless refractory)": V is held at V_r for tau_rp, as in the paper and in spikegpu.
    eqs = "dV/dt = (-V + mu + sigma * sqrt(tau) * xi) / tau : volt (unless refractory)"
    group = NeuronGroup(n, eqs, threshold="V > theta", reset="V = vr", refractory=2 * ms,
                        method="euler")
    group.V = vr
    syn = Synapses(group, group, on_pre="V -= jump", delay=2 * ms)
    syn.connect(p=c / n)
    spikes = SpikeMonitor(group)
    rate = PopulationRateMonitor(group)
    run(args.duration * second)
    skip = int(100 * ms / defaultclock.dt)
    r = np.asarray(rate.rate)[skip:]
    power = np.abs(np.fft.rfft(r - r.mean())) ** 2
    freqs = np.fft.rfftfreq(len(r), d=float(defaultclock.dt))
    band = freqs > 20
    peak = float(freqs[band][np.argmax(power[band])])
    late = np.asarray(spikes.t / second) >= 0.1
    mean_rate = float(late.sum() / n / (args.duration - 0.1))
    trains = spikes.spike_trains()
    cvs = []
    for t in trains.values():
        isi = np.diff(np.asarray(t / second))
        if len(isi) >= 2:
            cvs.append(isi.std() / isi.mean())
    print(json.dumps({"source": "Brian2 2.11, scripts/brunel_hakim_brian2.py",
                      "duration_s": args.duration, "seed": args.seed,
                      "peak_hz": peak, "mean_rate_hz": mean_rate,
                      "mean_cv_isi": float(np.mean(cvs))}))


if __name__ == "__main__":
    main()
