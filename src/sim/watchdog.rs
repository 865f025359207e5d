//! The non-finite watchdog: both backends check every neuron's state after its update, and
//! the first tick at which a state variable became NaN or infinite is kept with the neuron
//! and the variable (the lowest neuron index of that tick, the first variable in `NeuronState`
//! order, on every backend). With [`NonFinitePolicy::Stop`] the run stops after that tick
//! and [`Simulator::run_ticks`](super::Simulator::run_ticks) returns
//! [`Error::NonFinite`](crate::Error::NonFinite); with [`NonFinitePolicy::Warn`] it goes on
//! and the event stays readable ([`Simulator::nonfinite`](super::Simulator::nonfinite)).
//!
//! Cost: on the CPU one comparison per variable per neuron update; on the GPU a few bit
//! tests per neuron and one atomic per workgroup that sees a fault, in the faulting tick only.

use crate::model::Network;
use crate::neurons::StateField;
use crate::plan::layout::NeuronState;

/// What a run does when a neuron's state becomes NaN or infinite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NonFinitePolicy {
    /// Stop after the faulting tick with an error naming tick, population, neuron and variable.
    #[default]
    Stop,
    /// Keep the first event and go on.
    Warn,
}

impl std::str::FromStr for NonFinitePolicy {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "stop" | "error" => Ok(Self::Stop),
            "warn" => Ok(Self::Warn),
            _ => Err(crate::error::invalid(
                "--on-nonfinite",
                s,
                "allowed values are stop, warn",
            )),
        }
    }
}

/// The first non-finite value an engine saw: the tick, the global neuron and the index of the
/// variable in `NeuronState` order (v, u, w1, w2, syn_e, syn_i).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NonFiniteFault {
    /// The tick whose update produced it.
    pub tick: u64,
    /// Global neuron index.
    pub neuron: u32,
    /// Index of the variable in `NeuronState` (0 `v` ... 5 `syn_i`).
    pub field: u32,
}

/// A non-finite event as a user reads it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct NonFiniteEvent {
    /// The tick whose update produced it.
    pub tick: u64,
    /// Its start in biological time (ms).
    pub time_ms: f64,
    /// Population name.
    pub population: String,
    /// Neuron index within the population.
    pub neuron: u32,
    /// The model's name for the variable (`v`, `u`, `w`, `m`, ...).
    pub variable: String,
}

impl std::fmt::Display for NonFiniteEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "state variable '{}' of neuron {} of population '{}' became NaN or infinite at tick {} (t = {} ms)",
            self.variable, self.neuron, self.population, self.tick, self.time_ms
        )
    }
}

/// The `NeuronState` fields in order, as [`NonFiniteFault::field`] counts them.
const FIELDS: [StateField; 6] = [
    StateField::V,
    StateField::U,
    StateField::W1,
    StateField::W2,
    StateField::SynE,
    StateField::SynI,
];

/// Whether an f32's exponent bits are all ones (NaN or infinite), as the shaders test it.
#[inline(always)]
pub fn nonfinite_bits(x: f32) -> bool {
    x.to_bits() & 0x7f80_0000 == 0x7f80_0000
}

/// Whether any float of `s` is NaN or infinite (a branch-free test for the hot loop).
#[inline(always)]
pub fn state_nonfinite(s: &NeuronState) -> bool {
    let e = |x: f32| x.to_bits() & 0x7f80_0000;
    e(s.v)
        .max(e(s.u))
        .max(e(s.w1))
        .max(e(s.w2))
        .max(e(s.syn_e))
        .max(e(s.syn_i))
        == 0x7f80_0000
}

/// The index of the first non-finite float of `s`, if any.
pub fn first_nonfinite(s: &NeuronState) -> Option<u32> {
    [s.v, s.u, s.w1, s.w2, s.syn_e, s.syn_i]
        .into_iter()
        .position(nonfinite_bits)
        .map(|i| i as u32)
}

/// Population names and, per population, the model's name of each `NeuronState` field, to
/// report a fault in the user's words.
#[derive(Clone, Debug, Default)]
pub(crate) struct VariableNames {
    populations: Vec<(String, u32, [String; 6])>,
}

impl VariableNames {
    pub fn of(net: &Network) -> Self {
        let mut start = 0;
        let populations = net
            .populations
            .iter()
            .map(|p| {
                let spec = p.model.spec();
                let names = FIELDS.map(|field| {
                    spec.state
                        .iter()
                        .find(|s| s.field == field)
                        .map_or_else(|| format!("{field:?}").to_lowercase(), |s| s.name.to_string())
                });
                let entry = (p.name.clone(), start, names);
                start += p.size;
                entry
            })
            .collect();
        Self { populations }
    }

    /// The event of `fault` at time step `dt_ms`.
    pub fn event(&self, fault: NonFiniteFault, dt_ms: f64) -> NonFiniteEvent {
        let (population, start, names) = self
            .populations
            .iter()
            .rev()
            .find(|(_, start, _)| *start <= fault.neuron)
            .cloned()
            .unwrap_or_default();
        NonFiniteEvent {
            tick: fault.tick,
            time_ms: fault.tick as f64 * dt_ms,
            population,
            neuron: fault.neuron - start,
            variable: names
                .get(fault.field as usize)
                .cloned()
                .unwrap_or_else(|| format!("field {}", fault.field)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bit_test_finds_nan_and_both_infinities_only() {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -f32::NAN] {
            assert!(nonfinite_bits(bad));
        }
        for good in [0.0, -0.0, 1.0, f32::MAX, f32::MIN, f32::MIN_POSITIVE, 1e-45] {
            assert!(!nonfinite_bits(good));
        }
        let mut s = NeuronState::default();
        assert!(!state_nonfinite(&s) && first_nonfinite(&s).is_none());
        s.syn_e = f32::NAN;
        s.w2 = f32::INFINITY;
        assert!(state_nonfinite(&s));
        assert_eq!(first_nonfinite(&s), Some(3));
    }
}
