//! A neuron model described as data: its parameters (model-file name, unit, range, default,
//! accessor), state variables, constant slots, presets and WGSL source, in one [`ModelSpec`].
//!
//! The built-in models write their specs as `static` items; a model defined at run time (from
//! equations) builds the same structure with owned strings and lists ([`Text`], [`List`]).

use std::borrow::Cow;

use super::NeuronModel;
use super::units::Dim;
use crate::error::{Result, invalid};

/// A name or text: static for the built-in models, owned for models built at run time.
pub type Text = Cow<'static, str>;

/// A list: static for the built-in models, owned for models built at run time.
pub type List<T> = Cow<'static, [T]>;

/// Everything the engine and the model-file loader know about a neuron model.
#[derive(Clone, Debug)]
pub struct ModelSpec {
    /// Name in model files (`model = "lif"`), and, upper-cased, the prefix of the model's
    /// generated WGSL constants (`LIF_V_REST`).
    pub name: Text,
    /// Id in `PopGpu::model`, switched on by `neuron_update` (WGSL `MODEL_<NAME>`).
    pub id: u32,
    /// One line on what the model is.
    pub summary: Text,
    /// The parameters a model file may set, in the order listings and errors show them.
    pub params: List<ParamSpec>,
    /// The state variables, with the `NeuronState` field each lives in.
    pub state: List<StateSpec>,
    /// The per-population constant slots (`PopGpu::c`), in slot order.
    pub slots: List<SlotSpec>,
    /// Named parameter sets (`preset = "RS"`).
    pub presets: List<Preset>,
    /// Parameters with a meaning outside the model's own update.
    pub roles: Roles,
    /// Unit of synaptic weights onto this model (and of its synaptic state).
    pub weight_unit: Dim,
    /// Unit of currents injected into this model (current sources, per-neuron bias).
    pub current_unit: Dim,
    /// Whether inhibitory weights add their magnitude to a conductance (given negative).
    pub conductance_synapses: bool,
    /// The model with its default parameters.
    pub defaults: fn() -> NeuronModel,
    /// WGSL source of the model's update function, included in the `neuron_update` stage
    /// after the generated constants.
    pub wgsl: Text,
}

impl ModelSpec {
    /// The parameter called `name` in model files.
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The model-file names of the parameters, in table order.
    pub fn param_names(&self) -> Vec<&str> {
        self.params.iter().map(|p| p.name.as_ref()).collect()
    }

    /// The preset called `name`.
    pub fn preset(&self, name: &str) -> Option<&Preset> {
        self.presets.iter().find(|p| p.name == name)
    }

    /// The prefix of the model's generated WGSL names (`LIF_COND`).
    pub fn wgsl_prefix(&self) -> String {
        self.name.to_ascii_uppercase()
    }
}

/// One parameter: how a model file names and writes it, what it means, where it is stored.
#[derive(Clone, Debug)]
pub struct ParamSpec {
    /// Name in model files (`tau_m`); a unit suffix (`tau_m_ms`) may follow it there.
    pub name: Text,
    /// Name of the Rust field, unit included (`tau_m_ms`), as validation errors name it.
    pub field: Text,
    /// What the parameter means.
    pub doc: Text,
    /// How its value is written and checked.
    pub kind: ParamKind,
    /// The value of the model's default parameters.
    pub default: Value,
    /// Where the value is stored.
    pub access: Access,
}

/// How a parameter's value is written and checked.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamKind {
    /// A quantity of dimension `dim`, stored in its canonical unit, within `range`.
    Quantity {
        /// Physical dimension.
        dim: Dim,
        /// Allowed values.
        range: Range,
    },
    /// One of the listed keywords; stored as its index.
    Choice(List<Text>),
    /// `true` or `false`.
    Flag,
}

/// Allowed values of a quantity (with the messages of `error::check_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// Any finite number.
    Finite,
    /// Finite and > 0.
    Positive,
    /// Finite and >= 0.
    NonNegative,
}

impl Range {
    /// Whether `value` lies in the range.
    pub fn allows(self, value: f64) -> bool {
        match self {
            Range::Finite => value.is_finite(),
            Range::Positive => value.is_finite() && value > 0.0,
            Range::NonNegative => value.is_finite() && value >= 0.0,
        }
    }

    /// What the range requires, in the words of every range error (`must be finite and > 0`).
    pub fn requirement(self) -> &'static str {
        match self {
            Range::Finite => "must be a finite number",
            Range::Positive => "must be finite and > 0",
            Range::NonNegative => "must be finite and >= 0",
        }
    }

    /// Checks `value`; `field` names it in the error.
    pub fn check(self, field: impl FnOnce() -> String, value: f64) -> Result<()> {
        if self.allows(value) {
            Ok(())
        } else {
            Err(invalid(field(), value, self.requirement()))
        }
    }
}

/// A parameter value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A quantity in its canonical unit.
    Number(f64),
    /// A flag.
    Flag(bool),
    /// The index of a keyword of [`ParamKind::Choice`].
    Choice(usize),
}

/// Where a parameter's value is stored.
#[derive(Clone, Copy, Debug)]
pub enum Access {
    /// A field of a built-in model's parameter struct: `get` and `set` answer `None` / false
    /// for another model or a value of another kind. (Models built at run time will store
    /// their values in a list and add a variant indexing it.)
    Field {
        /// Reads the field.
        get: fn(&NeuronModel) -> Option<Value>,
        /// Writes the field.
        set: fn(&mut NeuronModel, Value) -> bool,
    },
}

/// One per-population constant: its WGSL name (after the model's prefix) and meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotSpec {
    /// Name, e.g. `V_REST` (WGSL: `LIF_V_REST`; Rust: `lif::V_REST`).
    pub name: Text,
    /// What the slot holds.
    pub doc: Text,
}

/// The `NeuronState` field a state variable lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateField {
    /// `v`.
    V,
    /// `u`.
    U,
    /// `w1`.
    W1,
    /// `w2`.
    W2,
    /// `syn_e`.
    SynE,
    /// `syn_i`.
    SynI,
    /// `aux`.
    Aux,
}

impl StateField {
    /// The model-independent names a model file may use for the field's variable.
    pub fn generic_names(self) -> &'static [&'static str] {
        match self {
            StateField::V => &["v"],
            StateField::U => &["u", "w"],
            StateField::SynE => &["syn_e", "g_e"],
            StateField::SynI => &["syn_i", "g_i"],
            StateField::W1 | StateField::W2 | StateField::Aux => &[],
        }
    }
}

/// One state variable of a model.
#[derive(Clone, Debug, PartialEq)]
pub struct StateSpec {
    /// The model's own name for it (`w` for AdEx's adaptation current).
    pub name: Text,
    /// Where it is stored.
    pub field: StateField,
    /// Its dimension.
    pub dim: Dim,
    /// What it is.
    pub doc: Text,
}

/// A named parameter set.
#[derive(Clone, Debug)]
pub struct Preset {
    /// Name in model files (`preset = "RS"`).
    pub name: Text,
    /// The model with this set.
    pub make: fn() -> NeuronModel,
}

/// Parameters (by model-file name) with a meaning outside the model's own update.
#[derive(Clone, Debug, PartialEq)]
pub struct Roles {
    /// Refractory period (ms): `PopGpu::refractory_ticks`. None: never refractory.
    pub refractory: Option<Text>,
    /// Reset potential (mV): per-neuron thresholds must lie above it.
    pub reset: Option<Text>,
    /// Spike threshold (mV): the per-neuron threshold starts from it. None: the model has no
    /// per-neuron threshold.
    pub threshold: Option<Text>,
    /// Membrane potential (mV) of neurons whose population gives none.
    pub initial_v: InitialV,
}

/// The default initial membrane potential.
#[derive(Clone, Debug, PartialEq)]
pub enum InitialV {
    /// The value of this parameter.
    Param(Text),
    /// This value (mV).
    Value(f64),
}

/// A [`ParamSpec`] for the quantity `$name` (model files) stored in field `$field` of
/// `NeuronModel::$variant`'s parameters.
macro_rules! quantity {
    ($name:literal, $variant:ident . $field:ident, $dim:ident, $range:ident, $default:expr, $doc:literal) => {
        $crate::neurons::ParamSpec {
            name: ::std::borrow::Cow::Borrowed($name),
            field: ::std::borrow::Cow::Borrowed(stringify!($field)),
            doc: ::std::borrow::Cow::Borrowed($doc),
            kind: $crate::neurons::ParamKind::Quantity {
                dim: $crate::neurons::Dim::$dim,
                range: $crate::neurons::Range::$range,
            },
            default: $crate::neurons::Value::Number($default),
            access: $crate::neurons::Access::Field {
                get: |m| match m {
                    $crate::neurons::NeuronModel::$variant(p) => {
                        Some($crate::neurons::Value::Number(p.$field))
                    }
                    _ => None,
                },
                set: |m, v| match (m, v) {
                    ($crate::neurons::NeuronModel::$variant(p), $crate::neurons::Value::Number(x)) => {
                        p.$field = x;
                        true
                    }
                    _ => false,
                },
            },
        }
    };
}

/// Declares a model's constant slots, numbered in order: one `pub const NAME: usize` each
/// (the CPU reads `p.c[NAME]`) and `SLOTS`, their names and meanings, from which the WGSL
/// constants `<MODEL>_<NAME>` are generated.
macro_rules! constant_slots {
    ($($(#[doc = $doc:literal])+ $name:ident),+ $(,)?) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(usize)]
        enum Slot {
            $($name),+
        }
        $(
            $(#[doc = $doc])+
            pub const $name: usize = Slot::$name as usize;
        )+
        /// The constant slots in order: their names (WGSL: after the model's prefix) and
        /// meanings.
        pub const SLOTS: &[$crate::neurons::SlotSpec] = &[$($crate::neurons::SlotSpec {
            name: ::std::borrow::Cow::Borrowed(stringify!($name)),
            doc: ::std::borrow::Cow::Borrowed(concat!($($doc),+)),
        }),+];
        const _: () = assert!(SLOTS.len() <= $crate::neurons::POP_CONSTANTS);
    };
}

/// A [`StateSpec`]: variable `$name` stored in `NeuronState` field `$field`.
macro_rules! state {
    ($name:literal, $field:ident, $dim:ident, $doc:literal) => {
        $crate::neurons::StateSpec {
            name: ::std::borrow::Cow::Borrowed($name),
            field: $crate::neurons::StateField::$field,
            dim: $crate::neurons::Dim::$dim,
            doc: ::std::borrow::Cow::Borrowed($doc),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::Range;
    use crate::error::{check_finite, check_non_negative, check_positive};

    #[test]
    fn ranges_give_the_messages_of_the_shared_checks() {
        let field = || "f".to_string();
        let text = |r: crate::error::Result<()>| r.map_err(|e| e.to_string());
        for x in [-1.0, 0.0, 2.0, f64::NAN, f64::INFINITY] {
            assert_eq!(text(Range::Finite.check(field, x)), text(check_finite(field, x)));
            assert_eq!(
                text(Range::Positive.check(field, x)),
                text(check_positive(field, x))
            );
            assert_eq!(
                text(Range::NonNegative.check(field, x)),
                text(check_non_negative(field, x))
            );
        }
    }
}
