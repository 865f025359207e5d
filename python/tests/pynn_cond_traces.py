"""Single-neuron traces of PyNN's conductance cell types that pyNN.spikegpu runs as equation
models (IF_cond_alpha, IF_cond_exp_gsfa_grr, EIF_cond_exp_isfa_ista, EIF_cond_alpha_isfa_ista), driven by
excitatory and inhibitory spike sources and a DC step, on any PyNN backend.

    /work/peers/bin/python tests/pynn_cond_traces.py tests/data/pynn_cond_traces_nest.json

writes the pyNN.nest reference (NEST 3.10, spike_precision="on_grid") that
test_pynn_cond_models.py compares pyNN.spikegpu with.
"""

from __future__ import annotations

import json
import sys

import numpy as np

DT = 0.1
DURATION = 200.0
#: cell type -> (parameters, DC amplitude in nA from 50 to 150 ms)
CELLS = {
    "IF_cond_alpha": ({"tau_refrac": 2.0, "tau_syn_E": 2.0, "tau_syn_I": 4.0}, 1.0),
    "IF_cond_exp_gsfa_grr": ({"tau_refrac": 1.0, "q_rr": 500.0, "q_sfa": 10.0}, 1.5),
    "EIF_cond_exp_isfa_ista": ({"tau_refrac": 1.0, "a": 2.0, "b": 0.05}, 0.8),
    "EIF_cond_alpha_isfa_ista": ({"tau_refrac": 1.0, "tau_syn_E": 2.0, "tau_syn_I": 3.0}, 0.8),
}
EXC_SPIKES = [10.0, 20.0, 22.0, 24.0, 170.0, 171.0]
INH_SPIKES = [35.0, 180.0]
EXC_WEIGHT = 0.02  # uS
INH_WEIGHT = 0.05


def traces(sim, backend_setup=None, sampling_interval=None):
    """{cell type: {spikes, v, gsyn_exc, gsyn_inh[, w, g_r, g_s]}} sampled every step (or
    every `sampling_interval` ms)."""
    sim.setup(timestep=DT, min_delay=DT, **(backend_setup or {}))
    exc = sim.Population(1, sim.SpikeSourceArray(spike_times=EXC_SPIKES))
    inh = sim.Population(1, sim.SpikeSourceArray(spike_times=INH_SPIKES))
    cells = {}
    for name, (params, amplitude) in CELLS.items():
        pop = sim.Population(1, getattr(sim, name)(**params), label=name)
        recorded = [v for v in ("v", "w", "gsyn_exc", "gsyn_inh", "g_r", "g_s") if v in pop.celltype.recordable]
        pop.record(["spikes"] + recorded, sampling_interval=sampling_interval)
        sim.Projection(exc, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=EXC_WEIGHT, delay=1.0))
        sim.Projection(
            inh, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=INH_WEIGHT, delay=1.0), receptor_type="inhibitory"
        )
        sim.DCSource(amplitude=amplitude, start=50.0, stop=150.0).inject_into(pop)
        cells[name] = pop
    sim.run(DURATION)
    out = {}
    for name, pop in cells.items():
        seg = pop.get_data().segments[0]
        entry = {"spikes": [float(t) for t in np.asarray(seg.spiketrains[0])]}
        for signal in seg.analogsignals:
            entry[signal.name] = [float(x) for x in np.asarray(signal)[:, 0]]
        out[name] = entry
    sim.end()
    return out


def fix_pynn_nest_gsfa_grr(nest_sim):
    """pyNN.nest 0.13 maps IF_cond_exp_gsfa_grr's state variables as g_rr and g_sfa while the
    cell type names them g_r and g_s, so creating a population fails (KeyError 'g_r'): map
    PyNN's names to NEST's iaf_cond_exp_sfa_rr variables (nS both sides)."""
    cell = nest_sim.IF_cond_exp_gsfa_grr
    cell.variable_map = dict(cell.variable_map, g_r="g_rr", g_s="g_sfa")
    cell.scale_factors = dict(cell.scale_factors, g_r=1.0, g_s=1.0)


if __name__ == "__main__":
    import pyNN.nest as nest_sim

    fix_pynn_nest_gsfa_grr(nest_sim)

    result = traces(nest_sim, {"spike_precision": "on_grid"})
    rounded = {
        name: {k: [round(x, 6) for x in v] for k, v in entry.items()} for name, entry in result.items()
    }
    with open(sys.argv[1], "w") as f:  # NEST prints its banner on stdout
        json.dump({"simulator": "pyNN.nest (NEST 3.10)", "dt": DT, "cells": rounded}, f)
