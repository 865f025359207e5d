//! The [`Simulator`]: one API over the CPU reference and the GPU backend, each an [`Engine`].

mod checkpoint;
mod cpu_engine;
mod currents;
pub mod engine;
mod gpu_engine;
mod modulators;
mod record_store;
mod records;
pub mod schedule;
mod setters;
mod simulator;
mod spike;
pub mod state;
pub mod watchdog;
mod weights;

use std::str::FromStr;

use crate::error::{Error, Result};
use crate::gpu::GpuOptions;

pub(crate) use checkpoint::fnv1a;
pub use engine::{Engine, WeightCopy};
pub use record_store::RateRecord;
pub use records::{RunCounters, SpikeTrain};
pub use simulator::Simulator;
pub use spike::Spike;
pub use state::EngineState;
pub use watchdog::{NonFiniteEvent, NonFiniteFault, NonFinitePolicy};
pub use weights::{ProjectionWeights, WeightTicket};

/// Which backend runs the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A hardware GPU adapter (discrete, then integrated) if there is one; the CPU backend,
    /// with a one-line warning, when the only adapters are software rasterisers (they run
    /// slower than it) or none can be opened. An adapter named in `SPIKEGPU_ADAPTER` is used
    /// whatever its kind.
    Auto,
    /// The GPU, software adapters included; an error if no adapter can be opened.
    Gpu,
    /// The CPU reference.
    Cpu,
}

impl FromStr for Backend {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Backend::Auto),
            "gpu" => Ok(Backend::Gpu),
            "cpu" => Ok(Backend::Cpu),
            _ => Err(Error::UnknownBackend(s.to_string())),
        }
    }
}

/// Options for [`Simulator::with_options`].
#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    /// GPU run-loop tuning.
    pub gpu: GpuOptions,
    /// Generate the synapses of every qualifying projection on the GPU
    /// ([`crate::plan::Plan::for_device_generation`]): host memory and upload stop growing with
    /// them. Needs the GPU backend; the weights of those projections stay on the device.
    pub generate_on_device: bool,
    /// Threads of the CPU backend (1 to [`crate::cpu::MAX_THREADS`]); `None`: one per core, at
    /// most one per 100,000 stored synapses ([`crate::cpu::threads_for`]). The results do not
    /// depend on it.
    pub threads: Option<usize>,
    /// What a neuron state that becomes NaN or infinite does to the run (the watchdog).
    pub nonfinite: NonFinitePolicy,
}
