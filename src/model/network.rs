//! The built network: populations, projections and inputs, immutable once validated.

use glam::Vec3;

use crate::error::{Error, Result};
use crate::model::plasticity::{ModulatorChannel, Neuromodulator, StdpParams};
use crate::model::{
    Connectivity, CurrentInput, DelayDist, InitialValue, NeuronModel, NeuronParam, PerNeuron, PoissonInput,
    PopulationId, ProjectionId, Receptor, SpikeRecording, StateVar, WeightDist,
};

/// A projection: synapses from neurons of `pre` to neurons of `post`.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// Source population.
    pub pre: PopulationId,
    /// Target population.
    pub post: PopulationId,
    /// Connectivity rule.
    pub connectivity: Connectivity,
    /// Weight distribution.
    pub weight: WeightDist,
    /// Delay distribution (ms).
    pub delay_ms: DelayDist,
    /// Target port.
    pub receptor: Receptor,
    /// Spike-timing-dependent plasticity, if any.
    pub plasticity: Option<StdpParams>,
    /// Tsodyks-Markram short-term plasticity, if any (see [`crate::model::short_term`]).
    pub short_term: Option<crate::model::short_term::TsodyksMarkram>,
    /// Stochastic release, if any (see [`crate::model::stochastic`]).
    pub release: Option<crate::model::stochastic::ReleaseProbability>,
    /// Per-synapse `U` of a short-term projection, in the order of its synapses
    /// ([`crate::Simulator::weights`]); `short_term.u` holds for every synapse when `None`.
    pub short_term_u: Option<Vec<f64>>,
    /// Procedural: rows are regenerated from the seed on every spike instead of stored (see
    /// [`NetworkBuilder::procedural`]).
    pub procedural: bool,
    /// Fixed in-degree and out-degree draw their sources or targets with replacement, so a
    /// pair may be connected more than once (NEST's `allow_multapses`; see
    /// [`NetworkBuilder::multapses`]).
    pub multapses: bool,
}

/// A population of neurons of one model.
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    /// Name, unique in the network.
    pub name: String,
    /// Number of neurons, >= 1.
    pub size: u32,
    /// Neuron model and parameters.
    pub model: NeuronModel,
    /// Initial values of state variables (V always present).
    pub initial: Vec<(StateVar, InitialValue)>,
    /// Per-neuron Izhikevich (a, b, c, d), overriding the model's.
    pub izhikevich_per_neuron: Option<Vec<[f64; 4]>>,
    /// Per-neuron thresholds and bias currents, overriding the model's.
    pub per_neuron: Vec<(NeuronParam, PerNeuron)>,
    /// Neuron positions (for distance-dependent connectivity).
    pub positions: Option<Vec<Vec3>>,
    /// Whether the population's spikes are kept on the host.
    pub record_spikes: bool,
    /// Which of its spikes are kept, when `record_spikes` (all by default).
    pub spike_recording: SpikeRecording,
    /// Bin width (ms) of the population's rate record (spike counts of the whole population
    /// per bin, recorded or not), if one is kept.
    pub rate_bin_ms: Option<f64>,
}

/// The seeds of the three kinds of random quantity. Each is keyed separately, so that a
/// network can be kept fixed while only its input noise (or its initial state) changes; one
/// seed for all three ([`Seeds::all`]) gives exactly the streams of a single seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Seeds {
    /// The network itself: connectivity (stored, procedural and GPU-generated rows), random
    /// positions, per-neuron parameters drawn from distributions (thresholds, bias currents).
    pub connectivity: u64,
    /// Initial values of the state variables.
    pub initial: u64,
    /// Inputs: Poisson inputs, Poisson source populations and noise currents.
    pub inputs: u64,
}

impl Seeds {
    /// The same seed for all three.
    pub fn all(seed: u64) -> Self {
        Seeds {
            connectivity: seed,
            initial: seed,
            inputs: seed,
        }
    }

    /// Whether the three are one seed.
    pub fn single(&self) -> Option<u64> {
        (self.connectivity == self.initial && self.initial == self.inputs).then_some(self.connectivity)
    }
}

impl std::fmt::Display for Seeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.single() {
            Some(seed) => write!(f, "{seed}"),
            None => write!(
                f,
                "connectivity {}, initial {}, inputs {}",
                self.connectivity, self.initial, self.inputs
            ),
        }
    }
}

/// An immutable, validated network description.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub(crate) id: u64,
    /// Integration time step (ms).
    pub dt_ms: f64,
    /// The seed the network was created with ([`crate::model::NetworkBuilder::new`]).
    pub seed: u64,
    /// The seeds actually used: all equal to `seed` unless set apart with
    /// [`crate::model::NetworkBuilder::set_seeds`].
    pub seeds: Seeds,
    /// Populations in creation order.
    pub populations: Vec<Population>,
    /// Projections in creation order.
    pub projections: Vec<Projection>,
    /// Poisson inputs in creation order.
    pub poisson_inputs: Vec<PoissonInput>,
    /// Current inputs in creation order.
    pub current_inputs: Vec<CurrentInput>,
    /// Declared neuromodulator channels (undeclared ones hold their level, baseline 0).
    pub neuromodulators: Vec<(ModulatorChannel, Neuromodulator)>,
    /// Timing conventions (refractory count, synaptic latency, spike stamps, threshold).
    pub conventions: super::Conventions,
}

impl Network {
    /// Total number of neurons.
    pub fn neuron_count(&self) -> u64 {
        self.populations.iter().map(|p| u64::from(p.size)).sum()
    }

    /// The handle of the population called `name`.
    pub fn population(&self, name: &str) -> Option<PopulationId> {
        self.populations
            .iter()
            .position(|p| p.name == name)
            .map(|index| PopulationId {
                network: self.id,
                index,
            })
    }

    /// Handles of all populations in order.
    pub fn population_ids(&self) -> Vec<PopulationId> {
        (0..self.populations.len())
            .map(|index| PopulationId {
                network: self.id,
                index,
            })
            .collect()
    }

    /// Handles of all projections in order.
    pub fn projection_ids(&self) -> Vec<ProjectionId> {
        (0..self.projections.len())
            .map(|index| ProjectionId {
                network: self.id,
                index,
            })
            .collect()
    }

    pub(crate) fn check_population(&self, id: PopulationId) -> Result<&Population> {
        if id.network != self.id {
            return Err(Error::UnknownHandle {
                kind: "population",
                index: id.index,
                why: "it belongs to another network".into(),
            });
        }
        self.populations.get(id.index).ok_or(Error::UnknownHandle {
            kind: "population",
            index: id.index,
            why: "no such population".into(),
        })
    }

    /// Structural equality: the same populations, projections and inputs, whatever the
    /// network handle (two builds of the same description compare equal).
    pub fn same_as(&self, other: &Network) -> bool {
        let mut a = self.clone();
        let b = other.clone();
        a.id = b.id;
        let fix = |p: &mut PopulationId| p.network = b.id;
        a.projections.iter_mut().for_each(|p| {
            fix(&mut p.pre);
            fix(&mut p.post);
        });
        a.poisson_inputs.iter_mut().for_each(|p| fix(&mut p.target));
        a.current_inputs.iter_mut().for_each(|p| fix(&mut p.target));
        a == b
    }
}
