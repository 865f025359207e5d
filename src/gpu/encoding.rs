//! A batch's commands: `batch_begin`, then each tick's stages in the order of the tick
//! schedule ([`crate::sim::schedule::tick_schedule`]), each one dispatch of its pipeline with
//! its bind group, all in one compute pass; then the copies of the control block and the
//! records into a staging buffer.

use super::equation_pipeline::EquationStage;
use super::pipelines::StagePipeline;
use super::resources::ResourceTable;
use super::stages::{self, DispatchRule, StageDecl};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::plan::layout::Control;
use crate::plan::sizes::{CONTROL_BYTES, DeviceBuffer, DeviceSizes, records_bytes};
use crate::sim::schedule::tick_schedule;

/// Workgroups of one dispatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workgroups {
    /// `(x, y)` workgroups.
    Direct(u32, u32),
    /// Read from the indirect buffer at this byte offset.
    Indirect(u64),
}

impl Workgroups {
    fn of(decl: &StageDecl, sizes: &DeviceSizes) -> Result<Self> {
        Ok(match decl.dispatch {
            DispatchRule::Grid(grid) => {
                let (x, y) = sizes.grids.of(grid);
                Self::Direct(x, y)
            }
            DispatchRule::Indirect(grid) => Self::Indirect(grid.offset()),
            DispatchRule::Once => Self::Direct(1, 1),
            other => {
                return Err(Error::Gpu(format!(
                    "stage {} ({other:?}) cannot run in a tick",
                    decl.name
                )));
            }
        })
    }
}

/// A stage ready to record: pipeline, bind group and workgroups.
struct BoundStage {
    stage: StagePipeline,
    bind_group: wgpu::BindGroup,
    workgroups: Workgroups,
}

impl BoundStage {
    fn record(&self, pass: &mut wgpu::ComputePass<'_>, indirect: &wgpu::Buffer) {
        pass.set_pipeline(&self.stage.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        match self.workgroups {
            Workgroups::Direct(x, y) => pass.dispatch_workgroups(x, y, 1),
            Workgroups::Indirect(offset) => pass.dispatch_workgroups_indirect(indirect, offset),
        }
    }
}

/// The compiled stages of a batch.
pub(super) struct TickPipelines {
    batch_begin: StagePipeline,
    tick: Vec<(StagePipeline, Workgroups)>,
    /// The updates of the populations of user-defined models, run after `neuron_update`.
    pub equations: Vec<EquationStage>,
}

impl TickPipelines {
    /// Compiles `batch_begin` and every stage the plan's tick schedule runs, in order.
    pub fn compile(device: &wgpu::Device, plan: &Plan, sizes: &DeviceSizes) -> Result<Self> {
        let layout = sizes.compact.as_ref().map(|c| c.layout);
        let tick = tick_schedule(plan)
            .into_iter()
            .map(|stage| {
                let decl = stages::tick_declaration(stage, layout.is_some(), !plan.short_term.is_empty());
                let decl = stages::with_release(decl, !plan.release.is_empty());
                let chunks = decl.chunks.and(layout.as_ref());
                Ok((
                    StagePipeline::new(device, decl, chunks),
                    Workgroups::of(decl, sizes)?,
                ))
            })
            .collect::<Result<_>>()?;
        let limits = device.limits();
        let max_binding = limits.max_storage_buffer_binding_size;
        let equations = plan
            .equations
            .iter()
            .map(|eq| EquationStage::new(device, eq, sizes.grids.max_groups_x, max_binding))
            .collect::<Result<_>>()?;
        Ok(Self {
            batch_begin: StagePipeline::new(device, &stages::BATCH_BEGIN, None),
            tick,
            equations,
        })
    }
}

/// The stages of a batch with their bind groups.
pub(super) struct TickProgram {
    batch_begin: BoundStage,
    tick: Vec<BoundStage>,
    equations: Vec<(EquationStage, wgpu::BindGroup)>,
}

impl TickProgram {
    /// Binds every stage to the buffers its declaration names.
    pub fn bind(device: &wgpu::Device, pipelines: TickPipelines, resources: &ResourceTable) -> Result<Self> {
        let bound = |stage: StagePipeline, workgroups| -> Result<BoundStage> {
            Ok(BoundStage {
                bind_group: stage.bind(device, resources)?,
                stage,
                workgroups,
            })
        };
        Ok(Self {
            batch_begin: bound(pipelines.batch_begin, Workgroups::Direct(1, 1))?,
            tick: pipelines
                .tick
                .into_iter()
                .map(|(stage, workgroups)| bound(stage, workgroups))
                .collect::<Result<_>>()?,
            equations: pipelines
                .equations
                .into_iter()
                .map(|stage| {
                    let group = stage.bind(device, resources);
                    (stage, group)
                })
                .collect(),
        })
    }

    /// Makes the bind groups again (after a buffer was replaced).
    pub fn rebind(&mut self, device: &wgpu::Device, resources: &ResourceTable) -> Result<()> {
        for bound in std::iter::once(&mut self.batch_begin).chain(&mut self.tick) {
            bound.bind_group = bound.stage.bind(device, resources)?;
        }
        for (stage, group) in &mut self.equations {
            *group = stage.bind(device, resources);
        }
        Ok(())
    }

    /// The update of the `k`-th population of a user-defined model (plan order).
    pub fn equation_stage(&self, k: usize) -> Option<&EquationStage> {
        self.equations.get(k).map(|(stage, _)| stage)
    }

    /// Compute dispatches per tick.
    pub fn dispatches_per_tick(&self) -> u32 {
        (self.tick.len() + self.equations.len()) as u32
    }

    /// The names of the tick's stages, in the order they run.
    pub fn stage_names(&self) -> Vec<&'static str> {
        self.tick.iter().map(|b| b.stage.decl.name).collect()
    }

    /// `ticks` ticks in one compute pass, then the control block and `capacity` records
    /// copied into `staging`.
    pub fn encode_batch(
        &self,
        device: &wgpu::Device,
        resources: &ResourceTable,
        ticks: u32,
        capacity: u32,
        staging: &wgpu::Buffer,
    ) -> wgpu::CommandBuffer {
        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("spikegpu.batch"),
        });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("spikegpu.ticks"),
                timestamp_writes: None,
            });
            let indirect = resources.get(DeviceBuffer::Indirect);
            self.batch_begin.record(&mut pass, indirect);
            for _ in 0..ticks {
                for stage in &self.tick {
                    stage.record(&mut pass, indirect);
                    if stage.stage.decl.name == "neuron_update" {
                        for (eq, group) in &self.equations {
                            eq.record(&mut pass, group);
                        }
                    }
                }
            }
        }
        copy_out(&mut enc, resources, capacity, staging);
        enc.finish()
    }

    /// As [`TickProgram::encode_batch`], with timestamps `2 (t S + i)` and `2 (t S + i) + 1`
    /// of `queries` written just before and just after stage `i` of tick `t` (`S` stages a
    /// tick): inside the one pass when `inside_pass`, else with each stage in a pass of its
    /// own, timed at its boundaries. Left open, for the caller to resolve the queries.
    pub fn encode_timed_batch(
        &self,
        device: &wgpu::Device,
        resources: &ResourceTable,
        ticks: u32,
        capacity: u32,
        staging: &wgpu::Buffer,
        queries: &wgpu::QuerySet,
        inside_pass: bool,
    ) -> wgpu::CommandEncoder {
        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("spikegpu.profiled_batch"),
        });
        let indirect = resources.get(DeviceBuffer::Indirect);
        let stages = self.tick.len() as u32;
        let first_query = |t: u32, i: usize| 2 * (t * stages + i as u32);
        if inside_pass {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("spikegpu.ticks"),
                timestamp_writes: None,
            });
            self.batch_begin.record(&mut pass, indirect);
            for t in 0..ticks {
                for (i, stage) in self.tick.iter().enumerate() {
                    pass.write_timestamp(queries, first_query(t, i));
                    stage.record(&mut pass, indirect);
                    pass.write_timestamp(queries, first_query(t, i) + 1);
                }
            }
        } else {
            self.batch_begin
                .record(&mut enc.begin_compute_pass(&Default::default()), indirect);
            for t in 0..ticks {
                for (i, stage) in self.tick.iter().enumerate() {
                    let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: Some("spikegpu.timed_stage"),
                        timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                            query_set: queries,
                            beginning_of_pass_write_index: Some(first_query(t, i)),
                            end_of_pass_write_index: Some(first_query(t, i) + 1),
                        }),
                    });
                    stage.record(&mut pass, indirect);
                }
            }
        }
        copy_out(&mut enc, resources, capacity, staging);
        enc
    }
}

/// Copies the control block and `capacity` records into `staging`.
fn copy_out(
    enc: &mut wgpu::CommandEncoder,
    resources: &ResourceTable,
    capacity: u32,
    staging: &wgpu::Buffer,
) {
    let control = size_of::<Control>() as u64;
    enc.copy_buffer_to_buffer(resources.get(DeviceBuffer::Control), 0, staging, 0, Some(control));
    enc.copy_buffer_to_buffer(
        resources.get(DeviceBuffer::Records),
        0,
        staging,
        CONTROL_BYTES,
        Some(records_bytes(capacity)),
    );
}
