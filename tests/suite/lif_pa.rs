//! The current-based LIF in pA (`c_m` or `r_m`, as NEST's `iaf_psc_*` take weights and
//! currents) against NEST 3.10's `iaf_psc_exp` (tests/data/iaf_psc_exp_pa_nest.json, written
//! by scripts/iaf_psc_exp_pa_nest.py): a DC step and excitatory and inhibitory input spikes,
//! below threshold, at every step of 100 ms; and the units checked at load.

use spikegpu::NeuronModel;
use spikegpu::app::modelfile;
use spikegpu::neurons::Dim;
use spikegpu::sim::{Backend, Simulator};

use crate::common;

const DT: f64 = 0.1;

/// The NEST network as a model file, `shift` ms added to the input spikes' times (0: the
/// spike_generator's times, which give NEST's trace here; see the README's Tick semantics for
/// neuron-to-neuron latencies). NEST's dc_generator reaches the neuron through a connection of delay 1 ms, so the
/// step current here starts and stops 1 ms after its start and stop.
fn model_file(membrane: &str, shift: f64) -> String {
    let times = |ts: &[f64]| {
        let list: Vec<String> = ts.iter().map(|t| format!("{:.1}", t + shift)).collect();
        list.join(", ")
    };
    format!(
        "dt = \"{DT} ms\"\nseed = 1\n\
         [[population]]\nname = \"exc\"\nsize = 1\nmodel = \"spike_source\"\nspike_times_ms = [[{}]]\n\
         [[population]]\nname = \"inh\"\nsize = 1\nmodel = \"spike_source\"\nspike_times_ms = [[{}]]\n\
         [[population]]\nname = \"n\"\nsize = 1\nmodel = \"lif\"\n\
         params = {{ {membrane}, tau_m = \"10 ms\", tau_syn_exc = \"2 ms\", tau_syn_inh = \"5 ms\", \
         refractory = \"2 ms\", v_rest = \"-70 mV\", v_reset = \"-70 mV\", v_thresh = \"-55 mV\" }}\n\
         init = {{ v = \"-70 mV\" }}\n\
         [[projection]]\npre = \"exc\"\npost = \"n\"\nconnectivity = {{ rule = \"all_to_all\" }}\n\
         weight = \"400 pA\"\ndelay = \"1 ms\"\nreceptor = \"excitatory\"\n\
         [[projection]]\npre = \"inh\"\npost = \"n\"\nconnectivity = {{ rule = \"all_to_all\" }}\n\
         weight = \"-0.6 nA\"\ndelay = \"1 ms\"\nreceptor = \"inhibitory\"\n\
         [[current]]\ntarget = \"n\"\nstep_times = [\"{:.1} ms\", \"{:.1} ms\"]\nstep_amplitudes = [\"250 pA\", 0]\n",
        times(&[10.0, 30.0, 45.0]),
        times(&[50.0, 85.0]),
        20.0 + 1.0,
        70.0 + 1.0,
    )
}

fn nest_trace() -> (Vec<f64>, Vec<f64>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/iaf_psc_exp_pa_nest.json");
    let data: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let list = |k: &str| -> Vec<f64> {
        data[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    (list("times_ms"), list("v_mv"))
}

/// Largest |v - NEST's V_m| over NEST's samples (each at the end of a step).
fn worst_difference(text: &str, backend: Backend) -> f64 {
    let file = modelfile::parse(text, "pa.toml", None).unwrap();
    let net = file.network;
    let neuron = net.population_ids()[2];
    let (times, want) = nest_trace();
    let mut sim = Simulator::new(&net, backend).unwrap();
    let mut worst = 0.0f64;
    let mut done = 0u64;
    for (t, v_nest) in times.iter().zip(&want) {
        let tick = (t / DT).round() as u64;
        sim.run_ticks(tick - done).unwrap();
        done = tick;
        let v = f64::from(sim.membrane_potentials(neuron).unwrap()[0]);
        if (v - v_nest).abs() > 1e-4 && std::env::var("LIF_PA_DEBUG").is_ok() {
            eprintln!("t {t}: {v} vs NEST {v_nest}");
        }
        worst = worst.max((v - v_nest).abs());
    }
    worst
}

#[test]
fn lif_in_pa_follows_nest_iaf_psc_exp() {
    let start = std::time::Instant::now();
    // Both ways of giving the membrane: c_m = 250 pF, or r_m = tau_m / c_m = 40 MOhm.
    for membrane in ["c_m = \"250 pF\"", "r_m = \"0.04 GOhm\""] {
        let worst = worst_difference(&model_file(membrane, 0.0), Backend::Cpu);
        // f32 state and constants: 1e-4 mV over the 15 mV range of the trace.
        assert!(worst < 1e-4, "{membrane}: largest difference {worst} mV");
        eprintln!("{membrane}: largest difference from NEST {worst:.2e} mV");
    }
    // The comparison sees input spikes one step late.
    let late = worst_difference(&model_file("c_m = \"250 pF\"", DT), Backend::Cpu);
    assert!(late > 0.01, "a one-step shift shows ({late} mV)");
    if common::gpu().is_some() {
        let worst = worst_difference(&model_file("c_m = \"250 pF\"", 0.0), Backend::Gpu);
        assert!(worst < 1e-4, "GPU: largest difference {worst} mV");
    }
    eprintln!("lif pA test: {:.2} s", start.elapsed().as_secs_f64());
}

#[test]
fn pa_units_are_checked_at_load_with_the_field_named() {
    let text = model_file("c_m = \"250 pF\"", 0.0);
    let file = modelfile::parse(&text, "pa.toml", None).unwrap();
    let model = &file.network.populations[2].model;
    assert_eq!(
        (model.weight_unit(), model.current_unit()),
        (Dim::Current, Dim::Current)
    );
    let NeuronModel::Lif(p) = model else { panic!("lif") };
    assert_eq!(p.mv_per_pa(), Some(10.0 / 250.0));
    for (from, to, needle) in [
        ("weight = \"400 pA\"", "weight = \"4 mV\"", "projection[0].weight"),
        ("\"250 pA\", 0", "\"2 mV\", 0", "current[0].step_amplitudes"),
        ("c_m = \"250 pF\"", "c_m = \"250 pA\"", "c_m"),
        ("c_m = \"250 pF\"", "r_m = \"40 mV\"", "r_m"),
        (
            "c_m = \"250 pF\"",
            "c_m = \"250 pF\", r_m = \"40 MOhm\"",
            "not both",
        ),
        (
            "c_m = \"250 pF\"",
            "c_m = \"250 pF\", synapse = \"delta\"",
            "synapse",
        ),
    ] {
        let bad = text.replacen(from, to, 1);
        assert_ne!(bad, text, "{from}");
        let e = modelfile::parse(&bad, "pa.toml", None).expect_err(to).to_string();
        assert!(e.contains(needle), "{to}: {e}");
    }
    // The mV form still takes mV weights and refuses pA.
    let mv = text.replacen("c_m = \"250 pF\", ", "", 1);
    let e = modelfile::parse(&mv, "pa.toml", None)
        .expect_err("pA weight")
        .to_string();
    assert!(e.contains("projection[0].weight"), "{e}");
}
