//! Izhikevich 2003 simple model, with the paper's named parameter sets.

use std::borrow::Cow;

use super::{
    Dim, InitialV, ModelSpec, NeuronModel, ParamSpec, PopConstantsF64, Preset, Roles, StateSpec, below,
    model_id,
};
use crate::error::Result;
use crate::plan::layout::{NeuronState, PopGpu};

/// Izhikevich 2003: `v' = 0.04 v^2 + 5 v + 140 - u + I`, `u' = a (b v - u)`; when `v >= v_peak`:
/// `v = c`, `u += d`. `v` is integrated in two half steps per tick, as in the paper's code; `I`
/// is the sum of the synaptic weights and injected currents arriving in the tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IzhikevichParams {
    /// Recovery time scale (1/ms).
    pub a: f64,
    /// Recovery sensitivity.
    pub b: f64,
    /// Reset potential (mV).
    pub c_mv: f64,
    /// Recovery jump after a spike.
    pub d: f64,
    /// Spike cut-off (mV); the paper uses 30.
    pub v_peak_mv: f64,
}

/// The named parameter sets of Izhikevich 2003, Fig. 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IzhikevichType {
    /// Regular spiking (cortical excitatory, adapting).
    RegularSpiking,
    /// Intrinsically bursting.
    IntrinsicallyBursting,
    /// Chattering.
    Chattering,
    /// Fast spiking (inhibitory, no adaptation).
    FastSpiking,
    /// Low-threshold spiking.
    LowThresholdSpiking,
    /// Thalamo-cortical.
    ThalamoCortical,
    /// Resonator.
    Resonator,
}

impl IzhikevichType {
    /// All named types.
    pub const ALL: [IzhikevichType; 7] = [
        Self::RegularSpiking,
        Self::IntrinsicallyBursting,
        Self::Chattering,
        Self::FastSpiking,
        Self::LowThresholdSpiking,
        Self::ThalamoCortical,
        Self::Resonator,
    ];

    /// The paper's (a, b, c, d).
    pub fn params(self) -> IzhikevichParams {
        let (a, b, c, d) = match self {
            Self::RegularSpiking => (0.02, 0.2, -65.0, 8.0),
            Self::IntrinsicallyBursting => (0.02, 0.2, -55.0, 4.0),
            Self::Chattering => (0.02, 0.2, -50.0, 2.0),
            Self::FastSpiking => (0.1, 0.2, -65.0, 2.0),
            Self::LowThresholdSpiking => (0.02, 0.25, -65.0, 2.0),
            Self::ThalamoCortical => (0.02, 0.25, -65.0, 0.05),
            Self::Resonator => (0.1, 0.26, -65.0, 2.0),
        };
        IzhikevichParams {
            a,
            b,
            c_mv: c,
            d,
            v_peak_mv: 30.0,
        }
    }

    /// Short name (RS, IB, CH, FS, LTS, TC, RZ), the preset's name in model files.
    pub const fn short_name(self) -> &'static str {
        match self {
            Self::RegularSpiking => "RS",
            Self::IntrinsicallyBursting => "IB",
            Self::Chattering => "CH",
            Self::FastSpiking => "FS",
            Self::LowThresholdSpiking => "LTS",
            Self::ThalamoCortical => "TC",
            Self::Resonator => "RZ",
        }
    }
}

impl Default for IzhikevichParams {
    fn default() -> Self {
        IzhikevichType::RegularSpiking.params()
    }
}

/// The model-file parameters.
#[rustfmt::skip]
pub const PARAMS: &[ParamSpec] = &[
    quantity!("a", Izhikevich.a, None, Positive, 0.02, "Recovery time scale (1/ms)"),
    quantity!("b", Izhikevich.b, None, Finite, 0.2, "Recovery sensitivity"),
    quantity!("c", Izhikevich.c_mv, Voltage, Finite, -65.0, "Reset potential, below v_peak"),
    quantity!("d", Izhikevich.d, None, Finite, 8.0, "Recovery jump after a spike"),
    quantity!("v_peak", Izhikevich.v_peak_mv, Voltage, Finite, 30.0, "Spike cut-off"),
];

/// A preset per named type, called by its short name.
macro_rules! preset {
    ($t:ident) => {
        Preset {
            name: Cow::Borrowed(IzhikevichType::$t.short_name()),
            make: || NeuronModel::Izhikevich(IzhikevichType::$t.params()),
        }
    };
}

/// The named sets of Fig. 2 (in the order of [`IzhikevichType::ALL`]).
pub const PRESETS: &[Preset] = &[
    preset!(RegularSpiking),
    preset!(IntrinsicallyBursting),
    preset!(Chattering),
    preset!(FastSpiking),
    preset!(LowThresholdSpiking),
    preset!(ThalamoCortical),
    preset!(Resonator),
];

constant_slots! {
    /// Spike cut-off.
    V_PEAK,
    /// dt / 2: each of the two half steps of v.
    HALF_DT,
    /// dt.
    DT,
}

/// The state variables.
pub const STATE: &[StateSpec] = &[
    state!("v", V, Voltage, "Membrane potential"),
    state!("u", U, None, "Recovery variable"),
];

/// The model's table.
pub static SPEC: ModelSpec = ModelSpec {
    name: Cow::Borrowed("izhikevich"),
    id: model_id::IZHIKEVICH,
    summary: Cow::Borrowed("Izhikevich 2003; per-neuron (a, b, c, d)"),
    params: Cow::Borrowed(PARAMS),
    state: Cow::Borrowed(STATE),
    slots: Cow::Borrowed(SLOTS),
    presets: Cow::Borrowed(PRESETS),
    roles: Roles {
        refractory: None,
        reset: None,
        threshold: None,
        initial_v: InitialV::Value(-65.0),
    },
    weight_unit: Dim::None,
    current_unit: Dim::None,
    conductance_synapses: false,
    defaults: || NeuronModel::Izhikevich(IzhikevichParams::default()),
    wgsl: Cow::Borrowed(include_str!("../../shaders/models/izhikevich.wgsl")),
};

/// Checks between parameters (each parameter's own range is checked from [`PARAMS`]).
pub fn validate_relations(p: &IzhikevichParams, owner: &str) -> Result<()> {
    below(owner, ("c_mv", p.c_mv), ("v_peak_mv", p.v_peak_mv))
}

/// The constants for time step `dt` (ms), in f64.
pub fn constants(p: &IzhikevichParams, dt: f64) -> PopConstantsF64 {
    let mut c = [0.0; super::POP_CONSTANTS];
    c[V_PEAK] = p.v_peak_mv;
    c[HALF_DT] = 0.5 * dt;
    c[DT] = dt;
    c
}

/// `izhikevich_update` of `shaders/models/izhikevich.wgsl`, operation for operation; `q` is
/// the neuron's (a, b, c, d).
#[inline]
pub fn update(s: &mut NeuronState, p: &PopGpu, q: [f32; 4], in_e: f32, in_i: f32, in_c: f32) -> bool {
    let c = &p.c;
    let [a, b, reset, jump] = q;
    let current = (in_e + in_i) + in_c;
    let u = s.u;
    let mut v = s.v;
    v = v + c[HALF_DT] * ((((0.04 * v + 5.0) * v + 140.0) - u) + current);
    v = v + c[HALF_DT] * ((((0.04 * v + 5.0) * v + 140.0) - u) + current);
    let mut u_next = u + c[DT] * (a * (b * v - u));
    let spiked = v >= c[V_PEAK];
    if spiked {
        v = reset;
        u_next += jump;
    }
    s.v = v;
    s.u = u_next;
    spiked
}
