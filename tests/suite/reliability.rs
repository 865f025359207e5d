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
    assert_resume_is_identical(&brunel, Backend::Gpu, Backend::Gpu, 700, "brunel-gpu");
    assert_resume_is_identical(&stdp, Backend::Gpu, Backend::Gpu, 700, "stdp-gpu");
    assert_resume_is_identical(&stdp, Backend::Cpu, Backend::Gpu, 700, "stdp-cpu-gpu");
    assert_resume_is_identical(&brunel, Backend::Gpu, Backend::Cpu, 700, "brunel-gpu-cpu");
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
