//! A GPU rank of a distributed run ([`crate::distributed`]): its tick schedule has no
//! `propagate`, and after each exchange every rank's spikes of the interval are delivered by
//! the `deliver` stage (`shaders/stages/deliver.wgsl`, wide synapses) or `deliver_compact`
//! (`shaders/stages/deliver_compact.wgsl`, compact storage); CPU twin: `src/cpu/deliver.rs`.
//! The host uploads the list as (slot of the spike's tick, global neuron) pairs, or triples
//! with the neuron's population for compact rows, and submits one dispatch, queued behind the
//! interval's ticks and ahead of the next interval's, so nothing waits for it. A list longer
//! than one binding holds is delivered in several submissions.

use super::GpuBackend;
use super::GpuContext;
use super::pipelines::StagePipeline;
use super::resources::create;
use super::stages::{DELIVER, DELIVER_COMPACT};
use crate::error::{Error, Result, invalid};
use crate::plan::Plan;
use crate::plan::sizes::{ChunkLayout, DeviceBuffer};
use crate::sim::Spike;

/// Words of the list before its spikes: the count and a pad word.
const HEADER_WORDS: usize = 2;

/// Spikes the list buffer holds at first; it doubles as needed.
const FIRST_CAPACITY: usize = 1024;

/// The `deliver` stage of a rank's backend and what it keeps on the host.
pub(super) struct Delivery {
    stage: StagePipeline,
    /// Spikes the `deliveries` buffer holds now.
    capacity: usize,
    /// Most spikes one binding holds.
    max_per_submission: usize,
    /// Row pointers by global neuron: the events each spike delivers.
    row_ptr: Vec<u32>,
    /// For compact storage, the global start of every population (the list names each
    /// spike's population); empty for wide storage.
    population_starts: Vec<u32>,
    /// Synaptic events delivered so far.
    pub events: u64,
}

impl Delivery {
    /// Refuses what a GPU rank cannot run, naming it.
    pub fn check(plan: &Plan) -> Result<()> {
        let refused = [
            (!plan.plastic.is_empty(), "plasticity"),
            (!plan.procedural.is_empty(), "procedural projections"),
            (!plan.short_term.is_empty(), "short_term"),
            (!plan.release.is_empty(), "release_probability"),
            (!plan.device_projections.is_empty(), "generate_on_device"),
        ];
        if let Some((_, what)) = refused.iter().find(|(present, _)| *present) {
            return Err(invalid(
                "--backend",
                "gpu",
                &format!("cpu: {what} is not available on GPU ranks of a distributed run"),
            ));
        }
        Ok(())
    }

    /// The stage for a rank's `plan` (rows by global neuron), its synapses wide or, with
    /// `compact` (their chunk layout), compact.
    pub fn new(ctx: &GpuContext, plan: &Plan, compact: Option<&ChunkLayout>) -> Result<Self> {
        Self::check(plan)?;
        let (stage, population_starts) = match compact {
            Some(layout) => {
                let part = plan.partition.as_deref().ok_or_else(|| {
                    invalid("plan", "single-process", "a rank's delivery runs a rank's plan")
                })?;
                let starts = part.global_populations.iter().map(|p| p.gpu.start).collect();
                (
                    StagePipeline::new(&ctx.device, &DELIVER_COMPACT, Some(layout)),
                    starts,
                )
            }
            None => (StagePipeline::new(&ctx.device, &DELIVER, None), Vec::new()),
        };
        let stride = if population_starts.is_empty() { 2 } else { 3 };
        let limits = ctx.device_limits();
        let max_per_submission = (limits.max_storage_binding_bytes / (4 * stride)) as usize - HEADER_WORDS;
        Ok(Self {
            stage,
            capacity: 0,
            max_per_submission: max_per_submission.max(1),
            row_ptr: plan.row_ptr.clone(),
            population_starts,
            events: 0,
        })
    }

    /// Words per spike in the list.
    fn stride(&self) -> usize {
        if self.population_starts.is_empty() { 2 } else { 3 }
    }

    /// The list words of `spikes` (count, pad, then (tick slot, neuron) pairs, or (tick slot,
    /// neuron, population) triples for compact rows) and the events they deliver; an error
    /// for a neuron outside the rows.
    fn words(&self, spikes: &[Spike], ring_slots: u32) -> Result<(Vec<u32>, u64)> {
        let rows = self.row_ptr.len().saturating_sub(1);
        let mut words = Vec::with_capacity(HEADER_WORDS + self.stride() * spikes.len());
        words.extend([spikes.len() as u32, 0]);
        let mut events = 0u64;
        for s in spikes {
            let n = s.neuron as usize;
            if n >= rows {
                return Err(invalid(
                    "deliver_spikes",
                    s.neuron,
                    &format!("a spike's neuron must be a global id below {rows}"),
                ));
            }
            events += u64::from(self.row_ptr[n + 1] - self.row_ptr[n]);
            words.extend([(s.tick % u64::from(ring_slots)) as u32, s.neuron]);
            if !self.population_starts.is_empty() {
                // The last population starting at or below the neuron.
                let pop = self.population_starts.partition_point(|&start| start <= s.neuron) - 1;
                words.push(pop as u32);
            }
        }
        Ok((words, events))
    }
}

impl GpuBackend {
    /// Delivers `spikes` (every rank's spikes of the last interval, global ids, fired in
    /// earlier ticks less than the smallest delay ago) into the input ring with their own
    /// ticks, as `propagate` would have in those ticks. Only a rank's backend takes them.
    pub fn deliver_spikes(&mut self, spikes: &[Spike]) -> Result<()> {
        let Some(delivery) = self.delivery.as_mut() else {
            return Err(invalid(
                "deliver_spikes",
                "a single-process GPU backend",
                "only the backend of a rank of a distributed run takes exchanged spikes",
            ));
        };
        let device = &self.ctx.device;
        for piece in spikes.chunks(delivery.max_per_submission) {
            let (words, events) = delivery.words(piece, self.params.ring_slots)?;
            if piece.len() > delivery.capacity {
                let capacity = piece
                    .len()
                    .next_power_of_two()
                    .clamp(FIRST_CAPACITY, delivery.max_per_submission);
                let bytes = ((HEADER_WORDS + delivery.stride() * capacity) * 4) as u64;
                let buffer = create(device, DeviceBuffer::Deliveries, bytes, None)?;
                self.resources.insert(DeviceBuffer::Deliveries, vec![buffer]);
                delivery.capacity = capacity;
            }
            let list = self.resources.get(DeviceBuffer::Deliveries);
            self.ctx.queue.write_buffer(list, 0, bytemuck::cast_slice(&words));
            let bind = delivery.stage.bind(device, &self.resources)?;
            let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("spikegpu.deliver"),
            });
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&delivery.stage.pipeline);
                pass.set_bind_group(0, &bind, &[]);
                let groups = (piece.len() as u32).min(self.sizes.grids.max_groups_x);
                pass.dispatch_workgroups(groups, 1, 1);
            }
            self.ctx.queue.submit([encoder.finish()]);
            delivery.events += events;
        }
        self.ctx.check().map_err(|e| match e {
            Error::Gpu(why) => Error::Gpu(format!("delivering exchanged spikes failed: {why}")),
            other => other,
        })
    }
}
