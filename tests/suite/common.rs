//! Shared test helpers.

use spikegpu::gpu::GpuContext;

/// Opens the GPU. With `SPIKEGPU_REQUIRE_GPU=1` (as CI sets) a missing adapter fails the
/// test; otherwise the test says loudly that it did not run and returns `None`.
pub fn gpu() -> Option<GpuContext> {
    match GpuContext::new() {
        Ok(ctx) => {
            eprintln!(
                "GPU test running on adapter: {} ({})",
                ctx.summary.name, ctx.summary.backend
            );
            Some(ctx)
        }
        Err(e) => {
            if std::env::var("SPIKEGPU_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("SPIKEGPU_REQUIRE_GPU=1 but no GPU adapter: {e}");
            }
            eprintln!("GPU TEST NOT RUN: no adapter ({e}); set SPIKEGPU_REQUIRE_GPU=1 to make this fail");
            None
        }
    }
}

/// Runs the `spikegpu` binary: (exit code, stdout, stderr).
pub fn spikegpu(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spikegpu"))
        .args(args)
        .output()
        .expect("spikegpu runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
