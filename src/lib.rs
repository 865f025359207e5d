//! # spikegpu
//!
//! Spiking neural networks simulated with WGSL compute shaders through wgpu (Vulkan, Metal,
//! DX12, GL), with a CPU reference backend that computes the same thing bit for bit.
//!
//! Three layers: a [`model`] description (plain data, validated), a [`plan::Plan`] of flat
//! arrays built deterministically from the seed, and the backends ([`cpu`], [`gpu`]) behind
//! one [`Simulator`].
//!
//! ```no_run
//! use spikegpu::{Backend, Simulator, networks};
//!
//! # fn main() -> anyhow::Result<()> {
//! let net = networks::cuba(42, 1.0)?; // Vogels & Abbott 2005, 4,000 neurons
//! let mut sim = Simulator::new(&net, Backend::Auto)?;
//! sim.run_ms(1000.0)?;
//! let exc = net.population("exc").unwrap();
//! let train = sim.spikes(exc)?;
//! println!("{} spikes on {}", train.times_ms.len(), sim.adapter_name());
//! # Ok(())
//! # }
//! ```

pub mod app;
pub mod cpu;
#[cfg(feature = "mpi")]
pub mod distributed;
pub mod encoders;
pub mod equations;
pub mod error;
pub mod gpu;
pub mod limits;
pub mod model;
pub mod networks;
pub mod neurons;
pub mod plan;
pub mod rng;
pub mod sim;

pub use error::{Error, Result};
pub use model::plasticity::{
    ModulatorChannel, Neuromodulator, Pairing, RewardModulation, StdpParams, WeightDependence,
};
pub use model::short_term::TsodyksMarkram;
pub use model::stochastic::ReleaseProbability;
pub use model::{
    Connection, Connectivity, Conventions, CurrentSource, DelayDist, InitialValue, Network, NetworkBuilder,
    NeuronParam, NeuronSelection, PerNeuron, PopulationId, ProjectionId, Receptor, Seeds, SpikeRecording,
    StateVar, WeightDist,
};
pub use neurons::{
    AdExParams, AdExPattern, CurrentSynapse, HhParams, IzhikevichParams, IzhikevichType, LifCondParams,
    LifParams, NeuronModel, PoissonSequenceParams,
};
pub use sim::{Backend, Engine, RateRecord, RunCounters, SimOptions, Simulator, SpikeTrain};

/// The README's Rust examples, compiled as doc tests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
