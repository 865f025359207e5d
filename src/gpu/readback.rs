//! Transfers outside the run loop: copies queued behind the submitted work and mapped
//! (`queue_read` / `finish_read_bytes`), the state, weight, trace and compact-array pulls
//! built on them, and the few host writes (weights, modulators).

use super::{CompactArrays, GpuBackend, GpuContext};
use crate::error::{Error, Result};
use crate::plan::compact::CompactSynapses;
use crate::plan::layout::NeuronState;
use crate::plan::sizes::DeviceBuffer;
use crate::plan::{PORTS, Plan};

/// A copy of part of a GPU buffer on its way to the host: queued behind the work already
/// submitted, so it holds the values at that point of the run, while later batches go on.
pub struct PendingRead {
    staging: wgpu::Buffer,
    done: std::sync::mpsc::Receiver<std::result::Result<(), wgpu::BufferAsyncError>>,
    size: u64,
}

/// Queues a copy of `size` bytes of `buffer` from `offset` into a new mappable buffer, behind
/// the work already submitted, and asks for it to be mapped; returns at once.
pub(super) fn queue_read(
    ctx: &GpuContext,
    buffer: &wgpu::Buffer,
    offset: u64,
    size: u64,
) -> Result<PendingRead> {
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("spikegpu.read_back"),
        size: size.max(4),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut enc = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("spikegpu.read_back"),
        });
    if size > 0 {
        enc.copy_buffer_to_buffer(buffer, offset, &staging, 0, Some(size));
    }
    ctx.queue.submit([enc.finish()]);
    let (tx, done) = std::sync::mpsc::channel();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    ctx.check()?;
    Ok(PendingRead { staging, done, size })
}

/// The bytes of a queued read if its copy has finished (`wait`: block until it has).
pub(super) fn finish_read_bytes(ctx: &GpuContext, read: &PendingRead, wait: bool) -> Result<Option<Vec<u8>>> {
    let poll = if wait {
        wgpu::PollType::wait_indefinitely()
    } else {
        wgpu::PollType::Poll
    };
    ctx.device
        .poll(poll)
        .map_err(|e| Error::Gpu(format!("waiting for the GPU failed: {e}")))?;
    ctx.check()?;
    let outcome = if wait {
        read.done.recv().ok()
    } else {
        read.done.try_recv().ok()
    };
    match outcome {
        None if wait => Err(Error::Gpu("a read-back was dropped".into())),
        None => Ok(None),
        Some(Err(e)) => Err(Error::Gpu(format!("reading a buffer back failed: {e}"))),
        Some(Ok(())) => {
            let bytes = read
                .staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| Error::Gpu(format!("mapping failed: {e}")))?[..read.size as usize]
                .to_vec();
            read.staging.unmap();
            Ok(Some(bytes))
        }
    }
}

/// `len` bytes of `buffer` from `offset`, waiting for the copy.
pub(super) fn read_bytes(ctx: &GpuContext, buffer: &wgpu::Buffer, offset: u64, len: u64) -> Result<Vec<u8>> {
    let read = queue_read(ctx, buffer, offset, len)?;
    finish_read_bytes(ctx, &read, true)?.ok_or_else(|| Error::Gpu("reading a buffer back failed".into()))
}

impl GpuBackend {
    /// `len` bytes of run buffer `buffer` from `offset`, waiting for the copy.
    fn read_run_buffer<T: bytemuck::Pod>(
        &self,
        buffer: DeviceBuffer,
        offset: u64,
        len: u64,
    ) -> Result<Vec<T>> {
        let bytes = read_bytes(&self.ctx, self.resources.get(buffer), offset, len)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Current neuron state of every neuron.
    pub fn pull_state(&self) -> Result<Vec<NeuronState>> {
        let size = u64::from(self.params.n_neurons) * size_of::<NeuronState>() as u64;
        self.read_run_buffer(DeviceBuffer::State, 0, size)
    }

    /// Values of variable `variable` (past the sixth) of the `k`-th population of a
    /// user-defined model (plan order), which has `size` neurons.
    pub fn pull_equation_extra(&self, k: usize, size: u32, variable: usize) -> Result<Vec<f32>> {
        let stage = self
            .program
            .equation_stage(k)
            .ok_or_else(|| Error::Gpu(format!("no update of a user-defined model number {k}")))?;
        let bytes_per_variable = 4 * u64::from(size);
        let offset = (variable as u64 - 6) * bytes_per_variable;
        let bytes = read_bytes(&self.ctx, stage.extra(), offset, bytes_per_variable)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// The variables past the sixth of the `k`-th population of a user-defined model (plan
    /// order), `[variable - 6][neuron]` (`len` values).
    pub fn pull_equation_extras(&self, k: usize, len: usize) -> Result<Vec<f32>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let stage = self
            .program
            .equation_stage(k)
            .ok_or_else(|| Error::Gpu(format!("no update of a user-defined model number {k}")))?;
        let bytes = read_bytes(&self.ctx, stage.extra(), 0, 4 * len as u64)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Writes `values` into the variables past the sixth of the `k`-th population of a
    /// user-defined model from value `at` on (`[variable - 6][neuron]`); submitted with the
    /// next queue submission.
    pub fn push_equation_extras(&self, k: usize, at: usize, values: &[f32]) -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        let stage = self
            .program
            .equation_stage(k)
            .ok_or_else(|| Error::Gpu(format!("no update of a user-defined model number {k}")))?;
        self.ctx
            .queue
            .write_buffer(stage.extra(), 4 * at as u64, bytemuck::cast_slice(values));
        Ok(())
    }

    /// Weights of all synapses (merged CSR order).
    pub fn pull_weights(&self, count: usize) -> Result<Vec<f32>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        self.read_run_buffer(DeviceBuffer::Weights, 0, count as u64 * 4)
    }

    /// Replaces the weights of all synapses (merged CSR order of `plan`); takes effect from
    /// the next tick. Compact storage is re-encoded (refused if a weight no longer fits).
    pub fn push_weights(&self, plan: &Plan, weights: &[f32]) -> Result<()> {
        if let Some(c) = &self.sizes.compact {
            let encoded = CompactSynapses::encode(plan, weights).map_err(|why| {
                crate::error::invalid("weights", "new values", &format!("compact storage: {why}"))
            })?;
            let chunks = self.resources.parts(DeviceBuffer::CompactWords);
            super::resources::write_chunked(&self.ctx.queue, chunks, c.chunk_words as usize, &encoded.words);
            self.ctx.queue.submit([]);
        } else if !weights.is_empty() {
            let buffer = self.resources.get(DeviceBuffer::Weights);
            self.ctx
                .queue
                .write_buffer(buffer, 0, bytemuck::cast_slice(weights));
            self.ctx.queue.submit([]);
        }
        self.ctx.check()
    }

    /// The compact arrays as the device holds them: words, targets, row pointers (for
    /// checking generated connectivity).
    pub fn pull_compact(&self) -> Result<Option<CompactArrays>> {
        let Some(c) = &self.sizes.compact else {
            return Ok(None);
        };
        let read_all = |buffer: DeviceBuffer, total: u64, chunk_words: u64| -> Result<Vec<u32>> {
            let mut out = Vec::with_capacity(total as usize);
            for part in self.resources.parts(buffer) {
                let len = (total - out.len() as u64).min(chunk_words);
                out.extend(bytemuck::pod_collect_to_vec::<u8, u32>(&read_bytes(
                    &self.ctx,
                    part,
                    0,
                    len * 4,
                )?));
            }
            Ok(out)
        };
        let whole = |buffer: DeviceBuffer| -> Result<Vec<u8>> {
            let b = self.resources.get(buffer);
            read_bytes(&self.ctx, b, 0, b.size())
        };
        Ok(Some(CompactArrays {
            words: read_all(DeviceBuffer::CompactWords, c.shape.total_words(), c.chunk_words)?,
            targets: read_all(
                DeviceBuffer::CompactTargets,
                c.shape.total_target_words(),
                c.target_chunk_words,
            )?,
            target_bits: c.shape.target_bits,
            row_ptr: bytemuck::pod_collect_to_vec(&whole(DeviceBuffer::CompactRowPtr)?),
            projections: bytemuck::pod_collect_to_vec(&whole(DeviceBuffer::CompactProjections)?),
        }))
    }

    /// Queues a copy of the weights of synapses `first..first + count` and returns at once;
    /// the copy runs between the batches already submitted and those submitted later, so
    /// the run stops only for the copy itself.
    pub fn request_weights(&self, first: u64, count: u64) -> Result<PendingRead> {
        let weights = self.resources.get(DeviceBuffer::Weights);
        queue_read(&self.ctx, weights, first * 4, count * 4)
    }

    /// The values of a pending read if the copy has finished (`wait`: block until it has).
    pub fn finish_read(&self, read: &PendingRead, wait: bool) -> Result<Option<Vec<f32>>> {
        Ok(finish_read_bytes(&self.ctx, read, wait)?.map(|bytes| bytemuck::pod_collect_to_vec(&bytes)))
    }

    /// Eligibility traces of all synapses (empty without reward-modulated projections).
    pub fn pull_eligibility(&self) -> Result<Vec<f32>> {
        if self.params.modulation_interval == 0 || self.params.n_synapses == 0 {
            return Ok(Vec::new());
        }
        let n = u64::from(self.params.n_synapses) * 4;
        self.read_run_buffer(DeviceBuffer::Weights, n, n)
    }

    /// Levels of all neuromodulator channels (0 global, 1 + p population p).
    pub fn pull_modulators(&self) -> Result<Vec<f32>> {
        let n = u64::from(self.params.n_pops) + 1;
        self.read_run_buffer(DeviceBuffer::Modulators, 0, n * 4)
    }

    /// Sets the level of neuromodulator channel `channel` from the next tick on.
    pub fn set_modulator(&self, channel: usize, level: f32) -> Result<()> {
        self.ctx.queue.write_buffer(
            self.resources.get(DeviceBuffer::Modulators),
            channel as u64 * 4,
            bytemuck::bytes_of(&level),
        );
        self.ctx.queue.submit([]);
        self.ctx.check()
    }

    /// Uploads the plan's current tables (same sizes as at build), used from the next tick on.
    pub fn set_currents(&self, plan: &Plan) -> Result<()> {
        let queue = &self.ctx.queue;
        if !plan.currents.is_empty() {
            let currents = self.resources.get(DeviceBuffer::Currents);
            queue.write_buffer(currents, 0, bytemuck::cast_slice(&plan.currents));
        }
        if !plan.current_steps.is_empty() {
            let steps = self.resources.get(DeviceBuffer::CurrentSteps);
            queue.write_buffer(steps, 0, bytemuck::cast_slice(&plan.current_steps));
        }
        queue.submit([]);
        self.ctx.check()
    }

    /// The fixed-point input ring, `[port][slot][neuron]`.
    pub fn pull_input_ring(&self) -> Result<Vec<i32>> {
        let size =
            u64::from(PORTS) * u64::from(self.params.ring_slots) * u64::from(self.params.n_neurons) * 4;
        self.read_run_buffer(DeviceBuffer::Ring, 0, size)
    }
}
