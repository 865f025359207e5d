//! Network description: plain data, no GPU types. A [`NetworkBuilder`] validates every piece as
//! it is added and again as a whole in [`NetworkBuilder::build`]; the resulting [`Network`] is
//! immutable and is what both backends are planned from.

pub mod plasticity;

use std::sync::atomic::{AtomicU64, Ordering};

use glam::Vec3;

use crate::error::{Error, Result, check_finite, check_non_negative, check_positive, invalid};
pub use crate::neurons::{
    AdExParams, AdExPattern, CurrentSynapse, HhParams, IzhikevichParams, IzhikevichType, LifCondParams,
    LifParams, NeuronModel,
};

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
    /// Independently normal per neuron, drawn from the seed.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation, >= 0.
        std: f64,
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
            InitialValue::Normal { mean, std } => {
                check_finite(|| format!("{field}.mean"), mean)?;
                check_non_negative(|| format!("{field}.std"), std)
            }
        }
    }

    pub(crate) fn sample(&self, rng: &mut crate::rng::PhiloxStream) -> f64 {
        match *self {
            InitialValue::Constant(v) => v,
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

/// Which synaptic input port of the target a projection feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receptor {
    /// Excitatory port: weights must be >= 0.
    Excitatory,
    /// Inhibitory port: weights must be <= 0 (conductance models add the magnitude).
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

/// One explicit connection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Connection {
    /// Index in the pre-synaptic population.
    pub pre: u32,
    /// Index in the post-synaptic population.
    pub post: u32,
    /// Weight.
    pub weight: f64,
    /// Delay (ms).
    pub delay_ms: f64,
}

/// How the pairs (pre, post) of a projection are chosen. Every rule is deterministic from the
/// seed; `autapses` only matters when pre and post are the same population. Multapses are
/// never created except by `FixedTotal`, which draws pairs with replacement as NEST does.
#[derive(Clone, Debug, PartialEq)]
pub enum Connectivity {
    /// Each pair independently with probability `p`.
    FixedProbability {
        /// Connection probability in [0, 1].
        p: f64,
        /// Whether a neuron may connect to itself.
        autapses: bool,
    },
    /// Every post-synaptic neuron gets exactly `k` distinct sources.
    FixedInDegree {
        /// In-degree.
        k: u32,
        /// Whether a neuron may connect to itself.
        autapses: bool,
    },
    /// Every pre-synaptic neuron gets exactly `k` distinct targets.
    FixedOutDegree {
        /// Out-degree.
        k: u32,
        /// Whether a neuron may connect to itself.
        autapses: bool,
    },
    /// Exactly `n` synapses, each pair drawn uniformly (with replacement).
    FixedTotal {
        /// Number of synapses.
        n: u64,
        /// Whether a neuron may connect to itself.
        autapses: bool,
    },
    /// Neuron `i` to neuron `i`; the populations must have the same size.
    OneToOne,
    /// Every pair.
    AllToAll {
        /// Whether a neuron may connect to itself.
        autapses: bool,
    },
    /// The given connections, with their own weights and delays (the projection's weight and
    /// delay distributions are not used).
    Explicit(Vec<Connection>),
    /// Each pair with probability `p0 * exp(-d^2 / (2 sigma^2))`, `d` the distance between the
    /// neurons' positions (both populations need positions).
    DistanceGaussian {
        /// Probability at distance 0, in [0, 1].
        p0: f64,
        /// Width (same unit as the positions), > 0.
        sigma: f64,
        /// Whether a neuron may connect to itself.
        autapses: bool,
    },
}

/// Distribution of synaptic weights (units of the target's synapse) or delays (ms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightDist {
    /// Every synapse gets this value.
    Constant(f64),
    /// Uniform in `[low, high)`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound, >= low.
        high: f64,
    },
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
    /// Normal with the given mean and standard deviation conditioned on `[low, high]`: a value
    /// outside is drawn again (NEST's `normal_clipped`), so no mass piles up at the bounds.
    /// The interval must hold at least a quarter of the normal's mass; after
    /// [`MAX_REDRAWS`] rejected draws (probability below 1e-30) the value is clipped.
    TruncatedNormal {
        /// Mean of the untruncated normal.
        mean: f64,
        /// Standard deviation of the untruncated normal, >= 0.
        std: f64,
        /// Lower bound.
        low: f64,
        /// Upper bound, >= low.
        high: f64,
    },
    /// `sign * exp(mu + sigma * N(0, 1))`, clipped to at most `max` in magnitude.
    LogNormal {
        /// Mean of the underlying normal.
        mu: f64,
        /// Standard deviation of the underlying normal, >= 0.
        sigma: f64,
        /// Largest magnitude, > 0.
        max: f64,
        /// +1 or -1.
        sign: f64,
    },
}

/// Draws of a [`WeightDist::TruncatedNormal`] value after which it is clipped instead.
pub const MAX_REDRAWS: u32 = 256;

/// Smallest share of the normal's mass a [`WeightDist::TruncatedNormal`] interval may hold.
pub const MIN_TRUNCATED_MASS: f64 = 0.25;

/// Standard normal distribution function, from the complementary error function by the
/// Chebyshev fit of Press et al., Numerical Recipes (`erfcc`, relative error < 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = (x / std::f64::consts::SQRT_2).abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 { 1.0 - 0.5 * erfc } else { 0.5 * erfc }
}

impl WeightDist {
    /// The interval every drawn value lies in.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            WeightDist::Constant(w) => (w, w),
            WeightDist::Uniform { low, high }
            | WeightDist::Normal { low, high, .. }
            | WeightDist::TruncatedNormal { low, high, .. } => (low, high),
            WeightDist::LogNormal { max, sign, .. } => {
                if sign < 0.0 {
                    (-max, 0.0)
                } else {
                    (0.0, max)
                }
            }
        }
    }

    fn validate(&self, field: &str) -> Result<()> {
        let ordered = |low: f64, high: f64| {
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
        };
        match *self {
            WeightDist::Constant(w) => check_finite(|| field.to_string(), w),
            WeightDist::Uniform { low, high } => ordered(low, high),
            WeightDist::Normal { mean, std, low, high } => {
                check_finite(|| format!("{field}.mean"), mean)?;
                check_non_negative(|| format!("{field}.std"), std)?;
                ordered(low, high)
            }
            WeightDist::TruncatedNormal { mean, std, low, high } => {
                check_finite(|| format!("{field}.mean"), mean)?;
                check_non_negative(|| format!("{field}.std"), std)?;
                ordered(low, high)?;
                let mass = if std > 0.0 {
                    normal_cdf((high - mean) / std) - normal_cdf((low - mean) / std)
                } else if (low..=high).contains(&mean) {
                    1.0
                } else {
                    0.0
                };
                if mass < MIN_TRUNCATED_MASS {
                    return Err(invalid(
                        format!("{field}.low/high"),
                        format!("[{low}, {high}]"),
                        &format!(
                            "must hold at least {MIN_TRUNCATED_MASS} of the normal's mass (holds {mass:.3e}); use a clipped normal for narrower intervals"
                        ),
                    ));
                }
                Ok(())
            }
            WeightDist::LogNormal { mu, sigma, max, sign } => {
                check_finite(|| format!("{field}.mu"), mu)?;
                check_non_negative(|| format!("{field}.sigma"), sigma)?;
                check_positive(|| format!("{field}.max"), max)?;
                if sign != 1.0 && sign != -1.0 {
                    return Err(invalid(format!("{field}.sign"), sign, "must be +1 or -1"));
                }
                Ok(())
            }
        }
    }

    /// Draws one value.
    pub(crate) fn sample(&self, rng: &mut crate::rng::PhiloxStream) -> f64 {
        match *self {
            WeightDist::Constant(w) => w,
            WeightDist::Uniform { low, high } => low + rng.uniform() * (high - low),
            WeightDist::Normal { mean, std, low, high } => (mean + std * rng.normal()).clamp(low, high),
            WeightDist::TruncatedNormal { mean, std, low, high } => {
                let mut v = mean + std * rng.normal();
                for _ in 1..MAX_REDRAWS {
                    if (low..=high).contains(&v) {
                        break;
                    }
                    v = mean + std * rng.normal();
                }
                v.clamp(low, high)
            }
            WeightDist::LogNormal { mu, sigma, max, sign } => {
                sign * (mu + sigma * rng.normal()).exp().min(max)
            }
        }
    }
}

/// Distribution of synaptic delays in milliseconds; each value is rounded to whole ticks.
pub type DelayDist = WeightDist;

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
    pub plasticity: Option<crate::model::plasticity::StdpParams>,
    /// Procedural: rows are regenerated from the seed on every spike instead of stored (see
    /// [`NetworkBuilder::procedural`]).
    pub procedural: bool,
}

/// Independent Poisson trains, one per target neuron, each spike adding `weight` to the
/// target's `receptor` port. The rate follows `schedule`: `(start_ms, rate_hz)` segments,
/// the first starting at 0.
#[derive(Clone, Debug, PartialEq)]
pub struct PoissonInput {
    /// Target population.
    pub target: PopulationId,
    /// Rate segments: from `start_ms` on, each train fires at `rate_hz`.
    pub schedule: Vec<(f64, f64)>,
    /// Weight of each input spike.
    pub weight: f64,
    /// Target port.
    pub receptor: Receptor,
}

/// A current injected into every neuron of a population, in the model's current unit (mV for
/// the current-based LIF, pA for LifCond, AdEx and HH, the paper's unit for Izhikevich).
#[derive(Clone, Debug, PartialEq)]
pub enum CurrentSource {
    /// Constant amplitude.
    Dc {
        /// Amplitude.
        amplitude: f64,
    },
    /// Piecewise constant: `amplitudes[k]` from `times_ms[k]` on (0 before the first time).
    Step {
        /// Switch times (ms), strictly increasing, >= 0.
        times_ms: Vec<f64>,
        /// Amplitudes, one per time.
        amplitudes: Vec<f64>,
    },
    /// Gaussian white-ish noise: a new value `mean + std * z` every tick, independent per neuron.
    /// `z` is the standardised sum of eight uniforms (integer arithmetic only, so both backends
    /// draw the same values; tails are cut at 4.9 standard deviations).
    Noise {
        /// Mean.
        mean: f64,
        /// Standard deviation, >= 0.
        std: f64,
    },
}

/// A current source bound to a population.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentInput {
    /// Target population.
    pub target: PopulationId,
    /// The source.
    pub source: CurrentSource,
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
}

/// An immutable, validated network description.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub(crate) id: u64,
    /// Integration time step (ms).
    pub dt_ms: f64,
    /// Seed of every random quantity (connectivity, initial state, inputs).
    pub seed: u64,
    /// Populations in creation order.
    pub populations: Vec<Population>,
    /// Projections in creation order.
    pub projections: Vec<Projection>,
    /// Poisson inputs in creation order.
    pub poisson_inputs: Vec<PoissonInput>,
    /// Current inputs in creation order.
    pub current_inputs: Vec<CurrentInput>,
    /// Declared neuromodulator channels (undeclared ones hold their level, baseline 0).
    pub neuromodulators: Vec<(
        crate::model::plasticity::ModulatorChannel,
        crate::model::plasticity::Neuromodulator,
    )>,
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

/// Largest delay, in ticks, that the input ring supports.
pub const MAX_DELAY_TICKS: u32 = 4096;

/// Positions on a regular 2-D grid (`nx` by `ny`, row-major, `spacing` apart, z = 0).
pub fn grid_positions_2d(nx: u32, ny: u32, spacing: f32) -> Vec<Vec3> {
    (0..ny)
        .flat_map(|y| (0..nx).map(move |x| Vec3::new(x as f32 * spacing, y as f32 * spacing, 0.0)))
        .collect()
}

/// `n` positions uniform in the box `[0, extent)`, deterministic from `seed` (set a component of
/// `extent` to 0 for 2-D).
pub fn random_positions(n: u32, extent: Vec3, seed: u64) -> Vec<Vec3> {
    (0..n)
        .map(|i| {
            let mut r =
                crate::rng::PhiloxStream::new(crate::rng::seed_key(seed), crate::rng::stream::POSITIONS, i);
            Vec3::new(r.uniform() as f32, r.uniform() as f32, r.uniform() as f32) * extent
        })
        .collect()
}

/// Builds a [`Network`]; every method validates its input.
#[must_use]
#[derive(Debug)]
pub struct NetworkBuilder {
    net: Network,
}

impl NetworkBuilder {
    /// A builder that continues from a built network (same handles), to add to it.
    pub fn from_network(net: Network) -> Self {
        Self { net }
    }

    /// Handles of the projections added so far.
    pub fn projection_ids(&self) -> Vec<ProjectionId> {
        self.net.projection_ids()
    }

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
                current_inputs: Vec::new(),
                neuromodulators: Vec::new(),
            },
        }
    }

    /// Adds a population with an initial membrane potential.
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
        model.validate(&owner)?;
        if let NeuronModel::SpikeSource { spike_times_ms } = &model {
            if spike_times_ms.len() != size as usize {
                return Err(invalid(
                    format!("{owner}.spike_times_ms"),
                    format!("{} lists", spike_times_ms.len()),
                    &format!("must hold one list per neuron ({size})"),
                ));
            }
        }
        v_init_mv.validate(&format!("{owner}.v_init_mv"))?;
        self.net.populations.push(Population {
            name: name.to_string(),
            size,
            model,
            initial: vec![(StateVar::V, v_init_mv)],
            izhikevich_per_neuron: None,
            per_neuron: Vec::new(),
            positions: None,
            record_spikes: true,
        });
        Ok(PopulationId {
            network: self.net.id,
            index: self.net.populations.len() - 1,
        })
    }

    fn population_mut(&mut self, pop: PopulationId) -> Result<&mut Population> {
        self.net.check_population(pop)?;
        Ok(&mut self.net.populations[pop.index])
    }

    /// Sets the initial value of a state variable of `pop`.
    pub fn initial_value(&mut self, pop: PopulationId, var: StateVar, value: InitialValue) -> Result<()> {
        let p = self.population_mut(pop)?;
        value.validate(&format!("population '{}'.initial {var:?}", p.name))?;
        p.initial.retain(|(v, _)| *v != var);
        p.initial.push((var, value));
        Ok(())
    }

    /// Gives every neuron of an Izhikevich population its own (a, b, c, d).
    pub fn izhikevich_per_neuron(&mut self, pop: PopulationId, abcd: Vec<[f64; 4]>) -> Result<()> {
        let p = self.population_mut(pop)?;
        let owner = format!("population '{}'", p.name);
        let NeuronModel::Izhikevich(base) = &p.model else {
            return Err(invalid(
                format!("{owner}.izhikevich_per_neuron"),
                "given",
                "needs an Izhikevich population",
            ));
        };
        if abcd.len() != p.size as usize {
            return Err(invalid(
                format!("{owner}.izhikevich_per_neuron"),
                format!("{} rows", abcd.len()),
                &format!("must have one row per neuron ({})", p.size),
            ));
        }
        for (i, row) in abcd.iter().enumerate() {
            let model = NeuronModel::Izhikevich(IzhikevichParams {
                a: row[0],
                b: row[1],
                c_mv: row[2],
                d: row[3],
                v_peak_mv: base.v_peak_mv,
            });
            model.validate(&format!("{owner}.izhikevich_per_neuron[{i}]"))?;
        }
        p.izhikevich_per_neuron = Some(abcd);
        Ok(())
    }

    /// Gives every neuron of `pop` its own threshold or bias current (LIF, conductance LIF,
    /// AdEx, HH). Explicit values are checked here; drawn thresholds are checked against the
    /// reset potential when the network is planned.
    pub fn per_neuron(&mut self, pop: PopulationId, param: NeuronParam, values: PerNeuron) -> Result<()> {
        let p = self.population_mut(pop)?;
        let field = format!("population '{}'.per_neuron {param:?}", p.name);
        if matches!(
            p.model,
            NeuronModel::Izhikevich(_) | NeuronModel::SpikeSource { .. } | NeuronModel::PoissonSource { .. }
        ) {
            return Err(invalid(
                field,
                "given",
                "thresholds and biases per neuron apply to LIF, conductance LIF, AdEx and HH (Izhikevich: izhikevich_per_neuron, currents: current sources)",
            ));
        }
        match &values {
            PerNeuron::Values(v) => {
                if v.len() != p.size as usize {
                    return Err(invalid(
                        field,
                        format!("{} values", v.len()),
                        &format!("must have one per neuron ({})", p.size),
                    ));
                }
                if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                    return Err(invalid(format!("{field}[{i}]"), v[i], "must be finite"));
                }
                if param == NeuronParam::Threshold {
                    let reset = p.model.reset_mv();
                    if let Some(i) = v.iter().position(|&x| reset.is_some_and(|r| x <= r)) {
                        return Err(invalid(
                            format!("{field}[{i}]"),
                            v[i],
                            &format!("must be above the reset potential {}", reset.unwrap_or(f64::NAN)),
                        ));
                    }
                }
            }
            PerNeuron::Drawn(d) => d.validate(&field)?,
        }
        p.per_neuron.retain(|(q, _)| *q != param);
        p.per_neuron.push((param, values));
        Ok(())
    }

    /// Sets neuron positions of `pop` (one per neuron, finite).
    pub fn positions(&mut self, pop: PopulationId, positions: Vec<Vec3>) -> Result<()> {
        let p = self.population_mut(pop)?;
        if positions.len() != p.size as usize {
            return Err(invalid(
                format!("population '{}'.positions", p.name),
                format!("{} positions", positions.len()),
                &format!("must have one per neuron ({})", p.size),
            ));
        }
        if let Some(i) = positions.iter().position(|x| !x.is_finite()) {
            return Err(invalid(
                format!("population '{}'.positions[{i}]", p.name),
                positions[i],
                "must be finite",
            ));
        }
        p.positions = Some(positions);
        Ok(())
    }

    /// Chooses whether the spikes of `pop` are kept (all are by default). Spikes are always
    /// counted; unrecorded ones are just not stored on the host.
    pub fn record_spikes(&mut self, pop: PopulationId, record: bool) -> Result<()> {
        self.population_mut(pop)?.record_spikes = record;
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
        let pre_pop = self.net.check_population(pre)?;
        let post_pop = self.net.check_population(post)?;
        let owner = format!("projection {index} ({} -> {})", pre_pop.name, post_pop.name);
        let (n_pre, n_post) = (pre_pop.size, post_pop.size);
        let same = pre.index == post.index;
        if matches!(
            post_pop.model,
            NeuronModel::SpikeSource { .. } | NeuronModel::PoissonSource { .. }
        ) {
            return Err(invalid(
                format!("{owner}.post"),
                &post_pop.name,
                "a spike or Poisson source population cannot receive synapses",
            ));
        }
        let field = |name: &str| format!("{owner}.connectivity.{name}");
        match &connectivity {
            Connectivity::FixedProbability { p, .. } => check_probability(&field("p"), *p)?,
            Connectivity::DistanceGaussian { p0, sigma, .. } => {
                check_probability(&field("p0"), *p0)?;
                check_positive(|| field("sigma"), *sigma)?;
                for (side, pop) in [("pre", pre_pop), ("post", post_pop)] {
                    if pop.positions.is_none() {
                        return Err(invalid(
                            format!("{owner}.{side}"),
                            &pop.name,
                            "distance-dependent connectivity needs positions (NetworkBuilder::positions)",
                        ));
                    }
                }
            }
            Connectivity::FixedInDegree { k, autapses } => {
                let max = n_pre - u32::from(same && !autapses);
                if *k > max {
                    return Err(invalid(
                        field("k"),
                        k,
                        &format!("must be <= {max} (distinct sources available)"),
                    ));
                }
            }
            Connectivity::FixedOutDegree { k, autapses } => {
                let max = n_post - u32::from(same && !autapses);
                if *k > max {
                    return Err(invalid(
                        field("k"),
                        k,
                        &format!("must be <= {max} (distinct targets available)"),
                    ));
                }
            }
            Connectivity::FixedTotal { n, autapses } => {
                if same && !autapses && n_pre == 1 && *n > 0 {
                    return Err(invalid(
                        field("n"),
                        n,
                        "no pair exists without autapses in a one-neuron population",
                    ));
                }
                if *n > u64::from(u32::MAX) {
                    return Err(invalid(field("n"), n, &format!("must be <= {}", u32::MAX)));
                }
            }
            Connectivity::OneToOne => {
                if n_pre != n_post {
                    return Err(invalid(
                        format!("{owner}.connectivity"),
                        "OneToOne",
                        &format!("needs populations of equal size ({n_pre} != {n_post})"),
                    ));
                }
            }
            Connectivity::AllToAll { .. } => {}
            Connectivity::Explicit(list) => {
                for (i, c) in list.iter().enumerate() {
                    let f = |name: &str| format!("{owner}.connections[{i}].{name}");
                    if c.pre >= n_pre {
                        return Err(invalid(
                            f("pre"),
                            c.pre,
                            &format!("must be < {n_pre} (size of '{}')", pre_pop.name),
                        ));
                    }
                    if c.post >= n_post {
                        return Err(invalid(
                            f("post"),
                            c.post,
                            &format!("must be < {n_post} (size of '{}')", post_pop.name),
                        ));
                    }
                    check_finite(|| f("weight"), c.weight)?;
                    check_sign(&f("weight"), (c.weight, c.weight), receptor)?;
                    check_finite(|| f("delay_ms"), c.delay_ms)?;
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
            plasticity: None,
            procedural: false,
        });
        Ok(ProjectionId {
            network: self.net.id,
            index,
        })
    }

    /// Makes projection `proj` plastic with `rule`. Only excitatory projections with
    /// non-negative bounds can be plastic, and every initial weight must lie in
    /// `[w_min, w_max]`; at most 31 projections of a network can be plastic.
    pub fn plasticity(
        &mut self,
        proj: ProjectionId,
        rule: crate::model::plasticity::StdpParams,
    ) -> Result<()> {
        if proj.network != self.net.id || proj.index >= self.net.projections.len() {
            return Err(Error::UnknownHandle {
                kind: "projection",
                index: proj.index,
                why: "it belongs to another network".into(),
            });
        }
        let owner = format!("projection {} plasticity", proj.index);
        if self.net.projections[proj.index].procedural {
            return Err(invalid(
                format!("projection {}.plasticity", proj.index),
                "procedural projection",
                "a procedural projection stores no synapses, so it cannot be plastic",
            ));
        }
        rule.validate(&owner)?;
        if let Some(m) = &rule.modulation {
            self.check_channel(m.channel, &format!("{owner}.modulation.channel"))?;
        }
        let p = &self.net.projections[proj.index];
        if p.receptor != Receptor::Excitatory {
            return Err(invalid(
                format!("projection {}.plasticity", proj.index),
                "inhibitory",
                "STDP here acts on excitatory synapses; an inhibitory projection cannot be plastic",
            ));
        }
        if rule.w_min < 0.0 {
            return Err(invalid(
                format!("{owner}.w_min"),
                rule.w_min,
                "must be >= 0 for an excitatory projection",
            ));
        }
        let (low, high) = match &p.connectivity {
            Connectivity::Explicit(list) => {
                list.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), c| {
                    (l.min(c.weight), h.max(c.weight))
                })
            }
            _ => p.weight.range(),
        };
        if low < rule.w_min || high > rule.w_max {
            return Err(invalid(
                format!("projection {}.weight", proj.index),
                format!("[{low}, {high}]"),
                &format!(
                    "initial weights of a plastic projection must lie in [w_min, w_max] = [{}, {}]",
                    rule.w_min, rule.w_max
                ),
            ));
        }
        let plastic = self
            .net
            .projections
            .iter()
            .filter(|p| p.plasticity.is_some())
            .count();
        if self.net.projections[proj.index].plasticity.is_none() && plastic >= 31 {
            return Err(Error::LimitExceeded {
                what: "plastic projections in one network".into(),
                requested: 32,
                max: 31,
            });
        }
        self.net.projections[proj.index].plasticity = Some(rule);
        Ok(())
    }

    /// Makes projection `proj` procedural: no synapse is stored (0 bytes per synapse); each
    /// spike regenerates its row from the seed. Candidate `j` of row `i` is connected when
    /// word `j` of the Philox stream (seed, projection, row `i`) is below `p * 2^32`, an
    /// integer test that every backend evaluates identically. Only static fixed-probability
    /// projections with a constant weight and delay qualify. The row's work grows with the
    /// post-synaptic population (one 4-candidate draw per thread), not with its synapses.
    pub fn procedural(&mut self, proj: ProjectionId) -> Result<()> {
        if proj.network != self.net.id || proj.index >= self.net.projections.len() {
            return Err(Error::UnknownHandle {
                kind: "projection",
                index: proj.index,
                why: "it belongs to another network".into(),
            });
        }
        let p = &self.net.projections[proj.index];
        let field = |f: &str| format!("projection {}.{f}", proj.index);
        if !matches!(p.connectivity, Connectivity::FixedProbability { .. }) {
            return Err(invalid(
                field("connectivity"),
                format!("{:?}", p.connectivity)
                    .split([' ', '(', '{'])
                    .next()
                    .unwrap_or("")
                    .to_string(),
                "a procedural projection must use FixedProbability",
            ));
        }
        if !matches!(p.weight, WeightDist::Constant(_)) {
            return Err(invalid(
                field("weight"),
                format!("{:?}", p.weight),
                "a procedural projection needs a constant weight",
            ));
        }
        if !matches!(p.delay_ms, WeightDist::Constant(_)) {
            return Err(invalid(
                field("delay_ms"),
                format!("{:?}", p.delay_ms),
                "a procedural projection needs a constant delay",
            ));
        }
        if p.plasticity.is_some() {
            return Err(invalid(
                field("plasticity"),
                "plastic",
                "a plastic projection stores its weights, so it cannot be procedural",
            ));
        }
        self.net.projections[proj.index].procedural = true;
        Ok(())
    }

    /// Declares the dynamics of neuromodulator `channel` (read by reward-modulated
    /// projections; see [`crate::model::plasticity::RewardModulation`]). Each channel once.
    pub fn neuromodulator(
        &mut self,
        channel: crate::model::plasticity::ModulatorChannel,
        params: crate::model::plasticity::Neuromodulator,
    ) -> Result<()> {
        let owner = match channel {
            crate::model::plasticity::ModulatorChannel::Global => "neuromodulator 'global'".to_string(),
            crate::model::plasticity::ModulatorChannel::Population(p) => {
                format!("neuromodulator of population {}", p.index)
            }
        };
        self.check_channel(channel, &owner)?;
        params.validate(&owner)?;
        if self.net.neuromodulators.iter().any(|(c, _)| *c == channel) {
            return Err(invalid(
                owner,
                "declared twice",
                "each channel is declared at most once",
            ));
        }
        self.net.neuromodulators.push((channel, params));
        Ok(())
    }

    fn check_channel(&self, channel: crate::model::plasticity::ModulatorChannel, field: &str) -> Result<()> {
        if let crate::model::plasticity::ModulatorChannel::Population(p) = channel {
            if p.network != self.net.id || p.index >= self.net.populations.len() {
                return Err(invalid(
                    field,
                    format!("population {}", p.index),
                    "must be a population of this network",
                ));
            }
        }
        Ok(())
    }

    /// Adds independent Poisson trains at a constant rate onto every neuron of `target`.
    pub fn poisson_input(
        &mut self,
        target: PopulationId,
        rate_hz: f64,
        weight: f64,
        receptor: Receptor,
    ) -> Result<()> {
        self.poisson_schedule(target, &[(0.0, rate_hz)], weight, receptor)
    }

    /// Adds independent Poisson trains whose rate follows `schedule` (`(start_ms, rate_hz)`,
    /// starting at 0, strictly increasing starts).
    pub fn poisson_schedule(
        &mut self,
        target: PopulationId,
        schedule: &[(f64, f64)],
        weight: f64,
        receptor: Receptor,
    ) -> Result<()> {
        let name = self.net.check_population(target)?.name.clone();
        let owner = format!("poisson input {} (-> {name})", self.net.poisson_inputs.len());
        if schedule.is_empty() || schedule[0].0 != 0.0 {
            return Err(invalid(
                format!("{owner}.schedule"),
                format!("{schedule:?}"),
                "must start at 0 ms",
            ));
        }
        for (k, &(t, rate)) in schedule.iter().enumerate() {
            check_non_negative(|| format!("{owner}.rate_hz"), rate)?;
            check_non_negative(|| format!("{owner}.schedule[{k}].start_ms"), t)?;
            if k > 0 && t <= schedule[k - 1].0 {
                return Err(invalid(
                    format!("{owner}.schedule[{k}].start_ms"),
                    t,
                    "must increase strictly",
                ));
            }
        }
        check_finite(|| format!("{owner}.weight"), weight)?;
        check_sign(&format!("{owner}.weight"), (weight, weight), receptor)?;
        self.net.poisson_inputs.push(PoissonInput {
            target,
            schedule: schedule.to_vec(),
            weight,
            receptor,
        });
        Ok(())
    }

    /// Injects a current source into every neuron of `target`.
    pub fn current_input(&mut self, target: PopulationId, source: CurrentSource) -> Result<()> {
        let name = self.net.check_population(target)?.name.clone();
        let owner = format!("current input {} (-> {name})", self.net.current_inputs.len());
        match &source {
            CurrentSource::Dc { amplitude } => check_finite(|| format!("{owner}.amplitude"), *amplitude)?,
            CurrentSource::Step { times_ms, amplitudes } => {
                if times_ms.len() != amplitudes.len() || times_ms.is_empty() {
                    return Err(invalid(
                        format!("{owner}.amplitudes"),
                        format!("{} values for {} times", amplitudes.len(), times_ms.len()),
                        "must give one amplitude per time, at least one",
                    ));
                }
                for (k, (&t, &a)) in times_ms.iter().zip(amplitudes).enumerate() {
                    check_non_negative(|| format!("{owner}.times_ms[{k}]"), t)?;
                    check_finite(|| format!("{owner}.amplitudes[{k}]"), a)?;
                    if k > 0 && t <= times_ms[k - 1] {
                        return Err(invalid(
                            format!("{owner}.times_ms[{k}]"),
                            t,
                            "must increase strictly",
                        ));
                    }
                }
            }
            CurrentSource::Noise { mean, std } => {
                check_finite(|| format!("{owner}.mean"), *mean)?;
                check_non_negative(|| format!("{owner}.std"), *std)?;
            }
        }
        self.net.current_inputs.push(CurrentInput { target, source });
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
        let dt = net.dt_ms;
        let check_delay = |field: String, low: f64, high: f64| -> Result<()> {
            if (low / dt).round() < 1.0 {
                return Err(invalid(
                    field,
                    low,
                    &format!(
                        "every delay must round to at least one tick (>= {} ms at dt = {dt} ms)",
                        0.5 * dt
                    ),
                ));
            }
            if (high / dt).round() > f64::from(MAX_DELAY_TICKS) {
                return Err(invalid(
                    field,
                    high,
                    &format!(
                        "delays are limited to {MAX_DELAY_TICKS} ticks ({} ms at dt = {dt} ms)",
                        f64::from(MAX_DELAY_TICKS) * dt
                    ),
                ));
            }
            Ok(())
        };
        for (i, proj) in net.projections.iter().enumerate() {
            if let Connectivity::Explicit(list) = &proj.connectivity {
                for (k, c) in list.iter().enumerate() {
                    check_delay(
                        format!("projection {i}.connections[{k}].delay_ms"),
                        c.delay_ms,
                        c.delay_ms,
                    )?;
                }
            } else {
                let (low, high) = proj.delay_ms.range();
                check_delay(format!("projection {i}.delay_ms"), low, high)?;
            }
        }
        let mut interval: Option<(usize, f64)> = None;
        for (i, proj) in net.projections.iter().enumerate() {
            let Some(m) = proj.plasticity.as_ref().and_then(|r| r.modulation) else {
                continue;
            };
            let field = format!("projection {i} plasticity.modulation.update_interval_ms");
            let ticks = (m.update_interval_ms / dt).round();
            if !(1.0..=1e6).contains(&ticks) {
                return Err(invalid(
                    field,
                    m.update_interval_ms,
                    &format!(
                        "must round to 1..=1e6 steps ({} ms to {} ms at dt = {dt} ms)",
                        0.5 * dt,
                        1e6 * dt
                    ),
                ));
            }
            match interval {
                Some((first, t)) if t != ticks => {
                    return Err(invalid(
                        field,
                        m.update_interval_ms,
                        &format!(
                            "every reward-modulated projection must use one update interval: projection {first} uses {} ms",
                            t * dt
                        ),
                    ));
                }
                _ => interval = Some((i, ticks)),
            }
        }
        for (i, pop) in net.populations.iter().enumerate() {
            let ticks = (pop.model.refractory_ms() / dt).round();
            if ticks > f64::from(u32::MAX / 2) {
                return Err(invalid(
                    format!("population {i} '{}'.refractory_ms", pop.name),
                    pop.model.refractory_ms(),
                    "is too long for the time step",
                ));
            }
            if let NeuronModel::PoissonSource { rate_hz } = pop.model {
                if rate_hz * dt * 1e-3 > 1.0 {
                    return Err(invalid(
                        format!("population '{}'.rate_hz", pop.name),
                        rate_hz,
                        &format!(
                            "a Poisson source fires at most once per tick: at most {} Hz at dt = {dt} ms",
                            1e3 / dt
                        ),
                    ));
                }
            }
            if let NeuronModel::SpikeSource { spike_times_ms } = &pop.model {
                for (n, times) in spike_times_ms.iter().enumerate() {
                    let mut last = None;
                    for &t in times {
                        let tick = (t / dt).round();
                        if tick > f64::from(u32::MAX / 2) {
                            return Err(invalid(
                                format!("population '{}'.spike_times_ms[{n}]", pop.name),
                                t,
                                "is beyond the 32-bit tick counter",
                            ));
                        }
                        if last == Some(tick) {
                            return Err(invalid(
                                format!("population '{}'.spike_times_ms[{n}]", pop.name),
                                t,
                                &format!("two spikes of one neuron fall in the same {dt} ms tick"),
                            ));
                        }
                        last = Some(tick);
                    }
                }
            }
        }
        Ok(net)
    }
}

fn check_probability(field: &str, p: f64) -> Result<()> {
    if p.is_finite() && (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(invalid(field, p, "must be a probability in [0, 1]"))
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
            "an inhibitory projection needs weights <= 0 (the sign selects the port; conductance models add the magnitude)",
        )),
        _ => Ok(()),
    }
}
