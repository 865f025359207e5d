"""Changing a network between runs from Python (the engine's setters, each from the next
tick): the result equals a network that had the change from the start, and bad values raise
ValueError with the engine's message."""

import numpy as np
import pytest

import spikegpu


def sources_and_input(spike_times, schedule):
    net = spikegpu.Network(dt=0.1, seed=4)
    net.population("s", 2, "spike_source", spike_times=spike_times)
    net.population("src", 3, "poisson_source", params={"rate": "200 Hz"})
    net.population("post", 2, "lif", params={"v_rest": "-65 mV"}, init={"v": -60.0})
    net.projection("s", "post", spikegpu.one_to_one(), weight=400.0, delay=1.0)
    net.poisson("post", weight=25.0, schedule=schedule)
    net.record_spikes(["s", "src", "post"])
    return net


def test_spike_times_and_input_rates_change_from_the_next_tick():
    sim = spikegpu.Simulator(sources_and_input([[1.0, 7.0], [2.0]], [[0.0, 500.0]]), backend="cpu")
    sim.run(5.0)
    sim.set_spike_times("s", [[6.0, 9.0], [5.0, 12.5]])
    sim.set_poisson_rate(0, 3000.0)
    sim.run(15.0)
    reference = spikegpu.Simulator(
        sources_and_input([[1.0, 6.0, 9.0], [2.0, 5.0, 12.5]], [[0.0, 500.0], [5.0, 3000.0]]), backend="cpu"
    )
    reference.run(20.0)
    times, neurons = sim.spikes("s")
    assert times.tolist() == [1.0, 2.0, 5.0, 6.0, 9.0, 12.5] and neurons.tolist() == [0, 1, 1, 0, 0, 1]
    assert sim.spike_hash() == reference.spike_hash()
    # Poisson sources: rate 0 is silent, 1/dt fires every tick.
    sim.set_source_rates("src", [0.0, 10000.0, 200.0])
    sim.run(10.0)
    times, neurons = sim.spikes("src")
    late = times >= 20.0
    assert 0 not in neurons[late] and np.sum(neurons[late] == 1) == 100


def test_state_and_delays_change_from_the_next_tick():
    net = sources_and_input([[1.0, 7.0], [2.0]], [[0.0, 0.0]])
    sim = spikegpu.Simulator(net, backend="cpu")
    assert sim.delays(0).tolist() == [1.0, 1.0]
    sim.run(1.0)
    sim.set_state("post", "v", [-52.0, -70.0])
    assert sim.state("post", "v").tolist() == [-52.0, -70.0]
    sim.set_delays(0, [0.5, 0.9])
    assert np.allclose(sim.delays(0), [0.5, 0.9])
    sim.run(20.0)
    # The spike at 7 ms now arrives after 0.5 ms: post neuron 0 fires earlier than with 1 ms.
    unchanged = spikegpu.Simulator(net, backend="cpu")
    unchanged.run(21.0)
    first = lambda s: s.spikes("post")[0][s.spikes("post")[1] == 0]  # noqa: E731
    assert first(sim).size > 0 and first(sim).tolist() != first(unchanged).tolist()


def test_bad_changes_raise_value_error_with_the_engine_message():
    sim = spikegpu.Simulator(sources_and_input([[1.0], []], [[0.0, 100.0]]), backend="cpu")
    sim.run(3.0)
    with pytest.raises(ValueError, match=r"spike_times_ms\[0\]\[0\].*before the current time"):
        sim.set_spike_times("s", [[2.0], []])
    with pytest.raises(ValueError, match=r"'post'.v.*one value per neuron \(2\)"):
        sim.set_state("post", "v", [1.0])
    with pytest.raises(ValueError, match=r"'post'.v\[1\].*finite"):
        sim.set_state("post", "v", [1.0, float("nan")])
    with pytest.raises(ValueError, match="set_state takes v, u, syn_e or syn_i"):
        sim.set_state("post", "w1", [1.0, 1.0])
    with pytest.raises(ValueError, match=r"'src'.rate_hz\[2\].*at most"):
        sim.set_source_rates("src", [1.0, 1.0, 1e6])
    with pytest.raises(ValueError, match="poisson input 0.rate_hz"):
        sim.set_poisson_rate(0, -1.0)
    with pytest.raises(ValueError, match="must be >= 0"):
        sim.set_poisson_rate(-1, 1.0)
    with pytest.raises(ValueError, match=r"delays_ms\[1\].*1 to 10 ticks"):
        sim.set_delays(0, [1.0, 1.5])
    with pytest.raises(TypeError):
        sim.set_delays(0, "no")
