//! Tsodyks-Markram short-term plasticity: the amplitudes a regular spike train delivers
//! against the analytic recursion (NEST's `tsodyks2_synapse` order, in f64), on the CPU and
//! the GPU, against NEST 3.10 itself (`tests/data/short_term/`), and the refusals.

use crate::common;

use spikegpu::{
    Backend, Connectivity, CurrentSynapse, InitialValue, LifParams, Network, NetworkBuilder, NeuronModel,
    Receptor, Simulator, TsodyksMarkram, WeightDist,
};

const DT: f64 = 0.1;
const DELAY_MS: f64 = 1.0;
/// Pulls happen this long after each presynaptic spike (its delivery is over by then, the
/// next spike is still to come).
const SETTLE_MS: f64 = 5.0;

const DEPRESSING: TsodyksMarkram = TsodyksMarkram {
    u: 0.5,
    tau_rec_ms: 100.0,
    tau_facil_ms: 0.0,
};
const FACILITATING: TsodyksMarkram = TsodyksMarkram {
    u: 0.1,
    tau_rec_ms: 50.0,
    tau_facil_ms: 500.0,
};

/// Ten spikes at 50 Hz from 10 ms, then a recovery spike 300 ms after the last.
fn train() -> Vec<f64> {
    let mut t: Vec<f64> = (0..10).map(|n| 10.0 + 20.0 * f64::from(n)).collect();
    t.push(t[9] + 300.0);
    t
}

/// LIF neurons that integrate their delta inputs and nothing else (tau_m 1e9 ms, threshold out
/// of reach), so v is the sum of the delivered amplitudes.
fn integrators(b: &mut NetworkBuilder, name: &str, n: u32) -> spikegpu::PopulationId {
    let lif = LifParams {
        tau_m_ms: 1e9,
        v_rest_mv: 0.0,
        v_reset_mv: 0.0,
        v_thresh_mv: 1e6,
        refractory_ms: 0.0,
        synapse: CurrentSynapse::Delta,
        ..LifParams::default()
    };
    b.population(name, n, NeuronModel::Lif(lif), InitialValue::Constant(0.0))
        .unwrap()
}

/// Two sources firing `train()`: one depresses three targets (and reaches a fourth through a
/// static projection after it, sharing its rows), the other facilitates one target.
fn network(weight: f64) -> Network {
    let mut b = NetworkBuilder::new(DT, 1);
    let source = |b: &mut NetworkBuilder, name: &str| {
        b.population(
            name,
            1,
            NeuronModel::SpikeSource {
                spike_times_ms: vec![train()],
            },
            InitialValue::Constant(0.0),
        )
        .unwrap()
    };
    let pre_d = source(&mut b, "pre_d");
    let pre_f = source(&mut b, "pre_f");
    let post_d = integrators(&mut b, "post_d", 3);
    let post_f = integrators(&mut b, "post_f", 1);
    let post_s = integrators(&mut b, "post_s", 1);
    let connect = |b: &mut NetworkBuilder, pre, post, tm: Option<TsodyksMarkram>| {
        let p = b
            .projection(
                pre,
                post,
                Connectivity::AllToAll { autapses: true },
                WeightDist::Constant(weight),
                WeightDist::Constant(DELAY_MS),
                Receptor::Excitatory,
            )
            .unwrap();
        if let Some(tm) = tm {
            b.short_term(p, tm).unwrap();
        }
    };
    connect(&mut b, pre_d, post_d, Some(DEPRESSING));
    connect(&mut b, pre_d, post_s, None);
    connect(&mut b, pre_f, post_f, Some(FACILITATING));
    b.build().unwrap()
}

/// The amplitudes `w u x` of spikes at `times_ms` by the recursion in f64 (the first spike
/// after an infinite interval).
fn analytic(tm: TsodyksMarkram, weight: f64, times_ms: &[f64]) -> Vec<f64> {
    let (mut u, mut x, mut last) = (tm.u, 1.0, f64::NEG_INFINITY);
    times_ms
        .iter()
        .map(|&t| {
            let h: f64 = t - last;
            let u_decay = if tm.tau_facil_ms > 0.0 {
                (-h / tm.tau_facil_ms).exp()
            } else {
                0.0
            };
            x = 1.0 + (x - x * u - 1.0) * (-h / tm.tau_rec_ms).exp();
            u = tm.u + u * (1.0 - tm.u) * u_decay;
            last = t;
            weight * u * x
        })
        .collect()
}

/// Per target neuron (post_d 0-2, post_f, post_s), the amplitude of each spike of the train,
/// read as the rise of v between pulls; and the source's spike times.
fn amplitudes(net: &Network, sim: &mut Simulator) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut before = vec![0.0f64; 5];
    let mut out = vec![Vec::new(); 5];
    let mut now_ms = 0.0;
    for t in train() {
        let ticks = ((t + SETTLE_MS - now_ms) / DT).round() as u64;
        sim.run_ticks(ticks).unwrap();
        now_ms = t + SETTLE_MS;
        let state = sim.pull_state().unwrap();
        let v: Vec<f64> = state[2..7].iter().map(|s| f64::from(s.v)).collect();
        for (k, amplitude) in out.iter_mut().enumerate() {
            amplitude.push(v[k] - before[k]);
        }
        before = v;
    }
    let pre = net.population("pre_d").unwrap();
    (out, sim.spikes(pre).unwrap().times_ms)
}

/// Within this of the weight: f32 state and products, weights in fixed point (2^-20 of a
/// unit at worst) and v summed in f32 (below 10 mV: ulp 1e-6).
const TOLERANCE: f64 = 2e-5;

fn check_against_recursion(backend: Backend) -> Vec<Vec<f64>> {
    let weight = 1.0;
    let net = network(weight);
    let mut sim = Simulator::new(&net, backend).unwrap();
    let (got, spike_times) = amplitudes(&net, &mut sim);
    assert_eq!(
        spike_times.len(),
        train().len(),
        "the source fires its whole train"
    );
    let depressing = analytic(DEPRESSING, weight, &spike_times);
    let facilitating = analytic(FACILITATING, weight, &spike_times);
    for (k, expected) in [&depressing, &depressing, &depressing, &facilitating]
        .iter()
        .enumerate()
    {
        for (n, (g, e)) in got[k].iter().zip(expected.iter()).enumerate() {
            assert!(
                (g - e).abs() <= TOLERANCE * weight,
                "{backend:?} target {k} spike {n}: {g} vs {e}"
            );
        }
    }
    assert!(
        got[4].iter().all(|&a| (a - weight).abs() <= TOLERANCE),
        "static sibling: {:?}",
        got[4]
    );
    // The shapes the cases are chosen for: depression, then recovery; facilitation.
    assert!(depressing[9] < 0.4 * depressing[0] && depressing[10] > 0.9 * depressing[0]);
    assert!(facilitating[9] > 2.0 * facilitating[0]);
    // NEST 3.10's tsodyks2_synapse on the same train (tests/data/short_term/nest_tsodyks2.py).
    let nest: serde_json::Value =
        serde_json::from_str(include_str!("../data/short_term/nest_tsodyks2.json")).unwrap();
    for (name, k) in [("depressing", 0), ("facilitating", 3)] {
        let reference: Vec<f64> = serde_json::from_value(nest[name].clone()).unwrap();
        assert_eq!(reference.len(), got[k].len());
        for (n, (g, r)) in got[k].iter().zip(&reference).enumerate() {
            assert!(
                (g - r).abs() <= TOLERANCE * weight,
                "{backend:?} {name} spike {n}: {g} vs NEST {r}"
            );
        }
    }
    got
}

#[test]
fn amplitudes_follow_the_tsodyks_markram_recursion_on_the_cpu() {
    let started = std::time::Instant::now();
    check_against_recursion(Backend::Cpu);
    eprintln!("short_term CPU check: {:.2} s", started.elapsed().as_secs_f64());
}

/// The GPU delivers the same values as the CPU: the same f32 state updates and fixed-point
/// sums, so v is equal bit for bit.
#[test]
fn the_gpu_delivers_what_the_cpu_does() {
    if common::gpu().is_none() {
        return;
    }
    let started = std::time::Instant::now();
    let gpu = check_against_recursion(Backend::Gpu);
    let cpu = check_against_recursion(Backend::Cpu);
    assert_eq!(gpu, cpu);
    eprintln!("short_term GPU check: {:.2} s", started.elapsed().as_secs_f64());
}

#[test]
fn unsupported_combinations_are_refused_naming_the_field() {
    let mut b = NetworkBuilder::new(DT, 1);
    let pre = integrators(&mut b, "pre", 2);
    let post = integrators(&mut b, "post", 2);
    let p = b
        .projection(
            pre,
            post,
            Connectivity::OneToOne,
            WeightDist::Constant(0.5),
            WeightDist::Constant(1.0),
            Receptor::Excitatory,
        )
        .unwrap();
    let bad = TsodyksMarkram { u: 1.5, ..DEPRESSING };
    let e = b.short_term(p, bad).unwrap_err().to_string();
    assert!(e.contains("projection 0.short_term.u"), "{e}");
    let bad = TsodyksMarkram {
        tau_rec_ms: 0.0,
        ..DEPRESSING
    };
    let e = b.short_term(p, bad).unwrap_err().to_string();
    assert!(e.contains("tau_rec_ms"), "{e}");
    b.short_term(p, DEPRESSING).unwrap();
    let e = b
        .plasticity(p, spikegpu::StdpParams::pair(20.0, 20.0, 0.01, 0.01, 0.0, 1.0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("projection 0.plasticity") && e.contains("short_term"),
        "{e}"
    );
    let e = b.procedural(p).unwrap_err().to_string();
    assert!(e.contains("projection 0.short_term"), "{e}");
    let net = b.build().unwrap();
    let sim = Simulator::new(&net, Backend::Cpu).unwrap();
    let e = sim.export_state().unwrap_err().to_string();
    assert!(e.contains("short_term"), "{e}");
}

/// A model file's `short_term = { ... }` reaches the projection with its units converted (the
/// engine's behaviour is the builder's, tested above), and bad values name the field.
#[test]
fn model_files_take_short_term_plasticity() {
    use spikegpu::app::modelfile;
    let file = |short_term: &str| {
        format!(
            "dt = \"0.1 ms\"\nseed = 1\n\
             [[population]]\nname = \"pre\"\nsize = 1\nmodel = \"spike_source\"\n\
             spike_times_ms = [[10.0, 30.0, 50.0, 70.0]]\n\
             [[population]]\nname = \"post\"\nsize = 2\nmodel = \"lif\"\n\
             [[projection]]\npre = \"pre\"\npost = \"post\"\n\
             connectivity = {{ rule = \"all_to_all\" }}\nweight = 2.0\ndelay = 1.0\n\
             receptor = \"excitatory\"\n{short_term}\n"
        )
    };
    let parse = |text: &str| modelfile::parse(text, "m.toml", None);
    let loaded = parse(&file(
        "short_term = { u = 0.1, tau_rec = \"0.05 s\", tau_facil_ms = 500 }",
    ))
    .unwrap();
    assert_eq!(loaded.network.projections[0].short_term, Some(FACILITATING));
    let per_synapse = parse(&file("short_term = { u = [0.2, 0.3], tau_rec = 50 }")).unwrap();
    assert_eq!(
        per_synapse.network.projections[0].short_term_u,
        Some(vec![0.2, 0.3])
    );
    let plain = parse(&file("")).unwrap();
    assert_eq!(plain.network.projections[0].short_term, None);
    let depressing = parse(&file("short_term = { u = 0.5, tau_rec = \"100 ms\" }")).unwrap();
    assert_eq!(depressing.network.projections[0].short_term, Some(DEPRESSING));
    for (bad, field) in [
        ("short_term = { u = 1.5, tau_rec = \"100 ms\" }", "short_term.u"),
        (
            "short_term = { u = 0.5, tau_rec = \"-1 ms\" }",
            "short_term.tau_rec",
        ),
        (
            "short_term = { u = 0.5, tau_rec = \"100 mV\" }",
            "short_term.tau_rec",
        ),
        ("short_term = { u = 0.5 }", "tau_rec"),
        ("short_term = { u = [0.5, \"a\"], tau_rec = 100 }", "short_term.u"),
        (
            "short_term = { u = [0.5, 0.0], tau_rec = 100 }",
            "short_term.u[1]",
        ),
        ("short_term = { u = 0.5, tau_rec = 100, tau_d = 1 }", "tau_d"),
    ] {
        let err = parse(&file(bad)).expect_err(bad).to_string();
        assert!(err.contains(field), "{bad}: {err}");
    }
}

/// Two sources (the train, and the train 7 ms later) onto eight integrators: the first four
/// through one projection with a `U` per synapse (explicit connections listed out of order,
/// their `U` in the list's order), the last four through four homogeneous projections of one
/// synapse each with those `U`. Each target receives one synapse, so its v must equal its
/// twin's bit for bit. Returns the v of every target after each pull.
fn per_synapse_against_homogeneous(backend: Backend) -> Vec<Vec<f32>> {
    let mut b = NetworkBuilder::new(DT, 1);
    // Six spikes at 50 Hz, then one 100 ms later (a short run: the GPU twin runs on lavapipe).
    let train: Vec<f64> = [10.0, 30.0, 50.0, 70.0, 90.0, 110.0, 210.0].to_vec();
    let later: Vec<f64> = train.iter().map(|t| t + 7.0).collect();
    let pre = b
        .population(
            "pre",
            2,
            NeuronModel::SpikeSource {
                spike_times_ms: vec![train.clone(), later],
            },
            InitialValue::Constant(0.0),
        )
        .unwrap();
    let post = integrators(&mut b, "post", 8);
    // (pre, target, U), listed out of (pre, post) order.
    let synapses = [(1, 3, 0.7), (0, 1, 0.2), (1, 2, 0.3), (0, 0, 0.5)];
    let explicit = |list: &[(u32, u32)]| {
        Connectivity::Explicit(
            list.iter()
                .map(|&(pre, post)| spikegpu::Connection {
                    pre,
                    post,
                    weight: 1.0,
                    delay_ms: DELAY_MS,
                })
                .collect(),
        )
    };
    let connect = |b: &mut NetworkBuilder, list: &[(u32, u32)]| {
        b.projection(
            pre,
            post,
            explicit(list),
            WeightDist::Constant(1.0),
            WeightDist::Constant(DELAY_MS),
            Receptor::Excitatory,
        )
        .unwrap()
    };
    let pairs: Vec<(u32, u32)> = synapses.iter().map(|&(i, j, _)| (i, j)).collect();
    let het = connect(&mut b, &pairs);
    let u: Vec<f64> = synapses.iter().map(|s| s.2).collect();
    b.short_term_per_synapse(het, FACILITATING, u).unwrap();
    for &(i, j, u) in &synapses {
        let twin = connect(&mut b, &[(i, j + 4)]);
        b.short_term(twin, TsodyksMarkram { u, ..FACILITATING }).unwrap();
    }
    let net = b.build().unwrap();
    let mut sim = Simulator::new(&net, backend).unwrap();
    let mut pulls = Vec::new();
    let mut now_ms = 0.0;
    for t in train {
        let ticks = ((t + 10.0 - now_ms) / DT).round() as u64;
        sim.run_ticks(ticks).unwrap();
        now_ms = t + 10.0;
        let state = sim.pull_state().unwrap();
        pulls.push(state[2..10].iter().map(|s| s.v).collect::<Vec<f32>>());
    }
    pulls
}

#[test]
fn a_projection_with_u_per_synapse_equals_homogeneous_twins() {
    let started = std::time::Instant::now();
    let pulls = per_synapse_against_homogeneous(Backend::Cpu);
    for (n, v) in pulls.iter().enumerate() {
        assert_eq!(v[..4], v[4..], "pull {n}: per-synapse U vs homogeneous twins");
    }
    // The four U give four different responses (facilitation grows with 1 - U).
    let last = pulls.last().unwrap();
    for a in 0..4 {
        for b in a + 1..4 {
            assert_ne!(last[a], last[b], "targets {a} and {b}");
        }
    }
    if common::gpu().is_some() {
        let gpu = per_synapse_against_homogeneous(Backend::Gpu);
        assert_eq!(gpu, pulls, "the GPU delivers what the CPU does");
    }
    eprintln!(
        "short_term per-synapse check: {:.2} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn a_bad_u_per_synapse_is_refused_naming_it() {
    let mut b = NetworkBuilder::new(DT, 1);
    let pre = integrators(&mut b, "pre", 2);
    let post = integrators(&mut b, "post", 2);
    let p = b
        .projection(
            pre,
            post,
            Connectivity::AllToAll { autapses: true },
            WeightDist::Constant(0.5),
            WeightDist::Constant(1.0),
            Receptor::Excitatory,
        )
        .unwrap();
    let e = b
        .short_term_per_synapse(p, DEPRESSING, vec![0.5, 0.0, 0.5, 0.5])
        .unwrap_err()
        .to_string();
    assert!(e.contains("projection 0.short_term.u[1]"), "{e}");
    b.short_term_per_synapse(p, DEPRESSING, vec![0.5; 3]).unwrap();
    let net = b.build().unwrap();
    let e = match Simulator::new(&net, Backend::Cpu) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("three U for four synapses were accepted"),
    };
    assert!(
        e.contains("projection 0.short_term.u") && e.contains("one per synapse (4)"),
        "{e}"
    );
}
