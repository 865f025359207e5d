//! Input encoders (`spikegpu::encoders`) against their definitions, on both backends, and
//! their bad-input errors.

use crate::common;

use spikegpu::encoders::{Encoder, Presentation, counts_per_window};
use spikegpu::{Backend, Network, NetworkBuilder, PopulationId, Simulator};

const DT: f64 = 0.1;

/// Runs `net` for `ms` on `backend`, returning the simulator.
fn run(net: &Network, backend: Backend, ms: f64) -> Simulator {
    let mut sim = Simulator::new(net, backend).unwrap();
    sim.run_ms(ms).unwrap();
    sim
}

/// The GPU's spike records equal the CPU's, one by one.
fn assert_same_spikes(net: &Network, ms: f64, what: &str) {
    let Some(_ctx) = common::gpu() else { return };
    let cpu = run(net, Backend::Cpu, ms);
    let gpu = run(net, Backend::Gpu, ms);
    assert!(!cpu.spike_records().is_empty(), "{what}: no spikes at all");
    assert_eq!(
        gpu.spike_records(),
        cpu.spike_records(),
        "{what}: GPU spikes differ from the CPU's"
    );
}

/// Three stimuli of 40 intensities each (a ramp, shifted per stimulus) shown for 250 ms with
/// 50 ms rests from 20 ms, at up to 200 Hz.
fn rate_network() -> (Network, PopulationId, Vec<Vec<f64>>, Presentation) {
    let stimuli: Vec<Vec<f64>> = (0..3)
        .map(|k| (0..40).map(|i| f64::from((i + 13 * k) % 40) / 39.0).collect())
        .collect();
    let presentation = Presentation {
        present_ms: 250.0,
        rest_ms: 50.0,
        start_ms: 20.0,
    };
    let mut b = NetworkBuilder::new(DT, 7);
    let pop = b
        .encoder(
            "pixels",
            &Encoder::Rate {
                stimuli: stimuli.clone(),
                max_rate_hz: 200.0,
                presentation,
            },
        )
        .unwrap();
    (b.build().unwrap(), pop, stimuli, presentation)
}

#[test]
fn rate_code_fires_at_the_intensity_rate_only_inside_each_stimulus_window() {
    let (net, pop, stimuli, presentation) = rate_network();
    let end = presentation.end_ms(stimuli.len(), DT);
    // Run past the end: the last rest and 30 ms more stay silent.
    let sim = run(&net, Backend::Cpu, end + 30.0);
    let train = sim.spikes(pop).unwrap();
    let (start, present, period) = presentation.ticks(DT);
    assert_eq!((start, present, period), (200, 2500, 3000));
    for &t in &train.times_ms {
        let tick = (t / DT).round() as u64;
        assert!(tick >= start, "spike at {t} ms before the first window");
        let (k, within) = ((tick - start) / period, (tick - start) % period);
        assert!(k < 3 && within < present, "spike at {t} ms outside every window");
    }
    let counts = counts_per_window(&train, 40, &presentation, 3, DT);
    assert_eq!(
        counts.iter().flatten().map(|&c| u64::from(c)).sum::<u64>(),
        train.times_ms.len() as u64,
        "every spike lies in a window"
    );
    // Each neuron's count in a window is binomial(2500, p = 200 Hz x dt x intensity).
    let mut total = 0.0;
    let mut expected_total = 0.0;
    let mut variance_total = 0.0;
    for (k, row) in stimuli.iter().enumerate() {
        for (i, &x) in row.iter().enumerate() {
            let p = 200.0 * DT * 1e-3 * x;
            let (mean, var) = (present as f64 * p, present as f64 * p * (1.0 - p));
            let c = f64::from(counts[k][i]);
            assert!(
                (c - mean).abs() <= 5.0 * var.sqrt() + 1.0,
                "stimulus {k} neuron {i}: {c} spikes, expected {mean:.1} +- {:.1}",
                var.sqrt()
            );
            total += c;
            expected_total += mean;
            variance_total += var;
        }
    }
    assert!(
        (total - expected_total).abs() <= 4.0 * variance_total.sqrt(),
        "{total} spikes in all, expected {expected_total:.0} +- {:.0}",
        variance_total.sqrt()
    );
    // Intensity 0 never fires.
    for (k, row) in stimuli.iter().enumerate() {
        for (i, _) in row.iter().enumerate().filter(|(_, x)| **x == 0.0) {
            assert_eq!(counts[k][i], 0, "stimulus {k} neuron {i} has intensity 0");
        }
    }
}

#[test]
fn rate_code_spike_trains_are_identical_on_gpu_and_cpu() {
    let (net, _, stimuli, presentation) = rate_network();
    assert_same_spikes(&net, presentation.end_ms(stimuli.len(), DT) + 10.0, "rate code");
}

/// The error of adding `encoder` to a fresh network at dt = 0.1 ms.
fn encoder_error(encoder: &Encoder) -> String {
    let mut b = NetworkBuilder::new(DT, 1);
    match b.encoder("in", encoder) {
        Ok(_) => b.build().expect_err("the encoder is refused").to_string(),
        Err(e) => e.to_string(),
    }
}

fn rate(stimuli: Vec<Vec<f64>>, max_rate_hz: f64, present_ms: f64) -> Encoder {
    Encoder::Rate {
        stimuli,
        max_rate_hz,
        presentation: Presentation::new(present_ms, 10.0),
    }
}

#[test]
fn rate_code_refuses_bad_input_naming_the_field_and_the_range() {
    let cases: [(Encoder, &[&str]); 8] = [
        (
            rate(vec![vec![0.5, f64::NAN]], 100.0, 50.0),
            &["encoder 'in' (rate).stimuli[0][1]", "finite"],
        ),
        (
            rate(vec![vec![0.5, 1.5]], 100.0, 50.0),
            &["stimuli[0][1] = 1.5", "[0, 1]"],
        ),
        (
            rate(vec![vec![0.5, -0.1]], 100.0, 50.0),
            &["stimuli[0][1] = -0.1", "[0, 1]"],
        ),
        (
            rate(vec![vec![0.5]], -5.0, 50.0),
            &["max_rate_hz = -5", "[0, 10000] Hz"],
        ),
        (
            rate(vec![vec![0.5]], 20_000.0, 50.0),
            &["max_rate_hz = 20000", "once per tick"],
        ),
        (rate(vec![], 100.0, 50.0), &["stimuli", "at least one row"]),
        (
            rate(vec![vec![0.5, 0.5], vec![0.5]], 100.0, 50.0),
            &["stimuli[1]", "first row's length (2)"],
        ),
        (rate(vec![vec![0.5]], 100.0, 0.0), &["present_ms = 0", "> 0"]),
    ];
    for (encoder, needles) in cases {
        let msg = encoder_error(&encoder);
        for needle in needles {
            assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
        }
    }
    let msg = encoder_error(&rate(vec![vec![0.5]], 100.0, 0.04));
    assert!(
        msg.contains("present_ms = 0.04") && msg.contains("at least one tick"),
        "{msg}"
    );
}
