//! Connectivity generated on the GPU (`generate_*.wgsl`, see [`crate::plan::fixed_total`]).
//!
//! Pass 1 counts rows; the host turns the counts into row pointers (a few bytes per neuron).
//! The fixed-point scale must be known before weights are written, and it depends on the
//! in-degrees, so the host fixes it from a provisional in-degree bound (the binomial mean plus
//! `bound_sd` standard deviations). Pass 2 writes the synapses straight into the compact
//! arrays (which may hold more than 2^32 synapses, each projection fewer) and counts the real
//! in-degrees on the way. If a real in-degree exceeds its bound (with the default width,
//! practically never) pass 2 runs again at the scale of the real in-degrees: the result is
//! deterministic either way.
//! Nothing proportional to the synapse count exists on the host.

use super::GpuContext;
use super::pipelines::StagePipeline;
use super::readback::read_bytes;
use super::resources::{ResourceTable, create};
use super::stages::{GENERATE_COUNTS, GENERATE_SYNAPSES};
use crate::error::{Error, Result};
use crate::plan::compact::CompactSynapses;
use crate::plan::fixed_total::{CHUNK_PICKS, GenProjection};
use crate::plan::layout::GenParams;
use crate::plan::sizes::{ChunkLayout, DeviceBuffer, GenerationSizes};
use crate::plan::{PORTS, Plan};

/// The state between the passes.
pub(super) struct Generation {
    table: Vec<GenProjection>,
    params: GenParams,
    sizes: GenerationSizes,
    counts: Vec<u32>,
    /// The row counts and in-degree counters, kept for pass 2.
    counters: ResourceTable,
    /// Provisional in-degree bound per projection.
    bounds: Vec<u32>,
    /// Fixed-point scale with the generated synapses in the bound (provisional until pass 2
    /// has counted the real in-degrees).
    pub fixed_scale: f32,
    /// Seconds creating the pipeline of pass 1.
    pub compile_s: f64,
    /// Seconds running pass 1 and reading its counts.
    pub run_s: f64,
}

/// What pass 2 did.
pub(super) struct Generated {
    /// Seconds compiling their shader.
    pub compile_s: f64,
    /// Seconds running them (twice if a bound was exceeded) and checking the in-degrees.
    pub run_s: f64,
    /// The fixed-point scale the weights were written at.
    pub fixed_scale: f32,
    /// Whether a real in-degree exceeded its provisional bound by enough to need a smaller
    /// scale (pass 2 ran twice; the host-encoded synapses must be rescaled).
    pub rerun: bool,
}

/// Blocks until the device is idle and reports its first error, if any.
fn wait_idle(ctx: &GpuContext) -> Result<()> {
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::Gpu(format!("waiting for the GPU failed: {e}")))?;
    ctx.check()
}

fn read_u32(ctx: &GpuContext, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<u32>> {
    Ok(bytemuck::pod_collect_to_vec(&read_bytes(
        ctx,
        buffer,
        0,
        len as u64 * 4,
    )?))
}

/// The buffers of a generation pass: its run constants and projection table, the row
/// counts and in-degree counters of `counters`, and `shared` buffers of the run.
fn pass_resources(
    ctx: &GpuContext,
    sizes: &GenerationSizes,
    params: &GenParams,
    table: &[GenProjection],
    counters: &ResourceTable,
    shared: &[(DeviceBuffer, &[wgpu::Buffer])],
) -> Result<ResourceTable> {
    let mut resources = ResourceTable::default();
    for entry in sizes.buffers() {
        let contents: Option<&[u8]> = match entry.buffer {
            DeviceBuffer::GenParams => Some(bytemuck::bytes_of(params)),
            DeviceBuffer::GenProjections => Some(bytemuck::cast_slice(table)),
            _ => {
                resources.insert(entry.buffer, counters.parts(entry.buffer).to_vec());
                continue;
            }
        };
        let buffer = create(&ctx.device, entry.buffer, entry.parts[0], contents)?;
        resources.insert(entry.buffer, vec![buffer]);
    }
    for (buffer, parts) in shared {
        resources.insert(*buffer, parts.to_vec());
    }
    Ok(resources)
}

/// Runs `stage` on `(x, y)` workgroups with the buffers of `resources`.
fn dispatch(
    ctx: &GpuContext,
    stage: &StagePipeline,
    resources: &ResourceTable,
    (x, y): (u32, u32),
) -> Result<()> {
    let bind = stage.bind(&ctx.device, resources)?;
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(&stage.pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }
    ctx.queue.submit([enc.finish()]);
    Ok(())
}

/// Runs `stage` on one workgroup whose threads all exit at once (`resources` hold run
/// constants with no threads) and waits for it. A software driver compiles a shader at its
/// first dispatch rather than when the pipeline is created (lavapipe: about 1.4 s for
/// `generate_synapses` on a cold cache); this puts that compilation where it is timed as such.
fn compile_now(ctx: &GpuContext, stage: &StagePipeline, resources: &ResourceTable) -> Result<()> {
    dispatch(ctx, stage, resources, (1, 1))?;
    wait_idle(ctx)
}

/// Run constants with no threads: every thread of a dispatch exits at once.
fn idle(params: &GenParams) -> GenParams {
    GenParams {
        chunk_threads: 0,
        row_threads: 0,
        row_group_bits: 0,
        ..*params
    }
}

/// The generated projections with their first threads and counter offsets laid out.
fn lay_out(plan: &Plan) -> Vec<GenProjection> {
    let mut table = plan.device_projections.clone();
    let (mut chunks, mut rows, mut posts) = (0u64, 0u64, 0u64);
    for p in &mut table {
        p.chunk_thread = chunks as u32;
        p.row_thread = rows as u32;
        p.count_base = rows as u32;
        p.indegree_base = posts as u32;
        chunks += u64::from(p.n_total).div_ceil(CHUNK_PICKS);
        rows += u64::from(p.pre_size);
        posts += u64::from(p.post_size);
    }
    table
}

/// The row counts and in-degree counters, zeroed.
fn counters(ctx: &GpuContext, sizes: &GenerationSizes) -> Result<ResourceTable> {
    let mut counters = ResourceTable::default();
    for entry in sizes.buffers() {
        if matches!(entry.buffer, DeviceBuffer::GenCounts | DeviceBuffer::GenIndegree) {
            let buffer = create(&ctx.device, entry.buffer, entry.parts[0], None)?;
            counters.insert(entry.buffer, vec![buffer]);
        }
    }
    Ok(counters)
}

/// Pass 1, and the fixed-point scale from the provisional in-degree bounds. `sizes` were
/// checked against the device's limits.
pub(super) fn prepass(
    ctx: &GpuContext,
    plan: &Plan,
    sizes: &GenerationSizes,
    bound_sd: f64,
) -> Result<Generation> {
    let table = lay_out(plan);
    let params = GenParams {
        n_gen: table.len() as u32,
        chunk_threads: sizes.chunk_threads as u32,
        row_threads: sizes.row_threads as u32,
        stride: sizes.stride(),
        seed_lo: plan.key[0],
        seed_hi: plan.key[1],
        fixed_scale: 0.0,
        delay_bits: 0,
        row_group_bits: sizes.row_group_bits(),
        ..Default::default()
    };
    let counters = counters(ctx, sizes)?;
    let t0 = std::time::Instant::now();
    let stage = StagePipeline::new(&ctx.device, &GENERATE_COUNTS, None);
    let idle_pass = pass_resources(ctx, sizes, &idle(&params), &table, &counters, &[])?;
    compile_now(ctx, &stage, &idle_pass)?;
    let compile_s = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    let pass = pass_resources(ctx, sizes, &params, &table, &counters, &[])?;
    dispatch(ctx, &stage, &pass, sizes.counts_grid())?;
    let counts = read_u32(
        ctx,
        counters.get(DeviceBuffer::GenCounts),
        sizes.row_threads as usize,
    )?;
    let bounds: Vec<u32> = table.iter().map(|p| indegree_bound(p, bound_sd)).collect();
    // At most the scale at which every weight still fits beside the delay bits of a compact
    // word (large weights would otherwise be refused rather than represented more coarsely).
    let bound_scale = scale_for(plan, &table, |q, _| bounds[q])?;
    let fixed_scale =
        crate::plan::compact::weight_scale_cap(plan, &plan.weights, bound_scale).unwrap_or(bound_scale);
    let run_s = t1.elapsed().as_secs_f64();
    Ok(Generation {
        compile_s,
        run_s,
        table,
        params,
        sizes: *sizes,
        counts,
        counters,
        bounds,
        fixed_scale,
    })
}

/// Provisional in-degree bound of every post-synaptic neuron of `p`: the mean of its binomial
/// in-degree plus `sd` standard deviations (Poisson approximation, which is wider), plus one.
pub fn indegree_bound(p: &GenProjection, sd: f64) -> u32 {
    let choices = f64::from(p.post_size - p.skip_self).max(1.0);
    let mean = f64::from(p.n_total) / choices;
    ((mean + sd * mean.sqrt()).ceil() + 1.0).min(f64::from(p.n_total)) as u32
}

/// The fixed-point scale with every generated synapse onto (port, target) adding at most its
/// projection's largest |weight|, `degree(q, j)` synapses of projection `q` onto its post
/// neuron `j`.
fn scale_for(plan: &Plan, table: &[GenProjection], degree: impl Fn(usize, usize) -> u32) -> Result<f32> {
    let n = plan.n_neurons as usize;
    let mut extra_abs = vec![0.0f64; PORTS as usize * n];
    let mut extra_terms = vec![0.0f64; PORTS as usize * n];
    for (q, p) in table.iter().enumerate() {
        let w = p.weight.max_abs();
        for j in 0..p.post_size as usize {
            let k = f64::from(degree(q, j));
            let idx = p.port as usize * n + (p.post_start as usize + j);
            extra_abs[idx] += k * w;
            extra_terms[idx] += k;
        }
    }
    plan.fixed_scale_with(&extra_abs, &extra_terms)
}

impl Generation {
    /// Writes the row pointers of the generated projections into `c` (relative to each
    /// projection; their synapses follow the host-encoded ones, projection after projection)
    /// and their 64-bit first positions.
    pub(super) fn fill_row_pointers(&self, c: &mut CompactSynapses) {
        let mut next = c.words.len() as u64;
        // In the order of the projection table, as the host lays out encoded synapses.
        let mut order: Vec<usize> = (0..self.table.len()).collect();
        order.sort_by_key(|&q| c.device_slots[q]);
        for q in order {
            let p = &self.table[q];
            c.projections[c.device_slots[q]].first = crate::plan::compact::split(next);
            let base = c.device_rows[q] as usize;
            let mut r = 0u32;
            c.row_ptr[base] = 0;
            for i in 0..p.pre_size as usize {
                r += self.counts[p.count_base as usize + i];
                c.row_ptr[base + i + 1] = r;
            }
            next += u64::from(r);
        }
    }

    /// The buffers of pass 2 with run constants `params`, the chunks being `chunks` (the
    /// run's, or stand-ins) and the row pointers the run's.
    fn synapse_pass(
        &self,
        ctx: &GpuContext,
        params: &GenParams,
        table: &[GenProjection],
        run: &ResourceTable,
        chunks: [&[wgpu::Buffer]; 2],
    ) -> Result<ResourceTable> {
        let shared = [
            (
                DeviceBuffer::CompactRowPtr,
                run.parts(DeviceBuffer::CompactRowPtr),
            ),
            (DeviceBuffer::CompactWords, chunks[0]),
            (DeviceBuffer::CompactTargets, chunks[1]),
        ];
        pass_resources(ctx, &self.sizes, params, table, &self.counters, &shared)
    }

    /// Compiles pass 2 for `layout` and runs it once with no threads (see [`compile_now`]);
    /// stand-ins replace the chunks, which wgpu would otherwise zero here.
    fn compile_synapse_pass(
        &self,
        ctx: &GpuContext,
        layout: &ChunkLayout,
        table: &[GenProjection],
        run: &ResourceTable,
    ) -> Result<StagePipeline> {
        let stage = StagePipeline::new(&ctx.device, &GENERATE_SYNAPSES, Some(layout));
        let stand_in = |count: u32| -> Result<Vec<wgpu::Buffer>> {
            (0..count)
                .map(|_| create(&ctx.device, DeviceBuffer::CompactWords, 256, None))
                .collect()
        };
        let (words, targets) = (stand_in(layout.word_chunks)?, stand_in(layout.target_chunks)?);
        let idle_pass = self.synapse_pass(ctx, &idle(&self.params), table, run, [&words, &targets])?;
        compile_now(ctx, &stage, &idle_pass)?;
        Ok(stage)
    }

    /// Pass 2: the synapses into the compact chunks of `run`, then the check of the real
    /// in-degrees against the bounds (and the rerun at their scale if one is exceeded).
    pub(super) fn generate(
        &self,
        ctx: &GpuContext,
        plan: &Plan,
        layout: &ChunkLayout,
        compact: &CompactSynapses,
        run: &ResourceTable,
    ) -> Result<Generated> {
        let mut table = self.table.clone();
        for (q, p) in table.iter_mut().enumerate() {
            p.row_base = compact.device_rows[q];
            p.first = compact.projections[compact.device_slots[q]].first;
        }
        let t0 = std::time::Instant::now();
        let stage = self.compile_synapse_pass(ctx, layout, &table, run)?;
        let compile_s = t0.elapsed().as_secs_f64();
        let t1 = std::time::Instant::now();
        let chunks = [
            run.parts(DeviceBuffer::CompactWords),
            run.parts(DeviceBuffer::CompactTargets),
        ];
        let write = |scale: f32| -> Result<()> {
            let params = GenParams {
                fixed_scale: scale,
                delay_bits: compact.delay_bits,
                ..self.params
            };
            let pass = self.synapse_pass(ctx, &params, &table, run, chunks)?;
            dispatch(ctx, &stage, &pass, self.sizes.synapses_grid())
        };
        write(self.fixed_scale)?;
        let (fixed_scale, rerun) = self.scale_after_pass(ctx, plan, &table)?;
        if rerun {
            log::info!(
                "a generated in-degree exceeded its provisional bound: synapses written again at fixed-point scale {fixed_scale}"
            );
            // Pass 2 rewrites every generated word; it ORs the same targets again into the
            // words shared by neighbouring rows (targets do not depend on the scale), which
            // changes nothing. The host-encoded weights are rescaled by the caller.
            let mut enc = ctx.device.create_command_encoder(&Default::default());
            enc.clear_buffer(self.counters.get(DeviceBuffer::GenIndegree), 0, None);
            ctx.queue.submit([enc.finish()]);
            write(fixed_scale)?;
        }
        wait_idle(ctx)?;
        Ok(Generated {
            compile_s,
            run_s: t1.elapsed().as_secs_f64(),
            fixed_scale,
            rerun,
        })
    }

    /// The fixed-point scale the real in-degrees allow, and whether it is smaller than the
    /// provisional one (scales are powers of two, so an exceeded bound often changes nothing).
    fn scale_after_pass(
        &self,
        ctx: &GpuContext,
        plan: &Plan,
        table: &[GenProjection],
    ) -> Result<(f32, bool)> {
        let indegree_buffer = self.counters.get(DeviceBuffer::GenIndegree);
        let indegree = read_u32(ctx, indegree_buffer, (indegree_buffer.size() / 4) as usize)?;
        let degree = |q: usize, j: usize| indegree[(table[q].indegree_base as usize) + j];
        let exceeded = table
            .iter()
            .enumerate()
            .any(|(q, p)| (0..p.post_size as usize).any(|j| degree(q, j) > self.bounds[q]));
        let real_scale = if exceeded {
            scale_for(plan, table, degree)?
        } else {
            self.fixed_scale
        };
        Ok((real_scale.min(self.fixed_scale), real_scale < self.fixed_scale))
    }
}
