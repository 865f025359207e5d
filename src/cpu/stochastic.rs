//! `propagate` with stochastic release (the twin of `shaders/stages/propagate_stochastic.wgsl`):
//! each synapse of a spiking neuron's row draws one Philox word for this tick and delivers
//! its weight only when the word is below its threshold ([`crate::model::stochastic`]).

use super::synapses::WideStore;
use crate::model::stochastic::{ALWAYS, transmits};
use crate::plan::{Plan, to_fixed};
use crate::rng::{philox4x32_10, stream};

/// Where this tick's deliveries go in a thread's ring.
pub(super) struct RingAt {
    /// Ring slots (largest delay + 1).
    pub slots: usize,
    /// This tick's slot.
    pub now: usize,
    /// Neurons the thread owns (the ring's row length).
    pub n_own: usize,
    /// Global index of the thread's first neuron.
    pub first: u32,
}

/// Whether synapse `s` of the merged rows transmits a spike of tick `tick`: the release
/// word of (tick, s) against its threshold (synapses without stochastic release draw none).
#[inline(always)]
pub(super) fn released(plan: &Plan, s: u32, tick: u64) -> bool {
    released_as(plan, s, s, tick)
}

/// [`released`] for synapse `s` of the plan drawing with `key`, its index among a single
/// process's merged synapses (on a rank of a distributed run, whose plan holds a share of
/// them): the same word, so the same outcome, as in one process.
#[inline(always)]
pub(super) fn released_as(plan: &Plan, s: u32, key: u32, tick: u64) -> bool {
    let threshold = plan.release[s as usize];
    if threshold == ALWAYS {
        return true;
    }
    let word = philox4x32_10(
        [tick as u32, key, stream::RELEASE, (tick >> 32) as u32],
        plan.input_key,
    )[0];
    transmits(threshold, word)
}

/// Delivers the rows of `spikes` from a wide store, each synapse only when
/// [`released`]; returns the synapses visited (as `propagate` counts them).
pub(super) fn deliver_stochastic(
    store: &WideStore,
    plan: &Plan,
    tick: u64,
    spikes: impl Iterator<Item = u32>,
    at: RingAt,
    ring: &mut [i32],
) -> u64 {
    let mut events = 0;
    for g in spikes {
        let row = store.row(g);
        events += row.len() as u64;
        for i in row {
            if !released(plan, store.plan_index[i], tick) {
                continue;
            }
            let syn = store.synapses[i];
            let slot = (at.now + syn.delay() as usize) % at.slots;
            let idx = (syn.port() as usize * at.slots + slot) * at.n_own + (syn.post - at.first) as usize;
            ring[idx] = ring[idx].wrapping_add(to_fixed(store.weights[i], plan.fixed_scale));
        }
    }
    events
}
