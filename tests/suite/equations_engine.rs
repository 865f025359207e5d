//! User-defined models in the engine: the shipped definitions of LIF, Izhikevich and AdEx
//! (`examples/models/neuron_models/`) used as populations of whole networks give the same
//! spikes as the built-in models on the CPU backend, model files declare and use them, and
//! the GPU backend runs them as the CPU does (bit for bit where the model uses only correctly
//! rounded operations).

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
    let exc = b.population("exc", 400, model.clone(), v0.clone()).unwrap();
    let inh = b.population("inh", 100, model, v0.clone()).unwrap();
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

/// Every spike of `net` on the GPU backend over `ms`, and the state read back at the end.
fn gpu_run(net: &Network, ms: f64) -> (Vec<Spike>, Vec<spikegpu::plan::layout::NeuronState>) {
    let mut sim = Simulator::new(net, Backend::Gpu).unwrap();
    sim.run_ms(ms).unwrap();
    (sim.spike_records().to_vec(), sim.pull_state().unwrap())
}

/// The CPU backend's spikes and state after `ms`.
fn cpu_run(net: &Network, ms: f64) -> (Vec<Spike>, Vec<spikegpu::plan::layout::NeuronState>) {
    let mut sim = Simulator::new(net, Backend::Cpu).unwrap();
    sim.run_ms(ms).unwrap();
    (sim.spike_records().to_vec(), sim.pull_state().unwrap())
}

/// Spikes and the state read back (what probes sample) identical on both backends.
fn assert_gpu_equals_cpu(net: &Network, ms: f64, min_spikes: usize) {
    let (gpu_spikes, gpu_state) = gpu_run(net, ms);
    let (cpu_spikes, cpu_state) = cpu_run(net, ms);
    assert_same_spikes(&cpu_spikes, &gpu_spikes, min_spikes);
    if let Some(i) = cpu_state.iter().zip(&gpu_state).position(|(a, b)| a != b) {
        panic!(
            "state of neuron {i}: cpu {:?} gpu {:?}",
            cpu_state[i], gpu_state[i]
        );
    }
}

#[test]
fn cuba_equations_on_the_gpu_spikes_as_on_the_cpu_and_as_the_builtin_cuba() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let (builtin, ours) = (load("cuba"), load("cuba_equations"));
    assert_gpu_equals_cpu(&ours.network, 200.0, 1000);
    let (gpu_spikes, _) = gpu_run(&ours.network, 200.0);
    assert_same_spikes(&cpu_spikes(&builtin.network, 200.0), &gpu_spikes, 1000);
    // The probed variables (v, I_e) live in the state read back, equal on both backends.
    let fields: Vec<_> = ours.probes.iter().map(|p| p.field).collect();
    assert_eq!(fields.len(), 2);
}

#[test]
fn the_izhikevich_equations_network_on_the_gpu_spikes_exactly_as_on_the_cpu() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let net = networks::izhikevich(3, 1.0).unwrap();
    let ours = with_models(&net, |i| {
        let abcd = net.populations[i].izhikevich_per_neuron.clone().unwrap();
        let column = |k: usize| abcd.iter().map(|r| r[k]).collect::<Vec<f64>>();
        let model = ["a", "b", "c", "d"]
            .iter()
            .enumerate()
            .try_fold(
                EquationNeuron::new(definition("izhikevich")).unwrap(),
                |m, (k, name)| m.per_neuron(name, column(k)),
            )
            .unwrap();
        assert!(model.compiled().is_bit_exact());
        NeuronModel::Equation(model)
    });
    assert_gpu_equals_cpu(&ours, 300.0, 1000);
}

#[test]
fn the_adex_equations_network_on_the_gpu_fires_as_on_the_cpu_within_two_percent() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let model = EquationNeuron::new(definition("adex")).unwrap();
    // exp() is not correctly rounded in WGSL: trajectories may part after a while.
    assert!(!model.compiled().is_bit_exact());
    let net = adex_network(NeuronModel::Equation(model));
    let (gpu, _) = gpu_run(&net, 300.0);
    let cpu = cpu_spikes(&net, 300.0);
    assert!(cpu.len() > 500, "{} spikes", cpu.len());
    let ratio = gpu.len() as f64 / cpu.len() as f64;
    assert!(
        (0.98..=1.02).contains(&ratio),
        "gpu {} cpu {} spikes",
        gpu.len(),
        cpu.len()
    );
}

/// A LIF neuron with white noise, a threshold drawn per tick with rand(), six synaptic
/// traces (seven variables: the seventh lives in the GPU's extra state buffer) and a
/// per-neuron bias.
fn noisy_seven_variable_model() -> EquationNeuron {
    let def = ModelDefinition::new("seven")
        .equations(
            "dv/dt = (-(v - v_rest) + a1 + a2 + a3 + a4 + a5 + a6 + I_b) / tau_m + sigma * sqrt(2 / tau_m) * xi : mV (unless refractory)
             da1/dt = -a1 / (2 ms) : mV
             da2/dt = -a2 / (3 ms) : mV
             da3/dt = -a3 / (4 ms) : mV
             da4/dt = -a4 / (5 ms) : mV
             da5/dt = -a5 / (6 ms) : mV
             da6/dt = -a6 / (7 ms) : mV",
        )
        .threshold("v > v_thresh + 2 * mV * rand()")
        .reset("v = v_reset + mV * randn()")
        .refractory("2 ms")
        .method("euler")
        .param("tau_m", "20 ms")
        .param("v_rest", "-65 mV")
        .param("v_reset", "-65 mV")
        .param("v_thresh", "-50 mV")
        .param("sigma", "3 mV")
        .param("I_b", "10 mV")
        .input(spikegpu::equations::InputPort::Excitatory, "a6")
        .input(spikegpu::equations::InputPort::Inhibitory, "a1")
        .initial("v", "-65 mV");
    EquationNeuron::new(def)
        .unwrap()
        .per_neuron("I_b", (0..300).map(|i| 8.0 + f64::from(i % 10)).collect())
        .unwrap()
}

#[test]
fn random_numbers_a_seventh_variable_and_per_neuron_parameters_agree_bit_for_bit_on_the_gpu() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let model = noisy_seven_variable_model();
    assert!(model.compiled().is_bit_exact());
    assert_eq!(model.compiled().variables()[6].name, "a6");
    let mut b = NetworkBuilder::new(0.1, 5);
    let pop = b
        .population(
            "p",
            300,
            NeuronModel::Equation(model),
            InitialValue::Uniform {
                low: -65.0,
                high: -50.0,
            },
        )
        .unwrap();
    let conn = Connectivity::FixedProbability {
        p: 0.05,
        autapses: false,
    };
    b.projection(
        pop,
        pop,
        conn,
        WeightDist::Constant(0.5),
        DelayDist::Constant(1.0),
        Receptor::Excitatory,
    )
    .unwrap();
    b.poisson_input(pop, 500.0, -1.0, Receptor::Inhibitory).unwrap();
    let net = b.build().unwrap();
    assert_gpu_equals_cpu(&net, 200.0, 500);
}

/// A network of one population of each shipped definition and of the seven-variable model.
fn one_population_of_each_model() -> Network {
    let mut b = NetworkBuilder::new(0.1, 2);
    for name in ["lif", "lif_cond", "izhikevich", "adex", "qif", "hindmarsh_rose"] {
        let model = NeuronModel::Equation(EquationNeuron::new(definition(name)).unwrap());
        // Hindmarsh-Rose's v is its dimensionless x in mV (rest -1.6).
        let v0 = if name == "hindmarsh_rose" { -1.6 } else { -65.0 };
        b.population(name, 10, model, InitialValue::Constant(v0)).unwrap();
    }
    let seven = NeuronModel::Equation(noisy_seven_variable_model());
    b.population("seven", 300, seven, InitialValue::Constant(-65.0))
        .unwrap();
    b.build().unwrap()
}

#[test]
fn every_population_update_assembled_for_the_gpu_validates_with_naga_without_a_gpu() {
    use spikegpu::gpu::equation_pipeline::equation_update_source;
    let plan = spikegpu::plan::Plan::new(&one_population_of_each_model()).unwrap();
    assert_eq!(plan.equations.len(), 7);
    for eq in &plan.equations {
        let src = equation_update_source(eq, 256);
        spikegpu::equations::wgsl::validate(&src).unwrap_or_else(|e| panic!("{}: {e}", eq.model.name()));
    }
    // The seventh variable is read from and written to the extra state buffer.
    let seven = equation_update_source(&plan.equations[6], 256);
    assert!(seven.contains("eq_extra[0u + i] = s.a6;"), "{seven}");
    // neuron_update skips the neurons these stages advance.
    let update = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders/stages/neuron_update.wgsl"),
    )
    .unwrap();
    let id = spikegpu::neurons::model_id::EQUATION;
    assert!(update.contains(&format!("const MODEL_EQUATION: u32 = {id}u;")));
}

#[test]
fn every_shipped_definition_runs_on_the_gpu_as_on_the_cpu() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let net = one_population_of_each_model();
    let (gpu, _) = gpu_run(&net, 100.0);
    let cpu = cpu_spikes(&net, 100.0);
    assert!(cpu.len() > 100, "{} spikes", cpu.len());
    let ratio = gpu.len() as f64 / cpu.len() as f64;
    assert!(
        (0.98..=1.02).contains(&ratio),
        "gpu {} cpu {} spikes",
        gpu.len(),
        cpu.len()
    );
}

#[test]
fn the_watchdog_names_a_user_defined_model_s_variable_that_overflows_on_both_backends() {
    let Some(_ctx) = crate::common::gpu() else { return };
    // Hindmarsh-Rose started at x = -65: the cubic term overflows at once.
    let mut b = NetworkBuilder::new(0.1, 2);
    let hr = NeuronModel::Equation(EquationNeuron::new(definition("hindmarsh_rose")).unwrap());
    b.population("hr", 10, hr, InitialValue::Constant(-65.0)).unwrap();
    let net = b.build().unwrap();
    let fault = |backend| {
        let mut sim = Simulator::new(&net, backend).unwrap();
        sim.run_ms(1.0).err().map(|e| e.to_string()).unwrap_or_default()
    };
    let (gpu, cpu) = (fault(Backend::Gpu), fault(Backend::Cpu));
    assert!(cpu.contains("hr") && cpu.contains("v"), "{cpu}");
    assert_eq!(gpu, cpu);
}

#[test]
fn auto_runs_user_defined_models_like_any_other_network() {
    let file = load("qif_network");
    let sim = Simulator::new(&file.network, Backend::Auto).unwrap();
    assert!(["cpu", "gpu"].contains(&sim.backend_name()));
}

/// A model of eight variables whose seventh (`ramp`, rising at `k1`) and eighth (`decay`,
/// falling at rate `k2`) have closed forms under Euler's method; only + - * (bit exact).
const EIGHT_VARIABLES: &str = r#"
[[neuron_model]]
name = "eight"
equations = """
dv/dt = -v * k2 : mV
da1/dt = -a1 * k2 : 1
da2/dt = -a2 * k2 : 1
da3/dt = -a3 * k2 : 1
da4/dt = -a4 * k2 : 1
da5/dt = -a5 * k2 : 1
dramp/dt = k1 : 1
ddecay/dt = -decay * k2 : 1
"""
threshold = "v > 100 mV"
method = "euler"
params = { k1 = "0.1 / ms", k2 = "0.2 / ms" }
initial = { decay = 1.0 }
"#;

/// After `ticks` Euler steps of 0.1 ms from `decay0`: (ramp, decay), in f64.
fn eight_closed_form(ticks: i32, decay0: f64) -> (f64, f64) {
    (
        f64::from(ticks) * 0.1 * 0.1,
        decay0 * (1.0 - 0.1 * 0.2f64).powi(ticks),
    )
}

#[test]
fn the_seventh_and_eighth_variables_read_back_as_their_closed_form_on_both_backends() {
    let def = parse_model_file(EIGHT_VARIABLES).unwrap().remove(0);
    let model = EquationNeuron::new(def)
        .unwrap()
        .per_neuron("decay", vec![1.0, 2.0, 4.0])
        .unwrap();
    assert!(model.compiled().is_bit_exact());
    let mut b = NetworkBuilder::new(0.1, 1);
    let pop = b
        .population("p", 3, NeuronModel::Equation(model), InitialValue::Constant(0.0))
        .unwrap();
    let net = b.build().unwrap();
    let read = |backend| {
        let mut sim = Simulator::new(&net, backend).unwrap();
        let before = sim.equation_variable(pop, "decay").unwrap();
        sim.run_ms(10.0).unwrap();
        let ramp = sim.equation_variable(pop, "ramp").unwrap();
        let decay = sim.equation_variable(pop, "decay").unwrap();
        // A mirrored variable reads as the neuron state holds it.
        assert_eq!(
            sim.equation_variable(pop, "v").unwrap(),
            sim.membrane_potentials(pop).unwrap()
        );
        let e = sim.equation_variable(pop, "zz").err().unwrap().to_string();
        assert!(e.contains("zz") && e.contains("ramp, decay"), "{e}");
        (before, ramp, decay)
    };
    let (before, ramp, decay) = read(Backend::Cpu);
    assert_eq!(before, [1.0, 2.0, 4.0]);
    for (k, d0) in [1.0, 2.0, 4.0].into_iter().enumerate() {
        let (r, d) = eight_closed_form(100, d0);
        assert!((f64::from(ramp[k]) - r).abs() < 1e-5, "ramp {} vs {r}", ramp[k]);
        assert!(
            (f64::from(decay[k]) - d).abs() < 1e-5 * d,
            "decay {} vs {d}",
            decay[k]
        );
    }
    let Some(_ctx) = crate::common::gpu() else { return };
    let gpu = read(Backend::Gpu);
    assert_eq!(
        gpu,
        (before, ramp, decay),
        "the GPU reads the same values bit for bit"
    );
}

/// The `f32` values of a `.npy` file written by `spikegpu run`.
fn npy_f32(path: &std::path::Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    let header = 10 + usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    let values = bytes[header..].chunks_exact(4);
    values
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

#[test]
fn a_model_file_probes_the_eighth_variable_of_a_user_defined_model() {
    let dir = std::env::temp_dir().join(format!("spikegpu-eight-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("eight.toml");
    let probe = "[[record.state]]\npopulation = \"p\"\nneurons = [0, 1]\ninterval = \"1 ms\"\nvariable =";
    let text = format!(
        "dt = \"0.1 ms\"\nduration = \"10 ms\"\n{EIGHT_VARIABLES}\n\
         [[population]]\nname = \"p\"\nsize = 2\nmodel = \"eight\"\n\
         per_neuron = {{ decay = [1.0, 3.0] }}\n{probe} \"decay\"\n{probe} \"a1\"\n"
    );
    std::fs::write(&model, &text).unwrap();
    let file = spikegpu::app::modelfile::parse(&text, "eight.toml", None).unwrap();
    use spikegpu::app::modelfile::ProbeField;
    assert_eq!(file.probes[0].field, ProbeField::Equation);
    assert!(matches!(file.probes[1].field, ProbeField::State(_)));
    let run = |backend: &str| {
        let out = dir.join(backend);
        let args = [
            "run",
            model.to_str().unwrap(),
            "--backend",
            backend,
            "--out",
            out.to_str().unwrap(),
        ];
        let (code, stdout, stderr) = crate::common::spikegpu(&args);
        assert_eq!(code, 0, "{stdout}{stderr}");
        npy_f32(&out.join("state_p_decay.npy"))
    };
    let cpu = run("cpu");
    // Ten samples (1 ms apart, from 1 ms) of two neurons.
    let expected: Vec<f64> = (1..=10)
        .flat_map(|ms| [1.0, 3.0].map(|d0| eight_closed_form(10 * ms, d0).1))
        .collect();
    assert_eq!(cpu.len(), expected.len());
    for (x, e) in cpu.iter().zip(&expected) {
        assert!((f64::from(*x) - e).abs() < 1e-5 * e, "{x} vs {e}");
    }
    let e = file_error(
        "[[population]]\nname = \"a\"\nsize = 2\nmodel = \"qif\"\n\
         [[record.state]]\npopulation = \"a\"\nvariable = \"zz\"\nneurons = [0]\ninterval = \"1 ms\"\n",
    );
    assert!(e.contains("known variables of model qif: v, I_syn"), "{e}");
    if crate::common::gpu().is_some() {
        assert_eq!(run("gpu"), cpu, "the GPU's probe values equal the CPU's");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
