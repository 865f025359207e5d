//! Spike-timing-dependent plasticity: pair-based (all-to-all or nearest-neighbour pairing;
//! additive, multiplicative or power-law weight dependence) and triplet (Pfister & Gerstner
//! 2006) rules, in one formulation:
//!
//! - a pre-synaptic spike reaching the synapse depresses by
//!   `(a2_minus + a3_minus r2) o1 (w_max - w_min) g-(w)`,
//! - a post-synaptic spike reaching the synapse potentiates by
//!   `(a2_plus + a3_plus o2) r1 (w_max - w_min) g+(w)`,
//!
//! with `r1, r2` the pre-synaptic traces (time constants `tau_plus`, `tau_x`) and `o1, o2` the
//! post-synaptic ones (`tau_minus`, `tau_y`), each taken just before the spike (so a pair at
//! exactly zero lag counts neither way). The pair rule is the triplet rule with `a3 = 0`.
//!
//! **Delays.** A synapse's delay `d` is split into an axonal part `d_a` and a dendritic part
//! `d_d = round(dendritic_fraction * d)`. The rule sees spike times *at the synapse*: a pre
//! spike emitted at `t` arrives at `t + d_a`, a post spike emitted at `t` back-propagates to
//! the synapse at `t + d_d`. So the weight change of a pair depends only on the lag measured
//! at the synapse, whatever the split. To have every spike that can reach a synapse before a
//! given synapse time already known, updates are applied with a fixed lag of `D` ticks (the
//! largest delay): the events of tick `t - D` are processed at tick `t`, reading per-neuron
//! trace histories. Transmission always uses the current weights.
//!
//! **Reward modulation** (Izhikevich 2007). With [`StdpParams::modulation`] set, the changes
//! above go into a per-synapse eligibility trace `c` instead of the weight; `c` decays with
//! `tau_eligibility_ms`, and every `update_interval_ms` the weight moves by
//! `c * d * update_interval` (`dw/dt = c d` with t in seconds, as in the paper) and is clipped to the bounds, `d`
//! being the level of the projection's neuromodulator channel (global or one per
//! population), which the host sets during a run and which relaxes to its baseline with its
//! own time constant (see `NetworkBuilder::neuromodulator`). That update touches every
//! modulated synapse once per interval: its cost is synapses / interval, like the rule.
//! Pair credit enters `c` when the pair is processed, `D` ticks after it happened (see
//! above), which is short against the eligibility time constant (about a second).
//!
//! **No races.** Pre-side updates walk the spiking neuron's CSR row (one workgroup per spike,
//! each synapse in exactly one row) and post-side updates walk the transpose index (each
//! synapse in exactly one column), in separate dispatches.

use crate::error::{Result, check_finite, check_non_negative, check_positive, invalid};
use crate::model::PopulationId;

/// Where a reward-modulated projection reads its neuromodulator level from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ModulatorChannel {
    /// One level shared by the whole network.
    #[default]
    Global,
    /// The level of one population's channel (for instance dopamine released into it).
    Population(PopulationId),
}

/// Reward modulation of an STDP rule: eligibility traces gated by a neuromodulator
/// (Izhikevich 2007).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RewardModulation {
    /// Decay time constant of the per-synapse eligibility trace (ms), > 0.
    pub tau_eligibility_ms: f64,
    /// Time between weight updates (ms), rounded to whole steps, >= one step. Every
    /// reward-modulated projection of a network must use the same interval.
    pub update_interval_ms: f64,
    /// The neuromodulator channel that gates this projection.
    pub channel: ModulatorChannel,
}

impl RewardModulation {
    /// Izhikevich 2007: eligibility decaying with 1 s, weights updated every 1 ms, gated by
    /// the global channel.
    pub fn izhikevich_2007() -> Self {
        Self {
            tau_eligibility_ms: 1000.0,
            update_interval_ms: 1.0,
            channel: ModulatorChannel::Global,
        }
    }
}

/// Dynamics of one neuromodulator channel: the level relaxes to `baseline` with `tau_ms`
/// (never, if `tau_ms` is infinite) between the host's changes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neuromodulator {
    /// Relaxation time constant (ms), > 0; `f64::INFINITY` holds the level.
    pub tau_ms: f64,
    /// Resting level, also the level at time 0.
    pub baseline: f64,
}

impl Default for Neuromodulator {
    fn default() -> Self {
        Self {
            tau_ms: f64::INFINITY,
            baseline: 0.0,
        }
    }
}

impl Neuromodulator {
    /// Checks every parameter; `owner` prefixes field names.
    pub fn validate(&self, owner: &str) -> Result<()> {
        if self.tau_ms.is_nan() || self.tau_ms <= 0.0 {
            return Err(invalid(
                format!("{owner}.tau_ms"),
                self.tau_ms,
                "must be > 0 (infinity holds the level)",
            ));
        }
        if !(self.baseline.is_finite() && self.baseline.abs() <= f64::from(f32::MAX)) {
            return Err(invalid(
                format!("{owner}.baseline"),
                self.baseline,
                "must be finite and within the f32 range",
            ));
        }
        Ok(())
    }
}

/// Which spike pairs a trace sums over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Pairing {
    /// Every pair (traces add 1 per spike).
    #[default]
    AllToAll,
    /// Nearest neighbour (traces are reset to 1 by a spike).
    Nearest,
}

/// How the size of a change depends on the current weight (Gutig et al. 2003).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum WeightDependence {
    /// Independent of w; weights are clipped to [w_min, w_max] (hard bounds).
    #[default]
    Additive,
    /// Potentiation proportional to `w_max - w`, depression to `w - w_min` (soft bounds).
    Multiplicative,
    /// Gutig et al. 2003: proportional to `((w_max - w) / span)^mu` and `((w - w_min) / span)^mu`.
    PowerLaw {
        /// Exponent, >= 0 (0 additive, 1 multiplicative).
        mu: f64,
    },
}

/// Parameters of an STDP rule. Amplitudes are magnitudes (>= 0) relative to `w_max - w_min`.
#[derive(Clone, Debug, PartialEq)]
pub struct StdpParams {
    /// Pre-synaptic pair trace time constant (ms).
    pub tau_plus_ms: f64,
    /// Post-synaptic pair trace time constant (ms).
    pub tau_minus_ms: f64,
    /// Pre-synaptic triplet trace time constant (ms).
    pub tau_x_ms: f64,
    /// Post-synaptic triplet trace time constant (ms).
    pub tau_y_ms: f64,
    /// Pair potentiation amplitude.
    pub a2_plus: f64,
    /// Triplet potentiation amplitude.
    pub a3_plus: f64,
    /// Pair depression amplitude.
    pub a2_minus: f64,
    /// Triplet depression amplitude.
    pub a3_minus: f64,
    /// Lower weight bound.
    pub w_min: f64,
    /// Upper weight bound.
    pub w_max: f64,
    /// Pairing scheme.
    pub pairing: Pairing,
    /// Weight dependence.
    pub dependence: WeightDependence,
    /// Fraction of each synapse's delay that is dendritic (0 = all axonal), in [0, 1].
    pub dendritic_fraction: f64,
    /// Reward modulation: changes go to an eligibility trace gated by a neuromodulator.
    pub modulation: Option<RewardModulation>,
}

impl StdpParams {
    /// Pair-based additive STDP: `+a_plus exp(-lag/tau_plus)` for post after pre,
    /// `-a_minus exp(lag/tau_minus)` for pre after post.
    pub fn pair(
        tau_plus_ms: f64,
        tau_minus_ms: f64,
        a_plus: f64,
        a_minus: f64,
        w_min: f64,
        w_max: f64,
    ) -> Self {
        Self {
            tau_plus_ms,
            tau_minus_ms,
            tau_x_ms: 100.0,
            tau_y_ms: 100.0,
            a2_plus: a_plus,
            a3_plus: 0.0,
            a2_minus: a_minus,
            a3_minus: 0.0,
            w_min,
            w_max,
            pairing: Pairing::AllToAll,
            dependence: WeightDependence::Additive,
            dendritic_fraction: 0.0,
            modulation: None,
        }
    }

    /// Pfister & Gerstner 2006, Table 4, visual cortex, all-to-all, full model.
    pub fn triplet_visual_cortex(w_min: f64, w_max: f64) -> Self {
        Self {
            tau_plus_ms: 16.8,
            tau_minus_ms: 33.7,
            tau_x_ms: 101.0,
            tau_y_ms: 125.0,
            a2_plus: 5e-10,
            a3_plus: 6.2e-3,
            a2_minus: 7e-3,
            a3_minus: 2.3e-4,
            ..Self::pair(16.8, 33.7, 0.0, 0.0, w_min, w_max)
        }
    }

    /// Pfister & Gerstner 2006, Table 4, hippocampal, all-to-all, full model.
    pub fn triplet_hippocampal(w_min: f64, w_max: f64) -> Self {
        Self {
            tau_plus_ms: 16.8,
            tau_minus_ms: 33.7,
            tau_x_ms: 946.0,
            tau_y_ms: 27.0,
            a2_plus: 6.1e-3,
            a3_plus: 6.7e-3,
            a2_minus: 1.6e-3,
            a3_minus: 1.4e-3,
            ..Self::pair(16.8, 33.7, 0.0, 0.0, w_min, w_max)
        }
    }

    /// Checks every parameter; `owner` prefixes field names.
    pub fn validate(&self, owner: &str) -> Result<()> {
        let f = |n: &str| format!("{owner}.{n}");
        for (n, v) in [
            ("tau_plus_ms", self.tau_plus_ms),
            ("tau_minus_ms", self.tau_minus_ms),
            ("tau_x_ms", self.tau_x_ms),
            ("tau_y_ms", self.tau_y_ms),
        ] {
            check_positive(|| f(n), v)?;
        }
        for (n, v) in [
            ("a2_plus", self.a2_plus),
            ("a3_plus", self.a3_plus),
            ("a2_minus", self.a2_minus),
            ("a3_minus", self.a3_minus),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(invalid(
                    f(n),
                    v,
                    "is a magnitude: must be finite and >= 0 (the rule gives the sign)",
                ));
            }
        }
        check_finite(|| f("w_min"), self.w_min)?;
        check_finite(|| f("w_max"), self.w_max)?;
        if self.w_min >= self.w_max {
            return Err(invalid(
                f("w_min"),
                self.w_min,
                &format!("must be below w_max = {}", self.w_max),
            ));
        }
        if let WeightDependence::PowerLaw { mu } = self.dependence {
            check_non_negative(|| f("dependence.mu"), mu)?;
        }
        if !(0.0..=1.0).contains(&self.dendritic_fraction) {
            return Err(invalid(
                f("dendritic_fraction"),
                self.dendritic_fraction,
                "must be in [0, 1]",
            ));
        }
        if let Some(m) = &self.modulation {
            check_positive(|| f("modulation.tau_eligibility_ms"), m.tau_eligibility_ms)?;
            check_positive(|| f("modulation.update_interval_ms"), m.update_interval_ms)?;
        }
        Ok(())
    }
}
