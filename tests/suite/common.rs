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

/// A fresh, empty scratch folder for one test: `<temp>/spikegpu-<area>-<name>-<pid>`.
pub fn scratch(area: &str, name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("spikegpu-{area}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `spikegpu run <model> --backend cpu --checkpoint-every <every> --out <out>`, its stdout
/// discarded and its stderr piped (the caller runs or spawns it).
pub fn checkpointing_run(
    model: &std::path::Path,
    every: &str,
    out: &std::path::Path,
) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_spikegpu"));
    command
        .args([
            "run",
            model.to_str().unwrap(),
            "--backend",
            "cpu",
            "--checkpoint-every",
            every,
            "--out",
        ])
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    command
}

/// Waits until `path` exists and holds at least `bytes` bytes (the run has started writing).
pub fn wait_for_bytes(path: &std::path::Path, bytes: u64) {
    for _ in 0..600 {
        if std::fs::metadata(path).is_ok_and(|m| m.len() >= bytes) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{} did not reach {bytes} bytes in 30 s", path.display());
}

/// Spawns `run` (a [`checkpointing_run`] into `out`), stops it with SIGTERM once its first
/// checkpoint is written and asserts that it stopped before its end (exit 143); its stderr.
#[cfg(unix)]
pub fn stop_after_first_checkpoint(mut run: std::process::Command, out: &std::path::Path) -> String {
    let child = run.spawn().unwrap();
    wait_for_bytes(&out.join("checkpoint.json"), 10);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(143),
        "stopped before its end: {stderr}"
    );
    stderr
}

/// Asserts that every `.npy` array of output folder `a` is in `b` byte for byte, and that
/// there are at least `min`; their names.
pub fn assert_same_arrays(a: &std::path::Path, b: &std::path::Path, min: usize) -> Vec<String> {
    let arrays: Vec<String> = std::fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".npy"))
        .collect();
    assert!(arrays.len() >= min, "{arrays:?}");
    for name in &arrays {
        assert!(
            std::fs::read(b.join(name)).is_ok_and(|y| y == std::fs::read(a.join(name)).unwrap()),
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    arrays
}

/// An excitatory projection `pre` -> `post` with connection probability 0.5 (autapses
/// allowed), weight 1 and delay `delay_ms`: the plain projection that refusal tests build on.
pub fn half_connected(
    b: &mut spikegpu::NetworkBuilder,
    pre: spikegpu::PopulationId,
    post: spikegpu::PopulationId,
    delay_ms: f64,
) -> spikegpu::Result<spikegpu::ProjectionId> {
    b.projection(
        pre,
        post,
        spikegpu::Connectivity::FixedProbability {
            p: 0.5,
            autapses: true,
        },
        spikegpu::WeightDist::Constant(1.0),
        spikegpu::WeightDist::Constant(delay_ms),
        spikegpu::Receptor::Excitatory,
    )
}
