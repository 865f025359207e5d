//! The language against analytic answers: units, integration methods, white noise, the
//! refractory mechanisms, a quadratic integrate-and-fire neuron's spike times; load time and
//! CPU speed.

use std::time::Instant;

use spikegpu::equations::{
    CompileOptions, CpuPopulation, Method, ModelDefinition, TickInputs, compile, wgsl,
};
use spikegpu::neurons::lif;
use spikegpu::neurons::{LifParams, NeuronModel};
use spikegpu::plan::layout::{NeuronState, PopGpu};

use super::{compiled, definition, random_inputs};

/// Runs `pop` without inputs for `ticks`; returns the spike ticks of neuron 0.
fn run_quiet(pop: &mut CpuPopulation, ticks: u32) -> Vec<u32> {
    let n = pop.len();
    let zeros = vec![0.0; n];
    let mut out = Vec::new();
    for tick in 0..ticks {
        let mut spikes = Vec::new();
        let inputs = TickInputs {
            excitatory: &zeros,
            inhibitory: &zeros,
            current: &zeros,
            tick,
            key: [5, 6],
            stream: 3,
        };
        pop.step(&inputs, &mut spikes);
        if spikes.first() == Some(&0) {
            out.push(tick);
        }
    }
    out
}

#[test]
fn quantities_are_converted_exactly_to_the_canonical_units() {
    let def = ModelDefinition::new("units")
        .equations("dv/dt = -v / tau : mV")
        .param("tau", "1 s")
        .param("r", "200 Mohm")
        .param("g", "10 uS")
        .param("i", "2 nA")
        .param("c", "0.25 nF")
        .param("rate", "20 Hz")
        .param("k", "0.04 / mV")
        .param("density", "20 nS / cm2")
        .param("plain", "3");
    let e = compile(&def, &CompileOptions::default()).unwrap_err();
    assert!(e.message.contains("`i` is a reserved name"), "{e}");
    let def = ModelDefinition {
        params: def.params.into_iter().filter(|p| p.0 != "i").collect(),
        ..def
    };
    let model = compile(&def, &CompileOptions::default()).unwrap();
    let value = |name: &str| model.params().iter().find(|p| p.name == name).unwrap().value;
    assert_eq!(value("tau"), 1000.0);
    assert_eq!(value("r"), 0.2, "gigaohm");
    assert_eq!(value("g"), 10_000.0, "nS");
    assert_eq!(value("c"), 250.0, "pF");
    assert_eq!(value("rate"), 0.02, "per ms");
    assert_eq!(value("k"), 0.04);
    assert_eq!(value("density"), 2e-7, "nS per um^2");
    assert_eq!(value("plain"), 3.0);
    let unit = |name: &str| {
        model
            .params()
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .unit
            .clone()
    };
    assert_eq!(unit("r"), "ohm");
    assert_eq!(unit("k"), "1/V");
    assert_eq!(unit("density"), "S/m^2");
}

#[test]
fn every_shipped_model_loads_in_well_under_half_a_second() {
    for name in ["lif", "lif_cond", "izhikevich", "adex", "qif", "hindmarsh_rose"] {
        let def = definition(name);
        let start = Instant::now();
        let model = compile(&def, &CompileOptions::default()).unwrap();
        let source = format!("{}\n{}", wgsl::support_source(), model.wgsl());
        wgsl::validate(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        let took = start.elapsed().as_secs_f64();
        eprintln!(
            "{name}: parse, unit check, code generation and naga validation {:.2} ms ({} CPU instructions, {} registers, {} constants)",
            took * 1e3,
            model.cpu_program().len(),
            model.cpu_program().registers(),
            model.wgsl_names().constants
        );
        assert!(took < 0.5, "{name} took {took} s");
    }
}

#[test]
fn integration_methods_converge_to_the_exact_solution_at_their_order() {
    // v' = (-(v - E) + I)/tau, I' = -I/tau_s from v = E, I = I0: a closed form.
    let (tau, tau_s, e, i0) = (10.0f64, 3.0f64, -60.0f64, 12.0f64);
    let t = 20.0;
    let v_exact = e + i0 * tau_s / (tau_s - tau) * ((-t / tau_s).exp() - (-t / tau).exp());
    let error = |method: &str, dt: f64| {
        let def = ModelDefinition::new("two")
            .equations("dv/dt = (-(v - E) + I) / tau : mV\ndI/dt = -I / tau_s : mV")
            .method(method)
            .param("tau", "10 ms")
            .param("tau_s", "3 ms")
            .param("E", "-60 mV")
            .initial("v", "-60 mV")
            .initial("I", "12 mV");
        let model = compile(&def, &CompileOptions::default()).unwrap();
        let mut pop = model.population(1, dt).unwrap();
        run_quiet(&mut pop, (t / dt).round() as u32);
        (f64::from(pop.state("v").unwrap()[0]) - v_exact).abs()
    };
    let f32_noise = 2e-5;
    for (method, order) in [
        ("euler", 1.0),
        ("exponential_euler", 1.0),
        ("rk2", 2.0),
        ("rk4", 4.0),
    ] {
        let (coarse, fine) = (error(method, 0.2), error(method, 0.1));
        eprintln!("{method}: error {coarse:e} at dt 0.2, {fine:e} at dt 0.1");
        if coarse > 100.0 * f32_noise {
            let observed = (coarse / fine).log2();
            assert!((observed - order).abs() < 0.3, "{method}: order {observed}");
        } else {
            assert!(fine < f32_noise, "{method}: {fine}");
        }
    }
    assert!(error("exact", 0.1) < f32_noise);
    assert!(error("exact", 1.0) < f32_noise);
}

#[test]
fn white_noise_gives_a_membrane_standard_deviation_independent_of_dt() {
    // Brian2's meaning of xi: sigma * sqrt(2/tau) * xi makes v an Ornstein-Uhlenbeck process
    // with standard deviation sigma whatever dt (Euler-Maruyama: a factor
    // 1/sqrt(1 - dt/(2 tau)), 0.25% at dt = 0.1 ms).
    for dt in [0.1, 0.02] {
        let def = ModelDefinition::new("ou")
            .equations("dv/dt = -(v - v0) / tau + sigma * sqrt(2 / tau) * xi : mV")
            .param("tau", "10 ms")
            .param("v0", "-60 mV")
            .param("sigma", "3 mV")
            .initial("v", "-60 mV");
        let model = compile(&def, &CompileOptions::default()).unwrap();
        assert_eq!(
            model.variables()[0].method,
            Some(Method::Euler),
            "automatic: euler for noise"
        );
        let n = 4000;
        let mut pop = model.population(n, dt).unwrap();
        run_quiet(&mut pop, (100.0 / dt) as u32);
        let v = pop.state("v").unwrap();
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
        let std = (v.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        eprintln!("dt {dt}: mean {mean:.3} mV, standard deviation {std:.3} mV");
        assert!((mean + 60.0).abs() < 0.2, "{mean}");
        assert!((std - 3.0).abs() < 0.12, "dt {dt}: {std}");
    }
}

#[test]
fn qif_spike_times_match_the_analytic_solution_within_one_tick() {
    // v' = (k (v - v_r)(v - v_c) + I)/tau: with u = v - (v_r + v_c)/2 and
    // w^2 = (I - k d^2)/k, d = (v_c - v_r)/2, the time from u0 to u1 is
    // tau/(k w) (atan(u1/w) - atan(u0/w)).
    let (k, vr, vc, tau, i, peak, reset) = (0.04f64, -65.0f64, -50.0f64, 10.0f64, 5.0f64, 30.0f64, -70.0f64);
    let m = (vr + vc) / 2.0;
    let d = (vc - vr) / 2.0;
    let w = ((i - k * d * d) / k).sqrt();
    let time = |from: f64| tau / (k * w) * (((peak - m) / w).atan() - ((from - m) / w).atan());
    let dt = 0.1;
    let mut def = definition("qif").method("rk4");
    for p in def.params.iter_mut().filter(|p| p.0 == "I_ext") {
        p.1 = "5 mV".into();
    }
    let model = compile(&def, &CompileOptions::default()).unwrap();
    let mut pop = model.population(1, dt).unwrap();
    let spikes = run_quiet(&mut pop, 10_000);
    assert!(spikes.len() > 5, "{spikes:?}");
    // The spike of tick k is stamped at k dt; the crossing happened within that step.
    let first = f64::from(spikes[0] + 1) * dt;
    assert!(
        (first - time(-65.0)).abs() < dt,
        "first spike {first} ms, analytic {}",
        time(-65.0)
    );
    // After a spike, v is held at the reset for round(t_ref/dt) - 1 ticks, then integrates.
    let held = (2.0 / dt).round() - 1.0;
    let isi = held * dt + time(reset);
    for pair in spikes.windows(2) {
        let got = f64::from(pair[1] - pair[0]) * dt;
        assert!((got - isi).abs() < dt, "interval {got} ms, analytic {isi} ms");
    }
}

#[test]
fn hindmarsh_rose_bursts() {
    let model = compiled("hindmarsh_rose", &[]);
    let mut pop = model.population(1, 0.05).unwrap();
    let spikes = run_quiet(&mut pop, 100_000);
    let isis: Vec<u32> = spikes.windows(2).map(|p| p[1] - p[0]).collect();
    let (short, long) = (isis.iter().min().unwrap(), isis.iter().max().unwrap());
    eprintln!(
        "Hindmarsh-Rose: {} spikes in 5 s, intervals {short}..{long} ticks",
        spikes.len()
    );
    assert!(spikes.len() > 20, "{}", spikes.len());
    assert!(*long > 5 * short, "bursts are separated by long pauses: {isis:?}");
}

#[test]
fn a_refractory_condition_holds_until_it_fails() {
    // v rises at 1 mV/ms and is never reset: the neuron spikes when v first exceeds 5 mV and
    // stays refractory while v > 4 mV.
    let def = ModelDefinition::new("ramp")
        .equations("dv/dt = rate : mV\nspikes : 1")
        .threshold("v > 5 mV")
        .refractory("v > 4 mV")
        .reset("spikes += 1")
        .param("rate", "1 mV/ms");
    let model = compile(&def, &CompileOptions::default()).unwrap();
    // dt = 0.125 ms: v is exactly k/8 mV after k steps.
    let mut pop = model.population(1, 0.125).unwrap();
    let spikes = run_quiet(&mut pop, 200);
    assert_eq!(
        spikes,
        vec![40],
        "one spike, in the step that takes v to 5.125 mV"
    );
    assert_eq!(pop.refractory()[0], 1, "still refractory while v > 4 mV");
    pop.state_mut("v").unwrap()[0] = 0.0;
    let spikes = run_quiet(&mut pop, 100);
    assert_eq!(spikes, vec![40], "free again once v < 4 mV");
    assert_eq!(pop.state("spikes").unwrap()[0], 2.0);
}

/// Time this thread has spent on a CPU (s): the scheduler's own account, so that other
/// processes on a shared machine do not count; wall time where it is not available.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map(|ns| ns as f64 * 1e-9)
        .unwrap_or_else(|| {
            static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
            START.get_or_init(Instant::now).elapsed().as_secs_f64()
        })
}

#[test]
#[ignore = "timing; run with: cargo test --release --test suite cpu_speed -- --ignored --nocapture"]
fn cpu_speed_of_a_user_defined_lif_is_at_least_0_8_of_the_builtin_lif() {
    let n = 100_000;
    let dt = 0.1;
    let model = compiled("lif", &[]);
    let mut ours = model.population(n, dt).unwrap();
    let builtin = NeuronModel::Lif(LifParams::default());
    let pop = PopGpu {
        start: 0,
        size: n as u32,
        refractory_ticks: 50,
        model: 0,
        c: builtin.constants(dt),
        input_lag: 0,
    };
    let mut theirs = vec![
        NeuronState {
            v: -55.0,
            ..Default::default()
        };
        n
    ];
    ours.state_mut("v").unwrap().fill(-55.0);
    let inputs = random_inputs(40, n, 8, 0.1, 0.6, -4.5, 0.0);
    let split: Vec<[Vec<f32>; 3]> = inputs.iter().map(|t| super::ports(t)).collect();
    let zeros = vec![0.0f32; n];
    let ticks = 100u32;
    let (mut best_ours, mut best_theirs) = (f64::MAX, f64::MAX);
    let (mut count_ours, mut count_theirs) = (0usize, 0usize);
    for _ in 0..7 {
        let start = cpu_seconds();
        for tick in 0..ticks {
            let [e, i, _] = &split[tick as usize % split.len()];
            let mut spikes = Vec::new();
            let inputs = TickInputs {
                excitatory: e,
                inhibitory: i,
                current: &zeros,
                tick,
                key: [1, 2],
                stream: 0,
            };
            ours.step(&inputs, &mut spikes);
            count_ours += spikes.len();
        }
        best_ours = best_ours.min(cpu_seconds() - start);
        let start = cpu_seconds();
        for tick in 0..ticks {
            let [e, i, _] = &split[tick as usize % split.len()];
            let mut spikes = Vec::new();
            for (k, s) in theirs.iter_mut().enumerate() {
                if lif::update_exponential::<false>(s, &pop, -50.0, e[k], i[k], 0.0) {
                    spikes.push(k as u32);
                }
            }
            count_theirs += spikes.len();
        }
        best_theirs = best_theirs.min(cpu_seconds() - start);
    }
    assert_eq!(count_ours, count_theirs, "the same spikes");
    let per = |t: f64| t / f64::from(ticks) / n as f64 * 1e9;
    let ratio = best_theirs / best_ours;
    eprintln!(
        "100,000 LIF neurons: built-in {:.2} ns per neuron-tick, equations {:.2} ns: speed ratio {ratio:.2} ({} spikes)",
        per(best_theirs),
        per(best_ours),
        count_ours
    );
    assert!(
        ratio >= 0.8,
        "the user-defined LIF runs at {ratio:.2} of the built-in speed"
    );
}
