//! The state of user-defined (equation) models between runs: checkpoints save every variable
//! and resume bit for bit on either backend, and bad checkpoints are refused.

use spikegpu::equations::{InputPort, ModelDefinition};
use spikegpu::error::Error;
use spikegpu::model::{
    Connectivity, DelayDist, InitialValue, Network, NetworkBuilder, NeuronModel, PopulationId, Receptor,
    WeightDist,
};
use spikegpu::neurons::EquationNeuron;
use spikegpu::sim::SimOptions;
use spikegpu::{Backend, Simulator};

/// Neurons of the test network.
const N: usize = 120;

/// The names of the eight variables of [`eight_variable_model`].
const VARIABLES: [&str; 8] = ["v", "a1", "a2", "a3", "a4", "a5", "a6", "a7"];

/// A noisy LIF neuron (`xi`, a threshold drawn with `rand()`, a reset with `randn()`), a
/// refractory period, seven synaptic traces (eight variables: two past the sixth) and a
/// per-neuron bias; only correctly rounded operations, so GPU = CPU bit for bit.
fn eight_variable_model(traces: usize) -> EquationNeuron {
    let names = &VARIABLES[1..=traces];
    let sum: Vec<String> = names.iter().map(|a| (*a).to_string()).collect();
    let mut equations = format!(
        "dv/dt = (-(v - v_rest) + {} + I_b) / tau_m + sigma * sqrt(2 / tau_m) * xi : mV (unless refractory)\n",
        sum.join(" + ")
    );
    for (k, a) in names.iter().enumerate() {
        equations.push_str(&format!("d{a}/dt = -{a} / ({} ms) : mV\n", k + 2));
    }
    let def = ModelDefinition::new(&format!("noisy{}", traces + 1))
        .equations(&equations)
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
        .input(InputPort::Excitatory, names[names.len() - 1])
        .input(InputPort::Inhibitory, "a1")
        .initial("v", "-65 mV");
    EquationNeuron::new(def)
        .unwrap()
        .per_neuron("I_b", (0..N).map(|i| 14.0 + (i % 10) as f64).collect())
        .unwrap()
}

/// A recurrent network of [`N`] neurons of `model` with Poisson drive.
fn network(model: EquationNeuron) -> (Network, PopulationId) {
    let mut b = NetworkBuilder::new(0.1, 5);
    let init = InitialValue::Uniform {
        low: -65.0,
        high: -50.0,
    };
    let pop = b
        .population("p", N as u32, NeuronModel::Equation(model), init)
        .unwrap();
    let conn = Connectivity::FixedProbability {
        p: 0.1,
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
    (b.build().unwrap(), pop)
}

/// Every variable of the model of `pop`, by name.
fn variables(sim: &Simulator, pop: PopulationId) -> Vec<Vec<f32>> {
    VARIABLES
        .iter()
        .map(|name| sim.equation_variable(pop, name).unwrap())
        .collect()
}

fn scratch(name: &str) -> std::path::PathBuf {
    crate::common::scratch("eqstate", name)
}

/// Runs `net` for 2 x `half` ticks on `first`, and `half` ticks, a checkpoint and `half`
/// more on `second` in a fresh simulator: the spikes after the checkpoint, the counters, the
/// neuron states and all eight variables agree bit for bit.
fn assert_resume_is_identical(
    net: &Network,
    pop: PopulationId,
    (first, second): (Backend, Backend),
    half: u64,
    what: &str,
) {
    let path = scratch(what).join("state.ckpt");
    let mut whole = Simulator::new(net, first).unwrap();
    whole.run_ticks(2 * half).unwrap();
    let mut before = Simulator::new(net, first).unwrap();
    before.run_ticks(half).unwrap();
    before.save_checkpoint(&path).unwrap();
    drop(before);
    let mut after = Simulator::restore(net, second, SimOptions::default(), &path).unwrap();
    assert_eq!(after.ticks(), half);
    after.run_ticks(half).unwrap();
    let tail: Vec<_> = (whole.spike_records().iter())
        .filter(|s| s.tick >= half)
        .cloned()
        .collect();
    assert!(tail.len() as u64 > half / 5, "{what}: only {} spikes", tail.len());
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
    let (resumed, straight) = (variables(&after, pop), variables(&whole, pop));
    for (k, name) in VARIABLES.iter().enumerate() {
        assert_eq!(resumed[k], straight[k], "{what}: variable {name}");
    }
    // The refractory counters are part of the state: some neuron is refractory at the end.
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn an_eight_variable_noisy_model_resumes_from_a_checkpoint_bit_for_bit_on_the_cpu() {
    let model = eight_variable_model(7);
    assert!(model.compiled().is_bit_exact());
    assert_eq!(model.compiled().variables().len(), 8);
    let (net, pop) = network(model);
    assert_resume_is_identical(&net, pop, (Backend::Cpu, Backend::Cpu), 300, "cpu");
}

#[test]
fn an_eight_variable_noisy_model_resumes_bit_for_bit_on_the_gpu_and_across_backends() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let (net, pop) = network(eight_variable_model(7));
    assert_resume_is_identical(&net, pop, (Backend::Gpu, Backend::Gpu), 150, "gpu");
    assert_resume_is_identical(&net, pop, (Backend::Cpu, Backend::Gpu), 150, "cpu-gpu");
    assert_resume_is_identical(&net, pop, (Backend::Gpu, Backend::Cpu), 150, "gpu-cpu");
}

#[test]
fn corrupt_truncated_and_other_model_checkpoints_of_equation_networks_are_refused() {
    let dir = scratch("bad");
    let (net, _) = network(eight_variable_model(7));
    let good = dir.join("good.ckpt");
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    sim.run_ticks(50).unwrap();
    sim.save_checkpoint(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    assert_eq!(
        u32::from_le_bytes(bytes[13..17].try_into().unwrap()),
        2,
        "format version 2"
    );
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
    // A byte of the equation section, near the end of the payload.
    flipped[bytes.len() - 20] ^= 0x10;
    assert!(refused("flipped", &flipped, &net).contains("checksum"));
    assert!(refused("truncated", &bytes[..bytes.len() - 30], &net).contains("truncated"));
    // Seven variables instead of eight, and the same model with another per-neuron bias.
    let (seven, _) = network(eight_variable_model(6));
    assert!(refused("seven", &bytes, &seven).contains("another network"));
    let other_bias = eight_variable_model(7).per_neuron("I_b", vec![9.0; N]).unwrap();
    let (biased, _) = network(other_bias);
    assert!(refused("bias", &bytes, &biased).contains("another network"));
    // A state whose equation section does not fit is refused by name, not with a panic.
    let mut state = sim.export_state().unwrap();
    state.equations[0].pop();
    let e = sim.import_state(&state).err().unwrap().to_string();
    assert!(e.contains("past the sixth") && e.contains("'p'"), "{e}");
    state.equations.clear();
    let e = sim.import_state(&state).err().unwrap().to_string();
    assert!(e.contains("user-defined models"), "{e}");
    let restored = Simulator::restore(&net, Backend::Cpu, SimOptions::default(), &good).unwrap();
    assert_eq!(restored.ticks(), 50);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The shipped LIF definition (`examples/models/neuron_models/lif.toml`) with its
/// refractory period `refractory` (a duration or a per-neuron parameter's name).
fn lif_equations(refractory: &str) -> ModelDefinition {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/models/neuron_models/lif.toml"
    );
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("refractory = \"5 ms\"", &format!("refractory = \"{refractory}\""))
        .replace("I_ext = \"0 mV\" }", "I_ext = \"0 mV\", t_ref = \"5 ms\" }");
    spikegpu::equations::parse_model_file(&text).unwrap().remove(0)
}

/// A user-defined model for a population of the given size.
type ModelOfSize = fn(usize) -> EquationNeuron;

/// CUBA under NEST's conventions with every population's model replaced by
/// `model(population size)`.
fn nest_cuba(model: Option<ModelOfSize>) -> Network {
    // Half of CUBA's 4,000 neurons, the same in-degree.
    let mut net = spikegpu::networks::cuba(7, 0.5).unwrap();
    net.conventions = spikegpu::model::Conventions::Nest;
    if let Some(model) = model {
        for p in &mut net.populations {
            p.model = NeuronModel::Equation(model(p.size as usize));
        }
    }
    net
}

/// The LIF as equations with a population-wide refractory period.
fn fixed_refractory(_: usize) -> EquationNeuron {
    EquationNeuron::new(lif_equations("5 ms")).unwrap()
}

/// The LIF as equations with a per-neuron refractory period (all 5 ms).
fn per_neuron_refractory(n: usize) -> EquationNeuron {
    EquationNeuron::new(lif_equations("t_ref"))
        .unwrap()
        .per_neuron("t_ref", vec![5.0; n])
        .unwrap()
}

fn spikes_and_state(
    net: &Network,
    backend: Backend,
    ticks: u64,
) -> (
    Vec<spikegpu::sim::Spike>,
    Vec<spikegpu::plan::layout::NeuronState>,
) {
    let mut sim = Simulator::new(net, backend).unwrap();
    sim.run_ticks(ticks).unwrap();
    (sim.spike_records().to_vec(), sim.pull_state().unwrap())
}

/// Under `conventions = "nest"` the LIF written as equations holds `t_ref/dt` ticks after a
/// spike as the built-in LIF does (a population-wide duration, counted on the host, and a
/// per-neuron one, counted on the device), so both give the built-in's spikes and refractory
/// counters; under spikegpu's own conventions the hold is one tick shorter.
#[test]
fn under_nest_conventions_the_lif_as_equations_spikes_as_the_builtin_lif() {
    let builtin = nest_cuba(None);
    let (want, want_state) = spikes_and_state(&builtin, Backend::Cpu, 600);
    assert!(want.len() > 500, "{} spikes", want.len());
    let models: [(&str, ModelOfSize); 2] = [
        ("duration", fixed_refractory),
        ("per-neuron", per_neuron_refractory),
    ];
    for (what, model) in models {
        let (got, state) = spikes_and_state(&nest_cuba(Some(model)), Backend::Cpu, 600);
        assert_eq!(got, want, "{what}: spikes");
        let counters =
            |s: &[spikegpu::plan::layout::NeuronState]| s.iter().map(|s| s.refractory).collect::<Vec<_>>();
        assert_eq!(
            counters(&state),
            counters(&want_state),
            "{what}: refractory counters"
        );
    }
    // Spikegpu's own hold differs (the test can fail).
    let mut own = nest_cuba(Some(fixed_refractory));
    own.conventions = spikegpu::model::Conventions::Spikegpu;
    assert_ne!(spikes_and_state(&own, Backend::Cpu, 600).0, want);
    let Some(_ctx) = crate::common::gpu() else { return };
    for (what, model) in models {
        let (got, _) = spikes_and_state(&nest_cuba(Some(model)), Backend::Gpu, 300);
        let head: Vec<_> = want.iter().filter(|s| s.tick < 300).cloned().collect();
        assert_eq!(got, head, "{what}: GPU spikes");
    }
}

/// `set_equation_variable` sets a mirrored variable (the first six) and one past the sixth
/// on both backends alike; bad names, lengths and values are refused naming the field.
#[test]
fn any_variable_of_a_user_defined_model_can_be_set_between_runs_on_both_backends() {
    let (net, pop) = network(eight_variable_model(7));
    let run = |backend: Backend| {
        let mut sim = Simulator::new(&net, backend).unwrap();
        sim.run_ticks(100).unwrap();
        let v: Vec<f32> = (0..N).map(|i| -70.0 + i as f32 * 0.1).collect();
        let a7: Vec<f32> = (0..N).map(|i| i as f32 * 0.25).collect();
        sim.set_equation_variable(pop, "v", &v).unwrap();
        sim.set_equation_variable(pop, "a7", &a7).unwrap();
        assert_eq!(sim.equation_variable(pop, "v").unwrap(), v);
        assert_eq!(sim.equation_variable(pop, "a7").unwrap(), a7);
        sim.run_ticks(100).unwrap();
        (sim.spike_records().to_vec(), variables(&sim, pop))
    };
    let cpu = run(Backend::Cpu);
    // The change matters: the run without it differs.
    let mut plain = Simulator::new(&net, Backend::Cpu).unwrap();
    plain.run_ticks(200).unwrap();
    assert_ne!(variables(&plain, pop)[7], cpu.1[7]);
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    let refused = |sim: &mut Simulator, name: &str, values: &[f32]| {
        sim.set_equation_variable(pop, name, values)
            .err()
            .unwrap()
            .to_string()
    };
    let e = refused(&mut sim, "zz", &[0.0; N]);
    assert!(e.contains("'p'.zz") && e.contains("a7"), "{e}");
    let e = refused(&mut sim, "a3", &[0.0; 3]);
    assert!(e.contains("'p'.a3") && e.contains("3 values"), "{e}");
    let mut bad = vec![0.0; N];
    bad[5] = f32::NAN;
    let e = refused(&mut sim, "a3", &bad);
    assert!(e.contains("'p'.a3[5]") && e.contains("finite"), "{e}");
    let e = sim
        .set_state(pop, spikegpu::model::StateVar::V, &[0.0; N])
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("set_equation_variable"), "{e}");
    let Some(_ctx) = crate::common::gpu() else { return };
    assert_eq!(run(Backend::Gpu), cpu, "GPU = CPU after the same settings");
}

/// `examples/models/qif_network.toml` at a quarter of its size with white noise and five
/// more variables (seven: the seventh, probed, past the sixth), for 300 ms.
fn noisy_qif_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/models/qif_network.toml");
    let traces: String = (1..=5)
        .map(|k| format!("da{k}/dt = (I_syn - a{k}) / ({} ms) : mV\n", k + 1))
        .collect();
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("duration = \"1 s\"", "duration = \"300 ms\"")
        .replace("size = 3200", "size = 800")
        .replace(
            "size = 800\nmodel = \"qif\"\nparams",
            "size = 200\nmodel = \"qif\"\nparams",
        )
        .replace(
            "+ I_ext) / tau : mV",
            "+ I_ext) / tau + sigma * sqrt(2 / tau) * xi : mV",
        )
        .replace(
            "dI_syn/dt = -I_syn / tau_syn : mV\n",
            &format!("dI_syn/dt = -I_syn / tau_syn : mV\n{traces}"),
        )
        .replace("I_ext = \"0 mV\" }", "I_ext = \"0 mV\", sigma = \"2 mV\" }")
        .replace("variable = \"I_syn\"", "variable = \"a5\"")
        .replace("interval = \"0.1 ms\"", "interval = \"1 ms\"");
    assert!(text.contains("da5/dt") && text.contains("* xi") && text.contains("\"a5\""));
    let file = dir.join("noisy_qif.toml");
    std::fs::write(&file, text).unwrap();
    file
}

/// `spikegpu run --checkpoint-every` of a network of a user-defined model stopped by SIGTERM
/// after its first checkpoint and continued with `spikegpu resume`: every spike and probe
/// sample (of the seventh variable too) equals the uninterrupted run's.
#[cfg(unix)]
#[test]
fn the_cli_resumes_a_user_defined_model_network_stopped_by_sigterm_as_if_never_stopped() {
    let dir = scratch("cli");
    let model = noisy_qif_file(&dir);
    let reference = dir.join("reference");
    let finished = crate::common::checkpointing_run(&model, "50 ms", &reference).status();
    assert!(finished.unwrap().success());
    let stopped = dir.join("stopped");
    crate::common::stop_after_first_checkpoint(
        crate::common::checkpointing_run(&model, "50 ms", &stopped),
        &stopped,
    );
    let (code, _, stderr) = crate::common::spikegpu(&["resume", stopped.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let compared = crate::common::assert_same_arrays(&reference, &stopped, 4);
    assert!(compared.iter().any(|n| n.contains("a5")), "{compared:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
