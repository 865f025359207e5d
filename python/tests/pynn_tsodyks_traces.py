"""Membrane traces of current-based cells receiving one spike train through
TsodyksMarkramSynapse projections (depressing and facilitating), on any PyNN backend.

    /work/peers/bin/python tests/pynn_tsodyks_traces.py tests/data/pynn_tsodyks_nest.json

writes the pyNN.nest reference (NEST 3.10) that test_pynn_tsodyks.py compares pyNN.spikegpu
with, twice: through PyNN's TsodyksMarkramSynapse (NEST's tsodyks_synapse, with tau_psc set
by pyNN.nest to the target's tau_syn_E) and through NEST's tsodyks2_synapse (a native synapse
type with the same parameters), which the engine follows.
"""

from __future__ import annotations

import json
import sys

import numpy as np

DT = 0.1
#: Ten spikes at 50 Hz from 10 ms, then a recovery spike 300 ms after the last.
TRAIN = [10.0 + 20.0 * n for n in range(10)] + [490.0]
DURATION = 520.0
DELAY = 1.0
WEIGHT = 2.0  # nA
CELL = {"tau_m": 20.0, "tau_syn_E": 2.0, "v_thresh": 0.0, "tau_refrac": 1.0}
#: name -> (U, tau_rec, tau_facil)
SYNAPSES = {"depressing": (0.5, 100.0, 0.0), "facilitating": (0.1, 50.0, 500.0)}


def traces(sim, backend_setup=None, synapse=None):
    """{name: v every step} for each of SYNAPSES; `synapse(U, tau_rec, tau_facil)` makes the
    synapse type (PyNN's TsodyksMarkramSynapse by default)."""
    sim.setup(timestep=DT, min_delay=DT, **(backend_setup or {}))
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=TRAIN))
    cells = {}
    for name, (u, tau_rec, tau_facil) in SYNAPSES.items():
        pop = sim.Population(1, sim.IF_curr_exp(**CELL), label=name)
        pop.record("v")
        if synapse is None:
            syn = sim.TsodyksMarkramSynapse(weight=WEIGHT, delay=DELAY, U=u, tau_rec=tau_rec, tau_facil=tau_facil)
        else:
            syn = synapse(u, tau_rec, tau_facil)
        sim.Projection(source, pop, sim.AllToAllConnector(), syn)
        cells[name] = pop
    sim.run(DURATION)
    out = {name: [float(x) for x in np.asarray(pop.get_data().segments[0].analogsignals[0])[:, 0]] for name, pop in cells.items()}
    sim.end()
    return out


if __name__ == "__main__":
    import pyNN.nest as nest_sim

    def tsodyks2(u, tau_rec, tau_facil):
        # NEST's own units: weight in pA.
        native = nest_sim.native_synapse_type("tsodyks2_synapse")
        return native(weight=WEIGHT * 1000.0, delay=DELAY, U=u, u=u, x=1.0, tau_rec=tau_rec, tau_fac=tau_facil)

    setup = {"spike_precision": "on_grid"}
    result = {
        "simulator": "pyNN.nest (NEST 3.10)",
        "dt": DT,
        "tsodyks_synapse": traces(nest_sim, setup),
        "tsodyks2_synapse": traces(nest_sim, setup, tsodyks2),
    }
    for key in ("tsodyks_synapse", "tsodyks2_synapse"):
        result[key] = {name: [round(x, 6) for x in v] for name, v in result[key].items()}
    with open(sys.argv[1], "w") as f:  # NEST prints its banner on stdout
        json.dump(result, f)
