//! `conventions = "nest" | "brian2"`: a network ported from NEST or Brian2 gives that
//! simulator's traces and spike times. The references come from the peers themselves:
//! `tests/data/gen_nest_iaf_psc_exp.py` (NEST 3.10, `iaf_psc_exp_nest.json`) and
//! `tests/data/gen_latency_peers.py` (NEST 3.10 and Brian2 2.11, `latency_peers.json`).

use spikegpu::{
    Backend, Connectivity, Conventions, CurrentSynapse, InitialValue, LifParams, Network, NetworkBuilder,
    NeuronModel, NeuronParam, PerNeuron, Receptor, Simulator, WeightDist,
};

use super::common;

fn reference(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// NEST's iaf_psc_exp in spikegpu's mV form: currents scale by tau_m / C_m.
fn iaf_psc_exp(p: &serde_json::Value) -> LifParams {
    let n = |k: &str| p[k].as_f64().unwrap();
    LifParams {
        tau_m_ms: n("tau_m"),
        v_rest_mv: n("E_L"),
        v_reset_mv: n("V_reset"),
        v_thresh_mv: n("V_th"),
        tau_syn_exc_ms: n("tau_syn_ex"),
        tau_syn_inh_ms: n("tau_syn_in"),
        refractory_ms: n("t_ref"),
        synapse: CurrentSynapse::Exponential,
        ..LifParams::default()
    }
}

/// The NEST trace's network: spike generators onto one iaf_psc_exp, under `conventions`.
fn nest_trace_network(r: &serde_json::Value, conventions: Conventions) -> Network {
    let p = &r["params"];
    let mv_per_pa = p["tau_m"].as_f64().unwrap() / p["C_m"].as_f64().unwrap();
    let mut b = NetworkBuilder::new(r["dt_ms"].as_f64().unwrap(), 1);
    b.conventions(conventions);
    let neuron = b
        .population(
            "neuron",
            1,
            NeuronModel::Lif(iaf_psc_exp(p)),
            InitialValue::Constant(p["V_m"].as_f64().unwrap()),
        )
        .unwrap();
    for (times, weight, delay, receptor) in [
        (
            "exc_spike_times_ms",
            "w_exc_pA",
            "delay_exc_ms",
            Receptor::Excitatory,
        ),
        (
            "inh_spike_times_ms",
            "w_inh_pA",
            "delay_inh_ms",
            Receptor::Inhibitory,
        ),
    ] {
        let source = b
            .population(
                times,
                1,
                NeuronModel::SpikeSource {
                    spike_times_ms: vec![numbers(&r[times])],
                },
                InitialValue::Constant(0.0),
            )
            .unwrap();
        b.projection(
            source,
            neuron,
            Connectivity::OneToOne,
            WeightDist::Constant(r[weight].as_f64().unwrap() * mv_per_pa),
            WeightDist::Constant(r[delay].as_f64().unwrap()),
            receptor,
        )
        .unwrap();
    }
    b.build().unwrap()
}

/// The membrane potential after each of `ticks` ticks, and the neuron's spike times.
fn v_trace(net: &Network, backend: Backend, ticks: usize) -> (Vec<f32>, Vec<f64>) {
    let pop = net.population("neuron").unwrap();
    let mut sim = Simulator::new(net, backend).unwrap();
    let mut v = Vec::with_capacity(ticks);
    for _ in 0..ticks {
        sim.run_ticks(1).unwrap();
        v.push(sim.membrane_potentials(pop).unwrap()[0]);
    }
    (v, sim.spikes(pop).unwrap().times_ms)
}

fn assert_times(what: &str, ours: &[f64], theirs: &[f64]) {
    assert_eq!(ours.len(), theirs.len(), "{what}: {ours:?} vs {theirs:?}");
    for (a, b) in ours.iter().zip(theirs) {
        assert!((a - b).abs() < 1e-9, "{what}: {ours:?} vs {theirs:?}");
    }
}

#[test]
fn iaf_psc_exp_trace_equals_nest_under_the_nest_convention() {
    let r = reference("iaf_psc_exp_nest.json");
    let nest_v = numbers(&r["v_mV"]);
    let dt = r["dt_ms"].as_f64().unwrap();
    // NEST samples V at the end of step k, t = (k + 1) dt: spikegpu's v after tick k.
    for (k, t) in numbers(&r["v_times_ms"]).iter().enumerate() {
        assert!((t - (k + 1) as f64 * dt).abs() < 1e-9, "sample {k} at {t} ms");
    }
    let nest_spikes = numbers(&r["spike_times_ms"]);
    assert!(nest_spikes.len() >= 5, "the reference must cross threshold often");

    let net = nest_trace_network(&r, Conventions::Nest);
    let (v, spikes) = v_trace(&net, Backend::Cpu, nest_v.len());
    let worst = v
        .iter()
        .zip(&nest_v)
        .map(|(a, b)| (f64::from(*a) - b).abs())
        .fold(0.0, f64::max);
    eprintln!(
        "iaf_psc_exp vs NEST: {} samples, {} spikes, largest |dv| {worst:.2e} mV",
        v.len(),
        spikes.len()
    );
    assert!(worst < 1e-4, "largest |v - v_NEST| = {worst} mV");
    assert_times("spikes", &spikes, &nest_spikes);

    // spikegpu's own convention holds v one tick shorter and takes input a tick earlier.
    let (own, _) = v_trace(
        &nest_trace_network(&r, Conventions::Spikegpu),
        Backend::Cpu,
        nest_v.len(),
    );
    let own_worst = own
        .iter()
        .zip(&nest_v)
        .map(|(a, b)| (f64::from(*a) - b).abs())
        .fold(0.0, f64::max);
    assert!(
        own_worst > 0.1,
        "the default convention differs from NEST ({own_worst} mV)"
    );

    if let Some(_ctx) = common::gpu() {
        let (gpu_v, gpu_spikes) = v_trace(&net, Backend::Gpu, nest_v.len());
        assert_eq!(gpu_v, v, "GPU trace equals the CPU's bit for bit");
        assert_eq!(gpu_spikes, spikes);
    }
}

/// A (driven above threshold) -> B, delay 2 ms, under `conventions`.
fn latency_network(r: &serde_json::Value, conventions: Conventions) -> Network {
    let n = |k: &str| r[k].as_f64().unwrap();
    let lif = LifParams {
        tau_m_ms: n("tau_m_ms"),
        v_rest_mv: n("v_rest_mv"),
        v_reset_mv: n("v_reset_mv"),
        v_thresh_mv: n("v_thresh_mv"),
        tau_syn_exc_ms: n("tau_syn_ms"),
        tau_syn_inh_ms: n("tau_syn_ms"),
        refractory_ms: n("refractory_ms"),
        synapse: CurrentSynapse::Exponential,
        ..LifParams::default()
    };
    let mut b = NetworkBuilder::new(n("dt_ms"), 1);
    b.conventions(conventions);
    let v0 = InitialValue::Constant(n("v_rest_mv"));
    let a = b
        .population("a", 1, NeuronModel::Lif(lif.clone()), v0.clone())
        .unwrap();
    let bb = b.population("b", 1, NeuronModel::Lif(lif), v0).unwrap();
    b.per_neuron(a, NeuronParam::Bias, PerNeuron::Values(vec![n("drive_mv")]))
        .unwrap();
    b.projection(
        a,
        bb,
        Connectivity::OneToOne,
        WeightDist::Constant(n("weight_mv")),
        WeightDist::Constant(n("delay_ms")),
        Receptor::Excitatory,
    )
    .unwrap();
    b.build().unwrap()
}

/// Spike times of A and B, and the raw spike records.
fn latency_spikes(
    net: &Network,
    backend: Backend,
    ms: f64,
) -> (Vec<f64>, Vec<f64>, Vec<spikegpu::sim::Spike>) {
    let mut sim = Simulator::new(net, backend).unwrap();
    sim.run_ms(ms).unwrap();
    let times = |name: &str| sim.spikes(net.population(name).unwrap()).unwrap().times_ms;
    (times("a"), times("b"), sim.spike_records().to_vec())
}

#[test]
fn two_neuron_latency_gives_each_peers_spike_times_under_its_convention() {
    let r = reference("latency_peers.json");
    let ms = r["duration_ms"].as_f64().unwrap();
    let gpu = common::gpu();
    for (key, conventions) in [("nest", Conventions::Nest), ("brian2", Conventions::Brian2)] {
        let net = latency_network(&r, conventions);
        let (a, b, records) = latency_spikes(&net, Backend::Cpu, ms);
        eprintln!("{key}: A {a:?}, B {b:?}");
        assert_times(&format!("{key} A"), &a, &numbers(&r[key]["a_ms"]));
        assert_times(&format!("{key} B"), &b, &numbers(&r[key]["b_ms"]));
        if gpu.is_some() {
            let (_, _, gpu_records) = latency_spikes(&net, Backend::Gpu, ms);
            assert_eq!(gpu_records, records, "{key}: GPU spikes equal the CPU's");
        }
    }
    // spikegpu's own timing: Brian2's refractory count and stamps, input one tick earlier.
    let (a, b, _) = latency_spikes(&latency_network(&r, Conventions::Spikegpu), Backend::Cpu, ms);
    assert_times("spikegpu A", &a, &numbers(&r["brian2"]["a_ms"]));
    assert_ne!(b.len(), 0);
    let brian2_b = numbers(&r["brian2"]["b_ms"]);
    assert!(
        b.iter().zip(&brian2_b).any(|(x, y)| (x - y).abs() > 1e-9),
        "B without the Brian2 latency: {b:?} vs {brian2_b:?}"
    );
}

#[test]
fn model_files_take_conventions_and_name_the_allowed_words() {
    let text = |word: &str| {
        format!(
            "dt = 0.1\nconventions = \"{word}\"\n[[population]]\nname = \"p\"\nsize = 1\nmodel = \"lif\"\n"
        )
    };
    for c in Conventions::ALL {
        let file = spikegpu::app::modelfile::parse(&text(c.keyword()), "conv.toml", None).unwrap();
        assert_eq!(file.network.conventions, c);
    }
    // The CLI sets it like any top-level key, and `validate --print` shows it.
    let cuba = format!("{}/examples/models/cuba.toml", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = common::spikegpu(&["validate", "--print", &cuba, "--set", "conventions=brian2"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("conventions brian2"), "{out}");
    let err = spikegpu::app::modelfile::parse(&text("neuron"), "conv.toml", None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("conventions") && err.contains("spikegpu, nest, brian2") && err.contains("conv.toml:2"),
        "{err}"
    );
}

#[test]
fn nest_convention_refuses_a_source_spike_before_the_first_step_ends() {
    let mut b = NetworkBuilder::new(0.1, 1);
    b.conventions(Conventions::Nest);
    b.population(
        "src",
        1,
        NeuronModel::SpikeSource {
            spike_times_ms: vec![vec![0.0, 1.0]],
        },
        InitialValue::Constant(0.0),
    )
    .unwrap();
    let err = Simulator::new(&b.build().unwrap(), Backend::Cpu)
        .err()
        .expect("a spike at 0 has no step ending at it")
        .to_string();
    assert!(
        err.contains("spike_times_ms[0][0]") && err.contains(">= dt"),
        "{err}"
    );
}
