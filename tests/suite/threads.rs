//! The CPU backend on several threads: the same spikes, state, input rings, weights and
//! eligibility as on one thread, for every standard model, and the GPU backend's spikes where
//! the backends agree.

use crate::common;

use spikegpu::app::stats::spike_hash;
use spikegpu::sim::Spike;
use spikegpu::{Backend, Network, NetworkBuilder, SimOptions, Simulator, networks};

/// Everything a run leaves behind that the thread count must not change.
#[derive(Debug, PartialEq)]
struct Outcome {
    spikes: Vec<Spike>,
    /// Every state variable of every neuron, as bits.
    state: Vec<[u32; 8]>,
    input_ring: Vec<i32>,
    /// Weights of every stored projection, as bits, in projection order.
    weights: Vec<u32>,
    eligibility: Vec<u32>,
    events: u64,
}

/// Biological time of the thread-count comparisons: 500 ticks, each with its barriers, in which
/// every standard model sends at least 380 spikes (cuba at scale 0.25, the fewest; measured
/// with `spikegpu bench <model> --scale 0.25 --seed 11 --duration-ms 50`; each test also
/// asserts that its networks fire) and up to millions of synaptic events through the threads'
/// shares. One reordered sum or misplaced spike changes the state bits compared; more ticks
/// mostly add barrier waits on a loaded machine.
const RUN_MS: f64 = 50.0;

fn options(threads: usize) -> SimOptions {
    SimOptions {
        threads: Some(threads),
        ..SimOptions::default()
    }
}

/// Runs `net` for `ms` on `threads` CPU threads; `between` runs halfway (to change weights).
fn run_cpu(net: &Network, threads: usize, ms: f64, between: &dyn Fn(&mut Simulator)) -> Outcome {
    let mut sim = Simulator::with_options(net, Backend::Cpu, options(threads)).unwrap();
    sim.run_ms(ms / 2.0).unwrap();
    between(&mut sim);
    sim.run_ms(ms / 2.0).unwrap();
    let state = sim
        .pull_state()
        .unwrap()
        .iter()
        .map(|s| {
            let f = |x: f32| x.to_bits();
            [
                f(s.v),
                f(s.u),
                f(s.w1),
                f(s.w2),
                f(s.syn_e),
                f(s.syn_i),
                s.refractory,
                s.aux,
            ]
        })
        .collect();
    let (mut weights, mut eligibility) = (Vec::new(), Vec::new());
    for proj in net.projection_ids() {
        if let Ok(w) = sim.weights(proj) {
            weights.extend(w.weights.iter().map(|x| x.to_bits()));
        }
        if let Ok(e) = sim.eligibility(proj) {
            eligibility.extend(e.iter().map(|x| x.to_bits()));
        }
    }
    Outcome {
        spikes: sim.spike_records().to_vec(),
        state,
        input_ring: sim.pull_input_ring().unwrap(),
        weights,
        eligibility,
        events: sim.counters().syn_events,
    }
}

/// Every standard model at a reduced scale, the reward-modulated network and a procedural
/// one: between them every stage of the tick schedule, both synapse stores and the 16- and
/// 32-bit target indices.
fn networks_under_test() -> Vec<(String, Network)> {
    let mut nets: Vec<(String, Network)> = networks::default_bench_models()
        .map(|name| {
            let scale = if name == "stdp" { 1.0 } else { 0.25 };
            (name.to_string(), networks::by_name(name, 11, scale).unwrap())
        })
        .collect();
    nets.push((
        "microcircuit".into(),
        networks::by_name("microcircuit", 11, 0.02).unwrap(),
    ));
    nets.push(("reward".into(), networks::reward::network(11).unwrap().net));
    let cuba = networks::cuba(11, 0.25).unwrap();
    let ids = cuba.projection_ids();
    let mut b = NetworkBuilder::from_network(cuba);
    b.procedural(ids[0]).unwrap();
    nets.push(("half-procedural cuba".into(), b.build().unwrap()));
    nets
}

#[test]
fn every_standard_model_runs_bit_identically_on_1_2_3_and_4_threads() {
    for (name, net) in networks_under_test() {
        // The reward network fires sparsely (34 spikes in its first 50 ms): it keeps 100 ms.
        let ms = if name == "reward" { 100.0 } else { RUN_MS };
        let one = run_cpu(&net, 1, ms, &|_| {});
        assert!(
            one.spikes.len() > 100,
            "{name} fires: {} spikes",
            one.spikes.len()
        );
        for threads in [2, 3, 4] {
            let many = run_cpu(&net, threads, ms, &|_| {});
            assert_eq!(
                one.spikes.len(),
                many.spikes.len(),
                "{name}, {threads} threads: spike count"
            );
            assert!(one == many, "{name}: {threads} threads differ from one");
        }
        println!("{name}: {:016x}", spike_hash(&one.spikes));
    }
}

/// Weights set halfway rebuild each thread's store (compact or wide) the same way.
#[test]
fn weights_set_during_a_run_act_the_same_on_every_thread_count() {
    for name in ["cuba", "brunel-stdp"] {
        let net = networks::by_name(name, 5, 0.25).unwrap();
        let proj = net.projection_ids()[0];
        let halve = |sim: &mut Simulator| {
            let w: Vec<f32> = sim
                .weights(proj)
                .unwrap()
                .weights
                .iter()
                .map(|w| w * 0.5)
                .collect();
            sim.set_weights(proj, &w).unwrap();
        };
        let one = run_cpu(&net, 1, RUN_MS, &halve);
        let unchanged = run_cpu(&net, 1, RUN_MS, &|_| {});
        assert_ne!(
            one.spikes, unchanged.spikes,
            "{name}: halving the weights changes the run"
        );
        for threads in [2, 4] {
            assert!(
                one == run_cpu(&net, threads, RUN_MS, &halve),
                "{name}, {threads} threads"
            );
        }
    }
}

#[test]
fn a_thread_count_out_of_range_is_refused_naming_the_option() {
    let net = networks::cuba(1, 0.05).unwrap();
    for bad in [0, spikegpu::cpu::MAX_THREADS + 1] {
        let err = Simulator::with_options(&net, Backend::Cpu, options(bad))
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("threads"), "{err}");
    }
    let (code, _, stderr) = common::spikegpu(&["bench", "cuba", "--backend", "cpu", "--threads", "0"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("threads"), "{stderr}");
}

/// The GPU backend's spikes equal those of the CPU backend on 2 and 4 threads, for the
/// standard models where the backends agree (cobahh's exponentials differ in the last bits).
#[test]
fn gpu_spikes_equal_the_cpu_backend_on_2_and_4_threads() {
    let Some(_ctx) = common::gpu() else { return };
    for name in networks::default_bench_models().filter(|&m| m != "cobahh") {
        let scale = if name == "stdp" { 1.0 } else { 0.25 };
        let net = networks::by_name(name, 11, scale).unwrap();
        let mut gpu = Simulator::new(&net, Backend::Gpu).unwrap();
        gpu.run_ms(RUN_MS).unwrap();
        assert!(gpu.spike_records().len() > 100, "{name} fires");
        for threads in [2, 4] {
            let cpu = run_cpu(&net, threads, RUN_MS, &|_| {});
            assert!(cpu.spikes == gpu.spike_records(), "{name}, {threads} threads");
        }
    }
}

/// The model file `examples/models/<name>.toml`.
fn example(name: &str) -> Network {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/models/{name}.toml"));
    spikegpu::app::modelfile::load(&path, None).unwrap().network
}

/// A population of a user-defined LIF with white noise (`xi`) and a per-neuron threshold,
/// recurrently connected: the noise draws and the per-neuron values of each thread's share
/// must be those of its neurons in the whole population.
fn noisy_equation_network() -> Network {
    let n = 3000;
    let thresholds: Vec<String> = (0..n).map(|i| format!("{}", -52.0 + 0.001 * i as f64)).collect();
    let text = format!(
        r#"dt = "0.1 ms"
seed = 3

[[neuron_model]]
name = "noisy_lif"
equations = """
dv/dt = (v_rest - v + I_syn) / tau + sigma * sqrt(2 / tau) * xi : mV (unless refractory)
dI_syn/dt = -I_syn / tau_syn : mV
"""
threshold = "v > v_th"
reset = "v = v_rest"
refractory = "2 ms"
method = "euler"
params = {{ tau = "10 ms", tau_syn = "5 ms", v_rest = "-60 mV", v_th = "-50 mV", sigma = "5 mV" }}
inputs = {{ excitatory = "I_syn", inhibitory = "I_syn" }}
initial = {{ v = "v_rest" }}

[[population]]
name = "a"
size = {n}
model = "noisy_lif"
init = {{ v = {{ uniform = ["-60 mV", "-50 mV"] }} }}
per_neuron = {{ v_th = [{}] }}

[[projection]]
pre = "a"
post = "a"
connectivity = {{ rule = "fixed_probability", p = 0.02 }}
weight = "0.3 mV"
delay = "1 ms"
receptor = "excitatory"
"#,
        thresholds.join(", ")
    );
    spikegpu::app::modelfile::parse(&text, "noisy.toml", None)
        .unwrap()
        .network
}

/// Populations of user-defined models split over the threads: each thread runs its own
/// neurons' share of the compiled program, with the same spikes and state as one thread.
#[test]
fn equation_populations_run_bit_identically_on_1_2_and_4_threads() {
    let nets = [
        ("cuba_equations", example("cuba_equations")),
        ("qif_network", example("qif_network")),
        ("noisy equation LIF", noisy_equation_network()),
    ];
    for (name, net) in nets {
        let one = run_cpu(&net, 1, 100.0, &|_| {});
        assert!(
            one.spikes.len() > 500,
            "{name} fires: {} spikes",
            one.spikes.len()
        );
        for threads in [2, 4] {
            let many = run_cpu(&net, threads, 100.0, &|_| {});
            let first = one.spikes.iter().zip(&many.spikes).position(|(a, b)| a != b);
            assert_eq!(
                (one.spikes.len(), first),
                (many.spikes.len(), None),
                "{name}, {threads} threads: spike counts and the first difference"
            );
            assert!(one == many, "{name}: {threads} threads differ from one");
        }
        println!("{name}: {:016x}", spike_hash(&one.spikes));
    }
    // The file written with equations still gives the built-in CUBA's spikes on 2 threads.
    let builtin = run_cpu(&example("cuba"), 2, 100.0, &|_| {});
    let ours = run_cpu(&example("cuba_equations"), 2, 100.0, &|_| {});
    assert!(
        builtin.spikes == ours.spikes,
        "cuba_equations = cuba on 2 threads"
    );
}

/// A state exported on one thread count and imported on another continues exactly as the
/// uninterrupted run: STDP spike history and traces, eligibility and neuromodulators included.
#[test]
fn a_state_exported_on_2_threads_resumes_identically_on_1_and_4() {
    let nets = [
        ("brunel-stdp", networks::by_name("brunel-stdp", 4, 0.1).unwrap()),
        ("reward", networks::reward::network(11).unwrap().net),
    ];
    for (name, net) in nets {
        let whole = run_cpu(&net, 1, 100.0, &|_| {});
        let mut first = Simulator::with_options(&net, Backend::Cpu, options(2)).unwrap();
        first.run_ms(50.0).unwrap();
        let state = first.export_state().unwrap();
        let half = state.tick;
        for threads in [1, 4] {
            let mut second = Simulator::with_options(&net, Backend::Cpu, options(threads)).unwrap();
            second.import_state(&state).unwrap();
            second.run_ms(50.0).unwrap();
            let tail: Vec<Spike> = whole.spikes.iter().filter(|s| s.tick >= half).copied().collect();
            assert!(tail.len() > 20, "{name} fires: {}", tail.len());
            assert!(
                second.spike_records() == tail,
                "{name}: spikes after the import on {threads} threads"
            );
            assert_eq!(
                second.counters().syn_events,
                whole.events,
                "{name}, {threads} threads"
            );
            let exported = second.export_state().unwrap();
            let mut reference = Simulator::with_options(&net, Backend::Cpu, options(1)).unwrap();
            reference.run_ms(100.0).unwrap();
            assert!(
                exported == reference.export_state().unwrap(),
                "{name}: final state on {threads} threads"
            );
        }
    }
}

/// The watchdog on several threads names the same first non-finite state and stops after the
/// same tick as on one (the faulty population straddles a thread boundary).
#[test]
fn the_watchdog_stops_every_thread_count_at_the_same_tick_naming_the_same_neuron() {
    use spikegpu::{CurrentSource, InitialValue, IzhikevichParams, LifParams, NeuronModel};
    let mut b = NetworkBuilder::new(0.1, 9);
    b.population(
        "calm",
        10,
        NeuronModel::Lif(LifParams::default()),
        InitialValue::Constant(-60.0),
    )
    .unwrap();
    let wild = b
        .population(
            "wild",
            40,
            NeuronModel::Izhikevich(IzhikevichParams {
                a: 1e30,
                ..IzhikevichParams::default()
            }),
            InitialValue::Constant(-65.0),
        )
        .unwrap();
    b.current_input(wild, CurrentSource::Dc { amplitude: 10.0 })
        .unwrap();
    let net = b.build().unwrap();
    let run = |threads: usize| {
        let mut sim = Simulator::with_options(&net, Backend::Cpu, options(threads)).unwrap();
        assert!(
            sim.run_ticks(500).is_err(),
            "{threads} threads: the watchdog stops the run"
        );
        (sim.nonfinite(), sim.ticks(), sim.spike_records().to_vec())
    };
    let one = run(1);
    assert!(one.0.is_some() && one.1 < 500, "{:?}", one.0);
    for threads in [2, 4] {
        assert!(run(threads) == one, "{threads} threads");
    }
}

/// The AVX2 build of the stages (the default where the processor has it) and the portable
/// build compute the same values: the same spikes and the same state bits, on the models whose
/// loops the AVX2 build vectorises (CUBA, COBA, Brunel), on 1 and 2 threads.
#[test]
fn the_avx2_and_portable_builds_of_the_stages_agree_bit_for_bit() {
    use spikegpu::cpu::CpuBackend;
    use spikegpu::plan::Plan;
    let started = std::time::Instant::now();
    for name in ["cuba", "coba", "brunel"] {
        let plan = Plan::new(&networks::by_name(name, 11, 0.25).unwrap()).unwrap();
        for threads in [1, 2] {
            let run = |avx2: bool| {
                let mut cpu = CpuBackend::with_threads(&plan, threads);
                cpu.use_avx2(avx2);
                let mut spikes = Vec::new();
                cpu.run_ticks(500, &mut spikes);
                let state: Vec<[u32; 8]> = cpu
                    .state()
                    .iter()
                    .map(|s| {
                        let f = |x: f32| x.to_bits();
                        [
                            f(s.v),
                            f(s.u),
                            f(s.w1),
                            f(s.w2),
                            f(s.syn_e),
                            f(s.syn_i),
                            s.refractory,
                            s.aux,
                        ]
                    })
                    .collect();
                (spikes, state)
            };
            let (portable, avx2) = (run(false), run(true));
            assert!(portable.0.len() > 50, "{name} fires: {} spikes", portable.0.len());
            assert!(portable == avx2, "{name}, {threads} threads: the builds differ");
        }
    }
    println!("avx2 vs portable: {:.2} s", started.elapsed().as_secs_f64());
}
