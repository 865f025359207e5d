//! The 2-D dispatch grids of the tick stages and the thread counts of the generation passes.

use super::buffers::{BufferSize, DeviceBuffer, init_bytes, zeroed_bytes};
use super::{DeviceLimits, GENERATION_WORKGROUP, GRID_WORKGROUP};
use crate::plan::Plan;
use crate::plan::fixed_total::{CHUNK_PICKS, GenProjection};
use crate::plan::layout::GenParams;

/// The thread grids a stage may be dispatched on (all at [`GRID_WORKGROUP`] threads per
/// workgroup, rows of [`Grids::row_threads`] threads).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThreadGrid {
    /// One thread per neuron.
    Neurons,
    /// One thread per (Poisson input, target).
    Poisson,
    /// One thread per (current source, target).
    Current,
    /// One thread per pre- and post-synaptic neuron of each plastic projection.
    Trace,
}

/// The 2-D dispatch grids: workgroups `(x, y)` per thread grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grids {
    /// Threads per row of every grid (workgroups in x times [`GRID_WORKGROUP`]).
    pub row_threads: u32,
    /// The device's workgroups per dimension.
    pub max_groups_x: u32,
    /// Workgroups of the largest grid if laid out in one row.
    pub groups_total: u32,
    /// Workgroups per neuron grid.
    pub neurons: (u32, u32),
    /// Workgroups of the Poisson input grid.
    pub poisson: (u32, u32),
    /// Workgroups of the current input grid.
    pub current: (u32, u32),
    /// Workgroups of the STDP trace grid.
    pub trace: (u32, u32),
    /// Rows the largest grid needs.
    pub(super) rows_needed: u32,
}

impl Grids {
    pub(super) fn new(plan: &Plan, max_x: u32) -> Self {
        let threads = plan
            .n_neurons
            .max(plan.poisson_threads())
            .max(plan.current_threads())
            .max(plan.trace_threads());
        let groups_total = threads.div_ceil(GRID_WORKGROUP).max(1);
        let groups_x = groups_total.min(max_x);
        let row_threads = groups_x * GRID_WORKGROUP;
        let grid = |t: u32| {
            let y = t.div_ceil(row_threads).max(1);
            (groups_x.min(t.div_ceil(GRID_WORKGROUP)).max(1), y)
        };
        Self {
            row_threads,
            max_groups_x: max_x,
            groups_total,
            neurons: grid(plan.n_neurons),
            poisson: grid(plan.poisson_threads()),
            current: grid(plan.current_threads()),
            trace: grid(plan.trace_threads()),
            rows_needed: grid(threads).1,
        }
    }

    /// Workgroups `(x, y)` of a thread grid.
    pub fn of(&self, grid: ThreadGrid) -> (u32, u32) {
        match grid {
            ThreadGrid::Neurons => self.neurons,
            ThreadGrid::Poisson => self.poisson,
            ThreadGrid::Current => self.current,
            ThreadGrid::Trace => self.trace,
        }
    }
}

/// Thread counts and buffers of the connectivity generation passes (transient: freed once
/// the synapses are written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerationSizes {
    /// Generated projections.
    pub projections: u64,
    /// Threads of the row-count pass (one per chunk of picks).
    pub chunk_threads: u64,
    /// Threads of the synapse pass (one per pre-synaptic row).
    pub row_threads: u64,
    /// In-degree counters (one per post-synaptic neuron and projection).
    pub indegrees: u64,
    /// Workgroups per dimension of their 2-D grids (a power of two).
    pub max_groups: u32,
}

impl GenerationSizes {
    pub(super) fn new(table: &[GenProjection], limits: &DeviceLimits) -> Self {
        Self {
            projections: table.len() as u64,
            chunk_threads: table
                .iter()
                .map(|p| u64::from(p.n_total).div_ceil(CHUNK_PICKS))
                .sum(),
            row_threads: table.iter().map(|p| u64::from(p.pre_size)).sum(),
            indegrees: table.iter().map(|p| u64::from(p.post_size)).sum(),
            // A power of two, so that the padded workgroup count of the row pass fills a 2-D
            // grid exactly (see `gen_row`).
            max_groups: 1 << limits.max_workgroups_per_dim.max(1).ilog2(),
        }
    }

    /// Threads per row of their grids.
    pub fn stride(&self) -> u32 {
        self.max_groups * GENERATION_WORKGROUP
    }

    /// log2 of the workgroups of the row pass, padded to a power of two.
    pub fn row_group_bits(&self) -> u32 {
        self.row_threads
            .div_ceil(u64::from(GENERATION_WORKGROUP))
            .max(1)
            .next_power_of_two()
            .trailing_zeros()
    }

    /// Workgroups `(x, y)` for `threads` threads at the common stride.
    pub fn grid(&self, threads: u32) -> (u32, u32) {
        let groups = threads.div_ceil(GENERATION_WORKGROUP).max(1);
        (groups.min(self.max_groups), groups.div_ceil(self.max_groups))
    }

    /// Workgroups of the row-count pass.
    pub fn counts_grid(&self) -> (u32, u32) {
        self.grid(self.chunk_threads as u32)
    }

    /// Workgroups of the synapse pass: every workgroup of the padded, bit-reversed order.
    pub fn synapses_grid(&self) -> (u32, u32) {
        self.grid(GENERATION_WORKGROUP << self.row_group_bits())
    }

    /// The generation buffers and their bytes.
    pub fn buffers(&self) -> Vec<BufferSize> {
        let table = self.projections * size_of::<GenProjection>() as u64;
        vec![
            BufferSize::one(DeviceBuffer::GenParams, size_of::<GenParams>() as u64),
            BufferSize::one(DeviceBuffer::GenProjections, init_bytes(table)),
            BufferSize::one(DeviceBuffer::GenCounts, zeroed_bytes(self.row_threads * 4)),
            BufferSize::one(DeviceBuffer::GenIndegree, zeroed_bytes(self.indegrees * 4)),
        ]
    }
}
