//! The built-in models written as equations (examples/models/neuron_models) against the
//! built-in CPU updates: same constants, same trajectories, bit for bit.

use spikegpu::equations::TickInputs;
use spikegpu::neurons::{AdExPattern, IzhikevichParams, LifCondParams, LifParams, NeuronModel};
use spikegpu::neurons::{adex, izhikevich, lif, lif_cond};
use spikegpu::plan::layout::{NeuronState, PopGpu};

use super::{compiled, ports, random_inputs, unit};

fn pop_gpu(model: &NeuronModel, n: usize, dt: f64) -> PopGpu {
    PopGpu {
        start: 0,
        size: n as u32,
        refractory_ticks: (model.refractory_ms() / dt).round() as u32,
        model: model.id(),
        c: model.constants(dt),
        input_lag: 0,
    }
}

/// Every value of `want` appears among the model's constants, bit for bit.
fn assert_constants_present(ours: &[f32], want: &[(usize, f32)]) {
    for (k, v) in want {
        assert!(
            ours.iter().any(|x| x.to_bits() == v.to_bits()),
            "built-in constant c[{k}] = {v:e} is not among the generated constants {ours:?}"
        );
    }
}

fn assert_same(what: &str, tick: u32, ours: &[f32], theirs: impl Iterator<Item = f32>) {
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert_eq!(
            a.to_bits(),
            b.to_bits(),
            "{what} of neuron {i} at tick {tick}: equations {a} built-in {b}"
        );
    }
}

/// A state variable's name in the model and its `NeuronState` field in the built-in.
type Field = fn(&NeuronState) -> f32;

/// Runs both for `ticks`, comparing spikes every tick and the state variables
/// (`(name, NeuronState field)`) at the end.
fn run_against(
    ours: &mut spikegpu::equations::CpuPopulation,
    theirs: &mut [NeuronState],
    inputs: &[Vec<[f32; 3]>],
    fields: &[(&str, Field)],
    update: impl Fn(&mut NeuronState, usize, [f32; 3]) -> bool,
) -> usize {
    let mut total = 0;
    for (tick, input) in inputs.iter().enumerate() {
        let [e, i, c] = ports(input);
        let mut spikes = Vec::new();
        let tick = tick as u32;
        ours.step(
            &TickInputs {
                excitatory: &e,
                inhibitory: &i,
                current: &c,
                tick,
                key: [1, 2],
                stream: 0,
            },
            &mut spikes,
        );
        let builtin: Vec<u32> = theirs
            .iter_mut()
            .enumerate()
            .filter_map(|(k, s)| update(s, k, input[k]).then_some(k as u32))
            .collect();
        assert_eq!(spikes, builtin, "spikes at tick {tick}");
        total += spikes.len();
        for (name, field) in fields {
            assert_same(name, tick, ours.state(name).unwrap(), theirs.iter().map(field));
        }
    }
    total
}

#[test]
fn lif_as_equations_reproduces_the_builtin_lif_bit_for_bit() {
    let dt = 0.1;
    let n = 400;
    let params = LifParams::default();
    let builtin = NeuronModel::Lif(params.clone());
    let pop = pop_gpu(&builtin, n, dt);
    let model = compiled("lif", &[]);
    let constants = model.constants(dt).unwrap();
    // P_vv, P_vIe, P_vIi, P_IeIe, P_IiIi, and the constant-current gain.
    assert_constants_present(&constants, &[3, 4, 6, 8, 11, 16].map(|k| (k, pop.c[k])));
    let mut ours = model.population(n, dt).unwrap();
    let v0: Vec<f32> = (0..n).map(|i| -60.0 + 11.0 * unit(1, i as u32, 0)).collect();
    ours.state_mut("v").unwrap().copy_from_slice(&v0);
    let mut theirs: Vec<NeuronState> = v0
        .iter()
        .map(|&v| NeuronState {
            v,
            ..Default::default()
        })
        .collect();
    // CUBA weights (mV), and a current for a quarter of the run.
    let mut inputs = random_inputs(7, n, 3000, 0.08, 0.5, -0.5, 0.0);
    for tick in inputs.iter_mut().skip(1000).take(750) {
        for (k, x) in tick.iter_mut().enumerate() {
            x[2] = 1.5 * unit(2, k as u32, 0);
        }
    }
    let threshold = params.v_thresh_mv as f32;
    let spikes = run_against(
        &mut ours,
        &mut theirs,
        &inputs,
        &[("v", |s| s.v), ("I_e", |s| s.syn_e), ("I_i", |s| s.syn_i)],
        |s, _, [e, i, c]| lif::update_exponential::<false>(s, &pop, threshold, e, i, c),
    );
    assert!(spikes > 1000, "only {spikes} spikes");
    let counters: Vec<u32> = theirs.iter().map(|s| s.refractory).collect();
    assert_eq!(ours.refractory(), &counters[..]);
}

#[test]
fn conductance_lif_as_equations_reproduces_the_builtin_bit_for_bit() {
    let dt = 0.1;
    let n = 400;
    let builtin = NeuronModel::LifCond(LifCondParams::default());
    let pop = pop_gpu(&builtin, n, dt);
    let model = compiled("lif_cond", &[]);
    assert_constants_present(&model.constants(dt).unwrap(), &[3, 7, 8].map(|k| (k, pop.c[k])));
    let mut ours = model.population(n, dt).unwrap();
    let v0: Vec<f32> = (0..n).map(|i| -60.0 + 10.0 * unit(3, i as u32, 0)).collect();
    ours.state_mut("v").unwrap().copy_from_slice(&v0);
    let mut theirs: Vec<NeuronState> = v0
        .iter()
        .map(|&v| NeuronState {
            v,
            ..Default::default()
        })
        .collect();
    // COBA weights (nS; inhibitory negative by the receptor convention) and a bias current.
    let inputs = random_inputs(8, n, 3000, 0.02, 6.0, -6.7, 250.0);
    let spikes = run_against(
        &mut ours,
        &mut theirs,
        &inputs,
        &[("v", |s| s.v), ("g_e", |s| s.syn_e), ("g_i", |s| s.syn_i)],
        |s, _, [e, i, c]| lif_cond::update(s, &pop, -50.0, e, i, c),
    );
    assert!(spikes > 500, "only {spikes} spikes");
}

#[test]
fn izhikevich_as_update_statements_reproduces_the_builtin_half_step_scheme_bit_for_bit() {
    for dt in [1.0, 0.5] {
        let n = 300;
        let builtin = NeuronModel::Izhikevich(IzhikevichParams::default());
        let pop = pop_gpu(&builtin, n, dt);
        let model = compiled("izhikevich", &["a", "b", "c", "d"]);
        let mut ours = model.population(n, dt).unwrap();
        // Heterogeneous (a, b, c, d) as in the paper's network: excitatory and inhibitory.
        let abcd: Vec<[f32; 4]> = (0..n)
            .map(|i| {
                let r = unit(4, i as u32, 0);
                if i % 5 == 4 {
                    [0.02 + 0.08 * r, 0.25 - 0.05 * r, -65.0, 2.0]
                } else {
                    [0.02, 0.2, -65.0 + 15.0 * r * r, 8.0 - 6.0 * r * r]
                }
            })
            .collect();
        for (k, name) in ["a", "b", "c", "d"].iter().enumerate() {
            let values: Vec<f32> = abcd.iter().map(|q| q[k]).collect();
            ours.per_neuron_mut(name).unwrap().copy_from_slice(&values);
        }
        let mut theirs: Vec<NeuronState> = abcd
            .iter()
            .map(|q| NeuronState {
                v: -65.0,
                u: q[1] * -65.0,
                ..Default::default()
            })
            .collect();
        let u0: Vec<f32> = theirs.iter().map(|s| s.u).collect();
        ours.state_mut("u").unwrap().copy_from_slice(&u0);
        let inputs = random_inputs(9, n, (1000.0 / dt) as u32, 0.2, 2.5, -3.0, 9.0);
        let spikes = run_against(
            &mut ours,
            &mut theirs,
            &inputs,
            &[("v", |s| s.v), ("u", |s| s.u)],
            |s, k, [e, i, c]| {
                let q = abcd[k];
                izhikevich::update(s, &pop, q, e, i, c)
            },
        );
        assert!(spikes > 1000, "dt {dt}: only {spikes} spikes");
    }
}

#[test]
fn adex_as_equations_reproduces_the_builtin_adex_bit_for_bit() {
    let dt = 0.1;
    let n = 200;
    let (mut params, current) = AdExPattern::Adapting.params();
    params.refractory_ms = 2.0;
    let builtin = NeuronModel::AdEx(params.clone());
    let pop = pop_gpu(&builtin, n, dt);
    let model = compiled("adex", &[]);
    assert_constants_present(
        &model.constants(dt).unwrap(),
        &[3, 7, 8, 10, 12, 13].map(|k| (k, pop.c[k])),
    );
    let mut ours = model.population(n, dt).unwrap();
    let mut theirs: Vec<NeuronState> = (0..n)
        .map(|_| NeuronState {
            v: -70.0,
            ..Default::default()
        })
        .collect();
    // The paper's step current for part of the neurons, plus synaptic input (pA).
    let mut inputs = random_inputs(10, n, 4000, 0.05, 150.0, -150.0, 0.0);
    for tick in inputs.iter_mut().skip(500) {
        for (k, x) in tick.iter_mut().enumerate() {
            if k % 2 == 0 {
                x[2] = current as f32;
            }
        }
    }
    let threshold = params.v_peak_mv as f32;
    let spikes = run_against(
        &mut ours,
        &mut theirs,
        &inputs,
        &[
            ("v", |s| s.v),
            ("w", |s| s.u),
            ("I_e", |s| s.syn_e),
            ("I_i", |s| s.syn_i),
        ],
        |s, _, [e, i, c]| adex::update(s, &pop, threshold, e, i, c),
    );
    assert!(spikes > 300, "only {spikes} spikes");
}

#[test]
fn delta_synapses_after_integration_reproduce_the_builtin_delta_lif_bit_for_bit() {
    use spikegpu::equations::{CompileOptions, InputPort, InputTiming, ModelDefinition, compile};
    use spikegpu::neurons::CurrentSynapse;
    let dt = 0.1;
    let n = 300;
    let params = LifParams {
        v_rest_mv: -65.0,
        v_reset_mv: -65.0,
        refractory_ms: 2.0,
        synapse: CurrentSynapse::Delta,
        ..LifParams::default()
    };
    let builtin = NeuronModel::Lif(params.clone());
    let pop = pop_gpu(&builtin, n, dt);
    // Brunel's neuron: the weight jumps v after the step's integration (NEST's order), and is
    // discarded while refractory.
    let def = ModelDefinition::new("lif_delta")
        .equations("dv/dt = (-(v - v_rest) + I_ext) / tau_m : mV (unless refractory)")
        .threshold("v > v_thresh")
        .reset("v = v_reset")
        .refractory("2 ms")
        .method("exact")
        .param("tau_m", "20 ms")
        .param("v_rest", "-65 mV")
        .param("v_reset", "-65 mV")
        .param("v_thresh", "-50 mV")
        .param("I_ext", "0 mV")
        .input(InputPort::Excitatory, "v")
        .input(InputPort::Inhibitory, "v")
        .input(InputPort::Current, "I_ext");
    let options = CompileOptions {
        input_timing: InputTiming::AfterIntegration,
        ..CompileOptions::default()
    };
    let model = compile(&def, &options).unwrap();
    let mut ours = model.population(n, dt).unwrap();
    let v0: Vec<f32> = (0..n).map(|i| -65.0 + 14.0 * unit(5, i as u32, 0)).collect();
    ours.state_mut("v").unwrap().copy_from_slice(&v0);
    let mut theirs: Vec<NeuronState> = v0
        .iter()
        .map(|&v| NeuronState {
            v,
            ..Default::default()
        })
        .collect();
    let inputs = random_inputs(11, n, 3000, 0.3, 0.8, -2.0, 12.0);
    let spikes = run_against(
        &mut ours,
        &mut theirs,
        &inputs,
        &[("v", |s| s.v)],
        |s, _, [e, i, c]| lif::update(s, &pop, -50.0, e, i, c),
    );
    assert!(spikes > 500, "only {spikes} spikes");
}
