//! The benchmark suite behind `spikegpu bench`: build a standard model, run it, report.

use std::fmt::Write as _;
use std::time::Instant;

use crate::error::{Result, invalid};

use crate::models;
use crate::sim::{Backend, Simulator};
use crate::stats;

/// Settings of one benchmark run.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// Model name (see [`models::BENCH_MODELS`]).
    pub model: String,
    /// Backend.
    pub backend: Backend,
    /// Seed.
    pub seed: u64,
    /// Biological time to simulate (ms).
    pub duration_ms: f64,
    /// Neuron-count multiplier (in-degree kept).
    pub scale: f64,
}

/// One benchmark row.
#[derive(Clone, Debug)]
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
    /// FNV-1a hash of the sorted (tick, neuron) list.
    pub spike_hash: u64,
    /// Compute dispatches per tick (GPU).
    pub dispatches_per_tick: Option<u32>,
    /// Queue submissions (GPU).
    pub submissions: Option<u64>,
}

/// Builds the network of `model`.
pub fn build_model(model: &str, seed: u64, scale: f64) -> Result<crate::model::Network> {
    models::by_name(model, seed, scale)
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
    let t0 = Instant::now();
    let net = build_model(&config.model, config.seed, config.scale)?;
    let mut sim = Simulator::new(&net, config.backend)?;
    let build_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    sim.run_ms(config.duration_ms)?;
    let run_s = t1.elapsed().as_secs_f64();
    let c = sim.counters();
    let records = sim.spike_records();
    let neurons = net.neuron_count();
    let duration_ms = c.ticks as f64 * net.dt_ms;
    let gpu = sim.gpu_details();
    Ok(BenchReport {
        model: config.model.clone(),
        backend: sim.backend_name().into(),
        adapter: sim.adapter_name(),
        neurons,
        synapses: sim.plan().synapse_count(),
        dt_ms: net.dt_ms,
        duration_ms,
        ticks: c.ticks,
        build_s,
        run_s,
        rtf: run_s / (duration_ms * 1e-3),
        spikes: c.spikes,
        rate_hz: stats::mean_rate_hz(c.spikes as usize, neurons, duration_ms),
        cv_isi: stats::mean_cv_isi(records, sim.plan().n_neurons),
        syn_events: c.syn_events,
        events_per_s: c.syn_events as f64 / run_s,
        neuron_updates_per_s: neurons as f64 * c.ticks as f64 / run_s,
        bytes_per_synapse: sim.plan().bytes_per_synapse(),
        spike_hash: stats::spike_hash(records),
        dispatches_per_tick: gpu.map(|g| g.0.dispatches_per_tick),
        submissions: gpu.map(|g| g.0.submissions),
    })
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".into()
    }
}

impl BenchReport {
    /// One JSON object on one line.
    pub fn to_json(&self) -> String {
        let opt = |v: Option<String>| v.unwrap_or_else(|| "null".into());
        format!(
            concat!(
                "{{\"model\":{},\"backend\":{},\"adapter\":{},\"neurons\":{},\"synapses\":{},",
                "\"dt_ms\":{},\"duration_ms\":{},\"ticks\":{},\"build_s\":{},\"run_s\":{},\"rtf\":{},",
                "\"spikes\":{},\"rate_hz\":{},\"cv_isi\":{},\"syn_events\":{},\"events_per_s\":{},",
                "\"neuron_updates_per_s\":{},\"bytes_per_synapse\":{},\"spike_hash\":\"{:016x}\",",
                "\"dispatches_per_tick\":{},\"submissions\":{}}}"
            ),
            json_str(&self.model),
            json_str(&self.backend),
            json_str(&self.adapter),
            self.neurons,
            self.synapses,
            json_num(self.dt_ms),
            json_num(self.duration_ms),
            self.ticks,
            json_num(self.build_s),
            json_num(self.run_s),
            json_num(self.rtf),
            self.spikes,
            json_num(self.rate_hz),
            opt(self.cv_isi.map(json_num)),
            self.syn_events,
            json_num(self.events_per_s),
            json_num(self.neuron_updates_per_s),
            json_num(self.bytes_per_synapse),
            self.spike_hash,
            opt(self.dispatches_per_tick.map(|d| d.to_string())),
            opt(self.submissions.map(|d| d.to_string())),
        )
    }
}

/// A readable table of reports.
pub fn table(reports: &[BenchReport]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<8} {:<4} {:>8} {:>10} {:>7} {:>8} {:>8} {:>9} {:>8} {:>6} {:>10} {:>7} {:>16}  adapter",
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
        "spike_hash"
    );
    for r in reports {
        let _ = writeln!(
            s,
            "{:<8} {:<4} {:>8} {:>10} {:>7.0} {:>8.3} {:>8.3} {:>9.4} {:>8.3} {:>6} {:>10.3e} {:>7.2} {:>16x}  {}",
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
            r.spike_hash,
            r.adapter
        );
    }
    s
}
