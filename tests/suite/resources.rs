//! Resource bombs and hostile files: refused with exit 2 and the numbers, quickly and with
//! bounded memory, before any array is built. Every command runs under `ulimit -v` (4 GB of
//! address space), so that a regression ends in a failed test, not in a machine out of memory.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Address-space limit of every command here, in KiB.
const ULIMIT_V_KIB: u64 = 4_000_000;

/// Longest a refusal may take. The refusals measure 0.01-0.03 s; the bound leaves room for a
/// loaded machine while still failing a command that builds gigabytes first (the bombs took
/// 0.7 s to a minute before aborting).
const REFUSAL_LIMIT: Duration = Duration::from_secs(3);

/// A file under a directory of this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spikegpu-resources-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir.join(name)
}

/// Writes a model file and returns its path.
fn model(name: &str, text: &str) -> PathBuf {
    let path = scratch(name);
    std::fs::write(&path, text).expect("model file written");
    path
}

/// Runs `spikegpu args` under `ulimit -v` with `env`: (exit code, stderr, wall time).
fn bounded(args: &[&str], env: &[(&str, &str)]) -> (i32, String, Duration) {
    let started = Instant::now();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {ULIMIT_V_KIB}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_spikegpu"))
        .args(args)
        .env_remove("SPIKEGPU_MAX_HOST_MIB")
        .envs(env.iter().copied())
        .output()
        .expect("sh runs");
    let elapsed = started.elapsed();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed,
    )
}

/// `validate` and `run --backend cpu` of `text` both refuse it with exit 2, in time, with a
/// message holding every one of `expected`.
fn refused(name: &str, text: &str, expected: &[&str]) {
    let path = model(name, text);
    let path = path.to_str().unwrap();
    let out = scratch(&format!("{name}-out"));
    let runs: [&[&str]; 2] = [
        &["validate", path],
        &["run", path, "--backend", "cpu", "--out", out.to_str().unwrap()],
    ];
    for args in runs {
        let (code, stderr, elapsed) = bounded(args, &[]);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(elapsed < REFUSAL_LIMIT, "{args:?} took {elapsed:?}: {stderr}");
        for e in expected {
            assert!(stderr.contains(e), "{args:?}: '{e}' not in {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// One population of `size` LIF neurons called `p`, projecting onto itself by `rule`.
fn recurrent(size: u64, rule: &str) -> String {
    format!(
        "dt = \"0.1 ms\"\n[[population]]\nname = \"p\"\nsize = {size}\nmodel = \"lif\"\n\
         [[projection]]\npre = \"p\"\npost = \"p\"\nconnectivity = {rule}\n\
         weight = \"0.01 mV\"\ndelay = \"1 ms\"\nreceptor = \"excitatory\"\n"
    )
}

#[test]
fn a_billion_neurons_are_refused_naming_the_population_and_the_memory() {
    refused(
        "billion.toml",
        "dt = \"0.1 ms\"\n[[population]]\nname = \"big\"\nsize = 1000000000\nmodel = \"lif\"\n",
        &[
            "not enough host memory",
            "population 'big' (1000000000 neurons)",
            "available",
        ],
    );
}

#[test]
fn all_to_all_over_200000_neurons_is_refused_before_generation() {
    refused(
        "all_to_all.toml",
        &recurrent(200_000, "{ rule = \"all_to_all\" }"),
        &["stored synapses", "39999800000", "4294967295"],
    );
}

#[test]
fn fixed_probability_one_over_100000_neurons_is_refused() {
    refused(
        "probability.toml",
        &recurrent(
            100_000,
            "{ rule = \"fixed_probability\", p = 1.0, autapses = true }",
        ),
        &["stored synapses", "10000000000"],
    );
}

#[test]
fn very_large_in_degrees_are_refused_by_count_or_by_memory() {
    refused(
        "indegree_count.toml",
        &recurrent(100_000, "{ rule = \"fixed_indegree\", k = 60000 }"),
        &["stored synapses", "6000000000"],
    );
    // 2e9 synapses fit 32-bit indexing but not 4 GB of address space.
    refused(
        "indegree_memory.toml",
        &recurrent(100_000, "{ rule = \"fixed_indegree\", k = 20000 }"),
        &["not enough host memory", "2000000000 synapses", "ulimit -v"],
    );
}

#[test]
fn a_position_grid_of_1e5_by_1e5_is_refused_before_it_is_built() {
    refused(
        "grid.toml",
        "dt = \"0.1 ms\"\n[[population]]\nname = \"g\"\nsize = 100\nmodel = \"lif\"\n\
         positions = { grid = [100000, 100000] }\n",
        &["positions.grid", "[100000, 100000]", "size 100"],
    );
    refused(
        "random_positions.toml",
        "dt = \"0.1 ms\"\n[[population]]\nname = \"g\"\nsize = 1000000000\nmodel = \"lif\"\n\
         positions = { random = [1.0, 1.0, 0.0] }\n",
        &["not enough host memory", "positions"],
    );
}

#[test]
fn bench_cuba_at_scale_100000_is_refused() {
    let (code, stderr, elapsed) = bounded(
        &[
            "bench",
            "cuba",
            "--scale",
            "100000",
            "--backend",
            "cpu",
            "--duration-ms",
            "1",
        ],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(elapsed < REFUSAL_LIMIT, "took {elapsed:?}");
    assert!(stderr.contains("stored synapses"), "{stderr}");
}

#[test]
fn a_budget_set_by_the_user_refuses_what_the_machine_would_hold() {
    let cuba = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/models/cuba.toml");
    let (code, stderr, _) = bounded(&["validate", cuba, "--max-host-mib", "1"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--max-host-mib") && stderr.contains("1.0 MiB"),
        "{stderr}"
    );
    let (code, stderr, _) = bounded(&["validate", cuba], &[("SPIKEGPU_MAX_HOST_MIB", "2")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("SPIKEGPU_MAX_HOST_MIB"), "{stderr}");
    let (code, stderr, _) = bounded(&["validate", cuba, "--max-host-mib", "200"], &[]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn non_regular_and_oversized_model_files_are_refused_before_reading() {
    let big = scratch("big.toml");
    // Sparse: no disk is written, but the length says 65 MiB.
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(65 << 20))
        .expect("sparse file");
    let fifo = scratch("fifo.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let mut paths = vec![
        ("/dev/zero".to_string(), "not a regular file"),
        (std::env::temp_dir().display().to_string(), "not a regular file"),
        (big.display().to_string(), "64 MiB"),
    ];
    if made.is_ok_and(|s| s.success()) {
        paths.push((fifo.display().to_string(), "not a regular file"));
    }
    for (path, why) in paths {
        let (code, stderr, elapsed) = bounded(&["validate", &path], &[]);
        assert_eq!(code, 2, "{path}: {stderr}");
        assert!(elapsed < REFUSAL_LIMIT, "{path} took {elapsed:?}");
        assert!(stderr.contains(why), "{path}: {stderr}");
    }
}

#[test]
fn limits_exceeded_by_the_input_exit_2() {
    // Two populations of 2e9 neurons: over the 31-bit neuron index, a LimitExceeded error.
    let text = "dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nsize = 2000000000\nmodel = \"lif\"\n\
                [[population]]\nname = \"b\"\nsize = 2000000000\nmodel = \"lif\"\n";
    refused("neurons_limit.toml", text, &["total neuron count", "4000000000"]);
}

#[test]
fn messages_show_the_values_written_capped_to_a_readable_length() {
    // A weight of 1e30: the summed input shown as a number, not as a saturated u64.
    let text = recurrent(100, "{ rule = \"fixed_probability\", p = 0.1 }").replace("0.01 mV", "1e30 mV");
    let path = model("weight.toml", &text);
    let (code, stderr, _) = bounded(&["validate", path.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        !stderr.contains("18446744073709551615") && stderr.contains("e31"),
        "{stderr}"
    );

    // A normal without `low` feeding an excitatory port: the missing bound in words.
    let text = recurrent(100, "{ rule = \"fixed_probability\", p = 0.1 }")
        .replace("\"0.01 mV\"", "{ normal = { mean = \"1 mV\", std = \"1 mV\" } }");
    let path = model("normal.toml", &text);
    let (code, stderr, _) = bounded(&["validate", path.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no `low` given") && stderr.len() < 400,
        "{stderr}"
    );

    // A 50 MB parameter value: echoed as a 100-character head and its length.
    let value = "9".repeat(50_000_000);
    let text = format!(
        "dt = \"0.1 ms\"\n[[population]]\nname = \"p\"\nsize = 10\nmodel = \"lif\"\nparams = {{ tau_m = \"{value} ms\" }}\n"
    );
    let path = model("long_value.toml", &text);
    let (code, stderr, _) = bounded(&["validate", path.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.len() < 1000 && stderr.contains("50000005 characters"),
        "{stderr}"
    );
}

#[test]
fn a_neuromodulator_pulse_of_1e300_is_caught_by_validate() {
    let text = "dt = \"0.1 ms\"\n[[population]]\nname = \"p\"\nsize = 10\nmodel = \"lif\"\n\
                [[neuromodulator]]\nchannel = \"global\"\ntau = \"200 ms\"\npulses = [[\"3 s\", 1e300]]\n";
    let path = model("pulse.toml", text);
    let (code, stderr, _) = bounded(&["validate", path.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("pulses amount") && stderr.contains("1e300"),
        "{stderr}"
    );
}

#[test]
fn a_long_model_name_is_not_drawn_whole_into_the_raster_title() {
    let name = "n".repeat(1 << 20);
    let text = format!(
        "dt = \"0.1 ms\"\nname = \"{name}\"\n[[population]]\nname = \"p\"\nsize = 10\nmodel = \"lif\"\n\
         [record]\nspikes = [\"p\"]\n"
    );
    let path = model("long_name.toml", &text);
    let out = scratch("long_name_out");
    let (code, stderr, elapsed) = bounded(
        &[
            "run",
            path.to_str().unwrap(),
            "--backend",
            "cpu",
            "--duration-ms",
            "10",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    // Drawing the whole 1 MB title took 4.7 s.
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

#[test]
fn a_device_budget_refuses_the_gpu_buffers_before_any_is_allocated() {
    if crate::common::gpu().is_none() {
        return;
    }
    let cuba = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/models/cuba.toml");
    let out = scratch("device_budget_out");
    let args = [
        "run",
        cuba,
        "--backend",
        "gpu",
        "--duration-ms",
        "1",
        "--out",
        out.to_str().unwrap(),
    ];
    let (code, _, stderr) = crate::common::spikegpu(&[&args[..], &["--max-device-mib", "1"]].concat());
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not enough device") && stderr.contains("--max-device-mib"),
        "{stderr}"
    );
    let (code, _, stderr) = crate::common::spikegpu(&[&args[..], &["--max-device-mib", "512"]].concat());
    assert_eq!(code, 0, "{stderr}");
}
