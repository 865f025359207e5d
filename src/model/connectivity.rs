//! How a projection chooses its (pre, post) pairs, and which port of the target it feeds.

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

impl Connectivity {
    /// Why the rule cannot take `multapses = allow`, or `None` where it can: the degree rules
    /// take either value, fixed total draws with replacement anyway (only `true` fits), the
    /// other rules never repeat a pair.
    pub(crate) fn multapses_refusal(&self, allow: bool) -> Option<&'static str> {
        match self {
            Connectivity::FixedInDegree { .. } | Connectivity::FixedOutDegree { .. } => None,
            Connectivity::FixedTotal { .. } if allow => None,
            Connectivity::FixedTotal { .. } => Some(
                "fixed_total draws its pairs with replacement; multapses = false applies to fixed_indegree and fixed_outdegree",
            ),
            _ => Some("applies to fixed_indegree, fixed_outdegree and fixed_total only"),
        }
    }
}

/// How the pairs (pre, post) of a projection are chosen. Every rule is deterministic from the
/// seed; `autapses` only matters when pre and post are the same population. Multapses are
/// created by `FixedTotal`, which draws pairs with replacement as NEST does, and by the degree
/// rules where the projection allows them ([`crate::NetworkBuilder::multapses`]; `k` stays at
/// most the population's size).
#[derive(Clone, Debug, PartialEq)]
pub enum Connectivity {
    /// Each pair independently with probability `p`.
    FixedProbability {
        /// Connection probability in [0, 1].
        p: f64,
        /// Whether a neuron may connect to itself.
        autapses: bool,
    },
    /// Every post-synaptic neuron gets exactly `k` sources (distinct unless multapses).
    FixedInDegree {
        /// In-degree.
        k: u32,
        /// Whether a neuron may connect to itself.
        autapses: bool,
    },
    /// Every pre-synaptic neuron gets exactly `k` targets (distinct unless multapses).
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
