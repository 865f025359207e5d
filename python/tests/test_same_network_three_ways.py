"""One network built from a model file, with the Python API and through PyNN gives one spike
hash: the three front ends describe the same engine network."""

from __future__ import annotations

import pathlib

import spikegpu

DATA = pathlib.Path(__file__).parent / "data"
RUN_MS = 300.0


def from_model_file() -> int:
    sim = spikegpu.Simulator(spikegpu.load(DATA / "three_ways.toml"), backend="cpu")
    sim.run(RUN_MS)
    assert sim.counters()["spikes"] > 1000, "the network must be active for the hash to mean something"
    return sim.spike_hash()


def from_python_api() -> int:
    net = spikegpu.Network(dt=0.1, seed=7, name="three-ways")
    lif = {
        "tau_m": 20.0, "v_rest": -49.0, "v_reset": -60.0, "v_thresh": -50.0,
        "tau_syn_exc": 5.0, "tau_syn_inh": 10.0, "refractory": 5.1, "synapse": "exponential",
    }
    v0 = {"v": spikegpu.uniform(-60.0, -50.0)}
    exc = net.population("exc", 800, "lif", params=lif, init=v0)
    inh = net.population("inh", 200, "lif", params=lif, init=v0)
    noise = net.population("noise", 100, "poisson_source", params={"rate": 20.0})
    p = spikegpu.fixed_probability(0.02, autapses=True)
    for pre, w, receptor in ((exc, 1.25, "excitatory"), (inh, -10.0, "inhibitory")):
        for post in (exc, inh):
            net.projection(pre, post, p, weight=w, delay=0.2, receptor=receptor)
    net.projection(noise, exc, spikegpu.fixed_indegree(10), weight=2.5, delay=1.1)
    sim = spikegpu.Simulator(net, backend="cpu")
    sim.run(RUN_MS)
    return sim.spike_hash()


def from_pynn() -> int:
    import pyNN.spikegpu as sim
    from pyNN.random import RandomDistribution

    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=7, backend="cpu")
    cell = sim.IF_curr_exp(
        cm=1.0, tau_m=20.0, v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0,
        tau_syn_E=5.0, tau_syn_I=10.0, tau_refrac=5.0,
    )
    exc = sim.Population(800, cell, label="exc")
    inh = sim.Population(200, cell, label="inh")
    noise = sim.Population(100, sim.SpikeSourcePoisson(rate=20.0), label="noise")
    for pop in (exc, inh):
        pop.initialize(v=RandomDistribution("uniform", low=-60.0, high=-50.0))
    connector = sim.FixedProbabilityConnector(0.02)
    for pre, w, receptor in ((exc, 0.0625, "excitatory"), (inh, -0.5, "inhibitory")):
        # A delay of 0.1 ms is one step: with NEST's convention the engine uses 0.2 ms.
        syn = sim.StaticSynapse(weight=w, delay=0.1)
        for post in (exc, inh):
            sim.Projection(pre, post, connector, syn, receptor_type=receptor)
    sim.Projection(noise, exc, sim.FixedNumberPreConnector(10), sim.StaticSynapse(weight=0.125, delay=1.0))
    sim.run(RUN_MS)
    digest = sim.simulator.state.engine.spike_hash()
    sim.end()
    return digest


def test_model_file_python_api_and_pynn_give_one_spike_hash():
    hashes = {"model file": from_model_file(), "Python API": from_python_api(), "PyNN": from_pynn()}
    print({k: f"{v:016x}" for k, v in hashes.items()})
    assert len(set(hashes.values())) == 1, hashes
