//! The compact synapse arrays' shape and how they split over bindings.

use super::{
    COMPACT_FIXED_STORAGE_BINDINGS, DeviceLimits, GENERATION_FIXED_STORAGE_BINDINGS, MIN_CHUNK_BYTES,
};
use crate::plan::Plan;
use crate::plan::compact::{self, CompactSynapses, GENERATED_ALIGN};

/// How the compact synapse arrays are split over bindings: `word_chunks` bindings of
/// weight/delay words, each `2^chunk_shift` words (the last may be shorter), and
/// `target_chunks` of targets. The targets of word chunk `c` are its region of
/// `target_bits * 2^(chunk_shift - 5)` words, number `c % span` of target chunk `c / span`,
/// with `span = compact::target_chunk_span(target_bits)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkLayout {
    /// Bindings of weight/delay words.
    pub word_chunks: u32,
    /// Bindings of targets.
    pub target_chunks: u32,
    /// log2 of the words per chunk (5 to 31).
    pub chunk_shift: u32,
    /// Delay bits of each word.
    pub delay_bits: u32,
    /// Bits of each target (1 to 32).
    pub target_bits: u32,
}

impl Default for ChunkLayout {
    fn default() -> Self {
        Self {
            word_chunks: 1,
            target_chunks: 1,
            chunk_shift: 31,
            delay_bits: 13,
            target_bits: 16,
        }
    }
}

impl ChunkLayout {
    /// Words per chunk of targets: `span` word chunks' regions of targets.
    pub fn target_chunk_words(&self) -> u64 {
        u64::from(compact::target_chunk_span(self.target_bits))
            * (u64::from(self.target_bits) << (self.chunk_shift - 5))
    }

    /// Bindings of chunks in all.
    pub fn chunk_bindings(&self) -> u32 {
        self.word_chunks + self.target_chunks
    }
}

/// The sizes of a plan's compact synapse arrays, known before they are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactShape {
    /// Words encoded on the host (padded to [`GENERATED_ALIGN`] when generated ones follow).
    pub host_words: u64,
    /// Synapses the GPU generates after them.
    pub device_synapses: u64,
    /// Delay bits of each word.
    pub delay_bits: u32,
    /// Bits of each target.
    pub target_bits: u32,
    /// Row pointers of all stored projections.
    pub row_ptr_len: u64,
    /// Stored (not procedural) projections.
    pub projections: u64,
    /// Populations (one outgoing entry each).
    pub populations: u64,
}

impl CompactShape {
    /// The shape [`CompactSynapses::encode_scaled`] gives for `plan`, computed from its
    /// projection summaries (whether the network qualifies is decided by encoding it).
    pub fn of_plan(plan: &Plan) -> Self {
        let stored = plan.projections.iter().filter(|p| !p.procedural);
        let host: u64 = stored.clone().filter(|p| !p.device).map(|p| p.synapses).sum();
        let device_synapses: u64 = plan.device_projections.iter().map(|d| u64::from(d.n_total)).sum();
        let device_rows: u64 = plan
            .device_projections
            .iter()
            .map(|d| u64::from(d.pre_size) + 1)
            .sum();
        let host_rows: u64 = stored
            .clone()
            .filter(|p| !p.device)
            .map(|p| p.local_row_ptr.len() as u64)
            .sum();
        Self {
            host_words: if device_synapses > 0 {
                host.next_multiple_of(GENERATED_ALIGN as u64)
            } else {
                host
            },
            device_synapses,
            delay_bits: compact::delay_bits(plan),
            target_bits: compact::target_bits(plan),
            row_ptr_len: host_rows + device_rows,
            projections: stored.count() as u64,
            populations: plan.populations.len() as u64,
        }
    }

    /// The shape of arrays already encoded.
    pub fn of_encoded(c: &CompactSynapses) -> Self {
        Self {
            host_words: c.words.len() as u64,
            device_synapses: c.device_synapses,
            delay_bits: c.delay_bits,
            target_bits: c.target_bits,
            row_ptr_len: c.row_ptr.len() as u64,
            projections: c.projections.len() as u64,
            populations: c.outgoing.len() as u64,
        }
    }

    /// Words of weights/delays in all, generated ones included.
    pub fn total_words(&self) -> u64 {
        self.host_words + self.device_synapses
    }

    /// Words of targets in all.
    pub fn total_target_words(&self) -> u64 {
        (self.total_words() * u64::from(self.target_bits)).div_ceil(32)
    }

    /// Device bytes per synapse: word, target and row pointers spread over the synapses.
    pub fn bytes_per_synapse(&self) -> f64 {
        let n = self.total_words();
        if n == 0 {
            return 0.0;
        }
        (n * 4 + self.total_target_words() * 4 + self.row_ptr_len * 4) as f64 / n as f64
    }
}

/// The compact arrays split over bindings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompactSizes {
    /// Their shape.
    pub shape: CompactShape,
    /// The chunk layout the chunked stages are generated for.
    pub layout: ChunkLayout,
    /// Bytes of a full word chunk (a power of two).
    pub chunk_bytes: u64,
    /// Words of a full word chunk.
    pub chunk_words: u64,
    /// Words of a full target chunk.
    pub target_chunk_words: u64,
}

impl CompactSizes {
    pub(super) fn new(shape: CompactShape, limits: &DeviceLimits, max_chunk_bytes: Option<u64>) -> Self {
        let max_binding = limits.max_binding_bytes();
        let limit = max_chunk_bytes
            .unwrap_or(max_binding)
            .clamp(MIN_CHUNK_BYTES, max_binding.max(MIN_CHUNK_BYTES));
        let chunk_bytes = 1u64 << (63 - limit.leading_zeros());
        let chunk_words = chunk_bytes / 4;
        let mut layout = ChunkLayout {
            word_chunks: shape.total_words().div_ceil(chunk_words).max(1) as u32,
            target_chunks: 1,
            chunk_shift: chunk_words.trailing_zeros(),
            delay_bits: shape.delay_bits,
            target_bits: shape.target_bits,
        };
        let target_chunk_words = layout.target_chunk_words();
        layout.target_chunks = shape.total_target_words().div_ceil(target_chunk_words).max(1) as u32;
        Self {
            shape,
            layout,
            chunk_bytes,
            chunk_words,
            target_chunk_words,
        }
    }

    /// Storage bindings `propagate_compact` needs.
    pub fn propagate_bindings(&self) -> u32 {
        COMPACT_FIXED_STORAGE_BINDINGS + self.layout.chunk_bindings()
    }

    /// Storage bindings `generate_synapses` needs.
    pub fn generation_bindings(&self) -> u32 {
        GENERATION_FIXED_STORAGE_BINDINGS + self.layout.chunk_bindings()
    }
}
