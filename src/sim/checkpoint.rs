//! Checkpoints: the simulator's [`EngineState`] in a versioned, checksummed file, written
//! atomically (a temporary name renamed into place), and restored on either backend.
//!
//! Layout (little-endian): the magic `SPIKEGPU-CKPT`, the format version (u32), the network's
//! fingerprint (u64), the payload's length (u64), the payload, and an FNV-1a 64 checksum of
//! everything before it. The payload holds the state's counters, then each array as its
//! length (u64) and elements. The fingerprint covers what decides the state's meaning (time
//! step, populations, synapse rows and targets; for user-defined models also the model,
//! its variables, constants and per-neuron parameters), so a checkpoint of another model
//! file, or of the same file with another seed, is refused.
//!
//! Version 2 adds, after version 1's payload, the variables past the sixth of each
//! population of a user-defined model. It is written only for networks that have such
//! populations; the others keep version 1's layout, and both versions are read.

use std::path::Path;

use super::{Backend, EngineState, NonFiniteFault, SimOptions, Simulator};
use crate::error::{Error, Result};
use crate::model::Network;
use crate::plan::Plan;

const MAGIC: &[u8; 13] = b"SPIKEGPU-CKPT";
/// The newest format version (written for networks with user-defined models); files of
/// this version and of [`CHECKPOINT_VERSION_PLAIN`] are read, others refused.
pub const CHECKPOINT_VERSION: u32 = 2;

/// The version written for networks without user-defined models (no equation section).
pub const CHECKPOINT_VERSION_PLAIN: u32 = 1;

impl Simulator {
    /// Everything the rest of the run depends on ([`EngineState`]), in the layout every
    /// backend shares: a state exported by one backend continues on the other.
    pub fn export_state(&self) -> Result<EngineState> {
        self.refuse_short_term()?;
        self.engine.export_state(&self.plan)
    }

    /// Whether this network's state can be checkpointed: short-term plasticity keeps state
    /// outside the shared layout and is refused, not half saved.
    pub fn check_checkpointable(&self) -> Result<()> {
        self.refuse_short_term()
    }

    /// Short-term plasticity keeps its `u` and `x` outside the shared layout: refused, not
    /// half saved.
    fn refuse_short_term(&self) -> Result<()> {
        if self.plan.short_term.is_empty() {
            return Ok(());
        }
        Err(crate::error::invalid(
            "checkpoint",
            "short-term plasticity",
            "networks with Tsodyks-Markram synapses (short_term) cannot be checkpointed or restored yet",
        ))
    }

    /// Continues from `state`, exported from a simulator of the same network (on either
    /// backend); a state whose arrays do not fit this network is refused. The spikes recorded
    /// so far stay as they are. A test may move `state.tick` to place a run anywhere in time
    /// (the inputs drawn from the counter-based generator then follow the new ticks).
    pub fn import_state(&mut self, state: &EngineState) -> Result<()> {
        crate::limits::check_run_end(state.tick, 0)?;
        self.refuse_short_term()?;
        self.engine.import_state(&self.plan, state)
    }

    /// Writes a checkpoint of the current state to `path` (atomically: a crash leaves the
    /// previous file, never a partial one). Recorded spikes are not part of it.
    pub fn save_checkpoint(&self, path: &Path) -> Result<()> {
        let state = self.export_state()?;
        let mut payload = Vec::new();
        let version = encode(&state, &mut payload);
        let mut bytes = Vec::with_capacity(payload.len() + 48);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&version.to_le_bytes());
        bytes.extend_from_slice(&self.checkpoint_fingerprint().to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&payload);
        bytes.extend_from_slice(&fnv1a(&bytes).to_le_bytes());
        crate::app::atomic::write_file(path, &bytes)
    }

    /// Builds `net` on `backend` and continues from the checkpoint at `path`, written by
    /// [`Simulator::save_checkpoint`] for the same network on either backend. An unreadable,
    /// corrupt, truncated, other-version or other-network file is refused with
    /// [`Error::Checkpoint`].
    pub fn restore(net: &Network, backend: Backend, options: SimOptions, path: &Path) -> Result<Self> {
        let mut sim = Simulator::with_options(net, backend, options)?;
        sim.restore_from(path)?;
        Ok(sim)
    }

    /// Continues this simulator from the checkpoint at `path` (see [`Simulator::restore`]).
    /// On a rank of a distributed run every rank calls it together with its own file, and a
    /// file refused on any rank fails every rank with the same message.
    pub fn restore_from(&mut self, path: &Path) -> Result<()> {
        let state = self.read_checkpoint(path);
        #[cfg(feature = "mpi")]
        let state = match self.engine.rank_engine() {
            Some(rank) => rank.comm().agree(state),
            None => state,
        };
        self.import_state(&state?)
    }

    /// The state in the checkpoint at `path`, checked against this network.
    fn read_checkpoint(&self, path: &Path) -> Result<EngineState> {
        let refuse = |why: String| Error::Checkpoint {
            path: path.display().to_string(),
            why,
        };
        let bytes = std::fs::read(path).map_err(|e| refuse(format!("cannot be read: {e}")))?;
        let (version, payload) = check_envelope(&bytes, self.checkpoint_fingerprint()).map_err(refuse)?;
        let state = decode(payload, version).ok_or_else(|| refuse("its payload is malformed".into()))?;
        // A rank's state has the rank's shapes, which its engine checks on import.
        if !self.is_rank() {
            state
                .check_shape(&self.plan)
                .map_err(|why| refuse(format!("it does not fit this network: {why}")))?;
        }
        Ok(state)
    }

    /// Whether this simulator is a rank of a distributed run.
    fn is_rank(&self) -> bool {
        #[cfg(feature = "mpi")]
        if self.engine.rank_engine().is_some() {
            return true;
        }
        false
    }

    /// The network's fingerprint; on a rank of a distributed run with the rank and the
    /// rank count, so that a rank's file is refused by another rank or rank count.
    fn checkpoint_fingerprint(&self) -> u64 {
        let network = fingerprint(&self.plan);
        #[cfg(feature = "mpi")]
        if let Some(rank) = self.engine.rank_engine() {
            let (r, n) = (rank.comm().rank(), rank.comm().size());
            return fnv1a(
                &[network, u64::from(r), u64::from(n)]
                    .map(u64::to_le_bytes)
                    .concat(),
            );
        }
        network
    }
}

/// The version and payload of a checkpoint file after checking magic, version, checksum,
/// length and network fingerprint, or why it is refused.
fn check_envelope(bytes: &[u8], expected: u64) -> std::result::Result<(u32, &[u8]), String> {
    let head = MAGIC.len() + 4 + 8 + 8;
    if bytes.len() < head + 8 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(format!("not a spikegpu checkpoint ({} bytes)", bytes.len()));
    }
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let version = u32::from_le_bytes(bytes[MAGIC.len()..MAGIC.len() + 4].try_into().expect("4 bytes"));
    if version != CHECKPOINT_VERSION && version != CHECKPOINT_VERSION_PLAIN {
        return Err(format!(
            "format version {version}; this spikegpu reads versions {CHECKPOINT_VERSION_PLAIN} and {CHECKPOINT_VERSION}"
        ));
    }
    let length = word(MAGIC.len() + 12);
    if length != (bytes.len() - head - 8) as u64 {
        return Err(format!(
            "truncated or extended: the payload should be {length} bytes, the file holds {}",
            bytes.len().saturating_sub(head + 8)
        ));
    }
    let end = bytes.len() - 8;
    if fnv1a(&bytes[..end]) != word(end) {
        return Err("its checksum does not match (the file is corrupt)".into());
    }
    if word(MAGIC.len() + 4) != expected {
        return Err("it was written for another network (model file, seed or time step)".into());
    }
    Ok((version, &bytes[head..end]))
}

/// FNV-1a 64 of `bytes`.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// What identifies a network for checkpoints: time step, populations (name, range,
/// constants), synapse rows and targets, and the Poisson inputs.
fn fingerprint(plan: &Plan) -> u64 {
    let mut bytes = plan.dt_ms.to_le_bytes().to_vec();
    for p in &plan.populations {
        bytes.extend_from_slice(p.name.as_bytes());
        bytes.extend_from_slice(bytemuck::bytes_of(&p.gpu));
    }
    bytes.extend_from_slice(bytemuck::cast_slice(&plan.row_ptr));
    bytes.extend_from_slice(bytemuck::cast_slice(&plan.synapses));
    bytes.extend_from_slice(bytemuck::cast_slice(&plan.poisson));
    bytes.extend_from_slice(&plan.key[0].to_le_bytes());
    bytes.extend_from_slice(&plan.key[1].to_le_bytes());
    // Only with user-defined models, so that other networks keep version 1's fingerprint.
    for eq in &plan.equations {
        bytes.extend_from_slice(eq.model.name().as_bytes());
        for var in eq.model.variables() {
            bytes.extend_from_slice(var.name.as_bytes());
            bytes.push(0);
        }
        bytes.extend_from_slice(bytemuck::cast_slice(&eq.constants));
        for values in &eq.per_neuron {
            bytes.extend_from_slice(bytemuck::cast_slice(values));
        }
    }
    fnv1a(&bytes)
}

fn put_array<T: bytemuck::Pod>(out: &mut Vec<u8>, values: &[T]) {
    out.extend_from_slice(&(values.len() as u64).to_le_bytes());
    out.extend_from_slice(bytemuck::cast_slice(values));
}

/// Appends the payload of `s` to `out`; returns its format version.
fn encode(s: &EngineState, out: &mut Vec<u8>) -> u32 {
    for word in [s.tick, s.spikes, s.syn_events] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    put_array(out, &s.neurons);
    put_array(out, &s.ring);
    put_array(out, &s.weights);
    put_array(out, &s.eligibility);
    put_array(out, &s.traces);
    out.extend_from_slice(&(s.spike_history.len() as u64).to_le_bytes());
    for ids in &s.spike_history {
        put_array(out, ids);
    }
    put_array(out, &s.modulators);
    let fault = s
        .fault
        .map_or([0u64; 4], |f| [1, f.tick, f.neuron.into(), f.field.into()]);
    put_array(out, &fault);
    if s.equations.is_empty() {
        return CHECKPOINT_VERSION_PLAIN;
    }
    out.extend_from_slice(&(s.equations.len() as u64).to_le_bytes());
    for values in &s.equations {
        put_array(out, values);
    }
    CHECKPOINT_VERSION
}

/// Reads a payload of format `version` back, `None` where it is malformed.
fn decode(bytes: &[u8], version: u32) -> Option<EngineState> {
    let mut reader = Reader { bytes, at: 0 };
    let (tick, spikes, syn_events) = (reader.word()?, reader.word()?, reader.word()?);
    let neurons = reader.array()?;
    let ring = reader.array()?;
    let weights = reader.array()?;
    let eligibility = reader.array()?;
    let traces = reader.array()?;
    let entries = reader.word()?;
    let spike_history = (0..entries).map(|_| reader.array()).collect::<Option<Vec<_>>>()?;
    let modulators = reader.array()?;
    let fault: Vec<u64> = reader.array()?;
    let equations = if version == CHECKPOINT_VERSION {
        let populations = reader.word()?;
        (0..populations)
            .map(|_| reader.array())
            .collect::<Option<Vec<_>>>()?
    } else {
        Vec::new()
    };
    if fault.len() != 4 || reader.at != bytes.len() {
        return None;
    }
    Some(EngineState {
        tick,
        spikes,
        syn_events,
        neurons,
        ring,
        weights,
        eligibility,
        traces,
        spike_history,
        modulators,
        fault: (fault[0] == 1).then(|| NonFiniteFault {
            tick: fault[1],
            neuron: fault[2] as u32,
            field: fault[3] as u32,
        }),
        equations,
    })
}

/// A cursor over a payload.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn word(&mut self) -> Option<u64> {
        let w = u64::from_le_bytes(self.bytes.get(self.at..self.at + 8)?.try_into().ok()?);
        self.at += 8;
        Some(w)
    }

    fn array<T: bytemuck::Pod>(&mut self) -> Option<Vec<T>> {
        let len = usize::try_from(self.word()?).ok()?;
        let size = len.checked_mul(size_of::<T>())?;
        let end = self.at.checked_add(size)?;
        let values = bytemuck::pod_collect_to_vec(self.bytes.get(self.at..end)?);
        self.at = end;
        Some(values)
    }
}
