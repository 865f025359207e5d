//! Standard benchmark networks, built from their published definitions.

pub mod microcircuit;
pub mod reward;

use crate::error::{Result, invalid};
use crate::model::{
    Connectivity, CurrentSource, InitialValue, Network, NetworkBuilder, PopulationId, Receptor, StateVar,
    WeightDist,
};
use crate::neurons::{CurrentSynapse, HhParams, IzhikevichParams, LifCondParams, LifParams, NeuronModel};
use crate::rng::{PhiloxStream, seed_key};

fn check_scale(scale: f64) -> Result<()> {
    if scale.is_finite() && scale > 0.0 {
        Ok(())
    } else {
        Err(invalid("scale", scale, "must be finite and > 0"))
    }
}

/// 80/20 excitatory/inhibitory sizes of a 4,000-neuron benchmark network times `scale`.
fn ei_sizes(n: f64, scale: f64) -> (u32, u32) {
    let n_exc = (0.8 * n * scale).round().max(1.0) as u32;
    let n_inh = (0.2 * n * scale).round().max(1.0) as u32;
    (n_exc, n_inh)
}

/// Wires the 80/20 benchmark networks: every population receives `exc` through the excitatory
/// port with weight `w_exc` and `inh` through the inhibitory port with `w_inh`, in the order
/// exc -> exc, inh -> exc, exc -> inh, inh -> inh (the order the model files list).
fn wire_exc_inh(
    b: &mut NetworkBuilder,
    (exc, inh): (PopulationId, PopulationId),
    conn: &Connectivity,
    (w_exc, w_inh): (WeightDist, WeightDist),
    delay_ms: f64,
) -> Result<()> {
    let delay = WeightDist::Constant(delay_ms);
    for post in [exc, inh] {
        b.projection(exc, post, conn.clone(), w_exc, delay, Receptor::Excitatory)?;
        b.projection(inh, post, conn.clone(), w_inh, delay, Receptor::Inhibitory)?;
    }
    Ok(())
}

fn constant_weights(w_exc: f64, w_inh: f64) -> (WeightDist, WeightDist) {
    (WeightDist::Constant(w_exc), WeightDist::Constant(w_inh))
}

/// Normal initial conductances (nS) of the Brette et al. 2007 conductance benchmarks.
fn initial_conductances(
    b: &mut NetworkBuilder,
    pops: [PopulationId; 2],
    g_e: (f64, f64),
    g_i: (f64, f64),
) -> Result<()> {
    for pop in pops {
        b.initial_value(
            pop,
            StateVar::SynExc,
            InitialValue::Normal {
                mean: g_e.0,
                std: g_e.1,
            },
        )?;
        b.initial_value(
            pop,
            StateVar::SynInh,
            InitialValue::Normal {
                mean: g_i.0,
                std: g_i.1,
            },
        )?;
    }
    Ok(())
}

/// Vogels & Abbott 2005 CUBA as defined by the Brette et al. 2007 benchmark suite and
/// Brian2's `CUBA` example: 4,000 LIF neurons (3,200 exc, 800 inh), p = 0.02 with autapses
/// allowed, we = 60*0.27/10 mV, wi = -20*4.5/10 mV, V0 uniform in [Vr, Vt], dt 0.1 ms, no
/// external input. `scale` multiplies the neuron count and divides p, keeping the in-degree.
///
/// Brian2's synapses have no delay: a spike changes the current in the same step, after the
/// threshold, so it shows in v from the next step. Here the one-tick minimum delay delivers it
/// at the start of the next tick, before integration: the same arithmetic.
pub fn cuba(seed: u64, scale: f64) -> Result<Network> {
    check_scale(scale)?;
    let (n_exc, n_inh) = ei_sizes(4000.0, scale);
    let p = (0.02 / scale).min(1.0);
    let lif = LifParams::default();
    let v0 = InitialValue::Uniform {
        low: lif.v_reset_mv,
        high: lif.v_thresh_mv,
    };
    let mut b = NetworkBuilder::new(0.1, seed);
    let exc = b.population("exc", n_exc, NeuronModel::Lif(lif.clone()), v0.clone())?;
    let inh = b.population("inh", n_inh, NeuronModel::Lif(lif), v0.clone())?;
    // 60 * 0.27 / 10 mV and -20 * 4.5 / 10 mV, written as the decimal values model files use.
    let conn = Connectivity::FixedProbability { p, autapses: true };
    wire_exc_inh(&mut b, (exc, inh), &conn, constant_weights(1.62, -9.0), 0.1)?;
    b.build()
}

/// Brette et al. 2007 benchmark 1 (the Vogels & Abbott 2005 COBA network): 4,000 conductance
/// LIF neurons, 3,200 exc / 800 inh, p = 0.02, C 200 pF, g_L 10 nS, E_L = V_r = -60 mV,
/// V_t -50 mV, refractory 5 ms, E_e 0 mV, E_i -80 mV, tau_e 5 ms, tau_i 10 ms, w_e 6 nS,
/// w_i 67 nS; no external drive, activity self-sustained from the random initial state
/// v ~ E_L + N(-5, 5) mV, g_e ~ N(4, 1.5) g_L, g_i ~ N(20, 12) g_L; dt 0.1 ms.
pub fn coba(seed: u64, scale: f64) -> Result<Network> {
    check_scale(scale)?;
    let (n_exc, n_inh) = ei_sizes(4000.0, scale);
    let p = (0.02 / scale).min(1.0);
    let params = LifCondParams::default();
    let g_l = params.g_leak_ns;
    let mut b = NetworkBuilder::new(0.1, seed);
    let v0 = InitialValue::Normal {
        mean: params.e_leak_mv - 5.0,
        std: 5.0,
    };
    let exc = b.population("exc", n_exc, NeuronModel::LifCond(params.clone()), v0.clone())?;
    let inh = b.population("inh", n_inh, NeuronModel::LifCond(params), v0.clone())?;
    initial_conductances(
        &mut b,
        [exc, inh],
        (4.0 * g_l, 1.5 * g_l),
        (20.0 * g_l, 12.0 * g_l),
    )?;
    let conn = Connectivity::FixedProbability { p, autapses: true };
    wire_exc_inh(&mut b, (exc, inh), &conn, constant_weights(6.0, -67.0), 0.1)?;
    b.build()
}

/// Brunel 2000 model A: N = 12,500 x scale LIF neurons with delta synapses (80% exc),
/// fixed connection probability C_E / N_E so that the in-degree C_E = 1000 (and C_I = 250)
/// is kept when scaling, J = 0.1 mV, inhibitory -g J, delay D = 1.5 ms, tau 20 ms,
/// theta 20 mV, V_r 10 mV, refractory 2 ms, external Poisson drive of C_E inputs at
/// eta x nu_thr (nu_thr = theta / (J C_E tau)). Fig. 8: g = 5, eta = 2 is synchronous
/// irregular; g = 6, eta = 4 asynchronous irregular (in the paper).
pub fn brunel(seed: u64, scale: f64, g: f64, eta: f64) -> Result<Network> {
    brunel_with(seed, scale, g, eta, false)
}

/// [`brunel`] with the choice of what happens to input arriving during the refractory period:
/// discarded (`false`, NEST `iaf_psc_delta` and shared/DESIGN.md) or added to `v` as Brian2's
/// `on_pre: v += J` does (`true`), for side-by-side comparison with Brian2.
pub fn brunel_with(seed: u64, scale: f64, g: f64, eta: f64, input_while_refractory: bool) -> Result<Network> {
    check_scale(scale)?;
    if !(g.is_finite() && g >= 0.0) {
        return Err(invalid("g", g, "must be finite and >= 0"));
    }
    if !(eta.is_finite() && eta >= 0.0) {
        return Err(invalid("eta", eta, "must be finite and >= 0"));
    }
    let n = (12_500.0 * scale).round().max(5.0);
    let n_exc = (0.8 * n).round() as u32;
    let n_inh = n as u32 - n_exc;
    let c_e = 1000.0f64.min(f64::from(n_exc));
    let epsilon = c_e / f64::from(n_exc);
    let (j, tau, theta) = (0.1, 20.0, 20.0);
    let lif = LifParams {
        tau_m_ms: tau,
        v_rest_mv: 0.0,
        v_reset_mv: 10.0,
        v_thresh_mv: theta,
        refractory_ms: 2.0,
        synapse: CurrentSynapse::Delta,
        delta_input_while_refractory: input_while_refractory,
        ..LifParams::default()
    };
    let nu_thr_hz = theta / (j * c_e * tau) * 1e3;
    let mut b = NetworkBuilder::new(0.1, seed);
    let v0 = InitialValue::Constant(0.0);
    let exc = b.population("exc", n_exc, NeuronModel::Lif(lif.clone()), v0.clone())?;
    let inh = b.population("inh", n_inh, NeuronModel::Lif(lif), v0.clone())?;
    let conn = Connectivity::FixedProbability {
        p: epsilon,
        autapses: true,
    };
    wire_exc_inh(&mut b, (exc, inh), &conn, constant_weights(j, -g * j), 1.5)?;
    for post in [exc, inh] {
        b.poisson_input(post, c_e * eta * nu_thr_hz, j, Receptor::Excitatory)?;
    }
    b.build()
}

/// Izhikevich 2003 (IEEE TNN 14:1569), the paper's network: 800 excitatory neurons with
/// a = 0.02, b = 0.2, c = -65 + 15 r^2, d = 8 - 6 r^2 and 200 inhibitory with
/// a = 0.02 + 0.08 r, b = 0.25 - 0.05 r, c = -65, d = 2 (r uniform per neuron); all-to-all,
/// weights uniform in [0, 0.5] (exc) and [-1, 0] (inh); thalamic noise current of standard
/// deviation 5 (exc) and 2 (inh) each 1 ms step; dt = 1 ms; spikes act on the next step.
pub fn izhikevich(seed: u64, scale: f64) -> Result<Network> {
    check_scale(scale)?;
    let (n_exc, n_inh) = ei_sizes(1000.0, scale);
    let mut b = NetworkBuilder::new(1.0, seed);
    let v0 = InitialValue::Constant(-65.0);
    let exc = b.population(
        "exc",
        n_exc,
        NeuronModel::Izhikevich(IzhikevichParams::default()),
        v0.clone(),
    )?;
    let inh = b.population(
        "inh",
        n_inh,
        NeuronModel::Izhikevich(IzhikevichParams::default()),
        v0.clone(),
    )?;
    let exc_abcd = izhikevich_2003_abcd(seed, IzhikevichRole::Excitatory, n_exc);
    let inh_abcd = izhikevich_2003_abcd(seed, IzhikevichRole::Inhibitory, n_inh);
    b.izhikevich_per_neuron(exc, exc_abcd)?;
    b.izhikevich_per_neuron(inh, inh_abcd)?;
    let all = Connectivity::AllToAll { autapses: true };
    // Weights of the 1,000-neuron network, scaled so that the summed input per neuron is kept.
    let w = 1.0 / scale;
    let weights = (
        WeightDist::Uniform {
            low: 0.0,
            high: 0.5 * w,
        },
        WeightDist::Uniform { low: -w, high: 0.0 },
    );
    wire_exc_inh(&mut b, (exc, inh), &all, weights, 1.0)?;
    b.current_input(exc, CurrentSource::Noise { mean: 0.0, std: 5.0 })?;
    b.current_input(inh, CurrentSource::Noise { mean: 0.0, std: 2.0 })?;
    b.build()
}

/// Which half of the Izhikevich 2003 network a population plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IzhikevichRole {
    /// a = 0.02, b = 0.2, c = -65 + 15 r^2, d = 8 - 6 r^2.
    Excitatory,
    /// a = 0.02 + 0.08 r, b = 0.25 - 0.05 r, c = -65, d = 2.
    Inhibitory,
}

/// Per-neuron (a, b, c, d) of the Izhikevich 2003 network, `r` uniform per neuron from the
/// seed (one Philox stream per role, so model files reproduce the Rust builder exactly).
pub fn izhikevich_2003_abcd(seed: u64, role: IzhikevichRole, n: u32) -> Vec<[f64; 4]> {
    let key = seed_key(seed);
    let stream = crate::rng::stream::MODEL + u32::from(role == IzhikevichRole::Inhibitory);
    (0..n)
        .map(|i| {
            let r = PhiloxStream::new(key, stream, i).uniform();
            match role {
                IzhikevichRole::Excitatory => [0.02, 0.2, -65.0 + 15.0 * r * r, 8.0 - 6.0 * r * r],
                IzhikevichRole::Inhibitory => [0.02 + 0.08 * r, 0.25 - 0.05 * r, -65.0, 2.0],
            }
        })
        .collect()
}

/// Brette et al. 2007 benchmark 3 (Brian2's `COBAHH` example): 4,000 Traub-Miles HH neurons,
/// 3,200 exc / 800 inh, p = 0.02, exponential conductance synapses (w_e 6 nS, w_i 67 nS,
/// tau_e 5 ms, tau_i 10 ms), initial v ~ E_L + N(-5, 5) mV, g_e ~ N(40, 15) nS,
/// g_i ~ N(200, 120) nS, dt 0.1 ms, no external drive.
pub fn cobahh(seed: u64, scale: f64) -> Result<Network> {
    check_scale(scale)?;
    let (n_exc, n_inh) = ei_sizes(4000.0, scale);
    let p = (0.02 / scale).min(1.0);
    let params = HhParams::default();
    let mut b = NetworkBuilder::new(0.1, seed);
    let v0 = InitialValue::Normal {
        mean: params.e_leak_mv - 5.0,
        std: 5.0,
    };
    let exc = b.population(
        "exc",
        n_exc,
        NeuronModel::HodgkinHuxley(params.clone()),
        v0.clone(),
    )?;
    let inh = b.population("inh", n_inh, NeuronModel::HodgkinHuxley(params), v0.clone())?;
    initial_conductances(&mut b, [exc, inh], (40.0, 15.0), (200.0, 120.0))?;
    let conn = Connectivity::FixedProbability { p, autapses: true };
    wire_exc_inh(&mut b, (exc, inh), &conn, constant_weights(6.0, -67.0), 0.1)?;
    b.build()
}

/// Song, Miller & Abbott 2000 as in Brian2's `STDP` example: 1,000 Poisson inputs at 15 Hz
/// onto one conductance LIF neuron (tau_m 10 ms: C 100 pF, g_L 10 nS; E_L -74 mV, V_t -54 mV,
/// V_r -60 mV, E_e 0 mV, tau_e 5 ms, no refractory period) through additive pair STDP
/// (tau+ = tau- = 20 ms, A+ = 0.01, A- = 1.05 A+, relative to g_max = 0.01 g_L = 0.1 nS),
/// initial weights uniform in [0, g_max].
pub fn song_miller_abbott(seed: u64) -> Result<Network> {
    let mut b = NetworkBuilder::new(0.1, seed);
    let inputs = b.population(
        "inputs",
        1000,
        NeuronModel::PoissonSource { rate_hz: 15.0 },
        InitialValue::Constant(0.0),
    )?;
    let neuron = LifCondParams {
        c_m_pf: 100.0,
        g_leak_ns: 10.0,
        e_leak_mv: -74.0,
        v_reset_mv: -60.0,
        v_thresh_mv: -54.0,
        e_exc_mv: 0.0,
        tau_syn_exc_ms: 5.0,
        refractory_ms: 0.0,
        ..LifCondParams::default()
    };
    let post = b.population(
        "neuron",
        1,
        NeuronModel::LifCond(neuron),
        InitialValue::Constant(-74.0),
    )?;
    let g_max = 0.1;
    let proj = b.projection(
        inputs,
        post,
        Connectivity::AllToAll { autapses: false },
        WeightDist::Uniform {
            low: 0.0,
            high: g_max,
        },
        WeightDist::Constant(0.1),
        Receptor::Excitatory,
    )?;
    b.plasticity(
        proj,
        crate::model::plasticity::StdpParams::pair(20.0, 20.0, 0.01, 0.0105, 0.0, g_max),
    )?;
    b.build()
}

/// Names of the models `spikegpu bench` knows (`brunel` is Fig. 8's synchronous irregular
/// regime g = 5, eta = 2; `brunel-ai` is g = 6, eta = 4; `microcircuit` is Potjans &
/// Diesmann 2014, see [`crate::networks::microcircuit`], whose `--scale` multiplies the neurons and
/// keeps the in-degrees as for the other models).
pub const BENCH_MODELS: &[&str] = &[
    "cuba",
    "coba",
    "brunel",
    "brunel-ai",
    "izhikevich",
    "cobahh",
    "brunel-stdp",
    "stdp",
    "microcircuit",
];

/// Models with a model file under `examples/models/` (all of them).
pub const FILE_MODELS: &[&str] = BENCH_MODELS;

/// The models `spikegpu bench all` runs: every bench model but the [`LARGE_MODELS`] (the
/// full-scale microcircuit, minutes on a CPU), which run by name.
pub fn default_bench_models() -> impl Iterator<Item = &'static str> {
    BENCH_MODELS.iter().copied().filter(|m| !LARGE_MODELS.contains(m))
}

/// Models whose full-scale plan is too large to build in routine tests (minutes, gigabytes):
/// the Potjans & Diesmann microcircuit (3e8 synapses). Tests compare their descriptions instead.
pub const LARGE_MODELS: &[&str] = &["microcircuit"];

/// [`brunel`] (g = 5, eta = 2) with additive pair STDP on the excitatory-to-excitatory synapses
/// (tau+ 16.8 ms, tau- 33.7 ms, A+ 0.005, A- 0.00525 of a 0 to 0.2 mV range, delays half
/// dendritic): the plastic counterpart of the static benchmark.
pub fn brunel_stdp(seed: u64, scale: f64) -> Result<Network> {
    let net = brunel(seed, scale, 5.0, 2.0)?;
    let mut b = NetworkBuilder::from_network(net);
    let rule = crate::model::plasticity::StdpParams {
        dendritic_fraction: 0.5,
        ..crate::model::plasticity::StdpParams::pair(16.8, 33.7, 0.005, 0.00525, 0.0, 0.2)
    };
    let exc_exc = b.projection_ids()[0];
    b.plasticity(exc_exc, rule)?;
    b.build()
}

/// Builds the named standard model.
pub fn by_name(name: &str, seed: u64, scale: f64) -> Result<Network> {
    match name {
        "cuba" => cuba(seed, scale),
        "coba" => coba(seed, scale),
        "brunel" => brunel(seed, scale, 5.0, 2.0),
        "brunel-ai" => brunel(seed, scale, 6.0, 4.0),
        "izhikevich" => izhikevich(seed, scale),
        "cobahh" => cobahh(seed, scale),
        "brunel-stdp" => brunel_stdp(seed, scale),
        "stdp" if scale != 1.0 => Err(invalid(
            "scale",
            scale,
            "must be 1 for model stdp (one neuron with 1,000 inputs, as in the paper)",
        )),
        "stdp" => song_miller_abbott(seed),
        "microcircuit" if !(scale.is_finite() && scale > 0.0 && scale <= 1.0) => Err(invalid(
            "scale",
            scale,
            "must be finite and in (0, 1] for model microcircuit (the published network is scale 1; it is only downscaled)",
        )),
        // Like every other model: neurons multiplied, in-degrees kept (no compensation needed).
        "microcircuit" => crate::networks::microcircuit::microcircuit(seed, scale, 1.0),
        other => Err(invalid(
            "model",
            other,
            &format!("must be one of: {}", BENCH_MODELS.join(", ")),
        )),
    }
}
