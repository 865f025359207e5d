//! Stochastic release (PyNN's `SimpleStochasticSynapse`): one source firing `N` times onto
//! relay neurons that spike once per delivered input, so each relay's spike train is the
//! list of transmissions; counts against p = 0, 0.3 and 1, the GPU against the CPU, seeds,
//! model files and the refusals.

use crate::common;

use spikegpu::{
    Backend, Connectivity, CurrentSynapse, InitialValue, LifParams, Network, NetworkBuilder, NeuronModel,
    Receptor, ReleaseProbability, Simulator, TsodyksMarkram, WeightDist,
};

const DT: f64 = 0.1;
/// Source spikes, one per millisecond.
const N: usize = 200;
/// Release probabilities of the four synapses of the stochastic projection.
const P: [f64; 4] = [0.0, 0.3, 0.3, 1.0];

/// Neurons that spike at each delivered input and at nothing else: delta synapses, weight 1
/// over a threshold of 0.5, reset to 0, no refractory period, no leak to speak of.
fn relays(b: &mut NetworkBuilder, name: &str, n: u32) -> spikegpu::PopulationId {
    let lif = LifParams {
        tau_m_ms: 1e9,
        v_rest_mv: 0.0,
        v_reset_mv: 0.0,
        v_thresh_mv: 0.5,
        refractory_ms: 0.0,
        synapse: CurrentSynapse::Delta,
        ..LifParams::default()
    };
    b.population(name, n, NeuronModel::Lif(lif), InitialValue::Constant(0.0))
        .unwrap()
}

fn source(b: &mut NetworkBuilder) -> spikegpu::PopulationId {
    let times: Vec<f64> = (0..N).map(|n| 1.0 + n as f64).collect();
    b.population(
        "source",
        1,
        NeuronModel::SpikeSource {
            spike_times_ms: vec![times],
        },
        InitialValue::Constant(0.0),
    )
    .unwrap()
}

fn all_to_all(
    b: &mut NetworkBuilder,
    pre: spikegpu::PopulationId,
    post: spikegpu::PopulationId,
) -> spikegpu::ProjectionId {
    b.projection(
        pre,
        post,
        Connectivity::AllToAll { autapses: true },
        WeightDist::Constant(1.0),
        WeightDist::Constant(1.0),
        Receptor::Excitatory,
    )
    .unwrap()
}

/// The source onto four relays through stochastic synapses with probabilities `P`, and onto
/// a fifth through a static sibling projection (same rows, no draw).
fn network(seed: u64) -> Network {
    let mut b = NetworkBuilder::new(DT, seed);
    let pre = source(&mut b);
    let post = relays(&mut b, "stochastic", 4);
    let twin = relays(&mut b, "static", 1);
    let p = all_to_all(&mut b, pre, post);
    b.release_probability(p, ReleaseProbability::PerPair(vec![P.to_vec()]))
        .unwrap();
    all_to_all(&mut b, pre, twin);
    b.build().unwrap()
}

/// Per relay (the four stochastic ones, then the static one), its spike ticks.
fn relay_trains(net: &Network, backend: Backend) -> Vec<Vec<u64>> {
    let mut sim = Simulator::new(net, backend).unwrap();
    sim.run_ms(N as f64 + 5.0).unwrap();
    let mut trains = vec![Vec::new(); 5];
    for (pop, first) in [("stochastic", 0), ("static", 4)] {
        let spikes = sim.spikes(net.population(pop).unwrap()).unwrap();
        for (&t, &i) in spikes.times_ms.iter().zip(&spikes.neurons) {
            trains[first + i as usize].push((t / DT).round() as u64);
        }
    }
    trains
}

/// Counts: p = 0 never, p = 1 always (as the static twin), p = 0.3 within 4 standard
/// deviations of N p (34..=86 of 200), and the two p = 0.3 synapses draw independently.
fn check_counts(trains: &[Vec<u64>]) {
    assert_eq!(trains[0].len(), 0, "p = 0 transmits nothing");
    assert_eq!(trains[3].len(), N, "p = 1 transmits every spike");
    assert_eq!(trains[4].len(), N, "the static sibling transmits every spike");
    assert_eq!(trains[3], trains[4]);
    let mean = N as f64 * P[1];
    let sd = (N as f64 * P[1] * (1.0 - P[1])).sqrt();
    for k in [1, 2] {
        let n = trains[k].len() as f64;
        assert!(
            (n - mean).abs() <= 4.0 * sd,
            "p = 0.3 synapse {k}: {n} of {N} (mean {mean}, sd {sd:.2})"
        );
    }
    assert_ne!(trains[1], trains[2], "two synapses draw independently");
}

#[test]
fn release_counts_match_the_probabilities_and_seeds_decide_the_draws() {
    let started = std::time::Instant::now();
    let net = network(7);
    let trains = relay_trains(&net, Backend::Cpu);
    check_counts(&trains);
    assert_eq!(
        relay_trains(&network(7), Backend::Cpu),
        trains,
        "same seed, same draws"
    );
    let other = relay_trains(&network(8), Backend::Cpu);
    check_counts(&other);
    assert_ne!(other[1], trains[1], "another seed, other draws");
    eprintln!("stochastic CPU: {:.2} s", started.elapsed().as_secs_f64());
}

/// The GPU draws the same words and compares them as integers: the same transmissions, so
/// the relays' spike trains are equal tick for tick.
#[test]
fn the_gpu_transmits_exactly_what_the_cpu_does() {
    if common::gpu().is_none() {
        return;
    }
    let started = std::time::Instant::now();
    let net = network(7);
    let gpu = relay_trains(&net, Backend::Gpu);
    check_counts(&gpu);
    assert_eq!(gpu, relay_trains(&net, Backend::Cpu));
    eprintln!("stochastic GPU: {:.2} s", started.elapsed().as_secs_f64());
}

#[test]
fn bad_probabilities_and_unsupported_combinations_are_refused_naming_the_field() {
    let mut b = NetworkBuilder::new(DT, 1);
    let pre = relays(&mut b, "pre", 2);
    let post = relays(&mut b, "post", 3);
    let p = all_to_all(&mut b, pre, post);
    let field = "projection 0.release_probability";
    for bad in [1.5, -0.1, f64::NAN] {
        let e = b
            .release_probability(p, ReleaseProbability::Uniform(bad))
            .unwrap_err()
            .to_string();
        assert!(e.contains(field) && e.contains("[0, 1]"), "{bad}: {e}");
    }
    let rows = |r: Vec<Vec<f64>>| ReleaseProbability::PerPair(r);
    for (bad, named) in [
        (rows(vec![vec![0.5; 3]]), field.to_string()),
        (rows(vec![vec![0.5; 3], vec![0.5; 2]]), format!("{field}[1]")),
        (
            rows(vec![vec![0.5; 3], vec![0.5, 2.0, 0.5]]),
            format!("{field}[1][1]"),
        ),
    ] {
        let e = b.release_probability(p, bad).unwrap_err().to_string();
        assert!(e.contains(&named), "{e}");
    }
    b.release_probability(p, ReleaseProbability::Uniform(0.5))
        .unwrap();
    // STDP on the same projection, checked whichever comes first.
    b.plasticity(p, spikegpu::StdpParams::pair(20.0, 20.0, 0.01, 0.01, 0.0, 1.0))
        .unwrap();
    let e = b.build().unwrap_err().to_string();
    assert!(e.contains(field) && e.contains("STDP"), "{e}");

    let tm = TsodyksMarkram {
        u: 0.5,
        tau_rec_ms: 100.0,
        tau_facil_ms: 0.0,
    };
    // Short-term plasticity on the same projection, or anywhere in the network.
    for same in [true, false] {
        let mut b = NetworkBuilder::new(DT, 1);
        let pre = relays(&mut b, "pre", 2);
        let post = relays(&mut b, "post", 3);
        let p = all_to_all(&mut b, pre, post);
        let q = all_to_all(&mut b, pre, post);
        b.short_term(if same { p } else { q }, tm).unwrap();
        let e = b
            .release_probability(p, ReleaseProbability::Uniform(0.5))
            .unwrap_err()
            .to_string();
        let named = if same {
            "short_term"
        } else {
            "projection 1.short_term"
        };
        assert!(e.contains(field) && e.contains(named), "{e}");
    }
    // Procedural rows store no synapses.
    let mut b = NetworkBuilder::new(DT, 1);
    let pre = relays(&mut b, "pre", 2);
    let post = relays(&mut b, "post", 3);
    let p = common::half_connected(&mut b, pre, post, 1.0).unwrap();
    b.release_probability(p, ReleaseProbability::Uniform(0.5))
        .unwrap();
    b.procedural(p).unwrap();
    let e = b.build().unwrap_err().to_string();
    assert!(e.contains(field) && e.contains("procedural"), "{e}");
}

/// A model file's `release_probability` (a number, or rows per pre-synaptic neuron) reaches
/// the projection; bad values name the field.
#[test]
fn model_files_take_release_probabilities() {
    use spikegpu::app::modelfile;
    let file = |release: &str| {
        format!(
            "dt = \"0.1 ms\"\nseed = 1\n\
             [[population]]\nname = \"pre\"\nsize = 1\nmodel = \"spike_source\"\n\
             spike_times_ms = [[10.0, 30.0]]\n\
             [[population]]\nname = \"post\"\nsize = 4\nmodel = \"lif\"\n\
             [[projection]]\npre = \"pre\"\npost = \"post\"\n\
             connectivity = {{ rule = \"all_to_all\" }}\nweight = 2.0\ndelay = 1.0\n\
             receptor = \"excitatory\"\n{release}\n"
        )
    };
    let parse = |text: &str| modelfile::parse(text, "m.toml", None);
    let release = |text: &str| parse(&file(text)).unwrap().network.projections[0].release.clone();
    assert_eq!(release(""), None);
    assert_eq!(
        release("release_probability = 0.25"),
        Some(ReleaseProbability::Uniform(0.25))
    );
    assert_eq!(
        release("release_probability = 1"),
        Some(ReleaseProbability::Uniform(1.0))
    );
    assert_eq!(
        release("release_probability = [[0.0, 0.5, 0.5, 1]]"),
        Some(ReleaseProbability::PerPair(vec![P_FILE.to_vec()]))
    );
    for (bad, field) in [
        ("release_probability = 1.5", "release_probability"),
        (
            "release_probability = \"half\"",
            "projection[0].release_probability",
        ),
        ("release_probability = [[0.5, 0.5]]", "release_probability[0]"),
        (
            "release_probability = [0.5, 0.5, 0.5, 0.5]",
            "projection[0].release_probability",
        ),
        (
            "release_probability = [[0.5, 0.5, -1, 0.5]]",
            "release_probability[0][2]",
        ),
    ] {
        let err = parse(&file(bad)).expect_err(bad).to_string();
        assert!(err.contains(field), "{bad}: {err}");
    }
}

const P_FILE: [f64; 4] = [0.0, 0.5, 0.5, 1.0];
