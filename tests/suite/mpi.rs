//! Distributed runs over MPI (feature `mpi`): `mpirun -np N spikegpu run` on a binary built
//! with the feature (named by `SPIKEGPU_MPI_BIN`; scripts/test builds it, so that the suite
//! itself compiles once, without the feature) gives the spike trains of a single process for any rank count, rank 0 writes the
//! same output files plus the per-rank report, and bad input fails every rank with one
//! clear message. Short runs of small networks: each mpirun costs about a second.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary built with `--features mpi`, from `SPIKEGPU_MPI_BIN`. Without it the test says
/// loudly that it did not run, or fails where `SPIKEGPU_REQUIRE_MPI=1` (CI).
fn mpi_binary() -> Option<String> {
    match std::env::var("SPIKEGPU_MPI_BIN") {
        Ok(bin) if !bin.is_empty() => Some(bin),
        _ => {
            let why =
                "SPIKEGPU_MPI_BIN (a spikegpu built with --features mpi, as scripts/test builds) is not set";
            if std::env::var("SPIKEGPU_REQUIRE_MPI").is_ok_and(|v| v == "1") {
                panic!("SPIKEGPU_REQUIRE_MPI=1 but {why}");
            }
            eprintln!("MPI TEST NOT RUN: {why}; set SPIKEGPU_REQUIRE_MPI=1 to make this fail");
            None
        }
    }
}

/// `mpirun` with what this machine needs: oversubscription (more ranks than its cores) and,
/// as root, Open MPI's explicit permission.
fn mpirun(ranks: u32) -> Command {
    let mut c = Command::new("mpirun");
    c.args(["--oversubscribe", "-np", &ranks.to_string()]);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        c.arg("--allow-run-as-root");
    }
    c
}

/// Runs `command`, returning (exit code, stdout, stderr).
fn output(mut command: Command) -> (i32, String, String) {
    let out = command
        .output()
        .expect("mpirun runs (Open MPI: apt-get install openmpi-bin)");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh output folder under the target directory.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mpi").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The spike hash in a run folder's summary.
fn spike_hash(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("summary parses");
    json["spike_hash"].as_str().expect("spike_hash").to_string()
}

/// The `spikegpu run` arguments of `model` (with `overrides`) into `out`.
fn run_args(model: &str, ms: &str, overrides: &[&str], out: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["run", model, "--backend", "cpu", "--duration-ms", ms, "--out"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(out.display().to_string());
    for o in overrides {
        args.extend(["--set".to_string(), o.to_string()]);
    }
    args
}

/// The hash of `model` run in one process, then checked against `mpirun -np N` runs for
/// every `N` in `ranks`, whose spike files must equal the single process's byte for byte.
fn check_same_spikes(name: &str, model: &str, ms: &str, overrides: &[&str], ranks: &[u32]) {
    let Some(bin) = mpi_binary() else { return };
    let single = fresh_dir(&format!("{name}-single"));
    let (code, _, err) = output({
        let mut c = Command::new(env!("CARGO_BIN_EXE_spikegpu"));
        c.args(run_args(model, ms, overrides, &single));
        c
    });
    assert_eq!(code, 0, "{err}");
    let hash = spike_hash(&single);
    for &n in ranks {
        let t0 = std::time::Instant::now();
        let dir = fresh_dir(&format!("{name}-np{n}"));
        let mut c = mpirun(n);
        c.arg(&bin).args(run_args(model, ms, overrides, &dir));
        let (code, _, err) = output(c);
        assert_eq!(code, 0, "{name} on {n} ranks: {err}");
        assert_eq!(spike_hash(&dir), hash, "{name} on {n} ranks");
        for pop in ["exc", "inh"] {
            for part in ["times_ms", "neurons"] {
                let file = format!("spikes_{pop}_{part}.npy");
                let a = std::fs::read(single.join(&file)).expect("single-process spikes");
                let b = std::fs::read(dir.join(&file)).expect("rank 0's spikes");
                assert!(a == b, "{name} on {n} ranks: {file} differs");
            }
        }
        let ranks_json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("ranks.json")).expect("ranks.json"))
                .expect("ranks.json parses");
        let reports = ranks_json["ranks"].as_array().expect("ranks");
        assert_eq!(reports.len(), n as usize);
        let neurons: u64 = reports
            .iter()
            .map(|r| r["neurons"].as_u64().expect("neurons"))
            .sum();
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).expect("summary"))
                .expect("json");
        assert_eq!(
            Some(neurons),
            summary["neurons"].as_u64(),
            "every neuron on one rank"
        );
        assert!(reports.iter().all(|r| r["exchanges"].as_u64() > Some(0)));
        eprintln!(
            "{name}: {n} ranks, same hash {hash} ({:.1} s)",
            t0.elapsed().as_secs_f64()
        );
    }
}

#[test]
fn cuba_on_one_to_four_ranks_gives_the_single_process_spike_hash() {
    // The smallest delay is one tick: the ranks exchange every tick.
    check_same_spikes("cuba", "examples/models/cuba.toml", "60", &[], &[1, 2, 3, 4]);
}

/// The spike hash `spikegpu bench microcircuit --scale 0.1` prints (JSON) from `command`.
fn microcircuit_bench_hash(mut command: Command) -> String {
    command.args([
        "bench",
        "microcircuit",
        "--scale",
        "0.1",
        "--backend",
        "cpu",
        "--duration-ms",
        "30",
        "--json",
    ]);
    let (code, out, err) = output(command);
    assert_eq!(code, 0, "{err}");
    let at = out.find("\"spike_hash\"").expect("a spike hash in the JSON");
    out[at..].split('"').nth(3).expect("hash value").to_string()
}

#[test]
fn microcircuit_at_scale_0_1_on_one_to_four_ranks_gives_the_single_process_spike_hash() {
    let Some(bin) = mpi_binary() else { return };
    let single = microcircuit_bench_hash(Command::new(env!("CARGO_BIN_EXE_spikegpu")));
    for n in 1..=4 {
        let mut c = mpirun(n);
        c.arg(&bin);
        assert_eq!(microcircuit_bench_hash(c), single, "microcircuit on {n} ranks");
    }
}

#[test]
fn brunel_on_one_to_four_ranks_gives_the_single_process_spike_hash() {
    // A fifth of the network (C_E 200 through p 0.1), 1.5 ms delays: 15-tick intervals.
    let smaller = ["population.exc.size=2000", "population.inh.size=500"];
    check_same_spikes(
        "brunel",
        "examples/models/brunel.toml",
        "100",
        &smaller,
        &[1, 2, 3, 4],
    );
}

/// A model file of `neurons` LIF neurons with one projection.
fn tiny_model(dir: &Path, name: &str, neurons: u32, weight: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("dir");
    let path = dir.join(name);
    let text = format!(
        "name = \"tiny\"\ndt = \"0.1 ms\"\nseed = 1\n\n[[population]]\nname = \"a\"\nsize = {neurons}\nmodel = \"lif\"\n\n\
         [[projection]]\npre = \"a\"\npost = \"a\"\nconnectivity = {{ rule = \"all_to_all\" }}\nweight = \"{weight}\"\ndelay = \"1 ms\"\nreceptor = \"excitatory\"\n"
    );
    std::fs::write(&path, text).expect("model file");
    path
}

#[test]
fn more_ranks_than_neurons_fails_every_rank_with_one_message() {
    let Some(bin) = mpi_binary() else { return };
    let dir = fresh_dir("too-many-ranks");
    let model = tiny_model(&dir, "two.toml", 2, "0.1 mV");
    let mut c = mpirun(3);
    c.arg(&bin).args(run_args(
        model.to_str().expect("utf-8"),
        "5",
        &[],
        &dir.join("out"),
    ));
    let (code, _, err) = output(c);
    assert_ne!(code, 0);
    let said = err.matches("at least one neuron per rank").count();
    assert!(said >= 1, "{err}");
}

#[test]
fn different_model_files_on_different_ranks_are_refused_on_every_rank() {
    let Some(bin) = mpi_binary() else { return };
    let dir = fresh_dir("mismatch");
    let a = tiny_model(&dir, "a.toml", 10, "0.1 mV");
    let b = tiny_model(&dir, "b.toml", 10, "0.2 mV");
    let mut c = mpirun(1);
    c.arg(&bin)
        .args(run_args(a.to_str().expect("utf-8"), "5", &[], &dir.join("out")));
    c.args([":", "-np", "1", bin.as_str()]).args(run_args(
        b.to_str().expect("utf-8"),
        "5",
        &[],
        &dir.join("out"),
    ));
    let (code, _, err) = output(c);
    assert_ne!(code, 0);
    assert!(err.contains("must be the same on every rank"), "{err}");
}

#[test]
fn gpu_ranks_and_checkpoints_are_refused_with_a_clear_message_on_every_rank() {
    let Some(bin) = mpi_binary() else { return };
    let dir = fresh_dir("refused");
    let model = tiny_model(&dir, "ten.toml", 10, "0.1 mV");
    let path = model.to_str().expect("utf-8");
    let mut gpu = run_args(path, "5", &[], &dir.join("gpu"));
    gpu[3] = "gpu".into();
    let mut checkpointed = run_args(path, "5", &[], &dir.join("ckpt"));
    checkpointed.extend(["--checkpoint-every".into(), "1 ms".into()]);
    for (args, says) in [
        (gpu, "runs its ranks on the CPU backend"),
        (checkpointed, "distributed runs cannot be checkpointed yet"),
    ] {
        let mut c = mpirun(2);
        c.arg(&bin).args(&args);
        let (code, _, err) = output(c);
        assert_ne!(code, 0);
        assert!(err.matches(says).count() >= 1, "{err}");
    }
}
