//! Neuron models, one file each: parameters with units, named parameter sets, validation, the
//! table the model-file loader reads, named constant slots and the CPU update.
//!
//! A model's file holds its `XxxParams` struct (units in the field names) with `Default`, its
//! [`ModelSpec`] (the parameter table with model-file names, units, ranges, defaults and field
//! accessors; its state variables; its constant slots, declared with `constant_slots!`), the
//! checks between parameters, the computation of its constants (in f64, rounded once to f32
//! here) and its CPU update, operation for operation the twin of its WGSL in
//! `shaders/models/<name>.wgsl`. The WGSL reads the constants by name: the `neuron_update` stage
//! includes [`wgsl::builtin_source`], which declares `const LIF_V_REST: u32 = 0u;` and so on
//! from the same tables, and `MODEL_LIF` for every model id.
//!
//! # Adding a model
//!
//! 1. `src/neurons/<name>.rs`: its params struct, `PARAMS`, `constant_slots!`, `STATE`,
//!    `SPEC` (with `wgsl: include_str!("../../shaders/models/<name>.wgsl")`),
//!    `validate_relations`, `constants` and `update`; a `mod` line here.
//! 2. Here: an id in [`model_id`], a [`NeuronModel`] variant, its `SPEC` in [`BUILTIN`]
//!    (in id order) and its arm in `spec`, `validate` and `constants`.
//! 3. `shaders/models/<name>.wgsl`: `fn <name>_update(...)` reading `p.c[<NAME>_<SLOT>]`, and
//!    its `case MODEL_<NAME>` in `shaders/stages/neuron_update.wgsl`.
//! 4. `src/cpu/neuron_update.rs`: the arm that runs its `update` over a population.
//! 5. Tests: its behaviour against a closed form or its paper (`tests/suite/models.rs`) and
//!    the GPU against the CPU (`tests/suite/gpu_models.rs`). The table tests of
//!    `tests/suite/neuron_tables.rs` cover the new model by themselves.

use crate::error::{Result, invalid};

#[macro_use]
mod spec;
pub mod adex;
pub mod equation;
pub mod hh;
pub mod izhikevich;
pub mod lif;
pub mod lif_cond;
pub mod poisson_sequence;
pub mod poisson_source;
pub mod spike_source;
pub mod steps;
pub mod units;
pub mod wgsl;

pub use adex::{AdExParams, AdExPattern};
pub use equation::EquationNeuron;
pub use hh::HhParams;
pub use izhikevich::{IzhikevichParams, IzhikevichType};
pub use lif::{CurrentSynapse, LifParams};
pub use lif_cond::LifCondParams;
pub use poisson_sequence::PoissonSequenceParams;
pub use spec::{
    Access, InitialV, List, ModelSpec, ParamKind, ParamSpec, Preset, Range, Roles, SlotSpec, StateField,
    StateSpec, Text, Value,
};
pub use units::Dim;

/// Number of f32 constants per population.
pub const POP_CONSTANTS: usize = 24;

/// Per-population constants as uploaded (`PopGpu::c`; each model names its slots).
pub type PopConstants = [f32; POP_CONSTANTS];

/// Per-population constants as computed, before the one rounding to f32.
pub type PopConstantsF64 = [f64; POP_CONSTANTS];

/// Model ids shared with WGSL (`model` field of `PopGpu`; `MODEL_<NAME>` in the shaders).
pub mod model_id {
    /// LIF with current synapses (delta, exponential or alpha).
    pub const LIF: u32 = 0;
    /// LIF with exponential conductance synapses.
    pub const LIF_COND: u32 = 1;
    /// Izhikevich 2003.
    pub const IZHIKEVICH: u32 = 2;
    /// Adaptive exponential integrate-and-fire.
    pub const ADEX: u32 = 3;
    /// Hodgkin-Huxley, Traub-Miles type.
    pub const HH: u32 = 4;
    /// Spike source array.
    pub const SPIKE_SOURCE: u32 = 5;
    /// Poisson spike source.
    pub const POISSON_SOURCE: u32 = 6;
    /// Poisson trains with per-neuron rates per stimulus window.
    pub const POISSON_SEQUENCE: u32 = 7;
    /// A user-defined model from equations: skipped by `neuron_update`, run by its own
    /// update (`equation_update`).
    pub const EQUATION: u32 = 8;
}

/// The built-in models' tables, in id order.
pub static BUILTIN: [&ModelSpec; 8] = [
    &lif::SPEC,
    &lif_cond::SPEC,
    &izhikevich::SPEC,
    &adex::SPEC,
    &hh::SPEC,
    &spike_source::SPEC,
    &poisson_source::SPEC,
    &poisson_sequence::SPEC,
];

/// The built-in model called `name` in model files.
pub fn builtin(name: &str) -> Option<&'static ModelSpec> {
    BUILTIN.iter().copied().find(|m| m.name == name)
}

/// The neuron model of a population.
#[derive(Clone, Debug, PartialEq)]
pub enum NeuronModel {
    /// LIF with current synapses (CUBA, Brunel).
    Lif(LifParams),
    /// LIF with conductance synapses (COBA).
    LifCond(LifCondParams),
    /// Izhikevich 2003; per-neuron (a, b, c, d) may be set with
    /// `NetworkBuilder::izhikevich_per_neuron`.
    Izhikevich(IzhikevichParams),
    /// Adaptive exponential integrate-and-fire.
    AdEx(AdExParams),
    /// Traub-Miles Hodgkin-Huxley.
    HodgkinHuxley(HhParams),
    /// Spike source array: neuron `i` emits a spike at each of `spike_times_ms[i]` (rounded to
    /// ticks); the population size is the number of lists.
    SpikeSource {
        /// Spike times per neuron (ms), each list strictly increasing, >= 0.
        spike_times_ms: Vec<Vec<f64>>,
    },
    /// Independent Poisson spike trains, one per neuron, usable as the pre-synaptic side of
    /// projections (plastic ones too). At most one spike per tick: each tick fires with
    /// probability `rate_hz * dt`, compared as an integer against one Philox word.
    PoissonSource {
        /// Rate (Hz), with rate x dt <= 1.
        rate_hz: f64,
    },
    /// Poisson trains whose per-neuron rates change per stimulus window, with rests between
    /// windows (rate coding of a sequence of stimuli, run without the host; see
    /// [`crate::encoders`]).
    PoissonSequence(PoissonSequenceParams),
    /// A user-defined model from equations ([`crate::equations`]).
    Equation(EquationNeuron),
}

impl NeuronModel {
    /// The model's table.
    pub fn spec(&self) -> &ModelSpec {
        match self {
            NeuronModel::Lif(_) => &lif::SPEC,
            NeuronModel::LifCond(_) => &lif_cond::SPEC,
            NeuronModel::Izhikevich(_) => &izhikevich::SPEC,
            NeuronModel::AdEx(_) => &adex::SPEC,
            NeuronModel::HodgkinHuxley(_) => &hh::SPEC,
            NeuronModel::SpikeSource { .. } => &spike_source::SPEC,
            NeuronModel::PoissonSource { .. } => &poisson_source::SPEC,
            NeuronModel::PoissonSequence(_) => &poisson_sequence::SPEC,
            NeuronModel::Equation(_) => &equation::SPEC,
        }
    }

    /// Unit of synaptic weights onto this model (a user-defined model: that of the variable
    /// its excitatory input targets, see [`EquationNeuron::port_unit`]).
    pub fn weight_unit(&self) -> Dim {
        use crate::equations::InputPort;
        match self {
            NeuronModel::Equation(eq) => eq.port_unit(&[InputPort::Excitatory, InputPort::Inhibitory]),
            NeuronModel::Lif(p) if p.mv_per_pa().is_some() => Dim::Current,
            _ => self.spec().weight_unit,
        }
    }

    /// Unit of currents injected into this model.
    pub fn current_unit(&self) -> Dim {
        match self {
            NeuronModel::Equation(eq) => eq.port_unit(&[crate::equations::InputPort::Current]),
            NeuronModel::Lif(p) if p.mv_per_pa().is_some() => Dim::Current,
            _ => self.spec().current_unit,
        }
    }

    /// Whether the model is a spike source (no inputs, no threshold): spike arrays, Poisson
    /// sources and Poisson sequences.
    pub fn is_source(&self) -> bool {
        matches!(
            self,
            NeuronModel::SpikeSource { .. }
                | NeuronModel::PoissonSource { .. }
                | NeuronModel::PoissonSequence(_)
        )
    }

    /// Model id used by the shaders.
    pub fn id(&self) -> u32 {
        self.spec().id
    }

    /// Whether spikes arriving at the inhibitory port add their magnitude to a conductance.
    pub fn conductance_based(&self) -> bool {
        self.spec().conductance_synapses
    }

    /// The value of parameter `param` (of this model's table).
    pub fn get(&self, param: &ParamSpec) -> Option<Value> {
        match param.access {
            Access::Field { get, .. } => get(self),
        }
    }

    /// Sets parameter `param` (of this model's table); false if it is not this model's or
    /// `value` is of another kind.
    pub fn set(&mut self, param: &ParamSpec, value: Value) -> bool {
        match param.access {
            Access::Field { set, .. } => set(self, value),
        }
    }

    /// The number held by the parameter called `name`, if the model has it.
    fn number(&self, name: Option<&Text>) -> Option<f64> {
        match self.get(self.spec().param(name?)?)? {
            Value::Number(x) => Some(x),
            Value::Flag(_) | Value::Choice(_) => None,
        }
    }

    /// Refractory period (ms).
    pub fn refractory_ms(&self) -> f64 {
        self.number(self.spec().roles.refractory.as_ref()).unwrap_or(0.0)
    }

    /// Reset potential (mV) of the models that reset.
    pub fn reset_mv(&self) -> Option<f64> {
        self.number(self.spec().roles.reset.as_ref())
    }

    /// The spike threshold the per-neuron parameter table starts from (mV).
    pub fn threshold_mv(&self) -> Option<f64> {
        self.number(self.spec().roles.threshold.as_ref())
    }

    /// The membrane potential (mV) neurons start at when their population gives none.
    pub fn initial_v_mv(&self) -> f64 {
        match &self.spec().roles.initial_v {
            InitialV::Param(name) => self.number(Some(name)).unwrap_or(0.0),
            InitialV::Value(v) => *v,
        }
    }

    /// Checks every parameter against its range in the table, then the relations between
    /// parameters; `owner` prefixes field names in errors.
    pub fn validate(&self, owner: &str) -> Result<()> {
        for param in self.spec().params.iter() {
            if let (ParamKind::Quantity { range, .. }, Some(Value::Number(x))) =
                (&param.kind, self.get(param))
            {
                range.check(|| format!("{owner}.{}", param.field), x)?;
            }
        }
        match self {
            NeuronModel::Lif(p) => lif::validate_relations(p, owner),
            NeuronModel::LifCond(p) => lif_cond::validate_relations(p, owner),
            NeuronModel::Izhikevich(p) => izhikevich::validate_relations(p, owner),
            NeuronModel::AdEx(p) => adex::validate_relations(p, owner),
            NeuronModel::HodgkinHuxley(p) => hh::validate_relations(p, owner),
            NeuronModel::SpikeSource { spike_times_ms } => {
                spike_source::validate_relations(spike_times_ms, owner)
            }
            NeuronModel::PoissonSequence(p) => poisson_sequence::validate_relations(p, owner),
            NeuronModel::PoissonSource { .. } | NeuronModel::Equation(_) => Ok(()),
        }
    }

    /// Per-population constants for time step `dt` (ms): computed in f64, rounded once.
    pub fn constants(&self, dt: f64) -> PopConstants {
        let c = match self {
            NeuronModel::Lif(p) => lif::constants(p, dt),
            NeuronModel::LifCond(p) => lif_cond::constants(p, dt),
            NeuronModel::Izhikevich(p) => izhikevich::constants(p, dt),
            NeuronModel::AdEx(p) => adex::constants(p, dt),
            NeuronModel::HodgkinHuxley(p) => hh::constants(p, dt),
            NeuronModel::SpikeSource { .. } => spike_source::constants(),
            NeuronModel::PoissonSource { .. } => poisson_source::constants(),
            NeuronModel::PoissonSequence(_) => poisson_sequence::constants(),
            // Its constants live in the compiled model (`Plan::equations`).
            NeuronModel::Equation(_) => [0.0; POP_CONSTANTS],
        };
        c.map(|x| x as f32)
    }
}

/// Checks `lo < hi` for two parameters given as (field, value).
fn below(owner: &str, lo: (&str, f64), hi: (&str, f64)) -> Result<()> {
    if lo.1 >= hi.1 {
        Err(invalid(
            format!("{owner}.{}", lo.0),
            lo.1,
            &format!("must be below {} = {}", hi.0, hi.1),
        ))
    } else {
        Ok(())
    }
}
