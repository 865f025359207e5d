//! Three neuron models that are not built in, written as equations in model files
//! (`examples/models/qif-neuron.toml`, `hindmarsh-rose.toml`, `wang-buzsaki.toml`), against
//! Brian2 2.11 running the same equations with the same method and dt
//! (`scripts/equation_peers_brian2.py`, numpy target in float64; its spike ticks are
//! `tests/data/equation_peers_brian2.json`).
//!
//! Convention: both simulators integrate a step, then test the threshold on the new state,
//! and stamp a spike with the step's start (spikegpu's tick; Brian2's `t`, stored as
//! `round(t / dt)`), so equal dynamics give equal ticks. Refractoriness is counted the same
//! way (a duration holds `round(t_ref/dt) - 1` steps after the spiking one; a condition holds
//! while it is true on the previous state). spikegpu computes in f32 and Brian2 in f64, so a
//! crossing may move by a step: every spike must lie within one tick (one dt) of Brian2's and
//! the counts must be equal.

use spikegpu::app::modelfile::{ModelFile, load};
use spikegpu::{Backend, Simulator};

/// The model file `examples/models/<name>.toml`.
fn model_file(name: &str) -> ModelFile {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models");
    load(&dir.join(format!("{name}.toml")), None).unwrap()
}

/// Brian2's spike ticks of `model`, per population, and the dt (ms) and duration (ms) it ran.
fn brian2_ticks(model: &str) -> (Vec<(String, Vec<u64>)>, f64, f64) {
    let path = format!(
        "{}/tests/data/equation_peers_brian2.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let entry = &json["models"][model];
    let ticks = entry["spike_ticks"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(pop, ticks)| {
            let ticks = ticks
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_u64().unwrap())
                .collect();
            (pop.clone(), ticks)
        })
        .collect();
    let number = |key: &str| entry[key].as_f64().unwrap();
    (ticks, number("dt_ms"), number("duration_ms"))
}

/// spikegpu's spike ticks of each population of `file` (one neuron each) over `ms`.
fn spikegpu_ticks(file: &ModelFile, backend: Backend, ms: f64) -> Vec<(String, Vec<u64>)> {
    let mut sim = Simulator::new(&file.network, backend).unwrap();
    sim.run_ms(ms).unwrap();
    let spikes = sim.spike_records();
    let mut first = 0;
    file.network
        .populations
        .iter()
        .map(|p| {
            assert_eq!(p.size, 1, "population {}", p.name);
            let ticks = spikes
                .iter()
                .filter(|s| s.neuron == first)
                .map(|s| s.tick)
                .collect();
            first += p.size;
            (p.name.clone(), ticks)
        })
        .collect()
}

/// Asserts the same spike count per population and every spike within one tick of Brian2's;
/// returns the largest tick difference.
fn assert_within_one_tick(model: &str, ours: &[(String, Vec<u64>)], brian2: &[(String, Vec<u64>)]) -> u64 {
    let mut largest = 0;
    for (name, theirs) in brian2 {
        let (_, mine) = ours
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{model}: no population {name}"));
        assert!(!theirs.is_empty(), "{model} {name}: Brian2 has no spikes");
        assert_eq!(
            mine.len(),
            theirs.len(),
            "{model} {name}: spike counts (spikegpu, Brian2); spikegpu {mine:?}, Brian2 {theirs:?}"
        );
        let diff = mine
            .iter()
            .zip(theirs)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap_or(0);
        assert!(
            diff <= 1,
            "{model} {name}: a spike {diff} ticks from Brian2's; spikegpu {mine:?}, Brian2 {theirs:?}"
        );
        let same = mine.iter().zip(theirs).filter(|(a, b)| a == b).count();
        eprintln!(
            "{model} {name}: {} spikes, {same} at Brian2's tick, largest difference {diff} tick",
            mine.len()
        );
        largest = largest.max(diff);
    }
    largest
}

/// Runs `model` on the CPU backend over Brian2's duration and compares.
fn check_cpu_against_brian2(model: &str) {
    let file = model_file(model);
    let (brian2, dt, duration) = brian2_ticks(model);
    assert_eq!(
        file.network.dt_ms, dt,
        "{model}: dt of the file and of the Brian2 run"
    );
    assert_eq!(file.duration_ms, Some(duration));
    let ours = spikegpu_ticks(&file, Backend::Cpu, duration);
    assert_within_one_tick(model, &ours, &brian2);
}

#[test]
fn quadratic_integrate_and_fire_spikes_within_one_tick_of_brian2() {
    check_cpu_against_brian2("qif-neuron");
}

#[test]
fn hindmarsh_rose_bursts_spike_within_one_tick_of_brian2() {
    check_cpu_against_brian2("hindmarsh-rose");
}

#[test]
fn wang_buzsaki_spikes_within_one_tick_of_brian2() {
    check_cpu_against_brian2("wang-buzsaki");
}

#[test]
fn quadratic_integrate_and_fire_on_the_gpu_spikes_as_on_the_cpu_and_within_one_tick_of_brian2() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let file = model_file("qif-neuron");
    let (brian2, _, duration) = brian2_ticks("qif-neuron");
    let gpu = spikegpu_ticks(&file, Backend::Gpu, duration);
    // Only + - * and comparisons: the GPU computes what the CPU computes, bit for bit.
    assert_eq!(gpu, spikegpu_ticks(&file, Backend::Cpu, duration));
    assert_within_one_tick("qif-neuron", &gpu, &brian2);
}
