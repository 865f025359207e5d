//! A population whose neurons follow a user-defined model ([`crate::equations`]): the
//! definition compiled for the population, its per-neuron parameters and initial values.
//!
//! The engine keeps such a population's state in the model's own variables (the CPU backend:
//! a [`crate::equations::CpuPopulation`]), and mirrors the first six variables, in
//! declaration order, into the `NeuronState` fields `v, u, w1, w2, syn_e, syn_i` after every
//! tick, so that state read-backs and probes see them ([`EquationNeuron::mirror_field`]).

use std::borrow::Cow;
use std::sync::Arc;

use super::{Dim, InitialV, ModelSpec, NeuronModel, Roles, StateField, model_id};
use crate::equations::{CompileOptions, CompiledModel, ModelDefinition, compile};
use crate::error::{Error, Result};

/// The table of every equation population: the model's own parameters live in its
/// definition, so the table lists none.
pub static SPEC: ModelSpec = ModelSpec {
    name: Cow::Borrowed("equation"),
    id: model_id::EQUATION,
    summary: Cow::Borrowed("A user-defined model from equations (its own pipeline)"),
    params: Cow::Borrowed(&[]),
    state: Cow::Borrowed(&[]),
    slots: Cow::Borrowed(&[]),
    presets: Cow::Borrowed(&[]),
    roles: Roles {
        refractory: None,
        reset: None,
        threshold: None,
        initial_v: InitialV::Value(0.0),
    },
    // Weights and currents are in the canonical unit of the variable they target.
    weight_unit: Dim::None,
    current_unit: Dim::None,
    conductance_synapses: false,
    defaults: default_model,
    wgsl: Cow::Borrowed(""),
};

/// The shipped LIF definition (`examples/models/neuron_models/lif.toml`), the model an
/// equation population has when none is given.
fn default_model() -> NeuronModel {
    let text = include_str!("../../examples/models/neuron_models/lif.toml");
    let definition = crate::equations::parse_model_file(text)
        .ok()
        .and_then(|mut d| d.pop())
        .unwrap_or_default();
    match EquationNeuron::new(definition) {
        Ok(model) => NeuronModel::Equation(model),
        // Not reached: tests/suite/equations_engine.rs compiles the shipped file.
        Err(_) => NeuronModel::PoissonSource { rate_hz: 0.0 },
    }
}

/// The `NeuronState` fields that mirror a model's first variables, in order.
pub const MIRRORED_FIELDS: [StateField; 6] = [
    StateField::V,
    StateField::U,
    StateField::W1,
    StateField::W2,
    StateField::SynE,
    StateField::SynI,
];

/// A user-defined model as one population uses it.
#[derive(Clone, Debug)]
pub struct EquationNeuron {
    definition: Arc<ModelDefinition>,
    options: CompileOptions,
    compiled: Arc<CompiledModel>,
    per_neuron: Vec<(String, Vec<f64>)>,
    initial: Vec<(String, Vec<f64>)>,
}

impl PartialEq for EquationNeuron {
    fn eq(&self, other: &Self) -> bool {
        self.definition == other.definition
            && self.options == other.options
            && self.per_neuron == other.per_neuron
            && self.initial == other.initial
    }
}

fn equation_error(e: crate::equations::EquationError) -> Error {
    Error::InvalidNetwork(e.to_string())
}

impl EquationNeuron {
    /// Compiles `definition` (parameters as the definition gives them, the same for every
    /// neuron).
    pub fn new(definition: ModelDefinition) -> Result<Self> {
        Self::with_options(definition, CompileOptions::default())
    }

    /// Compiles `definition` with `options` (the per-neuron parameters are set from the
    /// definition's values until [`EquationNeuron::per_neuron`] gives them).
    pub fn with_options(definition: ModelDefinition, options: CompileOptions) -> Result<Self> {
        let compiled = compile(&definition, &options).map_err(equation_error)?;
        Ok(Self {
            definition: Arc::new(definition),
            options,
            compiled: Arc::new(compiled),
            per_neuron: Vec::new(),
            initial: Vec::new(),
        })
    }

    /// Gives every neuron its own value of `name`, in canonical units (ms, mV, pA, nS, pF):
    /// a parameter (the model is compiled again with it per neuron) or a state variable (its
    /// initial value). The list's length is checked against the population's size when the
    /// network is planned.
    pub fn per_neuron(mut self, name: &str, values: Vec<f64>) -> Result<Self> {
        let field = format!("neuron_model '{}'.per_neuron.{name}", self.definition.name);
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(crate::error::invalid(
                format!("{field}[{i}]"),
                values[i],
                "must be finite",
            ));
        }
        if self.compiled.variables().iter().any(|v| v.name == name) {
            self.initial.retain(|(n, _)| n != name);
            self.initial.push((name.to_string(), values));
            return Ok(self);
        }
        if !self.compiled.params().iter().any(|p| p.name == name) {
            return Err(crate::error::invalid(
                field,
                "given",
                &format!(
                    "not a parameter or state variable of the model (known: {})",
                    self.names()
                ),
            ));
        }
        if !self.options.per_neuron.iter().any(|n| n == name) {
            self.options.per_neuron.push(name.to_string());
            self.compiled = Arc::new(compile(&self.definition, &self.options).map_err(equation_error)?);
        }
        self.per_neuron.retain(|(n, _)| n != name);
        self.per_neuron.push((name.to_string(), values));
        Ok(self)
    }

    /// The parameters and variables, for error messages.
    fn names(&self) -> String {
        let vars = self.compiled.variables().iter().map(|v| v.name.as_str());
        let params = self.compiled.params().iter().map(|p| p.name.as_str());
        vars.chain(params).collect::<Vec<_>>().join(", ")
    }

    /// The definition as written.
    pub fn definition(&self) -> &ModelDefinition {
        &self.definition
    }

    /// The compiled model.
    pub fn compiled(&self) -> &Arc<CompiledModel> {
        &self.compiled
    }

    /// Per-neuron parameter values (canonical units) given so far.
    pub fn per_neuron_values(&self) -> &[(String, Vec<f64>)] {
        &self.per_neuron
    }

    /// Per-neuron initial values (canonical units) given so far.
    pub fn initial_values(&self) -> &[(String, Vec<f64>)] {
        &self.initial
    }

    /// The unit of the variable that input `port` targets, where it is one of the model-file
    /// units (weights and currents onto the population are read in it); otherwise
    /// [`Dim::None`]: bare numbers in the variable's canonical unit.
    pub fn port_unit(&self, ports: &[crate::equations::InputPort]) -> Dim {
        let target = ports.iter().find_map(|p| {
            let (_, t) = self.definition.inputs.iter().find(|(q, _)| q == p)?;
            Some(t.trim().trim_start_matches('-').trim())
        });
        target.map_or(Dim::None, |t| self.variable_unit(t))
    }

    /// The unit of variable `name` where it is one of the model-file units (mV, pA, nS);
    /// otherwise [`Dim::None`].
    pub fn variable_unit(&self, name: &str) -> Dim {
        let Some(var) = self.compiled.variables().iter().find(|v| v.name == name) else {
            return Dim::None;
        };
        match var.unit.as_str() {
            "V" => Dim::Voltage,
            "A" => Dim::Current,
            "S" => Dim::Conductance,
            _ => Dim::None,
        }
    }

    /// The `NeuronState` field that mirrors variable `name`, if it is one of the first six.
    pub fn mirror_field(&self, name: &str) -> Option<StateField> {
        let i = self.compiled.variables().iter().position(|v| v.name == name)?;
        MIRRORED_FIELDS.get(i).copied()
    }
}
