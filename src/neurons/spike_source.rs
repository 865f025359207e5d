//! Spike source array: each neuron emits spikes at listed times.

use std::borrow::Cow;

use super::{Dim, InitialV, ModelSpec, NeuronModel, PopConstantsF64, Roles, StateSpec, model_id};
use crate::error::{Result, check_non_negative, invalid};
use crate::plan::layout::NeuronState;

/// The state variables.
pub const STATE: &[StateSpec] = &[state!("next", Aux, None, "Index of the next spike time")];

/// The model's table. The spike times are not parameters: a model file gives them as the
/// population's `spike_times_ms`.
pub static SPEC: ModelSpec = ModelSpec {
    name: Cow::Borrowed("spike_source"),
    id: model_id::SPIKE_SOURCE,
    summary: Cow::Borrowed("Spike source array: each neuron fires at its listed times"),
    params: Cow::Borrowed(&[]),
    state: Cow::Borrowed(STATE),
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
    defaults: || NeuronModel::SpikeSource {
        spike_times_ms: Vec::new(),
    },
    wgsl: Cow::Borrowed(include_str!("../../shaders/models/spike_source.wgsl")),
};

/// Checks every neuron's times: each >= 0 and strictly after the previous one.
pub fn validate_relations(spike_times_ms: &[Vec<f64>], owner: &str) -> Result<()> {
    for (i, times) in spike_times_ms.iter().enumerate() {
        let mut last = f64::NEG_INFINITY;
        for (k, &t) in times.iter().enumerate() {
            let field = || format!("{owner}.spike_times_ms[{i}][{k}]");
            check_non_negative(field, t)?;
            if t <= last {
                return Err(invalid(
                    field(),
                    t,
                    &format!("spike times must be strictly increasing (previous {last})"),
                ));
            }
            last = t;
        }
    }
    Ok(())
}

/// No constants: the times live in `source_ticks`.
pub fn constants() -> PopConstantsF64 {
    [0.0; super::POP_CONSTANTS]
}

/// `spike_source_update` of `shaders/models/spike_source.wgsl`: `q` holds the neuron's slice
/// of `ticks` (offset and count as u32 bits); `aux` is the next index.
#[inline]
pub fn update(s: &mut NeuronState, q: [f32; 4], ticks: &[u32], tick: u64) -> bool {
    let (offset, count) = (q[0].to_bits(), q[1].to_bits());
    if s.aux < count && u64::from(ticks[(offset + s.aux) as usize]) == tick {
        s.aux += 1;
        return true;
    }
    false
}
