"""Input encoders from Python: numpy arrays in, the engine's encoders (`[[encoder]]`
tables) out, spikes checked against each encoder's definition; bad input refused naming the
field."""

from __future__ import annotations

import numpy as np
import pytest

import spikegpu

DT = 0.1


def spikes_of(net: spikegpu.Network, name: str, ms: float, backend: str = "cpu"):
    sim = spikegpu.Simulator(net.build(), backend=backend)
    sim.run(ms)
    times, neurons = sim.spikes(name)
    return np.rint(times / DT).astype(np.int64), neurons


def test_rate_encoder_plays_a_sequence_of_numpy_images_only_inside_their_windows():
    images = np.array([[0.0, 0.5, 1.0, 0.25], [1.0, 0.0, 0.5, 0.75]])
    net = spikegpu.Network(dt=DT, seed=5)
    pixels = net.encoder("pixels", "rate", stimuli=images, max_rate=200.0, present=100.0, rest=20.0, start=10.0)
    assert pixels.size == 4
    ticks, neurons = spikes_of(net, "pixels", 260.0)
    # Windows: ticks [100, 1100) and [1300, 2300); nothing in the rests or before the start.
    in_first = (ticks >= 100) & (ticks < 1100)
    in_second = (ticks >= 1300) & (ticks < 2300)
    assert np.all(in_first | in_second)
    for window, image in ((in_first, images[0]), (in_second, images[1])):
        counts = np.bincount(neurons[window], minlength=4)
        p = 200.0 * DT * 1e-3 * image
        mean, sd = 1000 * p, np.sqrt(1000 * p * (1 - p))
        assert np.all(np.abs(counts - mean) <= 5 * sd + 1), (counts, mean)
        assert np.all(counts[image == 0.0] == 0)


def test_latency_delta_and_event_encoders_give_their_exact_spike_ticks():
    net = spikegpu.Network(dt=DT, seed=1)
    net.encoder("lat", "latency", stimuli=np.array([[1.0, 0.5, 0.0]]), scale="linear", t_max=20.0, present=30.0)
    net.encoder("delta", "delta", signals=np.array([[0.0, 0.3, 0.7, 0.0]]), sample=1.0, threshold=0.25)
    events = np.zeros(3, dtype=[("t", "f8"), ("x", "u4"), ("y", "u4"), ("p", "u1")])
    events[:] = [(0.5, 1, 0, 1), (0.52, 1, 0, 1), (2.0, 0, 1, 0)]
    cam = net.encoder("cam", "events", width=2, height=2, events=events)
    out = net.population("out", 1, "lif")
    assert cam.size == 8
    # The built network puts the encoders after the populations; the indices say so.
    assert [p.name for p in net.populations] == ["out", "lat", "delta", "cam"]
    assert [p[0] for p in net.build().populations] == ["out", "lat", "delta", "cam"]
    assert (out.index, cam.index) == (0, 3)
    ticks, neurons = spikes_of(net, "lat", 40.0)
    assert list(zip(ticks, neurons)) == [(0, 0), (100, 1)]
    # 0 -> 0.3: one ON at sample 1; 0.7: another (level 0.5) at sample 2; 0.0: two OFF, in
    # consecutive ticks.
    ticks, neurons = spikes_of(net, "delta", 40.0)
    assert sorted(zip(ticks.tolist(), neurons.tolist())) == [(10, 0), (20, 0), (30, 1), (31, 1)]
    # Neuron (y * 2 + x) * 2 + p; the two events of (1, 0, ON) in tick 5 merge.
    ticks, neurons = spikes_of(net, "cam", 40.0)
    assert sorted(zip(ticks.tolist(), neurons.tolist())) == [(5, 3), (20, 4)]


def test_receptive_fields_peak_at_the_field_whose_centre_is_the_scalar():
    net = spikegpu.Network(dt=DT, seed=2)
    net.encoder("rf", "receptive_field", stimuli=[[0.3]], neurons=11, low=0.0, high=1.0, max_rate=500.0, present=500.0)
    ticks, neurons = spikes_of(net, "rf", 500.0)
    assert np.argmax(np.bincount(neurons, minlength=11)) == 3


def test_encoders_give_the_same_spikes_on_gpu_and_cpu(gpu_available):
    if not gpu_available:
        pytest.skip("no GPU adapter")
    net = spikegpu.Network(dt=DT, seed=9)
    net.encoder("pixels", "rate", stimuli=np.random.default_rng(0).random((3, 20)), max_rate=300.0, present=50.0, rest=10.0)
    cpu = spikes_of(net, "pixels", 200.0, "cpu")
    gpu = spikes_of(net, "pixels", 200.0, "gpu")
    assert cpu[0].size > 0
    assert np.array_equal(cpu[0], gpu[0]) and np.array_equal(cpu[1], gpu[1])


@pytest.mark.parametrize(
    "kind, keys, needles",
    [
        ("rate", {"stimuli": np.array([[0.5, np.nan]]), "max_rate": 10.0, "present": 5.0}, ["stimuli[0][1]", "finite"]),
        ("rate", {"stimuli": [[0.5]], "max_rate": -1.0, "present": 5.0}, ["max_rate_hz = -1", "[0, 10000] Hz"]),
        ("rate", {"stimuli": [[0.5]], "max_rate": 20000.0, "present": 5.0}, ["max_rate_hz = 20000", "once per tick"]),
        ("rate", {"stimuli": np.zeros((0, 3)), "max_rate": 10.0, "present": 5.0}, ["stimuli", "at least one"]),
        ("rate", {"stimuli": [[0.5, 0.5], [0.5]], "max_rate": 10.0, "present": 5.0}, ["stimuli[1]", "length (2)"]),
        ("rate", {"stimuli": [[0.5]], "max_rate": 10.0, "present": 0.0}, ["present_ms = 0", "> 0"]),
        ("events", {"width": 2, "height": 2, "events": [[0.0, 2, 0, 1]]}, ["events[0].x = 2", "[0, 1] (width 2)"]),
        ("events", {"width": 2, "height": 2, "events": [[1.0, 0, 0, 1], [0.5, 0, 0, 1]]}, ["events[1].t_ms", "sorted"]),
        ("delta", {"signals": [[0.0, 1.0]], "sample": 1.0, "threshold": 0.0}, ["threshold = 0", "> 0"]),
    ],
)
def test_bad_encoder_input_is_refused_naming_the_field(kind, keys, needles):
    net = spikegpu.Network(dt=DT)
    net.encoder("in", kind, **keys)
    with pytest.raises(ValueError) as err:
        net.build()
    for needle in needles:
        assert needle in str(err.value), str(err.value)
