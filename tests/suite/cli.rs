//! The `spikegpu` command line: output fields, exit codes and error messages.

use crate::common;

use common::spikegpu;

#[test]
fn bench_json_has_every_documented_field() {
    let (code, stdout, stderr) = spikegpu(&[
        "bench",
        "cuba",
        "--backend",
        "cpu",
        "--duration-ms",
        "100",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let line = stdout.lines().next().expect("one JSON line");
    for key in [
        "model",
        "backend",
        "adapter",
        "neurons",
        "synapses",
        "dt_ms",
        "duration_ms",
        "ticks",
        "build_s",
        "run_s",
        "rtf",
        "spikes",
        "rate_hz",
        "cv_isi",
        "syn_events",
        "events_per_s",
        "bytes_per_synapse",
        "spike_hash",
        "populations",
    ] {
        assert!(line.contains(&format!("\"{key}\":")), "missing {key} in {line}");
    }
    assert!(line.contains("\"neurons\":4000"));
    assert!(line.contains("\"ticks\":1000"));
}

#[test]
fn bench_table_is_printed_by_default() {
    let (code, stdout, stderr) = spikegpu(&["bench", "cuba", "--backend", "cpu", "--duration-ms", "50"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("model") && stdout.contains("cuba") && stdout.contains("cpu reference"),
        "{stdout}"
    );
}

#[test]
fn unknown_backend_exits_2_naming_the_allowed_values() {
    let (code, _, stderr) = spikegpu(&["bench", "cuba", "--backend", "cuda"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("cuda") && stderr.contains("gpu, cpu, auto or both"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_duration_scale_and_model_exit_2_with_the_field() {
    for (args, field) in [
        (
            vec!["bench", "cuba", "--backend", "cpu", "--duration-ms", "-5"],
            "duration_ms",
        ),
        (vec!["bench", "cuba", "--backend", "cpu", "--scale", "0"], "scale"),
        (vec!["bench", "nosuchmodel", "--backend", "cpu"], "model"),
        (
            vec!["bench", "stdp", "--backend", "cpu", "--scale", "2"],
            "must be 1 for model stdp",
        ),
    ] {
        let (code, _, stderr) = spikegpu(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(field), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn devices_lists_adapters_without_failing() {
    let (code, stdout, stderr) = spikegpu(&["devices"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.is_empty());
}
