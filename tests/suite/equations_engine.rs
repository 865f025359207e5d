//! User-defined models in the engine: the shipped definitions of LIF, Izhikevich and AdEx
//! (`examples/models/neuron_models/`) used as populations of whole networks give the same
//! spikes as the built-in models on the CPU backend, and model files declare and use them.

use spikegpu::equations::{ModelDefinition, parse_model_file};
use spikegpu::model::{
    Connectivity, DelayDist, InitialValue, Network, NetworkBuilder, NeuronModel, Receptor, WeightDist,
};
use spikegpu::neurons::{AdExPattern, EquationNeuron};
use spikegpu::plan::layout::SpikeRecord;
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
fn cpu_spikes(net: &Network, ms: f64) -> Vec<SpikeRecord> {
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

fn assert_same_spikes(builtin: &[SpikeRecord], ours: &[SpikeRecord], min: usize) {
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
