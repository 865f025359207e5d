//! Adaptive exponential integrate-and-fire (Brette & Gerstner 2005), with Naud et al. 2008's patterns.

use std::borrow::Cow;

use super::steps::{fire_or_accept, refractory_after_tick};
use super::{
    Dim, InitialV, ModelSpec, NeuronModel, ParamSpec, PopConstantsF64, Preset, Roles, StateSpec, below,
    model_id,
};
use crate::error::Result;
use crate::plan::layout::{NeuronState, PopGpu};

/// Adaptive exponential integrate-and-fire (Brette & Gerstner 2005):
/// `C v' = -g_L (v - E_L) + g_L D_T exp((v - V_T)/D_T) - w + I`, `tau_w w' = a (v - E_L) - w`;
/// at `v > v_peak`: `v = v_reset`, `w += b`. Synaptic currents (pA) are exponential.
///
/// Integration: forward Euler at the simulation step, with the exponent capped at
/// `(v_peak - V_T)/D_T`. The cap keeps the upswing finite (it only acts above `v_peak`, where
/// the spike is registered anyway), and the remaining dynamics have time constants of
/// `C/g_L` (>= 5 ms for the published sets) and `tau_w`, which Euler at 0.1 ms follows stably.
#[derive(Clone, Debug, PartialEq)]
pub struct AdExParams {
    /// Membrane capacitance (pF), > 0.
    pub c_m_pf: f64,
    /// Leak conductance (nS), > 0.
    pub g_leak_ns: f64,
    /// Leak reversal (mV).
    pub e_leak_mv: f64,
    /// Exponential threshold V_T (mV).
    pub v_t_mv: f64,
    /// Slope factor D_T (mV), > 0.
    pub delta_t_mv: f64,
    /// Subthreshold adaptation (nS).
    pub a_ns: f64,
    /// Adaptation time constant (ms), > 0.
    pub tau_w_ms: f64,
    /// Spike-triggered adaptation (pA).
    pub b_pa: f64,
    /// Reset (mV).
    pub v_reset_mv: f64,
    /// Spike detection (mV), above V_T.
    pub v_peak_mv: f64,
    /// Refractory period (ms), >= 0.
    pub refractory_ms: f64,
    /// Excitatory current decay (ms), > 0.
    pub tau_syn_exc_ms: f64,
    /// Inhibitory current decay (ms), > 0.
    pub tau_syn_inh_ms: f64,
}

/// Firing patterns of Naud, Marcille, Clopath & Gerstner 2008 (Table 1), with the step current
/// the paper applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdExPattern {
    /// Tonic spiking.
    Tonic,
    /// Adapting.
    Adapting,
    /// Initial burst.
    InitialBurst,
    /// Regular bursting.
    Bursting,
}

impl AdExPattern {
    /// Parameters and the step current (pA) of the pattern.
    pub fn params(self) -> (AdExParams, f64) {
        // (C pF, gL nS, EL mV, VT mV, DT mV, a nS, tau_w ms, b pA, Vr mV, I pA)
        let (c, gl, el, vt, dt, a, tw, b, vr, i) = match self {
            Self::Tonic => (200.0, 10.0, -70.0, -50.0, 2.0, 2.0, 30.0, 0.0, -58.0, 500.0),
            Self::Adapting => (200.0, 12.0, -70.0, -50.0, 2.0, 2.0, 300.0, 60.0, -58.0, 500.0),
            Self::InitialBurst => (130.0, 18.0, -58.0, -50.0, 2.0, 4.0, 150.0, 120.0, -50.0, 400.0),
            Self::Bursting => (200.0, 10.0, -58.0, -50.0, 2.0, 2.0, 120.0, 100.0, -46.0, 210.0),
        };
        (
            AdExParams {
                c_m_pf: c,
                g_leak_ns: gl,
                e_leak_mv: el,
                v_t_mv: vt,
                delta_t_mv: dt,
                a_ns: a,
                tau_w_ms: tw,
                b_pa: b,
                v_reset_mv: vr,
                v_peak_mv: 0.0,
                refractory_ms: 0.0,
                tau_syn_exc_ms: 5.0,
                tau_syn_inh_ms: 10.0,
            },
            i,
        )
    }
}

impl Default for AdExParams {
    fn default() -> Self {
        AdExPattern::Tonic.params().0
    }
}

/// The model-file parameters.
#[rustfmt::skip]
pub const PARAMS: &[ParamSpec] = &[
    quantity!("c_m", AdEx.c_m_pf, Capacitance, Positive, 200.0, "Membrane capacitance"),
    quantity!("g_leak", AdEx.g_leak_ns, Conductance, Positive, 10.0, "Leak conductance"),
    quantity!("e_leak", AdEx.e_leak_mv, Voltage, Finite, -70.0, "Leak reversal potential"),
    quantity!("v_t", AdEx.v_t_mv, Voltage, Finite, -50.0, "Exponential threshold V_T, below v_peak"),
    quantity!("delta_t", AdEx.delta_t_mv, Voltage, Positive, 2.0, "Slope factor D_T"),
    quantity!("a", AdEx.a_ns, Conductance, Finite, 2.0, "Subthreshold adaptation"),
    quantity!("tau_w", AdEx.tau_w_ms, Time, Positive, 30.0, "Adaptation time constant"),
    quantity!("b", AdEx.b_pa, Current, Finite, 0.0, "Spike-triggered adaptation"),
    quantity!("v_reset", AdEx.v_reset_mv, Voltage, Finite, -58.0, "Reset potential, below v_peak"),
    quantity!("v_peak", AdEx.v_peak_mv, Voltage, Finite, 0.0, "Spike detection"),
    quantity!("refractory", AdEx.refractory_ms, Time, NonNegative, 0.0, "Refractory period"),
    quantity!("tau_syn_exc", AdEx.tau_syn_exc_ms, Time, Positive, 5.0, "Excitatory current decay"),
    quantity!("tau_syn_inh", AdEx.tau_syn_inh_ms, Time, Positive, 10.0, "Inhibitory current decay"),
];

/// The patterns of Naud et al. 2008 (without their step currents).
pub const PRESETS: &[Preset] = &[
    Preset {
        name: Cow::Borrowed("tonic"),
        make: || NeuronModel::AdEx(AdExPattern::Tonic.params().0),
    },
    Preset {
        name: Cow::Borrowed("adapting"),
        make: || NeuronModel::AdEx(AdExPattern::Adapting.params().0),
    },
    Preset {
        name: Cow::Borrowed("initial_burst"),
        make: || NeuronModel::AdEx(AdExPattern::InitialBurst.params().0),
    },
    Preset {
        name: Cow::Borrowed("bursting"),
        make: || NeuronModel::AdEx(AdExPattern::Bursting.params().0),
    },
];

constant_slots! {
    /// Leak reversal potential.
    E_LEAK,
    /// Reset potential.
    V_RESET,
    /// Spike detection (the per-neuron threshold comes in as `threshold`).
    V_PEAK,
    /// dt / C.
    DT_OVER_C,
    /// Leak conductance.
    G_LEAK,
    /// Slope factor D_T.
    DELTA_T,
    /// Exponential threshold V_T.
    V_T,
    /// 1 / D_T.
    INV_DELTA_T,
    /// Cap of the exponent, (v_peak - V_T) / D_T.
    EXP_CAP,
    /// Subthreshold adaptation a.
    A,
    /// dt / tau_w.
    DT_OVER_TAU_W,
    /// Spike-triggered adaptation b.
    B,
    /// Decay of the excitatory current per step.
    DECAY_E,
    /// Decay of the inhibitory current per step.
    DECAY_I,
}

/// The state variables.
pub const STATE: &[StateSpec] = &[
    state!("v", V, Voltage, "Membrane potential"),
    state!("w", U, Current, "Adaptation current"),
    state!("syn_e", SynE, Current, "Excitatory synaptic current"),
    state!("syn_i", SynI, Current, "Inhibitory synaptic current"),
];

/// The model's table.
pub static SPEC: ModelSpec = ModelSpec {
    name: Cow::Borrowed("adex"),
    id: model_id::ADEX,
    summary: Cow::Borrowed("Adaptive exponential integrate-and-fire, current synapses, forward Euler"),
    params: Cow::Borrowed(PARAMS),
    state: Cow::Borrowed(STATE),
    slots: Cow::Borrowed(SLOTS),
    presets: Cow::Borrowed(PRESETS),
    roles: Roles {
        refractory: Some(Cow::Borrowed("refractory")),
        reset: Some(Cow::Borrowed("v_reset")),
        threshold: Some(Cow::Borrowed("v_peak")),
        initial_v: InitialV::Param(Cow::Borrowed("e_leak")),
    },
    weight_unit: Dim::Current,
    current_unit: Dim::Current,
    conductance_synapses: false,
    defaults: || NeuronModel::AdEx(AdExParams::default()),
    wgsl: Cow::Borrowed(include_str!("../../shaders/models/adex.wgsl")),
};

/// Checks between parameters (each parameter's own range is checked from [`PARAMS`]).
pub fn validate_relations(p: &AdExParams, owner: &str) -> Result<()> {
    below(owner, ("v_t_mv", p.v_t_mv), ("v_peak_mv", p.v_peak_mv))?;
    below(owner, ("v_reset_mv", p.v_reset_mv), ("v_peak_mv", p.v_peak_mv))
}

/// The constants for time step `dt` (ms), in f64.
pub fn constants(p: &AdExParams, dt: f64) -> PopConstantsF64 {
    let mut c = [0.0; super::POP_CONSTANTS];
    c[E_LEAK] = p.e_leak_mv;
    c[V_RESET] = p.v_reset_mv;
    c[V_PEAK] = p.v_peak_mv;
    c[DT_OVER_C] = dt / p.c_m_pf;
    c[G_LEAK] = p.g_leak_ns;
    c[DELTA_T] = p.delta_t_mv;
    c[V_T] = p.v_t_mv;
    c[INV_DELTA_T] = 1.0 / p.delta_t_mv;
    c[EXP_CAP] = (p.v_peak_mv - p.v_t_mv) / p.delta_t_mv;
    c[A] = p.a_ns;
    c[DT_OVER_TAU_W] = dt / p.tau_w_ms;
    c[B] = p.b_pa;
    c[DECAY_E] = (-dt / p.tau_syn_exc_ms).exp();
    c[DECAY_I] = (-dt / p.tau_syn_inh_ms).exp();
    c
}

/// `adex_update` of `shaders/models/adex.wgsl`, operation for operation.
#[inline]
pub fn update(s: &mut NeuronState, p: &PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    let c = &p.c;
    s.syn_e += in_e;
    s.syn_i += in_i;
    let refractory = refractory_after_tick(s.refractory);
    let mut spiked = false;
    s.refractory = refractory;
    let v0 = s.v;
    let w0 = s.u;
    let mut w = w0 + c[DT_OVER_TAU_W] * (c[A] * (v0 - c[E_LEAK]) - w0);
    if refractory == 0 {
        let arg = ((v0 - c[V_T]) * c[INV_DELTA_T]).min(c[EXP_CAP]);
        let drive = (c[G_LEAK] * (c[E_LEAK] - v0) + c[G_LEAK] * c[DELTA_T] * arg.exp()) - w0;
        let v = v0 + c[DT_OVER_C] * (drive + ((s.syn_e + s.syn_i) + in_c));
        spiked = fire_or_accept(s, v, threshold, c[V_RESET], p.refractory_ticks);
        if spiked {
            w += c[B];
        }
    }
    s.u = w;
    s.syn_e *= c[DECAY_E];
    s.syn_i *= c[DECAY_I];
    spiked
}
