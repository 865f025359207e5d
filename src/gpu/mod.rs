//! The wgpu backend: buffers, pipelines and bind groups are created once; each submission
//! encodes many ticks (a fixed stage sequence per tick, one compute pass per batch) and ends
//! with a copy of the run control and the spike records into one of two staging buffers. The
//! host drains one staging buffer while the GPU computes the next batch.
//!
//! The files, by job: `options` (what a caller tunes), [`stages`] (each stage's bindings,
//! workgroup size and dispatch rule, declared once), `resources` (the buffer table, sized by
//! [`crate::plan::sizes`]), `pipelines` (layouts, pipelines and bind groups from the
//! declarations), `encoding` (a batch's dispatches in the order of the tick schedule),
//! `streaming` (the submit/drain loop and record-ring growth), `deliver` (a rank's exchanged
//! spikes into the ring), `profile` (per-stage timing
//! with timestamp queries), `readback` (copies to the host
//! and the pulls), `setup` (opening a backend on a plan), `generation` (connectivity made on
//! the device), `checks` (test-only stages), `context` (adapter and device) and [`shaders`] (WGSL sources).

mod checks;
mod context;
mod deliver;
mod encoding;
pub mod equation_pipeline;
mod generation;
mod options;
mod pipelines;
mod profile;
mod readback;
mod resources;
mod setters;
mod setup;
pub mod shaders;
pub mod stages;
mod state;
mod streaming;

pub use context::{
    ADAPTER_ENV, ADAPTER_INDEX_ENV, AdapterSummary, GpuContext, LOCAL_RANK_VARS, list_adapters,
};
pub use options::{GpuOptions, SynapseFormat};
pub use profile::{StageProfile, StageTiming, TimestampSupport};
pub use readback::PendingRead;

use crate::plan::layout::{CompactProjection, SimParams};
use crate::plan::sizes::DeviceSizes;
pub use crate::plan::sizes::MAX_STORAGE_BINDINGS;

/// Compact arrays read back from the device.
#[derive(Clone, Debug)]
pub struct CompactArrays {
    /// Per synapse: `(w_fixed << delay_bits) | delay`.
    pub words: Vec<u32>,
    /// Targets, a stream of `target_bits` bits per synapse ([`crate::plan::compact::target_at`]).
    pub targets: Vec<u32>,
    /// Bits of each target.
    pub target_bits: u32,
    /// Row pointers, relative to each projection's first synapse.
    pub row_ptr: Vec<u32>,
    /// The projection table (with the first positions of generated projections).
    pub projections: Vec<CompactProjection>,
}

/// Storage bindings available to a generated stage.
pub fn max_storage_bindings(limits: &wgpu::Limits) -> u32 {
    context::device_limits(limits).storage_bindings()
}

/// Run counters read back from the GPU.
#[derive(Clone, Copy, Debug, Default)]
pub struct GpuCounters {
    /// Next tick.
    pub tick: u64,
    /// Total spikes.
    pub spikes: u64,
    /// Total synaptic events.
    pub events: u64,
    /// Batches that halted early to drain the record ring.
    pub halts: u32,
    /// Submissions made.
    pub submissions: u64,
    /// Compute dispatches per tick.
    pub dispatches_per_tick: u32,
}

/// The GPU backend.
pub struct GpuBackend {
    ctx: GpuContext,
    /// What the plan needs on this device, computed before allocation.
    sizes: DeviceSizes,
    /// Every run buffer, by name.
    resources: resources::ResourceTable,
    /// The batch's stages, bound.
    program: encoding::TickProgram,
    params: SimParams,
    options: GpuOptions,
    counters: GpuCounters,
    setup: SetupTimes,
    /// The first non-finite state the watchdog recorded, as of the last drained batch.
    fault: Option<crate::sim::NonFiniteFault>,
    /// Whether a fault stops the run (`control.fault_stops`).
    fault_stops: bool,
    /// The `deliver` stage, on a rank of a distributed run only.
    delivery: Option<deliver::Delivery>,
}

/// Where the backend's setup time went (seconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct SetupTimes {
    /// Creating the compute pipelines (the driver compiles the shaders here).
    pub shader_compile_s: f64,
    /// Running the connectivity generation passes (compilation of their shaders excluded).
    pub generate_s: f64,
    /// The load time of the user-defined models: compiling them (parse, unit check, code
    /// generation, done when the network was built), validating each population's update
    /// with naga and creating its pipeline (this part is also counted in
    /// `shader_compile_s`).
    pub equations_s: f64,
    /// Everything else: buffers, uploads, bind groups.
    pub other_s: f64,
    /// Whether generated synapses were written twice: a real in-degree exceeded the
    /// provisional bound (see [`GpuOptions::indegree_bound_sd`]).
    pub generation_rerun: bool,
}

impl GpuBackend {
    /// Name of the adapter in use.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.ctx.summary
    }

    /// Counters as of the last drained batch (a rank's delivered events included).
    pub fn counters(&self) -> GpuCounters {
        let delivered = self.delivery.as_ref().map_or(0, |d| d.events);
        GpuCounters {
            events: self.counters.events + delivered,
            ..self.counters
        }
    }

    /// Current capacity of the record ring (entries).
    pub fn record_capacity(&self) -> u32 {
        self.params.record_capacity
    }

    /// Bytes of all device buffers (records and staging at their current size).
    pub fn device_bytes(&self) -> u64 {
        self.resources.device_bytes()
    }

    /// The sizes this backend was set up with (the record ring may have grown since).
    pub fn sizes(&self) -> &DeviceSizes {
        &self.sizes
    }

    /// Where the setup time went.
    pub fn setup_times(&self) -> SetupTimes {
        self.setup
    }

    /// Fixed-point scale of the input accumulators (the plan's, or a smaller one once
    /// GPU-generated synapses are in the bound).
    pub fn fixed_scale(&self) -> f32 {
        self.params.fixed_scale
    }

    /// Synapses the GPU generated.
    pub fn generated_synapses(&self) -> u64 {
        self.sizes.compact.map_or(0, |c| c.shape.device_synapses)
    }

    /// Synapses in the device's wide storage (a rank's own; 0 for procedural ones).
    pub fn synapses_held(&self) -> usize {
        self.params.n_synapses as usize
    }

    /// Whether synapses are in compact storage (static network: the weights on the device
    /// never change by themselves).
    pub fn is_compact(&self) -> bool {
        self.sizes.compact.is_some()
    }

    /// Device bytes per synapse of the storage in use (`None`: the wide format, see
    /// [`crate::plan::Plan::bytes_per_synapse`]).
    pub fn compact_bytes_per_synapse(&self) -> Option<f64> {
        self.sizes.compact.map(|c| c.shape.bytes_per_synapse())
    }
}
