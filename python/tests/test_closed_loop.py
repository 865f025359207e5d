"""Closed-loop stepping: sim.run(1.0) in a Python loop, inputs changed between calls. The
overhead per call is measured and printed (not asserted: machines differ); README and the
report quote it."""

from __future__ import annotations

import time

import numpy as np
import pytest

import spikegpu


def loop_network() -> spikegpu.Model:
    """100 LIF neurons (resting below threshold) driven by 50 Poisson sources through a
    reward-modulated plastic projection."""
    net = spikegpu.Network(dt=0.1, seed=5, name="loop")
    inp = net.population("in", 50, "poisson_source", params={"rate": 100.0})
    quiet = {"v_rest": -65.0, "v_reset": -65.0, "v_thresh": -50.0}
    out = net.population("out", 100, "lif", params=quiet, init={"v": spikegpu.uniform(-65, -55)})
    rule = spikegpu.stdp(w_max=5.0, modulation=spikegpu.modulation(tau_eligibility=1000.0, interval=1.0))
    net.projection(inp, out, spikegpu.fixed_probability(0.2), weight=3.0, delay=1.0, plasticity=rule)
    net.neuromodulator("global", tau=200.0)
    return net.build()


def per_call_seconds(sim, calls: int, work=None) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        if work is not None:
            work(sim)
        sim.run(1.0)
    return (time.perf_counter() - start) / calls


def engine_seconds_per_ms(sim, ms: float = 200.0) -> float:
    start = time.perf_counter()
    sim.run(ms)
    return (time.perf_counter() - start) / ms


def measure(backend: str, calls: int) -> dict:
    sim = spikegpu.Simulator(loop_network(), backend=backend)
    sim.run(10.0)  # warm
    bulk = engine_seconds_per_ms(sim)
    plain = per_call_seconds(sim, calls)

    def reward(s):
        s.add_modulator("global", 0.01)

    with_input = per_call_seconds(sim, calls, reward)
    return {
        "backend": backend,
        "per_call_us": plain * 1e6,
        "engine_us_per_ms": bulk * 1e6,
        "overhead_us": (plain - bulk) * 1e6,
        "per_call_with_modulator_us": with_input * 1e6,
    }


def test_closed_loop_on_the_cpu_backend():
    figures = measure("cpu", 2000)
    print("closed loop:", {k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()})
    assert figures["per_call_us"] > 0


def test_closed_loop_on_the_gpu_backend(gpu_available):
    if not gpu_available:
        pytest.skip("no GPU adapter (set SPIKEGPU_REQUIRE_GPU=1 to fail instead)")
    figures = measure("gpu", 200)
    print("closed loop:", {k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()})
    assert figures["per_call_us"] > 0


def test_inputs_changed_between_calls_steer_the_network():
    """Weights set to zero between 1 ms steps silence the target population."""
    sim = spikegpu.Simulator(loop_network(), backend="cpu")
    w = sim.weights(0)[2]
    for _ in range(100):
        sim.run(1.0)
    active = sim.spikes("out")[1].size
    sim.set_weights(0, np.zeros_like(w))
    switched = sim.t
    sim.clear_spikes()
    for _ in range(100):
        sim.run(1.0)
    times, _ = sim.spikes("out")
    # Only the synaptic current already under way (tau_syn 5 ms) can still fire a neuron.
    assert active > 50 and np.all(times < switched + 10.0), (active, times)
