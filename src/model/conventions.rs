//! Network-wide timing conventions, so that a network ported from NEST or Brian2 gives that
//! simulator's spike times and traces (see the README's table, which records what was
//! measured against NEST 3.10 and Brian2 2.11).
//!
//! Every convention is applied while planning, as plain numbers the update kernels already
//! read: the refractory count, the per-neuron threshold, the tick a population reads its input
//! ring at, and the time a spike is stamped with. No kernel branches on it.

use crate::neurons::{CurrentSynapse, NeuronModel};

/// How refractoriness, synaptic latency, spike stamps and the threshold comparison are counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Conventions {
    /// spikegpu's own (the default): `v` held `t_ref/dt - 1` ticks after the spiking tick,
    /// input of delay `d` (ticks) acts in tick `t + d`, spikes stamped at the start of their
    /// step, threshold `v > theta`.
    #[default]
    Spikegpu,
    /// NEST 3.x: `v` held `t_ref/dt` ticks; input into a synaptic current or conductance acts
    /// one tick later than spikegpu's (input acting on `v` directly, as LIF delta synapses'
    /// and Izhikevich's does, does not); spikes stamped at the end of their step (a spike source's time `T` is that
    /// stamp); threshold `v >= theta`.
    Nest,
    /// Brian2 2.x: spikegpu's refractory count, stamps and comparison; every input acts one
    /// tick later (Brian2 applies `on_pre` after the threshold of the arrival step).
    Brian2,
}

impl Conventions {
    /// The keywords of model files and the CLI, in the order of [`Conventions::ALL`].
    pub const KEYWORDS: [&'static str; 3] = ["spikegpu", "nest", "brian2"];
    /// Every convention.
    pub const ALL: [Conventions; 3] = [Self::Spikegpu, Self::Nest, Self::Brian2];

    /// The convention called `word` (`"nest"`), if any.
    pub fn from_keyword(word: &str) -> Option<Self> {
        Self::KEYWORDS
            .iter()
            .position(|&k| k == word)
            .map(|i| Self::ALL[i])
    }

    /// The keyword of this convention.
    pub fn keyword(self) -> &'static str {
        Self::KEYWORDS[Self::ALL.iter().position(|&c| c == self).expect("listed")]
    }

    /// `PopGpu::refractory_ticks` for a refractory period of `ticks` (the count set at the
    /// spike; the neuron is held that many ticks minus one after the spiking tick).
    pub fn refractory_count(self, ticks: u32) -> u32 {
        match self {
            Self::Nest if ticks > 0 => ticks + 1,
            _ => ticks,
        }
    }

    /// The ticks by which a population of `model` reads its input later than spikegpu's own
    /// timing (`PopGpu::input_lag`): 0 or 1.
    pub fn input_lag(self, model: &NeuronModel) -> u32 {
        let acts_on_v = matches!(
            model,
            NeuronModel::Lif(p) if p.synapse == CurrentSynapse::Delta
        ) || matches!(model, NeuronModel::Izhikevich(_));
        match self {
            Self::Spikegpu => 0,
            Self::Nest => u32::from(!acts_on_v && !model.is_source()),
            Self::Brian2 => u32::from(!model.is_source()),
        }
    }

    /// The per-neuron threshold as uploaded: under NEST's `v >= theta` the largest f32 below
    /// `theta`, since `v > next_down(theta)` is `v >= theta` for every finite f32 `v`.
    pub fn threshold(self, theta: f32) -> f32 {
        match self {
            Self::Nest => theta.next_down(),
            _ => theta,
        }
    }

    /// Ticks added to a spike's tick to give its time stamp: NEST stamps the end of the step.
    pub fn stamp_offset_ticks(self) -> u64 {
        u64::from(self == Self::Nest)
    }

    /// The tick a spike source emits a spike listed at `tick` (its time over dt): under NEST
    /// the tick that ends at that time, so that the spike's stamp equals the listed time (the
    /// plan refuses a listed tick below [`Conventions::stamp_offset_ticks`]).
    pub fn source_tick(self, tick: u32) -> u32 {
        tick.saturating_sub(self.stamp_offset_ticks() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_round_trip() {
        for c in Conventions::ALL {
            assert_eq!(Conventions::from_keyword(c.keyword()), Some(c));
        }
        assert_eq!(Conventions::from_keyword("neuron"), None);
    }

    #[test]
    fn nest_threshold_turns_greater_into_greater_or_equal() {
        let theta = -55.0f32;
        let below = Conventions::Nest.threshold(theta);
        assert!(theta > below && theta.next_down() == below);
        assert_eq!(Conventions::Spikegpu.threshold(theta), theta);
    }
}
