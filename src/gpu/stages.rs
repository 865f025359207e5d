//! Every compute stage declared once, as data: its bindings (index, the buffer it binds, the
//! access), its workgroup size and how it is dispatched. Bind group layouts, bind groups, the
//! tick's dispatches and their count all come from these declarations; a test with no GPU
//! compares each with the `@binding` list naga reads from the stage's WGSL.

use crate::plan::sizes::{ChunkLayout, DeviceBuffer, GENERATION_WORKGROUP, GRID_WORKGROUP, ThreadGrid};
use crate::sim::schedule::TickStage;
use DeviceBuffer::*;

/// How a stage may use a binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// `var<uniform>`.
    Uniform,
    /// `var<storage, read>`.
    Read,
    /// `var<storage, read_write>`.
    ReadWrite,
}

impl Access {
    /// As WGSL spells it.
    pub fn wgsl(self) -> &'static str {
        match self {
            Self::Uniform => "uniform",
            Self::Read => "storage, read",
            Self::ReadWrite => "storage, read_write",
        }
    }
}

/// One binding of group 0: its index, the buffer bound there (also the WGSL variable's
/// name) and the access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    /// `@binding` index.
    pub index: u32,
    /// The buffer.
    pub buffer: DeviceBuffer,
    /// Its access.
    pub access: Access,
}

const fn uniform(index: u32, buffer: DeviceBuffer) -> Binding {
    Binding {
        index,
        buffer,
        access: Access::Uniform,
    }
}

const fn read(index: u32, buffer: DeviceBuffer) -> Binding {
    Binding {
        index,
        buffer,
        access: Access::Read,
    }
}

const fn write(index: u32, buffer: DeviceBuffer) -> Binding {
    Binding {
        index,
        buffer,
        access: Access::ReadWrite,
    }
}

/// The bindings a chunked stage has per compact chunk layout: from binding `first`, one per
/// word chunk (`words_<c>`, chunk `c` of `compact_words`), then one per target chunk
/// (`targets_<c>`, chunk `c` of `compact_targets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkBindings {
    /// Binding of the first word chunk.
    pub first: u32,
    /// Access of every chunk.
    pub access: Access,
}

/// The three grids `prepare_propagate` writes into the indirect buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndirectGrid {
    /// One workgroup per spike of this tick.
    Spikes,
    /// One workgroup per spike of tick `t - stdp_lag`.
    LaggedSpikes,
    /// The synapses of a reward-modulated update (none on other ticks).
    ModulatedSynapses,
}

impl IndirectGrid {
    /// Byte offset of its arguments in the indirect buffer.
    pub fn offset(self) -> u64 {
        match self {
            Self::Spikes => 0,
            Self::LaggedSpikes => 12,
            Self::ModulatedSynapses => 24,
        }
    }
}

/// How a stage is dispatched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DispatchRule {
    /// On a 2-D thread grid of the plan ([`crate::plan::sizes::Grids`]).
    Grid(ThreadGrid),
    /// Indirectly, with the arguments `prepare_propagate` wrote.
    Indirect(IndirectGrid),
    /// One workgroup.
    Once,
    /// The row-count pass: one thread per chunk of picks.
    GenerationChunks,
    /// The synapse pass: one thread per row, in padded bit-reversed order.
    GenerationRows,
    /// One thread per case of a test-only check.
    Cases,
    /// One workgroup per exchanged spike of a distributed run (at most the device's
    /// workgroups per dimension; the workgroups stride the list), sized on the host.
    ExchangedSpikes,
}

/// A stage: its name (the WGSL file stem, the entry point, the label suffix and, for a tick
/// stage, `TickStage::name()`), bindings, chunk bindings, workgroup size and dispatch rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageDecl {
    /// Stage name.
    pub name: &'static str,
    /// The fixed bindings.
    pub bindings: &'static [Binding],
    /// The bindings per compact chunk, for the stages generated per chunk layout.
    pub chunks: Option<ChunkBindings>,
    /// Threads per workgroup (x).
    pub workgroup_size: u32,
    /// How it is dispatched.
    pub dispatch: DispatchRule,
}

/// One binding of a stage once its chunks are laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundSlot {
    /// `@binding` index.
    pub index: u32,
    /// The WGSL variable's name.
    pub name: String,
    /// The buffer.
    pub buffer: DeviceBuffer,
    /// Which part of the buffer (a chunk; 0 for unchunked buffers).
    pub part: usize,
    /// Its access.
    pub access: Access,
}

impl StageDecl {
    /// Every binding of the stage, chunk bindings laid out for `layout` (required exactly
    /// when the stage has chunks).
    pub fn slots(&self, layout: Option<&ChunkLayout>) -> Vec<BoundSlot> {
        let mut slots: Vec<BoundSlot> = self
            .bindings
            .iter()
            .map(|b| BoundSlot {
                index: b.index,
                name: b.buffer.name().to_string(),
                buffer: b.buffer,
                part: 0,
                access: b.access,
            })
            .collect();
        if let (Some(rule), Some(layout)) = (self.chunks, layout) {
            let mut index = rule.first;
            for (prefix, buffer, count) in [
                ("words", DeviceBuffer::CompactWords, layout.word_chunks),
                ("targets", DeviceBuffer::CompactTargets, layout.target_chunks),
            ] {
                for part in 0..count as usize {
                    slots.push(BoundSlot {
                        index,
                        name: format!("{prefix}_{part}"),
                        buffer,
                        part,
                        access: rule.access,
                    });
                    index += 1;
                }
            }
        }
        slots
    }

    /// Storage bindings before the chunks.
    pub fn fixed_storage_bindings(&self) -> u32 {
        self.bindings
            .iter()
            .filter(|b| b.access != Access::Uniform)
            .count() as u32
    }
}

/// Resets the halt flag and the record head at the start of each batch.
pub const BATCH_BEGIN: StageDecl = StageDecl {
    name: "batch_begin",
    bindings: &[write(0, Control)],
    chunks: None,
    workgroup_size: 1,
    dispatch: DispatchRule::Once,
};

const POISSON_INPUT: StageDecl = StageDecl {
    name: "poisson_input",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        read(2, Poisson),
        read(3, PoissonCdf),
        write(4, Ring),
        read(5, PoissonSegments),
    ],
    chunks: None,
    workgroup_size: GRID_WORKGROUP,
    dispatch: DispatchRule::Grid(ThreadGrid::Poisson),
};

const CURRENT_INPUT: StageDecl = StageDecl {
    name: "current_input",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        read(2, Currents),
        read(3, CurrentSteps),
        write(4, CurrentIn),
    ],
    chunks: None,
    workgroup_size: GRID_WORKGROUP,
    dispatch: DispatchRule::Grid(ThreadGrid::Current),
};

const NEURON_UPDATE: StageDecl = StageDecl {
    name: "neuron_update",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        read(2, Pops),
        write(3, State),
        write(4, Ring),
        write(5, Records),
        read(6, NeuronParams),
        read(7, SourceTicks),
        write(8, CurrentIn),
    ],
    chunks: None,
    workgroup_size: GRID_WORKGROUP,
    dispatch: DispatchRule::Grid(ThreadGrid::Neurons),
};

const PREPARE_PROPAGATE: StageDecl = StageDecl {
    name: "prepare_propagate",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        write(2, Indirect),
        write(3, SpikeHist),
    ],
    chunks: None,
    workgroup_size: 1,
    dispatch: DispatchRule::Once,
};

const PROPAGATE: StageDecl = StageDecl {
    name: "propagate",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        read(2, Records),
        read(3, RowPtr),
        read(4, Synapses),
        read(5, Weights),
        write(6, Ring),
        write(7, SpikeHist),
        write(8, SpikedAt),
    ],
    chunks: None,
    workgroup_size: 64,
    dispatch: DispatchRule::Indirect(IndirectGrid::Spikes),
};

/// `propagate` with Tsodyks-Markram synapses (the same tick stage).
const PROPAGATE_SHORT_TERM: StageDecl = StageDecl {
    name: "propagate_short_term",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        read(2, Records),
        read(3, RowPtr),
        read(4, Synapses),
        read(5, Weights),
        write(6, Ring),
        write(7, SpikeHist),
        write(8, SpikedAt),
        write(9, ShortTerm),
    ],
    chunks: None,
    workgroup_size: 64,
    dispatch: DispatchRule::Indirect(IndirectGrid::Spikes),
};

/// `propagate` with stochastic release (the same tick stage).
const PROPAGATE_STOCHASTIC: StageDecl = StageDecl {
    name: "propagate_stochastic",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        read(2, Records),
        read(3, RowPtr),
        read(4, Synapses),
        read(5, Weights),
        write(6, Ring),
        write(7, SpikeHist),
        write(8, SpikedAt),
        read(9, Release),
    ],
    chunks: None,
    workgroup_size: 64,
    dispatch: DispatchRule::Indirect(IndirectGrid::Spikes),
};

/// `propagate` for synapses in the compact format (the same tick stage).
const PROPAGATE_COMPACT: StageDecl = StageDecl {
    name: "propagate_compact",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        read(2, Records),
        read(3, Pops),
        read(4, CompactOutgoing),
        read(5, CompactProjections),
        read(6, CompactRowPtr),
        write(7, Ring),
    ],
    chunks: Some(ChunkBindings {
        first: 8,
        access: Access::Read,
    }),
    workgroup_size: 64,
    dispatch: DispatchRule::Indirect(IndirectGrid::Spikes),
};

const PROPAGATE_PROCEDURAL: StageDecl = StageDecl {
    name: "propagate_procedural",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        read(2, Records),
        read(3, Procedural),
        write(4, Ring),
    ],
    chunks: None,
    workgroup_size: 64,
    dispatch: DispatchRule::Indirect(IndirectGrid::Spikes),
};

const STDP_TRACES: StageDecl = StageDecl {
    name: "stdp_traces",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        read(2, Plastic),
        read(3, SpikedAt),
        write(4, Traces),
    ],
    chunks: None,
    workgroup_size: GRID_WORKGROUP,
    dispatch: DispatchRule::Grid(ThreadGrid::Trace),
};

const STDP_PRE: StageDecl = StageDecl {
    name: "stdp_pre",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        read(2, SpikeHist),
        read(3, RowPtr),
        read(4, Synapses),
        write(5, Weights),
        read(6, Plastic),
        read(7, Traces),
    ],
    chunks: None,
    workgroup_size: 64,
    dispatch: DispatchRule::Indirect(IndirectGrid::LaggedSpikes),
};

const STDP_POST: StageDecl = StageDecl {
    name: "stdp_post",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        read(2, SpikeHist),
        read(3, ColPtr),
        read(4, ColEntries),
        write(5, Weights),
        read(6, Plastic),
        read(7, Traces),
    ],
    chunks: None,
    workgroup_size: 64,
    dispatch: DispatchRule::Indirect(IndirectGrid::LaggedSpikes),
};

const MODULATED_UPDATE: StageDecl = StageDecl {
    name: "modulated_update",
    bindings: &[
        uniform(0, Params),
        read(1, Synapses),
        write(2, Weights),
        read(3, Plastic),
        read(4, Modulators),
    ],
    chunks: None,
    workgroup_size: 256,
    dispatch: DispatchRule::Indirect(IndirectGrid::ModulatedSynapses),
};

const TICK_END: StageDecl = StageDecl {
    name: "tick_end",
    bindings: &[
        uniform(0, Params),
        write(1, Control),
        write(2, Modulators),
        read(3, State),
    ],
    chunks: None,
    workgroup_size: 1,
    dispatch: DispatchRule::Once,
};

/// A rank of a distributed run: every rank's exchanged spikes into the input ring, outside
/// the tick (`shaders/stages/deliver.wgsl`, [`crate::gpu`]'s `deliver`).
pub const DELIVER: StageDecl = StageDecl {
    name: "deliver",
    bindings: &[
        uniform(0, Params),
        read(1, Deliveries),
        read(2, RowPtr),
        read(3, Synapses),
        read(4, Weights),
        write(5, Ring),
    ],
    chunks: None,
    workgroup_size: 64,
    dispatch: DispatchRule::ExchangedSpikes,
};

/// [`DELIVER`] for a rank whose synapses are stored compactly
/// (`shaders/stages/deliver_compact.wgsl`).
pub const DELIVER_COMPACT: StageDecl = StageDecl {
    name: "deliver_compact",
    bindings: &[
        uniform(0, Params),
        read(1, Deliveries),
        read(2, CompactOutgoing),
        read(3, CompactProjections),
        read(4, CompactRowPtr),
        write(5, Ring),
    ],
    chunks: Some(ChunkBindings {
        first: 6,
        access: Access::Read,
    }),
    workgroup_size: 64,
    dispatch: DispatchRule::ExchangedSpikes,
};

/// Connectivity generation, pass 1: row counts.
pub const GENERATE_COUNTS: StageDecl = StageDecl {
    name: "generate_counts",
    bindings: &[
        uniform(0, GenParams),
        read(1, GenProjections),
        write(2, GenCounts),
    ],
    chunks: None,
    workgroup_size: GENERATION_WORKGROUP,
    dispatch: DispatchRule::GenerationChunks,
};

/// Connectivity generation, pass 2: the synapses, written into the compact chunks.
pub const GENERATE_SYNAPSES: StageDecl = StageDecl {
    name: "generate_synapses",
    bindings: &[
        uniform(0, GenParams),
        read(1, GenProjections),
        read(2, GenCounts),
        read(3, CompactRowPtr),
        write(4, GenIndegree),
    ],
    chunks: Some(ChunkBindings {
        first: 5,
        access: Access::ReadWrite,
    }),
    workgroup_size: GENERATION_WORKGROUP,
    dispatch: DispatchRule::GenerationRows,
};

/// Test-only: Philox blocks and `mulhi32` products.
pub const RNG_CHECK: StageDecl = StageDecl {
    name: "rng_check",
    bindings: &[read(0, Cases), write(1, Results)],
    chunks: None,
    workgroup_size: 64,
    dispatch: DispatchRule::Cases,
};

/// Test-only: `chunk_position`.
pub const POSITION_CHECK: StageDecl = StageDecl {
    name: "position_check",
    bindings: &[read(0, Cases), write(1, Results)],
    chunks: None,
    workgroup_size: 64,
    dispatch: DispatchRule::Cases,
};

/// Every stage: the batch's, the tick's (every form of `propagate`), a rank's `deliver`,
/// generation and checks.
pub const DECLARATIONS: &[StageDecl] = &[
    BATCH_BEGIN,
    POISSON_INPUT,
    CURRENT_INPUT,
    NEURON_UPDATE,
    PREPARE_PROPAGATE,
    PROPAGATE,
    PROPAGATE_COMPACT,
    PROPAGATE_SHORT_TERM,
    PROPAGATE_STOCHASTIC,
    PROPAGATE_PROCEDURAL,
    STDP_TRACES,
    STDP_PRE,
    STDP_POST,
    MODULATED_UPDATE,
    TICK_END,
    DELIVER,
    DELIVER_COMPACT,
    GENERATE_COUNTS,
    GENERATE_SYNAPSES,
    RNG_CHECK,
    POSITION_CHECK,
];

/// `decl`, or `propagate_stochastic` in place of `propagate` when the network has
/// stochastic release (`release`).
pub fn with_release(decl: &'static StageDecl, release: bool) -> &'static StageDecl {
    if release && decl.name == PROPAGATE.name {
        &PROPAGATE_STOCHASTIC
    } else {
        decl
    }
}

/// The declaration of the stage called `name`, if any.
pub fn declaration(name: &str) -> Option<&'static StageDecl> {
    DECLARATIONS.iter().find(|d| d.name == name)
}

/// The declaration a tick stage runs as: `propagate` reads compact synapses through
/// `propagate_compact`, and delivers Tsodyks-Markram synapses through
/// `propagate_short_term`.
pub fn tick_declaration(stage: TickStage, compact: bool, short_term: bool) -> &'static StageDecl {
    match stage {
        TickStage::PoissonInput => &POISSON_INPUT,
        TickStage::CurrentInput => &CURRENT_INPUT,
        TickStage::NeuronUpdate => &NEURON_UPDATE,
        TickStage::PreparePropagate => &PREPARE_PROPAGATE,
        TickStage::Propagate if compact => &PROPAGATE_COMPACT,
        TickStage::Propagate if short_term => &PROPAGATE_SHORT_TERM,
        TickStage::Propagate => &PROPAGATE,
        TickStage::PropagateProcedural => &PROPAGATE_PROCEDURAL,
        TickStage::StdpTraces => &STDP_TRACES,
        TickStage::StdpPre => &STDP_PRE,
        TickStage::StdpPost => &STDP_POST,
        TickStage::ModulatedUpdate => &MODULATED_UPDATE,
        TickStage::TickEnd => &TICK_END,
    }
}
