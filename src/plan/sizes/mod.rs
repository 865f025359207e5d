//! Device sizes computed from a plan and the device's limits alone, without a GPU: every
//! buffer's bytes, the 2-D dispatch grids, the compact chunk layout and its binding counts,
//! the record ring's capacity and the connectivity generation's thread counts (as vello's
//! `config.rs` computes workgroup counts and buffer sizes). The GPU backend allocates from this
//! table and checks these numbers before it allocates anything; a caller can estimate the
//! device memory of a plan on any machine.

mod buffers;
mod chunks;
mod grids;

pub use buffers::{
    BufferSize, DeviceBuffer, init_bytes, records_bytes, spiked_at_len, staging_bytes, zeroed_bytes,
};
use buffers::{named_arrays, run_buffers};
pub use chunks::{ChunkLayout, CompactShape, CompactSizes};
pub use grids::{GenerationSizes, Grids, ThreadGrid};

use crate::error::{Error, Result};
use crate::plan::Plan;

/// Most storage bindings a generated stage uses: the device's limit, capped because some
/// drivers report millions and a shader with one binding per chunk must stay small.
pub const MAX_STORAGE_BINDINGS: u32 = 64;

/// Threads per workgroup of the stages dispatched on a 2-D thread grid (neurons, inputs,
/// traces); the shaders compute their thread index with [`Grids::row_threads`].
pub const GRID_WORKGROUP: u32 = 256;

/// Threads per workgroup of the connectivity generation passes.
pub const GENERATION_WORKGROUP: u32 = 64;

/// Size of the stand-in for an empty array: at least one element of every struct a stage binds
/// as an array (the largest, `GenProjection`, is 112 bytes).
pub const EMPTY_BINDING_BYTES: u64 = 256;

/// Smallest chunk of a compact synapse array: 32 words, so that each chunk's targets are a
/// whole number of words at every target width.
pub const MIN_CHUNK_BYTES: u64 = 128;

/// Bytes reserved for the control snapshot at the head of a staging buffer (at least
/// `size_of::<Control>()`, 96).
pub const CONTROL_BYTES: u64 = 128;

/// Bytes requested for the indirect dispatch arguments (three grids of three words).
pub const INDIRECT_BYTES: u64 = 48;

/// Storage bindings of `propagate_compact` before its chunk bindings.
pub const COMPACT_FIXED_STORAGE_BINDINGS: u32 = 7;

/// Storage bindings of `generate_synapses` before its chunk bindings.
pub const GENERATION_FIXED_STORAGE_BINDINGS: u32 = 4;

/// What a device allows, as plain numbers (the GPU backend reads them from its adapter; a
/// caller without a GPU may state them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceLimits {
    /// Largest storage buffer binding, in bytes.
    pub max_storage_binding_bytes: u64,
    /// Largest buffer, in bytes.
    pub max_buffer_bytes: u64,
    /// Workgroups per dispatch dimension.
    pub max_workgroups_per_dim: u32,
    /// Storage buffers one shader stage may bind.
    pub max_storage_buffers_per_stage: u32,
}

impl DeviceLimits {
    /// The WebGPU defaults, which every adapter offers.
    pub const WEBGPU_DEFAULT: DeviceLimits = DeviceLimits {
        max_storage_binding_bytes: 128 << 20,
        max_buffer_bytes: 256 << 20,
        max_workgroups_per_dim: 65_535,
        max_storage_buffers_per_stage: 8,
    };

    /// The largest array one binding can hold, in bytes.
    pub fn max_binding_bytes(&self) -> u64 {
        self.max_storage_binding_bytes.min(self.max_buffer_bytes)
    }

    /// Storage bindings available to a generated stage.
    pub fn storage_bindings(&self) -> u32 {
        self.max_storage_buffers_per_stage.min(MAX_STORAGE_BINDINGS)
    }

    /// The most entries the spike record ring can hold.
    pub fn max_records(&self) -> u32 {
        (self.max_binding_bytes() / 8).min(u64::from(u32::MAX / 2)) as u32
    }
}

/// What the sizes depend on besides the plan and the limits.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SizeRequest {
    /// Initial capacity of the spike record ring (entries); `None`: twice the neurons, at
    /// least 65,536.
    pub record_capacity: Option<u32>,
    /// Largest chunk of a compact array per binding, in bytes (`None`: the binding limit).
    pub max_chunk_bytes: Option<u64>,
    /// The compact arrays' shape, if synapses are stored compact (`None`: the wide format).
    pub compact: Option<CompactShape>,
}

/// Everything sized for one plan on one device.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceSizes {
    /// The limits they were computed for.
    pub limits: DeviceLimits,
    /// Initial capacity of the spike record ring (entries).
    pub record_capacity: u32,
    /// The dispatch grids.
    pub grids: Grids,
    /// The compact arrays, if synapses are stored compact.
    pub compact: Option<CompactSizes>,
    /// The generation passes, if the GPU generates connectivity.
    pub generation: Option<GenerationSizes>,
    /// The buffers of a run, in allocation order.
    buffers: Vec<BufferSize>,
    /// Arrays whose size the network decides, checked against the binding limit by name.
    named_arrays: Vec<(&'static str, u64)>,
}

impl DeviceSizes {
    /// Sizes `plan` for a device with `limits`. Nothing is checked here (see
    /// [`DeviceSizes::check`]).
    pub fn new(plan: &Plan, limits: DeviceLimits, request: &SizeRequest) -> Self {
        let n = plan.n_neurons;
        let record_capacity = request
            .record_capacity
            .unwrap_or_else(|| n.saturating_mul(2).max(1 << 16))
            .max(n.saturating_add(1))
            .min(limits.max_records());
        let compact = request
            .compact
            .map(|shape| CompactSizes::new(shape, &limits, request.max_chunk_bytes));
        let generation = (!plan.device_projections.is_empty())
            .then(|| GenerationSizes::new(&plan.device_projections, &limits));
        let mut sizes = Self {
            limits,
            record_capacity,
            grids: Grids::new(plan, limits.max_workgroups_per_dim),
            compact,
            generation,
            buffers: Vec::new(),
            named_arrays: named_arrays(plan, compact.is_some()),
        };
        sizes.buffers = run_buffers(plan, &sizes);
        sizes
    }

    /// Checks the sizes against the limits, in the order a user can act on: the generation
    /// threads, the compact binding count, each network-sized array against the binding limit
    /// (then every other buffer), the 2-D grids. `device` names the device in the messages.
    pub fn check(&self, device: &str) -> Result<()> {
        self.check_generation_threads()?;
        self.check_compact_bindings(device)?;
        self.check_arrays(device)?;
        let max_x = self.grids.max_groups_x;
        if self.grids.rows_needed > max_x {
            return Err(Error::LimitExceeded {
                what: "neuron workgroups (2-D dispatch)".into(),
                requested: u64::from(self.grids.groups_total),
                max: u64::from(max_x) * u64::from(max_x),
            });
        }
        self.check_generation_bindings()?;
        self.check_budget(device)
    }

    /// Checks the setup peak against the device budget the user set, if any (see
    /// [`crate::plan::resources::set_device_budget`]), naming the largest buffers.
    pub fn check_budget(&self, device: &str) -> Result<()> {
        let Some((available, origin)) = crate::plan::resources::device_budget() else {
            return Ok(());
        };
        let needed = self.peak_setup_bytes();
        if needed <= available {
            return Ok(());
        }
        let mut largest: Vec<&BufferSize> = self.buffers.iter().collect();
        largest.sort_by_key(|b| std::cmp::Reverse(b.bytes()));
        let breakdown = largest
            .iter()
            .take(3)
            .map(|b| {
                format!(
                    "'{}' {}",
                    b.buffer.name(),
                    crate::plan::resources::bytes_text(b.bytes())
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        Err(Error::MemoryExceeded {
            memory: format!("device '{device}'"),
            needs: "the GPU buffers of this network".into(),
            needed,
            available,
            breakdown,
            origin,
        })
    }

    fn check_generation_threads(&self) -> Result<()> {
        let Some(g) = &self.generation else {
            return Ok(());
        };
        let max = u64::from(u32::MAX / 2);
        if g.row_threads > max || g.chunk_threads > max {
            return Err(Error::LimitExceeded {
                what: "rows of GPU-generated projections".into(),
                requested: g.row_threads.max(g.chunk_threads),
                max,
            });
        }
        Ok(())
    }

    fn check_compact_bindings(&self, device: &str) -> Result<()> {
        let Some(c) = &self.compact else {
            return Ok(());
        };
        let (needed, allowed) = (c.propagate_bindings(), self.limits.storage_bindings());
        if needed <= allowed {
            return Ok(());
        }
        let words = c.shape.total_words();
        let bytes_per_synapse = (words * 4 + c.shape.total_target_words() * 4) as f64 / words.max(1) as f64;
        Err(Error::LimitExceeded {
            what: format!(
                "storage bindings of the compact synapse arrays ({words} synapses at {bytes_per_synapse} bytes, in chunks of {} bytes, plus {COMPACT_FIXED_STORAGE_BINDINGS}) on '{device}'",
                c.chunk_bytes
            ),
            requested: u64::from(needed),
            max: u64::from(allowed),
        })
    }

    fn check_arrays(&self, device: &str) -> Result<()> {
        let max = self.limits.max_binding_bytes();
        let named = self
            .named_arrays
            .iter()
            .map(|&(what, bytes)| (what.to_string(), bytes));
        // Every buffer a stage binds: each part is one binding.
        let bound = self
            .buffers
            .iter()
            .filter(|b| b.buffer != DeviceBuffer::Staging)
            .flat_map(|b| b.parts.iter().map(|&bytes| (b.buffer.name().to_string(), bytes)));
        for (what, bytes) in named.chain(bound) {
            if bytes > max {
                return Err(Error::LimitExceeded {
                    what: format!("GPU buffer '{what}' (bytes) on '{device}'"),
                    requested: bytes,
                    max,
                });
            }
        }
        Ok(())
    }

    fn check_generation_bindings(&self) -> Result<()> {
        let (Some(c), Some(_)) = (&self.compact, &self.generation) else {
            return Ok(());
        };
        let (needed, allowed) = (c.generation_bindings(), self.limits.storage_bindings());
        if needed > allowed {
            return Err(Error::LimitExceeded {
                what: "storage bindings of the connectivity generation pass".into(),
                requested: u64::from(needed),
                max: u64::from(allowed),
            });
        }
        Ok(())
    }

    /// The buffers of a run, in allocation order, each with the bytes of its parts.
    pub fn buffers(&self) -> &[BufferSize] {
        &self.buffers
    }

    /// The parts of one run buffer (empty if the run has no such buffer).
    pub fn parts(&self, buffer: DeviceBuffer) -> &[u64] {
        self.buffers
            .iter()
            .find(|b| b.buffer == buffer)
            .map_or(&[], |b| &b.parts)
    }

    /// Device bytes of all run buffers at the initial record capacity.
    pub fn device_bytes(&self) -> u64 {
        self.buffers.iter().map(BufferSize::bytes).sum()
    }

    /// Device bytes during setup at most: the run buffers plus the generation passes'.
    pub fn peak_setup_bytes(&self) -> u64 {
        let generation = self
            .generation
            .map_or(0, |g| g.buffers().iter().map(BufferSize::bytes).sum());
        self.device_bytes() + generation
    }

    /// The record capacity after a growth step from `capacity` (doubled, up to the limit;
    /// equal to `capacity` when it cannot grow).
    pub fn grown_record_capacity(&self, capacity: u32) -> u32 {
        capacity.saturating_mul(2).min(self.limits.max_records())
    }
}
