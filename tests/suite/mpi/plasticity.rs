//! Synapses with state across ranks: short-term plasticity (Tsodyks-Markram, with a shared
//! and a per-synapse `U`), stochastic release (a uniform and a per-pair probability) and
//! reward-modulated STDP give the spikes of one process, and for plasticity its weights, on
//! one to three ranks. Each model is small and short (a few hundred neurons, 100-300 ms),
//! and each test also checks that its feature changes the spikes, so that it can fail.

use std::path::{Path, PathBuf};

use spikegpu::cpu::CpuBackend;
use spikegpu::plan::Plan;
use spikegpu::plan::rank::RankFacts;
use spikegpu::sim::Spike;

use super::{check_same_spikes_of, fresh_dir, mpi_binary, output, run_args, spike_hash};

/// Every spike (tick, global neuron) and every synapse's (global pre, global post, weight
/// bits), sorted, of a run.
type Outcome = (Vec<(u64, u32)>, Vec<(u32, u32, u32)>);

/// `ticks` ticks of `text`'s network on `ranks` CPU ranks emulated in this process (`None`:
/// one process): each rank runs to every exchange (the smallest delay, and each tick of
/// `levels`), then every rank's spikes, merged, go to each rank's `deliver_spikes`, as
/// `RankEngine` does over MPI. `levels`: (tick, channel, level) set on every rank before
/// that tick. Rank 1 runs on two threads.
fn emulate(text: &str, ranks: Option<u32>, ticks: u64, levels: &[(u64, usize, f32)]) -> Outcome {
    let net = spikegpu::app::modelfile::parse(text, "emulated", None)
        .expect("model")
        .network;
    let mut plans: Vec<Plan> = match ranks {
        None => vec![Plan::new(&net).expect("plan")],
        Some(n) => (0..n)
            .map(|r| Plan::for_rank(&net, r, n).expect("rank plan"))
            .collect(),
    };
    let facts = RankFacts::combine(&plans.iter().map(Plan::rank_facts).collect::<Vec<_>>());
    if ranks.is_some() {
        plans.iter_mut().for_each(|p| p.agree(&facts).expect("agree"));
    }
    let mut engines: Vec<CpuBackend> = (plans.iter().enumerate())
        .map(|(r, p)| CpuBackend::with_threads(p, 1 + r % 2))
        .collect();
    let global = |p: &Plan, local: u32| {
        p.partition
            .as_ref()
            .map_or(local, |part| part.global_ids[local as usize])
    };
    let interval = u64::from(facts.min_delay.max(1));
    let (mut tick, mut spikes) = (0, Vec::new());
    while tick < ticks {
        for &(_, channel, level) in levels.iter().filter(|l| l.0 == tick) {
            engines.iter_mut().for_each(|e| e.set_modulator(channel, level));
        }
        let next_level = levels.iter().map(|l| l.0).filter(|&t| t > tick).min();
        let step = interval
            .min(ticks - tick)
            .min(next_level.map_or(u64::MAX, |t| t - tick));
        let mut merged = Vec::new();
        for (e, p) in engines.iter_mut().zip(&plans) {
            let mut local = Vec::new();
            e.run_ticks(step, &mut local);
            merged.extend(local.iter().map(|s| Spike {
                tick: s.tick,
                neuron: global(p, s.neuron),
            }));
        }
        merged.sort_unstable();
        if ranks.is_some() {
            engines.iter_mut().for_each(|e| e.deliver_spikes(&merged));
        }
        spikes.extend(merged.iter().map(|s| (s.tick, s.neuron)));
        tick += step;
    }
    let mut synapses = Vec::new();
    for (e, p) in engines.iter().zip(&plans) {
        let weights = e.weights();
        for g in 0..p.row_ptr.len() - 1 {
            for s in p.row_ptr[g] as usize..p.row_ptr[g + 1] as usize {
                let post = global(p, p.synapses[s].post);
                synapses.push((g as u32, post, weights[s].to_bits()));
            }
        }
    }
    synapses.sort_unstable();
    (spikes, synapses)
}

/// Checks that `text` on 2 and 3 emulated ranks gives one process's spikes and weights, and
/// returns one process's outcome.
fn check_emulated(name: &str, text: &str, ticks: u64, levels: &[(u64, usize, f32)]) -> Outcome {
    let t0 = std::time::Instant::now();
    let single = emulate(text, None, ticks, levels);
    assert!(single.0.len() > 50, "{name}: {} spikes", single.0.len());
    for n in [2, 3] {
        let ranks = emulate(text, Some(n), ticks, levels);
        assert!(
            ranks.0 == single.0,
            "{name} on {n} emulated ranks: the spikes differ"
        );
        assert!(
            ranks.1 == single.1,
            "{name} on {n} emulated ranks: the weights differ"
        );
    }
    eprintln!(
        "{name}: 2 and 3 emulated ranks as one process ({:.2} s)",
        t0.elapsed().as_secs_f64()
    );
    single
}

/// A Brunel-like network of 400 excitatory and 100 inhibitory LIF neurons with Poisson
/// drive, fixed in-degree 40, 1.5 ms delays and strong weights (so that what each synapse
/// delivers matters); its excitatory projections carry `exc_extra` and its inhibitory ones
/// `inh_extra` (TOML lines of the projection; an excitatory or inhibitory projection onto
/// `exc` comes first).
fn small_network(exc_extra: [&str; 2], inh_extra: [&str; 2]) -> String {
    let lif = "model = \"lif\"\nparams = { tau_m_ms = 20, v_rest_mv = 0, v_reset_mv = 10, \
               v_thresh_mv = 20, refractory_ms = 2, synapse = \"delta\" }\ninit = { v = \"0 mV\" }";
    let projection = |pre: &str, post: &str, weight: &str, extra: &str| {
        let receptor = if pre == "exc" { "excitatory" } else { "inhibitory" };
        format!(
            "[[projection]]\npre = \"{pre}\"\npost = \"{post}\"\nconnectivity = {{ rule = \"fixed_indegree\", k = 40 }}\n\
             weight = \"{weight}\"\ndelay = \"1.5 ms\"\nreceptor = \"{receptor}\"\n{extra}\n\n"
        )
    };
    let mut text = format!(
        "name = \"small\"\ndt = \"0.1 ms\"\nseed = 7\n\n[[population]]\nname = \"exc\"\nsize = 400\n{lif}\n\n\
         [[population]]\nname = \"inh\"\nsize = 100\n{lif}\n\n"
    );
    text += &projection("exc", "exc", "0.4 mV", exc_extra[0]);
    text += &projection("exc", "inh", "0.4 mV", exc_extra[1]);
    text += &projection("inh", "exc", "-1.5 mV", inh_extra[0]);
    text += &projection("inh", "inh", "-1.5 mV", inh_extra[1]);
    for target in ["exc", "inh"] {
        text += &format!(
            "[[poisson]]\ntarget = \"{target}\"\nrate = \"9 kHz\"\nweight = \"0.2 mV\"\nreceptor = \"excitatory\"\n\n"
        );
    }
    text
}

/// Writes `text` as model `name` under the test's folder.
fn write_model(name: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mpi").join("models");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("model file");
    path
}

/// The spike hash of `model` run `ms` in one process.
fn single_hash(name: &str, model: &Path, ms: &str) -> String {
    let dir = fresh_dir(name);
    let (code, _, err) = output({
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_spikegpu"));
        c.args(run_args(&model.display().to_string(), ms, &[], &dir));
        c
    });
    assert_eq!(code, 0, "{err}");
    spike_hash(&dir)
}

/// Checks that `text`'s synapse options change the spikes of the plain small network, then
/// that one to three ranks give one process's spikes.
fn check_against_plain(name: &str, text: &str, ms: &str) {
    if mpi_binary().is_none() {
        return;
    }
    let model = write_model(name, text);
    let plain = write_model(&format!("{name}-plain"), &small_network(["", ""], ["", ""]));
    let changed = single_hash(&format!("{name}-changed"), &model, ms);
    let unchanged = single_hash(&format!("{name}-plain"), &plain, ms);
    assert_ne!(
        changed, unchanged,
        "{name}: the synapse options change the spikes"
    );
    let path = model.display().to_string();
    check_same_spikes_of(name, &path, ms, &[], &[1, 2, 3], &["exc", "inh"]);
}

#[test]
fn short_term_plasticity_on_one_to_three_ranks_gives_the_single_process_spikes() {
    // Excitatory synapses depress, each with its own U (400 x 40 and 100 x 40 synapses);
    // inhibitory ones facilitate with one U.
    let depressing = |n: usize| {
        let u: Vec<String> = (0..n)
            .map(|i| format!("{:.2}", 0.1 + 0.8 * ((i * 37) % 100) as f64 / 100.0))
            .collect();
        format!("short_term = {{ u = [{}], tau_rec = \"100 ms\" }}", u.join(", "))
    };
    let facilitating = "short_term = { u = 0.2, tau_rec = \"20 ms\", tau_facil = \"200 ms\" }";
    let text = small_network(
        [&depressing(16_000), &depressing(4_000)],
        [facilitating, facilitating],
    );
    check_emulated("stp", &text, 1000, &[]);
    check_against_plain("stp", &text, "150");
}

#[test]
fn stochastic_release_on_one_to_three_ranks_gives_the_single_process_spikes() {
    // Excitatory synapses release with probability 0.5; inhibitory ones with a probability
    // per (pre, post) pair, so that a target's index in its population matters.
    let per_pair = |rows: usize, cols: usize| {
        let row = |i: usize| {
            let p: Vec<String> = (0..cols)
                .map(|j| format!("{:.1}", ((i * 7 + j * 13) % 10) as f64 / 10.0))
                .collect();
            format!("[{}]", p.join(", "))
        };
        let all: Vec<String> = (0..rows).map(row).collect();
        format!("release_probability = [{}]", all.join(", "))
    };
    let half = "release_probability = 0.5";
    let text = small_network([half, half], [&per_pair(100, 400), &per_pair(100, 100)]);
    check_emulated("release", &text, 1000, &[]);
    check_against_plain("release", &text, "100");
}

/// Izhikevich's distal-reward network with a fifth of its neurons (1 ms delays: an
/// exchange every tick) and dopamine pulses at 100 and 200 ms.
fn small_distal_reward() -> String {
    let text = std::fs::read_to_string("examples/models/distal-reward.toml").expect("model");
    text.replace("size = 800", "size = 160")
        .replace("size = 200", "size = 40")
        .replace(
            "pulses = [[\"3 s\", 50.0], [\"6 s\", 50.0]]",
            "pulses = [[\"100 ms\", 50.0], [\"200 ms\", 50.0]]",
        )
        // Weight snapshots are not gathered across ranks yet: the initial and final weights.
        .replace("[record]\nweight_interval = \"1 s\"", "")
}

#[test]
fn reward_modulated_stdp_on_one_to_three_ranks_gives_the_single_process_spikes_and_weights() {
    // 300 ms with a 10 ms update interval: the weights move with levels that every rank must
    // hold alike (the emulation adds 50 to the level at each, as the file's pulses do under
    // mpirun).
    let text = small_distal_reward();
    let initial = emulate(&text, None, 0, &[]).1;
    let learned = check_emulated("reward", &text, 300, &[(100, 0, 50.2), (200, 0, 50.0)]).1;
    assert!(initial != learned, "the weights moved");
    if mpi_binary().is_none() {
        return;
    }
    let model = write_model("reward", &text);
    check_same_spikes_of(
        "reward",
        &model.display().to_string(),
        "300",
        &[],
        &[1, 2, 3],
        &["exc", "inh"],
    );
    let dir = |n: &str| Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mpi/reward-{n}"));
    let read = |n: &str, file: &str| std::fs::read(dir(n).join(file)).expect(file);
    let files: Vec<String> = std::fs::read_dir(dir("single"))
        .expect("the single process's files")
        .flatten()
        .map(|f| f.file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with("weights_projection"))
        .collect();
    for k in [0, 1] {
        let stem = format!("weights_projection{k}");
        let (initial, last) = (format!("{stem}_initial.npy"), format!("{stem}_final.npy"));
        assert_ne!(
            read("single", &initial),
            read("single", &last),
            "projection {k} learned"
        );
    }
    assert_eq!(
        files.len(),
        8,
        "pre, post, initial and final of two projections: {files:?}"
    );
    for n in ["np1", "np2", "np3"] {
        for file in &files {
            assert!(
                read("single", file) == read(n, file),
                "reward on {n}: {file} differs"
            );
        }
    }
}
