//! What `spikegpu run` samples between chunks besides spikes (probe values, weight
//! snapshots), the run loop that drives the simulator chunk by chunk, and the recording's
//! part of a checkpoint ([`Recording::encode`], [`Recording::restore`]).

use std::collections::VecDeque;

use crate::app::checkpoints::Checkpointer;
use crate::app::modelfile::ModelFile;
use crate::app::outdir::OutputDir;
use crate::app::probe_stream::ProbeStream;
use crate::app::records;
use crate::app::signals;
use crate::app::spike_stream::SpikeStream;
use crate::error::{Error, Result};
use crate::model::ProjectionId;
use crate::sim::{NonFiniteEvent, Simulator, WeightTicket};

/// Why a run stopped before its last tick.
pub(crate) enum Stop {
    /// The watchdog saw a neuron state become NaN or infinite (with the stop policy).
    NonFinite(Box<NonFiniteEvent>),
    /// SIGINT or SIGTERM ([`signals`]).
    Signal(i32),
}

/// What a run samples between chunks: probe values and weight snapshots.
pub(crate) struct Recording {
    /// Ticks between samples of each probe.
    pub(crate) probe_ticks: Vec<u64>,
    /// Per probe, the file its samples go to as they are taken.
    pub(crate) probes: Vec<ProbeStream>,
    /// The plastic projections, their weights before the run, their snapshots and the ticks
    /// between snapshots (none without plastic projections).
    pub(crate) plastic: Vec<ProjectionId>,
    pub(crate) initial_weights: Vec<Vec<f32>>,
    pub(crate) weight_ticks: Option<u64>,
    pub(crate) snapshots: Vec<Vec<f32>>,
    pub(crate) snapshot_times: Vec<f64>,
    /// Snapshot copies on their way, in request order.
    pub(crate) pending: VecDeque<(usize, WeightTicket)>,
}

impl Recording {
    /// A new run's recording: the probes' sample files are created in `out`.
    pub(crate) fn new(model: &ModelFile, sim: &Simulator, out: &mut OutputDir) -> Result<Self> {
        let probes = (0..model.probes.len())
            .map(|k| {
                ProbeStream::create(
                    out.file(&ProbeStream::file_name(k))?,
                    model.probes[k].neurons.len(),
                )
            })
            .collect::<Result<_>>()?;
        let mut recording = Self::with_probes(model, probes);
        recording.initial_weights = recording
            .plastic
            .iter()
            .map(|&p| Ok(sim.weights(p)?.weights))
            .collect::<Result<_>>()?;
        Ok(recording)
    }

    /// A resumed run's recording, as a checkpoint saved it: the probes' sample files are cut
    /// back to the checkpoint, and the simulator's spike counts and rate bins restored.
    pub(crate) fn resumed(
        model: &ModelFile,
        sim: &mut Simulator,
        out: &mut OutputDir,
        saved: Saved,
    ) -> Result<Self> {
        let probes = saved
            .probe_samples
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                let path = out.file(&ProbeStream::file_name(k))?;
                ProbeStream::reopen(path, model.probes[k].neurons.len(), n)
            })
            .collect::<Result<_>>()?;
        let mut recording = Self::with_probes(model, probes);
        recording.initial_weights = saved.initial_weights;
        recording.snapshots = saved.snapshots;
        recording.snapshot_times = saved.snapshot_times;
        sim.restore_record_counts(saved.counts, saved.rate_counts)
            .map_err(|why| Error::Checkpoint {
                path: out
                    .path()
                    .join(crate::app::checkpoints::INDEX)
                    .display()
                    .to_string(),
                why,
            })?;
        Ok(recording)
    }

    fn with_probes(model: &ModelFile, probes: Vec<ProbeStream>) -> Self {
        let net = &model.network;
        let dt = net.dt_ms;
        let plastic: Vec<_> = net
            .projection_ids()
            .into_iter()
            .filter(|p| net.projections[p.index()].plasticity.is_some())
            .collect();
        Recording {
            probe_ticks: model
                .probes
                .iter()
                .map(|p| (p.interval_ms / dt).round() as u64)
                .collect(),
            probes,
            initial_weights: vec![Vec::new(); plastic.len()],
            weight_ticks: model
                .weight_interval_ms
                .filter(|_| !plastic.is_empty())
                .map(|ms| (ms / dt).round() as u64),
            snapshots: vec![Vec::new(); plastic.len()],
            plastic,
            snapshot_times: Vec::new(),
            pending: VecDeque::new(),
        }
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
    pub(crate) fn run(
        &mut self,
        sim: &mut Simulator,
        model: &ModelFile,
        total: u64,
        stream: &mut SpikeStream,
        mut checkpoints: Option<&mut Checkpointer>,
        progress: &mut impl FnMut(u64, u64, u64),
    ) -> Result<Option<Stop>> {
        let dt = model.network.dt_ms;
        let chunk = self.chunk_ticks(dt);
        // 0, or the tick a resumed run continues from (its earlier pulses are in the state).
        let start = sim.ticks();
        let mut done = start;
        let mut pulses = model
            .modulator_pulses
            .iter()
            .map(|&(ms, channel, amount)| ((ms / dt).round() as u64, channel, amount))
            .filter(move |p| p.0 >= start)
            .peekable();
        let mut outcome = Ok(None);
        while done < total {
            if let Some(signal) = stop_signal(sim) {
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
            let until_checkpoint = checkpoints.as_ref().map_or(u64::MAX, |c| c.ticks_to_next(done));
            // Back onto the chunk grid after a pulse, so that samples stay on their ticks.
            let step = (chunk - done % chunk)
                .min(total - done)
                .min(until_pulse)
                .min(until_checkpoint);
            let ran = sim.run_ticks(step);
            // Whatever ran (up to the watchdog's tick) goes to disk before anything else.
            let chunk_spikes = sim.take_spike_records();
            let plan = sim.plan();
            stream.add(&chunk_spikes, |n| plan.population_of(n))?;
            match ran {
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
            // A rank of a distributed run stops short of `step` once the ranks agree to stop.
            done = sim.ticks();
            self.snapshot_weights(sim, done, dt)?;
            self.sample_probes(sim, model, done, dt)?;
            for probe in &mut self.probes {
                probe.flush()?;
            }
            if let Some(c) = checkpoints.as_deref_mut().filter(|c| c.is_due(done, total)) {
                self.collect_pending(sim)?;
                c.write(sim, &self.encode(sim)?, stream)?;
            }
            progress(done, total, sim.counters().spikes);
        }
        self.collect_pending(sim)?;
        outcome
    }

    /// Waits for every weight snapshot on its way.
    fn collect_pending(&mut self, sim: &mut Simulator) -> Result<()> {
        for (k, ticket) in std::mem::take(&mut self.pending) {
            self.snapshots[k].extend(sim.take_weights(ticket)?.weights);
        }
        Ok(())
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
            let values: Vec<f32> = p
                .neurons
                .iter()
                .map(|&n| records::state_value(&state[start + n as usize], p.field))
                .collect();
            self.probes[i].push(t, &values)?;
        }
        Ok(())
    }
}

/// The recording's part of a checkpoint: magic, then the samples each probe's file held, the
/// initial weights and snapshots so far, and the simulator's spike counts and rate bins, as
/// length-prefixed little-endian arrays, then an FNV-1a 64 checksum.
const MAGIC: &[u8; 13] = b"SPIKEGPU-REC2";

/// What a checkpoint saved of the recording ([`Recording::encode`]).
pub(crate) struct Saved {
    probe_samples: Vec<u64>,
    initial_weights: Vec<Vec<f32>>,
    snapshots: Vec<Vec<f32>>,
    snapshot_times: Vec<f64>,
    counts: Vec<u64>,
    rate_counts: Vec<Vec<u32>>,
}

impl Recording {
    /// What a checkpoint keeps of the recording (no snapshot may be on its way; the probes'
    /// files are flushed).
    pub(crate) fn encode(&mut self, sim: &Simulator) -> Result<Vec<u8>> {
        debug_assert!(self.pending.is_empty());
        for probe in &mut self.probes {
            probe.flush()?;
        }
        let (counts, rate_counts) = sim.record_counts();
        let probe_samples: Vec<u64> = self.probes.iter().map(ProbeStream::samples).collect();
        let mut bytes = MAGIC.to_vec();
        let mut put = |data: &[u8], len: usize| {
            bytes.extend_from_slice(&(len as u64).to_le_bytes());
            bytes.extend_from_slice(data);
        };
        put(bytemuck::cast_slice(&probe_samples), probe_samples.len());
        for (initial, snaps) in self.initial_weights.iter().zip(&self.snapshots) {
            put(bytemuck::cast_slice(initial), initial.len());
            put(bytemuck::cast_slice(snaps), snaps.len());
        }
        put(
            bytemuck::cast_slice(&self.snapshot_times),
            self.snapshot_times.len(),
        );
        put(bytemuck::cast_slice(&counts), counts.len());
        for bins in &rate_counts {
            put(bytemuck::cast_slice(bins), bins.len());
        }
        let sum = crate::sim::fnv1a(&bytes);
        bytes.extend_from_slice(&sum.to_le_bytes());
        Ok(bytes)
    }

    /// Reads what [`Recording::encode`] wrote for a model file with `probes` probes and
    /// `plastic` plastic projections; `Err` says why the bytes do not fit.
    pub(crate) fn decode(bytes: &[u8], probes: usize, plastic: usize) -> std::result::Result<Saved, String> {
        let body = bytes
            .len()
            .checked_sub(8)
            .filter(|&end| end >= MAGIC.len() && &bytes[..MAGIC.len()] == MAGIC)
            .ok_or("it is not a spikegpu recording state")?;
        let sum = u64::from_le_bytes(bytes[body..].try_into().expect("8 bytes"));
        if crate::sim::fnv1a(&bytes[..body]) != sum {
            return Err("its checksum does not match (the file is corrupt)".into());
        }
        let mut reader = Reader {
            bytes: &bytes[MAGIC.len()..body],
        };
        let probe_samples: Vec<u64> = reader.array()?;
        if probe_samples.len() != probes {
            return Err(format!(
                "it holds {} probes, this model file {probes}",
                probe_samples.len()
            ));
        }
        let (mut initial_weights, mut snapshots) = (Vec::new(), Vec::new());
        for _ in 0..plastic {
            initial_weights.push(reader.array()?);
            snapshots.push(reader.array()?);
        }
        let snapshot_times = reader.array()?;
        let counts: Vec<u64> = reader.array()?;
        let rate_counts = (0..counts.len())
            .map(|_| reader.array())
            .collect::<std::result::Result<_, _>>()?;
        if !reader.bytes.is_empty() {
            return Err("it holds more arrays than this model file records".into());
        }
        Ok(Saved {
            probe_samples,
            initial_weights,
            snapshots,
            snapshot_times,
            counts,
            rate_counts,
        })
    }
}

/// Reads length-prefixed arrays.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn array<T: bytemuck::Pod>(&mut self) -> std::result::Result<Vec<T>, String> {
        let short = || "it holds fewer arrays than this model file records".to_string();
        let len_bytes = self.bytes.get(..8).ok_or_else(short)?;
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let size = usize::try_from(len)
            .ok()
            .and_then(|n| n.checked_mul(std::mem::size_of::<T>()))
            .filter(|&n| n <= self.bytes.len() - 8)
            .ok_or_else(short)?;
        let data = &self.bytes[8..8 + size];
        self.bytes = &self.bytes[8 + size..];
        Ok(bytemuck::pod_collect_to_vec(data))
    }
}

/// The signal the run stops on: on a rank of a distributed run the one every rank agreed on
/// at the last exchange (the ranks must stop at the same tick), else the one this process
/// received.
fn stop_signal(sim: &Simulator) -> Option<i32> {
    #[cfg(feature = "mpi")]
    if let Some(rank) = sim.engine().rank_engine() {
        return rank.agreed_stop();
    }
    #[cfg(not(feature = "mpi"))]
    let _ = sim;
    signals::received()
}
