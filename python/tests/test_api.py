"""The Python API: models from files and from Python, runs that continue, numpy results,
weights, neuromodulators, probes, devices."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import spikegpu


def small_network(seed: int = 3) -> spikegpu.Network:
    net = spikegpu.Network(dt=0.1, seed=seed, name="small")
    exc = net.population("exc", 80, "lif", params={"v_rest": "-49 mV"}, init={"v": spikegpu.uniform(-60, -50)})
    inh = net.population("inh", 20, "lif", params={"v_rest": -49.0}, init={"v": spikegpu.uniform(-60, -50)})
    for post in (exc, inh):
        net.projection(exc, post, spikegpu.fixed_probability(0.1), weight=1.62, delay=0.1)
        net.projection(inh, post, spikegpu.fixed_probability(0.1), weight=-9.0, delay=0.1, receptor="inhibitory")
    return net


def test_model_file_loads_and_runs_with_the_benchmark_spike_hash(models_dir):
    model = spikegpu.load(models_dir / "cuba.toml")
    assert model.name == "cuba" and model.neuron_count == 4000 and model.dt == 0.1
    assert [p[:3] for p in model.populations] == [("exc", 3200, "lif"), ("inh", 800, "lif")]
    sim = spikegpu.Simulator(model, backend="cpu")
    sim.run(200.0)
    times, neurons = sim.spikes("exc")
    assert times.dtype == np.float64 and neurons.dtype == np.uint32
    assert times.shape == neurons.shape and times.size > 0
    assert np.all(np.diff(times) >= 0) and neurons.max() < 3200
    ticks, global_neurons = sim.spike_records()
    assert spikegpu.spike_hash(ticks, global_neurons) == sim.spike_hash()
    # The file's probe: v of 4 neurons every 0.5 ms, from t = 0.
    t, v = sim.probe(0)
    assert v.shape == (401, 4) and v.dtype == np.float32 and t[0] == 0.0 and t[-1] == 200.0


def test_runs_continue_where_they_stopped():
    model = small_network().build()
    once = spikegpu.Simulator(model, backend="cpu")
    once.run(100.0)
    twice = spikegpu.Simulator(model, backend="cpu")
    twice.run(30.0)
    twice.run(70.0)
    assert twice.t == pytest.approx(100.0) and twice.ticks == 1000
    assert once.spike_hash() == twice.spike_hash()


def test_a_network_built_in_python_equals_its_model_file():
    net = small_network()
    from_python = spikegpu.Simulator(net, backend="cpu")
    from_text = spikegpu.Simulator(spikegpu.loads(net.to_toml()), backend="cpu")
    for sim in (from_python, from_text):
        sim.run(100.0)
    assert from_python.spike_hash() == from_text.spike_hash()
    assert from_python.counters()["spikes"] > 0


def test_weights_and_delays_come_as_arrays_and_set_weights_takes_effect():
    model = small_network().build()
    sim = spikegpu.Simulator(model, backend="cpu")
    pre, post, w = sim.weights(0)
    assert pre.dtype == np.uint32 and w.dtype == np.float32 and pre.size == post.size == w.size > 0
    assert np.all(w == np.float32(1.62)) and np.allclose(sim.delays(0), 0.1)
    sim.set_weights(0, np.zeros(w.size))
    assert np.all(sim.weights(0)[2] == 0.0)
    with pytest.raises(ValueError, match="weights"):
        sim.set_weights(0, np.full(w.size, -1.0))
    with pytest.raises(ValueError, match="one per synapse"):
        sim.set_weights(0, [1.0])


def test_probes_sample_at_zero_and_every_interval_in_the_model_unit():
    sim = spikegpu.Simulator(small_network().build(), backend="cpu")
    probe = sim.add_probe("exc", "v", neurons=[0, 5], interval=1.0)
    sim.run(10.0)
    t, v = sim.probe(probe)
    assert np.allclose(t, np.arange(11.0)) and v.shape == (11, 2)
    assert np.all((v >= -60.0) & (v <= -45.0))
    now = sim.state("exc", "v")
    assert now.shape == (80,) and now[0] == v[-1, 0] and now[5] == v[-1, 1]
    with pytest.raises(ValueError, match="out of range"):
        sim.add_probe("exc", "v", neurons=[80])
    with pytest.raises(ValueError, match="known variables"):
        sim.state("exc", "q")


def test_neuromodulator_levels_are_set_between_runs(models_dir):
    sim = spikegpu.Simulator(spikegpu.load(models_dir / "distal-reward.toml"), backend="cpu")
    sim.set_modulator("global", 0.5)
    assert sim.modulator("global") == pytest.approx(0.5)
    sim.add_modulator("global", 0.25)
    assert sim.modulator("global") == pytest.approx(0.75)
    sim.run(1.0)
    with pytest.raises(ValueError, match="finite"):
        sim.set_modulator("global", float("nan"))


def test_run_releases_the_gil():
    """Another Python thread keeps running while the engine simulates."""
    sim = spikegpu.Simulator(small_network().build(), backend="cpu")
    counter = {"n": 0}
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter["n"] += 1

    thread = threading.Thread(target=count)
    thread.start()
    time.sleep(0.05)
    before = counter["n"]
    sim.run(2000.0)
    during = counter["n"] - before
    stop.set()
    thread.join()
    assert during > 1000, f"the counting thread advanced only {during} times during run()"


def test_a_second_thread_gets_a_clear_error_while_a_run_is_in_flight(models_dir):
    sim = spikegpu.Simulator(spikegpu.load(models_dir / "cuba.toml"), backend="cpu")
    errors = []

    def run():
        sim.run(2000.0)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        while thread.is_alive():
            try:
                sim.spikes("exc")
            except RuntimeError as e:
                errors.append(str(e))
                break
    finally:
        thread.join()
    assert errors and "busy" in errors[0]


def test_progress_bar_runs_to_the_end(capfd):
    sim = spikegpu.Simulator(small_network().build(), backend="cpu", progress=True)
    sim.run(50.0)
    assert sim.ticks == 500


def test_raster_png_is_written(tmp_path):
    sim = spikegpu.Simulator(small_network().build(), backend="cpu")
    sim.run(100.0)
    path = tmp_path / "raster.png"
    spikegpu.raster(sim, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_devices_lists_adapters_as_dicts():
    for d in spikegpu.devices():
        assert {"name", "backend", "device_type", "compute"} <= set(d)


def test_gpu_backend_gives_the_cpu_spike_trains(gpu_available):
    if not gpu_available:
        pytest.skip("no GPU adapter (set SPIKEGPU_REQUIRE_GPU=1 to fail instead)")
    model = small_network().build()
    gpu = spikegpu.Simulator(model, backend="gpu")
    cpu = spikegpu.Simulator(model, backend="cpu")
    for sim in (gpu, cpu):
        sim.run(20.0)
        sim.run(30.0)
    assert gpu.backend == "gpu" and cpu.backend == "cpu"
    assert gpu.spike_hash() == cpu.spike_hash()


def test_currents_into_listed_neurons_and_sine_currents():
    """A dc current into neurons 0 and 2 only drives those two; a sine current (PyNN's
    ACSource: offset + amplitude sin(2 pi f (t - start) + phase)) moves v as its formula says
    below threshold (the engine's own tests check it tick by tick on both backends)."""
    net = spikegpu.Network(dt=0.1, seed=1)
    net.population("driven", 3, "lif", params={"v_rest": "-65 mV"}, init={"v": -65.0})
    net.current("driven", dc="30 mV", neurons=[0, 2])
    net.population("waved", 1, "lif", params={"v_thresh": "0 mV"}, init={"v": -49.0})
    net.current("waved", sine_amplitude="5 mV", sine_frequency="50 Hz", sine_start="10 ms")
    sim = spikegpu.Simulator(net, backend="cpu")
    probe = sim.add_probe("waved", "v", neurons=[0], interval=0.1)
    sim.run(100.0)
    _, neurons = sim.spikes("driven")
    assert set(np.unique(neurons).tolist()) == {0, 2}
    t, v = sim.probe(probe)
    before = v[t < 10.0, 0]
    assert np.allclose(before, -49.0, atol=1e-4), "no current before sine_start"
    late = v[t >= 80.0, 0]  # one period, 70 ms (3.5 tau_m) after the sine starts
    # tau dv/dt = -(v - v_rest) + 5 sin(2 pi 50 Hz t): v swings around v_rest by
    # 5 / sqrt(1 + (2 pi 50 Hz 20 ms)^2) = 0.786 mV.
    swing = 5.0 / np.sqrt(1.0 + (2.0 * np.pi * 0.05 * 20.0) ** 2)
    assert abs((late.max() - late.min()) / 2.0 - swing) < 0.04 * swing
    assert abs(late.mean() + 49.0) < 0.05
    with pytest.raises(ValueError, match="neurons"):
        bad = spikegpu.Network(dt=0.1)
        bad.population("a", 3, "lif")
        bad.current("a", dc=1.0, neurons=[0, 3])
        bad.build()


def test_conventions_reach_the_engine():
    """Under NEST's convention a spike is stamped at the end of its step (README, table
    "Conventions"): a DC-driven neuron's first spike comes one dt later than by default (the
    current is injected, not delivered through the ring, so no synaptic latency enters)."""
    first = {}
    for conventions in (None, "nest", "brian2"):
        net = spikegpu.Network(dt=0.1, seed=1, conventions=conventions)
        net.population("cell", 1, "lif", init={"v": -65.0})
        net.current("cell", dc="30 mV")
        sim = spikegpu.Simulator(net, backend="cpu")
        sim.run(50.0)
        times, _ = sim.spikes("cell")
        assert times.size > 2, conventions
        first[conventions] = float(times[0])
    assert first["nest"] == pytest.approx(first[None] + 0.1, abs=1e-9)
    assert first["brian2"] == pytest.approx(first[None], abs=1e-9)
    with pytest.raises(ValueError, match="conventions"):
        spikegpu.Network(conventions="neuron").build()


def test_short_term_plasticity_scales_the_first_spike_by_u_and_depresses_the_next():
    """Tsodyks-Markram (NEST's tsodyks2_synapse): the first spike delivers w U, the next
    ones less while x recovers; the membrane of a current-based LIF is linear in its input,
    so v - v_rest scales by U against a static twin (the engine's tests check the whole
    recursion against NEST)."""
    net = spikegpu.Network(dt=0.1, seed=1)
    net.population("pre", 1, "spike_source", spike_times=[[10.0, 20.0]])
    for name in ("dep", "static"):
        net.population(name, 1, "lif", params={"v_rest": "-65 mV"}, init={"v": -65.0})
    tm = {"u": 0.5, "tau_rec": "200 ms"}
    net.projection("pre", "dep", spikegpu.all_to_all(), weight=2.0, delay=1.0, short_term=tm)
    net.projection("pre", "static", spikegpu.all_to_all(), weight=2.0, delay=1.0)
    assert "short_term" in net.to_toml()
    sim = spikegpu.Simulator(net, backend="cpu")
    probes = [sim.add_probe(name, "v", neurons=[0], interval=0.1) for name in ("dep", "static")]
    sim.run(40.0)
    (t, dep), (_, static) = (sim.probe(p) for p in probes)
    first = (t > 13.0) & (t < 20.0)
    # v is f32 near -65 mV (resolution 7.6e-6 mV): compare deflections to 1e-4 mV.
    assert np.abs((dep[first, 0] + 65.0) - 0.5 * (static[first, 0] + 65.0)).max() < 1e-4
    assert (static[first, 0] + 65.0).max() > 0.1, "the static synapse moves v"
    # The second spike (x recovered to 1 - U e^(-10/200) = 0.52) delivers 0.26 w, so the
    # depressed membrane falls below U of the static one once it arrives.
    second = (t > 22.0) & (t < 30.0)
    assert np.all((dep[second, 0] + 65.0) / (static[second, 0] + 65.0) < 0.49)
    with pytest.raises(ValueError, match="short_term.u"):
        bad = spikegpu.Network(dt=0.1)
        bad.population("a", 1, "lif")
        bad.projection("a", "a", spikegpu.all_to_all(), weight=1.0, delay=1.0, short_term={"u": 2.0, "tau_rec": 10.0})
        bad.build()


def test_set_current_changes_the_drive_from_the_next_tick():
    net = spikegpu.Network(dt=0.1, seed=1)
    net.population("cells", 2, "lif", params={"v_rest": "-65 mV"}, init={"v": -65.0})
    net.current("cells", dc=0.0)
    sim = spikegpu.Simulator(net, backend="cpu")
    sim.run(50.0)
    assert sim.spikes("cells")[0].size == 0
    sim.set_current(0, dc=30.0)
    sim.run(50.0)
    times, _ = sim.spikes("cells")
    assert times.size > 0 and times.min() >= 50.0
    sim.set_current(0, step_times=[120.0], step_amplitudes=[0.0])
    sim.run(50.0)
    with pytest.raises(ValueError, match="current input"):
        sim.set_current(3, dc=1.0)
    with pytest.raises(ValueError, match="exactly one"):
        sim.set_current(0)
    with pytest.raises(ValueError):
        sim.set_current(0, dc=float("nan"))


def test_threads_are_chosen_per_simulator_and_do_not_change_the_results():
    """`Simulator(..., threads=N)` sets the CPU backend's thread count (SPIKEGPU_THREADS only
    caps the default); out-of-range counts are refused naming the argument; pyNN.spikegpu's
    setup(threads=N) passes it on."""
    model = small_network().build()
    hashes = []
    for threads in (None, 1, 2):
        sim = spikegpu.Simulator(model, backend="cpu", threads=threads)
        sim.run(50.0)
        hashes.append(sim.spike_hash())
    assert hashes[0] == hashes[1] == hashes[2] and sim.counters()["spikes"] > 0
    for bad in (0, -1, 1025):
        with pytest.raises(ValueError, match="threads"):
            spikegpu.Simulator(model, backend="cpu", threads=bad)

    import pyNN.spikegpu as pynn

    pynn.setup(timestep=0.1, backend="cpu", threads=2)
    pop = pynn.Population(2, pynn.IF_curr_exp(i_offset=1.0))
    pop.record("spikes")
    pynn.run(50.0)
    assert pynn.simulator.state.threads == 2
    assert sum(len(s) for s in pop.get_data().segments[0].spiketrains) > 0
    pynn.end()
