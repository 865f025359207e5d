//! Network description: plain data, no GPU types. A [`NetworkBuilder`] validates every piece as
//! it is added and again as a whole in [`NetworkBuilder::build`]; the resulting [`Network`] is
//! immutable and is what both backends are planned from.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result, check_finite, check_non_negative, check_positive, invalid};

static NEXT_NETWORK_ID: AtomicU64 = AtomicU64::new(1);

/// Handle of a population inside one network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PopulationId {
    pub(crate) network: u64,
    pub(crate) index: usize,
}

impl PopulationId {
    /// Position of the population in the network, in order of creation.
    pub fn index(self) -> usize {
        self.index
    }
}

/// Handle of a projection inside one network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProjectionId {
    pub(crate) network: u64,
    pub(crate) index: usize,
}

impl ProjectionId {
    /// Position of the projection in the network, in order of creation.
    pub fn index(self) -> usize {
        self.index
    }
}

/// Leaky integrate-and-fire neuron with exponentially decaying excitatory and inhibitory
/// synaptic currents, in voltage units (the form of Brian2's CUBA example):
///
/// `dv/dt = (I_e + I_i - (v - v_rest)) / tau_m`, `dI_e/dt = -I_e / tau_syn_exc`,
/// `dI_i/dt = -I_i / tau_syn_inh`; a spike when `v > v_thresh`, then `v = v_reset` and the
/// membrane is clamped for the refractory period while the currents keep decaying.
/// A synaptic weight `w` (mV) makes the target's current jump by `w`.
#[derive(Clone, Debug, PartialEq)]
pub struct LifParams {
    /// Membrane time constant (ms), > 0.
    pub tau_m_ms: f64,
    /// Resting (leak reversal) potential (mV).
    pub v_rest_mv: f64,
    /// Reset potential after a spike (mV), below `v_thresh_mv`.
    pub v_reset_mv: f64,
    /// Spike threshold (mV).
    pub v_thresh_mv: f64,
    /// Decay time constant of the excitatory synaptic current (ms), > 0.
    pub tau_syn_exc_ms: f64,
    /// Decay time constant of the inhibitory synaptic current (ms), > 0.
    pub tau_syn_inh_ms: f64,
    /// Absolute refractory period (ms), >= 0.
    pub refractory_ms: f64,
}

impl Default for LifParams {
    /// The Vogels & Abbott 2005 CUBA neuron as in Brian2's example.
    fn default() -> Self {
        Self {
            tau_m_ms: 20.0,
            v_rest_mv: -49.0,
            v_reset_mv: -60.0,
            v_thresh_mv: -50.0,
            tau_syn_exc_ms: 5.0,
            tau_syn_inh_ms: 10.0,
            refractory_ms: 5.0,
        }
    }
}

impl LifParams {
    fn validate(&self, owner: &str) -> Result<()> {
        let f = |name: &str| format!("{owner}.{name}");
        check_positive(|| f("tau_m_ms"), self.tau_m_ms)?;
        check_positive(|| f("tau_syn_exc_ms"), self.tau_syn_exc_ms)?;
        check_positive(|| f("tau_syn_inh_ms"), self.tau_syn_inh_ms)?;
        check_non_negative(|| f("refractory_ms"), self.refractory_ms)?;
        check_finite(|| f("v_rest_mv"), self.v_rest_mv)?;
        check_finite(|| f("v_reset_mv"), self.v_reset_mv)?;
        check_finite(|| f("v_thresh_mv"), self.v_thresh_mv)?;
        if self.v_reset_mv >= self.v_thresh_mv {
            return Err(invalid(
                f("v_reset_mv"),
                self.v_reset_mv,
                &format!("must be below v_thresh_mv = {}", self.v_thresh_mv),
            ));
        }
        Ok(())
    }
}

/// The neuron model of a population.
#[derive(Clone, Debug, PartialEq)]
pub enum NeuronModel {
    /// Leaky integrate-and-fire with exponential current synapses.
    Lif(LifParams),
}

/// Initial value of a per-neuron state variable.
#[derive(Clone, Copy, Debug, PartialEq)]
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
}

impl InitialValue {
    fn validate(&self, field: &str) -> Result<()> {
        match *self {
            InitialValue::Constant(v) => check_finite(|| field.to_string(), v),
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
        }
    }
}

/// Which synaptic input port of the target a projection feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receptor {
    /// Excitatory port: weights must be >= 0.
    Excitatory,
    /// Inhibitory port: weights must be <= 0 (current-based synapses hyperpolarise).
    Inhibitory,
}

impl Receptor {
    /// Port index used in the input ring (0 excitatory, 1 inhibitory).
    pub fn port(self) -> u32 {
        match self {
            Receptor::Excitatory => 0,
            Receptor::Inhibitory => 1,
        }
    }
}

/// How the pairs (pre, post) of a projection are chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Connectivity {
    /// Each pair independently with probability `p`.
    FixedProbability {
        /// Connection probability in [0, 1].
        p: f64,
        /// Whether a neuron may connect to itself (only matters when pre == post).
        autapses: bool,
    },
}

/// Distribution of synaptic weights (mV for current synapses).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightDist {
    /// Every synapse gets this weight.
    Constant(f64),
    /// Normal with the given mean and standard deviation, clipped to `[low, high]`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation, >= 0.
        std: f64,
        /// Lower clip bound.
        low: f64,
        /// Upper clip bound, >= low.
        high: f64,
    },
}

impl WeightDist {
    /// The interval every drawn value lies in.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            WeightDist::Constant(w) => (w, w),
            WeightDist::Normal { low, high, .. } => (low, high),
        }
    }

    fn validate(&self, field: &str) -> Result<()> {
        match *self {
            WeightDist::Constant(w) => check_finite(|| field.to_string(), w),
            WeightDist::Normal { mean, std, low, high } => {
                check_finite(|| format!("{field}.mean"), mean)?;
                check_non_negative(|| format!("{field}.std"), std)?;
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
        }
    }

    /// Draws one value.
    pub(crate) fn sample(&self, rng: &mut crate::rng::PhiloxStream) -> f64 {
        match *self {
            WeightDist::Constant(w) => w,
            WeightDist::Normal { mean, std, low, high } => (mean + std * rng.normal()).clamp(low, high),
        }
    }
}

/// Distribution of synaptic delays in milliseconds; each value is rounded to whole ticks.
pub type DelayDist = WeightDist;

/// A projection: synapses from every neuron of `pre` to chosen neurons of `post`.
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
}

/// Independent Poisson spike trains, one per target neuron, each at `rate_hz`, each spike
/// adding `weight` to the target's `receptor` port.
#[derive(Clone, Debug, PartialEq)]
pub struct PoissonInput {
    /// Target population.
    pub target: PopulationId,
    /// Rate of each neuron's train (Hz), >= 0.
    pub rate_hz: f64,
    /// Weight of each input spike.
    pub weight: f64,
    /// Target port.
    pub receptor: Receptor,
}

/// A population of identical-model neurons.
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    /// Name, unique in the network.
    pub name: String,
    /// Number of neurons, >= 1.
    pub size: u32,
    /// Neuron model and parameters.
    pub model: NeuronModel,
    /// Initial membrane potential (mV).
    pub v_init_mv: InitialValue,
    /// Whether the population's spikes are kept on the host.
    pub record_spikes: bool,
}

/// An immutable, validated network description.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub(crate) id: u64,
    /// Integration time step (ms).
    pub dt_ms: f64,
    /// Seed of every random quantity (connectivity, initial state, Poisson input).
    pub seed: u64,
    /// Populations in creation order.
    pub populations: Vec<Population>,
    /// Projections in creation order.
    pub projections: Vec<Projection>,
    /// Poisson inputs in creation order.
    pub poisson_inputs: Vec<PoissonInput>,
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
}

/// Largest delay, in ticks, that the input ring supports.
pub const MAX_DELAY_TICKS: u32 = 4096;

/// Builds a [`Network`]; every method validates its input.
#[must_use]
#[derive(Debug)]
pub struct NetworkBuilder {
    net: Network,
}

impl NetworkBuilder {
    /// A new, empty network with time step `dt_ms` and `seed`. `dt_ms` is checked in
    /// [`NetworkBuilder::build`].
    pub fn new(dt_ms: f64, seed: u64) -> Self {
        Self {
            net: Network {
                id: NEXT_NETWORK_ID.fetch_add(1, Ordering::Relaxed),
                dt_ms,
                seed,
                populations: Vec::new(),
                projections: Vec::new(),
                poisson_inputs: Vec::new(),
            },
        }
    }

    /// Adds a population.
    pub fn population(
        &mut self,
        name: &str,
        size: u32,
        model: NeuronModel,
        v_init_mv: InitialValue,
    ) -> Result<PopulationId> {
        let owner = format!("population '{name}'");
        if name.is_empty() {
            return Err(invalid("population.name", "\"\"", "must not be empty"));
        }
        if self.net.populations.iter().any(|p| p.name == name) {
            return Err(invalid(
                format!("{owner}.name"),
                name,
                "must be unique in the network",
            ));
        }
        if size == 0 {
            return Err(invalid(format!("{owner}.size"), size, "must be >= 1"));
        }
        match &model {
            NeuronModel::Lif(p) => p.validate(&owner)?,
        }
        v_init_mv.validate(&format!("{owner}.v_init_mv"))?;
        self.net.populations.push(Population {
            name: name.to_string(),
            size,
            model,
            v_init_mv,
            record_spikes: true,
        });
        Ok(PopulationId {
            network: self.net.id,
            index: self.net.populations.len() - 1,
        })
    }

    /// Chooses whether the spikes of `pop` are kept (all are by default). Spikes are always
    /// counted; unrecorded ones are just not stored on the host.
    pub fn record_spikes(&mut self, pop: PopulationId, record: bool) -> Result<()> {
        self.net.check_population(pop)?;
        self.net.populations[pop.index].record_spikes = record;
        Ok(())
    }

    /// Adds a projection from `pre` to `post`.
    pub fn projection(
        &mut self,
        pre: PopulationId,
        post: PopulationId,
        connectivity: Connectivity,
        weight: WeightDist,
        delay_ms: DelayDist,
        receptor: Receptor,
    ) -> Result<ProjectionId> {
        let index = self.net.projections.len();
        let owner = format!("projection {index}");
        let pre_name = self.net.check_population(pre)?.name.clone();
        let post_name = self.net.check_population(post)?.name.clone();
        let owner = format!("{owner} ({pre_name} -> {post_name})");
        match connectivity {
            Connectivity::FixedProbability { p, .. } => {
                if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                    return Err(invalid(
                        format!("{owner}.connectivity.p"),
                        p,
                        "must be a probability in [0, 1]",
                    ));
                }
            }
        }
        weight.validate(&format!("{owner}.weight"))?;
        check_sign(&format!("{owner}.weight"), weight.range(), receptor)?;
        delay_ms.validate(&format!("{owner}.delay_ms"))?;
        self.net.projections.push(Projection {
            pre,
            post,
            connectivity,
            weight,
            delay_ms,
            receptor,
        });
        Ok(ProjectionId {
            network: self.net.id,
            index,
        })
    }

    /// Adds independent Poisson trains onto every neuron of `target`.
    pub fn poisson_input(
        &mut self,
        target: PopulationId,
        rate_hz: f64,
        weight: f64,
        receptor: Receptor,
    ) -> Result<()> {
        let name = self.net.check_population(target)?.name.clone();
        let owner = format!("poisson input {} (-> {name})", self.net.poisson_inputs.len());
        check_non_negative(|| format!("{owner}.rate_hz"), rate_hz)?;
        check_finite(|| format!("{owner}.weight"), weight)?;
        check_sign(&format!("{owner}.weight"), (weight, weight), receptor)?;
        self.net.poisson_inputs.push(PoissonInput {
            target,
            rate_hz,
            weight,
            receptor,
        });
        Ok(())
    }

    /// Validates the network as a whole and freezes it.
    pub fn build(self) -> Result<Network> {
        let net = self.net;
        check_positive(|| "network.dt_ms".into(), net.dt_ms)?;
        if net.populations.is_empty() {
            return Err(Error::InvalidNetwork(
                "the network has no population; add one with NetworkBuilder::population".into(),
            ));
        }
        let total = net.neuron_count();
        if total > u64::from(u32::MAX / 2) {
            return Err(Error::LimitExceeded {
                what: "total neuron count".into(),
                requested: total,
                max: u64::from(u32::MAX / 2),
            });
        }
        for (i, proj) in net.projections.iter().enumerate() {
            let (low, high) = proj.delay_ms.range();
            let field = format!("projection {i}.delay_ms");
            let ticks_low = (low / net.dt_ms).round();
            if ticks_low < 1.0 {
                return Err(invalid(
                    field,
                    low,
                    &format!(
                        "every delay must round to at least one tick (>= {} ms at dt = {} ms)",
                        0.5 * net.dt_ms,
                        net.dt_ms
                    ),
                ));
            }
            let ticks_high = (high / net.dt_ms).round();
            if ticks_high > f64::from(MAX_DELAY_TICKS) {
                return Err(invalid(
                    field,
                    high,
                    &format!(
                        "delays are limited to {MAX_DELAY_TICKS} ticks ({} ms at dt = {} ms)",
                        f64::from(MAX_DELAY_TICKS) * net.dt_ms,
                        net.dt_ms
                    ),
                ));
            }
        }
        for (i, pop) in net.populations.iter().enumerate() {
            let NeuronModel::Lif(p) = &pop.model;
            let ticks = (p.refractory_ms / net.dt_ms).round();
            if ticks > f64::from(u32::MAX / 2) {
                return Err(invalid(
                    format!("population {i} '{}'.refractory_ms", pop.name),
                    p.refractory_ms,
                    "is too long for the time step",
                ));
            }
        }
        Ok(net)
    }
}

fn check_sign(field: &str, (low, high): (f64, f64), receptor: Receptor) -> Result<()> {
    match receptor {
        Receptor::Excitatory if low < 0.0 => Err(invalid(
            field,
            low,
            "an excitatory projection needs weights >= 0 (use Receptor::Inhibitory for negative weights)",
        )),
        Receptor::Inhibitory if high > 0.0 => Err(invalid(
            field,
            high,
            "an inhibitory projection needs weights <= 0 (current synapses: negative values hyperpolarise)",
        )),
        _ => Ok(()),
    }
}
