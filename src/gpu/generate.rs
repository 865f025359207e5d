//! Connectivity generated on the GPU (`generate_*.wgsl`, see [`crate::generate`]): pass 1
//! counts rows, pass 2 counts in-degrees (the host turns both into row pointers and the
//! fixed-point scale: a few bytes per neuron), pass 3 writes the synapses straight into the
//! compact arrays, which may hold more than 2^32 synapses (each projection fewer). Nothing proportional to the synapse count exists on the host.

use wgpu::util::DeviceExt;

use super::{GpuContext, pipeline, shaders};
use crate::compact::CompactSynapses;
use crate::error::{Error, Result};
use crate::generate::{CHUNK_PICKS, GenProjection};
use crate::layout::GenParams;
use crate::plan::{PORTS, Plan};

const WORKGROUP: u32 = 64;

/// The state between the passes.
pub(super) struct Generation {
    table: Vec<GenProjection>,
    params: GenParams,
    counts: Vec<u32>,
    counts_buffer: wgpu::Buffer,
    max_groups: u32,
    /// Fixed-point scale with the generated synapses in the bound.
    pub fixed_scale: f32,
    /// Seconds creating the pipelines of passes 1 and 2.
    pub compile_s: f64,
    /// Seconds running passes 1 and 2 and reading their counts.
    pub run_s: f64,
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
    let projections = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("spikegpu.generate_projections"),
        contents: bytemuck::cast_slice(table),
        usage: wgpu::BufferUsages::STORAGE,
    });
    (uniform, projections)
}

fn dispatch(
    ctx: &GpuContext,
    pipeline: &wgpu::ComputePipeline,
    buffers: &[&wgpu::Buffer],
    (x, y): (u32, u32),
) {
    let bind = super::bind_group(&ctx.device, pipeline, "generate", buffers);
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }
    ctx.queue.submit([enc.finish()]);
}

/// Passes 1 and 2, and the fixed-point scale.
pub(super) fn prepass(ctx: &GpuContext, plan: &Plan) -> Result<Generation> {
    let device = &ctx.device;
    let max_groups = ctx.limits.max_compute_workgroups_per_dimension;
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
    };
    let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
    let (uniform, projections) = upload(device, &params, &table);
    let zeroed = |label: &str, len: u64| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (len * 4).max(16),
            usage: storage,
            mapped_at_creation: false,
        })
    };
    let counts_buffer = zeroed("spikegpu.generate_counts", rows);
    let indegree_buffer = zeroed("spikegpu.generate_indegree", posts);
    let t0 = std::time::Instant::now();
    let (count_pipe, indegree_pipe) = (
        pipeline(device, "generate_counts"),
        pipeline(device, "generate_indegree"),
    );
    let compile_s = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    dispatch(
        ctx,
        &count_pipe,
        &[&uniform, &projections, &counts_buffer],
        grid(params.chunk_threads, max_groups),
    );
    dispatch(
        ctx,
        &indegree_pipe,
        &[&uniform, &projections, &counts_buffer, &indegree_buffer],
        grid(params.row_threads, max_groups),
    );
    let counts = read_u32(ctx, &counts_buffer, rows as usize)?;
    let indegree = read_u32(ctx, &indegree_buffer, posts as usize)?;
    // Bound: every generated synapse onto (port, target) adds at most its projection's
    // largest |weight|.
    let n = plan.n_neurons as usize;
    let mut extra_abs = vec![0.0f64; PORTS as usize * n];
    let mut extra_terms = vec![0.0f64; PORTS as usize * n];
    for p in &table {
        let w = p.weight.max_abs();
        let degrees = &indegree[p.indegree_base as usize..(p.indegree_base + p.post_size) as usize];
        for (j, &k) in degrees.iter().enumerate() {
            let idx = p.port as usize * n + (p.post_start as usize + j);
            extra_abs[idx] += f64::from(k) * w;
            extra_terms[idx] += f64::from(k);
        }
    }
    let fixed_scale = plan.fixed_scale_with(&extra_abs, &extra_terms)?;
    let run_s = t1.elapsed().as_secs_f64();
    Ok(Generation {
        compile_s,
        run_s,
        table,
        params,
        counts,
        counts_buffer,
        max_groups,
        fixed_scale,
    })
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
            c.projections[c.device_slots[q]].first = crate::compact::split(next);
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

    /// Pass 3: the synapses into the compact chunks. Returns the seconds spent compiling its
    /// shader and running it.
    pub(super) fn generate(
        &self,
        ctx: &GpuContext,
        layout: &shaders::ChunkLayout,
        compact: &CompactSynapses,
        row_ptr: &wgpu::Buffer,
        chunks: (&[wgpu::Buffer], &[wgpu::Buffer]),
    ) -> Result<(f64, f64)> {
        let device = &ctx.device;
        let needed = 3 + layout.word_chunks + layout.target_chunks;
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
        let params = GenParams {
            fixed_scale: self.fixed_scale,
            delay_bits: compact.delay_bits,
            ..self.params
        };
        let (uniform, projections) = upload(device, &params, &table);
        let t0 = std::time::Instant::now();
        let pipe = super::pipeline_from_source(
            device,
            "generate_synapses",
            &shaders::generate_synapses_source(layout),
        );
        let compile_s = t0.elapsed().as_secs_f64();
        let t1 = std::time::Instant::now();
        let mut buffers = vec![&uniform, &projections, &self.counts_buffer, row_ptr];
        buffers.extend(chunks.0.iter().chain(chunks.1));
        dispatch(ctx, &pipe, &buffers, grid(params.row_threads, self.max_groups));
        ctx.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("waiting for the GPU failed: {e}")))?;
        ctx.check()?;
        Ok((compile_s, t1.elapsed().as_secs_f64()))
    }
}
