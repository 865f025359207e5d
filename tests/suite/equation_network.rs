//! A network of a neuron model that is not built in against Brian2 2.11 across seeds:
//! `examples/models/qif_network.toml` (4,000 QIF neurons written as equations, exponential
//! synaptic currents, 2% connectivity, Poisson drive). `tests/data/gen_qif_network_brian2.py`
//! builds the same network in Brian2 from the file (same equations, method, dt, refractoriness,
//! connectivity rule, weights, delays, Poisson counts, initial values) and runs it for ten
//! seeds; `tests/data/qif_network_brian2.json` holds each seed's rate and CV of ISI, defined
//! as `spikegpu::app::stats` defines them, over the first 300 ms and the whole second.
//!
//! spikegpu runs the file under `conventions = "brian2"` (input of delay `d` from step
//! `t + d + 1`, Brian2's refractory hold and stamps) for three seeds of 300 ms on the CPU
//! backend. Bounds, with `m` and `s` the mean and sample standard deviation of Brian2's ten
//! seeds: each spikegpu seed's rate and CV lie within `m +/- 4 s`; the mean of spikegpu's
//! seeds lies within `4 s sqrt(1/10 + 1/3)` of `m` (a two-sample bound taking Brian2's spread
//! for both samples, since three seeds estimate a spread poorly).

use spikegpu::app::modelfile::{ModelFile, load};
use spikegpu::app::stats::{mean_cv_isi, mean_rate_hz, spike_hash};
use spikegpu::{Backend, Conventions, Simulator};

/// Length of each spikegpu run and the Brian2 window it is compared with.
const WINDOW_MS: f64 = 300.0;
/// spikegpu's seeds.
const SEEDS: [u64; 3] = [1, 2, 3];
/// Allowed distance from Brian2's mean, in Brian2's standard deviations across seeds.
const SDS: f64 = 4.0;

/// The network file under Brian2's conventions, with `seed`.
fn qif_network(seed: u64) -> ModelFile {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models/qif_network.toml");
    let mut file = load(&path, Some(seed)).unwrap();
    file.network.conventions = Conventions::Brian2;
    file
}

/// Brian2's (mean, standard deviation, seeds) of `stat` ("rate_hz" or "cv_isi") over the window.
fn brian2_spread(stat: &str) -> (f64, f64, usize) {
    let path = format!(
        "{}/tests/data/qif_network_brian2.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let window = format!("{WINDOW_MS} ms");
    let summary = &json[&window][stat];
    let seeds = json["seeds"].as_array().unwrap().len();
    (
        summary["mean"].as_f64().unwrap(),
        summary["sd"].as_f64().unwrap(),
        seeds,
    )
}

/// (rate Hz, CV of ISI if any neuron spiked three times, spike hash) of one run of `file`
/// over `ms` on `backend`.
fn run(file: &ModelFile, backend: Backend, ms: f64) -> (f64, Option<f64>, u64) {
    let mut sim = Simulator::new(&file.network, backend).unwrap();
    sim.run_ms(ms).unwrap();
    let spikes = sim.spike_records();
    let neurons = file.network.neuron_count();
    let rate = mean_rate_hz(spikes.len(), neurons, ms);
    let cv = mean_cv_isi(spikes, neurons as u32);
    (rate, cv, spike_hash(spikes))
}

/// Checks every seed and the seeds' mean of one statistic against Brian2's spread.
fn check(stat: &str, ours: &[f64]) {
    let (mean, sd, n) = brian2_spread(stat);
    assert!(
        sd > 0.0 && n >= 5,
        "{stat}: Brian2's spread from {n} seeds is {sd}"
    );
    for (seed, x) in SEEDS.iter().zip(ours) {
        let z = (x - mean) / sd;
        eprintln!("{stat}: seed {seed}: spikegpu {x:.4}, Brian2 {mean:.4} +/- {sd:.4} ({z:+.2} sd)");
        assert!(
            z.abs() <= SDS,
            "{stat}, seed {seed}: spikegpu {x} is {z:.2} of Brian2's sd from its mean {mean} (sd {sd}, {n} seeds; bound {SDS})"
        );
    }
    let our_mean = ours.iter().sum::<f64>() / ours.len() as f64;
    let bound = SDS * sd * (1.0 / n as f64 + 1.0 / ours.len() as f64).sqrt();
    eprintln!("{stat}: mean of spikegpu's seeds {our_mean:.4}, Brian2's {mean:.4}, bound {bound:.4}");
    assert!(
        (our_mean - mean).abs() <= bound,
        "{stat}: spikegpu's mean {our_mean} over {} seeds differs from Brian2's {mean} by more than {bound}",
        ours.len()
    );
}

#[test]
fn qif_network_rate_and_cv_of_isi_lie_within_brian2s_spread_across_seeds() {
    let start = std::time::Instant::now();
    let (rates, cvs): (Vec<f64>, Vec<f64>) = SEEDS
        .iter()
        .map(|&seed| {
            let (rate, cv, _) = run(&qif_network(seed), Backend::Cpu, WINDOW_MS);
            (rate, cv.expect("neurons with three spikes"))
        })
        .unzip();
    eprintln!(
        "{} seeds of {WINDOW_MS} ms in {:.2} s",
        SEEDS.len(),
        start.elapsed().as_secs_f64()
    );
    check("rate_hz", &rates);
    check("cv_isi", &cvs);
}

#[test]
fn qif_network_on_the_gpu_spikes_as_on_the_cpu() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let file = qif_network(1);
    // Only + - * and comparisons in the model: the GPU computes what the CPU computes.
    let ms = 100.0;
    let (cpu_rate, _, cpu_hash) = run(&file, Backend::Cpu, ms);
    let (gpu_rate, _, gpu_hash) = run(&file, Backend::Gpu, ms);
    assert!(cpu_rate > 5.0, "the network fires ({cpu_rate} Hz)");
    assert_eq!(
        gpu_hash, cpu_hash,
        "spike hashes (GPU {gpu_rate} Hz, CPU {cpu_rate} Hz)"
    );
}

#[test]
fn bench_reports_the_load_time_of_the_qif_network_with_and_without_noise() {
    use spikegpu::app::bench::{self, BenchConfig, QIF_NETWORK, QIF_NETWORK_NOISE};
    let bench = |model: &str| {
        bench::run(&BenchConfig {
            model: model.into(),
            backend: Backend::Cpu,
            seed: 1,
            duration_ms: 20.0,
            scale: 1.0,
            generate_on_device: false,
            threads: None,
            profile: false,
        })
        .unwrap()
    };
    let (plain, noisy) = (bench(QIF_NETWORK), bench(QIF_NETWORK_NOISE));
    for r in [&plain, &noisy] {
        let load = r.equations_load_s.expect("a user-defined model's load time");
        eprintln!("{}: equations_load_s {load:.4} s, {} spikes", r.model, r.spikes);
        assert!(load > 0.0 && load < 0.5, "{}: load {load} s", r.model);
        assert_eq!(r.neurons, 4000);
    }
    // The file's network (its own conventions), and the noise changes its spikes.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models/qif_network.toml");
    let file = load(&path, Some(1)).unwrap();
    let (_, _, hash) = run(&file, Backend::Cpu, 20.0);
    assert_eq!(plain.spike_hash, format!("{hash:016x}"));
    assert_ne!(plain.spike_hash, noisy.spike_hash);
}
