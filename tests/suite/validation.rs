//! Bad input gets a clear error naming the field and the allowed range.

use crate::common;

use spikegpu::plan::Plan;
use spikegpu::{
    Backend, Connectivity, Error, InitialValue, LifParams, NetworkBuilder, NeuronModel, Receptor, Simulator,
    WeightDist, networks,
};

fn lif() -> NeuronModel {
    NeuronModel::Lif(LifParams::default())
}

/// A builder (dt 0.1 ms, seed 1) holding one population "a" of 10 LIF neurons at -60 mV.
fn ten_neurons() -> (NetworkBuilder, spikegpu::PopulationId) {
    let mut b = NetworkBuilder::new(0.1, 1);
    let a = b
        .population("a", 10, lif(), InitialValue::Constant(-60.0))
        .unwrap();
    (b, a)
}

fn message(r: Result<impl std::fmt::Debug, Error>) -> String {
    r.expect_err("expected an error").to_string()
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} should mention {p:?}");
    }
}

#[test]
fn zero_or_negative_dt_is_rejected_with_the_allowed_range() {
    for dt in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        let mut b = NetworkBuilder::new(dt, 1);
        b.population("p", 10, lif(), InitialValue::Constant(-60.0))
            .unwrap();
        assert_mentions(&message(b.build()), &["network.dt_ms", "must be finite and > 0"]);
    }
}

#[test]
fn negative_zero_or_nan_time_constants_are_rejected() {
    type Edit = fn(&mut LifParams);
    let cases: [(&str, Edit); 4] = [
        ("tau_m_ms", |p| p.tau_m_ms = -20.0),
        ("tau_syn_exc_ms", |p| p.tau_syn_exc_ms = 0.0),
        ("tau_syn_inh_ms", |p| p.tau_syn_inh_ms = f64::NAN),
        ("refractory_ms", |p| p.refractory_ms = -1.0),
    ];
    for (field, edit) in cases {
        let mut p = LifParams::default();
        edit(&mut p);
        let mut b = NetworkBuilder::new(0.1, 1);
        let msg = message(b.population("exc", 10, NeuronModel::Lif(p), InitialValue::Constant(-60.0)));
        assert_mentions(&msg, &["population 'exc'", field]);
    }
}

#[test]
fn nan_and_infinite_potentials_are_rejected() {
    let mut b = NetworkBuilder::new(0.1, 1);
    let p = LifParams {
        v_thresh_mv: f64::INFINITY,
        ..LifParams::default()
    };
    assert_mentions(
        &message(b.population("a", 10, NeuronModel::Lif(p), InitialValue::Constant(-60.0))),
        &["v_thresh_mv", "finite"],
    );
    assert_mentions(
        &message(b.population("b", 10, lif(), InitialValue::Constant(f64::NAN))),
        &["population 'b'.v_init_mv", "finite"],
    );
    assert_mentions(
        &message(b.population(
            "c",
            10,
            lif(),
            InitialValue::Uniform {
                low: -50.0,
                high: -60.0,
            },
        )),
        &["v_init_mv.high", "must be >= low"],
    );
    let p = LifParams {
        v_reset_mv: -40.0,
        ..LifParams::default()
    };
    assert_mentions(
        &message(b.population("d", 10, NeuronModel::Lif(p), InitialValue::Constant(-60.0))),
        &["v_reset_mv", "below v_thresh_mv"],
    );
}

#[test]
fn probability_outside_zero_one_is_rejected() {
    for p in [-0.1, 1.5, f64::NAN] {
        let (mut b, a) = ten_neurons();
        let msg = message(b.projection(
            a,
            a,
            Connectivity::FixedProbability { p, autapses: true },
            WeightDist::Constant(1.0),
            WeightDist::Constant(1.0),
            Receptor::Excitatory,
        ));
        assert_mentions(&msg, &["connectivity.p", "probability in [0, 1]"]);
    }
}

#[test]
fn delay_below_one_tick_is_rejected() {
    let (mut b, a) = ten_neurons();
    common::half_connected(&mut b, a, a, 0.04).unwrap();
    assert_mentions(
        &message(b.build()),
        &["projection 0.delay_ms", "at least one tick", "0.05 ms"],
    );
}

#[test]
fn delay_above_the_maximum_is_rejected() {
    let (mut b, a) = ten_neurons();
    common::half_connected(&mut b, a, a, 1000.0).unwrap();
    assert_mentions(&message(b.build()), &["projection 0.delay_ms", "4096 ticks"]);
}

#[test]
fn empty_population_and_empty_network_are_rejected() {
    let mut b = NetworkBuilder::new(0.1, 1);
    assert_mentions(
        &message(b.population("a", 0, lif(), InitialValue::Constant(-60.0))),
        &["population 'a'.size", ">= 1"],
    );
    assert_mentions(&message(NetworkBuilder::new(0.1, 1).build()), &["no population"]);
    b.population("x", 1, lif(), InitialValue::Constant(-60.0))
        .unwrap();
    assert_mentions(
        &message(b.population("x", 1, lif(), InitialValue::Constant(-60.0))),
        &["name", "unique"],
    );
}

#[test]
fn a_population_handle_from_another_network_is_rejected() {
    let mut one = NetworkBuilder::new(0.1, 1);
    let foreign = one
        .population("a", 10, lif(), InitialValue::Constant(-60.0))
        .unwrap();
    let mut two = NetworkBuilder::new(0.1, 1);
    let own = two
        .population("a", 10, lif(), InitialValue::Constant(-60.0))
        .unwrap();
    let msg = message(common::half_connected(&mut two, foreign, own, 1.0));
    assert_mentions(&msg, &["population", "another network"]);
    assert_mentions(
        &message(two.poisson_input(foreign, 10.0, 1.0, Receptor::Excitatory)),
        &["another network"],
    );
}

#[test]
fn weights_of_the_wrong_sign_for_the_receptor_are_rejected() {
    let (mut b, a) = ten_neurons();
    let conn = Connectivity::FixedProbability {
        p: 0.5,
        autapses: true,
    };
    let msg = message(b.projection(
        a,
        a,
        conn.clone(),
        WeightDist::Constant(2.0),
        WeightDist::Constant(1.0),
        Receptor::Inhibitory,
    ));
    assert_mentions(&msg, &["weight", "inhibitory projection needs weights <= 0"]);
    let msg = message(b.projection(
        a,
        a,
        conn,
        WeightDist::Normal {
            mean: 1.0,
            std: 1.0,
            low: -1.0,
            high: 3.0,
        },
        WeightDist::Constant(1.0),
        Receptor::Excitatory,
    ));
    assert_mentions(&msg, &["weight", "excitatory projection needs weights >= 0"]);
}

#[test]
fn negative_rates_and_durations_are_rejected() {
    let (mut b, a) = ten_neurons();
    assert_mentions(
        &message(b.poisson_input(a, -5.0, 1.0, Receptor::Excitatory)),
        &["poisson input 0", "rate_hz", ">= 0"],
    );
    let net = b.build().unwrap();
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    assert_mentions(&message(sim.run_ms(-1.0)), &["duration_ms", ">= 0"]);
    assert_mentions(&message(sim.run_ms(f64::NAN)), &["duration_ms"]);
}

#[test]
fn unknown_backend_names_the_allowed_values() {
    let msg = message("cuda".parse::<Backend>());
    assert_mentions(&msg, &["cuda", "gpu, cpu, auto"]);
    assert_eq!("GPU".parse::<Backend>().unwrap(), Backend::Gpu);
}

#[test]
fn bad_model_scale_is_rejected() {
    assert_mentions(&message(networks::cuba(1, 0.0)), &["scale", "> 0"]);
    assert_mentions(&message(networks::cuba(1, f64::NAN)), &["scale"]);
}

#[test]
fn connectivity_does_not_depend_on_the_number_of_threads() {
    let net = networks::cuba(5, 1.0).unwrap();
    let one = Plan::with_threads(&net, 1).unwrap();
    let three = Plan::with_threads(&net, 3).unwrap();
    assert_eq!(one.row_ptr, three.row_ptr);
    assert_eq!(one.synapses, three.synapses);
    assert_eq!(one.weights, three.weights);
    assert_eq!(one.initial_state, three.initial_state);
    // In-degree is kept near p * N = 80 per port.
    let mean_out = one.synapse_count() as f64 / 4000.0;
    assert!((mean_out - 80.0).abs() < 2.0, "{mean_out}");
}

fn pop_err(model: NeuronModel) -> String {
    let mut b = NetworkBuilder::new(0.1, 1);
    message(b.population("p", 3, model, InitialValue::Constant(-60.0)))
}

#[test]
fn every_model_rejects_parameters_out_of_range_naming_the_field() {
    use spikegpu::{AdExParams, HhParams, IzhikevichParams, LifCondParams};
    let cases: Vec<(NeuronModel, &str)> = vec![
        (
            NeuronModel::LifCond(LifCondParams {
                c_m_pf: -200.0,
                ..LifCondParams::default()
            }),
            "c_m_pf",
        ),
        (
            NeuronModel::LifCond(LifCondParams {
                g_leak_ns: 0.0,
                ..LifCondParams::default()
            }),
            "g_leak_ns",
        ),
        (
            NeuronModel::LifCond(LifCondParams {
                e_inh_mv: 10.0,
                ..LifCondParams::default()
            }),
            "e_inh_mv",
        ),
        (
            NeuronModel::Izhikevich(IzhikevichParams {
                a: -0.02,
                ..IzhikevichParams::default()
            }),
            "a",
        ),
        (
            NeuronModel::Izhikevich(IzhikevichParams {
                c_mv: 40.0,
                ..IzhikevichParams::default()
            }),
            "c_mv",
        ),
        (
            NeuronModel::AdEx(AdExParams {
                delta_t_mv: 0.0,
                ..AdExParams::default()
            }),
            "delta_t_mv",
        ),
        (
            NeuronModel::AdEx(AdExParams {
                tau_w_ms: f64::NAN,
                ..AdExParams::default()
            }),
            "tau_w_ms",
        ),
        (
            NeuronModel::AdEx(AdExParams {
                v_peak_mv: -60.0,
                ..AdExParams::default()
            }),
            "v_t_mv",
        ),
        (
            NeuronModel::HodgkinHuxley(HhParams {
                g_na_ns: -1.0,
                ..HhParams::default()
            }),
            "g_na_ns",
        ),
        (
            NeuronModel::HodgkinHuxley(HhParams {
                refractory_ms: -3.0,
                ..HhParams::default()
            }),
            "refractory_ms",
        ),
    ];
    for (model, field) in cases {
        let msg = pop_err(model);
        assert_mentions(&msg, &["population 'p'", field, "out of range"]);
    }
}

#[test]
fn spike_source_times_that_are_unsorted_negative_or_collide_are_rejected() {
    let src = |times: Vec<Vec<f64>>| NeuronModel::SpikeSource {
        spike_times_ms: times,
    };
    let mut b = NetworkBuilder::new(0.1, 1);
    let msg = message(b.population("s", 1, src(vec![vec![1.0, 0.5]]), InitialValue::Constant(0.0)));
    assert_mentions(&msg, &["spike_times_ms[0][1]", "strictly increasing"]);
    let msg = message(b.population("s", 1, src(vec![vec![-1.0]]), InitialValue::Constant(0.0)));
    assert_mentions(&msg, &["spike_times_ms[0][0]", ">= 0"]);
    let msg = message(b.population("s", 2, src(vec![vec![1.0]]), InitialValue::Constant(0.0)));
    assert_mentions(&msg, &["spike_times_ms", "one list per neuron (2)"]);
    b.population("t", 1, src(vec![vec![1.0, 1.02]]), InitialValue::Constant(0.0))
        .unwrap();
    assert_mentions(&message(b.build()), &["spike_times_ms[0]", "same 0.1 ms tick"]);
}

#[test]
fn an_inhibitory_conductance_projection_with_positive_weights_is_an_error_not_a_flip() {
    let mut b = NetworkBuilder::new(0.1, 1);
    let a = b
        .population(
            "a",
            3,
            NeuronModel::LifCond(spikegpu::LifCondParams::default()),
            InitialValue::Constant(-60.0),
        )
        .unwrap();
    let msg = message(b.projection(
        a,
        a,
        Connectivity::AllToAll { autapses: true },
        WeightDist::Constant(67.0),
        WeightDist::Constant(1.0),
        Receptor::Inhibitory,
    ));
    assert_mentions(
        &msg,
        &["weight", "67", "inhibitory projection needs weights <= 0"],
    );
}

#[test]
fn impossible_connectivity_is_rejected() {
    let (mut b, a) = ten_neurons();
    let c = b
        .population("c", 5, lif(), InitialValue::Constant(-60.0))
        .unwrap();
    let src = b
        .population(
            "s",
            1,
            NeuronModel::SpikeSource {
                spike_times_ms: vec![vec![]],
            },
            InitialValue::Constant(0.0),
        )
        .unwrap();
    let w = WeightDist::Constant(1.0);
    let proj =
        |b: &mut NetworkBuilder, pre, post, rule| b.projection(pre, post, rule, w, w, Receptor::Excitatory);
    assert_mentions(
        &message(proj(
            &mut b,
            a,
            a,
            Connectivity::FixedInDegree {
                k: 10,
                autapses: false,
            },
        )),
        &["connectivity.k", "must be <= 9"],
    );
    assert_mentions(
        &message(proj(
            &mut b,
            a,
            c,
            Connectivity::FixedOutDegree { k: 6, autapses: true },
        )),
        &["connectivity.k", "must be <= 5"],
    );
    assert_mentions(
        &message(proj(&mut b, a, c, Connectivity::OneToOne)),
        &["equal size (10 != 5)"],
    );
    assert_mentions(
        &message(proj(&mut b, a, src, Connectivity::AllToAll { autapses: true })),
        &["post", "source population cannot receive synapses"],
    );
}

#[test]
fn bad_inputs_and_heterogeneous_parameters_are_rejected() {
    let mut b = NetworkBuilder::new(0.1, 1);
    let a = b
        .population("a", 3, lif(), InitialValue::Constant(-60.0))
        .unwrap();
    assert_mentions(
        &message(b.current_input(a, spikegpu::CurrentSource::Noise { mean: 0.0, std: -1.0 })),
        &["current input 0", "std", ">= 0"],
    );
    assert_mentions(
        &message(b.current_input(
            a,
            spikegpu::CurrentSource::Step {
                times_ms: vec![1.0, 2.0],
                amplitudes: vec![1.0],
            },
        )),
        &["amplitudes", "one amplitude per time"],
    );
    assert_mentions(
        &message(b.poisson_schedule(a, &[(5.0, 10.0)], 1.0, Receptor::Excitatory)),
        &["schedule", "must start at 0 ms"],
    );
    assert_mentions(
        &message(b.poisson_schedule(a, &[(0.0, 10.0), (0.0, 5.0)], 1.0, Receptor::Excitatory)),
        &["schedule[1].start_ms", "increase strictly"],
    );
    assert_mentions(
        &message(b.izhikevich_per_neuron(a, vec![[0.02, 0.2, -65.0, 8.0]; 3])),
        &["izhikevich_per_neuron", "needs an Izhikevich population"],
    );
    let izh = b
        .population(
            "izh",
            2,
            NeuronModel::Izhikevich(spikegpu::IzhikevichParams::default()),
            InitialValue::Constant(-65.0),
        )
        .unwrap();
    assert_mentions(
        &message(b.izhikevich_per_neuron(izh, vec![[0.02, 0.2, -65.0, 8.0]])),
        &["one row per neuron (2)"],
    );
    assert_mentions(
        &message(b.izhikevich_per_neuron(izh, vec![[0.02, 0.2, -65.0, 8.0], [-1.0, 0.2, -65.0, 8.0]])),
        &["izhikevich_per_neuron[1].a"],
    );
    assert_mentions(
        &message(b.initial_value(
            a,
            spikegpu::StateVar::SynExc,
            InitialValue::Normal { mean: 1.0, std: -2.0 },
        )),
        &["initial SynExc.std", ">= 0"],
    );
}

#[test]
fn per_neuron_parameters_are_checked() {
    use spikegpu::{NeuronParam, PerNeuron};
    let mut b = NetworkBuilder::new(0.1, 1);
    let a = b
        .population("a", 3, lif(), InitialValue::Constant(-60.0))
        .unwrap();
    assert_mentions(
        &message(b.per_neuron(a, NeuronParam::Threshold, PerNeuron::Values(vec![-50.0; 2]))),
        &["per_neuron Threshold", "one per neuron (3)"],
    );
    assert_mentions(
        &message(b.per_neuron(
            a,
            NeuronParam::Threshold,
            PerNeuron::Values(vec![-50.0, -65.0, -50.0]),
        )),
        &["per_neuron Threshold[1]", "above the reset potential -60"],
    );
    assert_mentions(
        &message(b.per_neuron(a, NeuronParam::Bias, PerNeuron::Values(vec![0.0, f64::NAN, 0.0]))),
        &["per_neuron Bias[1]", "finite"],
    );
    let izh = b
        .population(
            "izh",
            2,
            NeuronModel::Izhikevich(spikegpu::IzhikevichParams::default()),
            InitialValue::Constant(-65.0),
        )
        .unwrap();
    assert_mentions(
        &message(b.per_neuron(izh, NeuronParam::Threshold, PerNeuron::Values(vec![30.0; 2]))),
        &["apply to LIF, conductance LIF, AdEx and HH"],
    );
    // A drawn threshold that can fall below reset is caught when the network is planned.
    b.per_neuron(
        a,
        NeuronParam::Threshold,
        PerNeuron::Drawn(InitialValue::Normal {
            mean: -55.0,
            std: 30.0,
        }),
    )
    .unwrap();
    let net = b.build().unwrap();
    assert_mentions(
        &message(Plan::new(&net)),
        &["per_neuron Threshold of neuron", "above the reset potential"],
    );
}

#[test]
fn bad_plasticity_parameters_are_refused_naming_the_field() {
    use spikegpu::{StdpParams, WeightDependence};
    let (mut b, a) = ten_neurons();
    let conn = Connectivity::FixedProbability {
        p: 0.5,
        autapses: false,
    };
    let exc = b
        .projection(
            a,
            a,
            conn.clone(),
            WeightDist::Constant(0.5),
            WeightDist::Constant(1.0),
            Receptor::Excitatory,
        )
        .unwrap();
    let inh = b
        .projection(
            a,
            a,
            conn,
            WeightDist::Constant(-0.5),
            WeightDist::Constant(1.0),
            Receptor::Inhibitory,
        )
        .unwrap();
    let pair = || StdpParams::pair(20.0, 20.0, 0.01, 0.01, 0.0, 1.0);
    let cases: Vec<(StdpParams, &str)> = vec![
        (
            StdpParams {
                tau_plus_ms: -20.0,
                ..pair()
            },
            "tau_plus_ms",
        ),
        (
            StdpParams {
                tau_y_ms: 0.0,
                ..pair()
            },
            "tau_y_ms",
        ),
        (
            StdpParams {
                a2_minus: -0.01,
                ..pair()
            },
            "a2_minus",
        ),
        (
            StdpParams {
                a3_plus: f64::NAN,
                ..pair()
            },
            "a3_plus",
        ),
        (StdpParams { w_min: 2.0, ..pair() }, "w_min"),
        (
            StdpParams {
                dendritic_fraction: 1.5,
                ..pair()
            },
            "dendritic_fraction",
        ),
        (
            StdpParams {
                dependence: WeightDependence::PowerLaw { mu: -1.0 },
                ..pair()
            },
            "dependence.mu",
        ),
        (
            StdpParams { w_max: 0.2, ..pair() },
            "initial weights of a plastic projection must lie in",
        ),
    ];
    for (rule, expected) in cases {
        assert_mentions(&message(b.plasticity(exc, rule)), &[expected]);
    }
    assert_mentions(
        &message(b.plasticity(inh, pair())),
        &["inhibitory projection cannot be plastic"],
    );
    assert_mentions(
        &message(b.plasticity(
            exc,
            StdpParams {
                a2_plus: -1.0,
                ..pair()
            },
        )),
        &["magnitude", ">= 0 (the rule gives the sign)"],
    );
}

/// Reward modulation: bad time constants and intervals, a channel of another network, a
/// channel declared twice, projections that disagree on the interval, and host calls on the
/// wrong projection or with a non-finite level.
#[test]
fn reward_modulation_rejects_bad_parameters_and_channels() {
    use spikegpu::{ModulatorChannel, Neuromodulator, RewardModulation, StdpParams};
    let setup = || {
        let (mut b, a) = ten_neurons();
        let projs: Vec<_> = (0..2)
            .map(|_| {
                b.projection(
                    a,
                    a,
                    Connectivity::FixedProbability {
                        p: 0.5,
                        autapses: false,
                    },
                    WeightDist::Constant(0.5),
                    WeightDist::Constant(1.0),
                    Receptor::Excitatory,
                )
                .unwrap()
            })
            .collect();
        (b, a, projs)
    };
    let modulated = |m: RewardModulation| StdpParams {
        modulation: Some(m),
        ..StdpParams::pair(20.0, 20.0, 0.01, 0.01, 0.0, 1.0)
    };
    let base = RewardModulation::izhikevich_2007();
    let (mut b, _, projs) = setup();
    let (_, other_pop, _) = setup();
    for (m, expected) in [
        (
            RewardModulation {
                tau_eligibility_ms: -5.0,
                ..base
            },
            "modulation.tau_eligibility_ms",
        ),
        (
            RewardModulation {
                update_interval_ms: 0.0,
                ..base
            },
            "modulation.update_interval_ms",
        ),
        (
            RewardModulation {
                channel: ModulatorChannel::Population(other_pop),
                ..base
            },
            "modulation.channel",
        ),
    ] {
        assert_mentions(&message(b.plasticity(projs[0], modulated(m))), &[expected]);
    }
    for (params, expected) in [
        (
            Neuromodulator {
                tau_ms: 0.0,
                baseline: 0.0,
            },
            "tau_ms",
        ),
        (
            Neuromodulator {
                tau_ms: 100.0,
                baseline: f64::NAN,
            },
            "baseline",
        ),
    ] {
        assert_mentions(
            &message(b.neuromodulator(ModulatorChannel::Global, params)),
            &["neuromodulator 'global'", expected],
        );
    }
    assert_mentions(
        &message(b.neuromodulator(ModulatorChannel::Population(other_pop), Neuromodulator::default())),
        &["must be a population of this network"],
    );
    b.neuromodulator(ModulatorChannel::Global, Neuromodulator::default())
        .unwrap();
    assert_mentions(
        &message(b.neuromodulator(ModulatorChannel::Global, Neuromodulator::default())),
        &["declared at most once"],
    );
    b.plasticity(projs[0], modulated(base)).unwrap();
    b.plasticity(
        projs[1],
        modulated(RewardModulation {
            update_interval_ms: 10.0,
            ..base
        }),
    )
    .unwrap();
    assert_mentions(
        &message(b.build()),
        &[
            "projection 1 plasticity.modulation.update_interval_ms",
            "one update interval",
        ],
    );
    let (mut b, _, projs) = setup();
    b.plasticity(projs[0], modulated(base)).unwrap();
    let net = b.build().unwrap();
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    assert_mentions(
        &message(sim.set_modulator(ModulatorChannel::Global, f64::INFINITY)),
        &["modulator level", "finite"],
    );
    assert_mentions(
        &message(sim.set_modulator(ModulatorChannel::Population(other_pop), 1.0)),
        &["population"],
    );
    assert_mentions(&message(sim.eligibility(projs[1])), &["not reward-modulated"]);
    let c = sim.eligibility(projs[0]).unwrap();
    assert_eq!(c.len(), sim.weights(projs[0]).unwrap().weights.len());
    assert!(c.iter().all(|&c| c == 0.0));
}

/// A truncated normal must keep a usable share of the normal's mass: the error names the
/// bounds and the share it holds; a negative standard deviation is named too.
#[test]
fn truncated_normal_bounds_holding_too_little_mass_are_rejected() {
    let (mut b, a) = ten_neurons();
    let conn = Connectivity::FixedProbability {
        p: 0.5,
        autapses: true,
    };
    let project = |b: &mut NetworkBuilder, weight| {
        message(b.projection(
            a,
            a,
            conn.clone(),
            weight,
            WeightDist::Constant(1.0),
            Receptor::Excitatory,
        ))
    };
    // 2 to 3 sd above the mean: 2.1% of the mass.
    let msg = project(
        &mut b,
        WeightDist::TruncatedNormal {
            mean: 1.0,
            std: 1.0,
            low: 3.0,
            high: 4.0,
        },
    );
    assert_mentions(&msg, &["weight.low/high", "[3, 4]", "at least 0.25", "2.1"]);
    let msg = project(
        &mut b,
        WeightDist::TruncatedNormal {
            mean: 1.0,
            std: -1.0,
            low: 0.0,
            high: 4.0,
        },
    );
    assert_mentions(&msg, &["weight.std"]);
    // Half the mass (above the mean) is fine.
    b.projection(
        a,
        a,
        conn,
        WeightDist::TruncatedNormal {
            mean: 1.0,
            std: 1.0,
            low: 1.0,
            high: f64::MAX,
        },
        WeightDist::Constant(1.0),
        Receptor::Excitatory,
    )
    .unwrap();
    assert!(b.build().is_ok());
}
