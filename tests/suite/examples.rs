//! The example model files of `examples/models/` (issue 16): each is loaded from its file, run
//! on the CPU and checked against the published result it reproduces, whose source each test
//! names.

use std::path::Path;

use spikegpu::app::modelfile::{self, ModelFile, Override};
use spikegpu::{Backend, Simulator, SpikeTrain};

/// Loads `examples/models/<name>.toml` with `overrides` (`KEY=VALUE`).
fn example(name: &str, overrides: &[&str]) -> ModelFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/models")
        .join(format!("{name}.toml"));
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|o| {
            let (k, v) = o.split_once('=').expect("KEY=VALUE");
            Override::new(k, v)
        })
        .collect();
    modelfile::load_with(&path, &overrides).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Runs `model` for its duration on the CPU.
fn run(model: &ModelFile) -> Simulator {
    let mut sim = Simulator::new(&model.network, Backend::Cpu).unwrap();
    sim.run_ms(model.duration_ms.expect("the example gives a duration"))
        .unwrap();
    sim
}

/// The spikes of population `name`.
fn spikes(sim: &Simulator, model: &ModelFile, name: &str) -> SpikeTrain {
    let pop = model.network.population(name).expect("population");
    sim.spikes(pop).unwrap()
}

/// Mean coefficient of variation of the inter-spike intervals over neurons with >= 3 spikes.
fn mean_cv_isi(train: &SpikeTrain, size: usize) -> f64 {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); size];
    for (&t, &i) in train.times_ms.iter().zip(&train.neurons) {
        times[i as usize].push(t);
    }
    let cvs: Vec<f64> = times
        .iter()
        .filter(|t| t.len() >= 3)
        .map(|t| {
            let isi: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
            let mean = isi.iter().sum::<f64>() / isi.len() as f64;
            let var = isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / isi.len() as f64;
            var.sqrt() / mean
        })
        .collect();
    assert!(!cvs.is_empty(), "no neuron fired three times");
    cvs.iter().sum::<f64>() / cvs.len() as f64
}

/// The power spectrum of the population spike count in `bin_ms` bins from `from_ms` to
/// `to_ms`, mean removed, at whole frequencies `1..=max_hz` (a direct Fourier sum).
fn rate_spectrum(train: &SpikeTrain, from_ms: f64, to_ms: f64, bin_ms: f64, max_hz: usize) -> Vec<f64> {
    let bins = ((to_ms - from_ms) / bin_ms).round() as usize;
    let mut counts = vec![0.0f64; bins];
    for &t in &train.times_ms {
        if t >= from_ms && t < to_ms {
            counts[((t - from_ms) / bin_ms) as usize] += 1.0;
        }
    }
    let mean = counts.iter().sum::<f64>() / bins as f64;
    (1..=max_hz)
        .map(|f| {
            let w = 2.0 * std::f64::consts::PI * f as f64 * bin_ms * 1e-3;
            let (mut re, mut im) = (0.0, 0.0);
            for (k, c) in counts.iter().enumerate() {
                re += (c - mean) * (w * k as f64).cos();
                im += (c - mean) * (w * k as f64).sin();
            }
            re * re + im * im
        })
        .collect()
}

/// Brunel & Hakim 1999 (Neural Comput 11:1621): in a sparse inhibitory network each neuron
/// fires irregularly at a few Hz while the population rate oscillates at 100-200 Hz, a
/// frequency set by the delay and far above the single-neuron rate. Reference for these exact
/// parameters: Brian2 2.11 (`scripts/brunel_hakim_brian2.py --duration 1.0 --seed S`,
/// tests/data/brunel_hakim_brian2.json, seeds 1 and 2): spectrum peak 138 and 134 Hz, mean
/// rate 3.57 and 3.59 Hz, ISI CV 0.43 and 0.44.
#[test]
fn brunel_hakim_oscillates_fast_while_single_neurons_fire_slowly_and_irregularly() {
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/brunel_hakim_brian2.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let runs = reference["runs"].as_array().unwrap();
    let mean = |key: &str| runs.iter().map(|r| r[key].as_f64().unwrap()).sum::<f64>() / runs.len() as f64;
    let (brian_peak, brian_rate, brian_cv) = (mean("peak_hz"), mean("mean_rate_hz"), mean("mean_cv_isi"));
    let model = example("brunel-hakim", &[]);
    let duration = model.duration_ms.unwrap();
    let sim = run(&model);
    let train = spikes(&sim, &model, "inh");
    // The first 100 ms are the transient from V = V_r everywhere.
    let late = train.times_ms.iter().filter(|&&t| t >= 100.0).count();
    let rate = late as f64 / 5000.0 / ((duration - 100.0) * 1e-3);
    let power = rate_spectrum(&train, 100.0, duration, 0.5, 1000);
    let peak_hz = 1
        + (20..power.len())
            .max_by(|&a, &b| power[a].total_cmp(&power[b]))
            .unwrap();
    let mut sorted = power[19..].to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let cv = mean_cv_isi(&train, 5000);
    eprintln!(
        "brunel-hakim: peak {peak_hz} Hz (Brian2 {brian_peak:.0}), rate {rate:.2} Hz (Brian2 {brian_rate:.2}), \
         CV {cv:.2} (Brian2 {brian_cv:.2}), peak / median power {:.0}",
        power[peak_hz - 1] / median
    );
    assert!((100..=200).contains(&peak_hz), "peak {peak_hz} Hz");
    assert!(
        (peak_hz as f64 - brian_peak).abs() <= 0.15 * brian_peak,
        "peak {peak_hz} Hz, Brian2 {brian_peak} Hz"
    );
    assert!(power[peak_hz - 1] > 20.0 * median, "no clear oscillation");
    assert!(
        (rate - brian_rate).abs() <= 0.2 * brian_rate,
        "rate {rate} Hz, Brian2 {brian_rate} Hz"
    );
    assert!(
        peak_hz as f64 > 10.0 * rate,
        "the population must oscillate far faster than its neurons fire"
    );
    assert!((cv - brian_cv).abs() <= 0.1, "ISI CV {cv}, Brian2 {brian_cv}");
}

/// The largest volley of `train`: the spikes within 3 ms of its busiest millisecond, as the
/// number of distinct neurons in it and the standard deviation (ms) of their first spike times.
fn volley(train: &SpikeTrain) -> (usize, f64) {
    let mut per_ms = std::collections::BTreeMap::<i64, usize>::new();
    for &t in &train.times_ms {
        *per_ms.entry(t.floor() as i64).or_default() += 1;
    }
    let Some((&busiest, _)) = per_ms.iter().max_by_key(|&(_, &n)| n) else {
        return (0, 0.0);
    };
    let centre = busiest as f64 + 0.5;
    let mut first = std::collections::BTreeMap::<u32, f64>::new();
    for (&t, &i) in train.times_ms.iter().zip(&train.neurons) {
        if (t - centre).abs() <= 3.5 {
            first.entry(i).or_insert(t);
        }
    }
    let n = first.len();
    let mean = first.values().sum::<f64>() / n as f64;
    let var = first.values().map(|t| (t - mean).powi(2)).sum::<f64>() / n as f64;
    (n, var.sqrt())
}

/// The volleys `(a, sigma)` of groups g0..g9 of the synfire chain.
fn chain_volleys(overrides: &[&str]) -> Vec<(usize, f64)> {
    let model = example("synfire-chain", overrides);
    let sim = run(&model);
    (0..10)
        .map(|g| volley(&spikes(&sim, &model, &format!("g{g}"))))
        .collect()
}

/// Diesmann, Gewaltig & Aertsen 1999 (Nature 402:529, Fig. 3): in a chain of groups of
/// w = 100 neurons, a pulse packet with many spikes and a small spread propagates, converging
/// to nearly all w neurons firing with a spread below 1 ms; a packet with few spikes dies out
/// within a few groups; the background keeps the neurons firing at about 2 Hz. Here the input
/// packet has sigma = 1 ms and a = 100 (each neuron of the first group receives all 100 spikes)
/// or a = 30 (each receives 30 of them).
#[test]
fn synfire_chain_carries_a_strong_volley_to_the_last_group_and_loses_a_weak_one() {
    let strong = chain_volleys(&[]);
    let weak = chain_volleys(&["projection.packet->g0.connectivity.k=30"]);
    eprintln!("synfire strong (a, sigma ms): {strong:.2?}\nsynfire weak: {weak:.2?}");
    for (g, &(a, sigma)) in strong.iter().enumerate() {
        assert!(a >= 90, "strong packet, group {g}: only {a} of 100 neurons fired");
        assert!(sigma < 1.0, "strong packet, group {g}: spread {sigma} ms");
    }
    // Background alone puts about 2 Hz x 100 neurons x 7 ms = 1.4 spikes in a 7 ms window.
    for (g, &(a, _)) in weak.iter().enumerate().skip(3) {
        assert!(a < 10, "weak packet, group {g}: still {a} neurons in a volley");
    }
    let quiet = example("synfire-chain", &["projection.packet->g0.connectivity.k=0"]);
    let sim = run(&quiet);
    let duration_s = quiet.duration_ms.unwrap() * 1e-3;
    for g in 0..10 {
        let rate = spikes(&sim, &quiet, &format!("g{g}")).times_ms.len() as f64 / 100.0 / duration_s;
        assert!((0.5..5.0).contains(&rate), "spontaneous rate of g{g}: {rate} Hz");
    }
}

/// The 2-D sheet: every pair of neurons connects with probability p0 exp(-d^2 / (2 sigma^2)),
/// as `sheet-2d.toml` specifies; counted distance bin by distance bin over the exc -> exc
/// projection (1,600 x 1,599 pairs), the connections match the expected number within four
/// standard deviations and their frequency falls with distance. The sheet then fires
/// asynchronously and irregularly (the inhibition-dominated regime of Brunel 2000, J Comput
/// Neurosci 8:183): low mean rate, ISI CV near 1, no neuron far above the rest.
#[test]
fn sheet_connects_by_the_distance_rule_and_fires_irregularly() {
    let model = example("sheet-2d", &[]);
    let (p0, sigma, side) = (0.5, 3.0, 40u32);
    let sim = run(&model);
    let proj = model.network.projection_ids()[0];
    let w = sim.weights(proj).unwrap();
    let at = |i: u32| (f64::from(i % side), f64::from(i / side));
    let dist = |i: u32, j: u32| {
        let ((xi, yi), (xj, yj)) = (at(i), at(j));
        ((xi - xj).powi(2) + (yi - yj).powi(2)).sqrt()
    };
    let bins = 12usize;
    let (mut expected, mut variance, mut pairs) = (vec![0.0; bins], vec![0.0; bins], vec![0u64; bins]);
    for i in 0..side * side {
        for j in (0..side * side).filter(|&j| j != i) {
            let d = dist(i, j);
            if (d as usize) < bins {
                let p = p0 * (-d * d / (2.0 * sigma * sigma)).exp();
                expected[d as usize] += p;
                variance[d as usize] += p * (1.0 - p);
                pairs[d as usize] += 1;
            }
        }
    }
    let mut observed = vec![0.0; bins];
    for (&i, &j) in w.pre.iter().zip(&w.post) {
        assert_ne!(i, j, "no autapses");
        let d = dist(i, j);
        if (d as usize) < bins {
            observed[d as usize] += 1.0;
        }
    }
    let frequency: Vec<f64> = (1..bins).map(|b| observed[b] / pairs[b] as f64).collect();
    eprintln!("sheet: connection frequency by distance 1..{bins}: {frequency:.3?}");
    for b in 1..bins {
        assert!(
            (observed[b] - expected[b]).abs() <= 4.0 * variance[b].sqrt() + 1.0,
            "distance [{b}, {}): {} connections, expected {:.1}",
            b + 1,
            observed[b],
            expected[b]
        );
    }
    assert!(
        frequency.windows(2).all(|f| f[1] < f[0]),
        "the frequency must fall with distance: {frequency:?}"
    );
    let exc = spikes(&sim, &model, "exc");
    let duration = model.duration_ms.unwrap();
    let rate = exc.times_ms.len() as f64 / 1600.0 / (duration * 1e-3);
    let cv = mean_cv_isi(&exc, 1600);
    // Population spike count in 5 ms bins after the first 100 ms: its relative fluctuation
    // (about 0.1 for independent Poisson neurons, near 1 in synchronous regular states).
    let mut counts = vec![0.0f64; ((duration - 100.0) / 5.0) as usize];
    for &t in exc.times_ms.iter().filter(|&&t| t >= 100.0) {
        counts[((t - 100.0) / 5.0) as usize] += 1.0;
    }
    let mean = counts.iter().sum::<f64>() / counts.len() as f64;
    let fluctuation =
        (counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / counts.len() as f64).sqrt() / mean;
    eprintln!("sheet: exc rate {rate:.2} Hz, CV {cv:.2}, population fluctuation {fluctuation:.2}");
    assert!((2.0..30.0).contains(&rate), "mean rate {rate} Hz");
    assert!(
        (0.8..1.3).contains(&cv),
        "irregular firing has an ISI CV near 1: {cv}"
    );
    assert!(
        fluctuation < 0.5,
        "population count fluctuates by {fluctuation} of its mean"
    );
}

// Song, Miller & Abbott 2000 (Nat Neurosci 3:919): `stdp.toml` is the same network as
// `spikegpu::networks::song_miller_abbott` (model_files compares their plans), which
// plasticity::song_miller_abbott_weights_split_to_the_bounds_as_in_brian2 runs for 100 s
// against Brian2's weight distribution; running the file for another 100 s here would test
// nothing more.
