"""pyNN.spikegpu's current sources on some cells of a population, ACSource, drawn
NoisyCurrentSource values and changes after a run, checked against the membrane equation
integrated here from the recorded currents."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def sim():
    import pyNN.spikegpu as sim

    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=5, backend="cpu")
    yield sim
    sim.end()


def lif_response(current_na, v_rest=-65.0, tau_m=20.0, cm=1.0, dt=0.1):
    """v on the grid of an IF_curr_exp cell below threshold under a current constant within
    each step (the engine's exact step): v[k+1] = v_rest + (v[k] - v_rest) P + R I[k] (1 - P)."""
    p = np.exp(-dt / tau_m)
    v = np.empty(current_na.size)
    v[0] = v_rest
    for k in range(current_na.size - 1):
        v[k + 1] = v_rest + (v[k] - v_rest) * p + tau_m / cm * current_na[k] * (1 - p)
    return v


def test_sources_on_some_cells_sine_noise_and_changes_after_a_run(sim):
    cells = sim.Population(3, sim.IF_curr_exp(v_thresh=0.0))
    ac = sim.ACSource(start=10.0, stop=90.0, amplitude=0.5, offset=0.2, frequency=50.0, phase=30.0)
    noise = sim.NoisyCurrentSource(mean=0.1, stdev=0.5, start=5.0, stop=50.0, dt=1.0)
    cells[0:2].inject(ac)  # a view: cells 0 and 1
    noise.inject_into([cells[1], cells[2]])  # single cells: 1 and 2
    ac.record()
    noise.record()
    cells.record("v")
    sim.run(60.0)
    ac.amplitude = 0.0  # from t = 60 on: the offset alone, until stop
    sim.run(40.0)
    v = np.asarray(cells.get_data().segments[0].filter(name="v")[0])
    i_ac = np.asarray(ac.get_data()).ravel()
    i_noise = np.asarray(noise.get_data()).ravel()
    t = np.arange(i_ac.size) * 0.1
    assert v.shape == (1001, 3) and i_ac.size == 1001

    # The recorded sine is the formula before the change and the offset after it.
    first = (t >= 10.0 - 1e-9) & (t < 60.0 - 1e-9)
    expected = 0.2 + 0.5 * np.sin(2 * np.pi * 0.05 * (t[first] - 10.0) + np.deg2rad(30.0))
    assert np.allclose(i_ac[first], expected, atol=1e-12)
    assert np.all(i_ac[t < 10.0 - 1e-9] == 0.0) and np.all(i_ac[t >= 90.0 - 1e-9] == 0.0)
    assert np.all(i_ac[(t >= 60.0 - 1e-9) & (t < 90.0 - 1e-9)] == 0.2)
    # The noise changes only every 1.0 ms within [5, 50) and is 0 outside.
    changes = t[1:][np.diff(i_noise) != 0.0]
    assert changes.size > 30 and np.allclose(np.round(changes), changes) and changes.min() >= 5.0
    assert np.all(i_noise[t < 5.0 - 1e-9] == 0.0) and np.all(i_noise[t >= 50.0 - 1e-9] == 0.0)

    # Cell 0 gets the sine alone (including the change after the first run), cell 1 the sine
    # and the recorded noise (the values drawn for the first target, cell 1): the engine's v
    # follows the membrane equation of these currents within 1e-3 mV (the engine sums the
    # currents in its fixed-point input ring and integrates in f32; the test in f64).
    assert np.max(np.abs(v[:, 0] - lif_response(i_ac))) < 1e-3
    assert np.max(np.abs(v[:, 1] - lif_response(i_ac + i_noise))) < 1e-3
    # Cell 2 has its own noise values: it moves from 5 ms on, not as cell 1's noise does.
    own = v[:, 2] - (-65.0)
    assert np.all(own[t <= 5.0 + 1e-9] == 0.0) and np.any(np.abs(own) > 0.1)
    assert np.max(np.abs(v[:, 2] - lif_response(i_noise))) > 0.1


def test_changing_a_step_source_after_a_run_acts_from_the_next_step(sim):
    cells = sim.Population(2, sim.IF_curr_exp(v_thresh=0.0))
    step = sim.StepCurrentSource(times=[5.0], amplitudes=[0.3])
    step.inject_into(cells[1:])
    step.record()
    cells.record("v")
    sim.run(20.0)
    step.set_parameters(times=[20.0, 30.0], amplitudes=[-0.2, 0.0])
    sim.run(20.0)
    v = np.asarray(cells.get_data().segments[0].filter(name="v")[0])
    current = np.asarray(step.get_data()).ravel()
    assert np.all(v[:, 0] == -65.0)  # not injected
    assert current[100] == 0.3 and current[200] == -0.2 and current[300] == 0.0
    assert np.max(np.abs(v[:, 1] - lif_response(current))) < 1e-3


def test_a_refused_change_after_a_run_leaves_the_source_as_it_was(sim):
    import spikegpu

    cells = sim.Population(2, sim.IF_curr_exp(v_thresh=0.0))
    noise = sim.NoisyCurrentSource(mean=0.1, stdev=0.2)  # the engine's noise: from 0, every step
    noise.inject_into(cells)
    sim.run(10.0)
    with pytest.raises(spikegpu.EngineFeatureMissing) as info:
        noise.set_parameters(start=20.0, stop=30.0)  # would need values drawn per neuron
    assert info.value.key == "noise_interval"
    assert noise.start == 0.0 and noise.stop > 1e9
    noise.mean = 0.0  # an allowed change still reaches the engine
    sim.run(10.0)
