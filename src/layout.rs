//! Structs shared between Rust and WGSL (`shaders/common.wgsl`). Each is `#[repr(C)]` and
//! `Pod`; `tests/shaders.rs` checks every size and field offset against naga's layout of the
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
    /// Philox key, low word.
    pub seed_lo: u32,
    /// Philox key, high word.
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
}

/// GPU-side run control and counters (a storage buffer; some fields are atomics in WGSL).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct Control {
    /// The next tick to execute.
    pub tick: u32,
    /// Ticks >= this are not executed (the end of the current run).
    pub end_tick: u32,
    /// Set when the record ring might not hold another tick's spikes; cleared per batch.
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
    /// Padding to 16 bytes.
    pub _pad: u32,
}

/// Per-population LIF constants, precomputed in f64 and rounded once to f32.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct PopGpu {
    /// First global neuron index.
    pub start: u32,
    /// Number of neurons.
    pub size: u32,
    /// Refractory period in ticks.
    pub refractory_ticks: u32,
    /// Neuron model id (0 = LIF with exponential current synapses).
    pub model: u32,
    /// Resting potential (mV).
    pub v_rest: f32,
    /// Reset potential (mV).
    pub v_reset: f32,
    /// Threshold (mV).
    pub v_thresh: f32,
    /// exp(-dt/tau_m): propagator of (v - v_rest).
    pub p_mm: f32,
    /// Propagator from the excitatory current to v over one tick.
    pub p_me: f32,
    /// Propagator from the inhibitory current to v over one tick.
    pub p_mi: f32,
    /// exp(-dt/tau_syn_exc).
    pub decay_e: f32,
    /// exp(-dt/tau_syn_inh).
    pub decay_i: f32,
}

/// Per-neuron dynamic state.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct NeuronState {
    /// Membrane potential (mV).
    pub v: f32,
    /// Excitatory synaptic current (mV).
    pub syn_e: f32,
    /// Inhibitory synaptic current (mV).
    pub syn_i: f32,
    /// Remaining refractory ticks.
    pub refractory: u32,
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
    /// Packs delay and port.
    pub fn new(post: u32, delay_ticks: u32, port: u32) -> Self {
        debug_assert!(delay_ticks < 1 << 16);
        Self {
            post,
            delay_port: delay_ticks | (port << 16),
        }
    }
    /// Delay in ticks.
    pub fn delay(self) -> u32 {
        self.delay_port & 0xffff
    }
    /// Target port.
    pub fn port(self) -> u32 {
        self.delay_port >> 16
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
    /// Offset of the CDF table in the shared table buffer.
    pub cdf_offset: u32,
    /// Length of the CDF table (the largest count that can be drawn).
    pub cdf_len: u32,
    /// Philox stream id.
    pub stream: u32,
}

/// One recorded spike.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Pod, Zeroable)]
pub struct SpikeRecord {
    /// Tick of the spike.
    pub tick: u32,
    /// Global neuron index.
    pub neuron: u32,
}
