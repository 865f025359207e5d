//! `prepare_propagate`, `propagate` and `propagate_procedural`: each spiking neuron's last
//! spike tick, and each spike's row added into the delay ring (twins of
//! `shaders/stages/prepare_propagate.wgsl` and `propagate*.wgsl`).

use super::short_term::ShortTermState;
use super::synapses::{CompactStore, MIXED_DELAYS, StoreProjection, TargetIndex, WideStore};
use super::*;
use crate::plan::layout::ProceduralGpu;

impl Worker<'_> {
    /// `prepare_propagate`: with plasticity, each owned spiking neuron's last spike tick. The
    /// GPU files the STDP spike history here too (its `prepare_propagate` writes the history
    /// entry's count and its `propagate` the ids); the CPU's spike lists are that history.
    /// The GPU stage's other job, sizing the indirect dispatches of the spike-driven stages,
    /// has no CPU counterpart (the CPU stages loop over the spikes themselves).
    #[inline(always)]
    pub(super) fn prepare_propagate(&mut self) {
        if self.plan.plastic.is_empty() {
            return;
        }
        let part = &mut *self.part;
        let own = part.own.clone();
        for g in self.shared.spikes_of(self.shared.slot(self.tick), self.me) {
            let k = local(&own, g);
            part.spiked_at[k] = self.tick;
        }
    }

    /// `propagate`: each spike of this tick walks its stored row and adds the weights into
    /// the owned targets' rings at slot `(tick + delay) % D`.
    #[inline(always)]
    pub(super) fn propagate(&mut self) {
        let ring = Ring {
            slots: self.plan.ring_slots as usize,
            now: (self.tick % u64::from(self.plan.ring_slots)) as usize,
            n_own: self.part.own.len(),
        };
        let spikes = self.shared.spikes(self.shared.slot(self.tick));
        let part = &mut *self.part;
        if let (Some(stp), SynapseStore::Wide(store)) = (&mut part.short_term, &part.synapses) {
            let this_tick = self.shared.spikes(self.shared.slot(self.tick));
            stp.on_spikes(&self.plan.short_term, self.tick, this_tick);
            let first = part.own.start;
            part.events += deliver_short_term(store, stp, self.plan, first, spikes, ring, &mut part.ring);
            return;
        }
        if let (false, SynapseStore::Wide(store)) = (self.plan.release.is_empty(), &part.synapses) {
            let at = stochastic::RingAt {
                slots: ring.slots,
                now: ring.now,
                n_own: ring.n_own,
                first: part.own.start,
            };
            part.events +=
                stochastic::deliver_stochastic(store, self.plan, self.tick, spikes, at, &mut part.ring);
            return;
        }
        let events = match &part.synapses {
            SynapseStore::Compact16(store) => deliver_compact(store, self.plan, spikes, ring, &mut part.ring),
            SynapseStore::Compact32(store) => deliver_compact(store, self.plan, spikes, ring, &mut part.ring),
            SynapseStore::Wide(store) => {
                let first = part.own.start;
                deliver_wide(store, self.plan.fixed_scale, first, spikes, ring, &mut part.ring)
            }
        };
        part.events += events;
    }

    /// `propagate_procedural`: each spike regenerates the owned part of its procedural rows
    /// and delivers it.
    #[inline(always)]
    pub(super) fn propagate_procedural(&mut self) {
        let plan = self.plan;
        let part = &mut *self.part;
        let own = part.own.clone();
        let n_own = own.len();
        let d = plan.ring_slots as usize;
        let now = (self.tick % d as u64) as usize;
        let mut events = 0u64;
        for p in &plan.procedural {
            let targets = owned(&own, p.post_start, p.post_size);
            if targets.is_empty() {
                continue;
            }
            let slot = (now + p.delay as usize) % d;
            let base = (p.port as usize * d + slot) * n_own + local(&own, targets.start);
            let candidates = targets.start - p.post_start..targets.end - p.post_start;
            let ring = &mut part.ring[base..base + candidates.len()];
            for src in self.shared.spikes(self.shared.slot(self.tick)) {
                if !(p.pre_start..p.pre_start + p.pre_size).contains(&src) {
                    continue;
                }
                procedural_row_part(plan.key, p, src - p.pre_start, candidates.clone(), |j| {
                    let k = (j - candidates.start) as usize;
                    ring[k] = ring[k].wrapping_add(p.weight_fixed);
                    events += 1;
                });
            }
        }
        part.events += events;
    }
}

/// Where this tick's deliveries go in a thread's ring.
#[derive(Clone, Copy)]
struct Ring {
    /// Ring slots (largest delay + 1).
    slots: usize,
    /// This tick's slot.
    now: usize,
    /// Neurons the thread owns (the ring's row length).
    n_own: usize,
}

impl Ring {
    /// The row offset of the slot `delay` ticks ahead (`delay < slots`, so one conditional
    /// subtraction replaces the modulo).
    #[inline(always)]
    fn ahead(self, delay: u32) -> usize {
        let mut slot = self.now + delay as usize;
        if slot >= self.slots {
            slot -= self.slots;
        }
        slot * self.n_own
    }
}

/// Delivers the rows of `spikes` from a compact store; returns the synapses delivered.
#[inline(always)]
fn deliver_compact<T: TargetIndex>(
    store: &CompactStore<T>,
    plan: &Plan,
    spikes: impl Iterator<Item = u32>,
    at: Ring,
    ring: &mut [i32],
) -> u64 {
    let delay_mask = (1u32 << store.delay_bits) - 1;
    let mut events = 0;
    let outgoing = |g: u32| {
        let [first, count] = store.outgoing[plan.population_of(g)];
        &store.projections[first as usize..(first + count) as usize]
    };
    let mut spikes = spikes.peekable();
    if let Some(&g) = spikes.peek() {
        prefetch_compact_rows(store, outgoing(g), g);
    }
    while let Some(g) = spikes.next() {
        // The next spike's rows load while this one's are delivered: each row starts at a
        // random place, and waiting for its first lines costs more than delivering it.
        if let Some(&next) = spikes.peek() {
            prefetch_compact_rows(store, outgoing(next), next);
        }
        for p in outgoing(g) {
            let row = store.row(p, g - p.pre_start);
            events += row.len() as u64;
            if let Some(weight) = p.weight {
                // One slot and one weight for the whole row: only the targets to read.
                let slot = &mut ring[p.ring_base + at.ahead(p.delay)..];
                for &target in &store.targets[row] {
                    let x = &mut slot[target.index()];
                    *x = x.wrapping_add(weight);
                }
                continue;
            }
            let words = store.words_of(p, row.clone());
            if p.delay != MIXED_DELAYS {
                // One slot for the whole row: no delay to decode, no slot to find per synapse.
                let slot = &mut ring[p.ring_base + at.ahead(p.delay)..];
                for (&word, &target) in words.iter().zip(&store.targets[row]) {
                    let x = &mut slot[target.index()];
                    *x = x.wrapping_add(word as i32 >> store.delay_bits);
                }
                continue;
            }
            for (&word, &target) in words.iter().zip(&store.targets[row]) {
                let idx = p.ring_base + at.ahead(word & delay_mask) + target.index();
                ring[idx] = ring[idx].wrapping_add(word as i32 >> store.delay_bits);
            }
        }
    }
    events
}

/// Delivers the rows of `spikes` from a wide store (targets from `first` on); returns the
/// synapses delivered.
#[inline(always)]
fn deliver_wide(
    store: &WideStore,
    scale: f32,
    first: u32,
    spikes: impl Iterator<Item = u32>,
    at: Ring,
    ring: &mut [i32],
) -> u64 {
    let mut events = 0;
    let mut spikes = spikes.peekable();
    if let Some(&g) = spikes.peek() {
        prefetch_wide_row(store, g);
    }
    while let Some(g) = spikes.next() {
        if let Some(&next) = spikes.peek() {
            prefetch_wide_row(store, next);
        }
        let row = store.row(g);
        events += row.len() as u64;
        for (syn, &w) in store.synapses[row.clone()].iter().zip(&store.weights[row]) {
            let idx = syn.port() as usize * at.slots * at.n_own
                + at.ahead(syn.delay())
                + (syn.post - first) as usize;
            ring[idx] = ring[idx].wrapping_add(to_fixed(w, scale));
        }
    }
    events
}

/// Asks the processor to load the rows of spike `g` in `projections` into its cache.
#[inline(always)]
fn prefetch_compact_rows<T: TargetIndex>(store: &CompactStore<T>, projections: &[StoreProjection], g: u32) {
    for p in projections {
        let row = store.row(p, g - p.pre_start);
        if p.weight.is_none() {
            prefetch(store.words_of(p, row.clone()));
        }
        prefetch(&store.targets[row]);
    }
}

/// Asks the processor to load global neuron `g`'s row of a wide store into its cache.
#[inline(always)]
fn prefetch_wide_row(store: &WideStore, g: u32) {
    let row = store.row(g);
    prefetch(&store.synapses[row.clone()]);
    prefetch(&store.weights[row]);
}

/// Bytes per cache line, the prefetch stride.
const CACHE_LINE: usize = 64;

/// Asks the processor to load every cache line of `items` (a hint: it changes no value, and
/// does nothing on other processors).
#[inline(always)]
fn prefetch<T>(items: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let start = items.as_ptr().cast::<i8>();
        let misalign = start as usize % CACHE_LINE;
        let lines = (misalign + std::mem::size_of_val(items)).div_ceil(CACHE_LINE);
        for line in 0..lines {
            // SAFETY: a prefetch reads nothing and cannot fault, whatever the address; these
            // are the lines holding `items`.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(start.wrapping_sub(misalign).wrapping_add(line * CACHE_LINE))
            };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = items;
}

/// As [`deliver_wide`], each synapse at `w u x` where it has short-term plasticity.
fn deliver_short_term(
    store: &WideStore,
    stp: &mut ShortTermState,
    plan: &Plan,
    first: u32,
    spikes: impl Iterator<Item = u32>,
    at: Ring,
    ring: &mut [i32],
) -> u64 {
    let mut events = 0;
    for g in spikes {
        let row = store.row(g);
        events += row.len() as u64;
        for i in row {
            let syn = store.synapses[i];
            let idx = syn.port() as usize * at.slots * at.n_own
                + at.ahead(syn.delay())
                + (syn.post - first) as usize;
            ring[idx] = ring[idx].wrapping_add(stp.fixed(i, store.weights[i], plan));
        }
    }
    events
}

/// The targets among `candidates` of row `row` of procedural projection `p`: exactly those
/// of [`crate::plan::procedural_row`] in that range, drawing only the Philox blocks that
/// hold their words.
fn procedural_row_part(
    key: [u32; 2],
    p: &ProceduralGpu,
    row: u32,
    candidates: Range<u32>,
    mut f: impl FnMut(u32),
) {
    let mut j = candidates.start;
    while j < candidates.end {
        // Word j of the row's stream is word j % 4 of block j / 4 (`rng::PhiloxStream`).
        let block = philox4x32_10([row, j / 4, p.stream, 0], key);
        let end = (j / 4 * 4 + 4).min(candidates.end);
        for j in j..end {
            let word = block[(j % 4) as usize];
            if (p.all == 1 || word < p.threshold) && !(p.skip_self == 1 && j == row) {
                f(j);
            }
        }
        j = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_procedural_row_in_parts_is_the_whole_row() {
        let p = ProceduralGpu {
            post_size: 103,
            threshold: u32::MAX / 5,
            stream: 0x8000_0003,
            skip_self: 1,
            ..ProceduralGpu::default()
        };
        for row in [0, 7, 55] {
            let mut whole = Vec::new();
            crate::plan::procedural_row([1, 2], &p, row, |j| whole.push(j));
            let mut parts = Vec::new();
            for range in [0..5, 5..6, 6..63, 63..103] {
                procedural_row_part([1, 2], &p, row, range, |j| parts.push(j));
            }
            assert_eq!(parts, whole);
            assert!(!whole.is_empty());
        }
    }
}
