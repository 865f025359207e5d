//! Changing a network between runs (`Simulator::set_state`, `set_spike_times`,
//! `set_source_rates`, `set_poisson_rate`, `set_delays`): each change is seen from the next
//! tick exactly (against a network that had it from the start, or a state imported at that
//! tick), both backends give the same spikes, and bad input is refused with the field named.

use spikegpu::sim::Spike;
use spikegpu::{
    Backend, Connection, Connectivity, CurrentSource, InitialValue, IzhikevichParams, LifParams, Network,
    NetworkBuilder, NeuronModel, PopulationId, Receptor, Simulator, StateVar, StdpParams, WeightDist,
};

use crate::common;

const DT: f64 = 0.1;

fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Cpu];
    if common::gpu().is_some() {
        out.push(Backend::Gpu);
    }
    out
}

fn quiet_lif() -> NeuronModel {
    NeuronModel::Lif(LifParams {
        v_rest_mv: -65.0,
        ..LifParams::default()
    })
}

fn population(b: &mut NetworkBuilder, name: &str, size: u32, model: NeuronModel) -> PopulationId {
    let pop = b
        .population(name, size, model, InitialValue::Constant(-60.0))
        .unwrap();
    b.record_spikes(pop, true).unwrap();
    pop
}

fn spikes_of(sim: &Simulator, neurons: std::ops::Range<u32>) -> Vec<Spike> {
    sim.spike_records()
        .iter()
        .filter(|s| neurons.contains(&s.neuron))
        .copied()
        .collect()
}

/// Four LIF neurons driven by a DC onto three Izhikevich neurons.
fn state_network() -> (Network, PopulationId, PopulationId) {
    let mut b = NetworkBuilder::new(DT, 11);
    let a = population(&mut b, "a", 4, NeuronModel::Lif(LifParams::default()));
    let izh = NeuronModel::Izhikevich(IzhikevichParams::default());
    let z = population(&mut b, "z", 3, izh);
    b.projection(
        a,
        z,
        Connectivity::AllToAll { autapses: true },
        WeightDist::Constant(4.0),
        WeightDist::Constant(1.0),
        Receptor::Excitatory,
    )
    .unwrap();
    b.current_input(z, CurrentSource::Dc { amplitude: 4.0 }).unwrap();
    b.current_input(a, CurrentSource::Dc { amplitude: 20.0 }).unwrap();
    (b.build().unwrap(), a, z)
}

#[test]
fn set_state_acts_from_the_next_tick_as_an_imported_state() {
    let (net, a, z) = state_network();
    let v_a = [-52.0f32, -58.0, -64.0, -50.5];
    let syn_a = [0.0f32, 0.3, 1.5, 0.0];
    // A threshold raise on LIF neurons without adaptation: both ways of setting it must leave
    // the CPU's no-adaptation shortcut (and so decay the raise as the GPU does).
    let u_a = [0.0f32, 4.0, 0.0, 9.0];
    let (u_z, v_z) = ([-10.0f32, -14.0, -3.0], [-70.0f32, -30.0, -65.0]);
    let mut trains = Vec::new();
    for backend in backends() {
        let mut sim = Simulator::new(&net, backend).unwrap();
        let mut oracle = Simulator::new(&net, backend).unwrap();
        sim.run_ticks(150).unwrap();
        oracle.run_ticks(150).unwrap();
        sim.set_state(a, StateVar::V, &v_a).unwrap();
        sim.set_state(a, StateVar::SynExc, &syn_a).unwrap();
        sim.set_state(a, StateVar::U, &u_a).unwrap();
        sim.set_state(z, StateVar::U, &u_z).unwrap();
        sim.set_state(z, StateVar::V, &v_z).unwrap();
        assert_eq!(sim.membrane_potentials(a).unwrap(), v_a, "{backend:?}");
        // The oracle: the same values written into an exported state and imported.
        let mut state = oracle.export_state().unwrap();
        for i in 0..4 {
            state.neurons[i].v = v_a[i];
            state.neurons[i].syn_e = syn_a[i];
            state.neurons[i].u = u_a[i];
        }
        for i in 0..3 {
            state.neurons[4 + i].u = u_z[i];
            state.neurons[4 + i].v = v_z[i];
        }
        oracle.import_state(&state).unwrap();
        let before = sim.spike_records().len();
        sim.run_ticks(500).unwrap();
        oracle.run_ticks(500).unwrap();
        let fired = sim.spike_records().len() - before;
        assert!(fired > 10, "{backend:?}: the populations fire ({fired})");
        assert_eq!(sim.spike_records(), oracle.spike_records(), "{backend:?}");
        assert_eq!(
            sim.pull_state().unwrap(),
            oracle.pull_state().unwrap(),
            "{backend:?}"
        );
        trains.push(sim.spike_records().to_vec());
    }
    assert!(
        trains.windows(2).all(|w| w[0] == w[1]),
        "same spikes on both backends"
    );
}

/// Two spike sources (2 and 1 neurons) one-to-one onto two quiet LIF neurons.
fn source_network(first: Vec<Vec<f64>>) -> (Network, PopulationId) {
    let mut b = NetworkBuilder::new(DT, 5);
    let s = population(
        &mut b,
        "s",
        2,
        NeuronModel::SpikeSource {
            spike_times_ms: first,
        },
    );
    let t = NeuronModel::SpikeSource {
        spike_times_ms: vec![vec![4.0, 12.0]],
    };
    population(&mut b, "t", 1, t);
    let post = population(&mut b, "post", 2, quiet_lif());
    b.projection(
        s,
        post,
        Connectivity::OneToOne,
        WeightDist::Constant(400.0),
        WeightDist::Constant(1.0),
        Receptor::Excitatory,
    )
    .unwrap();
    (b.build().unwrap(), s)
}

#[test]
fn new_spike_times_replace_the_future_trains() {
    // At 5 ms the trains become [6, 9] and [5]; at 10 ms twenty spikes each (the table grows).
    let dense = |from: f64| (0..20).map(|k| from + 0.5 * f64::from(k)).collect::<Vec<_>>();
    let expected = vec![
        [vec![1.0, 6.0, 9.0], dense(10.0)].concat(),
        [vec![2.0, 5.0], dense(10.2)].concat(),
    ];
    let mut trains = Vec::new();
    for backend in backends() {
        let (net, s) = source_network(vec![vec![1.0, 7.0], vec![2.0, 8.0]]);
        let mut sim = Simulator::new(&net, backend).unwrap();
        sim.run_ticks(50).unwrap();
        sim.set_spike_times(s, vec![vec![6.0, 9.0], vec![5.0]]).unwrap();
        sim.run_ticks(50).unwrap();
        sim.set_spike_times(s, vec![dense(10.0), dense(10.2)]).unwrap();
        sim.run_ticks(150).unwrap();
        let mut reference = Simulator::new(&source_network(expected.clone()).0, backend).unwrap();
        reference.run_ticks(250).unwrap();
        let source_spikes = spikes_of(&sim, 0..2);
        assert_eq!(source_spikes.len(), 3 + 2 + 40, "{backend:?}: {source_spikes:?}");
        assert!(
            source_spikes.contains(&Spike { tick: 50, neuron: 1 }),
            "a time at now fires"
        );
        assert!(!spikes_of(&sim, 3..5).is_empty(), "{backend:?}: the targets fire");
        assert_eq!(sim.spike_records(), reference.spike_records(), "{backend:?}");
        trains.push(sim.spike_records().to_vec());
    }
    assert!(
        trains.windows(2).all(|w| w[0] == w[1]),
        "same spikes on both backends"
    );
}

/// A Poisson source population (3 neurons, 200 Hz) and quiet LIF neurons driven by Poisson
/// input 0 (`schedule`).
fn rate_network(schedule: &[(f64, f64)]) -> (Network, PopulationId) {
    let mut b = NetworkBuilder::new(DT, 9);
    let src = population(&mut b, "src", 3, NeuronModel::PoissonSource { rate_hz: 200.0 });
    let post = population(&mut b, "post", 4, quiet_lif());
    b.poisson_schedule(post, schedule, 25.0, Receptor::Excitatory)
        .unwrap();
    (b.build().unwrap(), src)
}

#[test]
fn new_rates_act_from_the_next_tick() {
    let mut trains = Vec::new();
    for backend in backends() {
        let (net, src) = rate_network(&[(0.0, 500.0)]);
        let mut sim = Simulator::new(&net, backend).unwrap();
        sim.run_ticks(100).unwrap();
        sim.set_source_rates(src, &[0.0, 1e4, 200.0]).unwrap();
        // A longer CDF table than the old one: the device's table grows.
        sim.set_poisson_rate(0, 3000.0).unwrap();
        sim.run_ticks(200).unwrap();
        // The reference: the input's new rate as a schedule from the start, the sources as built.
        let (reference_net, _) = rate_network(&[(0.0, 500.0), (10.0, 3000.0)]);
        let mut reference = Simulator::new(&reference_net, backend).unwrap();
        reference.run_ticks(300).unwrap();
        let after = |sim: &Simulator, n: u32| -> Vec<u64> {
            spikes_of(sim, n..n + 1)
                .iter()
                .filter(|s| s.tick >= 100)
                .map(|s| s.tick)
                .collect()
        };
        assert!(after(&sim, 0).is_empty(), "{backend:?}: rate 0 is silent");
        assert_eq!(
            after(&sim, 1),
            (100..300).collect::<Vec<_>>(),
            "{backend:?}: 1/dt fires every tick"
        );
        assert_eq!(
            after(&sim, 2),
            after(&reference, 2),
            "{backend:?}: an unchanged rate draws as before"
        );
        let early = |sim: &Simulator| -> Vec<Spike> {
            spikes_of(sim, 0..3)
                .into_iter()
                .filter(|s| s.tick < 100)
                .collect()
        };
        assert_eq!(
            early(&sim),
            early(&reference),
            "{backend:?}: the sources as built until then"
        );
        let (post, post_ref) = (spikes_of(&sim, 3..7), spikes_of(&reference, 3..7));
        assert!(
            post.len() > 10,
            "{backend:?}: the input drives the targets ({})",
            post.len()
        );
        assert_eq!(
            post, post_ref,
            "{backend:?}: the input as a schedule from the start"
        );
        assert_eq!(
            sim.pull_state().unwrap()[3..],
            reference.pull_state().unwrap()[3..]
        );
        trains.push(sim.spike_records().to_vec());
    }
    assert!(
        trains.windows(2).all(|w| w[0] == w[1]),
        "same spikes on both backends"
    );
}

/// Spike sources onto quiet LIF neurons by one-to-one projection 0 (delays `delays`), and a
/// 3 ms projection that sets the ring's length; `plastic`: a plastic projection as well
/// (every store then in the wide format).
fn delay_network(delays: [f64; 2], plastic: bool) -> Network {
    let mut b = NetworkBuilder::new(DT, 3);
    let times = vec![vec![2.0, 6.0], vec![4.0]];
    let s = population(
        &mut b,
        "s",
        2,
        NeuronModel::SpikeSource {
            spike_times_ms: times,
        },
    );
    let post = population(&mut b, "post", 2, quiet_lif());
    let other = population(&mut b, "other", 2, quiet_lif());
    let connections = (0..2)
        .map(|i| Connection {
            pre: i,
            post: i,
            weight: 400.0,
            delay_ms: delays[i as usize],
        })
        .collect();
    let edge = |b: &mut NetworkBuilder, post, rule, d| {
        b.projection(
            s,
            post,
            rule,
            WeightDist::Constant(400.0),
            WeightDist::Constant(d),
            Receptor::Excitatory,
        )
        .unwrap()
    };
    edge(&mut b, post, Connectivity::Explicit(connections), 1.0);
    let long = edge(&mut b, other, Connectivity::OneToOne, 3.0);
    if plastic {
        b.plasticity(long, StdpParams::pair(20.0, 20.0, 0.01, 0.0105, 0.0, 1000.0))
            .unwrap();
    }
    b.build().unwrap()
}

#[test]
fn new_delays_act_from_the_next_tick() {
    let mut trains = Vec::new();
    for backend in backends() {
        for plastic in [false, true] {
            let net = delay_network([1.0, 1.0], plastic);
            let [first, long] = net.projection_ids()[..] else {
                unreachable!()
            };
            let mut sim = Simulator::new(&net, backend).unwrap();
            assert_eq!(sim.delays(first).unwrap(), [1.0, 1.0]);
            sim.run_ticks(10).unwrap();
            sim.set_delays(first, &[2.5, 3.0]).unwrap();
            let got = sim.delays(first).unwrap();
            assert!(
                (got[0] - 2.5).abs() < 1e-9 && (got[1] - 3.0).abs() < 1e-9,
                "{got:?}"
            );
            sim.run_ticks(150).unwrap();
            let mut reference = Simulator::new(&delay_network([2.5, 3.0], plastic), backend).unwrap();
            reference.run_ticks(160).unwrap();
            let mut unchanged = Simulator::new(&net, backend).unwrap();
            unchanged.run_ticks(160).unwrap();
            let post = spikes_of(&sim, 2..4);
            assert!(post.len() >= 3, "{backend:?}: the targets fire ({post:?})");
            assert_ne!(
                post,
                spikes_of(&unchanged, 2..4),
                "{backend:?}: the new delays move them"
            );
            assert_eq!(
                sim.spike_records(),
                reference.spike_records(),
                "{backend:?} plastic {plastic}"
            );
            if plastic {
                let e = sim.set_delays(long, &[3.0, 3.0]).unwrap_err().to_string();
                assert!(e.contains("plastic projection"), "{e}");
            }
            trains.push(sim.spike_records().to_vec());
        }
    }
    assert!(
        trains.windows(4).all(|w| w[0] == w[2] && w[1] == w[3]),
        "same spikes on both backends"
    );
}

#[test]
fn bad_changes_are_refused_with_the_field_named() {
    let err = |r: spikegpu::Result<()>| r.expect_err("must be refused").to_string();
    let (net, a, _) = state_network();
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    let e = err(sim.set_state(a, StateVar::V, &[1.0; 3]));
    assert!(
        e.contains("'a'.v") && e.contains("one value per neuron (4)"),
        "{e}"
    );
    let e = err(sim.set_state(a, StateVar::SynInh, &[0.0, f32::NAN, 0.0, 0.0]));
    assert!(e.contains("'a'.syn_i[1]") && e.contains("finite"), "{e}");
    let e = err(sim.set_delays(net.projection_ids()[0], &[1.0; 3]));
    assert!(
        e.contains("delays_ms") && e.contains("one per synapse (12)"),
        "{e}"
    );
    let e = err(sim.set_delays(net.projection_ids()[0], &[1.2; 12]));
    assert!(e.contains("delays_ms[0]") && e.contains("1 to 10 ticks"), "{e}");
    let e = err(sim.set_delays(net.projection_ids()[0], &[0.04; 12]));
    assert!(e.contains("delays_ms[0]") && e.contains("at dt = 0.1 ms"), "{e}");

    let (net, s) = source_network(vec![vec![1.0], vec![]]);
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    sim.run_ticks(30).unwrap();
    let e = err(sim.set_spike_times(s, vec![vec![2.9], vec![]]));
    assert!(
        e.contains("'s'.spike_times_ms[0][0]") && e.contains("before the current time, 3 ms"),
        "{e}"
    );
    let e = err(sim.set_spike_times(s, vec![vec![5.0, 4.0], vec![]]));
    assert!(
        e.contains("spike_times_ms[0][1]") && e.contains("strictly increasing"),
        "{e}"
    );
    let e = err(sim.set_spike_times(s, vec![vec![5.0, 5.01], vec![]]));
    assert!(e.contains("same 0.1 ms tick"), "{e}");
    let e = err(sim.set_spike_times(s, vec![vec![5.0]]));
    assert!(e.contains("one list per neuron (2)"), "{e}");
    let post = net.population_ids()[2];
    let e = err(sim.set_spike_times(post, vec![vec![5.0], vec![]]));
    assert!(
        e.contains("'post'.spike_times_ms") && e.contains("only spike source"),
        "{e}"
    );
    let e = err(sim.set_state(s, StateVar::V, &[0.0, 0.0]));
    assert!(e.contains("'s'.v") && e.contains("no membrane"), "{e}");
    // A refused change leaves the trains as they were.
    sim.run_ticks(20).unwrap();
    assert_eq!(sim.spike_records().iter().filter(|x| x.neuron < 2).count(), 1);

    let (net, src) = rate_network(&[(0.0, 500.0)]);
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    let e = err(sim.set_source_rates(src, &[0.0, 10001.0, 0.0]));
    assert!(
        e.contains("'src'.rate_hz[1]") && e.contains("at most 10000 Hz"),
        "{e}"
    );
    let e = err(sim.set_source_rates(src, &[-1.0, 0.0, 0.0]));
    assert!(e.contains("'src'.rate_hz[0]") && e.contains(">= 0"), "{e}");
    let e = err(sim.set_source_rates(net.population_ids()[1], &[1.0; 4]));
    assert!(e.contains("only Poisson source"), "{e}");
    let e = err(sim.set_poisson_rate(1, 10.0));
    assert!(e.contains("poisson input") && e.contains("has 1"), "{e}");
    let e = err(sim.set_poisson_rate(0, f64::NAN));
    assert!(e.contains("poisson input 0.rate_hz") && e.contains(">= 0"), "{e}");
    let e = err(sim.set_poisson_rate(0, 2e6));
    assert!(e.contains("at most 100 expected spikes per tick"), "{e}");
}

#[test]
fn a_poisson_rate_that_could_overflow_the_fixed_point_scale_is_refused() {
    let mut b = NetworkBuilder::new(DT, 1);
    let post = population(&mut b, "post", 2, quiet_lif());
    // Near the largest summed weight of the finest scale (2^31 / 2^20 = 2048) at build.
    b.poisson_input(post, 100.0, 300.0, Receptor::Excitatory).unwrap();
    let net = b.build().unwrap();
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    let e = sim.set_poisson_rate(0, 5e5).unwrap_err().to_string();
    assert!(e.contains("fixed-point scale"), "{e}");
    sim.set_poisson_rate(0, 50.0).unwrap();
}
