//! Distributed runs over MPI (feature `mpi`): `mpirun -np N spikegpu run` on a binary built
//! with the feature (named by `SPIKEGPU_MPI_BIN`; scripts/test builds it, so that the suite
//! itself compiles once, without the feature) gives the spike trains of a single process for any rank count, rank 0 writes the
//! same output files plus the per-rank report, and bad input fails every rank with one
//! clear message. Short runs of small networks: each mpirun costs about a second.

use std::path::{Path, PathBuf};
use std::process::Command;

mod gpu_ranks;
mod plasticity;

/// The binary built with `--features mpi`, from `SPIKEGPU_MPI_BIN`. Without it the test says
/// loudly that it did not run, or fails where `SPIKEGPU_REQUIRE_MPI=1` (CI).
pub(super) fn mpi_binary() -> Option<String> {
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
pub(super) fn mpirun(ranks: u32) -> Command {
    let mut c = Command::new("mpirun");
    c.args(["--oversubscribe", "-np", &ranks.to_string()]);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        c.arg("--allow-run-as-root");
    }
    c
}

/// Runs `command`, returning (exit code, stdout, stderr).
pub(super) fn output(mut command: Command) -> (i32, String, String) {
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
pub(super) fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mpi").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The spike hash in a run folder's summary.
pub(super) fn spike_hash(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("summary parses");
    json["spike_hash"].as_str().expect("spike_hash").to_string()
}

/// The `spikegpu run` arguments of `model` (with `overrides`) into `out`.
pub(super) fn run_args(model: &str, ms: &str, overrides: &[&str], out: &Path) -> Vec<String> {
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
    check_same_spikes_of(name, model, ms, overrides, ranks, &["exc", "inh"]);
}

/// [`check_same_spikes`] comparing the spike files of populations `pops`.
pub(super) fn check_same_spikes_of(
    name: &str,
    model: &str,
    ms: &str,
    overrides: &[&str],
    ranks: &[u32],
    pops: &[&str],
) {
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
        for pop in pops {
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

#[test]
fn brunel_stdp_on_one_to_three_ranks_gives_the_single_process_spikes_and_weights() {
    // A tenth of the network (C_E 100), 1.5 ms delays: 15-tick intervals, a 15-tick
    // plasticity lag; 150 ms, so that every weight has changed many times.
    let smaller = ["population.exc.size=1000", "population.inh.size=250"];
    let model = "examples/models/brunel-stdp.toml";
    check_same_spikes("brunel-stdp", model, "150", &smaller, &[1, 2, 3]);
    if mpi_binary().is_none() {
        return;
    }
    let dir = |n: &str| Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mpi/brunel-stdp-{n}"));
    let stem = "weights_projection0";
    let single_initial = std::fs::read(dir("single").join(format!("{stem}_initial.npy"))).expect("initial");
    let single_final = std::fs::read(dir("single").join(format!("{stem}_final.npy"))).expect("final");
    assert_ne!(single_initial, single_final, "STDP changed the weights");
    for n in [1, 2, 3] {
        for part in ["pre", "post", "initial", "final"] {
            let file = format!("{stem}_{part}.npy");
            let a = std::fs::read(dir("single").join(&file)).expect("single-process weights");
            let b = std::fs::read(dir(&format!("np{n}")).join(&file)).expect("rank 0's weights");
            assert!(a == b, "brunel-stdp on {n} ranks: {file} differs");
        }
    }
}

/// Waits until `path` exists (at most a minute).
pub(super) fn wait_for(path: &Path) {
    let t0 = std::time::Instant::now();
    while !path.exists() {
        assert!(t0.elapsed().as_secs() < 60, "{} never appeared", path.display());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `mpirun -np ranks spikegpu resume dir`: (exit code, stderr).
pub(super) fn resume_on(bin: &str, ranks: u32, dir: &Path) -> (i32, String) {
    let mut c = mpirun(ranks);
    c.arg(bin).args(["resume", &dir.display().to_string()]);
    let (code, _, err) = output(c);
    (code, err)
}

#[test]
fn a_checkpointed_plastic_run_on_two_ranks_resumes_on_two_with_the_single_process_files() {
    let Some(bin) = mpi_binary() else { return };
    let t0 = std::time::Instant::now();
    let smaller = ["population.exc.size=1000", "population.inh.size=250"];
    let model = "examples/models/brunel-stdp.toml";
    let single = fresh_dir("ckpt-single");
    let (code, _, err) = output({
        let mut c = Command::new(env!("CARGO_BIN_EXE_spikegpu"));
        c.args(run_args(model, "300", &smaller, &single));
        c
    });
    assert_eq!(code, 0, "{err}");
    let dir = fresh_dir("ckpt-np2");
    let rank1 = dir.with_file_name("ckpt-np2.rank1");
    let _ = std::fs::remove_dir_all(&rank1);
    let mut c = mpirun(2);
    c.arg(&bin)
        .args(run_args(model, "300", &smaller, &dir))
        .args(["--checkpoint-every", "10 ms"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().expect("mpirun starts");
    // Stopped (SIGTERM to one rank, which the other learns of at the next exchange) once
    // both ranks have a checkpoint.
    wait_for(&dir.join("checkpoint.json"));
    wait_for(&rank1.join("checkpoint.json"));
    let err = sigterm_one_rank(child);
    assert_eq!(summary_field(&dir, "resumable"), true, "{err}");
    // Another rank count, or a corrupt rank file: refused on every rank, one message.
    let (code, err) = resume_on(&bin, 3, &dir);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("was written by a run on 2 rank(s)"), "{err}");
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(rank1.join("checkpoint.json")).expect("index"))
            .expect("index parses");
    let sim_file = rank1.join(format!("{}.sim", index["slot"].as_str().expect("slot")));
    let good = std::fs::read(&sim_file).expect("rank 1's checkpoint");
    let mut bad = good.clone();
    bad[40] ^= 1;
    std::fs::write(&sim_file, &bad).expect("corrupted");
    let (code, err) = resume_on(&bin, 2, &dir);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("checksum does not match"), "{err}");
    std::fs::write(&sim_file, &good).expect("restored");
    let (code, err) = resume_on(&bin, 2, &dir);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary_field(&dir, "complete"), true);
    assert_eq!(spike_hash(&dir), spike_hash(&single));
    for file in [
        "spikes_exc_times_ms.npy",
        "spikes_inh_neurons.npy",
        "weights_projection0_initial.npy",
        "weights_projection0_final.npy",
    ] {
        let a = std::fs::read(single.join(file)).expect("single-process file");
        let b = std::fs::read(dir.join(file)).expect("rank 0's file");
        assert!(a == b, "{file} differs after resuming");
    }
    assert!(!rank1.exists(), "rank 1's folder is left after the run completed");
    eprintln!(
        "checkpointed, refused, resumed ({:.1} s)",
        t0.elapsed().as_secs_f64()
    );
}

/// A model file of `neurons` LIF neurons with one projection.
pub(super) fn tiny_model(dir: &Path, name: &str, neurons: u32, weight: &str) -> PathBuf {
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
fn different_run_options_on_different_ranks_are_refused_on_every_rank_before_running() {
    let Some(bin) = mpi_binary() else { return };
    let dir = fresh_dir("options-mismatch");
    let model = tiny_model(&dir, "ten.toml", 10, "0.1 mV");
    let path = model.to_str().expect("utf-8");
    // Checkpoints on one rank only once left the other waiting at a collective forever; a
    // longer run on one rank failed late with a garbled report.
    let (checkpoints, none): (&[&str], &[&str]) = (&["--checkpoint-every", "1 ms"], &[]);
    for (first, second) in [(("5", checkpoints), ("5", none)), (("6", none), ("7", none))] {
        let mut c = mpirun(1);
        c.arg(&bin)
            .args(run_args(path, first.0, &[], &dir.join("out")))
            .args(first.1);
        c.args([":", "-np", "1", bin.as_str()])
            .args(run_args(path, second.0, &[], &dir.join("out")))
            .args(second.1);
        let (code, _, err) = output(c);
        assert_eq!(code, 2, "{first:?} against {second:?}: {err}");
        let said = err
            .matches("give every rank the same command and options")
            .count();
        assert!(said >= 1, "{first:?} against {second:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_spikegpu_without_the_mpi_feature_refuses_to_run_as_several_ranks() {
    if mpi_binary().is_none() {
        return;
    }
    let dir = fresh_dir("plain-binary");
    let model = tiny_model(&dir, "ten.toml", 10, "0.1 mV");
    let mut c = mpirun(2);
    c.arg(env!("CARGO_BIN_EXE_spikegpu")).args(run_args(
        model.to_str().expect("utf-8"),
        "5",
        &[],
        &dir.join("out"),
    ));
    let (code, _, err) = output(c);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("built without the `mpi` feature"), "{err}");
    assert!(!dir.join("out").join("summary.json").exists());
}

#[test]
fn procedural_projections_are_refused_with_a_clear_message_on_every_rank() {
    let Some(bin) = mpi_binary() else { return };
    let dir = fresh_dir("refused");
    let procedural = run_args(
        "examples/models/brunel.toml",
        "5",
        &["projection.0.procedural=true"],
        &dir.join("procedural"),
    );
    let mut c = mpirun(2);
    c.arg(&bin).args(&procedural);
    let (code, _, err) = output(c);
    assert_ne!(code, 0);
    let says = "does not support procedural projections";
    assert!(err.matches(says).count() >= 1, "{err}");
}

/// SIGTERM to one rank of `child` (an mpirun of several), as a batch system may deliver it:
/// every rank must stop with it, and mpirun exit 143 as they do. Returns mpirun's stderr.
pub(super) fn sigterm_one_rank(child: std::process::Child) -> String {
    let ranks = Command::new("pgrep")
        .args(["-P", &child.id().to_string()])
        .output()
        .expect("pgrep runs");
    let first: i32 = String::from_utf8_lossy(&ranks.stdout)
        .split_whitespace()
        .next()
        .expect("a rank process")
        .parse()
        .expect("a pid");
    // SAFETY: kill has no memory preconditions; the pid is a child of our mpirun.
    unsafe { libc::kill(first, libc::SIGTERM) };
    let out = child.wait_with_output().expect("mpirun ends");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(143), "{err}");
    err
}

/// A summary's figure.
pub(super) fn summary_field(dir: &Path, key: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("summary parses");
    json[key].clone()
}

#[test]
fn a_signal_stops_every_rank_at_one_tick_with_the_files_of_a_single_process_run_that_long() {
    let Some(bin) = mpi_binary() else { return };
    let dir = fresh_dir("interrupted");
    let smaller = ["population.exc.size=2000", "population.inh.size=500"];
    let mut c = mpirun(2);
    c.arg(&bin)
        .args(run_args("examples/models/brunel.toml", "20000", &smaller, &dir))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().expect("mpirun starts");
    // The ranks have installed their handlers once the spike stream exists.
    let t0 = std::time::Instant::now();
    while !dir.join(".stream-spikes.bin").exists() {
        assert!(t0.elapsed().as_secs() < 60, "the run never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SIGTERM to one rank only, as a batch system may deliver it: the other must stop with
    // it. (mpirun itself, signalled, sends SIGTERM to every rank and SIGKILL a second later.)
    let err = sigterm_one_rank(child);
    assert!(err.contains("interrupted by SIGTERM"), "{err}");
    assert_eq!(summary_field(&dir, "interrupted"), true);
    assert_eq!(summary_field(&dir, "complete"), false);
    assert!(
        !dir.join(".stream-spikes.bin").exists(),
        "the spike stream is left"
    );
    assert!(dir.join("ranks.json").exists());
    // Stopped at an exchange, with the spikes of one process run that long.
    let ticks = summary_field(&dir, "ticks").as_u64().expect("ticks");
    assert!(ticks > 0 && ticks < 200_000, "{ticks}");
    let single = fresh_dir("interrupted-single");
    let ms = format!("{:.1}", ticks as f64 * 0.1);
    let (code, _, err) = output({
        let mut c = Command::new(env!("CARGO_BIN_EXE_spikegpu"));
        c.args(run_args("examples/models/brunel.toml", &ms, &smaller, &single));
        c
    });
    assert_eq!(code, 0, "{err}");
    assert_eq!(spike_hash(&dir), spike_hash(&single));
    for file in ["spikes_exc_times_ms.npy", "spikes_inh_neurons.npy"] {
        let a = std::fs::read(single.join(file)).expect("single-process spikes");
        let b = std::fs::read(dir.join(file)).expect("rank 0's spikes");
        assert!(a == b, "{file} differs after {ticks} ticks");
    }
    eprintln!(
        "interrupted at tick {ticks} ({:.1} s)",
        t0.elapsed().as_secs_f64()
    );
}

/// A network of what a rank once refused: a user-defined model with white noise (its draws
/// by index in the whole population) and random initial values, a rate-coding encoder (its
/// rate table laid out by the whole population) and a noise current into a subset of a
/// population (drawn by position in the list).
pub(super) const ONCE_REFUSED: &str = r#"name = "once-refused"
dt = "0.1 ms"
seed = 3

[[neuron_model]]
name = "noisy"
equations = """
dv/dt = (v0 - v + I) / tau + sigma * sqrt(2 / tau) * xi : mV (unless refractory)
dI/dt = -I / tau_s : mV
"""
threshold = "v > v_th"
reset = "v = v_r"
refractory = "2 ms"
method = "euler"
params = { tau = "10 ms", tau_s = "5 ms", v0 = "-52 mV", sigma = "3 mV", v_th = "-50 mV", v_r = "-65 mV" }
inputs = { excitatory = "I", inhibitory = "I" }
initial = { v = "-60 mV" }

[[encoder]]
name = "pixels"
kind = "rate"
stimuli = [[0.0, 0.2, 0.4, 0.6, 0.8, 1.0], [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]]
max_rate = "200 Hz"
present = "20 ms"
rest = "5 ms"

[[population]]
name = "exc"
size = 40
model = "noisy"
init = { v = { uniform = ["-65 mV", "-50 mV"] } }

[[population]]
name = "lif"
size = 30
model = "lif"

[[projection]]
pre = "pixels"
post = "exc"
connectivity = { rule = "all_to_all" }
weight = "2 mV"
delay = "1 ms"
receptor = "excitatory"

[[projection]]
pre = "exc"
post = "lif"
connectivity = { rule = "fixed_probability", p = 0.3 }
weight = "1 mV"
delay = "1.5 ms"
receptor = "excitatory"

[[projection]]
pre = "lif"
post = "exc"
connectivity = { rule = "fixed_probability", p = 0.3 }
weight = "-1 mV"
delay = "1 ms"
receptor = "inhibitory"

[[current]]
target = "lif"
neurons = [1, 2, 3, 7, 8, 20, 29]
noise_mean = "18 mV"
noise_std = "10 mV"

[record]
spikes = ["pixels", "exc", "lif"]
"#;

#[test]
fn equation_models_encoders_and_subset_currents_give_the_single_process_spike_hash() {
    let dir = fresh_dir("once-refused-model");
    std::fs::create_dir_all(&dir).expect("dir");
    let model = dir.join("once-refused.toml");
    std::fs::write(&model, ONCE_REFUSED).expect("model file");
    check_same_spikes_of(
        "once-refused",
        model.to_str().expect("utf-8"),
        "100",
        &[],
        &[2, 3],
        &["pixels", "exc", "lif"],
    );
    if mpi_binary().is_none() {
        return;
    }
    // Every population fires, so each feature bears on the hash.
    let single = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mpi/once-refused-single");
    let pops = summary_field(&single, "populations");
    for pop in pops.as_array().expect("populations") {
        assert!(pop["spikes"].as_u64() > Some(0), "{pop}");
    }
}
