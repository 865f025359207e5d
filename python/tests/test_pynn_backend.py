"""pyNN.spikegpu beyond PyNN's own scenarios: units at the boundary, NEST's grid conventions
(checked against closed forms), connectors on both paths, STDP, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import spikegpu


@pytest.fixture
def sim():
    import pyNN.spikegpu as sim

    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=3, backend="cpu")
    yield sim
    sim.end()


def v_trace(pop):
    signal = pop.get_data().segments[0].filter(name="v")[0]
    return np.asarray(signal.times).ravel(), np.asarray(signal)[:, 0].ravel()


def first_change(t, v):
    moved = np.nonzero(np.abs(np.diff(v)) > 1e-9)[0]
    return t[moved[0] + 1]


def test_dc_driven_spike_is_reported_at_the_end_of_its_step(sim):
    """v(t) = v_rest + R I (1 - exp(-t/tau_m)) first crosses -50 mV at t* = -tau ln(1 - 15/(R I));
    NEST's grid models report the end of the step that crosses it."""
    p = sim.Population(1, sim.IF_curr_exp(i_offset=1.0, tau_refrac=2.0, v_thresh=-50.0))
    p.record(["spikes", "v"])
    sim.run(40.0)
    t_star = -20.0 * np.log(1 - 15.0 / 20.0)
    spikes = np.asarray(p.get_data().segments[0].spiketrains[0])
    assert spikes[0] == pytest.approx(np.ceil(t_star / 0.1) * 0.1)
    t, v = v_trace(p)
    k = int(round(spikes[0] / 0.1))
    assert v[k] == pytest.approx(-65.0)  # reset at the spike's sample
    # Held for tau_refrac (20 steps) after the spike step, then integrating again.
    assert np.all(v[k : k + 21] == -65.0) and v[k + 21] > -65.0


@pytest.mark.parametrize("cell, extra_step", [("IF_curr_exp", 1), ("IF_cond_exp", 1), ("IF_curr_alpha", 1), ("Izhikevich", 0)])
def test_a_source_spike_moves_v_after_the_delay(sim, cell, extra_step):
    """A SpikeSourceArray spike at 2.0 ms with delay 1.0 ms: exponential, alpha and conductance
    synapses move v in the step after 3.0 ms (sample 3.1), delta ones within it (sample 3.0)."""
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[2.0]))
    post = sim.Population(1, getattr(sim, cell)())
    post.record("v")
    weight = 0.01 if cell == "IF_cond_exp" else 1.0
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=weight, delay=1.0))
    sim.run(6.0)
    t, v = v_trace(post)
    assert first_change(t, v) == pytest.approx(3.0 + 0.1 * extra_step)


def test_current_based_weights_are_converted_with_the_membrane_resistance(sim):
    """A current jump w decaying with tau_s into cm, tau_m gives v(t) - v_rest =
    (w/cm) tau_s tau_m/(tau_m - tau_s) (exp(-t/tau_m) - exp(-t/tau_s)): the engine's weight is
    w tau_m / cm mV, and get() gives back nA."""
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    post = sim.Population(1, sim.IF_curr_exp(cm=0.5, tau_m=10.0, tau_syn_E=2.0, v_thresh=100.0))
    prj = sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.25, delay=0.5))
    post.record("v")
    sim.run(30.0)
    t, v = v_trace(post)
    tm, ts = 10.0, 2.0
    t_peak = np.log(tm / ts) * tm * ts / (tm - ts)
    peak = (0.25 / 0.5) * ts * tm / (tm - ts) * (np.exp(-t_peak / tm) - np.exp(-t_peak / ts))
    assert v.max() - (-65.0) == pytest.approx(peak, rel=2e-3)
    assert prj.get("weight", format="list", with_address=False) == pytest.approx([0.25])
    assert prj.get("delay", format="list", with_address=False) == pytest.approx([0.5])


def test_conductance_weights_are_microsiemens_and_inhibitory_ones_positive(sim):
    pre = sim.Population(5, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(4, sim.IF_cond_exp())
    exc = sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.004, delay=1.0))
    inh = sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.051, delay=1.0),
                         receptor_type="inhibitory")
    post.record("gsyn_inh")
    sim.run(200.0)
    assert np.allclose(exc.get("weight", format="array"), 0.004)
    assert np.allclose(inh.get("weight", format="array"), 0.051)
    g = np.asarray(post.get_data().segments[0].filter(name="gsyn_inh")[0])
    assert g.max() > 0.04 and g.min() >= 0.0  # uS, positive


def test_rule_and_explicit_paths_report_the_same_connection_counts(sim):
    """A FixedProbability projection between populations runs as an engine rule, the same
    between views as a PyNN-drawn list; both give p N_pre N_post connections on average."""
    a = sim.Population(200, sim.IF_curr_exp())
    b = sim.Population(200, sim.IF_curr_exp())
    rule = sim.Projection(a, b, sim.FixedProbabilityConnector(0.1), sim.StaticSynapse(weight=0.1))
    listed = sim.Projection(a[:100], b[50:150], sim.FixedProbabilityConnector(0.1), sim.StaticSynapse(weight=0.1))
    assert rule._fast and not listed._fast
    assert abs(len(rule) - 4000) < 5 * np.sqrt(4000)
    assert abs(len(listed) - 1000) < 5 * np.sqrt(1000)
    pre, post = np.array(listed.get("weight", format="list"))[:, :2].T
    assert pre.max() < 100 and post.max() < 100
    sim.run(10.0)


def test_set_weights_between_runs_reach_the_engine(sim):
    a = sim.Population(10, sim.SpikeSourcePoisson(rate=50.0))
    b = sim.Population(10, sim.IF_curr_exp())
    prj = sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.5))
    sim.run(10.0)
    prj.set(weight=0.0)
    assert np.all(np.array(prj.get("weight", format="list", with_address=False)) == 0.0)
    engine_weights = sim.simulator.state.engine.weights(0)[2]
    assert np.all(engine_weights == 0.0)


def test_stdp_potentiates_with_causal_pairs(sim):
    """Each pre spike 5 ms before a post spike potentiates an additive SpikePairRule synapse."""
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=np.arange(10.0, 510.0, 50.0)))
    driver = sim.Population(1, sim.SpikeSourceArray(spike_times=np.arange(15.0, 515.0, 50.0)))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=1.0))
    sim.Projection(driver, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=20.0, delay=0.1))
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.012),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
        weight=0.5, delay=0.1,
    )
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    post.record("spikes")
    sim.run(600.0)
    assert len(post.get_data().segments[0].spiketrains[0]) >= 9
    assert prj.get("weight", format="list", with_address=False)[0] > 0.55


def test_engine_errors_reach_pynn_users_with_the_engine_message(sim):
    sim.Population(3, sim.IF_curr_exp(tau_m=-5.0))
    with pytest.raises(ValueError, match=r"params.tau_m = -5.0 is out of range: must be finite and > 0"):
        sim.run(1.0)


def test_heterogeneous_parameters_name_the_engine_need(sim):
    """Types with an equation-defined twin run such populations (test_pynn_heterogeneous.py);
    the others name the need."""
    from pyNN.random import RandomDistribution

    sim.Population(3, sim.HH_cond_exp(gbar_Na=RandomDistribution("uniform", low=15.0, high=25.0)))
    with pytest.raises(spikegpu.EngineFeatureMissing) as info:
        sim.run(1.0)
    assert info.value.key == "per_neuron_params" and "gbar_Na" in str(info.value)


def test_per_neuron_thresholds_and_offsets_are_supported(sim):
    p = sim.Population(3, sim.IF_curr_exp(v_thresh=[-55.0, -50.0, -45.0], i_offset=[0.0, 1.0, 2.0]))
    p.record("spikes")
    sim.run(200.0)
    counts = [len(s) for s in p.get_data().segments[0].spiketrains]
    assert counts[0] == 0 and 0 < counts[1] < counts[2]


def test_initial_values_given_per_neuron_start_each_neuron_there(sim):
    """initialize(v=array), a view initialized separately, and a distribution the engine does
    not draw itself (PyNN's generator draws it): the first sample of v is each neuron's value."""
    from pyNN.random import RandomDistribution

    p = sim.Population(4, sim.IF_curr_exp(v_rest=-65.0))
    p.initialize(v=np.array([-70.0, -66.0, -62.0, -58.0]))
    p[2:4].initialize(v=-55.0)
    q = sim.Population(50, sim.IF_cond_exp(v_rest=-65.0))
    q.initialize(v=RandomDistribution("normal_clipped", mu=-60.0, sigma=3.0, low=-62.0, high=-58.0))
    p.record("v")
    q.record("v")
    sim.run(1.0)
    first = np.asarray(p.get_data().segments[0].filter(name="v")[0])[0]
    np.testing.assert_allclose(first, [-70.0, -66.0, -55.0, -55.0], atol=1e-4)
    drawn = np.asarray(q.get_data().segments[0].filter(name="v")[0])[0]
    assert drawn.min() >= -62.0 - 1e-4 and drawn.max() <= -58.0 + 1e-4 and np.unique(drawn).size > 40


def pynn_run(backend: str):
    import pyNN.spikegpu as sim
    from pyNN.random import RandomDistribution

    sim.setup(timestep=0.1, rng_seed=11, backend=backend)
    cells = sim.Population(200, sim.IF_cond_exp(v_rest=-49.0, tau_refrac=5.0), label="cells")
    cells.initialize(v=RandomDistribution("uniform", low=-60.0, high=-50.0))
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.05), sim.StaticSynapse(weight=0.004, delay=0.5))
    cells.record(["spikes", "v"])
    sim.run(100.0)
    data = cells.get_data().segments[0]
    digest = sim.simulator.state.engine.spike_hash()
    v = np.asarray(data.filter(name="v")[0])
    sim.end()
    return digest, v


def test_pynn_on_the_gpu_backend_equals_the_cpu_backend(gpu_available):
    if not gpu_available:
        pytest.skip("no GPU adapter (set SPIKEGPU_REQUIRE_GPU=1 to fail instead)")
    gpu_hash, gpu_v = pynn_run("gpu")
    cpu_hash, cpu_v = pynn_run("cpu")
    assert gpu_hash == cpu_hash
    assert np.array_equal(gpu_v, cpu_v)


def test_off_grid_precision_warns_that_spikes_stay_on_the_grid_and_bad_words_are_refused():
    """As pyNN.brian2, spike_precision="off_grid" runs on the grid; spikegpu says so."""
    import pyNN.spikegpu as sim

    with pytest.warns(UserWarning, match="stay on the grid of timestep = 0.01 ms"):
        sim.setup(timestep=0.01, min_delay=0.1, spike_precision="off_grid", backend="cpu")
    p = sim.Population(1, sim.IF_curr_exp(i_offset=1.0, v_thresh=-50.0))
    p.record("spikes")
    sim.run(40.0)
    first = float(np.asarray(p.get_data().segments[0].spiketrains[0])[0])
    assert first == pytest.approx(round(first / 0.01) * 0.01, abs=1e-9)
    sim.end()
    with pytest.raises(ValueError, match="spike_precision = 'exact'"):
        sim.setup(timestep=0.1, spike_precision="exact")
