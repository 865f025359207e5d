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

use wgpu::util::DeviceExt;

use super::{GpuContext, pipeline, shaders};
use crate::error::{Error, Result};
use crate::plan::compact::CompactSynapses;
use crate::plan::fixed_total::{CHUNK_PICKS, GenProjection};
use crate::plan::layout::GenParams;
use crate::plan::{PORTS, Plan};

const WORKGROUP: u32 = 64;

/// The state between the passes.
pub(super) struct Generation {
    table: Vec<GenProjection>,
    params: GenParams,
    counts: Vec<u32>,
    counts_buffer: wgpu::Buffer,
    max_groups: u32,
    indegree_buffer: wgpu::Buffer,
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

/// A zeroed array of `len` u32 that can be read back and cleared.
fn zeroed(device: &wgpu::Device, label: &str, len: u64) -> wgpu::Buffer {
    let usage = wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
    super::storage_zeroed(device, label, len * 4, usage)
}

/// Blocks until the device is idle and reports its first error, if any.
fn wait_idle(ctx: &GpuContext) -> Result<()> {
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::Gpu(format!("waiting for the GPU failed: {e}")))?;
    ctx.check()
}

/// Workgroups `(x, y)` for `threads` threads at the common stride `max_groups * WORKGROUP`.
fn grid(threads: u32, max_groups: u32) -> (u32, u32) {
    let groups = threads.div_ceil(WORKGROUP).max(1);
    (groups.min(max_groups), groups.div_ceil(max_groups))
}

fn read_u32(ctx: &GpuContext, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<u32>> {
    let read = super::queue_read(ctx, buffer, 0, len as u64 * 4)?;
    let bytes = super::finish_read_bytes(ctx, &read, true)?
        .ok_or_else(|| Error::Gpu("reading generated counts back failed".into()))?;
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

/// The run constants and the projection table of a generation pass.
fn upload(
    device: &wgpu::Device,
    params: &GenParams,
    table: &[GenProjection],
) -> (wgpu::Buffer, wgpu::Buffer) {
    let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("spikegpu.generate_params"),
        contents: bytemuck::bytes_of(params),
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let projections = super::storage_init(
        device,
        "spikegpu.generate_projections",
        bytemuck::cast_slice(table),
        wgpu::BufferUsages::empty(),
    );
    (uniform, projections)
}

/// Runs `pipeline` with `buffers` at their bindings.
fn dispatch(
    ctx: &GpuContext,
    pipeline: &wgpu::ComputePipeline,
    name: &str,
    buffers: &[(u32, &wgpu::Buffer)],
    (x, y): (u32, u32),
) {
    let bind = super::bind_group_at(&ctx.device, pipeline, name, buffers);
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }
    ctx.queue.submit([enc.finish()]);
}

/// Runs `pipeline` on one workgroup whose threads all exit at once (`buffers` hold run
/// constants with no threads) and waits for it. A software driver compiles a shader at its
/// first dispatch rather than when the pipeline is created (lavapipe: about 1.4 s for
/// `generate_synapses` on a cold cache); this puts that compilation where it is timed as such.
fn compile_now(
    ctx: &GpuContext,
    pipeline: &wgpu::ComputePipeline,
    name: &str,
    buffers: &[(u32, &wgpu::Buffer)],
) -> Result<()> {
    dispatch(ctx, pipeline, name, buffers, (1, 1));
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

/// Pass 1, and the fixed-point scale from the provisional in-degree bounds.
pub(super) fn prepass(ctx: &GpuContext, plan: &Plan, bound_sd: f64) -> Result<Generation> {
    let device = &ctx.device;
    // A power of two, so that the padded workgroup count of the row passes fills a 2-D grid
    // exactly (see `gen_row`).
    let max_groups = 1 << ctx.limits.max_compute_workgroups_per_dimension.max(1).ilog2();
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
    if rows > u64::from(u32::MAX / 2) || chunks > u64::from(u32::MAX / 2) {
        return Err(Error::LimitExceeded {
            what: "rows of GPU-generated projections".into(),
            requested: rows.max(chunks),
            max: u64::from(u32::MAX / 2),
        });
    }
    let params = GenParams {
        n_gen: table.len() as u32,
        chunk_threads: chunks as u32,
        row_threads: rows as u32,
        stride: max_groups * WORKGROUP,
        seed_lo: plan.key[0],
        seed_hi: plan.key[1],
        fixed_scale: 0.0,
        delay_bits: 0,
        row_group_bits: rows
            .div_ceil(u64::from(WORKGROUP))
            .max(1)
            .next_power_of_two()
            .trailing_zeros(),
        ..Default::default()
    };
    let (uniform, projections) = upload(device, &params, &table);
    let counts_buffer = zeroed(device, "spikegpu.generate_counts", rows);
    let indegree_buffer = zeroed(device, "spikegpu.generate_indegree", posts);
    let t0 = std::time::Instant::now();
    let count_pipe = pipeline(device, "generate_counts");
    let (idle_uniform, _) = upload(device, &idle(&params), &table);
    compile_now(
        ctx,
        &count_pipe,
        "generate_counts",
        &[(0, &idle_uniform), (1, &projections), (2, &counts_buffer)],
    )?;
    let compile_s = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    dispatch(
        ctx,
        &count_pipe,
        "generate_counts",
        &[(0, &uniform), (1, &projections), (2, &counts_buffer)],
        grid(params.chunk_threads, max_groups),
    );
    let counts = read_u32(ctx, &counts_buffer, rows as usize)?;
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
        counts,
        counts_buffer,
        indegree_buffer,
        bounds,
        max_groups,
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

    /// The bindings of pass 2: run constants, projection table, row counts, row pointers,
    /// in-degrees, then the word chunks and the target chunks in order.
    fn synapse_bindings<'a>(
        &'a self,
        uniform: &'a wgpu::Buffer,
        projections: &'a wgpu::Buffer,
        row_ptr: &'a wgpu::Buffer,
        chunks: impl IntoIterator<Item = &'a wgpu::Buffer>,
    ) -> Vec<(u32, &'a wgpu::Buffer)> {
        let mut all = vec![
            (0, uniform),
            (1, projections),
            (2, &self.counts_buffer),
            (3, row_ptr),
            (4, &self.indegree_buffer),
        ];
        all.extend((shaders::GENERATE_CHUNK_BINDING..).zip(chunks));
        all
    }

    /// Pass 2: the synapses into the compact chunks, then the check of the real
    /// in-degrees against the bounds (and the rerun at their scale if one is exceeded).
    pub(super) fn generate(
        &self,
        ctx: &GpuContext,
        plan: &Plan,
        layout: &shaders::ChunkLayout,
        compact: &CompactSynapses,
        row_ptr: &wgpu::Buffer,
        chunks: (&[wgpu::Buffer], &[wgpu::Buffer]),
    ) -> Result<Generated> {
        let device = &ctx.device;
        // A uniform, then four storage bindings before the chunks.
        let needed = 4 + layout.word_chunks + layout.target_chunks;
        let allowed = super::max_storage_bindings(&ctx.limits);
        if needed > allowed {
            return Err(Error::LimitExceeded {
                what: "storage bindings of the connectivity generation pass".into(),
                requested: u64::from(needed),
                max: u64::from(allowed),
            });
        }
        let mut table = self.table.clone();
        for (q, p) in table.iter_mut().enumerate() {
            p.row_base = compact.device_rows[q];
            p.first = compact.projections[compact.device_slots[q]].first;
        }
        let t0 = std::time::Instant::now();
        let src = shaders::generate_synapses_source(layout, shaders::Dialect::of(device));
        let pipe = super::pipeline_from_source(device, "generate_synapses", &src);
        {
            // Stand-ins for the chunks: binding the real ones would have wgpu zero them here.
            let stand_ins: Vec<wgpu::Buffer> = (0..layout.word_chunks + layout.target_chunks)
                .map(|_| zeroed(device, "spikegpu.generate_stand_in", 0))
                .collect();
            let (uniform, projections) = upload(device, &idle(&self.params), &table);
            let all = self.synapse_bindings(&uniform, &projections, row_ptr, &stand_ins);
            compile_now(ctx, &pipe, "generate_synapses", &all)?;
        }
        let compile_s = t0.elapsed().as_secs_f64();
        let t1 = std::time::Instant::now();
        let run = |scale: f32| -> Result<()> {
            let params = GenParams {
                fixed_scale: scale,
                delay_bits: compact.delay_bits,
                ..self.params
            };
            let (uniform, projections) = upload(device, &params, &table);
            let chunk_buffers: Vec<&wgpu::Buffer> = chunks.0.iter().chain(chunks.1).collect();
            let all = self.synapse_bindings(&uniform, &projections, row_ptr, chunk_buffers);
            // Every workgroup of the padded, bit-reversed order (see `gen_row`).
            let groups = grid(WORKGROUP << params.row_group_bits, self.max_groups);
            dispatch(ctx, &pipe, "generate_synapses", &all, groups);
            Ok(())
        };
        run(self.fixed_scale)?;
        let indegree = read_u32(
            ctx,
            &self.indegree_buffer,
            (self.indegree_buffer.size() / 4) as usize,
        )?;
        let degree = |q: usize, j: usize| indegree[(table[q].indegree_base as usize) + j];
        let exceeded = table
            .iter()
            .enumerate()
            .any(|(q, p)| (0..p.post_size as usize).any(|j| degree(q, j) > self.bounds[q]));
        // The provisional scale is safe unless the real in-degrees need a smaller one (scales
        // are powers of two, so an exceeded bound often changes nothing).
        let real_scale = if exceeded {
            scale_for(plan, &table, degree)?
        } else {
            self.fixed_scale
        };
        let rerun = real_scale < self.fixed_scale;
        let fixed_scale = real_scale.min(self.fixed_scale);
        if rerun {
            log::info!(
                "a generated in-degree exceeded its provisional bound: synapses written again at fixed-point scale {fixed_scale}"
            );
            // Pass 2 rewrites every generated word; it ORs the same targets again into the
            // words shared by neighbouring rows (targets do not depend on the scale), which
            // changes nothing. The host-encoded weights are rescaled by the caller.
            let mut enc = device.create_command_encoder(&Default::default());
            enc.clear_buffer(&self.indegree_buffer, 0, None);
            ctx.queue.submit([enc.finish()]);
            run(fixed_scale)?;
        }
        wait_idle(ctx)?;
        Ok(Generated {
            compile_s,
            run_s: t1.elapsed().as_secs_f64(),
            fixed_scale,
            rerun,
        })
    }
}
