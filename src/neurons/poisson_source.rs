//! Poisson spike source: independent Poisson trains, one per neuron, from the Philox streams.

use std::borrow::Cow;

use super::{
    Access, Dim, InitialV, ModelSpec, NeuronModel, ParamKind, ParamSpec, PopConstantsF64, Range, Roles,
    Value, model_id,
};
use crate::rng::philox4x32_10;

/// The model-file parameters.
pub const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: Cow::Borrowed("rate"),
    field: Cow::Borrowed("rate_hz"),
    doc: Cow::Borrowed("Rate, with rate x dt <= 1"),
    kind: ParamKind::Quantity {
        dim: Dim::Rate,
        range: Range::NonNegative,
    },
    default: Value::Number(0.0),
    access: Access::Field {
        get: |m| match m {
            NeuronModel::PoissonSource { rate_hz } => Some(Value::Number(*rate_hz)),
            _ => None,
        },
        set: |m, v| match (m, v) {
            (NeuronModel::PoissonSource { rate_hz }, Value::Number(x)) => {
                *rate_hz = x;
                true
            }
            _ => false,
        },
    },
}];

/// The model's table.
pub static SPEC: ModelSpec = ModelSpec {
    name: Cow::Borrowed("poisson_source"),
    id: model_id::POISSON_SOURCE,
    summary: Cow::Borrowed("Independent Poisson spike trains, at most one spike per tick"),
    params: Cow::Borrowed(PARAMS),
    state: Cow::Borrowed(&[]),
    slots: Cow::Borrowed(&[]),
    presets: Cow::Borrowed(&[]),
    roles: Roles {
        refractory: None,
        reset: None,
        threshold: None,
        initial_v: InitialV::Value(0.0),
    },
    weight_unit: Dim::None,
    current_unit: Dim::None,
    conductance_synapses: false,
    defaults: || NeuronModel::PoissonSource { rate_hz: 0.0 },
    wgsl: Cow::Borrowed(include_str!("../../shaders/models/poisson_source.wgsl")),
};

/// No constants: the rate lives in each neuron's parameters.
pub fn constants() -> PopConstantsF64 {
    [0.0; super::POP_CONSTANTS]
}

/// `poisson_source_update` of `shaders/models/poisson_source.wgsl`: fires when one Philox word
/// keyed by (tick, neuron, stream) is below rate x dt x 2^32 (`q`: that threshold, the stream
/// and the neuron index, as u32 bits). The tick's high word is the counter's last word.
#[inline]
pub fn update(q: [f32; 4], key: [u32; 2], tick: u64) -> bool {
    let [lo, hi] = crate::limits::tick_words(tick);
    philox4x32_10([lo, q[2].to_bits(), q[1].to_bits(), hi], key)[0] < q[0].to_bits()
}
