//! Test-only stages (`shaders/checks/`): they run a shared WGSL helper (Philox, `mulhi32`,
//! `chunk_position`) on cases from the host, so tests can compare it with its Rust mirror.

use super::pipelines::StagePipeline;
use super::readback::read_bytes;
use super::resources::{ResourceTable, create};
use super::shaders::Dialect;
use super::stages::{self, StageDecl};
use super::{GpuBackend, GpuContext};
use crate::error::Result;
use crate::plan::sizes::{DeviceBuffer, init_bytes, zeroed_bytes};

impl GpuBackend {
    /// Runs the test-only `rng_check` stage on (counter, key) pairs, compiled in `dialect`.
    pub fn philox_on_gpu(
        ctx: &GpuContext,
        cases: &[([u32; 4], [u32; 2])],
        dialect: Dialect,
    ) -> Result<Vec<[u32; 4]>> {
        let rows: Vec<[u32; 8]> = cases
            .iter()
            .map(|(c, k)| [c[0], c[1], c[2], c[3], k[0], k[1], 0, 0])
            .collect();
        Ok(rng_check(ctx, &rows, dialect)?
            .into_iter()
            .map(|(block, _)| block)
            .collect())
    }

    /// The high words of the products of `pairs` by the shaders' `mulhi32` in `dialect` (the
    /// `rng_check` stage).
    pub fn mulhi_on_gpu(ctx: &GpuContext, pairs: &[(u32, u32)], dialect: Dialect) -> Result<Vec<u32>> {
        let rows: Vec<[u32; 8]> = pairs.iter().map(|&(a, b)| [0, 0, 0, 0, 0, 0, a, b]).collect();
        Ok(rng_check(ctx, &rows, dialect)?
            .into_iter()
            .map(|(_, hi)| hi)
            .collect())
    }

    /// Runs the test-only `position_check` stage (`chunk_position.wgsl`) on
    /// (first position, relative index, chunk shift) cases: (chunk, index within it).
    pub fn chunk_positions_on_gpu(ctx: &GpuContext, cases: &[(u64, u32, u32)]) -> Result<Vec<(u32, u32)>> {
        let rows: Vec<[u32; 4]> = cases
            .iter()
            .map(|&(first, r, shift)| {
                let [lo, hi] = crate::plan::compact::split(first);
                [lo, hi, r, shift]
            })
            .collect();
        let dialect = Dialect::of(&ctx.device);
        let out = run_check_stage(
            ctx,
            &stages::POSITION_CHECK,
            dialect,
            bytemuck::cast_slice(&rows),
            cases.len(),
            8,
        )?;
        Ok(bytemuck::pod_collect_to_vec::<u8, [u32; 2]>(&out)
            .into_iter()
            .map(|[c, i]| (c, i))
            .collect())
    }
}

/// `rng_check` on rows of (counter, key, mulhi factors): per row the Philox block and the
/// high word of the factors' product.
fn rng_check(ctx: &GpuContext, rows: &[[u32; 8]], dialect: Dialect) -> Result<Vec<([u32; 4], u32)>> {
    let out = run_check_stage(
        ctx,
        &stages::RNG_CHECK,
        dialect,
        bytemuck::cast_slice(rows),
        rows.len(),
        32,
    )?;
    Ok(bytemuck::pod_collect_to_vec::<u8, [[u32; 4]; 2]>(&out)
        .into_iter()
        .map(|[block, hi]| (block, hi[0]))
        .collect())
}

/// Runs a test-only stage compiled in `dialect` with `input` as its cases and
/// `n * out_stride` bytes of results, one thread per case; returns the results.
fn run_check_stage(
    ctx: &GpuContext,
    decl: &'static StageDecl,
    dialect: Dialect,
    input: &[u8],
    n: usize,
    out_stride: u64,
) -> Result<Vec<u8>> {
    let device = &ctx.device;
    let mut resources = ResourceTable::default();
    let cases = create(
        device,
        DeviceBuffer::Cases,
        init_bytes(input.len() as u64),
        Some(input),
    )?;
    let results_size = zeroed_bytes(n as u64 * out_stride);
    resources.insert(DeviceBuffer::Cases, vec![cases]);
    resources.insert(
        DeviceBuffer::Results,
        vec![create(device, DeviceBuffer::Results, results_size, None)?],
    );
    let stage = StagePipeline::in_dialect(device, decl, None, dialect);
    let bind = stage.bind(device, &resources)?;
    let mut enc = device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(&stage.pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups((n as u32).div_ceil(decl.workgroup_size).max(1), 1, 1);
    }
    ctx.queue.submit([enc.finish()]);
    read_bytes(
        ctx,
        resources.get(DeviceBuffer::Results),
        0,
        n as u64 * out_stride,
    )
}
