//! Reliability: 64-bit ticks and the one run-length limit, and the non-finite watchdog, on
//! both backends and through `spikegpu run`.

use crate::common;

use spikegpu::sim::{NonFiniteEvent, NonFinitePolicy, SimOptions};
use spikegpu::{
    Backend, CurrentSource, Error, InitialValue, IzhikevichParams, LifParams, Network, NetworkBuilder,
    NeuronModel, Simulator, networks,
};

/// A tick 1000 ticks below 2^32: a 2000-tick run from here crosses it.
const BELOW_2_32: u64 = (1 << 32) - 1000;

/// LIF neurons that fire on their own (rest above threshold) from spread initial potentials:
/// nothing in their dynamics depends on the tick, so a run moved in time spikes at the same
/// ticks after its start.
fn self_firing_network() -> Network {
    let mut b = NetworkBuilder::new(0.1, 5);
    b.population(
        "a",
        20,
        NeuronModel::Lif(LifParams::default()),
        InitialValue::Uniform {
            low: -70.0,
            high: -50.0,
        },
    )
    .unwrap();
    b.build().unwrap()
}

/// A simulator of `net` on `backend` whose next tick is `tick` (its state otherwise the
/// initial one).
fn starting_at(net: &Network, backend: Backend, tick: u64) -> Simulator {
    let mut sim = Simulator::new(net, backend).unwrap();
    let mut state = sim.export_state().unwrap();
    state.tick = tick;
    sim.import_state(&state).unwrap();
    assert_eq!(sim.ticks(), tick);
    sim
}

#[test]
fn a_run_placed_just_below_tick_2_pow_32_continues_past_it_with_correct_spike_times() {
    let net = self_firing_network();
    let mut reference = Simulator::new(&net, Backend::Cpu).unwrap();
    reference.run_ticks(2000).unwrap();
    let mut moved = starting_at(&net, Backend::Cpu, BELOW_2_32);
    moved.run_ticks(2000).unwrap();
    assert_eq!(moved.ticks(), BELOW_2_32 + 2000);
    let (a, b) = (reference.spike_records(), moved.spike_records());
    assert!(a.len() > 20, "the neurons should fire ({} spikes)", a.len());
    assert_eq!(a.len(), b.len());
    for (r, m) in a.iter().zip(b) {
        assert_eq!((m.tick - BELOW_2_32, m.neuron), (r.tick, r.neuron));
    }
    assert!(
        b.iter().any(|s| s.tick >= 1 << 32),
        "some spikes fall past tick 2^32"
    );
    let pop = net.population("a").unwrap();
    let times = moved.spikes(pop).unwrap().times_ms;
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "spike times never jump back"
    );
    let first = BELOW_2_32 as f64 * 0.1;
    assert!(
        times.iter().all(|&t| t >= first && t < first + 200.0),
        "{:?}",
        &times[..3]
    );
}

/// Poisson input, STDP (lagged ticks, trace and spike histories) and the GPU's two-word tick
/// across 2^32: the GPU's spikes and final weights equal the CPU's.
#[test]
fn the_gpu_crosses_tick_2_pow_32_exactly_as_the_cpu_with_poisson_input_and_stdp() {
    let Some(_ctx) = common::gpu() else { return };
    let net = networks::brunel_stdp(3, 0.05).unwrap();
    let mut gpu = starting_at(&net, Backend::Gpu, BELOW_2_32);
    let mut cpu = starting_at(&net, Backend::Cpu, BELOW_2_32);
    gpu.run_ticks(2000).unwrap();
    cpu.run_ticks(2000).unwrap();
    let (g, c) = (gpu.spike_records(), cpu.spike_records());
    assert!(
        c.iter().filter(|s| s.tick >= 1 << 32).count() > 50,
        "spikes past 2^32"
    );
    if let Some(i) = g.iter().zip(c).position(|(a, b)| a != b) {
        panic!("first differing spike #{i}: gpu {:?} cpu {:?}", g[i], c[i]);
    }
    assert_eq!(g.len(), c.len());
    assert_eq!(gpu.counters(), cpu.counters());
    let plastic = net.projection_ids()[0];
    assert_eq!(
        gpu.weights(plastic).unwrap().weights,
        cpu.weights(plastic).unwrap().weights,
        "final weights"
    );
}

#[test]
fn every_way_of_running_refuses_a_run_past_the_tick_limit() {
    let net = self_firing_network();
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    let err = sim.run_ticks(u64::MAX).unwrap_err().to_string();
    assert!(err.contains("9007199254740992"), "{err}");
    let err = sim.run_ms(1e300).unwrap_err().to_string();
    assert!(err.contains("duration_ms") && err.contains("2^53"), "{err}");
    let mut late = starting_at(&net, Backend::Cpu, spikegpu::limits::MAX_TICKS - 5);
    assert!(late.run_ticks(6).is_err());
    late.run_ticks(5).unwrap();
    assert_eq!(sim.ticks(), 0, "a refused run runs nothing");
    // `spikegpu run` runs in chunks through the same check.
    let model = std::env::temp_dir().join(format!("spikegpu-rel-long-{}.toml", std::process::id()));
    std::fs::write(
        &model,
        "dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nsize = 2\nmodel = \"lif\"\n",
    )
    .unwrap();
    let out = std::env::temp_dir().join(format!("spikegpu-rel-long-out-{}", std::process::id()));
    let path = model.to_str().unwrap();
    let (code, _, stderr) = common::spikegpu(&[
        "run",
        path,
        "--backend",
        "cpu",
        "--duration-ms",
        "1e16",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("2^53"), "{stderr}");
}

/// Ten quiet LIF neurons, then twenty Izhikevich neurons with a recovery rate `a` so large
/// that their state overflows within a few ticks.
fn blow_up_network() -> Network {
    let mut b = NetworkBuilder::new(0.1, 9);
    b.population(
        "calm",
        10,
        NeuronModel::Lif(LifParams::default()),
        InitialValue::Constant(-60.0),
    )
    .unwrap();
    let wild = b
        .population(
            "wild",
            20,
            NeuronModel::Izhikevich(IzhikevichParams {
                a: 1e30,
                ..IzhikevichParams::default()
            }),
            InitialValue::Constant(-65.0),
        )
        .unwrap();
    b.current_input(wild, CurrentSource::Dc { amplitude: 10.0 })
        .unwrap();
    b.build().unwrap()
}

/// Runs the blow-up network with the stop policy: the error's event, the sim (stopped).
fn run_until_fault(backend: Backend) -> (NonFiniteEvent, Simulator) {
    let net = blow_up_network();
    let mut sim = Simulator::new(&net, backend).unwrap();
    let err = sim.run_ticks(500).unwrap_err();
    let Error::NonFinite(event) = err else {
        panic!("expected a non-finite error, got {err}")
    };
    (*event, sim)
}

/// Checks an event against the state the run stopped in: the named neuron's named variable is
/// not finite, and every lower neuron is finite.
fn assert_event_matches_state(event: &NonFiniteEvent, sim: &Simulator) {
    assert_eq!(event.population, "wild");
    assert_eq!(
        sim.ticks(),
        event.tick + 1,
        "the run stops after the faulting tick"
    );
    assert!((event.time_ms - event.tick as f64 * 0.1).abs() < 1e-9);
    let state = sim.pull_state().unwrap();
    let global = 10 + event.neuron as usize;
    let s = state[global];
    let value = match event.variable.as_str() {
        "v" => s.v,
        "u" => s.u,
        other => panic!("unexpected variable {other}"),
    };
    assert!(!value.is_finite(), "{event:?}: {s:?}");
    let finite = |s: &spikegpu::plan::layout::NeuronState| {
        [s.v, s.u, s.w1, s.w2, s.syn_e, s.syn_i]
            .iter()
            .all(|x| x.is_finite())
    };
    assert!(
        state[..global].iter().all(finite),
        "a lower neuron is also faulty"
    );
}

#[test]
fn the_watchdog_stops_a_cpu_run_naming_tick_population_neuron_and_variable() {
    let (event, sim) = run_until_fault(Backend::Cpu);
    assert_event_matches_state(&event, &sim);
    assert!(event.tick < 100, "{event:?}");
    let message = Error::NonFinite(Box::new(event.clone())).to_string();
    for part in [
        format!("'{}'", event.variable),
        format!("neuron {}", event.neuron),
        "population 'wild'".to_string(),
        format!("tick {}", event.tick),
    ] {
        assert!(message.contains(&part), "{message} lacks {part}");
    }
    // The spikes of the ticks run are kept.
    assert_eq!(sim.counters().ticks, event.tick + 1);
}

#[test]
fn with_the_warn_policy_the_run_goes_on_and_keeps_the_first_event() {
    let net = blow_up_network();
    let options = SimOptions {
        nonfinite: NonFinitePolicy::Warn,
        ..SimOptions::default()
    };
    let mut sim = Simulator::with_options(&net, Backend::Cpu, options).unwrap();
    sim.run_ticks(500).unwrap();
    assert_eq!(sim.ticks(), 500);
    let (stopped, _) = run_until_fault(Backend::Cpu);
    assert_eq!(sim.nonfinite(), Some(stopped));
    let mut healthy = Simulator::new(&self_firing_network(), Backend::Cpu).unwrap();
    healthy.run_ticks(500).unwrap();
    assert_eq!(healthy.nonfinite(), None);
}

#[test]
fn the_gpu_watchdog_reports_the_same_event_and_stops_at_the_same_tick() {
    let Some(_ctx) = common::gpu() else { return };
    let (cpu_event, _) = run_until_fault(Backend::Cpu);
    let (gpu_event, gpu) = run_until_fault(Backend::Gpu);
    assert_eq!(gpu_event, cpu_event);
    assert_event_matches_state(&gpu_event, &gpu);
    // With the warn policy the GPU runs on and keeps the same event.
    let options = SimOptions {
        nonfinite: NonFinitePolicy::Warn,
        ..SimOptions::default()
    };
    let mut sim = Simulator::with_options(&blow_up_network(), Backend::Gpu, options).unwrap();
    sim.run_ticks(500).unwrap();
    assert_eq!(sim.ticks(), 500);
    assert_eq!(sim.nonfinite(), Some(cpu_event));
}

const BLOW_UP_MODEL: &str = "dt = \"0.1 ms\"\nduration = \"50 ms\"\n\
    [[population]]\nname = \"calm\"\nsize = 10\nmodel = \"lif\"\n\
    [[population]]\nname = \"wild\"\nsize = 20\nmodel = \"izhikevich\"\nparams = { a = 1e30 }\n\
    [[current]]\ntarget = \"wild\"\ndc = 10\n";

#[test]
fn spikegpu_run_exits_1_after_writing_its_files_and_warn_records_the_event() {
    let dir = std::env::temp_dir().join(format!("spikegpu-rel-nan-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("nan.toml");
    std::fs::write(&model, BLOW_UP_MODEL).unwrap();
    let summary = |out: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
    };
    let stop = dir.join("stop");
    let (code, _, stderr) = common::spikegpu(&[
        "run",
        model.to_str().unwrap(),
        "--backend",
        "cpu",
        "--out",
        stop.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    for part in ["population 'wild'", "neuron 0", "tick ", "NaN or infinite"] {
        assert!(stderr.contains(part), "{stderr} lacks {part}");
    }
    let s = summary(&stop);
    assert_eq!(s["complete"], false);
    assert_eq!(s["ticks_requested"], 500);
    let reached = s["ticks_reached"].as_u64().unwrap();
    assert!(
        reached < 500 && reached == s["nonfinite"]["tick"].as_u64().unwrap() + 1,
        "{s}"
    );
    assert_eq!(s["nonfinite"]["population"], "wild");
    assert!(s["stop_reason"].as_str().unwrap().contains("non-finite"));
    assert!(stop.join("spikes_wild_times_ms.npy").exists());

    let warn = dir.join("warn");
    let (code, _, stderr) = common::spikegpu(&[
        "run",
        model.to_str().unwrap(),
        "--backend",
        "cpu",
        "--on-nonfinite",
        "warn",
        "--out",
        warn.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let w = summary(&warn);
    assert_eq!(w["complete"], true);
    assert_eq!(w["ticks_reached"], 500);
    assert_eq!(w["nonfinite"], s["nonfinite"]);
    let (code, _, stderr) = common::spikegpu(&["run", model.to_str().unwrap(), "--on-nonfinite", "maybe"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--on-nonfinite"), "{stderr}");
}

/// The element count a `.npy` file's header promises, checked against the bytes present.
fn npy_elements_present(path: &std::path::Path, element_bytes: usize) -> usize {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{}", path.display());
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    let shape = header.split("'shape': (").nth(1).unwrap();
    let n: usize = shape.split([',', ')']).next().unwrap().trim().parse().unwrap();
    assert_eq!(bytes.len(), 10 + header_len + n * element_bytes, "{header}");
    n
}

/// SIGINT or SIGTERM in the middle of a long run: it stops at the next chunk boundary, writes
/// complete files and a summary marked interrupted, and exits 130 or 143.
#[cfg(unix)]
#[test]
fn a_signal_stops_the_run_with_complete_files_and_an_honest_summary() {
    let dir = std::env::temp_dir().join(format!("spikegpu-rel-signal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("long.toml");
    std::fs::write(
        &model,
        "dt = \"0.1 ms\"\nduration = \"1000000 ms\"\n\
         [[population]]\nname = \"a\"\nsize = 2000\nmodel = \"lif\"\n\
         init = { v = { uniform = [\"-70 mV\", \"-50 mV\"] } }\n",
    )
    .unwrap();
    for (signal, name, code) in [("-INT", "SIGINT", 130), ("-TERM", "SIGTERM", 143)] {
        let out = dir.join(name);
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_spikegpu"))
            .args(["run", model.to_str().unwrap(), "--backend", "cpu", "--out"])
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2500));
        let killed = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{name}: {stderr}");
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        assert_eq!(s["complete"], false, "{s}");
        assert_eq!(s["interrupted"], true);
        assert_eq!(s["stop_reason"], format!("interrupted by {name}"));
        let reached = s["ticks_reached"].as_u64().unwrap();
        assert!(reached < s["ticks_requested"].as_u64().unwrap());
        let spikes = npy_elements_present(&out.join("spikes_a_times_ms.npy"), 8);
        assert_eq!(spikes, npy_elements_present(&out.join("spikes_a_neurons.npy"), 4));
        assert_eq!(s["populations"][0]["spikes"].as_u64().unwrap(), spikes as u64);
        let partial = std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".partial")
            })
            .count();
        assert_eq!(partial, 0, "no temporary file is left");
    }
}

/// Runs `net` for 2 x `half` ticks on `first`, and again with a checkpoint after `half` ticks
/// restored on `second`: the spikes after the checkpoint, the final state and weights agree
/// bit for bit.
fn assert_resume_is_identical(net: &Network, first: Backend, second: Backend, half: u64, what: &str) {
    let path = std::env::temp_dir().join(format!("spikegpu-rel-ckpt-{}-{what}.ckpt", std::process::id()));
    let mut whole = Simulator::new(net, first).unwrap();
    whole.run_ticks(2 * half).unwrap();
    let mut before = Simulator::new(net, first).unwrap();
    before.run_ticks(half).unwrap();
    before.save_checkpoint(&path).unwrap();
    drop(before);
    let mut after = Simulator::restore(net, second, SimOptions::default(), &path).unwrap();
    assert_eq!(after.ticks(), half);
    after.run_ticks(half).unwrap();
    let tail: Vec<_> = whole
        .spike_records()
        .iter()
        .filter(|s| s.tick >= half)
        .cloned()
        .collect();
    assert!(
        tail.len() > 100,
        "{what}: the network should spike ({})",
        tail.len()
    );
    assert_eq!(
        after.spike_records(),
        &tail[..],
        "{what}: spikes after the checkpoint"
    );
    assert_eq!(after.counters(), whole.counters(), "{what}: counters");
    assert_eq!(
        after.pull_state().unwrap(),
        whole.pull_state().unwrap(),
        "{what}: state"
    );
    for p in net.projection_ids() {
        assert_eq!(
            after.weights(p).unwrap().weights,
            whole.weights(p).unwrap().weights,
            "{what}: weights of projection {}",
            p.index()
        );
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_run_resumed_from_a_checkpoint_is_bit_identical_on_the_cpu() {
    let brunel = networks::brunel(4, 0.1, 5.0, 2.0).unwrap();
    assert_resume_is_identical(&brunel, Backend::Cpu, Backend::Cpu, 700, "brunel-cpu");
    let stdp = networks::brunel_stdp(4, 0.1).unwrap();
    assert_resume_is_identical(&stdp, Backend::Cpu, Backend::Cpu, 700, "stdp-cpu");
}

#[test]
fn a_run_resumed_from_a_checkpoint_is_bit_identical_on_the_gpu_and_across_backends() {
    let Some(_ctx) = common::gpu() else { return };
    let brunel = networks::brunel(4, 0.1, 5.0, 2.0).unwrap();
    let stdp = networks::brunel_stdp(4, 0.1).unwrap();
    // 300 ticks either side of the checkpoint (the CPU test above keeps 700): the delay ring,
    // the STDP traces and weights are all in use by tick 300, and each half still holds
    // more than 100 spikes (asserted), so a state missing from the checkpoint shows.
    assert_resume_is_identical(&brunel, Backend::Gpu, Backend::Gpu, 300, "brunel-gpu");
    assert_resume_is_identical(&stdp, Backend::Gpu, Backend::Gpu, 300, "stdp-gpu");
    assert_resume_is_identical(&stdp, Backend::Cpu, Backend::Gpu, 300, "stdp-cpu-gpu");
    assert_resume_is_identical(&brunel, Backend::Gpu, Backend::Cpu, 300, "brunel-gpu-cpu");
}

#[test]
fn corrupt_truncated_and_foreign_checkpoints_are_refused_naming_the_fault() {
    let net = networks::brunel_stdp(4, 0.05).unwrap();
    let dir = std::env::temp_dir().join(format!("spikegpu-rel-badckpt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.ckpt");
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    sim.run_ticks(100).unwrap();
    sim.save_checkpoint(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let refused = |name: &str, content: &[u8], net: &Network| -> String {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        match Simulator::restore(net, Backend::Cpu, SimOptions::default(), &path) {
            Err(e @ Error::Checkpoint { .. }) => e.to_string(),
            Err(e) => panic!("{name}: expected a checkpoint error, got {e}"),
            Ok(_) => panic!("{name}: restored"),
        }
    };
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x10;
    assert!(refused("flipped", &flipped, &net).contains("checksum"));
    assert!(refused("truncated", &bytes[..bytes.len() - 100], &net).contains("truncated"));
    assert!(refused("empty", b"", &net).contains("not a spikegpu checkpoint"));
    let mut version = bytes.clone();
    version[13] = 9;
    assert!(refused("version", &version, &net).contains("version 9"));
    let other = networks::brunel_stdp(5, 0.05).unwrap();
    assert!(refused("foreign", &bytes, &other).contains("another network"));
    let missing = Simulator::restore(&net, Backend::Cpu, SimOptions::default(), &dir.join("none"));
    assert!(matches!(missing, Err(Error::Checkpoint { .. })));
    // The good one restores.
    let restored = Simulator::restore(&net, Backend::Cpu, SimOptions::default(), &good).unwrap();
    assert_eq!(restored.ticks(), 100);
}

#[test]
fn population_names_that_cannot_name_a_file_are_refused_at_validation() {
    let long = "n".repeat(300);
    for bad in ["a/b", "a\0b", "..", "x\\y", "tab\there", long.as_str()] {
        let mut b = NetworkBuilder::new(0.1, 1);
        let lif = NeuronModel::Lif(LifParams::default());
        let err = b
            .population(bad, 1, lif, InitialValue::Constant(-60.0))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("population.name") && err.contains("output files"),
            "{err}"
        );
        assert!(err.len() < 400, "the message stays short: {err}");
    }
    let mut b = NetworkBuilder::new(0.1, 1);
    let lif = NeuronModel::Lif(LifParams::default());
    b.population("Excitatory cells.L2-3_e", 1, lif, InitialValue::Constant(-60.0))
        .unwrap();
    let model = std::env::temp_dir().join(format!("spikegpu-rel-name-{}.toml", std::process::id()));
    std::fs::write(
        &model,
        "dt = \"0.1 ms\"\n[[population]]\nname = \"a/b\"\nsize = 2\nmodel = \"lif\"\n",
    )
    .unwrap();
    let (code, _, stderr) = common::spikegpu(&["validate", model.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("population.name"), "{stderr}");
}

/// A model file that runs for a long time (a population driven above threshold).
const LONG_MODEL: &str = "dt = \"0.1 ms\"\nduration = \"1000000 ms\"\n\
     [[population]]\nname = \"a\"\nsize = 2000\nmodel = \"lif\"\n\
     init = { v = { uniform = [\"-70 mV\", \"-50 mV\"] } }\n";

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    common::scratch("rel", name)
}

/// Starts `spikegpu run model --backend cpu --out out` in the background.
fn spawn_run(model: &std::path::Path, out: &std::path::Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_spikegpu"))
        .args(["run", model.to_str().unwrap(), "--backend", "cpu", "--out"])
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// SIGKILL: the spikes up to the last finished chunk are on disk in the stream file, whole
/// records only; the next run into the folder takes over the dead run's lock and removes
/// every file the dead run listed.
#[cfg(unix)]
#[test]
fn after_sigkill_the_streamed_spikes_are_readable_and_the_next_run_clears_them() {
    let dir = scratch("sigkill");
    let model = dir.join("long.toml");
    std::fs::write(&model, LONG_MODEL).unwrap();
    let out = dir.join("out");
    let stream = out.join(".stream-spikes.bin");
    let mut child = spawn_run(&model, &out);
    common::wait_for_bytes(&stream, 12 * 1000);
    child.kill().unwrap();
    child.wait().unwrap();
    let bytes = std::fs::read(&stream).unwrap();
    assert!(
        bytes.len() >= 12_000 && bytes.len().is_multiple_of(12),
        "{} bytes",
        bytes.len()
    );
    let ticks: Vec<u64> = bytes
        .chunks_exact(12)
        .map(|r| u64::from_le_bytes(r[..8].try_into().unwrap()))
        .collect();
    assert!(ticks.windows(2).all(|w| w[0] <= w[1]), "records in tick order");
    assert!(!out.join("summary.json").exists());
    let manifest = std::fs::read_to_string(out.join("spikegpu-manifest.txt")).unwrap();
    assert!(manifest.lines().any(|l| l == ".stream-spikes.bin"), "{manifest}");
    assert!(!manifest.contains(".stream-probe"), "the model has no probe");

    let short = dir.join("short.toml");
    std::fs::write(&short, LONG_MODEL.replace("1000000 ms", "20 ms")).unwrap();
    let (code, _, stderr) = common::spikegpu(&[
        "run",
        short.to_str().unwrap(),
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stream.exists() && !out.join(".spikegpu.lock").exists());
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["ticks_reached"], 200);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two runs into one folder: the second is refused (exit 2) naming the first's pid, and the
/// first goes on undisturbed.
#[cfg(unix)]
#[test]
fn a_second_run_into_a_folder_in_use_is_refused_naming_the_holder() {
    let dir = scratch("concurrent");
    let model = dir.join("long.toml");
    std::fs::write(&model, LONG_MODEL).unwrap();
    let out = dir.join("out");
    let child = spawn_run(&model, &out);
    common::wait_for_bytes(&out.join(".stream-spikes.bin"), 12);
    let (code, _, stderr) = common::spikegpu(&[
        "run",
        model.to_str().unwrap(),
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("in use by another spikegpu run") && stderr.contains(&format!("pid {}", child.id())),
        "{stderr}"
    );
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(out.join("summary.json").exists() && !out.join(".spikegpu.lock").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A folder reused by another model holds only the new run's files; a folder that is not a
/// spikegpu output is refused unless --overwrite, which removes none of its files; a
/// symlink planted where an output goes is replaced, its target untouched.
#[cfg(unix)]
#[test]
fn stale_files_are_never_mixed_in_and_foreign_folders_need_overwrite() {
    let dir = scratch("policy");
    let first = dir.join("first.toml");
    std::fs::write(&first, LONG_MODEL.replace("1000000 ms", "20 ms")).unwrap();
    let second = dir.join("second.toml");
    std::fs::write(
        &second,
        LONG_MODEL
            .replace("1000000 ms", "20 ms")
            .replace("\"a\"", "\"b\""),
    )
    .unwrap();
    let out = dir.join("out");
    let run = |model: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "run",
            model.to_str().unwrap(),
            "--backend",
            "cpu",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        common::spikegpu(&args)
    };
    assert_eq!(run(&first, &[]).0, 0);
    assert!(out.join("spikes_a_times_ms.npy").exists());
    let target = dir.join("precious.txt");
    std::fs::write(&target, b"keep").unwrap();
    std::fs::remove_file(out.join("raster.png")).unwrap();
    std::os::unix::fs::symlink(&target, out.join("raster.png")).unwrap();
    let (code, _, stderr) = run(&second, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !out.join("spikes_a_times_ms.npy").exists(),
        "the earlier model's files are gone"
    );
    assert!(out.join("spikes_b_times_ms.npy").exists());
    assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    assert!(
        std::fs::symlink_metadata(out.join("raster.png"))
            .unwrap()
            .is_file()
    );

    let foreign = dir.join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("thesis.tex"), b"mine").unwrap();
    let foreign_run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            first.to_str().unwrap(),
            "--backend",
            "cpu",
            "--out",
            foreign.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        common::spikegpu(&args)
    };
    let (code, _, stderr) = foreign_run(&[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--out") && stderr.contains("thesis.tex") && stderr.contains("--overwrite"),
        "{stderr}"
    );
    assert!(!foreign.join("summary.json").exists());
    assert_eq!(foreign_run(&["--overwrite"]).0, 0);
    assert!(foreign.join("thesis.tex").exists() && foreign.join("summary.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Host memory of a long run stays bounded: 1,000 Poisson neurons at 500 Hz for 12 s of
/// biological time (120,000 ticks, 6e6 spikes: 96 MB as a list in memory, which is what runs
/// held before spikes were streamed) stay under 48 MiB of peak resident memory (the process's
/// VmHWM, in summary.json; 16 MiB measured), and every spike reaches the output files. Memory
/// would grow with the spikes, not the ticks: 500 Hz reaches 6e6 spikes in a fifth of the
/// ticks (and CPU time) of 100 Hz. The 240 s figure (2.4e7 spikes, 14 MiB peak) is in
/// docs/reliability.md.
#[test]
fn a_long_run_of_6_million_spikes_stays_under_48_mib() {
    let dir = scratch("memory");
    let model = dir.join("poisson.toml");
    std::fs::write(
        &model,
        "dt = \"0.1 ms\"\nduration = \"12000 ms\"\n\
         [[population]]\nname = \"p\"\nsize = 1000\nmodel = \"poisson_source\"\nparams = { rate = \"500 Hz\" }\n",
    )
    .unwrap();
    let out = dir.join("out");
    let (code, _, stderr) = common::spikegpu(&[
        "run",
        model.to_str().unwrap(),
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let spikes = s["recorded_spikes"].as_u64().unwrap();
    assert!((5_950_000..6_050_000).contains(&spikes), "{spikes} spikes");
    assert_eq!(
        npy_elements_present(&out.join("spikes_p_times_ms.npy"), 8) as u64,
        spikes
    );
    let peak = s["peak_host_mib"].as_f64().unwrap();
    assert!(peak < 48.0, "peak host memory {peak} MiB");
    let _ = std::fs::remove_dir_all(&dir);
}

/// brunel-stdp.toml at a tenth of its size (1,000 + 250 neurons, the same rules), with weight
/// snapshots and a probe, for checkpoint tests through the command line.
fn small_plastic_model(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/models/brunel-stdp.toml"
    ))
    .unwrap()
    .replace("size = 10000", "size = 1000")
    .replace("size = 2500", "size = 250")
    .replace("duration = \"1 s\"", "duration = \"600 ms\"");
    let text = format!(
        "{text}\n[record]\nspikes = [\"exc\", \"inh[0:50]\"]\nweight_interval = \"100 ms\"\n\
         [[record.state]]\npopulation = \"exc\"\nvariable = \"v\"\nneurons = [0, 1, 2]\ninterval = \"5 ms\"\n"
    );
    let path = dir.join("small-stdp.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Every output file of `a` that `b` must equal byte for byte (the arrays, at least 8 of
/// them; the summary and plots hold timings), and the summaries' spike hash and count.
fn assert_same_outputs(a: &std::path::Path, b: &std::path::Path) {
    common::assert_same_arrays(a, b, 8);
    let hash = |d: &std::path::Path| {
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap();
        (
            s["spike_hash"].clone(),
            s["spikes"].clone(),
            s["complete"].clone(),
        )
    };
    assert_eq!(hash(a), hash(b));
}

/// `spikegpu run --checkpoint-every` killed with SIGKILL after its first checkpoints and
/// continued with `spikegpu resume`: every spike, probe sample, weight snapshot and final
/// weight equals the uninterrupted run's; a finished run keeps no checkpoint.
#[cfg(unix)]
#[test]
fn a_run_killed_with_sigkill_and_resumed_equals_the_run_never_stopped() {
    let dir = scratch("resume");
    let model = small_plastic_model(&dir);
    let reference = dir.join("reference");
    let finished = common::checkpointing_run(&model, "50 ms", &reference)
        .output()
        .unwrap();
    assert!(
        finished.status.success(),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    assert!(!reference.join("checkpoint.json").exists() && !reference.join(".stream-spikes.bin").exists());

    let killed = dir.join("killed");
    let mut child = common::checkpointing_run(&model, "50 ms", &killed)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let index = killed.join("checkpoint.json");
    for _ in 0..1200 {
        let tick = std::fs::read_to_string(&index)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["tick"].as_u64());
        if tick.is_some_and(|t| t >= 1500) || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(index.exists(), "a checkpoint was written before the kill");
    assert!(
        !killed.join("summary.json").exists(),
        "the run was killed before its end"
    );
    let (code, _, stderr) = common::spikegpu(&["resume", killed.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_same_outputs(&reference, &killed);
    assert!(!index.exists(), "a finished run keeps no checkpoint");
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGTERM in a run with checkpoints: exit 143 with the files so far and `resumable` in the
/// summary; resumed on the GPU (lavapipe), the run ends as the uninterrupted CPU run does.
#[cfg(unix)]
#[test]
fn a_run_stopped_by_sigterm_resumes_on_the_gpu_and_equals_the_cpu_run() {
    let dir = scratch("resume-gpu");
    let model = dir.join("brunel.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/models/brunel.toml"
    ))
    .unwrap()
    .replace("size = 10000", "size = 800")
    .replace("size = 2500", "size = 200")
    .replace("duration = \"1 s\"", "duration = \"600 ms\"");
    std::fs::write(&model, text).unwrap();
    let reference = dir.join("reference");
    let finished = common::checkpointing_run(&model, "20 ms", &reference).status();
    assert!(finished.unwrap().success());
    let stopped = dir.join("stopped");
    let stderr =
        common::stop_after_first_checkpoint(common::checkpointing_run(&model, "20 ms", &stopped), &stopped);
    assert!(stderr.contains("spikegpu resume"), "{stderr}");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stopped.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        (s["complete"].clone(), s["resumable"].clone()),
        (false.into(), true.into())
    );
    let (code, _, stderr) = common::spikegpu(&["resume", stopped.to_str().unwrap(), "--backend", "gpu"]);
    assert_eq!(code, 0, "{stderr}");
    common::assert_same_arrays(&reference, &stopped, 4);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A checkpoint that is corrupt, truncated, of another network, missing, or of a folder that
/// never had one is refused with exit 2 naming the file and the fault.
#[cfg(unix)]
#[test]
fn resume_refuses_corrupt_missing_and_foreign_checkpoints_with_exit_2() {
    let dir = scratch("resume-bad");
    let model = dir.join("long.toml");
    std::fs::write(&model, LONG_MODEL).unwrap();
    let finished = dir.join("finished");
    let short = dir.join("short.toml");
    std::fs::write(&short, LONG_MODEL.replace("1000000 ms", "30 ms")).unwrap();
    let (code, _, stderr) = common::spikegpu(&[
        "run",
        short.to_str().unwrap(),
        "--backend",
        "cpu",
        "--out",
        finished.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = common::spikegpu(&["resume", finished.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("checkpoint.json") && stderr.contains("--checkpoint-every"),
        "{stderr}"
    );
    let (code, _, stderr) = common::spikegpu(&["resume", dir.join("nowhere").to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");

    // A run killed after its first checkpoint, copied once per kind of damage.
    let killed = dir.join("killed");
    let mut child = common::checkpointing_run(&model, "10 ms", &killed)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    common::wait_for_bytes(&killed.join("checkpoint.json"), 10);
    child.kill().unwrap();
    child.wait().unwrap();
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(killed.join("checkpoint.json")).unwrap()).unwrap();
    let slot = index["slot"].as_str().unwrap().to_string();
    let damaged = |name: &str, damage: &dyn Fn(&std::path::Path)| {
        let copy = dir.join(name);
        std::fs::create_dir_all(&copy).unwrap();
        for entry in std::fs::read_dir(&killed).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
        damage(&copy);
        let (code, _, stderr) = common::spikegpu(&["resume", copy.to_str().unwrap(), "--backend", "cpu"]);
        assert_eq!(code, 2, "{name}: {stderr}");
        stderr
    };
    let flip = |path: std::path::PathBuf| {
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
        std::fs::write(&path, bytes).unwrap();
    };
    let stderr = damaged("flipped", &|d| flip(d.join(format!("{slot}.sim"))));
    assert!(stderr.contains("checksum") && stderr.contains(".sim"), "{stderr}");
    let stderr = damaged("flipped-rec", &|d| flip(d.join(format!("{slot}.rec"))));
    assert!(stderr.contains("checksum") && stderr.contains(".rec"), "{stderr}");
    let stderr = damaged("truncated", &|d| {
        let path = d.join(format!("{slot}.sim"));
        let len = std::fs::metadata(&path).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(len - 100)
            .unwrap();
    });
    assert!(stderr.contains("truncated"), "{stderr}");
    let stderr = damaged("garbage-index", &|d| {
        std::fs::write(d.join("checkpoint.json"), "{ not json").unwrap()
    });
    assert!(stderr.contains("not a checkpoint index"), "{stderr}");
    let stderr = damaged("other-seed", &|d| {
        let mut index = index.clone();
        index["settings"]["overrides"] = serde_json::json!(["seed=7"]);
        std::fs::write(d.join("checkpoint.json"), index.to_string()).unwrap();
    });
    assert!(stderr.contains("another network"), "{stderr}");
    let stderr = damaged("short-stream", &|d| {
        std::fs::write(d.join(".stream-spikes.bin"), b"").unwrap()
    });
    assert!(stderr.contains(".stream-spikes.bin"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
