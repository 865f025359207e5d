//! Input encoders (`spikegpu::encoders`) against their definitions, on both backends, and
//! their bad-input errors.

use crate::common;

use spikegpu::app::modelfile;
use spikegpu::encoders::{
    AddressEvent, Encoder, LatencyScale, Presentation, ReceptiveFields, counts_per_window, crossings,
};
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
    // Short windows and high rates keep the lavapipe run short: 3 windows of 20 ms, 5 ms rests.
    let stimuli: Vec<Vec<f64>> = (0..3)
        .map(|k| (0..40).map(|i| f64::from((i * 7 + k) % 40) / 39.0).collect())
        .collect();
    let presentation = Presentation {
        present_ms: 20.0,
        rest_ms: 5.0,
        start_ms: 2.0,
    };
    let encoder = Encoder::Rate {
        stimuli,
        max_rate_hz: 1000.0,
        presentation,
    };
    let (net, _) = network_of(&encoder);
    assert_same_spikes(&net, presentation.end_ms(3, DT) + 3.0, "rate code");
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

/// Builds a network of one encoder population.
fn network_of(encoder: &Encoder) -> (Network, PopulationId) {
    let mut b = NetworkBuilder::new(DT, 11);
    let pop = b.encoder("in", encoder).unwrap();
    (b.build().unwrap(), pop)
}

/// (tick, neuron) of every spike of `pop` on the CPU, in time order.
fn cpu_spike_ticks(net: &Network, pop: PopulationId, ms: f64) -> Vec<(u64, u32)> {
    let train = run(net, Backend::Cpu, ms).spikes(pop).unwrap();
    let mut out: Vec<(u64, u32)> = train
        .times_ms
        .iter()
        .zip(&train.neurons)
        .map(|(&t, &n)| ((t / DT).round() as u64, n))
        .collect();
    out.sort_unstable();
    out
}

#[test]
fn latency_code_fires_once_at_the_linear_and_logarithmic_latency_ticks() {
    let stimuli = vec![
        vec![1.0, 0.5, 0.25, 0.21, 0.2, 0.0],
        vec![0.0, 1.0, 0.5, 0.25, 0.21, 0.2],
    ];
    let presentation = Presentation {
        present_ms: 30.0,
        rest_ms: 20.0,
        start_ms: 5.0,
    };
    // Window starts: ticks 50 and 550.
    let linear = Encoder::Latency {
        stimuli: stimuli.clone(),
        scale: LatencyScale::Linear { t_max_ms: 20.0 },
        threshold: 0.0,
        presentation,
    };
    // 20 ms x (1 - x): 0, 10, 15, 15.8 and 16 ms; intensity 0 does not fire.
    let (net, pop) = network_of(&linear);
    let expected = vec![
        (50, 0),
        (150, 1),
        (200, 2),
        (208, 3),
        (210, 4),
        (550, 1),
        (650, 2),
        (700, 3),
        (708, 4),
        (710, 5),
    ];
    assert_eq!(cpu_spike_ticks(&net, pop, 110.0), expected, "linear latencies");
    assert_same_spikes(&net, 75.0, "linear latency");
    // 10 ms x ln(x / (x - 0.2)): 2.23, 5.11, 16.09 ms; 0.21 gives 30.4 ms, past the 30 ms
    // window, and 0.2 and 0 are at or below the threshold.
    let log = Encoder::Latency {
        stimuli,
        scale: LatencyScale::Log { tau_ms: 10.0 },
        threshold: 0.2,
        presentation,
    };
    let (net, pop) = network_of(&log);
    let expected = vec![(72, 0), (101, 1), (211, 2), (572, 1), (601, 2), (711, 3)];
    assert_eq!(
        cpu_spike_ticks(&net, pop, 110.0),
        expected,
        "logarithmic latencies"
    );
    assert_same_spikes(&net, 75.0, "log latency");
}

#[test]
fn delta_code_counts_every_crossing_of_a_sine_on_its_on_and_off_channels() {
    // 1.1 sin over 3.25 periods of 1000 samples, one sample per tick: the level climbs to 1.0
    // (4 ON), then swings 1.0 <-> -1.0 (8 crossings per half period): 4 + 3 x 8 = 28 ON and
    // 3 x 8 = 24 OFF. The second channel is the sine's negative: the channels swap.
    let sine: Vec<f64> = (0..=3250)
        .map(|m| 1.1 * (2.0 * std::f64::consts::PI * f64::from(m) / 1000.0).sin())
        .collect();
    let negative: Vec<f64> = sine.iter().map(|x| -x).collect();
    let [on, off] = crossings(&sine, 0.25);
    assert_eq!((on.len(), off.len()), (28, 24));
    // The first ON crossing is the first sample with 1.1 sin >= 0.25.
    let first = (0..).find(|&m| sine[m] >= 0.25).unwrap();
    assert_eq!(on[0], first);
    let encoder = Encoder::Delta {
        signals: vec![sine, negative],
        sample_ms: DT,
        threshold: 0.25,
        start_ms: 2.0,
    };
    let (net, pop) = network_of(&encoder);
    let spikes = cpu_spike_ticks(&net, pop, 400.0);
    let count = |n: u32| spikes.iter().filter(|s| s.1 == n).count();
    assert_eq!([count(0), count(1), count(2), count(3)], [28, 24, 24, 28]);
    let first_on = spikes.iter().find(|s| s.1 == 0).unwrap().0;
    assert_eq!(
        first_on,
        20 + first as u64,
        "at the sample's tick, after the 2 ms start"
    );
    // The first period (100 ms) holds 16 crossings of each channel.
    assert_same_spikes(&net, 110.0, "delta code");
}

#[test]
fn receptive_fields_peak_at_the_neuron_whose_centre_is_the_scalar() {
    let fields = ReceptiveFields {
        neurons: 11,
        low: 0.0,
        high: 1.0,
        width: 1.0,
    };
    assert!((fields.centre(3) - 0.3).abs() < 1e-12);
    let act: Vec<f64> = fields.activations(0.3).collect();
    assert!((act[3] - 1.0).abs() < 1e-12 && (act[4] - (-0.5f64).exp()).abs() < 1e-12);
    let presentation = Presentation::new(500.0, 20.0);
    let encoder = Encoder::ReceptiveField {
        stimuli: vec![vec![0.3, 0.7], vec![0.7, 0.0]],
        fields,
        max_rate_hz: 500.0,
        presentation,
    };
    let (net, pop) = network_of(&encoder);
    let end = presentation.end_ms(2, DT);
    let train = run(&net, Backend::Cpu, end).spikes(pop).unwrap();
    let counts = counts_per_window(&train, 22, &presentation, 2, DT);
    // Stimulus k, scalar s: fields s * 11 .. s * 11 + 11; their peak and their decoded value.
    for (k, s, x, peak) in [(0, 0, 0.3, 3), (0, 1, 0.7, 7), (1, 0, 0.7, 7), (1, 1, 0.0, 0)] {
        let c = &counts[k][s * 11..s * 11 + 11];
        let argmax = (0..11).max_by_key(|&j| c[j]).unwrap();
        assert_eq!(argmax, peak, "stimulus {k} scalar {s}: counts {c:?}");
        if x > 0.0 {
            let total: f64 = c.iter().map(|&n| f64::from(n)).sum();
            let decoded: f64 = (0..11)
                .map(|j| fields.centre(j as u32) * f64::from(c[j]))
                .sum::<f64>()
                / total;
            assert!(
                (decoded - x).abs() < 0.03,
                "stimulus {k} scalar {s}: decoded {decoded}, shown {x}"
            );
        }
    }
    // On the GPU, shorter windows (20 ms) keep the lavapipe run short.
    let short = Presentation::new(20.0, 5.0);
    let encoder = Encoder::ReceptiveField {
        stimuli: vec![vec![0.3, 0.7], vec![0.7, 0.0]],
        fields,
        max_rate_hz: 500.0,
        presentation: short,
    };
    let (net, _) = network_of(&encoder);
    assert_same_spikes(&net, short.end_ms(2, DT), "receptive fields");
}

#[test]
fn address_events_land_on_their_pixel_and_polarity_neuron_with_same_tick_events_merged() {
    let event = |t_ms, x, y, polarity| AddressEvent { t_ms, x, y, polarity };
    let events = vec![
        event(0.0, 1, 2, 1),
        event(0.04, 1, 2, 1),
        event(0.04, 1, 2, 0),
        event(1.0, 3, 0, 0),
        event(2.5, 0, 0, 1),
        event(2.5, 3, 2, 1),
    ];
    let encoder = Encoder::Events {
        width: 4,
        height: 3,
        events,
        start_ms: 1.0,
    };
    assert_eq!(encoder.size(), 24);
    let (net, pop) = network_of(&encoder);
    // Neuron (y * 4 + x) * 2 + p; times + 1 ms; the two ON events of (1, 2) in tick 10 merge.
    let expected = vec![(10, 18), (10, 19), (20, 6), (35, 1), (35, 23)];
    assert_eq!(cpu_spike_ticks(&net, pop, 5.0), expected);
    assert_same_spikes(&net, 5.0, "address events");
}

#[test]
fn other_encoders_refuse_bad_input_naming_the_field_and_the_range() {
    let event = |t_ms, x, y, polarity| AddressEvent { t_ms, x, y, polarity };
    let events = |list: Vec<AddressEvent>| Encoder::Events {
        width: 4,
        height: 3,
        events: list,
        start_ms: 0.0,
    };
    let latency = |threshold, scale| Encoder::Latency {
        stimuli: vec![vec![0.5]],
        scale,
        threshold,
        presentation: Presentation::new(10.0, 0.0),
    };
    let delta = |signals, sample_ms, threshold| Encoder::Delta {
        signals,
        sample_ms,
        threshold,
        start_ms: 0.0,
    };
    let fields = |neurons, high| Encoder::ReceptiveField {
        stimuli: vec![vec![0.5]],
        fields: ReceptiveFields {
            neurons,
            low: 0.0,
            high,
            width: 1.0,
        },
        max_rate_hz: 100.0,
        presentation: Presentation::new(10.0, 0.0),
    };
    let cases: Vec<(Encoder, &[&str])> = vec![
        (
            events(vec![event(0.0, 4, 0, 1)]),
            &["(events).events[0].x = 4", "[0, 3] (width 4)"],
        ),
        (
            events(vec![event(0.0, 0, 3, 1)]),
            &["events[0].y = 3", "[0, 2] (height 3)"],
        ),
        (
            events(vec![event(0.0, 0, 0, 2)]),
            &["events[0].polarity = 2", "0 (OFF) or 1 (ON)"],
        ),
        (
            events(vec![event(1.0, 0, 0, 1), event(0.5, 0, 0, 1)]),
            &["events[1].t_ms = 0.5", "sorted by time"],
        ),
        (
            events(vec![event(f64::NAN, 0, 0, 1)]),
            &["events[0].t_ms = NaN", ">= 0"],
        ),
        (events(vec![]), &["(events).events", "at least one event"]),
        (
            latency(1.0, LatencyScale::Linear { t_max_ms: 5.0 }),
            &["(latency).threshold = 1", "[0, 1)"],
        ),
        (
            latency(0.0, LatencyScale::Log { tau_ms: 5.0 }),
            &["threshold = 0", "(0, 1) for logarithmic"],
        ),
        (
            latency(0.1, LatencyScale::Linear { t_max_ms: -1.0 }),
            &["t_max_ms = -1", "> 0"],
        ),
        (
            delta(vec![vec![0.0, 1.0]], 0.1, 0.0),
            &["(delta).threshold = 0", "> 0"],
        ),
        (
            delta(vec![vec![0.0, 1.0]], 0.01, 0.1),
            &["sample_ms = 0.01", "at least one tick"],
        ),
        (
            delta(vec![vec![0.0, 1.0], vec![0.0]], 0.1, 0.1),
            &["signals[1]", "first row's length (2)"],
        ),
        (delta(vec![], 0.1, 0.1), &["signals", "at least one row"]),
        (fields(1, 1.0), &["(receptive_field).neurons = 1", ">= 2"]),
        (fields(5, -1.0), &["high = -1", "above low = 0"]),
    ];
    for (encoder, needles) in cases {
        let msg = encoder_error(&encoder);
        for needle in needles {
            assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
        }
    }
}

const ENCODER_FILE: &str = r#"dt = "0.1 ms"
[[encoder]]
name = "pixels"
kind = "rate"
stimuli = [[0.0, 0.5, 1.0], [1.0, 0.5, 0.0]]
max_rate = "100 Hz"
present = "50 ms"
rest = "10 ms"
[[encoder]]
name = "camera"
kind = "events"
width = 2
height = 2
events = [[0.0, 1, 1, 1], [0.5, 0, 1, 0]]
[[population]]
name = "out"
size = 2
model = "lif"
[[projection]]
pre = "pixels"
post = "out"
connectivity = { rule = "all_to_all" }
weight = "1 mV"
delay = "1 ms"
receptor = "exc"
"#;

#[test]
fn model_files_declare_encoders_that_projections_refer_to() {
    let file = modelfile::parse(ENCODER_FILE, "m.toml", None).unwrap();
    let sizes: Vec<(String, u32)> = file
        .network
        .populations
        .iter()
        .map(|p| (p.name.clone(), p.size))
        .collect();
    assert_eq!(
        sizes,
        [
            ("out".to_string(), 2),
            ("pixels".to_string(), 3),
            ("camera".to_string(), 8)
        ]
    );
    let error = |from: &str, to: &str| {
        modelfile::parse(&ENCODER_FILE.replace(from, to), "m.toml", None)
            .expect_err("must fail")
            .to_string()
    };
    let msg = error("kind = \"rate\"", "kind = \"ratee\"");
    assert!(
        msg.contains("encoder[0] 'pixels'.kind") && msg.contains("rate, latency, delta"),
        "{msg}"
    );
    let msg = error("rest = \"10 ms\"", "rest = \"10 ms\"\nsignals = [[1.0]]");
    assert!(
        msg.contains("encoder[0] 'pixels'.signals") && msg.contains("not a key of a rate encoder"),
        "{msg}"
    );
    let msg = error("max_rate = \"100 Hz\"\n", "");
    assert!(
        msg.contains("'pixels'.max_rate") && msg.contains("required for a rate encoder"),
        "{msg}"
    );
    let msg = error("[0.5, 0, 1, 0]", "[0.5, 0, 2, 0]");
    assert!(
        msg.contains("'camera'.events[1].y = 2") && msg.contains("[0, 1] (height 2)"),
        "{msg}"
    );
    let msg = error("[0.5, 0, 1, 0]", "[0.5, 0.5, 1, 0]");
    assert!(
        msg.contains("'camera'.events[1].x = 0.5") && msg.contains("whole number"),
        "{msg}"
    );
    // The command line exits 2 on a bad encoder, naming the field.
    let dir = std::env::temp_dir().join(format!("spikegpu-encoders-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, ENCODER_FILE.replace("[0.0, 0.5, 1.0]", "[0.0, 0.5, 1.5]")).unwrap();
    let (code, _, stderr) = common::spikegpu(&["validate", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("'pixels'.stimuli[0][2] = 1.5") && stderr.contains("[0, 1]"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
