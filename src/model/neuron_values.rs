//! Values that differ from neuron to neuron: initial state and per-neuron parameters.

use crate::error::{Result, check_finite, check_non_negative, invalid};

/// Initial value of a per-neuron state variable.
#[derive(Clone, Debug, PartialEq)]
pub enum InitialValue {
    /// The same value for every neuron.
    Constant(f64),
    /// Independently uniform in `[low, high)` per neuron, drawn from the seed.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound, >= low.
        high: f64,
    },
    /// Independently normal per neuron, drawn from the seed.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation, >= 0.
        std: f64,
    },
    /// One value per neuron, in the population's order (PyNN's `initialize(v=array)`).
    Values(std::sync::Arc<[f64]>),
}

impl InitialValue {
    /// Checks the values: finite, distributions well formed, one value per neuron of a
    /// population of `size` for [`InitialValue::Values`].
    pub(crate) fn validate(&self, field: &str, size: u32) -> Result<()> {
        match *self {
            InitialValue::Constant(v) => check_finite(|| field.to_string(), v),
            InitialValue::Values(ref values) => {
                if values.len() != size as usize {
                    return Err(invalid(
                        field.to_string(),
                        format!("{} values", values.len()),
                        &format!("must hold one value per neuron ({size})"),
                    ));
                }
                match values.iter().position(|x| !x.is_finite()) {
                    Some(i) => check_finite(|| format!("{field}[{i}]"), values[i]),
                    None => Ok(()),
                }
            }
            InitialValue::Uniform { low, high } => {
                check_finite(|| format!("{field}.low"), low)?;
                check_finite(|| format!("{field}.high"), high)?;
                if high < low {
                    return Err(invalid(
                        format!("{field}.high"),
                        high,
                        &format!("must be >= low = {low}"),
                    ));
                }
                Ok(())
            }
            InitialValue::Normal { mean, std } => {
                check_finite(|| format!("{field}.mean"), mean)?;
                check_non_negative(|| format!("{field}.std"), std)
            }
        }
    }

    /// The value of neuron `index`: given, or drawn from `rng` (each neuron has its own stream).
    pub(crate) fn sample(&self, rng: &mut crate::rng::PhiloxStream, index: u32) -> f64 {
        match *self {
            InitialValue::Constant(v) => v,
            InitialValue::Values(ref values) => values[index as usize],
            InitialValue::Uniform { low, high } => low + rng.uniform() * (high - low),
            InitialValue::Normal { mean, std } => mean + std * rng.normal(),
        }
    }
}

/// A parameter that can differ from neuron to neuron (besides Izhikevich's a, b, c, d).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeuronParam {
    /// Spike threshold (mV): `v_thresh` of LIF and conductance LIF, `v_peak` of AdEx,
    /// `v_spike` of HH.
    Threshold,
    /// A constant bias current added to the injected current, in the model's current unit.
    Bias,
}

/// Per-neuron values: an explicit list (one per neuron) or a distribution drawn from the seed.
#[derive(Clone, Debug, PartialEq)]
pub enum PerNeuron {
    /// One value per neuron.
    Values(Vec<f64>),
    /// Independent draws per neuron.
    Drawn(InitialValue),
}

/// A state variable that can be given an initial value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateVar {
    /// Membrane potential (mV).
    V,
    /// Recovery / adaptation variable: Izhikevich `u` (default `b * v`), AdEx `w` (pA).
    U,
    /// Excitatory synaptic current or conductance.
    SynExc,
    /// Inhibitory synaptic current or conductance (conductances positive).
    SynInh,
}
