//! `spikegpu run` end to end on a shipped model, and its bad-input exit codes.

use crate::common;

use common::spikegpu;

use std::path::Path;

/// Parses a version 1.0 `.npy` file: returns (descr, shape, payload bytes).
fn read_npy(path: &Path) -> (String, Vec<usize>, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00", "{}: magic", path.display());
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + len) % 64, 0, "header padded to 64 bytes");
    let header = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
    assert!(
        header.ends_with('\n') && header.contains("'fortran_order': False"),
        "{header}"
    );
    let descr = header
        .split("'descr': '")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let shape_text = header
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let shape: Vec<usize> = shape_text
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let payload = bytes[10 + len..].to_vec();
    let item = match descr.as_str() {
        "<f8" => 8,
        "<f4" | "<u4" => 4,
        other => panic!("unexpected dtype {other}"),
    };
    assert_eq!(
        payload.len(),
        shape.iter().product::<usize>() * item,
        "{}: payload size",
        path.display()
    );
    (descr, shape, payload)
}

#[test]
fn run_writes_every_output_and_they_agree_with_the_summary() {
    let dir = std::env::temp_dir().join(format!("spikegpu-run-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models/cuba.toml");
    let (code, stdout, stderr) = run_model(
        &model,
        "cpu",
        &["--out", dir.to_str().unwrap(), "--duration-ms", "200"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("wrote") && stdout.contains("summary.json"),
        "{stdout}"
    );
    assert!(
        !stderr.contains('%'),
        "no progress bar when stderr is not a terminal: {stderr}"
    );

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["model"], "cuba");
    assert_eq!(summary["ticks"], 2000);
    let mut total = 0u64;
    for pop in summary["populations"].as_array().unwrap() {
        let name = pop["name"].as_str().unwrap();
        let (descr, shape, payload) = read_npy(&dir.join(format!("spikes_{name}_times_ms.npy")));
        assert_eq!(descr, "<f8");
        let times: Vec<f64> = payload
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        let (descr, shape_n, payload) = read_npy(&dir.join(format!("spikes_{name}_neurons.npy")));
        assert_eq!(descr, "<u4");
        assert_eq!(shape, shape_n);
        let neurons: Vec<u32> = payload
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(
            shape[0] as u64,
            pop["spikes"].as_u64().unwrap(),
            "{name}: npy count = summary count"
        );
        assert!(times.iter().all(|&t| (0.0..200.0).contains(&t)) && times.windows(2).all(|w| w[0] <= w[1]));
        assert!(
            neurons
                .iter()
                .all(|&n| u64::from(n) < pop["neurons"].as_u64().unwrap())
        );
        total += shape[0] as u64;
    }
    assert_eq!(total, summary["spikes"].as_u64().unwrap());
    assert!(total > 1000, "CUBA fires");

    // The probe: exc v of 4 neurons every 0.5 ms over 200 ms.
    let (descr, shape, payload) = read_npy(&dir.join("state_exc_v.npy"));
    assert_eq!((descr.as_str(), shape.as_slice()), ("<f4", &[400usize, 4][..]));
    let v: Vec<f32> = payload
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    // After every tick v is at or below threshold (a crossing resets it), and inhibition keeps
    // it within tens of mV below reset.
    assert!(
        v.iter().all(|&x| x <= -50.0 && x > -100.0),
        "membrane potentials {:?}",
        &v[..8]
    );
    assert!(v.iter().any(|&x| x != v[0]), "v changes over time");
    let (_, shape, _) = read_npy(&dir.join("state_exc_v_times_ms.npy"));
    assert_eq!(shape, vec![400]);

    let img = image::open(dir.join("raster.png")).expect("raster.png decodes");
    assert_eq!((img.width(), img.height()), (1200, 800));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn validate_accepts_every_shipped_model() {
    // `validate` plans the whole network: the full-scale microcircuit (3e8 synapses) takes
    // minutes and gigabytes, so it is validated by hand (BENCHMARKS.md) and its description
    // is checked against the builder in tests/model_files.rs.
    for name in spikegpu::networks::FILE_MODELS
        .iter()
        .filter(|n| !spikegpu::networks::LARGE_MODELS.contains(n))
    {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/models/{name}.toml"));
        let (code, stdout, stderr) = spikegpu(&["validate", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(stdout.contains("valid"), "{stdout}");
    }
}

/// `spikegpu run MODEL --backend BACKEND EXTRA...`: exit code, stdout, stderr.
fn run_model(model: &Path, backend: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["run", model.to_str().unwrap(), "--backend", backend];
    args.extend_from_slice(extra);
    spikegpu(&args)
}

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("spikegpu-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn bad_model_files_exit_2_with_a_readable_message() {
    let minimal = "dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nsize = 10\nmodel = \"lif\"\n";
    let cases = [
        (
            "malformed.toml",
            "dt = \"0.1 ms\"\n[[population]\n".to_string(),
            ":2:",
        ),
        (
            "unknown.toml",
            format!("{minimal}flavour = 1\n"),
            "unknown field `flavour`",
        ),
        (
            "unit.toml",
            format!("{minimal}params = {{ v_rest = \"5 ms\" }}\n"),
            "unknown unit 'ms'",
        ),
        (
            "missing.toml",
            "dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nmodel = \"lif\"\n".to_string(),
            "missing field `size`",
        ),
        (
            "ref.toml",
            format!(
                "{minimal}[[poisson]]\ntarget = \"nope\"\nrate = \"5 Hz\"\nweight = 1\nreceptor = \"excitatory\"\n"
            ),
            "no population of that name",
        ),
        (
            "duration.toml",
            format!("duration = \"-1 s\"\n{minimal}"),
            "positive time",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write_temp(name, &text);
        for cmd in ["validate", "run"] {
            let (code, _, stderr) = spikegpu(
                &[
                    cmd,
                    path.to_str().unwrap(),
                    "--out",
                    std::env::temp_dir().to_str().unwrap(),
                ][..if cmd == "run" { 4 } else { 2 }],
            );
            assert_eq!(code, 2, "{cmd} {name}: {stderr}");
            assert!(stderr.contains(expected), "{cmd} {name}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
        let _ = std::fs::remove_file(path);
    }
    let (code, _, stderr) = spikegpu(&["run", "/nonexistent/model.toml"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot read model file"), "{stderr}");
}

#[test]
fn an_unwritable_output_directory_exits_2_before_running() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models/cuba.toml");
    // A path under a regular file cannot be created, even as root.
    let file = write_temp("not-a-dir", "x");
    let out = file.join("sub");
    let (code, _, stderr) = run_model(&model, "cpu", &["--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not writable"), "{stderr}");
    let _ = std::fs::remove_file(file);
    let (code, _, stderr) = run_model(&model, "cpu", &["--duration-ms", "-5"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("duration_ms"), "{stderr}");
}

#[test]
fn a_plastic_model_writes_weights_snapshots_and_the_weight_histogram() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models/stdp.toml");
    let text = std::fs::read_to_string(model)
        .unwrap()
        .replace("weight_interval = \"10 s\"", "weight_interval = \"0.5 s\"");
    let path = write_temp("stdp-short.toml", &text);
    let dir = std::env::temp_dir().join(format!("spikegpu-stdp-run-{}", std::process::id()));
    let (code, _, stderr) = run_model(
        &path,
        "cpu",
        &["--out", dir.to_str().unwrap(), "--duration-ms", "2000"],
    );
    assert_eq!(code, 0, "{stderr}");
    let (_, shape, _) = read_npy(&dir.join("weights_projection0_snapshots.npy"));
    assert_eq!(shape, vec![4, 1000]);
    let (_, shape, payload) = read_npy(&dir.join("weights_projection0_snapshots_times_ms.npy"));
    assert_eq!(shape, vec![4]);
    let times: Vec<f64> = payload
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(times, vec![500.0, 1000.0, 1500.0, 2000.0]);
    let (_, initial_shape, initial) = read_npy(&dir.join("weights_projection0_initial.npy"));
    let (_, _, last) = read_npy(&dir.join("weights_projection0_final.npy"));
    assert_eq!(initial_shape, vec![1000]);
    assert_ne!(initial, last, "STDP changed the weights");
    let img = image::open(dir.join("weights.png")).expect("weights.png decodes");
    assert_eq!((img.width(), img.height()), (900, 500));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(path);
}

/// `spikegpu run --generate-on-device`: a fixed-total model file runs with its synapses
/// generated on the GPU (the summary counts them, with compact storage's bytes per synapse);
/// on the CPU backend the flag is refused with exit code 2.
#[test]
fn run_generates_fixed_total_connectivity_on_the_device() {
    if common::gpu().is_none() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("spikegpu-run-gen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("total.toml");
    std::fs::write(
        &model,
        "dt = \"0.1 ms\"\nduration = \"200 ms\"\n\
         [[population]]\nname = \"a\"\nsize = 500\nmodel = \"lif\"\n\
         [[projection]]\npre = \"a\"\npost = \"a\"\nconnectivity = { rule = \"fixed_total\", n = 20000 }\n\
         weight = { normal = { mean = \"0.5 mV\", std = \"0.05 mV\", low = \"0 mV\", high = \"1 mV\" } }\n\
         delay = { normal = { mean = \"1.5 ms\", std = \"0.5 ms\", low = \"0.1 ms\", high = \"4 ms\" } }\nreceptor = \"excitatory\"\n\
         [[poisson]]\ntarget = \"a\"\nrate = \"2 kHz\"\nweight = \"0.5 mV\"\nreceptor = \"excitatory\"\n",
    )
    .unwrap();
    let out = dir.join("out");
    let (code, stdout, stderr) = run_model(
        &model,
        "gpu",
        &["--generate-on-device", "--out", out.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["synapses"], 20000, "{summary}");
    let bytes = summary["bytes_per_synapse"].as_f64().unwrap();
    // A word and a 9-bit target (500 neurons) per synapse, and 501 row pointers.
    let expected = 4.0 + 9.0 / 8.0 + 4.0 * 501.0 / 20000.0;
    assert!(
        (bytes - expected).abs() < 1e-9,
        "{bytes} bytes per synapse, not {expected}"
    );
    assert!(summary["spikes"].as_u64().unwrap() > 0);
    let (code, _, stderr) = run_model(
        &model,
        "cpu",
        &["--generate-on-device", "--out", out.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("generate_on_device"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Neuromodulator pulses off the sampling grid: `spikegpu run` splits the run at the pulse
/// (275 ms) and still takes every weight snapshot (every 100 ms) and state sample (every
/// 50 ms) on its tick, and the pulse moves the reward-modulated weights.
#[test]
fn pulses_off_the_sampling_grid_keep_every_snapshot_and_sample() {
    let dir = std::env::temp_dir().join(format!("spikegpu-run-pulse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("pulse.toml");
    std::fs::write(
        &model,
        "dt = \"1 ms\"\nduration = \"1 s\"\n\
         [[population]]\nname = \"a\"\nsize = 50\nmodel = \"izhikevich\"\npreset = \"RS\"\n\
         [[neuromodulator]]\nchannel = \"global\"\ntau = \"200 ms\"\npulses = [[\"275 ms\", 50.0]]\n\
         [[projection]]\npre = \"a\"\npost = \"a\"\nconnectivity = { rule = \"fixed_outdegree\", k = 10 }\n\
         weight = 1.0\ndelay = \"1 ms\"\nreceptor = \"excitatory\"\n\
         plasticity = { rule = \"pair\", a_plus = 0.05, a_minus = 0.05, w_max = 4.0, modulation = { tau_eligibility = \"1 s\" } }\n\
         [[current]]\ntarget = \"a\"\nnoise_mean = 5\nnoise_std = 5\n\
         [record]\nweight_interval = \"100 ms\"\n\
         [[record.state]]\npopulation = \"a\"\nvariable = \"v\"\nneurons = [0]\ninterval = \"50 ms\"\n",
    )
    .unwrap();
    let out = dir.join("out");
    let (code, stdout, stderr) = run_model(&model, "cpu", &["--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let times = |name: &str| -> Vec<f64> {
        let (_, _, payload) = read_npy(&out.join(name));
        payload
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    };
    let expected: Vec<f64> = (1..=10).map(|k| 100.0 * f64::from(k)).collect();
    assert_eq!(times("weights_projection0_snapshots_times_ms.npy"), expected);
    let expected: Vec<f64> = (1..=20).map(|k| 50.0 * f64::from(k)).collect();
    assert_eq!(times("state_a_v_times_ms.npy"), expected);
    let (_, shape, snaps) = read_npy(&out.join("weights_projection0_snapshots.npy"));
    assert_eq!(shape, vec![10, 500]);
    let snapshot = |k: usize| &snaps[k * 2000..(k + 1) * 2000];
    assert_ne!(
        snapshot(2),
        snapshot(3),
        "the pulse at 275 ms moves the weights by 400 ms"
    );
    assert_eq!(
        snapshot(0),
        snapshot(1),
        "no neuromodulator, no change before the pulse"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
