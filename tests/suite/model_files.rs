//! Model files: every shipped file builds the same network as its Rust builder, and bad files
//! get clear errors with line and column.

use spikegpu::app::modelfile;
use spikegpu::networks;
use spikegpu::plan::Plan;

fn assert_same_plan(name: &str, a: &Plan, b: &Plan) {
    assert_eq!(a.n_neurons, b.n_neurons, "{name}: neurons");
    let consts = |p: &Plan| {
        p.populations
            .iter()
            .map(|x| (x.name.clone(), x.gpu))
            .collect::<Vec<_>>()
    };
    assert_eq!(consts(a), consts(b), "{name}: populations and constants");
    assert_eq!(a.initial_state, b.initial_state, "{name}: initial state");
    assert_eq!(a.neuron_params, b.neuron_params, "{name}: per-neuron parameters");
    assert_eq!(a.row_ptr, b.row_ptr, "{name}: row pointers");
    assert_eq!(a.synapses, b.synapses, "{name}: synapses");
    assert_eq!(a.weights, b.weights, "{name}: weights");
    assert_eq!(a.fixed_scale, b.fixed_scale, "{name}: fixed-point scale");
    assert_eq!(a.poisson, b.poisson, "{name}: poisson inputs");
    assert_eq!(a.poisson_segments, b.poisson_segments, "{name}: poisson segments");
    assert_eq!(a.currents, b.currents, "{name}: currents");
    assert_eq!(a.plastic, b.plastic, "{name}: plasticity");
}

#[test]
fn every_shipped_model_file_builds_the_same_network_as_its_rust_builder() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models");
    for name in networks::FILE_MODELS {
        let file = modelfile::load(&dir.join(format!("{name}.toml")), None).unwrap();
        assert_eq!(file.name, *name);
        assert!(file.duration_ms.is_some());
        let built = networks::by_name(name, file.network.seed, 1.0).unwrap();
        if networks::LARGE_MODELS.contains(name) {
            // The plan is a deterministic function of the description, so equal descriptions
            // give equal plans; building 3e8 synapses twice would take minutes and gigabytes.
            assert!(
                file.network.same_as(&built),
                "{name}: network descriptions differ"
            );
            continue;
        }
        let (a, b) = (Plan::new(&file.network).unwrap(), Plan::new(&built).unwrap());
        assert_same_plan(name, &a, &b);
    }
}

fn error_of(text: &str) -> String {
    modelfile::parse(text, "m.toml", None)
        .expect_err("must fail")
        .to_string()
}

const MINIMAL: &str = "dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nsize = 10\nmodel = \"lif\"\n";

#[test]
fn a_minimal_file_loads_and_units_in_keys_or_strings_agree() {
    let a = modelfile::parse(
        &format!("{MINIMAL}params = {{ tau_m = \"0.02 s\" }}\n"),
        "m",
        None,
    )
    .unwrap();
    let b = modelfile::parse(&format!("{MINIMAL}params = {{ tau_m_ms = 20 }}\n"), "m", None).unwrap();
    let c = modelfile::parse(&format!("{MINIMAL}params = {{ tau_m = 20 }}\n"), "m", None).unwrap();
    for f in [&a, &b, &c] {
        let spikegpu::NeuronModel::Lif(p) = &f.network.populations[0].model else {
            panic!()
        };
        assert_eq!(p.tau_m_ms, 20.0);
    }
}

#[test]
fn malformed_toml_reports_line_and_column() {
    let msg = error_of("dt = \"0.1 ms\"\n[[population]\nname = 3\n");
    assert!(msg.contains("m.toml:2:"), "{msg}");
}

#[test]
fn an_unknown_field_is_named_with_its_position() {
    let msg = error_of(&format!("{MINIMAL}colour = \"red\"\n"));
    assert!(
        msg.contains("m.toml:6:1") && msg.contains("unknown field `colour`"),
        "{msg}"
    );
    let msg = error_of(&format!("{MINIMAL}params = {{ tau_q = \"5 ms\" }}\n"));
    assert!(
        msg.contains("m.toml:6:") && msg.contains("unknown parameter") && msg.contains("tau_m"),
        "{msg}"
    );
}

#[test]
fn a_wrong_unit_is_named_with_the_allowed_dimension() {
    let msg = error_of(&format!("{MINIMAL}params = {{ tau_m = \"20 mV\" }}\n"));
    assert!(
        msg.contains("m.toml:6:") && msg.contains("unknown unit 'mV'") && msg.contains("time (ms)"),
        "{msg}"
    );
    let msg = error_of(&format!("{MINIMAL}params = {{ tau_m = \"20 parsecs\" }}\n"));
    assert!(msg.contains("unknown unit 'parsecs'"), "{msg}");
    let msg = error_of(&format!("{MINIMAL}params = {{ tau_m = \"20\" }}\n"));
    assert!(msg.contains("needs a unit") && msg.contains("20 ms"), "{msg}");
}

#[test]
fn a_missing_required_field_is_named() {
    let msg = error_of("dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nmodel = \"lif\"\n");
    assert!(
        msg.contains("missing field `size`") && msg.contains("m.toml:"),
        "{msg}"
    );
    let msg = error_of("[[population]]\nname = \"a\"\nsize = 1\nmodel = \"lif\"\n");
    assert!(msg.contains("missing field `dt`"), "{msg}");
}

#[test]
fn a_reference_to_a_missing_population_lists_the_defined_ones() {
    let text = format!(
        "{MINIMAL}[[projection]]\npre = \"a\"\npost = \"b\"\nconnectivity = {{ rule = \"one_to_one\" }}\nweight = 1\ndelay = \"1 ms\"\nreceptor = \"excitatory\"\n"
    );
    let msg = error_of(&text);
    assert!(
        msg.contains("m.toml:8:8") && msg.contains("projection[0].post") && msg.contains("defined: a"),
        "{msg}"
    );
}

#[test]
fn a_negative_duration_or_time_constant_is_refused() {
    let msg = error_of(&format!("duration = \"-5 ms\"\n{MINIMAL}"));
    assert!(
        msg.contains("m.toml:1:12") && msg.contains("duration") && msg.contains("positive time"),
        "{msg}"
    );
    // Out of its table's range: refused where it is written.
    let msg = error_of(&format!("{MINIMAL}params = {{ tau_m = \"-20 ms\" }}\n"));
    assert!(
        msg.contains("m.toml:6:")
            && msg.contains("params.tau_m")
            && msg.contains("must be finite and > 0 (ms)"),
        "{msg}"
    );
    // Relations between parameters are checked when the population is built.
    let msg = error_of(&format!("{MINIMAL}params = {{ v_reset = \"-40 mV\" }}\n"));
    assert!(
        msg.contains("v_reset_mv") && msg.contains("below v_thresh_mv"),
        "{msg}"
    );
}

/// The loader reads each model's parameter table: every parameter of every model is accepted
/// under its name, in its unit, and unknown ones, wrong kinds, wrong suffixes and presets are
/// refused naming what is allowed.
#[test]
fn every_parameter_of_every_model_table_can_be_set_from_a_file() {
    use spikegpu::neurons::{BUILTIN, ParamKind};
    for m in BUILTIN.iter().filter(|m| !m.params.is_empty()) {
        for p in m.params.iter() {
            let value = match &p.kind {
                ParamKind::Quantity { dim, .. } if dim.canonical().starts_with('(') => "0.5".to_string(),
                ParamKind::Quantity { dim, .. } => format!("\"0.5 {}\"", dim.canonical()),
                ParamKind::Flag => "true".to_string(),
                ParamKind::Choice(words) => format!("\"{}\"", words[words.len() - 1]),
            };
            let text = format!(
                "dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nsize = 1\nmodel = \"{}\"\nparams = {{ {} = {value} }}\n",
                m.name, p.name
            );
            // Setting one value may break a relation (0.5 mV above a threshold); the value
            // must still have been read: the error, if any, is not about reading it.
            if let Err(e) = modelfile::parse(&text, "m.toml", None) {
                let e = e.to_string();
                assert!(e.contains("below"), "{}.{}: {e}", m.name, p.name);
            }
        }
    }
    let msg = error_of(&format!("{MINIMAL}params = {{ synapse = \"gamma\" }}\n"));
    assert!(msg.contains("must be delta, exponential or alpha"), "{msg}");
    let msg = error_of(&format!(
        "{MINIMAL}params = {{ delta_input_while_refractory = 1 }}\n"
    ));
    assert!(msg.contains("must be true or false"), "{msg}");
    let msg = error_of(&format!("{MINIMAL}params = {{ tau_m_mv = 20 }}\n"));
    assert!(
        msg.contains("suffix 'mv' does not fit") && msg.contains("time (ms, s"),
        "{msg}"
    );
    let msg = error_of(&format!("{MINIMAL}preset = \"RS\"\n"));
    assert!(msg.contains("model lif has no presets"), "{msg}");
    let msg = error_of(&MINIMAL.replace("\"lif\"", "\"adex\"\npreset = \"fast\""));
    assert!(
        msg.contains("known presets: tonic, adapting, initial_burst, bursting"),
        "{msg}"
    );
    let msg = error_of(&MINIMAL.replace("\"lif\"", "\"qif\""));
    assert!(
        msg.contains("known models: lif, lif_cond, izhikevich, adex, hh, spike_source, poisson_source"),
        "{msg}"
    );
    let msg = error_of(&format!("{MINIMAL}init = {{ m = 0.1 }}\n"));
    assert!(
        msg.contains("known variables of model lif: v, theta (or u, w), syn_e (or g_e), syn_i (or g_i)"),
        "{msg}"
    );
    let f = modelfile::parse(
        &format!("{MINIMAL}params = {{ synapse = \"alpha\", delta_input_while_refractory = true }}\n"),
        "m",
        None,
    )
    .unwrap();
    let spikegpu::NeuronModel::Lif(p) = &f.network.populations[0].model else {
        panic!()
    };
    assert_eq!(p.synapse, spikegpu::CurrentSynapse::Alpha);
    assert!(p.delta_input_while_refractory);
}

/// A key that is a parameter's name is not split at a unit-like ending (`e_na`: not e in nA).
#[test]
fn parameter_names_ending_like_a_unit_are_read_whole() {
    let text = "dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nsize = 1\nmodel = \"hh\"\nparams = { e_na = 55, g_na_ns = 100 }\n";
    let f = modelfile::parse(text, "m", None).unwrap();
    let spikegpu::NeuronModel::HodgkinHuxley(p) = &f.network.populations[0].model else {
        panic!()
    };
    assert_eq!((p.e_na_mv, p.g_na_ns), (55.0, 100.0));
}

#[test]
fn per_neuron_izhikevich_parameters_and_positions_can_be_written_out() {
    let text = "dt = \"1 ms\"\n[[population]]\nname = \"a\"\nsize = 2\nmodel = \"izhikevich\"\npreset = \"FS\"\n\
        izhikevich_abcd = [[0.02, 0.2, -65, 8], [0.1, 0.2, -65, 2]]\npositions = { grid = [2, 1], spacing = 10.0 }\n";
    let f = modelfile::parse(text, "m", None).unwrap();
    let p = &f.network.populations[0];
    assert_eq!(
        p.izhikevich_per_neuron.as_ref().unwrap()[1],
        [0.1, 0.2, -65.0, 2.0]
    );
    assert_eq!(p.positions.as_ref().unwrap()[1], glam::Vec3::new(10.0, 0.0, 0.0));
    let spikegpu::NeuronModel::Izhikevich(params) = &p.model else {
        panic!()
    };
    assert_eq!(params.a, 0.1, "preset FS");
}

#[test]
fn per_neuron_thresholds_and_biases_can_be_written_as_lists_or_distributions() {
    let text = "dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nsize = 3\nmodel = \"lif_cond\"\n\
        per_neuron = { threshold = { uniform = [\"-52 mV\", \"-48 mV\"] }, bias_pa = [0, 50, 100] }\n";
    let f = modelfile::parse(text, "m", None).unwrap();
    let p = &f.network.populations[0].per_neuron;
    assert_eq!(p.len(), 2);
    assert!(p.contains(&(
        spikegpu::NeuronParam::Bias,
        spikegpu::PerNeuron::Values(vec![0.0, 50.0, 100.0])
    )));
    let msg = modelfile::parse(&text.replace("bias_pa", "gain"), "m", None)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("known per-neuron parameters: threshold, bias"),
        "{msg}"
    );
}

/// The reward-modulated network of Izhikevich 2007 as a file: the same plan as
/// `reward::network` (modulation flags, channel and decays included), its channel's
/// baseline and decay, and its dopamine pulses in time order.
#[test]
fn the_distal_reward_file_builds_the_reward_modulated_network() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models");
    let file = modelfile::load(&dir.join("distal-reward.toml"), None).unwrap();
    let built = spikegpu::networks::reward::network(file.network.seed)
        .unwrap()
        .net;
    let (a, b) = (Plan::new(&file.network).unwrap(), Plan::new(&built).unwrap());
    assert_same_plan("distal-reward", &a, &b);
    assert_eq!(a.modulators, b.modulators, "channels");
    assert_eq!(a.modulation_interval, 10);
    assert!(a.plastic.iter().all(|p| p.flags & 8 != 0), "reward-modulated");
    let times: Vec<f64> = file.modulator_pulses.iter().map(|p| p.0).collect();
    assert_eq!(times, vec![3000.0, 6000.0]);
}

#[test]
fn bad_modulation_entries_name_the_field() {
    let plastic = format!(
        "{MINIMAL}[[projection]]\npre = \"a\"\npost = \"a\"\nconnectivity = {{ rule = \"one_to_one\" }}\nweight = \"1 mV\"\ndelay = \"1 ms\"\nreceptor = \"exc\"\n"
    );
    let e = error_of(&format!(
        "{plastic}plasticity = {{ rule = \"pair\", w_max = \"2 mV\", modulation = {{ tau_eligibility = \"1 s\", channel = \"nowhere\" }} }}\n"
    ));
    assert!(
        e.contains("projection[0].plasticity.modulation.channel") && e.contains("global"),
        "{e}"
    );
    let e = error_of(&format!(
        "{plastic}plasticity = {{ rule = \"pair\", w_max = \"2 mV\", modulation = {{ tau_eligibility = \"-1 s\" }} }}\n"
    ));
    assert!(e.contains("tau_eligibility"), "{e}");
    let e = error_of(&format!(
        "{MINIMAL}[[neuromodulator]]\nchannel = \"a\"\ntau = \"0 ms\"\n"
    ));
    assert!(e.contains("tau_ms") && e.contains("> 0"), "{e}");
    let e = error_of(&format!(
        "{MINIMAL}[[neuromodulator]]\nchannel = \"global\"\npulses = [[\"-1 s\", 1.0]]\n"
    ));
    assert!(e.contains("neuromodulator[0].pulses time"), "{e}");
}

/// Explicit per-neuron initial values (issue 14; PyNN's `initialize(v=array)`): a built-in
/// LIF population and a user-defined one start each neuron at its listed value (numbers in
/// the canonical unit or quantities), the GPU backend starts and runs as the CPU does, and bad
/// lists are refused naming the field.
#[test]
fn per_neuron_initial_values_start_each_neuron_at_its_value_on_both_backends() {
    use spikegpu::sim::{Backend, Simulator};
    let lif = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/models/neuron_models/lif.toml"),
    )
    .unwrap()
    .replace("name = \"lif\"", "name = \"my_lif\"");
    let text = format!(
        "dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nsize = 4\nmodel = \"lif\"\n\
         init = {{ v = [-70, -65.5, \"-60 mV\", \"-0.055 V\"], syn_e = [0, 1, 2, 3] }}\n\
         [[population]]\nname = \"b\"\nsize = 3\nmodel = \"my_lif\"\ninit = {{ v = [-52, -51, -50.5] }}\n{lif}"
    );
    let file = modelfile::parse(&text, "m.toml", None).unwrap();
    let plan = Plan::new(&file.network).unwrap();
    let v: Vec<f32> = plan.initial_state.iter().map(|s| s.v).collect();
    assert_eq!(v, [-70.0, -65.5, -60.0, -55.0, -52.0, -51.0, -50.5]);
    let syn_e: Vec<f32> = plan.initial_state[..4].iter().map(|s| s.syn_e).collect();
    assert_eq!(syn_e, [0.0, 1.0, 2.0, 3.0]);

    let mut cpu = Simulator::new(&file.network, Backend::Cpu).unwrap();
    assert_eq!(cpu.engine().neuron_state().unwrap(), plan.initial_state);
    cpu.run_ticks(20).unwrap();
    let cpu_state = cpu.engine().neuron_state().unwrap();
    // 2 ms of relaxation towards v_rest = -49 mV (tau_m = 20 ms in both models): exactly the
    // exponential for the neurons without synaptic current, above it for those with.
    for (k, (s, &v0)) in cpu_state.iter().zip(&v).enumerate() {
        let relaxed = -49.0 + (f64::from(v0) + 49.0) * (-0.1f64).exp();
        let with_input = k > 0 && k < 4;
        let v = f64::from(s.v);
        assert!(
            if with_input {
                v > relaxed + 0.05
            } else {
                (v - relaxed).abs() < 1e-3
            },
            "neuron {k}: v {v} after 2 ms from {v0}, relaxed {relaxed}"
        );
    }
    if let Some(_ctx) = crate::common::gpu() {
        let mut gpu = Simulator::new(&file.network, Backend::Gpu).unwrap();
        assert_eq!(gpu.engine().neuron_state().unwrap(), plan.initial_state);
        gpu.run_ticks(20).unwrap();
        for (k, (c, g)) in cpu_state
            .iter()
            .zip(gpu.engine().neuron_state().unwrap())
            .enumerate()
        {
            assert!((c.v - g.v).abs() <= 1e-4, "neuron {k}: cpu {} gpu {}", c.v, g.v);
        }
    }

    let short = text.replace("v = [-52, -51, -50.5]", "v = [-52, -51]");
    let e = error_of(&short);
    assert!(
        e.contains("'b'.init.v") && e.contains("one value per neuron (3)"),
        "{e}"
    );
    let nan = text.replace("v = [-52, -51, -50.5]", "v = [-52, nan, -50.5]");
    let e = error_of(&nan);
    assert!(e.contains("[1]") && e.contains("finite"), "{e}");
    let unit = text.replace("\"-60 mV\"", "\"-60 ms\"");
    let e = error_of(&unit);
    assert!(e.contains("init.v[2]"), "{e}");
    let e = error_of(&format!(
        "{MINIMAL}[[projection]]\npre = \"a\"\npost = \"a\"\nconnectivity = {{ rule = \"one_to_one\" }}\nweight = [1, 2]\ndelay = \"1 ms\"\nreceptor = \"exc\"\n"
    ));
    assert!(e.contains("is a list"), "{e}");
}
