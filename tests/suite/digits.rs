//! Unsupervised learning of the 8x8 digits after Diehl & Cook 2015
//! (`spikegpu::networks::diehl_cook`, `examples/diehl_cook.rs`), on a short schedule: the
//! same seed gives the same outcome, the GPU backend the CPU's, and training lifts the
//! accuracy far above chance. The full schedule (>= 85%) is the example's, not CI's.

use spikegpu::Backend;
use spikegpu::networks::diehl_cook::{DiehlCookOutcome, DiehlCookParams, Digits, run};

fn digits() -> Digits {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/digits8x8.txt");
    Digits::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A schedule of about a second on the CPU: 40 neurons, short presentations.
fn short() -> DiehlCookParams {
    DiehlCookParams {
        excitatory: 40,
        present_ms: 150.0,
        rest_ms: 50.0,
        epochs: 1,
        ..DiehlCookParams::default()
    }
}

/// Everything but the wall times.
fn figures(o: &DiehlCookOutcome) -> String {
    format!(
        "{} {} {} {} {} {} {} {} {} {}",
        o.train_images,
        o.test_images,
        o.test_accuracy,
        o.train_accuracy,
        o.unlabelled_neurons,
        o.silent_test_images,
        o.synops_per_sample,
        o.spikes_per_sample,
        o.excitatory_spikes_per_sample,
        o.excitatory
    )
}

#[test]
fn the_digits_file_holds_1797_labelled_images_and_splits_a_quarter_off() {
    let d = digits();
    assert_eq!(d.len(), 1797);
    assert_eq!((d.labels[0], d.labels[1], d.labels[1796]), (0, 1, 8));
    assert!(d.pixels.iter().flatten().all(|&p| p <= 16));
    let (train, test) = d.split(1, 0.25);
    assert_eq!((train.len(), test.len()), (1347, 450));
    let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
    all.sort_unstable();
    assert!(all.iter().enumerate().all(|(i, &k)| i == k), "a permutation");
    assert_ne!(d.split(2, 0.25).1, test, "the seed picks the split");
}

#[test]
fn a_malformed_digits_line_is_refused_with_its_line_number() {
    let err = Digits::parse("3 0123\n").unwrap_err().to_string();
    assert!(err.contains("digits line 1"), "{err}");
    let err = Digits::parse(&format!("0 {}\n12 {}\n", "0".repeat(64), "0".repeat(64)))
        .unwrap_err()
        .to_string();
    assert!(err.contains("digits line 2"), "{err}");
    let bad = DiehlCookParams {
        max_rate_hz: 5000.0,
        ..DiehlCookParams::default()
    };
    let err = bad.validate().unwrap_err().to_string();
    assert!(err.contains("diehl_cook.max_rate_hz"), "{err}");
}

#[test]
fn short_diehl_cook_training_is_deterministic_and_far_above_chance() {
    let d = digits();
    let (train, test) = d.split(5, 0.25);
    let (train, test) = (&train[..300], &test[..100]);
    let clock = std::time::Instant::now();
    let a = run(&d, train, test, &short(), Backend::Cpu).unwrap();
    let b = run(&d, train, test, &short(), Backend::Cpu).unwrap();
    eprintln!(
        "{} ({:.1} s for both)",
        figures(&a),
        clock.elapsed().as_secs_f64()
    );
    assert_eq!(figures(&a), figures(&b), "same seed, same outcome");
    // Without learning (no STDP, no threshold rise) the random weights label poorly.
    let frozen = DiehlCookParams {
        a_plus: 0.0,
        a_minus: 0.0,
        theta_plus_mv: 0.0,
        ..short()
    };
    let untrained = run(&d, train, test, &frozen, Backend::Cpu).unwrap();
    eprintln!("untrained: {}", figures(&untrained));
    assert!(
        a.test_accuracy > 0.4,
        "test accuracy {} (chance 0.1)",
        a.test_accuracy
    );
    assert!(
        a.test_accuracy > untrained.test_accuracy + 0.1,
        "trained {} vs untrained {}",
        a.test_accuracy,
        untrained.test_accuracy
    );
    assert!(a.synops_per_sample > 0.0 && a.excitatory_spikes_per_sample > 1.0);
    let other = DiehlCookParams { seed: 6, ..short() };
    let c = run(&d, train, test, &other, Backend::Cpu).unwrap();
    assert_ne!(figures(&a), figures(&c), "another seed, other input trains");
}

#[test]
fn short_diehl_cook_training_on_the_gpu_gives_the_cpu_outcome() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let d = digits();
    let (train, test) = d.split(5, 0.25);
    let (train, test) = (&train[..8], &test[..6]);
    // Lavapipe takes over 1 ms a tick here: dt 1 ms and 80 ms an image keep this to seconds.
    let p = DiehlCookParams {
        dt_ms: 1.0,
        present_ms: 60.0,
        rest_ms: 20.0,
        ..short()
    };
    let cpu = run(&d, train, test, &p, Backend::Cpu).unwrap();
    let clock = std::time::Instant::now();
    let gpu = run(&d, train, test, &p, Backend::Gpu).unwrap();
    eprintln!("gpu {:.1} s: {}", clock.elapsed().as_secs_f64(), figures(&gpu));
    assert_eq!(gpu.backend, "gpu");
    assert!(cpu.excitatory_spikes_per_sample > 1.0, "{}", figures(&cpu));
    assert_eq!(figures(&cpu), figures(&gpu));
}
