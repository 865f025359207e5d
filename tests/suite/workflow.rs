//! Everyday work from the command line (issue 16): the backend `auto` picks, recording
//! selections and rate records, overrides and sweeps, separate seeds, plain error messages and
//! the exports of connectivity and positions.

use std::path::{Path, PathBuf};

use crate::common::spikegpu;
use spikegpu::app::modelfile::{self, Override};
use spikegpu::gpu::AdapterSummary;
use spikegpu::{Backend, NetworkBuilder, NeuronSelection, Simulator, SpikeRecording};

/// A small excitatory-inhibitory network driven by Poisson input: fires within 100 ms.
const SMALL: &str = r#"
name = "small"
dt = "0.1 ms"
seed = 5
duration = "100 ms"

[[population]]
name = "exc"
size = 400
model = "lif"
params = { tau_m = "20 ms", v_rest = "-60 mV", v_reset = "-60 mV", v_thresh = "-50 mV", refractory = "2 ms", synapse = "delta" }
init = { v = { uniform = ["-60 mV", "-50 mV"] } }

[[population]]
name = "inh"
size = 100
model = "lif"
params = { tau_m = "10 ms", v_rest = "-60 mV", v_reset = "-60 mV", v_thresh = "-50 mV", refractory = "2 ms", synapse = "delta" }

[[projection]]
pre = "exc"
post = "inh"
connectivity = { rule = "fixed_probability", p = 0.1 }
weight = { uniform = ["0.5 mV", "1.5 mV"] }
delay = "1 ms"
receptor = "excitatory"

[[projection]]
pre = "inh"
post = "exc"
connectivity = { rule = "fixed_probability", p = 0.1 }
weight = "-1 mV"
delay = "1 ms"
receptor = "inhibitory"

[[poisson]]
target = "exc"
rate = "2000 Hz"
weight = "0.6 mV"
receptor = "excitatory"

[[poisson]]
target = "inh"
rate = "1000 Hz"
weight = "0.6 mV"
receptor = "excitatory"
"#;

/// A fresh directory under the target folder for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("workflow").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` as a model file in `dir`.
fn model_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("model.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The error message of loading `text` with `overrides`.
fn error_with(text: &str, overrides: &[Override]) -> String {
    match modelfile::parse_with(text, "m.toml", overrides) {
        Ok(_) => panic!("expected an error for {overrides:?}"),
        Err(e) => e.to_string(),
    }
}

/// The element count of a `.npy` file (the product of its shape).
fn npy_len(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = String::from_utf8_lossy(&bytes[10..128.min(bytes.len())]).into_owned();
    let shape = header
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    shape
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<usize>().unwrap())
        .product()
}

fn adapter(name: &str, device_type: &str, software: bool) -> AdapterSummary {
    AdapterSummary {
        name: name.into(),
        backend: "Vulkan".into(),
        device_type: device_type.into(),
        software,
        driver: String::new(),
        compute: true,
        max_storage_binding: 1 << 27,
        max_buffer: 1 << 31,
        max_storage_buffers_per_stage: 16,
        max_workgroups_per_dim: 65535,
    }
}

#[test]
fn backend_auto_runs_the_cpu_when_the_only_adapters_are_software_ones() {
    use spikegpu::sim::engine::software_only;
    let llvmpipe = adapter("llvmpipe (LLVM 15)", "Cpu", true);
    let discrete = adapter("Radeon", "DiscreteGpu", false);
    let names = software_only(std::slice::from_ref(&llvmpipe)).expect("software only");
    assert!(names.contains("llvmpipe (LLVM 15) on Vulkan"), "{names}");
    assert_eq!(software_only(&[llvmpipe.clone(), discrete]), None);
    assert_eq!(
        software_only(&[]),
        None,
        "no adapter: the GPU is tried, then the CPU"
    );

    // This machine: what `auto` picks follows its adapters, and it says why.
    if std::env::var_os(spikegpu::gpu::ADAPTER_ENV).is_some()
        || std::env::var_os("WGPU_ADAPTER_NAME").is_some()
    {
        return;
    }
    let adapters = spikegpu::gpu::list_adapters();
    let (code, stdout, stderr) = spikegpu(&["bench", "cuba", "--duration-ms", "20", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let (_, devices, _) = spikegpu(&["devices"]);
    if software_only(&adapters).is_some() {
        assert!(stdout.contains("\"backend\":\"cpu\""), "{stdout}");
        assert_eq!(
            stderr.matches("running on the CPU backend").count(),
            1,
            "{stderr}"
        );
        assert!(
            stderr.contains("software") && stderr.contains("--backend gpu"),
            "{stderr}"
        );
        assert!(devices.contains("[software"), "{devices}");
    } else if adapters.iter().any(|a| !a.software && a.compute) {
        assert!(stdout.contains("\"backend\":\"gpu\""), "{stdout}");
    }
}

#[test]
fn recording_selections_keep_exactly_the_selected_spikes_and_rates_count_every_spike() {
    let record_all = Override::new("record.spikes", r#"["exc", "inh"]"#);
    let full = modelfile::parse_with(SMALL, "m.toml", &[record_all]).unwrap();
    let selected_text = format!(
        "{SMALL}\n[record]\nspikes = [\"exc[10:300:7]\", {{ population = \"inh\", neurons = [3, 50, 99], start = \"20 ms\", stop = \"80 ms\" }}]\nrates = [{{ population = \"exc\", bin = \"5 ms\" }}, \"inh\"]\nrate_bin = \"2 ms\"\n"
    );
    let selected = modelfile::parse(&selected_text, "m.toml", None).unwrap();
    let mut a = Simulator::new(&full.network, Backend::Cpu).unwrap();
    let mut b = Simulator::new(&selected.network, Backend::Cpu).unwrap();
    a.run_ms(100.0).unwrap();
    b.run_ms(100.0).unwrap();
    let ids = full.network.population_ids();
    let (exc_all, inh_all) = (a.spikes(ids[0]).unwrap(), a.spikes(ids[1]).unwrap());
    let (exc, inh) = (b.spikes(ids[0]).unwrap(), b.spikes(ids[1]).unwrap());
    let keep = |train: &spikegpu::SpikeTrain, f: &dyn Fn(f64, u32) -> bool| -> Vec<(u64, u32)> {
        train
            .times_ms
            .iter()
            .zip(&train.neurons)
            .filter(|&(&t, &n)| f(t, n))
            .map(|(&t, &n)| ((t * 10.0).round() as u64, n))
            .collect()
    };
    let pairs = |t: &spikegpu::SpikeTrain| keep(t, &|_, _| true);
    let exc_want = keep(&exc_all, &|_, n| (10..300).contains(&n) && (n - 10) % 7 == 0);
    let inh_want = keep(&inh_all, &|t, n| {
        [3, 50, 99].contains(&n) && (20.0 - 1e-9..80.0 - 1e-9).contains(&t)
    });
    assert!(exc_want.len() > 20 && !inh_want.is_empty(), "the network fires");
    assert_eq!(pairs(&exc), exc_want);
    assert_eq!(pairs(&inh), inh_want);
    assert_eq!(
        b.spike_records().len(),
        exc_want.len() + inh_want.len(),
        "nothing else is kept"
    );
    // Rate records count every spike of the population, recorded or not.
    assert_eq!(a.population_spike_counts(), b.population_spike_counts());
    let exc_rate = b.rate_record(ids[0]).unwrap().expect("exc rate record");
    let inh_rate = b.rate_record(ids[1]).unwrap().expect("inh rate record");
    assert_eq!((exc_rate.bin_ms, exc_rate.counts.len()), (5.0, 20));
    assert_eq!((inh_rate.bin_ms, inh_rate.counts.len()), (2.0, 50));
    assert_eq!(
        exc_rate.counts.iter().map(|&c| u64::from(c)).sum::<u64>(),
        exc_all.times_ms.len() as u64
    );
    assert_eq!(
        inh_rate.counts.iter().map(|&c| u64::from(c)).sum::<u64>(),
        inh_all.times_ms.len() as u64
    );
    let first_bin = exc_all.times_ms.iter().filter(|&&t| t < 5.0 - 1e-9).count() as f64;
    assert!((exc_rate.rates_hz()[0] - first_bin * 1000.0 / (5.0 * 400.0)).abs() < 1e-9);
}

#[test]
fn rust_api_records_selections_and_refuses_intervals_off_the_time_step() {
    let mut b = NetworkBuilder::new(0.1, 1);
    let model = spikegpu::NeuronModel::Lif(spikegpu::LifParams::default());
    let pop = b
        .population("p", 100, model, spikegpu::InitialValue::Constant(-60.0))
        .unwrap();
    let err = b.record_rate(pop, 0.15).unwrap_err().to_string();
    assert!(err.contains("0.1 ms and 0.2 ms"), "{err}");
    let err = b.record_rate(pop, 0.05).unwrap_err().to_string();
    assert!(err.contains("nearest valid value is 0.1 ms"), "{err}");
    b.record_rate(pop, 0.3).unwrap();
    let slice = NeuronSelection::Slice {
        start: 0,
        stop: 101,
        step: 1,
    };
    let err = b
        .record_spike_selection(pop, SpikeRecording::neurons(slice))
        .unwrap_err()
        .to_string();
    assert!(err.contains("stop <= 100"), "{err}");
    let list = NeuronSelection::List(vec![5, 2]);
    let err = b
        .record_spike_selection(pop, SpikeRecording::neurons(list))
        .unwrap_err()
        .to_string();
    assert!(err.contains("increasing order"), "{err}");
    b.record_spike_selection(pop, SpikeRecording::neurons(NeuronSelection::List(vec![2, 5])))
        .unwrap();
}

#[test]
fn probe_intervals_off_the_time_step_are_refused_naming_the_nearest_valid_ones() {
    for (interval, nearest) in [
        ("0.15 ms", "0.1 ms and 0.2 ms"),
        ("0.05 ms", "nearest valid value is 0.1 ms"),
    ] {
        let text = format!(
            "{SMALL}\n[[record.state]]\npopulation = \"exc\"\nvariable = \"v\"\nneurons = \"0:4\"\ninterval = \"{interval}\"\n"
        );
        let msg = error_with(&text, &[]);
        assert!(
            msg.contains("record.state[0].interval") && msg.contains(nearest),
            "{msg}"
        );
    }
    let msg = error_with(&format!("{SMALL}\n[record]\nspikes = [\"exc[0:500]\"]\n"), &[]);
    assert!(msg.contains("record.spikes[0]") && msg.contains("400"), "{msg}");
    let msg = error_with(&format!("{SMALL}\n[record]\nspikes = [\"exc[a:b]\"]\n"), &[]);
    assert!(msg.contains("'a' is not a neuron index"), "{msg}");
}

#[test]
fn overrides_set_any_key_with_the_files_checks_and_name_themselves_in_errors() {
    let set = |k: &str, v: &str| Override::new(k, v);
    let file = modelfile::parse_with(
        SMALL,
        "m.toml",
        &[
            set("population.exc.params.tau_m", "10 ms"),
            set("projection.inh->exc.weight", "-2 mV"),
            set("duration", "50 ms"),
        ],
    )
    .unwrap();
    let text = spikegpu::app::resolved::describe(&file);
    assert!(
        text.contains("params.tau_m                    = 10 ms\n"),
        "{text}"
    );
    assert!(text.contains("weight       = -2 mV"), "{text}");
    assert_eq!(file.duration_ms, Some(50.0));
    let msg = error_with(SMALL, &[set("population.exc.params.tau_m", "-5 ms")]);
    assert!(
        msg.contains("--set 'population.exc.params.tau_m=-5 ms'") && msg.contains("> 0 (ms)"),
        "{msg}"
    );
    let msg = error_with(SMALL, &[set("population.pyr.size", "10")]);
    assert!(
        msg.contains("population.pyr") && msg.contains("0 (exc), 1 (inh)"),
        "{msg}"
    );
    // The same through the command line: exit 2, naming the override.
    let dir = scratch("overrides");
    let path = model_file(&dir, SMALL);
    let (code, _, stderr) = spikegpu(&[
        "validate",
        path.to_str().unwrap(),
        "--set",
        "population.exc.params.tau_m=abc",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("population.exc.params.tau_m") && stderr.contains("abc"),
        "{stderr}"
    );
    let (code, stdout, stderr) = spikegpu(&["validate", "--print", path.to_str().unwrap(), "--seed", "9"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("(default)") && stdout.contains("seed 9"),
        "{stdout}"
    );
}

#[test]
fn separate_seeds_change_only_their_part_and_one_seed_sets_all_three() {
    let run = |seed: &str| {
        let overrides = [
            Override::new("seed", seed),
            Override::new("record.spikes", "[\"all\"]"),
        ];
        let file = modelfile::parse_with(SMALL, "m.toml", &overrides).unwrap();
        let mut sim = Simulator::new(&file.network, Backend::Cpu).unwrap();
        sim.run_ms(50.0).unwrap();
        let ids = file.network.population_ids();
        let weights = sim.weights(file.network.projection_ids()[0]).unwrap();
        let v0 = {
            let fresh = Simulator::new(&file.network, Backend::Cpu).unwrap();
            fresh.membrane_potentials(ids[0]).unwrap()
        };
        (sim.spike_records().to_vec(), weights.weights, weights.post, v0)
    };
    let single = run("7");
    assert_eq!(single, run("{ connectivity = 7, initial = 7, inputs = 7 }"));
    let inputs = run("{ connectivity = 7, initial = 7, inputs = 8 }");
    assert_eq!(
        (&inputs.1, &inputs.2, &inputs.3),
        (&single.1, &single.2, &single.3)
    );
    assert_ne!(inputs.0, single.0, "other input noise, other spikes");
    let initial = run("{ connectivity = 7, initial = 8, inputs = 7 }");
    assert_eq!((&initial.1, &initial.2), (&single.1, &single.2));
    assert_ne!(initial.3, single.3, "other initial potentials");
    let connectivity = run("{ connectivity = 8, initial = 7, inputs = 7 }");
    assert_ne!(connectivity.2, single.2, "other synapses");
    assert_eq!(connectivity.3, single.3);
    let msg = error_with(SMALL, &[Override::new("seed", "{ network = 1 }")]);
    assert!(msg.contains("connectivity = 1, initial = 2, inputs = 3"), "{msg}");
}

#[test]
fn common_mistakes_get_messages_without_rust_type_names() {
    let pop = |extra: &str| {
        format!(
            "dt = \"0.1 ms\"\n[[population]]\nname = \"s\"\nsize = 2\nmodel = \"spike_source\"\n{extra}\n"
        )
    };
    let lif = |extra: &str| {
        format!("dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nsize = 3\nmodel = \"lif\"\n{extra}\n")
    };
    let cases = [
        (
            pop("spike_times = [[1.0], [2.0]]"),
            "spike_times_ms = [[t1, t2], [t3]]",
        ),
        (pop("params = { times = [1.0] }"), "spike_times_ms"),
        (
            lif("params = { tau_m = [\"10 ms\"] }"),
            "a number in ms (20) or a quantity",
        ),
        (
            lif("params = { tau_m = { gamma = 1 } }"),
            "is a table; it takes a number",
        ),
        (lif("init = { v = { gamma = 1 } }"), "{ uniform = [low, high] }"),
        (lif("").replace("size = 3", "size = \"3\""), "whole number"),
        (
            format!(
                "{SMALL}\n[[projection]]\npre = \"exc\"\npost = \"exc\"\nconnectivity = {{ rule = \"fixed_probability\", p = 0.1 }}\nweight = [1, 2]\ndelay = \"1 ms\"\nreceptor = \"excitatory\"\n"
            ),
            "projection[2].weight",
        ),
        (
            format!("{SMALL}\n[record]\nspikes = [5]\n"),
            "an entry is a number",
        ),
        (
            format!("{SMALL}\n[record]\nspikes = [{{ population = \"exc\", from = 1 }}]\n"),
            "start = \"100 ms\"",
        ),
    ];
    for (text, want) in cases {
        let msg = error_with(&text, &[]);
        assert!(msg.contains(want), "wanted '{want}' in: {msg}");
        for rust in [
            "untagged", "enum", "struct", "Raw", "u32", "f64", "sequence", "Vec<",
        ] {
            assert!(!msg.contains(rust), "'{rust}' in: {msg}");
        }
    }
    // Per-neuron values may carry units.
    let text = lif("per_neuron = { v_thresh = [\"-50 mV\", \"-0.051 V\", -52] }");
    if let Err(e) = modelfile::parse(&text, "m.toml", None) {
        panic!("{e}");
    }
}

#[test]
fn sweep_runs_every_point_in_one_process_with_a_table_matching_single_runs() {
    let dir = scratch("sweep");
    let path = model_file(&dir, SMALL);
    let out = dir.join("out");
    let (code, stdout, stderr) = spikegpu(&[
        "sweep",
        path.to_str().unwrap(),
        "--set-values",
        "population.exc.params.tau_m=10 ms,20 ms",
        "--seeds",
        "1..2",
        "--backend",
        "cpu",
        "--jobs",
        "2",
        "--duration-ms",
        "50",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("wrote 4 points"), "{stdout}");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[0].starts_with("point,population.exc.params.tau_m,seed,spikes,rate_hz"),
        "{csv}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    let rows = json["points"].as_array().expect("points");
    assert_eq!(rows.len(), 4);
    // Point 3 (20 ms, seed 2) is what a single run with the same overrides gives.
    let single = dir.join("single");
    let (code, _, stderr) = spikegpu(&[
        "run",
        path.to_str().unwrap(),
        "--set",
        "population.exc.params.tau_m=20 ms",
        "--seed",
        "2",
        "--backend",
        "cpu",
        "--duration-ms",
        "50",
        "--out",
        single.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(single.join("summary.json")).unwrap()).unwrap();
    let hash = summary["spike_hash"].as_str().unwrap();
    assert!(lines[4].contains(hash), "{} vs {hash}", lines[4]);
    assert!(out.join("point003").join("summary.json").exists());
    let point: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("point003/summary.json")).unwrap()).unwrap();
    assert_eq!(point["spike_hash"], summary["spike_hash"]);
}

#[test]
fn run_writes_selected_spikes_rates_connections_positions_and_their_plots() {
    let dir = scratch("exports");
    let text = SMALL.replace(
        "size = 100\nmodel",
        "size = 100\npositions = { grid = [10, 10], spacing = 10.0 }\nmodel",
    );
    let text = format!(
        "{text}\n[record]\nspikes = [\"exc[::10]\"]\nrates = [\"exc\", \"inh\"]\nrate_bin = \"5 ms\"\nconnections = [\"exc->inh\"]\npositions = true\n"
    );
    let path = model_file(&dir, &text);
    let out = dir.join("out");
    let (code, _, stderr) = spikegpu(&[
        "run",
        path.to_str().unwrap(),
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let file = modelfile::parse(&text, "m.toml", None).unwrap();
    let mut sim = Simulator::new(&file.network, Backend::Cpu).unwrap();
    sim.run_ms(100.0).unwrap();
    let synapses = sim
        .weights(file.network.projection_ids()[0])
        .unwrap()
        .weights
        .len();
    for part in ["pre", "post", "weight", "delay_ms"] {
        assert_eq!(
            npy_len(&out.join(format!("connections_exc_inh_{part}.npy"))),
            synapses,
            "{part}"
        );
    }
    assert_eq!(npy_len(&out.join("positions_inh.npy")), 300);
    assert_eq!(npy_len(&out.join("rate_exc.npy")), 20);
    assert_eq!(
        npy_len(&out.join("spikes_exc_neurons.npy")),
        sim.spike_records().len()
    );
    for png in ["raster.png", "rates.png"] {
        assert!(out.join(png).exists(), "{png}");
    }
    assert!(
        !out.join("spikes_inh_neurons.npy").exists(),
        "inh is not recorded"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["populations"][0]["recorded_neurons"], 40);
    assert_eq!(summary["unrecorded_populations"][0]["name"], "inh");
}

#[test]
fn gpu_keys_inputs_and_initial_state_with_their_own_seeds_as_the_cpu_does() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let text = format!(
        "{SMALL}\n[[current]]\ntarget = \"inh\"\nnoise_mean = \"0.5 mV\"\nnoise_std = \"2 mV\"\n\n[record]\nspikes = [\"all\"]\n"
    );
    let seeds = Override::new("seed", "{ connectivity = 3, initial = 4, inputs = 5 }");
    let file = modelfile::parse_with(&text, "m.toml", &[seeds]).unwrap();
    let run = |backend| {
        let mut sim = Simulator::new(&file.network, backend).unwrap();
        sim.run_ms(60.0).unwrap();
        sim.spike_records().to_vec()
    };
    let cpu = run(Backend::Cpu);
    assert!(cpu.len() > 100, "the network fires");
    assert_eq!(run(Backend::Gpu), cpu);
}

#[test]
fn fi_curve_sweep_matches_nest_iaf_psc_delta_within_one_spike() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tests/data/fi_nest.json")).unwrap())
            .unwrap();
    let out = scratch("fi-curve");
    let model = root.join("examples/models/fi-curve.toml");
    let (code, stdout, stderr) = spikegpu(&[
        "sweep",
        model.to_str().unwrap(),
        "--set-values",
        "current.neuron.dc=16..35:1",
        "--backend",
        "cpu",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("wrote 20 points"), "{stdout}");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let (dc, spikes) = (
        header.iter().position(|h| *h == "current.neuron.dc").unwrap(),
        header.iter().position(|h| *h == "spikes").unwrap(),
    );
    let mut compared = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let want = reference["counts_by_dc_mv"][cells[dc]]
            .as_i64()
            .expect("NEST count");
        let got: i64 = cells[spikes].parse().unwrap();
        assert!(
            (got - want).abs() <= 1,
            "dc {} mV: {got} spikes, NEST {want}",
            cells[dc]
        );
        compared += 1;
    }
    assert_eq!(compared, 20);
}

#[test]
fn reference_document_lists_every_parameter_of_every_model_and_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/model-files.md");
    let generated = spikegpu::app::reference::model_files_markdown();
    if std::env::var_os("SPIKEGPU_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    for spec in spikegpu::neurons::BUILTIN.iter() {
        assert!(
            generated.contains(&format!("## `model = \"{}\"`", spec.name)),
            "{}",
            spec.name
        );
        for p in spec.params.iter() {
            assert!(
                generated.contains(&format!("| `{}` |", p.name)),
                "{}.{}",
                spec.name,
                p.name
            );
        }
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == generated,
        "docs/model-files.md is out of date: regenerate it with SPIKEGPU_BLESS=1 cargo test --release --test suite reference"
    );
}
