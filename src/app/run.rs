//! `spikegpu run`: a model file run to completion with its recordings written to a folder.
//!
//! [`run_model`] builds the simulator, runs it in chunks that end on every sample (probes,
//! weight snapshots, neuromodulator pulses) or every 100 ms, moving each chunk's spikes to
//! the folder's spike stream ([`spike_stream`]) so that host memory stays bounded, then
//! writes the spikes, probes, weights, raster and summary, one function each, every file
//! listed in the folder's manifest before it is written ([`OutputDir`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::app::bench::{self, BenchReport};
use crate::app::checkpoints::{self, Checkpointer, RunSettings};
use crate::app::modelfile::{ModelFile, Override};
use crate::app::outdir::OutputDir;
use crate::app::output::{write_npy, write_npy_pieces};
use crate::app::plots::{self, RasterBand};
use crate::app::recording::{Recording, Stop};
use crate::app::spike_stream::{self, SpikeStream};
use crate::app::{records, signals};
use crate::error::{Error, Result, invalid};
use crate::model::Network;
use crate::sim::{Backend, Simulator};

/// What a run produced.
pub struct RunResult {
    /// The figures (also in `summary.json`).
    pub report: BenchReport,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// The signal (SIGINT, SIGTERM) that stopped the run early, if one did: the files hold
    /// what was recorded up to the tick `summary.json` names.
    pub interrupted_by: Option<i32>,
    /// Whether the folder keeps a checkpoint that `spikegpu resume` continues from (a run
    /// with checkpoints that stopped early).
    pub resumable: bool,
    /// A distributed run's per-rank figures as a table (`ranks.json`); empty otherwise.
    pub ranks_table: String,
}

/// Checks that `dir` exists (creating it) and is writable, before anything runs (the folder
/// of a sweep; each run's own folder is an [`OutputDir`]).
pub fn prepare_out_dir(dir: &Path) -> Result<()> {
    let fail =
        |e: std::io::Error| Error::Output(format!("output directory {} is not writable: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".spikegpu-write-test");
    std::fs::write(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

/// A simulator ready to run, with its recording and the folder's spike stream.
struct Prepared {
    sim: Simulator,
    total: u64,
    build_s: f64,
    stream: SpikeStream,
    recording: Recording,
    checkpoints: Option<Checkpointer>,
}

/// Runs `model` for `duration_ms` on `backend`, calling `progress(ticks_done, ticks_total,
/// spikes_so_far)` between chunks, then writes the outputs into `out`. With `checkpoints`
/// (their interval and what rebuilds the run), a checkpoint is written at every interval.
pub fn run_model(
    model: &ModelFile,
    backend: Backend,
    options: crate::SimOptions,
    duration_ms: f64,
    out: &mut OutputDir,
    checkpoints: Option<RunSettings>,
    progress: impl FnMut(u64, u64, u64),
) -> Result<RunResult> {
    if !(duration_ms.is_finite() && duration_ms > 0.0) {
        return Err(invalid("duration_ms", duration_ms, "must be finite and > 0"));
    }
    let net = &model.network;
    let total = crate::limits::duration_ticks("duration_ms", duration_ms, net.dt_ms)?;
    if let Some(settings) = &checkpoints {
        Checkpointer::check_interval(settings.checkpoint_every_ms, net.dt_ms)?;
    }
    let t0 = Instant::now();
    let sim = open_simulator(net, backend, options)?;
    let build_s = t0.elapsed().as_secs_f64();
    if let Some(load) = bench::equations_load_s(&sim) {
        log::info!("user-defined neuron models loaded in {:.1} ms", load * 1e3);
    }
    if checkpoints.is_some() {
        // Refused now, not at the first checkpoint after a long stretch of the run.
        sim.check_checkpointable()?;
    }
    // A resumed run rebuilds on the backend that ran (auto may choose another elsewhere).
    let checkpoints = checkpoints
        .map(|settings| {
            let backend = sim.backend_name().to_string();
            Checkpointer::new(out, RunSettings { backend, ..settings }, net.dt_ms)
        })
        .transpose()?;
    let stream_path = out.file(spike_stream::FILE_NAME)?;
    let stream = SpikeStream::create(stream_path, sim.plan().n_neurons, sim.plan().populations.len())?;
    let recording = Recording::new(model, &sim, out)?;
    let prepared = Prepared {
        sim,
        total,
        build_s,
        stream,
        recording,
        checkpoints,
    };
    finish(model, prepared, out, progress)
}

/// The simulator of `net`: this rank's share when the process is a rank of an MPI run
/// (feature `mpi`, [`crate::distributed`]), else the whole network.
pub fn open_simulator(net: &Network, backend: Backend, options: crate::SimOptions) -> Result<Simulator> {
    #[cfg(feature = "mpi")]
    if crate::distributed::world().is_some() {
        let comm = crate::distributed::Comm::world();
        return crate::distributed::rank_simulator(net, backend, options, comm);
    }
    Simulator::with_options(net, backend, options)
}

/// The checkpoint to resume from: on a rank of a distributed run, every rank's must be
/// readable and at the same tick, else every rank fails with the same message.
fn agreed_checkpoint(point: Result<checkpoints::ResumePoint>) -> Result<checkpoints::ResumePoint> {
    #[cfg(feature = "mpi")]
    if crate::distributed::world().is_some() {
        let comm = crate::distributed::Comm::world();
        let point = comm.agree(point)?;
        let ticks = comm.all_gather(Ok(&[]), point.tick)?.figures;
        if let Some(r) = ticks.iter().position(|&t| t != ticks[0]) {
            return Err(invalid(
                "checkpoint",
                format!("tick {} on rank {r}", ticks[r]),
                &format!(
                    "every rank's checkpoint must be at the same tick (rank 0's is at {}): the run stopped while the ranks wrote their indexes",
                    ticks[0]
                ),
            ));
        }
        return Ok(point);
    }
    point
}

/// Continues the run whose folder `out` holds a checkpoint (`spikegpu resume`), on the
/// backend it ran on or on `backend`, to the end it was started for; the spikes, samples
/// and weights equal those of a run never stopped.
pub fn resume_run(
    out: &mut OutputDir,
    backend: Option<Backend>,
    progress: impl FnMut(u64, u64, u64),
) -> Result<(ModelFile, RunResult)> {
    let point = agreed_checkpoint(checkpoints::latest(out.path()))?;
    let settings = point.settings.clone();
    let overrides = settings
        .overrides
        .iter()
        .map(|o| o.parse())
        .collect::<Result<Vec<Override>>>()?;
    let mut model =
        crate::app::modelfile::parse_with(&settings.model_text, &settings.model_origin, &overrides)?;
    model.name.clone_from(&settings.model_name);
    let backend = match backend {
        Some(b) => b,
        None => settings
            .backend
            .parse()
            .map_err(|_| Error::UnknownBackend(settings.backend.clone()))?,
    };
    let options = crate::SimOptions {
        generate_on_device: settings.generate_on_device,
        nonfinite: settings.on_nonfinite.parse()?,
        ..crate::SimOptions::default()
    };
    let net = &model.network;
    let total = crate::limits::duration_ticks("duration_ms", settings.duration_ms, net.dt_ms)?;
    let t0 = Instant::now();
    let mut sim = open_simulator(net, backend, options)?;
    sim.restore_from(&point.simulator)?;
    let build_s = t0.elapsed().as_secs_f64();
    let refuse = |path: &Path, why: String| Error::Checkpoint {
        path: path.display().to_string(),
        why,
    };
    if sim.ticks() != point.tick || point.tick > total {
        let why = format!(
            "is at tick {}, the index says {} of {total}",
            sim.ticks(),
            point.tick
        );
        return Err(refuse(&point.simulator, why));
    }
    let stream_path = out.file(spike_stream::FILE_NAME)?;
    let plan = sim.plan();
    let stream = SpikeStream::reopen(
        stream_path,
        point.stream_bytes,
        plan.n_neurons,
        plan.populations.len(),
        |n| plan.population_of(n),
    )?;
    let rec_path = point.simulator.with_extension("rec");
    let plastic = net.projections.iter().filter(|p| p.plasticity.is_some()).count();
    let saved = Recording::decode(&point.recording, model.probes.len(), plastic)
        .map_err(|why| refuse(&rec_path, why))?;
    let recording = Recording::resumed(&model, &mut sim, out, saved)?;
    let checkpoints = Checkpointer::new(out, settings, net.dt_ms)?.after(&point.slot);
    log::info!(
        "resuming {} at tick {} of {total}",
        out.path().display(),
        point.tick
    );
    let prepared = Prepared {
        sim,
        total,
        build_s,
        stream,
        recording,
        checkpoints: Some(checkpoints),
    };
    let result = finish(&model, prepared, out, progress)?;
    Ok((model, result))
}

/// Runs a prepared simulator to its end (or to a stop), then writes every output. A run
/// that ends complete removes its spike stream and checkpoints; one that stops early keeps
/// them when it has checkpoints, so that `spikegpu resume` can continue it.
fn finish(
    model: &ModelFile,
    mut run: Prepared,
    out: &mut OutputDir,
    mut progress: impl FnMut(u64, u64, u64),
) -> Result<RunResult> {
    let net = &model.network;
    let t1 = Instant::now();
    // A non-finite state or a signal stops the run early, but what was recorded is written.
    let stopped = run.recording.run(
        &mut run.sim,
        model,
        run.total,
        &mut run.stream,
        run.checkpoints.as_mut(),
        &mut progress,
    )?;
    let run_s = t1.elapsed().as_secs_f64();
    let (sim, stream, recording) = (&run.sim, &run.stream, &mut run.recording);
    let mut report = bench::report(&model.name, net, sim, run.build_s, run_s);
    // The simulator's records went to the stream chunk by chunk: its figures are the run's.
    report.spike_hash = format!("{:016x}", stream.hash());
    report.cv_isi = stream.cv().mean_cv();

    let populations = write_spikes(net, sim, stream, report.duration_ms, out)?;
    write_probes(model, recording, out)?;
    write_weights(net, sim, recording, report.duration_ms, out)?;
    write_raster(model, sim, stream, &report, out)?;
    records::write_rates(net, sim, out)?;
    records::write_exports(model, sim, out)?;
    // The process's high-water mark with every output written (the summary is small).
    report.peak_host_mib = bench::peak_host_memory().map(|b| b as f64 / 1048576.0);
    let complete = stopped.is_none() && sim.ticks() == run.total;
    let resumable = !complete && run.checkpoints.is_some();
    let mut status = run_status(sim, run.total, stopped.as_ref());
    status["resumable"] = serde_json::json!(resumable);
    let recorded_spikes = stream.spikes();
    if complete {
        if let Some(c) = &run.checkpoints {
            c.remove_all()?;
        }
    }
    if !resumable {
        run.stream.remove()?;
        for probe in std::mem::take(&mut run.recording.probes) {
            probe.remove()?;
        }
    }
    write_summary(&report, &run.sim, populations, recorded_spikes, status, out)?;
    #[cfg(feature = "mpi")]
    let ranks_table = {
        // Listed in the manifest like every output (rank 0 writes it).
        let path = out.file(crate::distributed::RANKS_FILE)?;
        crate::distributed::rank_table(&crate::distributed::write_rank_reports(&run.sim, &path)?)
    };
    #[cfg(not(feature = "mpi"))]
    let ranks_table = String::new();
    let interrupted_by = match stopped {
        Some(Stop::NonFinite(event)) => return Err(Error::NonFinite(event)),
        Some(Stop::Signal(signal)) => Some(signal),
        None => None,
    };
    Ok(RunResult {
        report,
        files: out.existing_files(),
        interrupted_by,
        resumable,
        ranks_table,
    })
}

/// Writes each recorded population's spike times and neurons, assembled from the spike
/// stream; returns the recorded populations' summaries (rate and CV of ISI of the recorded
/// neurons over their window) for `summary.json`.
fn write_spikes(
    net: &Network,
    sim: &Simulator,
    stream: &SpikeStream,
    duration_ms: f64,
    out: &mut OutputDir,
) -> Result<Vec<serde_json::Value>> {
    let plan = sim.plan();
    let mut summaries = Vec::new();
    for (pi, pop) in plan.populations.iter().enumerate() {
        if !pop.record {
            continue;
        }
        let (start, end) = (pop.gpu.start, pop.gpu.start + pop.gpu.size);
        let n = stream.population_spikes(pi) as usize;
        let mine = |s: &&crate::sim::Spike| (start..end).contains(&s.neuron);
        let t = out.file(&format!("spikes_{}_times_ms.npy", pop.name))?;
        write_npy_pieces(&t, &[n], |put| {
            stream.reader().for_each_batch(|batch| {
                let times: Vec<f64> = batch
                    .iter()
                    .filter(mine)
                    .map(|s| plan.spike_time_ms(s.tick))
                    .collect();
                put(&times)
            })
        })?;
        let neurons = out.file(&format!("spikes_{}_neurons.npy", pop.name))?;
        write_npy_pieces(&neurons, &[n], |put| {
            stream.reader().for_each_batch(|batch| {
                let local: Vec<u32> = batch.iter().filter(mine).map(|s| s.neuron - start).collect();
                put(&local)
            })
        })?;
        summaries.push(records::recorded_summary(
            &net.populations[pi],
            sim.population_spike_counts()[pi],
            n as u64,
            stream.cv().mean_cv_of(start..end),
            duration_ms,
        ));
    }
    Ok(summaries)
}

/// Probe traces with more values than this are written as arrays but not drawn (reading
/// them back whole for the plot would take more memory than the run did).
const MAX_PLOTTED_PROBE_VALUES: usize = 20_000_000;

/// Writes each probe's samples (samples x neurons), sample times and neurons, assembled from
/// its sample file, and draws its traces.
fn write_probes(model: &ModelFile, recording: &mut Recording, out: &mut OutputDir) -> Result<()> {
    for (i, p) in model.probes.iter().enumerate() {
        let stem = format!("state_{}_{}", p.population_name, p.variable);
        let stream = &mut recording.probes[i];
        let (n, k) = (stream.samples() as usize, p.neurons.len());
        let values = out.file(&format!("{stem}.npy"))?;
        write_npy_pieces(&values, &[n, k], |put| stream.for_each_batch(|_, v| put(v)))?;
        let times_path = out.file(&format!("{stem}_times_ms.npy"))?;
        write_npy_pieces(&times_path, &[n], |put| stream.for_each_batch(|t, _| put(t)))?;
        let neurons = out.file(&format!("{stem}_neurons.npy"))?;
        write_npy(&neurons, &[k], &p.neurons)?;
        if n == 0 {
            continue;
        }
        if n.saturating_mul(k) > MAX_PLOTTED_PROBE_VALUES {
            log::warn!("{stem}: {n} samples x {k} neurons are too many to draw; the arrays hold them all");
            continue;
        }
        let (mut times, mut samples) = (Vec::with_capacity(n), Vec::with_capacity(n * k));
        stream.for_each_batch(|t, v| {
            times.extend_from_slice(t);
            samples.extend_from_slice(v);
            Ok(())
        })?;
        let png = out.file(&format!("{stem}.png"))?;
        let title = format!("{} {} every {} ms", p.population_name, p.variable, p.interval_ms);
        let unit = records::state_unit(&model.network, p);
        plots::traces_png(&png, &title, &times, &samples, &p.neurons, &unit)?;
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
    out: &mut OutputDir,
) -> Result<()> {
    let snapshot_times = &recording.snapshot_times;
    for (k, &p) in recording.plastic.iter().enumerate() {
        let stem = format!("weights_projection{}", p.index());
        let last = sim.weights(p)?;
        let initial = &recording.initial_weights[k];
        let n = last.weights.len();
        for (suffix, index) in [("pre", &last.pre), ("post", &last.post)] {
            let path = out.file(&format!("{stem}_{suffix}.npy"))?;
            write_npy(&path, &[n], index)?;
        }
        let initial_path = out.file(&format!("{stem}_initial.npy"))?;
        write_npy(&initial_path, &[n], initial)?;
        let final_path = out.file(&format!("{stem}_final.npy"))?;
        write_npy(&final_path, &[n], &last.weights)?;
        if !snapshot_times.is_empty() {
            let snap = out.file(&format!("{stem}_snapshots.npy"))?;
            write_npy(&snap, &[snapshot_times.len(), n], &recording.snapshots[k])?;
            let times = out.file(&format!("{stem}_snapshots_times_ms.npy"))?;
            write_npy(&times, &[snapshot_times.len()], snapshot_times)?;
            let rule = net.projections[p.index()].plasticity.as_ref().expect("plastic");
            let png = out.file(&format!("{stem}_snapshots.png"))?;
            let mut columns: Vec<&[f32]> = vec![initial];
            columns.extend(recording.snapshots[k].chunks_exact(n.max(1)));
            let times: Vec<f64> = std::iter::once(0.0)
                .chain(snapshot_times.iter().copied())
                .collect();
            let title = format!("projection {}: weight histograms over time", p.index());
            plots::weight_snapshots_png(&png, &title, &times, &columns, rule.w_min, rule.w_max)?;
        }
        if k == 0 {
            let rule = net.projections[p.index()].plasticity.as_ref().expect("plastic");
            let png = out.file("weights.png")?;
            let title = format!(
                "projection {}: weights, initial vs final ({duration_ms:.0} ms)",
                p.index()
            );
            plots::weights_png(&png, &title, initial, &last.weights, rule.w_max)?;
        }
    }
    Ok(())
}

/// Draws the raster of the recorded populations, one band of their recorded neurons each
/// (`raster.png`).
fn write_raster(
    model: &ModelFile,
    sim: &Simulator,
    stream: &SpikeStream,
    report: &BenchReport,
    out: &mut OutputDir,
) -> Result<()> {
    let raster = out.file("raster.png")?;
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
        &stream.reader(),
        &bands,
        dt,
        report.duration_ms,
        (1200, 800),
    )?;
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
    recorded_spikes: u64,
    status: serde_json::Value,
    out: &mut OutputDir,
) -> Result<()> {
    let mut summary = serde_json::to_value(report).expect("report serialises");
    if let (Some(summary), serde_json::Value::Object(status)) = (summary.as_object_mut(), status) {
        summary.extend(status);
    }
    summary["populations"] = serde_json::Value::Array(populations);
    summary["unrecorded_populations"] = records::unrecorded_summary(sim, report.duration_ms);
    summary["recorded_spikes"] = serde_json::json!(recorded_spikes);
    let path = out.file("summary.json")?;
    crate::app::atomic::write_file(
        &path,
        serde_json::to_string_pretty(&summary).expect("json").as_bytes(),
    )
}
