//! `deliver_spikes`: a rank of a distributed run ([`crate::distributed`]) delivers every
//! rank's spikes, its own included, once they have been exchanged, instead of propagating
//! them in their tick (its tick schedule has no `propagate`). Each spike walks its row (rows
//! by global neuron on a rank, targets local) with its own tick: the weights land in slot
//! `(tick + delay) % D`, exactly where `propagate` would have put them in the spike's tick.
//! That slot is still ahead of the ring's reader, because spikes are exchanged at least
//! once per smallest delay. Fixed-point sums do not depend on the order of their terms, so
//! the inputs are bit for bit a single process's.

use super::*;

impl CpuBackend {
    /// Delivers `spikes` (global neuron ids, any order) fired in ticks before the current
    /// one and less than the smallest delay ago, each thread to its own targets.
    pub fn deliver_spikes(&mut self, spikes: &[Spike]) {
        let slots = u64::from(self.plan.ring_slots);
        let scale = self.plan.fixed_scale;
        self.pool.run(&|t| {
            let mut part = lock(&self.parts[t]);
            let part = &mut *part;
            let SynapseStore::Wide(store) = &part.synapses else {
                unreachable!("a rank's synapses are kept wide (CpuBackend::with_storage)")
            };
            let n_own = part.own.len();
            let first = part.own.start;
            let mut events = 0u64;
            for spike in spikes {
                let row = store.row(spike.neuron);
                events += row.len() as u64;
                for (syn, &w) in store.synapses[row.clone()].iter().zip(&store.weights[row]) {
                    let slot = ((spike.tick + u64::from(syn.delay())) % slots) as usize;
                    let idx =
                        (syn.port() as usize * slots as usize + slot) * n_own + (syn.post - first) as usize;
                    part.ring[idx] = part.ring[idx].wrapping_add(to_fixed(w, scale));
                }
            }
            part.events += events;
        });
    }

    /// The plan the backend runs (without its synapses, which the threads hold).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}
