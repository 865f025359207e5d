//! Leaky integrate-and-fire with current synapses (delta, exponential or alpha), integrated exactly.

use std::borrow::Cow;

use super::steps::{adapt_threshold, fire_or_accept, refractory_after_tick};
use super::{
    Dim, InitialV, List, ModelSpec, NeuronModel, ParamKind, ParamSpec, PopConstantsF64, Roles, StateSpec,
    Text, Value, below, model_id,
};
use crate::error::{Result, invalid};
use crate::plan::layout::{NeuronState, PopGpu};

/// Synapse kind of the current-based LIF (both ports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CurrentSynapse {
    /// The weight (mV) jumps the membrane directly; discarded while refractory.
    Delta,
    /// The weight (mV) jumps a current that decays with `tau_syn`.
    #[default]
    Exponential,
    /// Alpha-shaped current `w * (t/tau) * e^(1 - t/tau)`: peaks at `w` (mV) after `tau_syn`.
    Alpha,
}

impl CurrentSynapse {
    /// Every kind, in the order of their model-file keywords.
    pub const ALL: [CurrentSynapse; 3] = [Self::Delta, Self::Exponential, Self::Alpha];
    /// The model-file keywords, in the order of [`CurrentSynapse::ALL`].
    pub const KEYWORDS: List<Text> = Cow::Borrowed(&[
        Cow::Borrowed("delta"),
        Cow::Borrowed("exponential"),
        Cow::Borrowed("alpha"),
    ]);

    fn index(self) -> usize {
        Self::ALL.iter().position(|&k| k == self).expect("listed")
    }
}

/// Leaky integrate-and-fire with current synapses, in voltage units (Brian2's CUBA form):
/// `dv/dt = (I_e + I_i + I_ext - (v - v_rest)) / tau_m`; spike when `v > v_thresh`, then
/// `v = v_reset`, clamped for `refractory_ms` while currents keep decaying. Integrated exactly
/// (the propagator matrix of the linear system is computed in f64).
#[derive(Clone, Debug, PartialEq)]
pub struct LifParams {
    /// Membrane time constant (ms), > 0.
    pub tau_m_ms: f64,
    /// Resting potential (mV).
    pub v_rest_mv: f64,
    /// Reset potential (mV), below threshold.
    pub v_reset_mv: f64,
    /// Threshold (mV).
    pub v_thresh_mv: f64,
    /// Excitatory synaptic time constant (ms), > 0 (unused for delta synapses).
    pub tau_syn_exc_ms: f64,
    /// Inhibitory synaptic time constant (ms), > 0 (unused for delta synapses).
    pub tau_syn_inh_ms: f64,
    /// Refractory period (ms), >= 0.
    pub refractory_ms: f64,
    /// Shape of the synaptic current.
    pub synapse: CurrentSynapse,
    /// Delta synapses only: whether input arriving during the refractory period still moves
    /// `v` (Brian2's `on_pre: v += w` semantics) or is discarded (NEST `iaf_psc_delta`'s
    /// default, and ours).
    pub delta_input_while_refractory: bool,
    /// Adaptive threshold (homeostasis, Diehl & Cook 2015): each spike raises the neuron's
    /// threshold by this much (mV, >= 0; 0 disables it).
    pub threshold_adaptation_mv: f64,
    /// Decay time constant of the threshold adaptation (ms), > 0.
    pub tau_threshold_ms: f64,
    /// Membrane capacitance (pF), > 0 to take weights, synaptic and injected currents in pA
    /// as NEST's `iaf_psc_*` do (`dv/dt = -(v - v_rest)/tau_m + I/c_m`); 0 (the default)
    /// keeps them in mV (Brian2's CUBA form). At most one of `c_m_pf`, `r_m_mohm`.
    pub c_m_pf: f64,
    /// Membrane resistance (MOhm), > 0 for pA units the other way (`r_m = tau_m / c_m`);
    /// 0 (the default): mV.
    pub r_m_mohm: f64,
}

impl LifParams {
    /// The membrane's gain in mV per pA when weights and currents are in pA (`c_m_pf` or
    /// `r_m_mohm` given), `None` in the mV form.
    pub fn mv_per_pa(&self) -> Option<f64> {
        if self.c_m_pf > 0.0 {
            Some(self.tau_m_ms / self.c_m_pf)
        } else if self.r_m_mohm > 0.0 {
            Some(self.r_m_mohm * 1e-3)
        } else {
            None
        }
    }
}

impl Default for LifParams {
    /// The Vogels & Abbott 2005 CUBA neuron as in Brian2's example.
    fn default() -> Self {
        Self {
            tau_m_ms: 20.0,
            v_rest_mv: -49.0,
            v_reset_mv: -60.0,
            v_thresh_mv: -50.0,
            tau_syn_exc_ms: 5.0,
            tau_syn_inh_ms: 10.0,
            refractory_ms: 5.0,
            synapse: CurrentSynapse::Exponential,
            delta_input_while_refractory: false,
            threshold_adaptation_mv: 0.0,
            tau_threshold_ms: 1e7,
            c_m_pf: 0.0,
            r_m_mohm: 0.0,
        }
    }
}

/// The model-file parameters.
#[rustfmt::skip]
pub const PARAMS: &[ParamSpec] = &[
    quantity!("tau_m", Lif.tau_m_ms, Time, Positive, 20.0, "Membrane time constant"),
    quantity!("v_rest", Lif.v_rest_mv, Voltage, Finite, -49.0, "Resting potential"),
    quantity!("v_reset", Lif.v_reset_mv, Voltage, Finite, -60.0, "Reset potential, below v_thresh"),
    quantity!("v_thresh", Lif.v_thresh_mv, Voltage, Finite, -50.0, "Spike threshold"),
    quantity!("tau_syn_exc", Lif.tau_syn_exc_ms, Time, Positive, 5.0, "Excitatory synaptic time constant"),
    quantity!("tau_syn_inh", Lif.tau_syn_inh_ms, Time, Positive, 10.0, "Inhibitory synaptic time constant"),
    quantity!("refractory", Lif.refractory_ms, Time, NonNegative, 5.0, "Refractory period"),
    ParamSpec {
        name: Cow::Borrowed("synapse"),
        field: Cow::Borrowed("synapse"),
        doc: Cow::Borrowed("Shape of the synaptic current"),
        kind: ParamKind::Choice(CurrentSynapse::KEYWORDS),
        default: Value::Choice(1),
        access: super::Access::Field {
            get: |m| match m {
                NeuronModel::Lif(p) => Some(Value::Choice(p.synapse.index())),
                _ => None,
            },
            set: |m, v| match (m, v) {
                (NeuronModel::Lif(p), Value::Choice(i)) if i < CurrentSynapse::ALL.len() => {
                    p.synapse = CurrentSynapse::ALL[i];
                    true
                }
                _ => false,
            },
        },
    },
    ParamSpec {
        name: Cow::Borrowed("delta_input_while_refractory"),
        field: Cow::Borrowed("delta_input_while_refractory"),
        doc: Cow::Borrowed("Delta synapses: input during the refractory period still moves v (Brian2)"),
        kind: ParamKind::Flag,
        default: Value::Flag(false),
        access: super::Access::Field {
            get: |m| match m {
                NeuronModel::Lif(p) => Some(Value::Flag(p.delta_input_while_refractory)),
                _ => None,
            },
            set: |m, v| match (m, v) {
                (NeuronModel::Lif(p), Value::Flag(x)) => {
                    p.delta_input_while_refractory = x;
                    true
                }
                _ => false,
            },
        },
    },
    quantity!("threshold_adaptation", Lif.threshold_adaptation_mv, Voltage, NonNegative, 0.0,
        "Threshold raise per spike (0: none)"),
    quantity!("tau_threshold", Lif.tau_threshold_ms, Time, Positive, 1e7, "Decay time constant of the threshold raise"),
    quantity!("c_m", Lif.c_m_pf, Capacitance, NonNegative, 0.0,
        "Membrane capacitance: > 0 takes weights and currents in pA (NEST's iaf_psc_*); 0: in mV"),
    quantity!("r_m", Lif.r_m_mohm, Resistance, NonNegative, 0.0,
        "Membrane resistance: > 0 takes weights and currents in pA (instead of c_m); 0: in mV"),
];

// State x = (v - v_rest, I_e, y_e, I_i, y_i); P = exp(A dt) is its exact propagator. The
// alpha synapses' second variables y live in w1, w2.
constant_slots! {
    /// Resting potential.
    V_REST,
    /// Reset potential.
    V_RESET,
    /// Threshold (the per-neuron threshold comes in as `threshold`).
    V_THRESH,
    /// P(v, v): decay of v - v_rest.
    V_DECAY,
    /// P(v, I_e).
    V_FROM_I_E,
    /// P(v, y_e).
    V_FROM_Y_E,
    /// P(v, I_i).
    V_FROM_I_I,
    /// P(v, y_i).
    V_FROM_Y_I,
    /// P(I_e, I_e).
    I_E_DECAY,
    /// P(I_e, y_e).
    I_E_FROM_Y_E,
    /// P(y_e, y_e).
    Y_E_DECAY,
    /// P(I_i, I_i).
    I_I_DECAY,
    /// P(I_i, y_i).
    I_I_FROM_Y_I,
    /// P(y_i, y_i).
    Y_I_DECAY,
    /// Jump of y_e per unit excitatory weight (alpha synapses: e; else 0).
    ALPHA_JUMP_E,
    /// Jump of y_i per unit inhibitory weight (alpha synapses: e; else 0).
    ALPHA_JUMP_I,
    /// Gain of a constant current on v over one step (1 - P(v, v)).
    V_FROM_CURRENT,
    /// 1 for delta synapses (the weight moves v), else 0.
    DELTA_GAIN,
    /// 1 for exponential synapses (the weight jumps I), else 0.
    EXPONENTIAL_GAIN,
    /// 1 if delta input also moves v while refractory (Brian2), else 0.
    DELTA_WHILE_REFRACTORY,
    /// Threshold raise per spike (the raise itself lives in `u`).
    THRESHOLD_RAISE,
    /// Decay of the threshold raise per step.
    THRESHOLD_DECAY,
}

/// The state variables.
pub const STATE: &[StateSpec] = &[
    state!("v", V, Voltage, "Membrane potential"),
    state!("theta", U, Voltage, "Threshold raise of the adaptive threshold"),
    state!("syn_e", SynE, Voltage, "Excitatory synaptic current (in mV)"),
    state!("syn_i", SynI, Voltage, "Inhibitory synaptic current (in mV)"),
    state!(
        "y_e",
        W1,
        Voltage,
        "Second variable of the alpha excitatory current"
    ),
    state!(
        "y_i",
        W2,
        Voltage,
        "Second variable of the alpha inhibitory current"
    ),
];

/// The model's table.
pub static SPEC: ModelSpec = ModelSpec {
    name: Cow::Borrowed("lif"),
    id: model_id::LIF,
    summary: Cow::Borrowed("Leaky integrate-and-fire, current synapses (delta, exponential, alpha), exact"),
    params: Cow::Borrowed(PARAMS),
    state: Cow::Borrowed(STATE),
    slots: Cow::Borrowed(SLOTS),
    presets: Cow::Borrowed(&[]),
    roles: Roles {
        refractory: Some(Cow::Borrowed("refractory")),
        reset: Some(Cow::Borrowed("v_reset")),
        threshold: Some(Cow::Borrowed("v_thresh")),
        initial_v: InitialV::Param(Cow::Borrowed("v_rest")),
    },
    weight_unit: Dim::Voltage,
    current_unit: Dim::Voltage,
    conductance_synapses: false,
    defaults: || NeuronModel::Lif(LifParams::default()),
    wgsl: Cow::Borrowed(include_str!("../../shaders/models/lif.wgsl")),
};

/// Checks between parameters (each parameter's own range is checked from [`PARAMS`]).
pub fn validate_relations(p: &LifParams, owner: &str) -> Result<()> {
    below(
        owner,
        ("v_reset_mv", p.v_reset_mv),
        ("v_thresh_mv", p.v_thresh_mv),
    )?;
    if p.c_m_pf > 0.0 && p.r_m_mohm > 0.0 {
        return Err(invalid(
            format!("{owner}.r_m_mohm"),
            p.r_m_mohm,
            "give c_m or r_m for currents in pA, not both (r_m = tau_m / c_m)",
        ));
    }
    if p.mv_per_pa().is_some() && p.synapse == CurrentSynapse::Delta {
        return Err(invalid(
            format!("{owner}.synapse"),
            "delta",
            "must be exponential or alpha with c_m or r_m: delta weights are voltage jumps (mV), as in NEST's iaf_psc_delta",
        ));
    }
    Ok(())
}

/// The constants for time step `dt` (ms), in f64.
pub fn constants(p: &LifParams, dt: f64) -> PopConstantsF64 {
    let mut a = [[0.0f64; 5]; 5];
    let tm = p.tau_m_ms;
    a[0][0] = -1.0 / tm;
    a[0][1] = 1.0 / tm;
    a[0][3] = 1.0 / tm;
    for (i, ts) in [(1usize, p.tau_syn_exc_ms), (3usize, p.tau_syn_inh_ms)] {
        a[i][i] = -1.0 / ts;
        a[i][i + 1] = 1.0 / ts;
        a[i + 1][i + 1] = -1.0 / ts;
    }
    let e = expm5(a, dt);
    let flag = |x: bool| if x { 1.0 } else { 0.0 };
    // Jump of y per unit weight (I' = (y - I)/tau, y' = -y/tau): with y0 = e*w the alpha
    // current y0 (t/tau) e^(-t/tau) peaks at w when t = tau.
    let alpha_jump = if p.synapse == CurrentSynapse::Alpha {
        std::f64::consts::E
    } else {
        0.0
    };
    let mut c = [0.0; super::POP_CONSTANTS];
    c[V_REST] = p.v_rest_mv;
    c[V_RESET] = p.v_reset_mv;
    c[V_THRESH] = p.v_thresh_mv;
    c[V_DECAY] = e[0][0];
    c[V_FROM_I_E] = e[0][1];
    c[V_FROM_Y_E] = e[0][2];
    c[V_FROM_I_I] = e[0][3];
    c[V_FROM_Y_I] = e[0][4];
    c[I_E_DECAY] = e[1][1];
    c[I_E_FROM_Y_E] = e[1][2];
    c[Y_E_DECAY] = e[2][2];
    c[I_I_DECAY] = e[3][3];
    c[I_I_FROM_Y_I] = e[3][4];
    c[Y_I_DECAY] = e[4][4];
    c[ALPHA_JUMP_E] = alpha_jump;
    c[ALPHA_JUMP_I] = alpha_jump;
    c[V_FROM_CURRENT] = 1.0 - e[0][0];
    if let Some(gain) = p.mv_per_pa() {
        // Currents held in pA: everything that moves v from a current scales by R.
        for slot in [V_FROM_I_E, V_FROM_Y_E, V_FROM_I_I, V_FROM_Y_I, V_FROM_CURRENT] {
            c[slot] *= gain;
        }
    }
    c[DELTA_GAIN] = flag(p.synapse == CurrentSynapse::Delta);
    c[EXPONENTIAL_GAIN] = flag(p.synapse == CurrentSynapse::Exponential);
    c[DELTA_WHILE_REFRACTORY] = flag(p.delta_input_while_refractory);
    c[THRESHOLD_RAISE] = p.threshold_adaptation_mv;
    c[THRESHOLD_DECAY] = (-dt / p.tau_threshold_ms).exp();
    c
}

/// Whether the population's synapses are exponential (the CPU's fast path).
pub fn exponential_synapses(p: &PopGpu) -> bool {
    p.c[EXPONENTIAL_GAIN] == 1.0
}

/// `lif_update` of `shaders/models/lif.wgsl`, operation for operation.
#[inline]
pub fn update(s: &mut NeuronState, p: &PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    let c = &p.c;
    s.syn_e += in_e * c[EXPONENTIAL_GAIN];
    s.w1 += in_e * c[ALPHA_JUMP_E];
    s.syn_i += in_i * c[EXPONENTIAL_GAIN];
    s.w2 += in_i * c[ALPHA_JUMP_I];
    let refractory = refractory_after_tick(s.refractory);
    let mut spiked = false;
    s.refractory = refractory;
    if refractory == 0 {
        let dv = (((((s.v - c[V_REST]) * c[V_DECAY] + s.syn_e * c[V_FROM_I_E]) + s.w1 * c[V_FROM_Y_E])
            + s.syn_i * c[V_FROM_I_I])
            + s.w2 * c[V_FROM_Y_I])
            + in_c * c[V_FROM_CURRENT];
        let mut v = dv + c[V_REST];
        v += (in_e + in_i) * c[DELTA_GAIN];
        spiked = fire_or_accept(s, v, threshold + s.u, c[V_RESET], p.refractory_ticks);
    } else {
        s.v += (in_e + in_i) * c[DELTA_GAIN] * c[DELTA_WHILE_REFRACTORY];
    }
    s.u = adapt_threshold(s.u, c[THRESHOLD_DECAY], c[THRESHOLD_RAISE], spiked);
    s.syn_e = s.syn_e * c[I_E_DECAY] + s.w1 * c[I_E_FROM_Y_E];
    s.w1 *= c[Y_E_DECAY];
    s.syn_i = s.syn_i * c[I_I_DECAY] + s.w2 * c[I_I_FROM_Y_I];
    s.w2 *= c[Y_I_DECAY];
    spiked
}

/// [`update`] for exponential synapses without the terms that are exactly zero there (`w1`,
/// `w2` and the delta input stay 0): the same values, with the one difference that `x + 0.0`
/// can turn a -0.0 into +0.0, which no comparison or later product can see. The CUBA loop runs
/// about twice as fast this way. Without `ADAPTIVE` the threshold raise `u` must be 0 for good.
#[inline(always)]
pub fn update_exponential<const ADAPTIVE: bool>(
    s: &mut NeuronState,
    p: &PopGpu,
    threshold: f32,
    in_e: f32,
    in_i: f32,
    in_c: f32,
) -> bool {
    let c = &p.c;
    let syn_e = s.syn_e + in_e;
    let syn_i = s.syn_i + in_i;
    let refractory = refractory_after_tick(s.refractory);
    let v = ((((s.v - c[V_REST]) * c[V_DECAY] + syn_e * c[V_FROM_I_E]) + syn_i * c[V_FROM_I_I])
        + in_c * c[V_FROM_CURRENT])
        + c[V_REST];
    let integrate = refractory == 0;
    // Without threshold adaptation u stays exactly 0, so leaving it out changes no value.
    let spiked = integrate && v > if ADAPTIVE { threshold + s.u } else { threshold };
    *s = NeuronState {
        v: if spiked {
            c[V_RESET]
        } else if integrate {
            v
        } else {
            s.v
        },
        syn_e: syn_e * c[I_E_DECAY],
        syn_i: syn_i * c[I_I_DECAY],
        refractory: if spiked { p.refractory_ticks } else { refractory },
        u: if ADAPTIVE {
            adapt_threshold(s.u, c[THRESHOLD_DECAY], c[THRESHOLD_RAISE], spiked)
        } else {
            s.u
        },
        ..*s
    };
    spiked
}

/// exp(A t) for a 5x5 matrix: scaling and squaring with a 20-term Taylor series, in f64.
fn expm5(a: [[f64; 5]; 5], t: f64) -> [[f64; 5]; 5] {
    let norm = a.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs())) * t * 5.0;
    let squarings = if norm > 0.5 {
        (norm / 0.5).log2().ceil() as i32
    } else {
        0
    };
    let h = t / f64::from(1 << squarings);
    let mul = |x: &[[f64; 5]; 5], y: &[[f64; 5]; 5]| {
        let mut r = [[0.0; 5]; 5];
        for i in 0..5 {
            for j in 0..5 {
                r[i][j] = (0..5).map(|k| x[i][k] * y[k][j]).sum();
            }
        }
        r
    };
    let mut ah = a;
    ah.iter_mut().flatten().for_each(|x| *x *= h);
    let mut result = [[0.0; 5]; 5];
    let mut term = [[0.0; 5]; 5];
    for i in 0..5 {
        result[i][i] = 1.0;
        term[i][i] = 1.0;
    }
    for k in 1..=20 {
        term = mul(&term, &ah);
        term.iter_mut().flatten().for_each(|x| *x /= f64::from(k));
        for i in 0..5 {
            for j in 0..5 {
                result[i][j] += term[i][j];
            }
        }
    }
    for _ in 0..squarings {
        result = mul(&result, &result);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lif_propagators_match_the_closed_form() {
        let dt = 0.1;
        let p = LifParams::default();
        let c = NeuronModel::Lif(p.clone()).constants(dt);
        let pm = (-dt / p.tau_m_ms).exp();
        let te = p.tau_syn_exc_ms;
        let coupling = te / (te - p.tau_m_ms) * ((-dt / te).exp() - pm);
        assert!((f64::from(c[V_DECAY]) - pm).abs() < 1e-7);
        assert!(
            (f64::from(c[V_FROM_I_E]) - coupling).abs() < 1e-7,
            "{} vs {coupling}",
            c[V_FROM_I_E]
        );
        assert!((f64::from(c[I_E_DECAY]) - (-dt / te).exp()).abs() < 1e-7);
        // Alpha: y -> I over one step is (dt/tau) e^{-dt/tau}.
        assert!((f64::from(c[I_E_FROM_Y_E]) - dt / te * (-dt / te).exp()).abs() < 1e-7);
    }

    #[test]
    fn equal_membrane_and_synaptic_time_constants_are_handled() {
        let p = LifParams {
            tau_syn_exc_ms: 20.0,
            ..LifParams::default()
        };
        let c = NeuronModel::Lif(p).constants(0.1);
        let expected = 0.1 / 20.0 * (-0.1f64 / 20.0).exp();
        assert!((f64::from(c[V_FROM_I_E]) - expected).abs() < 1e-8);
    }
}
