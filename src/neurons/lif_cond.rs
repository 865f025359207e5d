//! Leaky integrate-and-fire with exponential conductance synapses (COBA), forward Euler.

use std::borrow::Cow;

use super::steps::{adapt_threshold, fire_or_accept, refractory_after_tick};
use super::{
    Dim, InitialV, ModelSpec, NeuronModel, ParamSpec, PopConstantsF64, Roles, StateSpec, below, model_id,
};
use crate::error::Result;
use crate::plan::layout::{NeuronState, PopGpu};

/// Leaky integrate-and-fire with exponential conductance synapses (Vogels & Abbott 2005 COBA,
/// Brette et al. 2007 benchmark 1): `C dv/dt = g_L (E_L - v) + g_e (E_e - v) + g_i (E_i - v)
/// + I_ext`, conductances in nS decaying with their time constants. Forward Euler for `v` (as
/// the benchmark's reference scripts), exact decay for the conductances. Inhibitory weights are
/// given negative (the receptor convention) and add their magnitude to `g_i`.
#[derive(Clone, Debug, PartialEq)]
pub struct LifCondParams {
    /// Membrane capacitance (pF), > 0.
    pub c_m_pf: f64,
    /// Leak conductance (nS), > 0.
    pub g_leak_ns: f64,
    /// Leak reversal potential (mV).
    pub e_leak_mv: f64,
    /// Reset potential (mV).
    pub v_reset_mv: f64,
    /// Threshold (mV).
    pub v_thresh_mv: f64,
    /// Excitatory reversal potential (mV).
    pub e_exc_mv: f64,
    /// Inhibitory reversal potential (mV).
    pub e_inh_mv: f64,
    /// Excitatory conductance decay (ms), > 0.
    pub tau_syn_exc_ms: f64,
    /// Inhibitory conductance decay (ms), > 0.
    pub tau_syn_inh_ms: f64,
    /// Refractory period (ms), >= 0.
    pub refractory_ms: f64,
    /// Adaptive threshold: raise per spike (mV, >= 0; 0 disables it), as in Diehl & Cook 2015.
    pub threshold_adaptation_mv: f64,
    /// Decay time constant of the threshold adaptation (ms), > 0.
    pub tau_threshold_ms: f64,
}

impl Default for LifCondParams {
    /// Brette et al. 2007 benchmark 1.
    fn default() -> Self {
        Self {
            c_m_pf: 200.0,
            g_leak_ns: 10.0,
            e_leak_mv: -60.0,
            v_reset_mv: -60.0,
            v_thresh_mv: -50.0,
            e_exc_mv: 0.0,
            e_inh_mv: -80.0,
            tau_syn_exc_ms: 5.0,
            tau_syn_inh_ms: 10.0,
            refractory_ms: 5.0,
            threshold_adaptation_mv: 0.0,
            tau_threshold_ms: 1e7,
        }
    }
}

/// The model-file parameters.
#[rustfmt::skip]
pub const PARAMS: &[ParamSpec] = &[
    quantity!("c_m", LifCond.c_m_pf, Capacitance, Positive, 200.0, "Membrane capacitance"),
    quantity!("g_leak", LifCond.g_leak_ns, Conductance, Positive, 10.0, "Leak conductance"),
    quantity!("e_leak", LifCond.e_leak_mv, Voltage, Finite, -60.0, "Leak reversal potential"),
    quantity!("v_reset", LifCond.v_reset_mv, Voltage, Finite, -60.0, "Reset potential, below v_thresh"),
    quantity!("v_thresh", LifCond.v_thresh_mv, Voltage, Finite, -50.0, "Spike threshold"),
    quantity!("e_exc", LifCond.e_exc_mv, Voltage, Finite, 0.0, "Excitatory reversal potential"),
    quantity!("e_inh", LifCond.e_inh_mv, Voltage, Finite, -80.0, "Inhibitory reversal potential, below e_exc"),
    quantity!("tau_syn_exc", LifCond.tau_syn_exc_ms, Time, Positive, 5.0, "Excitatory conductance decay"),
    quantity!("tau_syn_inh", LifCond.tau_syn_inh_ms, Time, Positive, 10.0, "Inhibitory conductance decay"),
    quantity!("refractory", LifCond.refractory_ms, Time, NonNegative, 5.0, "Refractory period"),
    quantity!("threshold_adaptation", LifCond.threshold_adaptation_mv, Voltage, NonNegative, 0.0,
        "Threshold raise per spike (0: none)"),
    quantity!("tau_threshold", LifCond.tau_threshold_ms, Time, Positive, 1e7, "Decay time constant of the threshold raise"),
];

constant_slots! {
    /// Leak reversal potential.
    E_LEAK,
    /// Reset potential.
    V_RESET,
    /// Threshold (the per-neuron threshold comes in as `threshold`).
    V_THRESH,
    /// dt / C.
    DT_OVER_C,
    /// Leak conductance.
    G_LEAK,
    /// Excitatory reversal potential.
    E_EXC,
    /// Inhibitory reversal potential.
    E_INH,
    /// Decay of the excitatory conductance per step.
    DECAY_E,
    /// Decay of the inhibitory conductance per step.
    DECAY_I,
    /// Threshold raise per spike (the raise itself lives in `u`).
    THRESHOLD_RAISE,
    /// Decay of the threshold raise per step.
    THRESHOLD_DECAY,
}

/// The state variables.
pub const STATE: &[StateSpec] = &[
    state!("v", V, Voltage, "Membrane potential"),
    state!("theta", U, Voltage, "Threshold raise of the adaptive threshold"),
    state!("g_e", SynE, Conductance, "Excitatory conductance"),
    state!("g_i", SynI, Conductance, "Inhibitory conductance"),
];

/// The model's table.
pub static SPEC: ModelSpec = ModelSpec {
    name: Cow::Borrowed("lif_cond"),
    id: model_id::LIF_COND,
    summary: Cow::Borrowed("Leaky integrate-and-fire, exponential conductance synapses, forward Euler"),
    params: Cow::Borrowed(PARAMS),
    state: Cow::Borrowed(STATE),
    slots: Cow::Borrowed(SLOTS),
    presets: Cow::Borrowed(&[]),
    roles: Roles {
        refractory: Some(Cow::Borrowed("refractory")),
        reset: Some(Cow::Borrowed("v_reset")),
        threshold: Some(Cow::Borrowed("v_thresh")),
        initial_v: InitialV::Param(Cow::Borrowed("e_leak")),
    },
    weight_unit: Dim::Conductance,
    current_unit: Dim::Current,
    conductance_synapses: true,
    defaults: || NeuronModel::LifCond(LifCondParams::default()),
    wgsl: Cow::Borrowed(include_str!("../../shaders/models/lif_cond.wgsl")),
};

/// Checks between parameters (each parameter's own range is checked from [`PARAMS`]).
pub fn validate_relations(p: &LifCondParams, owner: &str) -> Result<()> {
    below(
        owner,
        ("v_reset_mv", p.v_reset_mv),
        ("v_thresh_mv", p.v_thresh_mv),
    )?;
    below(owner, ("e_inh_mv", p.e_inh_mv), ("e_exc_mv", p.e_exc_mv))
}

/// The constants for time step `dt` (ms), in f64.
pub fn constants(p: &LifCondParams, dt: f64) -> PopConstantsF64 {
    let mut c = [0.0; super::POP_CONSTANTS];
    c[E_LEAK] = p.e_leak_mv;
    c[V_RESET] = p.v_reset_mv;
    c[V_THRESH] = p.v_thresh_mv;
    c[DT_OVER_C] = dt / p.c_m_pf;
    c[G_LEAK] = p.g_leak_ns;
    c[E_EXC] = p.e_exc_mv;
    c[E_INH] = p.e_inh_mv;
    c[DECAY_E] = (-dt / p.tau_syn_exc_ms).exp();
    c[DECAY_I] = (-dt / p.tau_syn_inh_ms).exp();
    c[THRESHOLD_RAISE] = p.threshold_adaptation_mv;
    c[THRESHOLD_DECAY] = (-dt / p.tau_threshold_ms).exp();
    c
}

/// `lif_cond_update` of `shaders/models/lif_cond.wgsl`, operation for operation.
#[inline]
pub fn update(s: &mut NeuronState, p: &PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    let c = &p.c;
    s.syn_e += in_e;
    s.syn_i -= in_i;
    let refractory = refractory_after_tick(s.refractory);
    let mut spiked = false;
    s.refractory = refractory;
    if refractory == 0 {
        let v0 = s.v;
        let current =
            ((c[G_LEAK] * (c[E_LEAK] - v0) + s.syn_e * (c[E_EXC] - v0)) + s.syn_i * (c[E_INH] - v0)) + in_c;
        let v = v0 + c[DT_OVER_C] * current;
        spiked = fire_or_accept(s, v, threshold + s.u, c[V_RESET], p.refractory_ticks);
    }
    s.u = adapt_threshold(s.u, c[THRESHOLD_DECAY], c[THRESHOLD_RAISE], spiked);
    s.syn_e *= c[DECAY_E];
    s.syn_i *= c[DECAY_I];
    spiked
}
