//! Noise currents' two meanings: per step (`noise_std_per_step`, alias `noise_std`: each step
//! draws with that standard deviation, so the membrane's spread shrinks with dt) and Brian2's
//! `sigma * sqrt(tau) * xi` (`noise_sigma` with `noise_tau`: independent of dt). The stationary
//! membrane standard deviation of a non-spiking LIF is checked against its formula at two time
//! steps, on both backends.

use spikegpu::app::modelfile;
use spikegpu::sim::{Backend, Simulator};
use spikegpu::{CurrentSource, Network};

use crate::common;

const TAU_M: f64 = 5.0;
const SIGMA: f64 = 2.0;
const NEURONS: usize = 4000;

/// Two non-spiking LIF populations (rest 20 mV below threshold): "step" gets a noise of
/// `SIGMA` mV per step, "white" Brian2's `SIGMA * sqrt(tau_m) * xi`.
fn network(dt: f64) -> Network {
    let population = |name: &str| {
        format!(
            "[[population]]\nname = \"{name}\"\nsize = {NEURONS}\nmodel = \"lif\"\n\
             params = {{ tau_m = \"{TAU_M} ms\", v_rest = \"-70 mV\", v_reset = \"-75 mV\", v_thresh = \"-50 mV\" }}\n"
        )
    };
    let text = format!(
        "dt = \"{dt} ms\"\nseed = 5\n{}{}\
         [[current]]\ntarget = \"step\"\nnoise_std = \"{SIGMA} mV\"\n\
         [[current]]\ntarget = \"white\"\nnoise_mean = 0\nnoise_sigma = \"{SIGMA} mV\"\nnoise_tau = \"{TAU_M} ms\"\n",
        population("step"),
        population("white"),
    );
    modelfile::parse(&text, "noise.toml", None).unwrap().network
}

/// Stationary variance of `v` for a current redrawn each step with standard deviation `s`:
/// the exact propagator gives `v' = a v + (1 - a) I` with `a = exp(-dt / tau_m)`, so
/// `var = s^2 (1 - a)^2 / (1 - a^2) = s^2 tanh(dt / (2 tau_m))`.
fn stationary_sd(per_step_sd: f64, dt: f64) -> f64 {
    per_step_sd * (dt / (2.0 * TAU_M)).tanh().sqrt()
}

fn mean_and_sd(v: &[f32]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = v.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Runs 25 ms (5 tau_m: the start's deficit in variance is e^-10) and checks both
/// populations' spread against the formula; returns the membrane potentials.
fn check(net: &Network, backend: Backend, dt: f64) -> Vec<Vec<f32>> {
    let mut sim = Simulator::new(net, backend).unwrap();
    sim.run_ticks((5.0 * TAU_M / dt).round() as u64).unwrap();
    assert!(sim.spike_records().is_empty(), "{backend:?} dt {dt}: no spikes");
    let white = SIGMA * (TAU_M / dt).sqrt();
    let mut all = Vec::new();
    for (pop, per_step) in net.population_ids().into_iter().zip([SIGMA, white]) {
        let v = sim.membrane_potentials(pop).unwrap();
        let (mean, sd) = mean_and_sd(&v);
        let want = stationary_sd(per_step, dt);
        // Sample sd of 4000 independent neurons: relative error about 1/sqrt(8000) = 1.1%.
        assert!(
            (sd / want - 1.0).abs() < 0.05,
            "{backend:?} dt {dt} pop {pop:?}: sd {sd} vs {want}"
        );
        assert!(
            (mean + 70.0).abs() < 5.0 * want / (NEURONS as f64).sqrt(),
            "mean {mean}"
        );
        all.push(v);
    }
    all
}

#[test]
fn white_noise_spread_is_independent_of_dt_and_per_step_noise_is_not() {
    let start = std::time::Instant::now();
    for dt in [0.2, 1.0] {
        let net = network(dt);
        assert_eq!(
            net.current_inputs[1].source,
            CurrentSource::WhiteNoise {
                mean: 0.0,
                sigma: SIGMA,
                tau_ms: TAU_M
            }
        );
        let cpu = check(&net, Backend::Cpu, dt);
        eprintln!("dt {dt}: cpu done at {:.2} s", start.elapsed().as_secs_f64());
        if common::gpu().is_some() {
            let gpu = check(&net, Backend::Gpu, dt);
            eprintln!("dt {dt}: gpu done at {:.2} s", start.elapsed().as_secs_f64());
            assert_eq!(gpu, cpu, "dt {dt}: the same draws and updates on both backends");
        }
    }
    // The formulas themselves: Brian2's form gives sigma / sqrt(2) at both steps, the per-step
    // form sqrt(5) times less membrane noise at the 5 times smaller step.
    let white = |dt: f64| stationary_sd(SIGMA * (TAU_M / dt).sqrt(), dt);
    assert!((white(0.2) / (SIGMA / 2f64.sqrt()) - 1.0).abs() < 1e-4);
    assert!((white(1.0) / (SIGMA / 2f64.sqrt()) - 1.0).abs() < 2e-3);
    let ratio = stationary_sd(SIGMA, 1.0) / stationary_sd(SIGMA, 0.2);
    assert!((ratio - 5f64.sqrt()).abs() < 0.01, "{ratio}");
    eprintln!("noise spread test: {:.2} s", start.elapsed().as_secs_f64());
}

#[test]
fn noise_keys_are_checked_with_the_field_named() {
    let head = "dt = \"0.1 ms\"\n[[population]]\nname = \"a\"\nsize = 2\nmodel = \"lif\"\n";
    let parse = |keys: &str| {
        modelfile::parse(
            &format!("{head}[[current]]\ntarget = \"a\"\n{keys}"),
            "m.toml",
            None,
        )
    };
    let explicit = parse("noise_std_per_step = 3\n").unwrap();
    assert_eq!(
        explicit.network.current_inputs[0].source,
        CurrentSource::Noise { mean: 0.0, std: 3.0 }
    );
    for (bad, needle) in [
        ("noise_std = 1\nnoise_sigma = 1\nnoise_tau = 10\n", "not both"),
        ("noise_sigma = 1\n", "noise_tau"),
        ("noise_mean = 1\nnoise_tau = 10\n", "goes with noise_sigma"),
        ("noise_sigma = \"1 ms\"\nnoise_tau = 10\n", "noise_sigma"),
        ("noise_sigma = 1\nnoise_tau = \"1 mV\"\n", "noise_tau"),
        ("noise_sigma = -1\nnoise_tau = 10\n", "sigma"),
        ("noise_sigma = 1\nnoise_tau = 0\n", "tau_ms"),
        ("noise_std = 1\nnoise_std_per_step = 1\n", "noise_std"),
        ("dc = 1\nnoise_sigma = 1\nnoise_tau = 10\n", "give exactly one of"),
    ] {
        let e = parse(bad).expect_err(bad).to_string();
        assert!(e.contains(needle), "{bad}: {e}");
    }
}
