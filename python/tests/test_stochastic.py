"""Stochastic release from Python: the Network API's `release_probability` (the engine's
tests check the draws and GPU = CPU) and pyNN.spikegpu's SimpleStochasticSynapse (get/set of
p, and that each synapse draws on its own)."""

import numpy as np
import pytest

import spikegpu

N = 100
RELAY = {"tau_m": "1e9 ms", "v_rest": 0.0, "v_reset": 0.0, "v_thresh": 0.5, "refractory": 0.0, "synapse": "delta"}


def relay_counts(p, seed=1):
    """Spikes of four relays (one spike per delivered input) fed by N source spikes through
    synapses with release probabilities `p` (one row)."""
    net = spikegpu.Network(dt=0.1, seed=seed)
    net.population("pre", 1, "spike_source", spike_times=[[1.0 + k for k in range(N)]])
    net.population("relay", 4, "lif", params=RELAY, init={"v": 0.0})
    net.projection("pre", "relay", spikegpu.all_to_all(), weight=1.0, delay=1.0, release_probability=p)
    sim = spikegpu.Simulator(net, backend="cpu")
    sim.run(N + 5.0)
    _, neurons = sim.spikes("relay")
    return np.bincount(np.asarray(neurons, dtype=np.int64), minlength=4)


def test_network_release_probability_transmits_with_p():
    counts = relay_counts([[0.0, 0.3, 0.3, 1.0]])
    assert counts[0] == 0 and counts[3] == N
    sd = np.sqrt(N * 0.3 * 0.7)
    # Within 4 standard deviations of N p.
    assert np.all(np.abs(counts[1:3] - N * 0.3) <= 4 * sd), counts
    assert np.array_equal(relay_counts(0.0), [0, 0, 0, 0])
    assert np.array_equal(relay_counts(1.0), [N] * 4)
    for bad, field in ((1.5, "release_probability"), ([[0.5, 0.5]], "release_probability[0]"), (float("nan"), "release_probability")):
        with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
            relay_counts(bad)


def test_pynn_simple_stochastic_synapse_gets_and_sets_p():
    import pyNN.spikegpu as sim

    sim.setup(timestep=0.1, min_delay=0.1)
    try:
        # One spike per transmission: 100 nA for 0.5 ms lifts v far past threshold; 5 ms
        # apart, with 2 ms refractoriness, nothing is left of it when the next arrives.
        source = sim.Population(1, sim.SpikeSourceArray(spike_times=np.arange(1.0, 1.0 + 5 * N, 5.0)))
        cells = sim.Population(4, sim.IF_curr_exp(tau_refrac=2.0, tau_syn_E=0.5, tau_m=2.0))
        syn = sim.SimpleStochasticSynapse(weight=100.0, delay=0.5, p=np.array([[0.0, 0.3, 0.3, 1.0]]))
        prj = sim.Projection(source, cells, sim.AllToAllConnector(), synapse_type=syn)
        assert np.allclose(prj.get("p", format="array"), [[0.0, 0.3, 0.3, 1.0]])
        prj.set(p=np.array([[1.0, 0.0, 0.3, 1.0]]))
        assert np.allclose(prj.get("p", format="list", with_address=False), [1.0, 0.0, 0.3, 1.0])
        cells.record("spikes")
        sim.run(5 * N + 5.0)
        counts = [len(st) for st in cells.get_data().segments[0].spiketrains]
        assert counts[0] == N and counts[1] == 0 and counts[3] == N, counts
        assert abs(counts[2] - 0.3 * N) <= 4 * np.sqrt(N * 0.21), counts
        with pytest.raises(spikegpu.EngineFeatureMissing):
            prj.set(p=0.5)
    finally:
        sim.end()
