//! Hodgkin-Huxley neuron of Traub-Miles type with conductance synapses, exponential Euler.

use std::borrow::Cow;

use super::steps::refractory_after_tick;
use super::{
    Dim, InitialV, ModelSpec, NeuronModel, ParamSpec, PopConstantsF64, Roles, StateSpec, below, model_id,
};
use crate::error::Result;
use crate::plan::layout::{NeuronState, PopGpu};

/// Hodgkin-Huxley neuron of Traub-Miles type with exponential conductance synapses, as in
/// Brette et al. 2007 benchmark 3 (Brian2's `COBAHH` example): a 20,000 um^2 patch, so
/// C = 200 pF, g_L = 10 nS, g_Na = 20 uS, g_Kd = 6 uS. Integrated by exponential Euler (each
/// variable relaxes exactly toward its instantaneous steady state over the step). A spike is
/// an upward crossing of `v_spike_mv` outside the refractory window; `v` is not reset.
#[derive(Clone, Debug, PartialEq)]
pub struct HhParams {
    /// Membrane capacitance (pF).
    pub c_m_pf: f64,
    /// Leak conductance (nS).
    pub g_leak_ns: f64,
    /// Leak reversal (mV).
    pub e_leak_mv: f64,
    /// Sodium conductance (nS).
    pub g_na_ns: f64,
    /// Sodium reversal (mV).
    pub e_na_mv: f64,
    /// Delayed-rectifier potassium conductance (nS).
    pub g_kd_ns: f64,
    /// Potassium reversal (mV).
    pub e_k_mv: f64,
    /// Traub-Miles threshold shift V_T (mV).
    pub v_t_mv: f64,
    /// Excitatory reversal (mV).
    pub e_exc_mv: f64,
    /// Inhibitory reversal (mV).
    pub e_inh_mv: f64,
    /// Excitatory conductance decay (ms).
    pub tau_syn_exc_ms: f64,
    /// Inhibitory conductance decay (ms).
    pub tau_syn_inh_ms: f64,
    /// Spike detection level (mV).
    pub v_spike_mv: f64,
    /// Window after a spike in which no new spike is registered (ms).
    pub refractory_ms: f64,
}

impl Default for HhParams {
    fn default() -> Self {
        Self {
            c_m_pf: 200.0,
            g_leak_ns: 10.0,
            e_leak_mv: -60.0,
            g_na_ns: 20_000.0,
            e_na_mv: 50.0,
            g_kd_ns: 6_000.0,
            e_k_mv: -90.0,
            v_t_mv: -63.0,
            e_exc_mv: 0.0,
            e_inh_mv: -80.0,
            tau_syn_exc_ms: 5.0,
            tau_syn_inh_ms: 10.0,
            v_spike_mv: -20.0,
            refractory_ms: 3.0,
        }
    }
}

/// The model-file parameters.
#[rustfmt::skip]
pub const PARAMS: &[ParamSpec] = &[
    quantity!("c_m", HodgkinHuxley.c_m_pf, Capacitance, Positive, 200.0, "Membrane capacitance"),
    quantity!("g_leak", HodgkinHuxley.g_leak_ns, Conductance, Positive, 10.0, "Leak conductance"),
    quantity!("e_leak", HodgkinHuxley.e_leak_mv, Voltage, Finite, -60.0, "Leak reversal potential"),
    quantity!("g_na", HodgkinHuxley.g_na_ns, Conductance, NonNegative, 20_000.0, "Sodium conductance"),
    quantity!("e_na", HodgkinHuxley.e_na_mv, Voltage, Finite, 50.0, "Sodium reversal potential"),
    quantity!("g_kd", HodgkinHuxley.g_kd_ns, Conductance, NonNegative, 6_000.0, "Delayed-rectifier potassium conductance"),
    quantity!("e_k", HodgkinHuxley.e_k_mv, Voltage, Finite, -90.0, "Potassium reversal potential"),
    quantity!("v_t", HodgkinHuxley.v_t_mv, Voltage, Finite, -63.0, "Traub-Miles threshold shift V_T"),
    quantity!("e_exc", HodgkinHuxley.e_exc_mv, Voltage, Finite, 0.0, "Excitatory reversal potential"),
    quantity!("e_inh", HodgkinHuxley.e_inh_mv, Voltage, Finite, -80.0, "Inhibitory reversal potential, below e_exc"),
    quantity!("tau_syn_exc", HodgkinHuxley.tau_syn_exc_ms, Time, Positive, 5.0, "Excitatory conductance decay"),
    quantity!("tau_syn_inh", HodgkinHuxley.tau_syn_inh_ms, Time, Positive, 10.0, "Inhibitory conductance decay"),
    quantity!("v_spike", HodgkinHuxley.v_spike_mv, Voltage, Finite, -20.0, "Spike detection level (upward crossing)"),
    quantity!("refractory", HodgkinHuxley.refractory_ms, Time, NonNegative, 3.0,
        "Window after a spike in which no new spike is registered"),
];

constant_slots! {
    /// Leak reversal potential.
    E_LEAK,
    /// Leak conductance.
    G_LEAK,
    /// Sodium reversal potential.
    E_NA,
    /// Sodium conductance.
    G_NA,
    /// Potassium reversal potential.
    E_K,
    /// Delayed-rectifier potassium conductance.
    G_KD,
    /// Traub-Miles threshold shift V_T.
    V_T,
    /// 1 / C.
    INV_C,
    /// Excitatory reversal potential.
    E_EXC,
    /// Inhibitory reversal potential.
    E_INH,
    /// Spike detection level (the per-neuron threshold comes in as `threshold`).
    V_SPIKE,
    /// Decay of the excitatory conductance per step.
    DECAY_E,
    /// Decay of the inhibitory conductance per step.
    DECAY_I,
    /// dt.
    DT,
}

/// The state variables.
pub const STATE: &[StateSpec] = &[
    state!("v", V, Voltage, "Membrane potential"),
    state!("m", U, None, "Sodium activation"),
    state!("h", W1, None, "Sodium inactivation"),
    state!("n", W2, None, "Potassium activation"),
    state!("g_e", SynE, Conductance, "Excitatory conductance"),
    state!("g_i", SynI, Conductance, "Inhibitory conductance"),
];

/// The model's table.
pub static SPEC: ModelSpec = ModelSpec {
    name: Cow::Borrowed("hh"),
    id: model_id::HH,
    summary: Cow::Borrowed("Traub-Miles Hodgkin-Huxley, exponential conductance synapses, exponential Euler"),
    params: Cow::Borrowed(PARAMS),
    state: Cow::Borrowed(STATE),
    slots: Cow::Borrowed(SLOTS),
    presets: Cow::Borrowed(&[]),
    roles: Roles {
        refractory: Some(Cow::Borrowed("refractory")),
        reset: None,
        threshold: Some(Cow::Borrowed("v_spike")),
        initial_v: InitialV::Param(Cow::Borrowed("e_leak")),
    },
    weight_unit: Dim::Conductance,
    current_unit: Dim::Current,
    conductance_synapses: true,
    defaults: || NeuronModel::HodgkinHuxley(HhParams::default()),
    wgsl: Cow::Borrowed(include_str!("../../shaders/models/hh.wgsl")),
};

/// Checks between parameters (each parameter's own range is checked from [`PARAMS`]).
pub fn validate_relations(p: &HhParams, owner: &str) -> Result<()> {
    below(owner, ("e_inh_mv", p.e_inh_mv), ("e_exc_mv", p.e_exc_mv))
}

/// The constants for time step `dt` (ms), in f64.
pub fn constants(p: &HhParams, dt: f64) -> PopConstantsF64 {
    let mut c = [0.0; super::POP_CONSTANTS];
    c[E_LEAK] = p.e_leak_mv;
    c[G_LEAK] = p.g_leak_ns;
    c[E_NA] = p.e_na_mv;
    c[G_NA] = p.g_na_ns;
    c[E_K] = p.e_k_mv;
    c[G_KD] = p.g_kd_ns;
    c[V_T] = p.v_t_mv;
    c[INV_C] = 1.0 / p.c_m_pf;
    c[E_EXC] = p.e_exc_mv;
    c[E_INH] = p.e_inh_mv;
    c[V_SPIKE] = p.v_spike_mv;
    c[DECAY_E] = (-dt / p.tau_syn_exc_ms).exp();
    c[DECAY_I] = (-dt / p.tau_syn_inh_ms).exp();
    c[DT] = dt;
    c
}

/// `hh_vtrap` of hh.wgsl: x / (exp(x / y) - 1), continuous at x = 0.
#[inline]
pub fn vtrap(x: f32, y: f32) -> f32 {
    if (x / y).abs() < 1e-6 {
        y * (1.0 - x / y / 2.0)
    } else {
        x / ((x / y).exp() - 1.0)
    }
}

/// `hh_relax` of hh.wgsl: a gating variable relaxed exactly toward its steady state over dt.
#[inline]
pub fn relax(x: f32, alpha: f32, beta: f32, dt: f32) -> f32 {
    let rate = alpha + beta;
    let x_inf = alpha / rate;
    x_inf + (x - x_inf) * (-dt * rate).exp()
}

/// `hh_update` of `shaders/models/hh.wgsl`, operation for operation. Not inlined into the
/// CPU's model loop (as before the move): its size would only crowd the loop of the others.
pub fn update(s: &mut NeuronState, p: &PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    let c = &p.c;
    s.syn_e += in_e;
    s.syn_i -= in_i;
    let refractory = refractory_after_tick(s.refractory);
    s.refractory = refractory;
    let (v, m, h, n) = (s.v, s.u, s.w1, s.w2);
    let x = v - c[V_T];
    let dt = c[DT];
    let g_na = c[G_NA] * m * m * m * h;
    let g_k = c[G_KD] * n * n * n * n;
    let g_total = ((c[G_LEAK] + s.syn_e) + (s.syn_i + g_na)) + g_k;
    let drive = ((c[G_LEAK] * c[E_LEAK] + s.syn_e * c[E_EXC]) + (s.syn_i * c[E_INH] + g_na * c[E_NA]))
        + (g_k * c[E_K] + in_c);
    let v_inf = drive / g_total;
    let v_next = v_inf + (v - v_inf) * (-dt * g_total * c[INV_C]).exp();
    s.u = relax(m, 0.32 * vtrap(13.0 - x, 4.0), 0.28 * vtrap(x - 40.0, 5.0), dt);
    s.w1 = relax(
        h,
        0.128 * ((17.0 - x) / 18.0).exp(),
        4.0 / (1.0 + ((40.0 - x) / 5.0).exp()),
        dt,
    );
    s.w2 = relax(
        n,
        0.032 * vtrap(15.0 - x, 5.0),
        0.5 * ((10.0 - x) / 40.0).exp(),
        dt,
    );
    s.v = v_next;
    s.syn_e *= c[DECAY_E];
    s.syn_i *= c[DECAY_I];
    let spiked = refractory == 0 && v_next > threshold;
    if spiked {
        s.refractory = p.refractory_ticks;
    }
    spiked
}
