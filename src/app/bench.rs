//! The benchmark suite behind `spikegpu bench`: build a standard model, run it, report.

use std::fmt::Write as _;

use std::time::Instant;

use crate::app::sparsity::{Sparsity, sparsity};
use crate::app::stats;
use crate::error::{Result, invalid};
use crate::model::Network;
use crate::networks;
use crate::sim::{Backend, Simulator};

/// Settings of one benchmark run.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// Model name (see [`crate::networks::BENCH_MODELS`]).
    pub model: String,
    /// Backend.
    pub backend: Backend,
    /// Seed.
    pub seed: u64,
    /// Biological time to simulate (ms).
    pub duration_ms: f64,
    /// Neuron-count multiplier (in-degree kept).
    pub scale: f64,
    /// Generate connectivity on the GPU where it qualifies (GPU backend only; see
    /// [`crate::SimOptions::generate_on_device`]).
    pub generate_on_device: bool,
    /// Threads of the CPU backend (`None`: one per core, fewer for small networks; see
    /// [`crate::SimOptions::threads`]).
    pub threads: Option<usize>,
    /// After the timed run, time each GPU stage over [`PROFILE_TICKS`] more ticks at most
    /// ([`BenchReport::profile`]; GPU backend only).
    pub profile: bool,
}

/// Most ticks a `--profile` run times after the benchmark.
pub const PROFILE_TICKS: u64 = 2000;

/// One benchmark row.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BenchReport {
    /// Model name.
    pub model: String,
    /// `cpu` or `gpu`.
    pub backend: String,
    /// Adapter that ran.
    pub adapter: String,
    /// Neurons.
    pub neurons: u64,
    /// Synapses.
    pub synapses: u64,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Simulated time (ms).
    pub duration_ms: f64,
    /// Ticks run.
    pub ticks: u64,
    /// Seconds to build the network, plan it, upload it and compile pipelines.
    pub build_s: f64,
    /// Seconds of those spent describing and planning the network on the host (the rest is
    /// the backend's upload and shader compilation).
    pub plan_s: f64,
    /// Seconds of the run loop (including the final read-back).
    pub run_s: f64,
    /// Real-time factor: wall-clock seconds per simulated second (< 1 is faster than real time).
    pub rtf: f64,
    /// Spikes emitted.
    pub spikes: u64,
    /// Mean rate (Hz).
    pub rate_hz: f64,
    /// Mean CV of ISI over neurons with >= 3 spikes.
    pub cv_isi: Option<f64>,
    /// Synaptic events delivered.
    pub syn_events: u64,
    /// Synaptic events per wall-clock second.
    pub events_per_s: f64,
    /// Neuron updates per wall-clock second.
    pub neuron_updates_per_s: f64,
    /// Device bytes per synapse.
    pub bytes_per_synapse: f64,
    /// Device bytes per plastic synapse, including the transpose index and trace histories.
    pub bytes_per_plastic_synapse: Option<f64>,
    /// FNV-1a hash of the sorted (tick, neuron) list, 16 hex digits.
    pub spike_hash: String,
    /// Compute dispatches per tick (GPU).
    pub dispatches_per_tick: Option<u32>,
    /// Queue submissions (GPU).
    pub submissions: Option<u64>,
    /// Rate of each population over the whole run (initial transient included).
    pub populations: Vec<PopulationRate>,
    /// Peak resident host memory of the process during this benchmark (MiB; Linux).
    pub peak_host_mib: Option<f64>,
    /// Device memory of all buffers (MiB; GPU backend).
    pub device_mib: Option<f64>,
    /// Where the GPU setup time went: shader compilation, connectivity generation, the rest.
    pub gpu_setup: Option<crate::gpu::SetupTimes>,
    /// Load time of the user-defined neuron models (`None` without any): compiling them
    /// (parse, unit check, code generation) and, on the GPU, validating each population's
    /// update with naga and building its pipeline.
    pub equations_load_s: Option<f64>,
    /// Per-stage GPU timing, when asked for and run on the GPU backend.
    pub profile: Option<crate::gpu::StageProfile>,
    /// SynOps, neuron updates, activation and connection sparsity and footprint
    /// (NeuroBench's terms; flattened into the JSON).
    #[serde(flatten)]
    pub sparsity: Sparsity,
}

/// One population's firing rate in a benchmark run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PopulationRate {
    /// Population name.
    pub name: String,
    /// Neurons.
    pub neurons: u32,
    /// Mean rate over the run and every neuron (Hz), from every spike, recorded or not
    /// (always given; an option for the JSON's sake).
    pub rate_hz: Option<f64>,
    /// The published reference rate (Hz), for models that have one per population (the
    /// microcircuit: the full-scale rates of the reference implementation).
    pub reference_hz: Option<f64>,
    /// A second published rate where there is one (the microcircuit's excitatory populations:
    /// the original publication's, `microcircuit::PUBLISHED_RATES_HZ`).
    pub published_hz: Option<f64>,
}

/// The published per-population reference rates of `model`, if it has them: (reference,
/// second published rate).
fn reference_rate_hz(model: &str, population: &str) -> (Option<f64>, Option<f64>) {
    use crate::networks::microcircuit::{POPULATIONS, PUBLISHED_RATES_HZ, REFERENCE_RATES_HZ};
    if model != "microcircuit" {
        return (None, None);
    }
    POPULATIONS
        .iter()
        .position(|p| *p == population)
        .map_or((None, None), |i| {
            (Some(REFERENCE_RATES_HZ[i]), PUBLISHED_RATES_HZ[i])
        })
}

/// Per-population rates of a finished run, from every spike (recorded or not).
fn population_rates(model: &str, sim: &Simulator, duration_ms: f64) -> Vec<PopulationRate> {
    let plan = sim.plan();
    plan.populations
        .iter()
        .zip(sim.population_spike_counts())
        .map(|(p, &count)| {
            let (reference_hz, published_hz) = reference_rate_hz(model, &p.name);
            PopulationRate {
                name: p.name.clone(),
                neurons: p.gpu.size,
                rate_hz: Some(stats::mean_rate_hz(
                    count as usize,
                    u64::from(p.gpu.size),
                    duration_ms,
                )),
                reference_hz,
                published_hz,
            }
        })
        .collect()
}

/// Lines comparing per-population rates with their references, for reports that have them
/// (empty otherwise).
pub fn population_table(reports: &[BenchReport]) -> String {
    let mut s = String::new();
    for r in reports {
        if r.populations.iter().all(|p| p.reference_hz.is_none()) {
            continue;
        }
        let _ = writeln!(
            s,
            "{} {} per population over {} ms (transient included): rate Hz (reference Hz, difference) [original publication Hz, difference]",
            r.model, r.backend, r.duration_ms
        );
        for p in &r.populations {
            let rate = p.rate_hz.map_or("-".into(), |x| format!("{x:.3}"));
            let compare = |r: Option<f64>, (open, close): (&str, &str)| match (p.rate_hz, r) {
                (Some(x), Some(y)) => format!("{open}{y:.3}, {:+.1}%{close}", 100.0 * (x - y) / y),
                (None, Some(y)) => format!("{open}{y:.3}{close}"),
                _ => String::new(),
            };
            let reference = format!(
                "{} {}",
                compare(p.reference_hz, ("(", ")")),
                compare(p.published_hz, ("[", "]"))
            );
            let line = format!("  {:<6} {:>7} neurons {rate:>8} {reference}", p.name, p.neurons);
            let _ = writeln!(s, "{}", line.trim_end());
        }
    }
    s
}

/// A bench model by name only (not in `all`): [`networks::cuba`] with its neurons written as
/// equations (the shipped LIF definition, `examples/models/neuron_models/lif.toml`), to
/// compare a user-defined model's speed with the built-in LIF's (`bench cuba cuba-equations`).
pub const CUBA_EQUATIONS: &str = "cuba-equations";

/// A bench model by name only: the 4,000-neuron QIF network of
/// `examples/models/qif_network.toml` (a neuron model declared as equations in the file), to
/// report the load time of a user-defined model with its network (`equations_load_s`).
pub const QIF_NETWORK: &str = "qif-network";

/// [`QIF_NETWORK`] with white noise in the membrane equation (`+ sigma * sqrt(2 / tau) * xi`,
/// sigma 2 mV): the load then includes the Philox draws of the generated code.
pub const QIF_NETWORK_NOISE: &str = "qif-network-noise";

/// The QIF network's model file, built into the binary so that `bench` needs no files.
const QIF_NETWORK_FILE: &str = include_str!("../../examples/models/qif_network.toml");

/// The membrane equation of [`QIF_NETWORK_FILE`] and its noisy form for [`QIF_NETWORK_NOISE`].
const QIF_MEMBRANE: (&str, &str) = (
    "/ tau : mV (unless refractory)",
    "/ tau + sigma * sqrt(2 / tau) * xi : mV (unless refractory)",
);

/// The QIF network (with noise if `noise`), as its file builds it with `seed`.
fn qif_network(seed: u64, scale: f64, noise: bool) -> Result<Network> {
    if scale != 1.0 {
        return Err(invalid(
            "scale",
            scale,
            "must be 1 for the qif-network models (the network of examples/models/qif_network.toml)",
        ));
    }
    let mut text = QIF_NETWORK_FILE.to_string();
    if noise {
        let (plain, noisy) = QIF_MEMBRANE;
        assert!(
            text.contains(plain),
            "qif_network.toml's membrane equation ends with {plain:?}"
        );
        text = text.replacen(plain, noisy, 1).replacen(
            "params = { tau = \"10 ms\",",
            "params = { sigma = \"2 mV\", tau = \"10 ms\",",
            1,
        );
    }
    Ok(crate::app::modelfile::parse(&text, "examples/models/qif_network.toml", Some(seed))?.network)
}

/// Builds the network of `model`.
pub fn build_model(model: &str, seed: u64, scale: f64) -> Result<crate::model::Network> {
    match model {
        QIF_NETWORK => return qif_network(seed, scale, false),
        QIF_NETWORK_NOISE => return qif_network(seed, scale, true),
        CUBA_EQUATIONS => {}
        _ => return networks::by_name(model, seed, scale),
    }
    let mut net = networks::cuba(seed, scale)?;
    let lif = (crate::neurons::equation::SPEC.defaults)();
    for p in &mut net.populations {
        p.model = lif.clone();
    }
    Ok(net)
}

/// Runs one benchmark.
pub fn run(config: &BenchConfig) -> Result<BenchReport> {
    if !(config.duration_ms.is_finite() && config.duration_ms > 0.0) {
        return Err(invalid(
            "duration_ms",
            config.duration_ms,
            "must be finite and > 0",
        ));
    }
    reset_peak_host_memory();
    let t0 = Instant::now();
    let net = build_model(&config.model, config.seed, config.scale)?;
    let options = crate::SimOptions {
        generate_on_device: config.generate_on_device && config.backend != Backend::Cpu,
        threads: config.threads,
        ..crate::SimOptions::default()
    };
    let mut sim = crate::app::run::open_simulator(&net, config.backend, options)?;
    let build_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    sim.run_ms(config.duration_ms)?;
    let run_s = t1.elapsed().as_secs_f64();
    let mut row = report(&config.model, &net, &sim, build_s, run_s);
    if config.profile {
        row.profile = sim.profile_ticks(row.ticks.clamp(1, PROFILE_TICKS) as u32)?;
    }
    Ok(row)
}

/// Resets the process's peak resident memory (Linux `clear_refs`), so that the next
/// benchmark reports its own peak; elsewhere a no-op.
pub fn reset_peak_host_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory of the process since the last reset, in bytes (Linux `VmHWM`).
pub fn peak_host_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The figures of a finished run.
pub fn report(model: &str, net: &Network, sim: &Simulator, build_s: f64, run_s: f64) -> BenchReport {
    let c = sim.counters();
    let records = sim.spike_records();
    let neurons = net.neuron_count();
    let duration_ms = c.ticks as f64 * net.dt_ms;
    let gpu = sim.gpu_details();
    BenchReport {
        model: model.to_string(),
        backend: sim.backend_name().into(),
        adapter: sim.adapter_name(),
        neurons,
        synapses: sim.synapse_count(),
        dt_ms: net.dt_ms,
        duration_ms,
        ticks: c.ticks,
        build_s,
        plan_s: build_s - sim.build_seconds() + sim.plan_seconds(),
        run_s,
        rtf: run_s / (duration_ms * 1e-3),
        spikes: c.spikes,
        rate_hz: stats::mean_rate_hz(c.spikes as usize, neurons, duration_ms),
        cv_isi: stats::mean_cv_isi(records, sim.plan().n_neurons),
        syn_events: c.syn_events,
        events_per_s: c.syn_events as f64 / run_s,
        neuron_updates_per_s: neurons as f64 * c.ticks as f64 / run_s,
        bytes_per_synapse: sim.bytes_per_synapse(),
        bytes_per_plastic_synapse: sim.plan().bytes_per_plastic_synapse(),
        spike_hash: format!("{:016x}", stats::spike_hash(records)),
        dispatches_per_tick: gpu.map(|g| g.0.dispatches_per_tick),
        submissions: gpu.map(|g| g.0.submissions),
        populations: population_rates(model, sim, duration_ms),
        peak_host_mib: peak_host_memory().map(|b| b as f64 / 1048576.0),
        device_mib: sim.device_bytes().map(|b| b as f64 / 1048576.0),
        gpu_setup: sim.gpu_setup_times(),
        equations_load_s: equations_load_s(sim),
        profile: None,
        sparsity: sparsity(net, sim),
    }
}

/// See [`BenchReport::equations_load_s`].
pub fn equations_load_s(sim: &Simulator) -> Option<f64> {
    let equations = &sim.plan().equations;
    if equations.is_empty() {
        return None;
    }
    Some(match sim.gpu_setup_times() {
        Some(gpu) => gpu.equations_s,
        None => crate::plan::equations::compile_seconds(equations),
    })
}

impl BenchReport {
    /// One JSON object on one line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report always serialises")
    }
}

/// A readable table of reports.
pub fn table(reports: &[BenchReport]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<8} {:<4} {:>8} {:>10} {:>7} {:>8} {:>8} {:>9} {:>8} {:>6} {:>10} {:>7} {:>9} {:>8} {:>16}  adapter",
        "model",
        "back",
        "neurons",
        "synapses",
        "bio_ms",
        "build_s",
        "run_s",
        "rtf",
        "rate_Hz",
        "cv",
        "events/s",
        "B/syn",
        "host_MiB",
        "gpu_MiB",
        "spike_hash"
    );
    for r in reports {
        let _ = writeln!(
            s,
            "{:<8} {:<4} {:>8} {:>10} {:>7.0} {:>8.3} {:>8.3} {:>9.4} {:>8.3} {:>6} {:>10.3e} {:>7.2} {:>9} {:>8} {:>16}  {}",
            r.model,
            r.backend,
            r.neurons,
            r.synapses,
            r.duration_ms,
            r.build_s,
            r.run_s,
            r.rtf,
            r.rate_hz,
            r.cv_isi.map_or("-".into(), |c| format!("{c:.3}")),
            r.events_per_s,
            r.bytes_per_synapse,
            mib(r.peak_host_mib),
            mib(r.device_mib),
            r.spike_hash,
            r.adapter
        );
    }
    for r in reports {
        if let Some(load) = r.equations_load_s {
            let _ = writeln!(
                s,
                "{} {}: user-defined neuron models loaded in {:.1} ms (parse, unit check, code generation{})",
                r.model,
                r.backend,
                load * 1e3,
                if r.gpu_setup.is_some() {
                    ", naga validation, pipeline build"
                } else {
                    ""
                }
            );
        }
    }
    s.push_str(&sparsity_table(reports));
    s.push_str(&population_table(reports));
    s
}

/// One line a report: SynOps, neuron updates, sparsity and footprint (see [`Sparsity`]).
pub fn sparsity_table(reports: &[BenchReport]) -> String {
    let mut s = String::new();
    let share = |x: Option<f64>| x.map_or("-".into(), |x| format!("{x:.6}"));
    for r in reports {
        let z = &r.sparsity;
        let _ = writeln!(
            s,
            "{} {}: SynOps {} ({:.4e} per biological s), neuron updates {}, activation sparsity {}, connection sparsity {}, footprint {:.2} MiB",
            r.model,
            r.backend,
            z.synops,
            z.synops_per_bio_s,
            z.neuron_updates,
            share(z.activation_sparsity),
            share(z.connection_sparsity),
            z.footprint_bytes as f64 / 1048576.0
        );
    }
    s
}

fn mib(x: Option<f64>) -> String {
    x.map_or("-".into(), |m| format!("{m:.0}"))
}

/// The CPU model name from /proc/cpuinfo (Linux), else the architecture.
fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// A Markdown table of reports, headed by the adapter, driver, CPU and date.
pub fn markdown(reports: &[BenchReport]) -> String {
    let mut s = markdown_environment(reports);
    let _ = writeln!(s);
    s.push_str(&markdown_table(reports));
    let populations = population_table(reports);
    if !populations.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "```text\n{}```", populations);
    }
    let pairs = gpu_cpu_pairs(reports);
    if !pairs.is_empty() {
        let _ = writeln!(s);
        for (gpu, cpu) in pairs {
            let _ = writeln!(
                s,
                "- {}: CPU run time / GPU run time = {}; identical spike trains: {}",
                gpu.model,
                ratio_text(cpu.run_s / gpu.run_s),
                if gpu.spike_hash == cpu.spike_hash {
                    "yes"
                } else {
                    "no (compared by statistics)"
                }
            );
        }
    }
    s
}

/// The lines above a Markdown table: the GPU adapters that ran, the CPU, the date and version.
fn markdown_environment(reports: &[BenchReport]) -> String {
    let mut s = String::new();
    let adapters = crate::gpu::list_adapters();
    let used: Vec<&str> = reports.iter().map(|r| r.adapter.as_str()).collect();
    for a in adapters
        .iter()
        .filter(|a| used.contains(&a.name.as_str()) && a.backend != "Gl")
    {
        let _ = writeln!(
            s,
            "- GPU adapter: {} ({}, {}), driver {}",
            a.name, a.backend, a.device_type, a.driver
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let _ = writeln!(s, "- CPU: {} ({cores} threads available)", cpu_name());
    let date = std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "- Date: {}; spikegpu {}",
        date.trim(),
        env!("CARGO_PKG_VERSION")
    );
    s
}

/// The Markdown table itself: one row per report.
fn markdown_table(reports: &[BenchReport]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| model | backend | neurons | synapses | build s | run s | RTF | rate Hz | CV ISI | syn events/s | B/synapse | B/plastic synapse | host peak MiB | GPU MiB | spike hash |"
    );
    let _ = writeln!(
        s,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for r in reports {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.2} | {} | {:.3e} | {:.2} | {} | {} | {} | `{}` |",
            r.model,
            r.backend,
            r.neurons,
            r.synapses,
            r.build_s,
            r.run_s,
            r.rtf,
            r.rate_hz,
            r.cv_isi.map_or("-".into(), |c| format!("{c:.3}")),
            r.events_per_s,
            r.bytes_per_synapse,
            r.bytes_per_plastic_synapse
                .map_or("-".into(), |b| format!("{b:.2}")),
            mib(r.peak_host_mib),
            mib(r.device_mib),
            r.spike_hash
        );
    }
    s
}

/// The (GPU, CPU) report pairs of the same model, for side-by-side ratios.
pub fn gpu_cpu_pairs(reports: &[BenchReport]) -> Vec<(&BenchReport, &BenchReport)> {
    reports
        .iter()
        .filter(|g| g.backend == "gpu")
        .filter_map(|g| {
            reports
                .iter()
                .find(|c| c.backend == "cpu" && c.model == g.model)
                .map(|c| (g, c))
        })
        .collect()
}

/// The per-stage tables of `--profile`: one per report, the mean time per tick of each GPU
/// stage, its share of the tick and the gap after it, or why there is none.
pub fn profile_tables(reports: &[BenchReport]) -> String {
    let mut s = String::new();
    for r in reports {
        let _ = writeln!(s);
        let Some(p) = &r.profile else {
            let _ = writeln!(
                s,
                "{} ({}): no per-stage profile: it times GPU stages (the CPU backend has none)",
                r.model, r.backend
            );
            continue;
        };
        let _ = writeln!(
            s,
            "{} on {}: per-stage GPU profile over {} ticks ({})",
            r.model,
            r.adapter,
            p.ticks,
            p.support.describe()
        );
        if p.ticks == 0 {
            continue;
        }
        let _ = writeln!(s, "| stage | mean us/tick | share of tick | gap after, us |");
        let _ = writeln!(s, "| --- | ---: | ---: | ---: |");
        let share = |us: f64| {
            if p.tick_us > 0.0 {
                100.0 * us / p.tick_us
            } else {
                0.0
            }
        };
        for t in &p.stages {
            let _ = writeln!(
                s,
                "| {} | {:.2} | {:.1}% | {:.2} |",
                t.stage,
                t.mean_us,
                share(t.mean_us),
                t.gap_after_us
            );
        }
        let staged: f64 = p.stages.iter().map(|t| t.mean_us).sum();
        let gaps: f64 = p.stages.iter().map(|t| t.gap_after_us).sum();
        let _ = writeln!(
            s,
            "| all stages | {staged:.2} | {:.1}% | {gaps:.2} |",
            share(staged)
        );
        let _ = writeln!(s, "| whole tick (timestamps) | {:.2} | 100.0% | |", p.tick_us);
        let _ = writeln!(
            s,
            "| wall clock per tick (with submission and read-back) | {:.2} | {:.1}% | |",
            p.wall_us_per_tick,
            share(p.wall_us_per_tick)
        );
    }
    s
}

/// A ratio with two significant digits, so that a small one does not print as 0.00.
pub fn ratio_text(ratio: f64) -> String {
    if !ratio.is_finite() || ratio <= 0.0 {
        return format!("{ratio}");
    }
    let decimals = (1 - ratio.log10().floor() as i32).clamp(0, 12) as usize;
    format!("{ratio:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::ratio_text;

    #[test]
    fn ratios_keep_two_significant_digits() {
        assert_eq!(ratio_text(0.0234), "0.023");
        assert_eq!(ratio_text(0.28), "0.28");
        assert_eq!(ratio_text(1.53), "1.5");
        assert_eq!(ratio_text(12.3), "12");
        assert_eq!(ratio_text(0.0), "0");
    }
}
