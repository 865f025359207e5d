//! User-defined models in the engine: the shipped definitions of LIF, Izhikevich and AdEx
//! (`examples/models/neuron_models/`) used as populations of whole networks give the same
//! spikes as the built-in models on the CPU backend, and model files declare and use them.

use spikegpu::equations::{ModelDefinition, parse_model_file};
use spikegpu::model::{
    Connectivity, DelayDist, InitialValue, Network, NetworkBuilder, NeuronModel, Receptor, WeightDist,
};
use spikegpu::neurons::{AdExPattern, EquationNeuron};
use spikegpu::sim::Spike;
use spikegpu::{Backend, Simulator, networks};

/// The definition in `examples/models/neuron_models/<name>.toml`.
fn definition(name: &str) -> ModelDefinition {
    let path = format!(
        "{}/examples/models/neuron_models/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    parse_model_file(&text).unwrap().remove(0)
}

/// Every spike of `net` on the CPU backend over `ms`.
fn cpu_spikes(net: &Network, ms: f64) -> Vec<Spike> {
    let mut sim = Simulator::new(net, Backend::Cpu).unwrap();
    sim.run_ms(ms).unwrap();
    sim.spike_records().to_vec()
}

/// `net` with every population's model replaced by `model(population index)`.
fn with_models(net: &Network, model: impl Fn(usize) -> NeuronModel) -> Network {
    let mut net = net.clone();
    for (i, p) in net.populations.iter_mut().enumerate() {
        p.model = model(i);
    }
    net
}

fn assert_same_spikes(builtin: &[Spike], ours: &[Spike], min: usize) {
    assert!(builtin.len() >= min, "only {} spikes", builtin.len());
    let first = builtin.iter().zip(ours).position(|(a, b)| a != b);
    assert_eq!(
        (builtin.len(), first),
        (ours.len(), None),
        "spike counts (built-in, equations) and the first difference"
    );
}

#[test]
fn cuba_with_lif_written_as_equations_spikes_exactly_as_the_builtin_lif() {
    let net = networks::cuba(7, 1.0).unwrap();
    let lif = EquationNeuron::new(definition("lif")).unwrap();
    let ours = with_models(&net, |_| NeuronModel::Equation(lif.clone()));
    assert_same_spikes(&cpu_spikes(&net, 200.0), &cpu_spikes(&ours, 200.0), 1000);
    // The state read back: v, I_e, I_i of the equations are the built-in v, syn_e, syn_i.
    let state = |net: &Network| {
        let mut sim = Simulator::new(net, Backend::Cpu).unwrap();
        sim.run_ms(50.0).unwrap();
        sim.pull_state().unwrap()
    };
    let (a, b) = (state(&net), state(&ours));
    assert!(
        a.iter()
            .zip(&b)
            .all(|(a, b)| { (a.v, a.syn_e, a.syn_i, a.refractory) == (b.v, b.u, b.w1, b.refractory) })
    );
}

#[test]
fn the_izhikevich_2003_network_with_izhikevich_as_equations_spikes_exactly_as_the_builtin() {
    let net = networks::izhikevich(3, 1.0).unwrap();
    let ours = with_models(&net, |i| {
        let abcd = net.populations[i].izhikevich_per_neuron.clone().unwrap();
        let column = |k: usize| abcd.iter().map(|r| r[k]).collect::<Vec<f64>>();
        // The built-in u starts at b v (v = -65 mV).
        let u0 = abcd.iter().map(|r| r[1] * -65.0).collect();
        let model = ["a", "b", "c", "d"]
            .iter()
            .enumerate()
            .try_fold(
                EquationNeuron::new(definition("izhikevich")).unwrap(),
                |m, (k, name)| m.per_neuron(name, column(k)),
            )
            .and_then(|m| m.per_neuron("u", u0))
            .unwrap();
        NeuronModel::Equation(model)
    });
    assert_same_spikes(&cpu_spikes(&net, 500.0), &cpu_spikes(&ours, 500.0), 2000);
}

/// Two AdEx populations (adapting parameters) driven by Poisson input and coupled.
fn adex_network(model: NeuronModel) -> Network {
    let mut b = NetworkBuilder::new(0.1, 11);
    let v0 = InitialValue::Uniform {
        low: -70.0,
        high: -55.0,
    };
    let exc = b.population("exc", 400, model.clone(), v0).unwrap();
    let inh = b.population("inh", 100, model, v0).unwrap();
    let conn = Connectivity::FixedProbability {
        p: 0.05,
        autapses: false,
    };
    for (pre, post, w, r) in [
        (exc, exc, 60.0, Receptor::Excitatory),
        (exc, inh, 60.0, Receptor::Excitatory),
        (inh, exc, -150.0, Receptor::Inhibitory),
        (inh, inh, -150.0, Receptor::Inhibitory),
    ] {
        b.projection(
            pre,
            post,
            conn.clone(),
            WeightDist::Constant(w),
            DelayDist::Constant(1.0),
            r,
        )
        .unwrap();
    }
    for pop in [exc, inh] {
        b.poisson_input(pop, 6000.0, 80.0, Receptor::Excitatory).unwrap();
    }
    b.build().unwrap()
}

#[test]
fn an_adex_network_with_adex_as_equations_spikes_exactly_as_the_builtin_adex() {
    let (mut params, _) = AdExPattern::Adapting.params();
    params.refractory_ms = 2.0;
    let builtin = adex_network(NeuronModel::AdEx(params));
    let ours = adex_network(NeuronModel::Equation(
        EquationNeuron::new(definition("adex")).unwrap(),
    ));
    assert_same_spikes(&cpu_spikes(&builtin, 300.0), &cpu_spikes(&ours, 300.0), 500);
}

fn load(name: &str) -> spikegpu::app::modelfile::ModelFile {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models");
    spikegpu::app::modelfile::load(&dir.join(format!("{name}.toml")), None).unwrap()
}

#[test]
fn a_model_file_declaring_lif_as_a_neuron_model_gives_the_spikes_of_the_builtin_cuba_file() {
    let (builtin, ours) = (load("cuba"), load("cuba_equations"));
    assert_same_spikes(
        &cpu_spikes(&builtin.network, 200.0),
        &cpu_spikes(&ours.network, 200.0),
        1000,
    );
    let probes: Vec<&str> = ours.probes.iter().map(|p| p.variable.as_str()).collect();
    assert_eq!(probes, ["v", "I_e"]);
}

#[test]
fn the_qif_network_example_loads_runs_and_probes_its_variables_by_name() {
    let file = load("qif_network");
    let spikes = cpu_spikes(&file.network, 200.0);
    // 4,000 neurons firing tens of spikes per second.
    assert!(spikes.len() > 4000, "{} spikes", spikes.len());
    let mut sim = Simulator::new(&file.network, Backend::Cpu).unwrap();
    sim.run_ms(50.0).unwrap();
    // I_syn (the second variable) is mirrored into `u`: the Poisson drive (1 mV per event at
    // 2 kHz, 5 ms decay) holds it near 10 mV.
    let state = sim.pull_state().unwrap();
    let mean = state[..3200].iter().map(|s| f64::from(s.u)).sum::<f64>() / 3200.0;
    assert!((3.0..30.0).contains(&mean), "mean I_syn {mean} mV");
}

/// A model file with the QIF definition and `populations`.
fn qif_file(populations: &str) -> String {
    let path = format!(
        "{}/examples/models/neuron_models/qif.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let qif = std::fs::read_to_string(path).unwrap();
    format!("dt = \"0.1 ms\"\n{qif}\n{populations}")
}

/// The error of loading [`qif_file`]`(populations)`.
fn file_error(populations: &str) -> String {
    spikegpu::app::modelfile::parse(&qif_file(populations), "m.toml", None)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

#[test]
fn bad_uses_of_a_neuron_model_in_a_file_are_named() {
    let e = file_error(
        "[[population]]\nname = \"a\"\nsize = 2\nmodel = \"qif\"\nparams = { tau_x = \"1 ms\" }\n",
    );
    assert!(
        e.contains("params.tau_x") && e.contains("known parameters of model qif"),
        "{e}"
    );
    let e =
        file_error("[[population]]\nname = \"a\"\nsize = 2\nmodel = \"qif\"\nparams = { tau = \"1 mV\" }\n");
    assert!(e.contains("tau") && e.contains("mV"), "{e}");
    let e =
        file_error("[[population]]\nname = \"a\"\nsize = 2\nmodel = \"qif\"\nper_neuron = { zz = [1, 2] }\n");
    assert!(
        e.contains("per_neuron.zz") && e.contains("not a parameter or state variable"),
        "{e}"
    );
    // List lengths are checked when the network is planned.
    let text = qif_file(
        "[[population]]\nname = \"a\"\nsize = 2\nmodel = \"qif\"\nper_neuron = { tau = [1, 2, 3] }\n",
    );
    let file = spikegpu::app::modelfile::parse(&text, "m.toml", None).unwrap();
    let e = Simulator::new(&file.network, Backend::Cpu)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("per_neuron.tau") && e.contains("one per neuron (2)"),
        "{e}"
    );
    let e = file_error(
        "[[population]]\nname = \"a\"\nsize = 2\nmodel = \"qif\"\nheterogeneity = \"izhikevich2003-excitatory\"\n",
    );
    assert!(
        e.contains("heterogeneity") && e.contains("built-in models only"),
        "{e}"
    );
    let e = file_error("[[neuron_model]]\nname = \"qif\"\nequations = \"dv/dt = -v / (10 ms) : mV\"\n");
    assert!(e.contains("defined twice"), "{e}");
    let e = file_error(
        "[[neuron_model]]\nname = \"bad\"\nequations = \"dv/dt = -v / tau : mV\"\n[[population]]\nname = \"a\"\nsize = 2\nmodel = \"bad\"\n",
    );
    assert!(e.contains("tau"), "an undefined name is reported: {e}");
}

#[test]
fn per_neuron_parameters_and_initial_values_reach_each_neuron() {
    let qif = EquationNeuron::new(definition("qif"))
        .unwrap()
        .per_neuron("I_ext", vec![0.0, 30.0])
        .unwrap()
        .per_neuron("v", vec![-65.0, -60.0])
        .unwrap();
    let mut b = NetworkBuilder::new(0.1, 1);
    b.population("a", 2, NeuronModel::Equation(qif), InitialValue::Constant(-65.0))
        .unwrap();
    let net = b.build().unwrap();
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    assert_eq!(sim.pull_state().unwrap()[1].v, -60.0);
    sim.run_ms(100.0).unwrap();
    let neurons: Vec<u32> = sim.spike_records().iter().map(|r| r.neuron).collect();
    // Only the driven neuron fires; the other rests at v_rest.
    assert!(
        neurons.len() > 3 && neurons.iter().all(|&n| n == 1),
        "{neurons:?}"
    );
    assert_eq!(sim.pull_state().unwrap()[0].v, -65.0);
}

#[test]
fn the_gpu_backend_refuses_a_user_defined_model_with_a_clear_error_and_auto_runs_it_on_the_cpu() {
    let file = load("qif_network");
    let e = Simulator::new(&file.network, Backend::Gpu)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("population 'exc'") && e.contains("'qif'") && e.contains("--backend cpu"),
        "{e}"
    );
    let sim = Simulator::new(&file.network, Backend::Auto).unwrap();
    assert_eq!(sim.backend_name(), "cpu");
}
