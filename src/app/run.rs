//! `spikegpu run`: a model file run to completion with its recordings written to a folder.
//!
//! [`run_model`] builds the simulator, runs it in chunks that end on every sample (probes,
//! weight snapshots, neuromodulator pulses), then writes the spikes, probes, weights, raster
//! and summary, one function each.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::app::bench::{self, BenchReport};
use crate::app::modelfile::ModelFile;
use crate::app::output::write_npy;
use crate::app::plots::{self, RasterBand};
use crate::app::{records, signals};
use crate::error::{Error, Result, invalid};
use crate::model::{Network, ProjectionId};
use crate::sim::{Backend, NonFiniteEvent, Simulator, WeightTicket};

/// What a run produced.
pub struct RunResult {
    /// The figures (also in `summary.json`).
    pub report: BenchReport,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// The signal (SIGINT, SIGTERM) that stopped the run early, if one did: the files hold
    /// what was recorded up to the tick `summary.json` names.
    pub interrupted_by: Option<i32>,
}

/// Why a run stopped before its last tick.
enum Stop {
    /// The watchdog saw a neuron state become NaN or infinite (with the stop policy).
    NonFinite(Box<NonFiniteEvent>),
    /// SIGINT or SIGTERM ([`signals`]).
    Signal(i32),
}

/// Checks that `dir` exists (creating it) and is writable, before anything runs.
pub fn prepare_out_dir(dir: &Path) -> Result<()> {
    let fail =
        |e: std::io::Error| Error::Output(format!("output directory {} is not writable: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".spikegpu-write-test");
    std::fs::write(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

/// Runs `model` for `duration_ms` on `backend`, calling `progress(ticks_done, ticks_total,
/// spikes_so_far)` between chunks, then writes the outputs into `out`.
pub fn run_model(
    model: &ModelFile,
    backend: Backend,
    options: crate::SimOptions,
    duration_ms: f64,
    out: &Path,
    mut progress: impl FnMut(u64, u64, u64),
) -> Result<RunResult> {
    if !(duration_ms.is_finite() && duration_ms > 0.0) {
        return Err(invalid("duration_ms", duration_ms, "must be finite and > 0"));
    }
    prepare_out_dir(out)?;
    let net = &model.network;
    let t0 = Instant::now();
    let mut sim = Simulator::with_options(net, backend, options)?;
    let build_s = t0.elapsed().as_secs_f64();
    let total = crate::limits::duration_ticks("duration_ms", duration_ms, net.dt_ms)?;
    let mut recording = Recording::new(model, &sim)?;
    let t1 = Instant::now();
    // A non-finite state or a signal stops the run early, but what was recorded is written.
    let stopped = recording.run(&mut sim, model, total, &mut progress)?;
    let run_s = t1.elapsed().as_secs_f64();
    let mut report = bench::report(&model.name, net, &sim, build_s, run_s);

    let mut files = Vec::new();
    let populations = write_spikes(net, &sim, report.duration_ms, out, &mut files)?;
    write_probes(model, &recording, out, &mut files)?;
    write_weights(net, &sim, &recording, report.duration_ms, out, &mut files)?;
    write_raster(model, &sim, &report, out, &mut files)?;
    records::write_rates(net, &sim, out, &mut files)?;
    records::write_exports(model, &sim, out, &mut files)?;
    // The process's high-water mark with every output written (the summary is small).
    report.peak_host_mib = bench::peak_host_memory().map(|b| b as f64 / 1048576.0);
    let status = run_status(&sim, total, stopped.as_ref());
    write_summary(&report, &sim, populations, status, out, &mut files)?;
    match stopped {
        Some(Stop::NonFinite(event)) => Err(Error::NonFinite(event)),
        Some(Stop::Signal(signal)) => Ok(RunResult {
            report,
            files,
            interrupted_by: Some(signal),
        }),
        None => Ok(RunResult {
            report,
            files,
            interrupted_by: None,
        }),
    }
}

/// What a run samples between chunks: probe values and weight snapshots.
struct Recording {
    /// Ticks between samples of each probe.
    probe_ticks: Vec<u64>,
    /// Per probe, its samples (neuron after neuron, sample after sample) and their times.
    samples: Vec<Vec<f32>>,
    sample_times: Vec<Vec<f64>>,
    /// The plastic projections, their weights before the run, their snapshots and the ticks
    /// between snapshots (none without plastic projections).
    plastic: Vec<ProjectionId>,
    initial_weights: Vec<Vec<f32>>,
    weight_ticks: Option<u64>,
    snapshots: Vec<Vec<f32>>,
    snapshot_times: Vec<f64>,
    /// Snapshot copies on their way, in request order.
    pending: VecDeque<(usize, WeightTicket)>,
}

impl Recording {
    fn new(model: &ModelFile, sim: &Simulator) -> Result<Self> {
        let net = &model.network;
        let dt = net.dt_ms;
        let plastic: Vec<_> = net
            .projection_ids()
            .into_iter()
            .filter(|p| net.projections[p.index()].plasticity.is_some())
            .collect();
        Ok(Recording {
            probe_ticks: model
                .probes
                .iter()
                .map(|p| (p.interval_ms / dt).round() as u64)
                .collect(),
            samples: vec![Vec::new(); model.probes.len()],
            sample_times: vec![Vec::new(); model.probes.len()],
            initial_weights: plastic
                .iter()
                .map(|&p| Ok(sim.weights(p)?.weights))
                .collect::<Result<_>>()?,
            weight_ticks: model
                .weight_interval_ms
                .filter(|_| !plastic.is_empty())
                .map(|ms| (ms / dt).round() as u64),
            snapshots: vec![Vec::new(); plastic.len()],
            plastic,
            snapshot_times: Vec::new(),
            pending: VecDeque::new(),
        })
    }

    /// Ticks per chunk: chunks end on every sample (the gcd of the probe and snapshot
    /// intervals), else every 100 ms for the progress display.
    fn chunk_ticks(&self, dt: f64) -> u64 {
        let gcd = |mut a: u64, mut b: u64| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        self.probe_ticks
            .iter()
            .cloned()
            .chain(self.weight_ticks)
            .reduce(gcd)
            .unwrap_or(((100.0 / dt).ceil() as u64).max(1))
    }

    /// Runs `total` ticks chunk by chunk. Neuromodulator pulses are added on the host
    /// between chunks that end on their ticks. A run that stops early (the watchdog, a
    /// signal noted between chunks) still collects the weight snapshots already requested.
    fn run(
        &mut self,
        sim: &mut Simulator,
        model: &ModelFile,
        total: u64,
        progress: &mut impl FnMut(u64, u64, u64),
    ) -> Result<Option<Stop>> {
        let dt = model.network.dt_ms;
        let chunk = self.chunk_ticks(dt);
        let mut pulses = model
            .modulator_pulses
            .iter()
            .map(|&(ms, channel, amount)| ((ms / dt).round() as u64, channel, amount))
            .peekable();
        let mut done = 0u64;
        let mut outcome = Ok(None);
        while done < total {
            if let Some(signal) = signals::received() {
                outcome = Ok(Some(Stop::Signal(signal)));
                break;
            }
            while let Some(&(tick, channel, amount)) = pulses.peek() {
                if tick > done {
                    break;
                }
                sim.add_modulator(channel, amount)?;
                pulses.next();
            }
            let until_pulse = pulses.peek().map_or(u64::MAX, |p| p.0 - done);
            // Back onto the chunk grid after a pulse, so that samples stay on their ticks.
            let step = (chunk - done % chunk).min(total - done).min(until_pulse);
            match sim.run_ticks(step) {
                Ok(()) => {}
                Err(Error::NonFinite(event)) => {
                    outcome = Ok(Some(Stop::NonFinite(event)));
                    break;
                }
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
            done += step;
            self.snapshot_weights(sim, done, dt)?;
            self.sample_probes(sim, model, done, dt)?;
            progress(done, total, sim.counters().spikes);
        }
        for (k, ticket) in std::mem::take(&mut self.pending) {
            self.snapshots[k].extend(sim.take_weights(ticket)?.weights);
        }
        outcome
    }

    /// Requests the weight snapshots due at tick `done`, and collects those that have arrived.
    fn snapshot_weights(&mut self, sim: &mut Simulator, done: u64, dt: f64) -> Result<()> {
        if self.weight_ticks.is_some_and(|w| done.is_multiple_of(w)) {
            // Queued copies: the run goes on while they travel (it pauses only for the copy).
            for (k, &p) in self.plastic.iter().enumerate() {
                self.pending.push_back((k, sim.request_weights(p)?));
            }
            self.snapshot_times.push(done as f64 * dt);
        }
        // Collect the snapshots that have arrived, in order.
        while let Some((k, ticket)) = self.pending.front() {
            match sim.try_take_weights(ticket)? {
                Some(w) => {
                    self.snapshots[*k].extend(w.weights);
                    self.pending.pop_front();
                }
                None => break,
            }
        }
        Ok(())
    }

    /// Samples the probes due at tick `done` (one state read-back for all of them).
    fn sample_probes(&mut self, sim: &Simulator, model: &ModelFile, done: u64, dt: f64) -> Result<()> {
        let t = done as f64 * dt;
        let due: Vec<usize> = (0..model.probes.len())
            .filter(|&i| done.is_multiple_of(self.probe_ticks[i]))
            .filter(|&i| {
                let p = &model.probes[i];
                t >= p.start_ms - 1e-9 && p.stop_ms.is_none_or(|s| t < s - 1e-9)
            })
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        let state = sim.pull_state()?;
        for i in due {
            let p = &model.probes[i];
            let start = sim.plan().populations[p.population.index()].gpu.start as usize;
            for &n in &p.neurons {
                self.samples[i].push(records::state_value(&state[start + n as usize], p.field));
            }
            self.sample_times[i].push(done as f64 * dt);
        }
        Ok(())
    }
}

/// Writes each recorded population's spike times and neurons; returns the recorded
/// populations' summaries (rate and CV of ISI of the recorded neurons over their window) for
/// `summary.json`.
fn write_spikes(
    net: &Network,
    sim: &Simulator,
    duration_ms: f64,
    out: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<Vec<serde_json::Value>> {
    let plan = sim.plan();
    let mut summaries = Vec::new();
    for (pi, pop) in plan.populations.iter().enumerate() {
        if !pop.record {
            continue;
        }
        let train = sim.spikes(net.population_ids()[pi])?;
        let t = out.join(format!("spikes_{}_times_ms.npy", pop.name));
        write_npy(&t, &[train.times_ms.len()], &train.times_ms)?;
        let n = out.join(format!("spikes_{}_neurons.npy", pop.name));
        write_npy(&n, &[train.neurons.len()], &train.neurons)?;
        files.extend([t, n]);
        let records: Vec<_> = sim
            .spike_records()
            .iter()
            .filter(|r| plan.population_of(r.neuron) == pi)
            .cloned()
            .collect();
        summaries.push(records::recorded_summary(
            &net.populations[pi],
            sim.population_spike_counts()[pi],
            &records,
            plan.n_neurons,
            duration_ms,
        ));
    }
    Ok(summaries)
}

/// Writes each probe's samples (samples x neurons), sample times and neurons.
fn write_probes(
    model: &ModelFile,
    recording: &Recording,
    out: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    for (i, p) in model.probes.iter().enumerate() {
        let stem = format!("state_{}_{}", p.population_name, p.variable);
        let times = &recording.sample_times[i];
        let values = out.join(format!("{stem}.npy"));
        write_npy(&values, &[times.len(), p.neurons.len()], &recording.samples[i])?;
        let times_path = out.join(format!("{stem}_times_ms.npy"));
        write_npy(&times_path, &[times.len()], times)?;
        let neurons = out.join(format!("{stem}_neurons.npy"));
        write_npy(&neurons, &[p.neurons.len()], &p.neurons)?;
        files.extend([values, times_path, neurons]);
        if !times.is_empty() {
            let png = out.join(format!("{stem}.png"));
            let title = format!("{} {} every {} ms", p.population_name, p.variable, p.interval_ms);
            let unit = records::state_unit(&model.network, p);
            plots::traces_png(&png, &title, times, &recording.samples[i], &p.neurons, &unit)?;
            files.push(png);
        }
    }
    Ok(())
}

/// Writes each plastic projection's synapse indices, initial and final weights and
/// snapshots, and the first one's weight histograms (`weights.png`).
fn write_weights(
    net: &Network,
    sim: &Simulator,
    recording: &Recording,
    duration_ms: f64,
    out: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    let snapshot_times = &recording.snapshot_times;
    for (k, &p) in recording.plastic.iter().enumerate() {
        let stem = format!("weights_projection{}", p.index());
        let last = sim.weights(p)?;
        let initial = &recording.initial_weights[k];
        let n = last.weights.len();
        for (suffix, index) in [("pre", &last.pre), ("post", &last.post)] {
            let path = out.join(format!("{stem}_{suffix}.npy"));
            write_npy(&path, &[n], index)?;
            files.push(path);
        }
        let initial_path = out.join(format!("{stem}_initial.npy"));
        write_npy(&initial_path, &[n], initial)?;
        let final_path = out.join(format!("{stem}_final.npy"));
        write_npy(&final_path, &[n], &last.weights)?;
        files.extend([initial_path, final_path]);
        if !snapshot_times.is_empty() {
            let snap = out.join(format!("{stem}_snapshots.npy"));
            write_npy(&snap, &[snapshot_times.len(), n], &recording.snapshots[k])?;
            let times = out.join(format!("{stem}_snapshots_times_ms.npy"));
            write_npy(&times, &[snapshot_times.len()], snapshot_times)?;
            files.extend([snap, times]);
            let rule = net.projections[p.index()].plasticity.as_ref().expect("plastic");
            let png = out.join(format!("{stem}_snapshots.png"));
            let mut columns: Vec<&[f32]> = vec![initial];
            columns.extend(recording.snapshots[k].chunks_exact(n.max(1)));
            let times: Vec<f64> = std::iter::once(0.0)
                .chain(snapshot_times.iter().copied())
                .collect();
            let title = format!("projection {}: weight histograms over time", p.index());
            plots::weight_snapshots_png(&png, &title, &times, &columns, rule.w_min, rule.w_max)?;
            files.push(png);
        }
        if k == 0 {
            let rule = net.projections[p.index()].plasticity.as_ref().expect("plastic");
            let png = out.join("weights.png");
            let title = format!(
                "projection {}: weights, initial vs final ({duration_ms:.0} ms)",
                p.index()
            );
            plots::weights_png(&png, &title, initial, &last.weights, rule.w_max)?;
            files.push(png);
        }
    }
    Ok(())
}

/// Draws the raster of the recorded populations, one band of their recorded neurons each
/// (`raster.png`).
fn write_raster(
    model: &ModelFile,
    sim: &Simulator,
    report: &BenchReport,
    out: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    let raster = out.join("raster.png");
    let dt = model.network.dt_ms;
    let bands: Vec<RasterBand<'_>> = model
        .network
        .populations
        .iter()
        .zip(&sim.plan().populations)
        .filter(|(p, _)| p.record_spikes)
        .map(|(p, planned)| {
            let (start, stop) = p.spike_recording.ticks(dt);
            RasterBand {
                name: &p.name,
                start: planned.gpu.start,
                size: p.size,
                neurons: &p.spike_recording.neurons,
                window_ms: (start as f64 * dt, (stop as f64 * dt).min(report.duration_ms)),
            }
        })
        .collect();
    let title = format!(
        "{}: {} neurons, {:.0} ms, {}",
        model.name, report.neurons, report.duration_ms, report.adapter
    );
    plots::raster_png(
        &raster,
        &title,
        sim.spike_records(),
        &bands,
        dt,
        report.duration_ms,
        (1200, 800),
    )?;
    files.push(raster);
    Ok(())
}

/// How the run ended, for `summary.json`: whether it ran every tick asked for, the tick it
/// reached, why it stopped short, and the watchdog's event if there was one.
fn run_status(sim: &Simulator, total: u64, stopped: Option<&Stop>) -> serde_json::Value {
    let reached = sim.ticks();
    let reason = stopped.map(|stop| match stop {
        Stop::NonFinite(event) => format!("non-finite state: {event}"),
        Stop::Signal(signal) => format!("interrupted by {}", signals::name(*signal)),
    });
    serde_json::json!({
        "complete": reached == total && stopped.is_none(),
        "interrupted": matches!(stopped, Some(Stop::Signal(_))),
        "ticks_requested": total,
        "ticks_reached": reached,
        "stop_reason": reason,
        "nonfinite": sim.nonfinite(),
    })
}

/// Writes `summary.json`: the report, how the run ended, the populations' summaries and the
/// recorded spikes.
fn write_summary(
    report: &BenchReport,
    sim: &Simulator,
    populations: Vec<serde_json::Value>,
    status: serde_json::Value,
    out: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    let mut summary = serde_json::to_value(report).expect("report serialises");
    if let (Some(summary), serde_json::Value::Object(status)) = (summary.as_object_mut(), status) {
        summary.extend(status);
    }
    summary["populations"] = serde_json::Value::Array(populations);
    summary["unrecorded_populations"] = records::unrecorded_summary(sim, report.duration_ms);
    summary["recorded_spikes"] = serde_json::json!(sim.spike_records().len());
    let path = out.join("summary.json");
    crate::app::atomic::write_file(
        &path,
        serde_json::to_string_pretty(&summary).expect("json").as_bytes(),
    )?;
    files.push(path);
    Ok(())
}
