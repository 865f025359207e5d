//! GPU ranks of a distributed run (lavapipe in CI): CUBA, Brunel and the microcircuit at scale
//! 0.1 on 1 to 4 GPU ranks, GPU ranks beside CPU ranks, and a user-defined neuron model with
//! white noise, each giving the single process's spike hash and spike files; and, in this
//! process, GPU ranks storing their synapses compactly and wide beside a CPU rank. Short runs:
//! lavapipe ranks share the machine's cores (one lavapipe thread each).

use std::path::Path;
use std::process::Command;

use spikegpu::Engine;
use spikegpu::cpu::CpuBackend;
use spikegpu::gpu::{GpuBackend, GpuOptions, SynapseFormat};
use spikegpu::model::Network;
use spikegpu::plan::Plan;
use spikegpu::plan::compact::CompactSynapses;
use spikegpu::plan::rank::RankFacts;
use spikegpu::sim::Spike;

use super::{
    ONCE_REFUSED, fresh_dir, mpi_binary, mpirun, output, run_args, sigterm_one_rank, spike_hash,
    summary_field, tiny_model, wait_for,
};

/// `mpirun` of `model` as one launch of several app contexts, each `(ranks, backend)`: ranks
/// on different backends in one run, every context given `extra` options.
fn mpirun_contexts(
    bin: &str,
    contexts: &[(u32, &str)],
    model: &str,
    (ms, overrides, extra): (&str, &[&str], &[&str]),
    out: &Path,
) -> Command {
    let mut c = mpirun(contexts[0].0);
    for (i, &(ranks, backend)) in contexts.iter().enumerate() {
        if i > 0 {
            c.args([":", "-np", &ranks.to_string()]);
        }
        let mut args = run_args(model, ms, overrides, out);
        args[3] = backend.to_string();
        c.arg(bin).args(args).args(extra);
    }
    gpu_rank_env(&mut c);
    c
}

/// What a launch of GPU ranks needs: a GPU or a failure, and one lavapipe thread per rank
/// (its threads, one per core, thrash when several ranks share the cores: one each runs a
/// 2-rank Brunel 7 times faster here).
fn gpu_rank_env(c: &mut Command) {
    c.env("SPIKEGPU_REQUIRE_GPU", "1").env("LP_NUM_THREADS", "1");
}

/// The single-process (CPU) spike hash of `model`, then `mpirun` over each of `launches`
/// (app contexts of (ranks, backend)): the same hash and the same spike files of `pops`.
fn check_rank_backends(
    name: &str,
    model: &str,
    ms: &str,
    overrides: &[&str],
    launches: &[&[(u32, &str)]],
    pops: &[&str],
) {
    let Some(bin) = mpi_binary() else { return };
    if crate::common::gpu().is_none() {
        return;
    }
    let single = fresh_dir(&format!("{name}-single"));
    let (code, _, err) = output({
        let mut c = Command::new(env!("CARGO_BIN_EXE_spikegpu"));
        c.args(run_args(model, ms, overrides, &single));
        c
    });
    assert_eq!(code, 0, "{err}");
    let hash = spike_hash(&single);
    for (k, contexts) in launches.iter().enumerate() {
        let t0 = std::time::Instant::now();
        let dir = fresh_dir(&format!("{name}-{k}"));
        let c = mpirun_contexts(&bin, contexts, model, (ms, overrides, &[]), &dir);
        let (code, _, err) = output(c);
        assert_eq!(code, 0, "{name} on {contexts:?}: {err}");
        assert_eq!(spike_hash(&dir), hash, "{name} on {contexts:?}");
        for pop in pops {
            for part in ["times_ms", "neurons"] {
                let file = format!("spikes_{pop}_{part}.npy");
                let a = std::fs::read(single.join(&file)).expect("single-process spikes");
                let b = std::fs::read(dir.join(&file)).expect("rank 0's spikes");
                assert!(a == b, "{name} on {contexts:?}: {file} differs");
            }
        }
        let ranks_json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("ranks.json")).expect("ranks.json"))
                .expect("ranks.json parses");
        let reports = ranks_json["ranks"].as_array().expect("ranks");
        let ranks: u32 = contexts.iter().map(|c| c.0).sum();
        assert_eq!(reports.len(), ranks as usize);
        assert!(reports.iter().all(|r| r["exchanges"].as_u64() > Some(0)));
        let backends: Vec<&str> = contexts.iter().map(|c| c.1).collect();
        eprintln!(
            "{name}: {ranks} ranks on {backends:?}, same hash {hash} ({:.1} s)",
            t0.elapsed().as_secs_f64()
        );
    }
}

#[test]
fn cuba_and_brunel_on_one_to_four_gpu_ranks_give_the_single_process_spike_hash() {
    // CUBA's smallest delay is one tick: a submission, a read-back and an exchange per tick.
    let gpu: [&[(u32, &str)]; 4] = [&[(1, "gpu")], &[(2, "gpu")], &[(3, "gpu")], &[(4, "gpu")]];
    let pops = ["exc", "inh"];
    check_rank_backends("cuba-gpu", "examples/models/cuba.toml", "20", &[], &gpu, &pops);
    // Brunel at a tenth of its size: 15-tick intervals, many spikes per exchange; one GPU
    // rank beside two CPU ranks too.
    let smaller = ["population.exc.size=1000", "population.inh.size=250"];
    let launches: [&[(u32, &str)]; 5] = [
        &[(1, "gpu")],
        &[(2, "gpu")],
        &[(3, "gpu")],
        &[(4, "gpu")],
        &[(1, "gpu"), (2, "cpu")],
    ];
    let brunel = "examples/models/brunel.toml";
    check_rank_backends("brunel-gpu", brunel, "40", &smaller, &launches, &pops);
}

/// The spike hash `spikegpu bench microcircuit --scale 0.1` on `backend` prints (JSON) from
/// `command`.
fn microcircuit_bench_hash(mut command: Command, backend: &str) -> String {
    command.args([
        "bench",
        "microcircuit",
        "--scale",
        "0.1",
        "--backend",
        backend,
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
fn microcircuit_at_scale_0_1_on_one_to_four_gpu_ranks_gives_the_single_process_spike_hash() {
    let Some(bin) = mpi_binary() else { return };
    if crate::common::gpu().is_none() {
        return;
    }
    let single = microcircuit_bench_hash(Command::new(env!("CARGO_BIN_EXE_spikegpu")), "cpu");
    for n in 1..=4 {
        let t0 = std::time::Instant::now();
        let mut c = mpirun(n);
        c.arg(&bin);
        gpu_rank_env(&mut c);
        assert_eq!(
            microcircuit_bench_hash(c, "gpu"),
            single,
            "microcircuit on {n} GPU ranks"
        );
        eprintln!(
            "microcircuit: {n} GPU ranks, same hash {single} ({:.1} s)",
            t0.elapsed().as_secs_f64()
        );
    }
}

#[test]
fn equation_models_on_gpu_ranks_give_the_single_process_spike_hash() {
    // A user-defined model with white noise (drawn by index in the whole population), beside
    // a rate-coding encoder and a noise current into a subset of a population.
    let dir = fresh_dir("once-refused-gpu-model");
    std::fs::create_dir_all(&dir).expect("dir");
    let model = dir.join("once-refused.toml");
    std::fs::write(&model, ONCE_REFUSED).expect("model file");
    let launches: [&[(u32, &str)]; 3] = [&[(2, "gpu")], &[(3, "gpu")], &[(1, "gpu"), (1, "cpu")]];
    check_rank_backends(
        "once-refused-gpu",
        model.to_str().expect("utf-8"),
        "100",
        &[],
        &launches,
        &["pixels", "exc", "lif"],
    );
}

/// Every spike of `net` over `ticks` from ranks run in this process, one engine each, with
/// the exchange of a distributed run (every rank's spikes of each interval, by global
/// neuron, delivered to every rank), and whether each GPU rank stores its synapses compactly.
fn ranks_in_process(net: &Network, ticks: u64, formats: &[Option<SynapseFormat>]) -> (Vec<Spike>, Vec<bool>) {
    let ranks = formats.len() as u32;
    let mut plans: Vec<Plan> = (0..ranks)
        .map(|r| Plan::for_rank(net, r, ranks).expect("rank plan"))
        .collect();
    let facts = RankFacts::combine(&plans.iter().map(Plan::rank_facts).collect::<Vec<_>>());
    plans.iter_mut().for_each(|p| p.agree(&facts).expect("agreed"));
    let mut compact = Vec::new();
    let mut engines: Vec<Box<dyn Engine>> = plans
        .iter()
        .zip(formats)
        .map(|(plan, format)| -> Box<dyn Engine> {
            match format {
                Some(synapse_format) => {
                    // Compact arrays in about four chunks each: several bindings walked.
                    let words = CompactSynapses::encode(plan, &plan.weights).map_or(0, |c| c.words.len());
                    let options = GpuOptions {
                        synapse_format: *synapse_format,
                        max_chunk_bytes: Some((words as u64).next_power_of_two().max(128)),
                        ..GpuOptions::default()
                    };
                    let gpu = GpuBackend::new(plan, options).expect("a GPU rank");
                    compact.push(gpu.is_compact());
                    Box::new(gpu)
                }
                None => Box::new(CpuBackend::with_threads(plan, 1)),
            }
        })
        .collect();
    let interval = u64::from(facts.min_delay);
    let (mut all, mut out) = (Vec::new(), Vec::new());
    let mut tick = 0;
    while tick < ticks {
        let step = interval.min(ticks - tick);
        let first = all.len();
        for (engine, plan) in engines.iter_mut().zip(&plans) {
            out.clear();
            engine.run_ticks(step, &mut out).expect("ticks run");
            let ids = &plan.partition.as_ref().expect("a rank's plan").global_ids;
            all.extend(out.iter().map(|s| Spike {
                tick: s.tick,
                neuron: ids[s.neuron as usize],
            }));
        }
        all[first..].sort_by_key(|s| (s.tick, s.neuron));
        for engine in &mut engines {
            engine.deliver_spikes(&all[first..]).expect("delivered");
        }
        tick += step;
    }
    (all, compact)
}

#[test]
fn compact_and_wide_gpu_ranks_beside_a_cpu_rank_give_the_single_process_spikes() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let t0 = std::time::Instant::now();
    // A twentieth of Brunel: two populations with projections of both signs out of each,
    // 15-tick intervals.
    let net = spikegpu::networks::brunel(3, 0.05, 5.0, 2.0).expect("network");
    let ticks = 400;
    let plan = Plan::new(&net).expect("plan");
    let mut single = Vec::new();
    CpuBackend::with_threads(&plan, 1).run_ticks(ticks, &mut single);
    single.sort_by_key(|s| (s.tick, s.neuron));
    assert!(single.len() > 100, "{} spikes", single.len());
    let formats = [Some(SynapseFormat::Compact), Some(SynapseFormat::Wide), None];
    let (ranks, compact) = ranks_in_process(&net, ticks, &formats);
    assert_eq!(compact, [true, false], "rank 0 compact, rank 1 wide");
    assert!(
        ranks == single,
        "{} spikes on the ranks, {} in one process",
        ranks.len(),
        single.len()
    );
    eprintln!(
        "{} spikes, same on compact + wide GPU ranks and a CPU rank ({:.1} s)",
        single.len(),
        t0.elapsed().as_secs_f64()
    );
}

#[test]
fn a_checkpointed_run_on_a_cpu_and_a_gpu_rank_resumes_on_two_gpu_ranks_with_the_single_process_spikes() {
    let Some(bin) = mpi_binary() else { return };
    if crate::common::gpu().is_none() {
        return;
    }
    let t0 = std::time::Instant::now();
    let smaller = ["population.exc.size=1000", "population.inh.size=250"];
    let model = "examples/models/brunel.toml";
    let single = fresh_dir("gpu-ckpt-single");
    let (code, _, err) = output({
        let mut c = Command::new(env!("CARGO_BIN_EXE_spikegpu"));
        c.args(run_args(model, "200", &smaller, &single));
        c
    });
    assert_eq!(code, 0, "{err}");
    let dir = fresh_dir("gpu-ckpt-np2");
    let rank1 = dir.with_file_name("gpu-ckpt-np2.rank1");
    let _ = std::fs::remove_dir_all(&rank1);
    // Rank 0 checkpoints a CPU rank's weights, rank 1 a compact GPU rank's (none).
    let every = ["--checkpoint-every", "10 ms"];
    let contexts = [(1, "cpu"), (1, "gpu")];
    let mut c = mpirun_contexts(&bin, &contexts, model, ("200", &smaller, &every), &dir);
    c.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().expect("mpirun starts");
    // SIGTERM to one rank once both have a checkpoint: both stop at one tick.
    wait_for(&dir.join("checkpoint.json"));
    wait_for(&rank1.join("checkpoint.json"));
    let err = sigterm_one_rank(child);
    assert_eq!(summary_field(&dir, "resumable"), true, "{err}");
    // Both resume on GPU ranks: the static network's weights stay as each rank built them.
    let mut c = mpirun(2);
    c.arg(&bin)
        .args(["resume", &dir.display().to_string(), "--backend", "gpu"]);
    gpu_rank_env(&mut c);
    let (code, _, err) = output(c);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary_field(&dir, "complete"), true);
    assert_eq!(spike_hash(&dir), spike_hash(&single));
    for file in ["spikes_exc_times_ms.npy", "spikes_inh_neurons.npy"] {
        let a = std::fs::read(single.join(file)).expect("single-process file");
        let b = std::fs::read(dir.join(file)).expect("rank 0's file");
        assert!(a == b, "{file} differs after resuming");
    }
    eprintln!(
        "checkpointed on a CPU and a GPU rank, resumed on GPU ranks ({:.1} s)",
        t0.elapsed().as_secs_f64()
    );
}

#[test]
fn a_missing_adapter_on_gpu_ranks_fails_every_rank_with_one_message() {
    let Some(bin) = mpi_binary() else { return };
    let dir = fresh_dir("no-adapter");
    let model = tiny_model(&dir, "ten.toml", 10, "0.1 mV");
    let path = model.to_str().expect("utf-8");
    for (var, value, says) in [
        (
            "SPIKEGPU_ADAPTER",
            "no-such-adapter",
            "no compute-capable adapter matches",
        ),
        ("SPIKEGPU_ADAPTER_INDEX", "x", "SPIKEGPU_ADAPTER_INDEX"),
    ] {
        let mut c = mpirun_contexts(&bin, &[(2, "gpu")], path, ("5", &[], &[]), &dir.join("out"));
        c.env(var, value);
        let (code, _, err) = output(c);
        assert_ne!(code, 0, "{var}={value}");
        assert!(err.contains(says), "{var}={value}: {err}");
    }
}

#[test]
fn synapse_dynamics_a_gpu_rank_cannot_run_are_refused_on_every_rank_with_the_field_named() {
    let Some(bin) = mpi_binary() else { return };
    if crate::common::gpu().is_none() {
        return;
    }
    let dir = fresh_dir("gpu-rank-refused");
    let model = tiny_model(&dir, "ten.toml", 10, "0.1 mV");
    let path = model.to_str().expect("utf-8");
    for (sets, says) in [
        (
            &["projection.0.release_probability=0.5"][..],
            "release_probability",
        ),
        (
            &[
                "projection.0.short_term.u=0.2",
                "projection.0.short_term.tau_rec=100 ms",
            ][..],
            "short_term",
        ),
    ] {
        let set = sets.join(" ");
        let out = dir.join(says);
        let c = mpirun_contexts(&bin, &[(2, "gpu")], path, ("5", sets, &[]), &out);
        let (code, _, err) = output(c);
        assert_eq!(code, 2, "{set}: {err}");
        assert!(err.contains(says), "{set}: {err}");
    }
}
