//! The buffer table: every device buffer by name, and the bytes of each for a plan.

use super::chunks::CompactSizes;
use super::{CONTROL_BYTES, DeviceSizes, EMPTY_BINDING_BYTES, INDIRECT_BYTES};
use crate::plan::layout::{
    self, CompactProjection, CurrentGpu, CurrentStep, NeuronState, PlasticGpu, PoissonGpu, PoissonSegment,
    PopGpu, ProceduralGpu, SimParams, SpikeRecord, Synapse,
};
use crate::plan::{PORTS, Plan};

/// Every device buffer a stage can bind, by the name its WGSL variable has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceBuffer {
    /// Run constants ([`SimParams`], uniform).
    Params,
    /// Tick, end tick, counters and the record head ([`Control`]).
    Control,
    /// Population table.
    Pops,
    /// Neuron state.
    State,
    /// Fixed-point input delay ring, `[port][slot][neuron]`.
    Ring,
    /// Spike record ring.
    Records,
    /// Row pointers of the wide synapse format.
    RowPtr,
    /// Wide synapses (target, delay/port word).
    Synapses,
    /// Wide f32 weights (then eligibility traces with reward modulation).
    Weights,
    /// Poisson inputs.
    Poisson,
    /// Rate segments of the Poisson inputs.
    PoissonSegments,
    /// Count thresholds of the Poisson segments.
    PoissonCdf,
    /// Per-neuron parameters.
    NeuronParams,
    /// Spike times of spike sources.
    SourceTicks,
    /// Current sources.
    Currents,
    /// Steps of step currents.
    CurrentSteps,
    /// Fixed-point current accumulator.
    CurrentIn,
    /// Spike counts of the last ticks (STDP).
    SpikeHist,
    /// Last spike tick of each neuron (STDP).
    SpikedAt,
    /// STDP trace histories.
    Traces,
    /// Plastic projections.
    Plastic,
    /// Transpose column pointers (STDP).
    ColPtr,
    /// Transpose entries (STDP).
    ColEntries,
    /// Neuromodulator levels.
    Modulators,
    /// Procedural projections.
    Procedural,
    /// Tsodyks-Markram projections, segments and state ([`crate::plan::short_term`]).
    ShortTerm,
    /// Per synapse, its stochastic release threshold ([`crate::plan::Plan::release`]).
    Release,
    /// Indirect dispatch arguments of the spike-driven stages.
    Indirect,
    /// The two host-mappable copies of the control block and the records (bound by no stage).
    Staging,
    /// Weight/delay words of the compact format, one buffer per chunk.
    CompactWords,
    /// Targets of the compact format, one buffer per chunk.
    CompactTargets,
    /// Row pointers of the compact format.
    CompactRowPtr,
    /// Projection table of the compact format.
    CompactProjections,
    /// Per population, its projections in the compact table.
    CompactOutgoing,
    /// Run constants of a generation pass.
    GenParams,
    /// Projection table of the generation passes.
    GenProjections,
    /// Row counts of the generated projections.
    GenCounts,
    /// In-degrees counted while generating.
    GenIndegree,
    /// A rank's exchanged spikes to deliver (`deliver`): count, then (tick slot, neuron).
    Deliveries,
    /// Input of a test-only check stage.
    Cases,
    /// Output of a test-only check stage.
    Results,
}

impl DeviceBuffer {
    /// The buffer's name: the WGSL variable that binds it and its label `spikegpu.<name>`.
    pub fn name(self) -> &'static str {
        use DeviceBuffer::*;
        match self {
            Params => "params",
            Control => "control",
            Pops => "pops",
            State => "state",
            Ring => "ring",
            Records => "records",
            RowPtr => "row_ptr",
            Synapses => "synapses",
            Weights => "weights",
            Poisson => "poisson",
            PoissonSegments => "poisson_segments",
            PoissonCdf => "poisson_cdf",
            NeuronParams => "neuron_params",
            SourceTicks => "source_ticks",
            Currents => "currents",
            CurrentSteps => "current_steps",
            CurrentIn => "current_in",
            SpikeHist => "spike_hist",
            SpikedAt => "spiked_at",
            Traces => "traces",
            Plastic => "plastic",
            ColPtr => "col_ptr",
            ColEntries => "col_entries",
            Modulators => "modulators",
            Procedural => "procedural",
            ShortTerm => "short_term",
            Release => "release",
            Indirect => "indirect",
            Staging => "staging",
            CompactWords => "compact_words",
            CompactTargets => "compact_targets",
            CompactRowPtr => "compact_row_ptr",
            CompactProjections => "compact_projections",
            CompactOutgoing => "compact_outgoing",
            GenParams => "gen_params",
            GenProjections => "gen_projections",
            GenCounts => "gen_counts",
            GenIndegree => "gen_indegree",
            Deliveries => "deliveries",
            Cases => "cases",
            Results => "results",
        }
    }
}

/// One entry of a buffer table: a buffer and the bytes of each of its parts (chunks, or the
/// two staging copies; one part for every other buffer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BufferSize {
    /// Which buffer.
    pub buffer: DeviceBuffer,
    /// Bytes of each part.
    pub parts: Vec<u64>,
}

impl BufferSize {
    pub(super) fn one(buffer: DeviceBuffer, bytes: u64) -> Self {
        Self {
            buffer,
            parts: vec![bytes],
        }
    }

    /// Bytes of all parts.
    pub fn bytes(&self) -> u64 {
        self.parts.iter().sum()
    }
}

/// Bytes of a buffer initialised from `len` bytes of data: padded to whole words, and an
/// empty array stands in as [`EMPTY_BINDING_BYTES`] of zeros.
pub fn init_bytes(len: u64) -> u64 {
    if len == 0 {
        EMPTY_BINDING_BYTES
    } else {
        len.next_multiple_of(4)
    }
}

/// Bytes of a zeroed buffer of `size` bytes (at least one element of any array).
pub fn zeroed_bytes(size: u64) -> u64 {
    size.max(EMPTY_BINDING_BYTES)
}

/// Bytes of `len` elements of `T`.
fn array_bytes<T>(len: usize) -> u64 {
    len as u64 * size_of::<T>() as u64
}

/// Bytes of the record ring at `capacity` entries.
pub fn records_bytes(capacity: u32) -> u64 {
    u64::from(capacity) * size_of::<SpikeRecord>() as u64
}

/// Bytes of one staging buffer at record capacity `capacity`.
pub fn staging_bytes(capacity: u32) -> u64 {
    CONTROL_BYTES + records_bytes(capacity)
}

/// The arrays whose sizes the network decides, named as the limit errors name them (the
/// requested bytes, before any padding).
pub(super) fn named_arrays(plan: &Plan, compact: bool) -> Vec<(&'static str, u64)> {
    let n = u64::from(plan.n_neurons);
    let wide_synapses = if compact { 0 } else { plan.synapse_count() };
    let eligibility = u64::from(plan.modulation_interval > 0);
    vec![
        ("neuron state", n * size_of::<NeuronState>() as u64),
        ("input ring", ring_bytes(plan)),
        ("synapses (target, delay, port)", wide_synapses * 8),
        (
            "synapse weights (and eligibility traces)",
            wide_synapses * 4 * (1 + eligibility),
        ),
        ("row pointers", (n + 1) * 4),
        ("spike record ring", (n + 1) * 8),
    ]
}

/// Bytes of the input ring, `[port][slot][neuron]` of i32.
pub(super) fn ring_bytes(plan: &Plan) -> u64 {
    u64::from(PORTS) * u64::from(plan.ring_slots) * u64::from(plan.n_neurons) * 4
}

/// The buffers of a run, in allocation order.
pub(super) fn run_buffers(plan: &Plan, sizes: &DeviceSizes) -> Vec<BufferSize> {
    use DeviceBuffer::*;
    let n = plan.n_neurons as usize;
    let compact = sizes.compact.is_some();
    let plastic = !plan.plastic.is_empty();
    let (wide_synapses, wide_weights) = if compact {
        (0, 0)
    } else {
        let eligibility = 1 + usize::from(plan.modulation_interval > 0);
        (plan.synapses.len(), plan.weights.len() * eligibility)
    };
    let spike_hist = if plastic {
        u64::from(plan.hist_len) * (n as u64 + 1) * 4
    } else {
        0
    };
    let capacity = sizes.record_capacity;
    let mut table = vec![
        BufferSize::one(Params, size_of::<SimParams>() as u64),
        BufferSize::one(Control, init_bytes(size_of::<layout::Control>() as u64)),
        BufferSize::one(Pops, init_bytes(array_bytes::<PopGpu>(plan.populations.len()))),
        BufferSize::one(
            State,
            init_bytes(array_bytes::<NeuronState>(plan.initial_state.len())),
        ),
        BufferSize::one(Ring, zeroed_bytes(ring_bytes(plan))),
        BufferSize::one(Records, records_bytes(capacity)),
        BufferSize::one(RowPtr, init_bytes(array_bytes::<u32>(plan.row_ptr.len()))),
        BufferSize::one(Synapses, init_bytes(array_bytes::<Synapse>(wide_synapses))),
        BufferSize::one(Weights, init_bytes(array_bytes::<f32>(wide_weights))),
        BufferSize::one(Poisson, init_bytes(array_bytes::<PoissonGpu>(plan.poisson.len()))),
        BufferSize::one(
            PoissonSegments,
            init_bytes(array_bytes::<PoissonSegment>(plan.poisson_segments.len())),
        ),
        BufferSize::one(PoissonCdf, init_bytes(array_bytes::<u32>(plan.poisson_cdf.len()))),
        BufferSize::one(
            NeuronParams,
            init_bytes(array_bytes::<[f32; 4]>(plan.neuron_params.len())),
        ),
        BufferSize::one(
            SourceTicks,
            init_bytes(array_bytes::<u32>(plan.source_ticks.len())),
        ),
        BufferSize::one(
            Currents,
            init_bytes(array_bytes::<CurrentGpu>(plan.currents.len())),
        ),
        BufferSize::one(
            CurrentSteps,
            init_bytes(array_bytes::<CurrentStep>(plan.current_steps.len())),
        ),
        BufferSize::one(CurrentIn, zeroed_bytes(n as u64 * 4)),
        BufferSize::one(SpikeHist, zeroed_bytes(spike_hist)),
        BufferSize::one(SpikedAt, init_bytes(array_bytes::<u32>(spiked_at_len(plan)))),
        BufferSize::one(Traces, zeroed_bytes(u64::from(plan.trace_len) * 4)),
        BufferSize::one(Plastic, init_bytes(array_bytes::<PlasticGpu>(plan.plastic.len()))),
        BufferSize::one(ColPtr, init_bytes(array_bytes::<u32>(plan.col_ptr.len()))),
        BufferSize::one(
            ColEntries,
            init_bytes(array_bytes::<[u32; 3]>(plan.col_entries.len())),
        ),
        BufferSize::one(Modulators, init_bytes(array_bytes::<f32>(plan.modulators.len()))),
        BufferSize::one(
            Procedural,
            init_bytes(array_bytes::<ProceduralGpu>(plan.procedural.len())),
        ),
        BufferSize::one(Indirect, zeroed_bytes(INDIRECT_BYTES)),
        BufferSize::one(
            ShortTerm,
            init_bytes(array_bytes::<u32>(plan.short_term.device_words().len())),
        ),
        BufferSize::one(Release, init_bytes(array_bytes::<u32>(plan.release.len()))),
    ];
    if let Some(c) = &sizes.compact {
        table.extend(compact_buffers(c));
    }
    table.push(BufferSize {
        buffer: Staging,
        parts: vec![staging_bytes(capacity); 2],
    });
    table
}

/// Words of the array of last spike ticks, two (low, high) per neuron (one padded element
/// without plasticity).
pub fn spiked_at_len(plan: &Plan) -> usize {
    if plan.plastic.is_empty() {
        4
    } else {
        2 * plan.n_neurons as usize
    }
}

/// The compact format's buffers: words and targets in chunks (generated words included),
/// then row pointers, projections and outgoing lists.
fn compact_buffers(c: &CompactSizes) -> Vec<BufferSize> {
    let chunks = |total: u64, size: u64| -> Vec<u64> {
        let count = total.div_ceil(size).max(1);
        (0..count)
            .map(|i| zeroed_bytes((total - i * size).min(size) * 4))
            .collect()
    };
    let s = &c.shape;
    vec![
        BufferSize {
            buffer: DeviceBuffer::CompactWords,
            parts: chunks(s.total_words(), c.chunk_words),
        },
        BufferSize {
            buffer: DeviceBuffer::CompactTargets,
            parts: chunks(s.total_target_words(), c.target_chunk_words),
        },
        BufferSize::one(DeviceBuffer::CompactRowPtr, init_bytes(s.row_ptr_len * 4)),
        BufferSize::one(
            DeviceBuffer::CompactProjections,
            init_bytes(s.projections * size_of::<CompactProjection>() as u64),
        ),
        BufferSize::one(DeviceBuffer::CompactOutgoing, init_bytes(s.populations * 8)),
    ]
}
