//! Structs shared between Rust and WGSL (`shaders/shared/common.wgsl`). Each is `#[repr(C)]` and
//! `Pod`; `tests/suite/shaders.rs` checks every size and field offset against naga's layout of the
//! WGSL declaration, so the two cannot drift apart silently.

use bytemuck::{Pod, Zeroable};

/// Per-simulation constants (a uniform buffer).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct SimParams {
    /// Total neurons over all populations.
    pub n_neurons: u32,
    /// Number of populations.
    pub n_pops: u32,
    /// Slots D of the input ring (largest delay + 1).
    pub ring_slots: u32,
    /// Number of Poisson inputs.
    pub n_poisson: u32,
    /// Sum of the target counts of all Poisson inputs (threads of the input stage).
    pub poisson_threads: u32,
    /// Philox key of connectivity (procedural rows), low word.
    pub seed_lo: u32,
    /// Philox key of connectivity, high word.
    pub seed_hi: u32,
    /// Capacity of the spike record ring, in entries.
    pub record_capacity: u32,
    /// Fixed-point scale: units of `atomic<i32>` per unit of weight (a power of two).
    pub fixed_scale: f32,
    /// 1 / fixed_scale (exact, since the scale is a power of two).
    pub fixed_inv_scale: f32,
    /// Threads per row of a 2-D dispatch (workgroups in x times the workgroup size).
    pub row_threads: u32,
    /// Largest workgroup count per dispatch dimension.
    pub max_groups_x: u32,
    /// Number of current sources.
    pub n_current: u32,
    /// Sum of the target counts of all current sources.
    pub current_threads: u32,
    /// Number of plastic projections.
    pub n_plastic: u32,
    /// Length H of the spike and trace histories (ticks).
    pub hist_len: u32,
    /// Lag of plasticity updates (ticks): events of tick t - lag are applied at tick t.
    pub stdp_lag: u32,
    /// Threads of the trace stage (pre and post neurons of all plastic projections).
    pub trace_threads: u32,
    /// Ticks between reward-modulated weight updates (0: no modulated projection).
    pub modulation_interval: u32,
    /// Synapses in the merged CSR (threads of the modulated update).
    pub n_synapses: u32,
    /// Number of procedural projections.
    pub n_procedural: u32,
    /// Philox key of the inputs (Poisson inputs and sources, noise currents), low word.
    pub input_seed_lo: u32,
    /// Philox key of the inputs, high word.
    pub input_seed_hi: u32,
    /// Target `k` of an input (Poisson, noise current) draws with counter `input_first + k
    /// input_stride`: its index in the whole population on a rank of a distributed run
    /// ([`crate::plan::rank::Partition::input_counter`]); 0 and 1 in one process.
    pub input_first: u32,
    /// See `input_first`.
    pub input_stride: u32,
    /// Padding.
    pub _pad2: u32,
    /// Padding.
    pub _pad3: u32,
}

/// Run constants of the connectivity generation passes (`generate_*.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GenParams {
    /// Generated projections.
    pub n_gen: u32,
    /// Threads of the row-count pass.
    pub chunk_threads: u32,
    /// Threads of the row passes.
    pub row_threads: u32,
    /// Threads per row of the 2-D dispatch.
    pub stride: u32,
    /// Philox key, low word.
    pub seed_lo: u32,
    /// Philox key, high word.
    pub seed_hi: u32,
    /// Fixed-point scale of the weights.
    pub fixed_scale: f32,
    /// Delay bits of a compact word.
    pub delay_bits: u32,
    /// log2 of the workgroups dispatched for the row passes, which take them in bit-reversed
    /// order (see `gen_row` in `generate_synapses.wgsl`).
    pub row_group_bits: u32,
    /// Padding.
    pub _pad0: u32,
    /// Padding.
    pub _pad1: u32,
    /// Padding.
    pub _pad2: u32,
}

/// A procedural projection as `propagate_procedural` sees it: rows are regenerated per spike.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct ProceduralGpu {
    /// First global index of the pre-synaptic population.
    pub pre_start: u32,
    /// Size of the pre-synaptic population.
    pub pre_size: u32,
    /// First global index of the post-synaptic population.
    pub post_start: u32,
    /// Size of the post-synaptic population.
    pub post_size: u32,
    /// Input port.
    pub port: u32,
    /// Delay (ticks).
    pub delay: u32,
    /// Weight in fixed point.
    pub weight_fixed: i32,
    /// Candidate `j` is connected when its Philox word is below this (`p * 2^32`)...
    pub threshold: u32,
    /// ... or always, when 1 (`p = 1`).
    pub all: u32,
    /// Philox stream (`PROCEDURAL + projection`).
    pub stream: u32,
    /// 1 when row `i` skips target `i` (same population, no autapses).
    pub skip_self: u32,
    /// Padding.
    pub _pad: u32,
}

/// A projection of a compact (static) network as `propagate_compact` sees it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct CompactProjection {
    /// First global index of the pre-synaptic population.
    pub pre_start: u32,
    /// First global index of the post-synaptic population (targets are local to it).
    pub post_start: u32,
    /// Input port (0 excitatory, 1 inhibitory).
    pub port: u32,
    /// Offset of this projection's row pointers in the concatenated row pointers.
    pub row_base: u32,
    /// Position of its first synapse in the compact arrays (lo, hi): its row pointers are
    /// relative to it, so they stay 32-bit while the arrays may exceed 2^32 synapses.
    pub first: [u32; 2],
}

/// A plastic projection as the STDP stages see it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct PlasticGpu {
    /// First global index of the pre-synaptic population.
    pub pre_start: u32,
    /// Size of the pre-synaptic population.
    pub pre_size: u32,
    /// First global index of the post-synaptic population.
    pub post_start: u32,
    /// Size of the post-synaptic population.
    pub post_size: u32,
    /// Offset of the pre-synaptic traces (r1, r2) in the trace buffer.
    pub pre_trace: u32,
    /// Offset of the post-synaptic traces (o1, o2).
    pub post_trace: u32,
    /// First thread of this projection in the trace stage.
    pub thread_start: u32,
    /// Bit 0: nearest-neighbour pairing; bits 1..3: dependence (0 additive, 1 multiplicative, 2
    /// power law); bit 3: reward-modulated (changes go to the eligibility trace).
    pub flags: u32,
    /// Per-tick decay of r1.
    pub decay_plus: f32,
    /// Per-tick decay of o1.
    pub decay_minus: f32,
    /// Per-tick decay of r2.
    pub decay_x: f32,
    /// Per-tick decay of o2.
    pub decay_y: f32,
    /// Pair potentiation amplitude times (w_max - w_min).
    pub a2_plus: f32,
    /// Triplet potentiation amplitude times (w_max - w_min).
    pub a3_plus: f32,
    /// Pair depression amplitude times (w_max - w_min).
    pub a2_minus: f32,
    /// Triplet depression amplitude times (w_max - w_min).
    pub a3_minus: f32,
    /// Lower bound.
    pub w_min: f32,
    /// Upper bound.
    pub w_max: f32,
    /// 1 / (w_max - w_min).
    pub inv_span: f32,
    /// Power-law exponent.
    pub mu: f32,
    /// Neuromodulator channel of a reward-modulated projection (0 global, 1 + p population p).
    pub channel: u32,
    /// Decay of the eligibility trace over one update interval.
    pub decay_eligibility: f32,
    /// The update interval in seconds (the weight moves by `c * d * interval_s`).
    pub interval_s: f32,
}

/// GPU-side run control and counters (a storage buffer; some fields are atomics in WGSL).
/// Ticks are 64-bit as two words; the slots the tick selects in the input ring, the spike
/// and trace histories and the reward-modulation interval are kept as counters beside it, so
/// that no shader needs a 64-bit modulo.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct Control {
    /// The next tick to execute, low word.
    pub tick: u32,
    /// The next tick to execute, high word.
    pub tick_hi: u32,
    /// Ticks >= this are not executed (the end of the current run), low word.
    pub end_tick: u32,
    /// End of the current run, high word.
    pub end_tick_hi: u32,
    /// Set when the record ring might not hold another tick's spikes, or when the watchdog
    /// stops the run; cleared per batch unless the watchdog stopped it.
    pub halted: u32,
    /// Spikes of the current tick (atomic).
    pub spike_count: u32,
    /// Entries used in the record ring in this batch.
    pub record_head: u32,
    /// Synaptic events delivered in the current tick (atomic).
    pub tick_events: u32,
    /// Total spikes, low word.
    pub spikes_lo: u32,
    /// Total spikes, high word.
    pub spikes_hi: u32,
    /// Total synaptic events, low word.
    pub events_lo: u32,
    /// Total synaptic events, high word.
    pub events_hi: u32,
    /// Number of times a batch halted early because the record ring was nearly full.
    pub halts: u32,
    /// The next tick modulo the ring's slots.
    pub ring_slot: u32,
    /// The next tick modulo the history length.
    pub hist_slot: u32,
    /// The next tick modulo the reward-modulation interval (0 without one).
    pub modulation_phase: u32,
    /// Watchdog: the lowest neuron whose state became non-finite in the first faulting tick
    /// (atomic; `u32::MAX` for none).
    pub fault_neuron: u32,
    /// Watchdog: 1 + the index of the first non-finite variable of that neuron (0: no fault).
    pub fault_field: u32,
    /// Watchdog: the faulting tick, low word.
    pub fault_tick: u32,
    /// Watchdog: the faulting tick, high word.
    pub fault_tick_hi: u32,
    /// 1 when a fault stops the run (`NonFinitePolicy::Stop`), 0 when it only is recorded.
    pub fault_stops: u32,
    /// Padding.
    pub _pad0: u32,
    /// Padding.
    pub _pad1: u32,
    /// Padding.
    pub _pad2: u32,
}

/// Per-population constants: `c` holds the slots each neuron model names in its table
/// (`neurons::<model>::SLOTS`; WGSL `<MODEL>_<SLOT>`), computed by `NeuronModel::constants`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct PopGpu {
    /// First global neuron index.
    pub start: u32,
    /// Number of neurons.
    pub size: u32,
    /// Refractory period in ticks.
    pub refractory_ticks: u32,
    /// Neuron model id (`neurons::model_id`; WGSL `MODEL_<NAME>`).
    pub model: u32,
    /// Model constants, computed in f64 and rounded once.
    pub c: [f32; crate::neurons::POP_CONSTANTS],
    /// Ticks by which the population reads its input ring late (0 or 1: the synaptic latency
    /// of [`crate::model::Conventions`]).
    pub input_lag: u32,
}

/// Per-neuron dynamic state (32 bytes); the meaning of `u`, `w1`, `w2` depends on the model
/// (Izhikevich u; AdEx w; HH m, h, n; LIF alpha synapses: the second variable of the
/// excitatory and inhibitory currents in `w1`, `w2`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct NeuronState {
    /// Membrane potential (mV).
    pub v: f32,
    /// Recovery/adaptation variable, or HH m.
    pub u: f32,
    /// HH h, or the alpha synapse's excitatory second variable.
    pub w1: f32,
    /// HH n, or the alpha synapse's inhibitory second variable.
    pub w2: f32,
    /// Excitatory synaptic current or conductance.
    pub syn_e: f32,
    /// Inhibitory synaptic current or conductance.
    pub syn_i: f32,
    /// Remaining refractory ticks.
    pub refractory: u32,
    /// Model-specific counter (spike sources: next spike index).
    pub aux: u32,
}

/// One outgoing synapse in the merged CSR (its weight lives in a separate f32 array so that
/// plasticity can rewrite weights without touching the topology).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct Synapse {
    /// Global index of the post-synaptic (target) neuron.
    pub post: u32,
    /// Delay in ticks (low 16 bits) and target port (bits 16..).
    pub delay_port: u32,
}

impl Synapse {
    /// Packs the target with the delay (bits 0..13, ticks), the port (bit 13), the dendritic
    /// part of the delay (bits 14..27, ticks) and the plastic projection id (bits 27..32,
    /// 0 = static).
    pub fn new(post: u32, delay_ticks: u32, port: u32) -> Self {
        Self::with_plasticity(post, delay_ticks, port, 0, 0)
    }

    /// As [`Synapse::new`] for a synapse of plastic projection `plastic` (1-based).
    pub fn with_plasticity(
        post: u32,
        delay_ticks: u32,
        port: u32,
        dendritic_ticks: u32,
        plastic: u32,
    ) -> Self {
        debug_assert!(delay_ticks < 1 << 13 && dendritic_ticks <= delay_ticks && plastic < 32 && port < 2);
        Self {
            post,
            delay_port: delay_ticks | (port << 13) | (dendritic_ticks << 14) | (plastic << 27),
        }
    }
    /// Delay in ticks.
    pub fn delay(self) -> u32 {
        self.delay_port & 0x1fff
    }
    /// Target port.
    pub fn port(self) -> u32 {
        (self.delay_port >> 13) & 1
    }
    /// Dendritic part of the delay (ticks).
    pub fn dendritic(self) -> u32 {
        (self.delay_port >> 14) & 0x1fff
    }
    /// Plastic projection id (1-based), 0 for a static synapse.
    pub fn plastic(self) -> u32 {
        self.delay_port >> 27
    }
}

/// A Poisson input as the input stage sees it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct PoissonGpu {
    /// First global neuron index of the targets.
    pub target_start: u32,
    /// Number of targets.
    pub target_count: u32,
    /// Index of this input's first thread in the flattened input stage.
    pub thread_start: u32,
    /// Target port.
    pub port: u32,
    /// Weight in fixed-point units.
    pub weight_fixed: i32,
    /// First rate segment in the segment table.
    pub seg_offset: u32,
    /// Number of rate segments.
    pub seg_count: u32,
    /// Philox stream id.
    pub stream: u32,
}

/// One rate segment of a Poisson input: from `start_tick` on, counts come from this CDF table.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct PoissonSegment {
    /// First tick of the segment.
    pub start_tick: u32,
    /// Offset of the CDF table in the shared table buffer.
    pub cdf_offset: u32,
    /// Length of the CDF table (the largest count that can be drawn).
    pub cdf_len: u32,
    /// Padding.
    pub _pad: u32,
}

/// A current source as the current stage sees it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct CurrentGpu {
    /// First global neuron index of the targets.
    pub target_start: u32,
    /// Number of targets.
    pub target_count: u32,
    /// Index of this source's first thread.
    pub thread_start: u32,
    /// 0 DC, 1 step, 2 noise, 3 sine.
    pub kind: u32,
    /// DC amplitude, noise mean or sine offset.
    pub a0: f32,
    /// Noise standard deviation or sine amplitude.
    pub a1: f32,
    /// First step in the step table (sine: first tick).
    pub step_offset: u32,
    /// Number of steps (sine: the tick it stops at, `u32::MAX` for never).
    pub step_count: u32,
    /// Philox stream id (noise).
    pub stream: u32,
    /// Sine: phase advance per tick, in 2^-32 cycles.
    pub phase_step: u32,
    /// Sine: phase at the first tick, in 2^-32 cycles.
    pub phase0: u32,
    /// Index of the first target among the input's targets (noise counters): an input into
    /// some neurons of a population has one entry per run of consecutive targets.
    pub local_offset: u32,
}

/// One step of a step current: amplitude from `tick` on.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct CurrentStep {
    /// First tick.
    pub tick: u32,
    /// Amplitude.
    pub amplitude: f32,
}

/// One spike in the GPU's record ring. The tick is the low word of the spike's tick: a batch
/// spans fewer than 2^32 ticks, so the host rebuilds the 64-bit tick from the batch's first
/// tick ([`crate::sim::Spike`] is the host's record).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Pod, Zeroable)]
pub struct SpikeRecord {
    /// Low word of the spike's tick.
    pub tick: u32,
    /// Global neuron index.
    pub neuron: u32,
}
