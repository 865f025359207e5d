//! Stochastic synaptic release (PyNN's `SimpleStochasticSynapse`, NEST's `bernoulli_synapse`):
//! each synapse of the projection transmits each presynaptic spike with probability `p`,
//! drawn independently per (spike, synapse).
//!
//! Each event draws one Philox word keyed by the network's input seed, counter (tick, the
//! synapse's index in the merged rows, [`crate::rng::stream::RELEASE`], tick's high word),
//! and transmits when the word is below the synapse's threshold `floor(p 2^32)` (an integer
//! comparison, so the GPU and the CPU make the same choice). The threshold `2^32 - 1` means
//! "always", so `p = 1` always transmits (as does any `p >= 1 - 2^-32`) and `p = 0` never.

use crate::error::{Result, invalid};

/// The release probability of a projection's synapses.
#[derive(Clone, Debug, PartialEq)]
pub enum ReleaseProbability {
    /// One probability for every synapse.
    Uniform(f64),
    /// One probability per (pre, post) pair (PyNN's per-synapse matrix): one row per
    /// presynaptic neuron, one value per postsynaptic neuron; every synapse between a pair
    /// takes the pair's value.
    PerPair(Vec<Vec<f64>>),
}

/// Threshold meaning "always transmit" (the largest word).
pub const ALWAYS: u32 = u32::MAX;

impl ReleaseProbability {
    /// Checks every probability is in [0, 1] and a matrix has `pre_size` rows of
    /// `post_size` values; errors name `owner` (and the pair).
    pub fn validate(&self, owner: &str, pre_size: u32, post_size: u32) -> Result<()> {
        let allowed = "a probability in [0, 1]";
        match self {
            Self::Uniform(p) if !(0.0..=1.0).contains(p) => Err(invalid(owner, p, allowed)),
            Self::Uniform(_) => Ok(()),
            Self::PerPair(rows) => {
                if rows.len() != pre_size as usize {
                    return Err(invalid(
                        owner,
                        format!("{} rows", rows.len()),
                        &format!("one row per presynaptic neuron ({pre_size})"),
                    ));
                }
                for (i, row) in rows.iter().enumerate() {
                    if row.len() != post_size as usize {
                        return Err(invalid(
                            format!("{owner}[{i}]"),
                            format!("{} values", row.len()),
                            &format!("one value per postsynaptic neuron ({post_size})"),
                        ));
                    }
                    if let Some(j) = row.iter().position(|p| !(0.0..=1.0).contains(p)) {
                        return Err(invalid(format!("{owner}[{i}][{j}]"), row[j], allowed));
                    }
                }
                Ok(())
            }
        }
    }

    /// The probability of the synapse from local pre `i` to local post `j`.
    pub fn of(&self, i: u32, j: u32) -> f64 {
        match self {
            Self::Uniform(p) => *p,
            Self::PerPair(rows) => rows[i as usize][j as usize],
        }
    }
}

/// The integer threshold of probability `p` in [0, 1]: `floor(p 2^32)`, [`ALWAYS`] at the top.
pub fn threshold(p: f64) -> u32 {
    (p * 4_294_967_296.0).floor().min(f64::from(ALWAYS)) as u32
}

/// Whether a synapse with threshold `threshold` transmits given the Philox word `word`.
#[inline(always)]
pub fn transmits(threshold: u32, word: u32) -> bool {
    threshold == ALWAYS || word < threshold
}
