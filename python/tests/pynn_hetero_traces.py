"""Heterogeneous populations of PyNN's IF_curr_exp, IF_curr_alpha and IF_cond_exp (tau_m,
v_rest and tau_syn differing between neurons, which pyNN.spikegpu runs on the equation-defined
twins of its built-in models) driven by excitatory and inhibitory spike sources and a DC step,
on any PyNN backend.

    /work/peers/bin/python tests/pynn_hetero_traces.py tests/data/pynn_hetero_traces_nest.json

writes the pyNN.nest reference (NEST 3.10, spike_precision="on_grid") that
test_pynn_heterogeneous.py compares pyNN.spikegpu with.
"""

from __future__ import annotations

import json
import sys

import numpy as np

DT = 0.1
DURATION = 150.0
#: per-neuron parameters of every population (three neurons)
PARAMETERS = {"tau_m": [10.0, 15.0, 20.0], "v_rest": [-65.0, -63.0, -61.0], "tau_syn_E": [2.0, 3.0, 5.0]}
#: cell type -> (excitatory weight, inhibitory weight, DC amplitude in nA from 20 to 120 ms)
CELLS = {
    "IF_curr_exp": (0.8, -0.8, 0.6),
    "IF_curr_alpha": (0.5, -0.5, 0.6),
    "IF_cond_exp": (0.02, 0.05, 0.6),
}
EXC_SPIKES = [5.0, 40.0, 41.0, 42.0, 130.0]
INH_SPIKES = [60.0, 135.0]


def traces(sim, backend_setup=None):
    """{cell type: {"spikes": [[times] per neuron], "v": [[values] per neuron]}}, v sampled
    every step."""
    sim.setup(timestep=DT, min_delay=DT, **(backend_setup or {}))
    exc = sim.Population(1, sim.SpikeSourceArray(spike_times=EXC_SPIKES))
    inh = sim.Population(1, sim.SpikeSourceArray(spike_times=INH_SPIKES))
    cells = {}
    for name, (w_exc, w_inh, amplitude) in CELLS.items():
        pop = sim.Population(3, getattr(sim, name)(**PARAMETERS), label=name)
        pop.initialize(v=PARAMETERS["v_rest"])
        pop.record(["spikes", "v"])
        sim.Projection(exc, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=w_exc, delay=1.0))
        sim.Projection(
            inh, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=w_inh, delay=1.0), receptor_type="inhibitory"
        )
        sim.DCSource(amplitude=amplitude, start=20.0, stop=120.0).inject_into(pop)
        cells[name] = pop
    sim.run(DURATION)
    out = {}
    for name, pop in cells.items():
        seg = pop.get_data().segments[0]
        v = np.asarray(seg.filter(name="v")[0])
        out[name] = {
            "spikes": [[float(t) for t in np.asarray(train)] for train in seg.spiketrains],
            "v": [[float(x) for x in v[:, i]] for i in range(v.shape[1])],
        }
    sim.end()
    return out


if __name__ == "__main__":
    import pyNN.nest as nest_sim

    result = traces(nest_sim, {"spike_precision": "on_grid"})
    rounded = {
        name: {"spikes": entry["spikes"], "v": [[round(x, 6) for x in row] for row in entry["v"]]}
        for name, entry in result.items()
    }
    with open(sys.argv[1], "w") as f:  # NEST prints its banner on stdout
        json.dump({"simulator": "pyNN.nest (NEST 3.10)", "dt": DT, "cells": rounded}, f)
