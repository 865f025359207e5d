//! Network description: plain data, no GPU types. A [`NetworkBuilder`] validates every piece as
//! it is added and again as a whole in [`NetworkBuilder::build`]; the resulting [`Network`] is
//! immutable and is what both backends are planned from.
//!
//! One file per part of the description: handles (`ids`), the network itself (`network`),
//! per-neuron values (`neuron_values`), connectivity rules (`connectivity`), weight and delay
//! distributions (`distributions`), inputs (`inputs`), positions (`positions`), plasticity
//! rules (`plasticity`), short-term plasticity (`short_term`), stochastic release (`stochastic`), recordings (`recording`), and the builder with its validation
//! (`builder/`).

mod builder;
mod connectivity;
mod conventions;
mod distributions;
mod ids;
mod inputs;
mod network;
mod neuron_values;
pub mod plasticity;
mod positions;
mod recording;
pub mod short_term;
pub mod stochastic;

pub use builder::{MAX_DELAY_TICKS, NetworkBuilder};
pub use connectivity::{Connection, Connectivity, Receptor};
pub use conventions::Conventions;
pub use distributions::{DelayDist, MAX_REDRAWS, MIN_TRUNCATED_MASS, WeightDist, normal_cdf};
pub use ids::{PopulationId, ProjectionId};
pub use inputs::{CurrentInput, CurrentSource, PoissonInput};
pub use network::{Network, Population, Projection, Seeds};
pub use neuron_values::{InitialValue, NeuronParam, PerNeuron, StateVar};
pub use positions::{grid_positions_2d, random_positions};
pub use recording::{NeuronSelection, SpikeRecording, whole_ticks};

pub use crate::neurons::{
    AdExParams, AdExPattern, CurrentSynapse, HhParams, IzhikevichParams, IzhikevichType, LifCondParams,
    LifParams, NeuronModel,
};
