//! Checkpoints of `spikegpu run --checkpoint-every T`, and what `spikegpu resume DIR` reads.
//!
//! A checkpoint is three files in the output folder: the simulator's state (`<slot>.sim`,
//! [`Simulator::save_checkpoint`]: versioned, checksummed), the recording's samples so far
//! (`<slot>.rec`, checksummed) and `checkpoint.json`, which names the slot, the tick, the
//! length of the spike stream at that tick and everything needed to rebuild the run (the
//! model file's text as read, its overrides, backend, duration and options). Slots alternate
//! between two names and the index is renamed into place last, so a crash at any moment
//! leaves the previous checkpoint whole.
//!
//! A distributed run (`mpirun -np N`) checkpoints per rank: each rank writes these files into
//! its own folder (rank 0 the output folder, rank r its sibling `<out>.rank<r>`), every
//! rank's slot whole before any index moves; the index records N, and only a resume on N
//! ranks continues it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::app::outdir::OutputDir;
use crate::app::spike_stream::{self, SpikeStream};
use crate::error::{Error, Result, invalid};
use crate::sim::Simulator;

/// The index file's name in the output folder.
pub const INDEX: &str = "checkpoint.json";
const SLOTS: [&str; 2] = ["checkpoint-a", "checkpoint-b"];
const INDEX_FORMAT: u32 = 1;

/// What `resume` needs to rebuild a run exactly.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunSettings {
    /// The model file's text as it was read.
    pub model_text: String,
    /// Where it was read from (for messages).
    pub model_origin: String,
    /// The model's name.
    pub model_name: String,
    /// The `--set`, `--seed` and `--record` overrides, as `KEY=VALUE`.
    pub overrides: Vec<String>,
    /// The backend that ran: `cpu` or `gpu`.
    pub backend: String,
    /// Biological time of the whole run (ms).
    pub duration_ms: f64,
    /// Biological time between checkpoints (ms).
    pub checkpoint_every_ms: f64,
    /// `--generate-on-device`.
    pub generate_on_device: bool,
    /// `--on-nonfinite`.
    pub on_nonfinite: String,
}

/// The index: which slot holds the latest checkpoint and where the run stood.
#[derive(Serialize, Deserialize)]
struct Index {
    format: u32,
    tick: u64,
    slot: String,
    stream_bytes: u64,
    settings: RunSettings,
    /// The ranks of the distributed run that wrote it (1: a single process).
    #[serde(default = "one_rank")]
    ranks: u32,
}

fn one_rank() -> u32 {
    1
}

/// Ranks of the run this process belongs to (1 outside `mpirun`).
fn run_ranks() -> u32 {
    #[cfg(feature = "mpi")]
    if let Some((_, ranks)) = crate::distributed::world() {
        return ranks;
    }
    1
}

/// Parses a checkpoint interval: a number and a unit (`10 s`, `500ms`, `2 min`, `1 h`).
pub fn parse_interval_ms(text: &str) -> Result<f64> {
    let allowed = "a biological time with its unit, e.g. '10 s', '500 ms', '2 min', '1 h'";
    let t = text.trim();
    let split = t
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(t.len());
    let (number, unit) = (t[..split].trim(), t[split..].trim());
    let scale = match unit {
        "ms" => 1.0,
        "s" => 1e3,
        "min" => 60e3,
        "h" => 3600e3,
        _ => return Err(invalid("--checkpoint-every", text, allowed)),
    };
    match number.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x * scale),
        _ => Err(invalid("--checkpoint-every", text, allowed)),
    }
}

/// Writes checkpoints every so many ticks.
pub struct Checkpointer {
    dir: PathBuf,
    every_ticks: u64,
    settings: RunSettings,
    next_slot: usize,
}

impl Checkpointer {
    /// Checkpoints of a run with `settings` into `out`, their file names listed in its
    /// manifest; the interval must be at least one time step of `dt_ms`.
    pub fn new(out: &mut OutputDir, settings: RunSettings, dt_ms: f64) -> Result<Self> {
        let every_ticks = Self::check_interval(settings.checkpoint_every_ms, dt_ms)?;
        for slot in SLOTS {
            out.file(&format!("{slot}.sim"))?;
            out.file(&format!("{slot}.rec"))?;
        }
        out.file(INDEX)?;
        Ok(Checkpointer {
            dir: out.path().to_path_buf(),
            every_ticks,
            settings,
            next_slot: 0,
        })
    }

    /// The interval in ticks of `dt_ms`, or an error naming `--checkpoint-every` when it is
    /// under one time step.
    pub fn check_interval(every_ms: f64, dt_ms: f64) -> Result<u64> {
        let every_ticks = (every_ms / dt_ms).round();
        if every_ticks >= 1.0 && every_ticks < 2f64.powi(53) {
            return Ok(every_ticks as u64);
        }
        Err(invalid(
            "--checkpoint-every",
            format!("{every_ms} ms"),
            &format!("must be at least one time step (dt = {dt_ms} ms)"),
        ))
    }

    /// The next checkpoint goes into the slot other than `slot` (the one a resumed run
    /// started from stays whole until a newer one is complete).
    pub fn after(mut self, slot: &str) -> Self {
        self.next_slot = usize::from(slot == SLOTS[0]);
        self
    }

    /// Ticks from `done` to the next checkpoint.
    pub fn ticks_to_next(&self, done: u64) -> u64 {
        self.every_ticks - done % self.every_ticks
    }

    /// Whether a checkpoint falls at `done` (none at the start or the end).
    pub fn is_due(&self, done: u64, total: u64) -> bool {
        done > 0 && done < total && done.is_multiple_of(self.every_ticks)
    }

    /// Writes a checkpoint of `sim` with the recording's part and the stream's length into
    /// the next slot, then points the index at it.
    pub fn write(&mut self, sim: &Simulator, recording: &[u8], stream: &SpikeStream) -> Result<()> {
        let slot = SLOTS[self.next_slot];
        let saved = sim
            .save_checkpoint(&self.dir.join(format!("{slot}.sim")))
            .and_then(|()| crate::app::atomic::write_file(&self.dir.join(format!("{slot}.rec")), recording));
        // On a rank of a distributed run (each writes its own files), no rank points its
        // index at the new slot before every rank's slot is whole.
        #[cfg(feature = "mpi")]
        let saved = match sim.engine().rank_engine() {
            Some(rank) => rank.comm().agree(saved),
            None => saved,
        };
        saved?;
        let index = Index {
            format: INDEX_FORMAT,
            tick: sim.ticks(),
            slot: slot.to_string(),
            stream_bytes: stream.spikes() * spike_stream::RECORD_BYTES as u64,
            settings: self.settings.clone(),
            ranks: run_ranks(),
        };
        let json = serde_json::to_string_pretty(&index).expect("index serialises");
        crate::app::atomic::write_file(&self.dir.join(INDEX), json.as_bytes())?;
        log::info!("checkpoint at tick {} in {}", index.tick, self.dir.display());
        self.next_slot ^= 1;
        Ok(())
    }

    /// Removes every checkpoint file (the run finished: nothing is left to resume).
    pub fn remove_all(&self) -> Result<()> {
        let names = SLOTS
            .iter()
            .flat_map(|s| [format!("{s}.sim"), format!("{s}.rec")])
            .chain([INDEX.to_string()]);
        for name in names {
            let path = self.dir.join(name);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::Output(format!("removing {} failed: {e}", path.display())));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The latest checkpoint of a folder, as `resume` finds it.
pub struct ResumePoint {
    /// How the run was started.
    pub settings: RunSettings,
    /// The simulator's checkpoint file.
    pub simulator: PathBuf,
    /// Its slot's name.
    pub slot: String,
    /// The recording's part.
    pub recording: Vec<u8>,
    /// The tick the checkpoint was taken at.
    pub tick: u64,
    /// Bytes of the spike stream up to that tick.
    pub stream_bytes: u64,
}

/// Reads the index of `dir` and the recording's part it names; a missing, corrupt or
/// foreign index is refused with [`Error::Checkpoint`].
pub fn latest(dir: &Path) -> Result<ResumePoint> {
    let path = dir.join(INDEX);
    let refuse = |why: String| Error::Checkpoint {
        path: path.display().to_string(),
        why,
    };
    let meta = std::fs::symlink_metadata(&path).map_err(|e| {
        refuse(format!(
            "cannot be read ({e}): was the run started with --checkpoint-every?"
        ))
    })?;
    if !meta.is_file() || meta.len() > crate::app::modelfile::MAX_MODEL_FILE_BYTES * 2 {
        return Err(refuse(
            "is not a checkpoint index (not a regular file, or too large)".into(),
        ));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| refuse(format!("cannot be read: {e}")))?;
    let index: Index =
        serde_json::from_str(&text).map_err(|e| refuse(format!("is not a checkpoint index: {e}")))?;
    if index.format != INDEX_FORMAT {
        return Err(refuse(format!(
            "format {}; this spikegpu reads format {INDEX_FORMAT}",
            index.format
        )));
    }
    if index.ranks != run_ranks() {
        return Err(refuse(format!(
            "was written by a run on {} rank(s) and resumes only on as many (mpirun -np {}); this run has {}",
            index.ranks,
            index.ranks,
            run_ranks()
        )));
    }
    if !SLOTS.contains(&index.slot.as_str()) {
        return Err(refuse(format!("names an unknown slot '{}'", index.slot)));
    }
    let rec_path = dir.join(format!("{}.rec", index.slot));
    let recording = std::fs::read(&rec_path).map_err(|e| Error::Checkpoint {
        path: rec_path.display().to_string(),
        why: format!("cannot be read: {e}"),
    })?;
    Ok(ResumePoint {
        simulator: dir.join(format!("{}.sim", index.slot)),
        slot: index.slot,
        settings: index.settings,
        recording,
        tick: index.tick,
        stream_bytes: index.stream_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_need_a_unit_and_a_positive_finite_number() {
        assert_eq!(parse_interval_ms("10 s").unwrap(), 10_000.0);
        assert_eq!(parse_interval_ms("500ms").unwrap(), 500.0);
        assert_eq!(parse_interval_ms("2 min").unwrap(), 120_000.0);
        assert_eq!(parse_interval_ms("1e1 s").unwrap(), 10_000.0);
        for bad in ["10", "-5 s", "0 ms", "inf s", "NaN s", "10 parsecs", ""] {
            let e = parse_interval_ms(bad).expect_err(bad);
            assert!(
                e.is_input_error() && e.to_string().contains("--checkpoint-every"),
                "{e}"
            );
        }
    }
}
