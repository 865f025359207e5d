//! Each thread's synapses: the stored synapses whose targets it owns, in one of two formats.
//!
//! - [`CompactStore`], for networks without plasticity whose fixed-point weights fit beside
//!   the delay bits: the GPU's compact word (`plan::compact`: the very integer the ring adds,
//!   shifted above the delay) and a 16-bit target index (32-bit where a post population's part
//!   owned by one thread is larger), projection by projection with a row per pre neuron. About
//!   6 bytes per synapse instead of 12, and no rounding on delivery. A projection whose stored
//!   synapses all have one weight and one delay (Brunel's, CUBA's) keeps no words at all: its
//!   rows are targets only, 2 bytes per synapse, since delivery is bound by memory latency.
//! - [`WideStore`], for the others: the plan's synapse (target, delay word) and f32 weight,
//!   rows by global pre neuron, with the transpose index of the owned columns for the STDP
//!   post walk.
//!
//! Both keep each row's synapses in the plan's order, and a thread owns whole columns, so
//! every synapse lives in exactly one thread, which delivers it, updates it and reads it.

use std::ops::Range;

use crate::plan::layout::Synapse;
use crate::plan::{Plan, compact, to_fixed};

/// The synapses one thread owns.
pub(super) enum SynapseStore {
    /// Compact format with 16-bit targets.
    Compact16(CompactStore<u16>),
    /// Compact format with 32-bit targets.
    Compact32(CompactStore<u32>),
    /// The plan's format.
    Wide(WideStore),
}

/// A target index as a compact store keeps it.
pub(super) trait TargetIndex: Copy + Send + Sync {
    /// The index as it is stored (`x` fits the type).
    fn narrow(x: u32) -> Self;
    /// The stored index.
    fn index(self) -> usize;
}

impl TargetIndex for u16 {
    #[inline(always)]
    fn narrow(x: u32) -> Self {
        x as u16
    }
    #[inline(always)]
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl TargetIndex for u32 {
    #[inline(always)]
    fn narrow(x: u32) -> Self {
        x
    }
    #[inline(always)]
    fn index(self) -> usize {
        self as usize
    }
}

/// One projection's part of a compact store.
#[derive(Clone, Copy, Debug)]
pub(super) struct StoreProjection {
    /// First global index of the pre-synaptic population.
    pub pre_start: u32,
    /// Offset of the projection's row pointers in [`CompactStore::row_ptr`].
    pub row_base: u32,
    /// Ring index of target 0 at slot 0 in the owning thread's ring: `port * D * n_own +
    /// (first owned target - first owned neuron)`.
    pub ring_base: usize,
    /// The delay of every stored synapse of the projection, where they all have the same
    /// ([`MIXED_DELAYS`] otherwise): the standard models' case, delivered without decoding
    /// each word's delay.
    pub delay: u32,
    /// The fixed-point weight of every stored synapse, where they all have the same weight
    /// and the same [`StoreProjection::delay`]: the projection then keeps no words.
    pub weight: Option<i32>,
    /// Position in [`CompactStore::targets`] minus position in [`CompactStore::words`] of
    /// each of the projection's synapses (projections without words come before it).
    pub word_shift: usize,
}

/// [`StoreProjection::delay`] of a projection whose synapses have different delays.
pub(super) const MIXED_DELAYS: u32 = u32::MAX;

/// The compact format, projection by projection (see the module docs).
pub(super) struct CompactStore<T> {
    /// Bits of each word holding the delay.
    pub delay_bits: u32,
    /// Per synapse of the projections without one weight: `(w_fixed << delay_bits) | delay`.
    pub words: Vec<u32>,
    /// Per synapse: target index from the projection's first owned target.
    pub targets: Vec<T>,
    /// Row pointers of every projection (pre size + 1 each) into `targets`.
    pub row_ptr: Vec<u32>,
    /// The stored projections.
    pub projections: Vec<StoreProjection>,
    /// Per population: `[first, count]` into `projections` of those leaving it.
    pub outgoing: Vec<[u32; 2]>,
}

/// The plan's format for the owned synapses (see the module docs).
pub(super) struct WideStore {
    /// Row pointers by global pre neuron (`n + 1`).
    pub row_ptr: Vec<u32>,
    /// The owned synapses, row by row in plan order.
    pub synapses: Vec<Synapse>,
    /// Their weights.
    pub weights: Vec<f32>,
    /// Their eligibility traces (empty without reward modulation).
    pub eligibility: Vec<f32>,
    /// Runs of consecutive reward-modulated synapses of one plastic rule, as (first, end,
    /// rule index): the modulated update walks these in tight loops that the compiler
    /// vectorises, instead of testing every synapse's rule.
    pub modulated_runs: Vec<(u32, u32, u32)>,
    /// Each one's index in the plan's merged CSR.
    pub plan_index: Vec<u32>,
    /// Column pointers by owned post neuron (`n_own + 1`) into `col_entries`.
    pub col_ptr: Vec<u32>,
    /// Transpose entries of the owned plastic synapses: (index here, global pre neuron, delay
    /// word), by post neuron then synapse.
    pub col_entries: Vec<[u32; 3]>,
}

/// The runs of consecutive reward-modulated synapses sharing a plastic rule (see
/// [`WideStore::modulated_runs`]).
fn modulated_runs(plan: &Plan, synapses: &[Synapse]) -> Vec<(u32, u32, u32)> {
    let mut runs: Vec<(u32, u32, u32)> = Vec::new();
    for (s, syn) in synapses.iter().enumerate() {
        let rule = syn.plastic();
        if rule == 0 || plan.plastic[rule as usize - 1].flags & 8 == 0 {
            continue;
        }
        match runs.last_mut() {
            Some(run) if run.1 == s as u32 && run.2 == rule - 1 => run.1 += 1,
            _ => runs.push((s as u32, s as u32 + 1, rule - 1)),
        }
    }
    runs
}

/// The plan indices of projection `k`'s synapses in the merged row of its pre neuron `r`
/// (local to the pre population).
fn segment(plan: &Plan, k: usize, r: usize) -> Range<usize> {
    let p = &plan.projections[k];
    let before: u32 = p
        .earlier_siblings
        .iter()
        .map(|&j| plan.projections[j].local_row_ptr[r + 1] - plan.projections[j].local_row_ptr[r])
        .sum();
    let at = (plan.row_ptr[plan.populations[p.pre].gpu.start as usize + r] + before) as usize;
    at..at + (p.local_row_ptr[r + 1] - p.local_row_ptr[r]) as usize
}

/// Whether the compact format holds every stored synapse of the plan at weights `weights`:
/// no plasticity (long- or short-term), and every fixed-point weight fits beside the delay
/// bits.
pub(super) fn compact_qualifies(plan: &Plan, weights: &[f32]) -> bool {
    let limit = 1i64 << (31 - compact::delay_bits(plan));
    plan.plastic.is_empty()
        && plan.short_term.is_empty()
        && plan.release.is_empty()
        && weights.iter().all(|&w| {
            let fixed = i64::from(to_fixed(w, plan.fixed_scale));
            (-limit..limit).contains(&fixed)
        })
}

impl SynapseStore {
    /// The store of the thread owning neurons `own`, from the plan's synapses at `weights`:
    /// compact where it qualifies, unless `compact` is false.
    pub(super) fn build(plan: &Plan, weights: &[f32], own: Range<u32>, compact: bool) -> Self {
        if !compact || !compact_qualifies(plan, weights) {
            return Self::Wide(WideStore::build(plan, weights, own));
        }
        let widest = plan
            .projections
            .iter()
            .filter(|p| !p.procedural)
            .map(|p| owned_targets(plan, p.post, &own).len() as u32)
            .max()
            .unwrap_or(0);
        if widest <= u16::MAX as u32 + 1 {
            Self::Compact16(CompactStore::build(plan, weights, own))
        } else {
            Self::Compact32(CompactStore::build(plan, weights, own))
        }
    }

    /// Synapses stored.
    pub(super) fn len(&self) -> usize {
        match self {
            Self::Compact16(s) => s.targets.len(),
            Self::Compact32(s) => s.targets.len(),
            Self::Wide(s) => s.synapses.len(),
        }
    }

    /// Bytes of the arrays a spike's delivery reads: per synapse and of the row pointers.
    pub(super) fn delivery_bytes(&self) -> usize {
        match self {
            Self::Compact16(s) => s.words.len() * 4 + s.targets.len() * 2 + s.row_ptr.len() * 4,
            Self::Compact32(s) => s.words.len() * 4 + s.targets.len() * 4 + s.row_ptr.len() * 4,
            Self::Wide(s) => s.synapses.len() * 12 + s.row_ptr.len() * 4,
        }
    }
}

/// The global indices of population `post`'s neurons within `own`.
fn owned_targets(plan: &Plan, post: usize, own: &Range<u32>) -> Range<u32> {
    let g = plan.populations[post].gpu;
    let start = g.start.max(own.start);
    start..(g.start + g.size).min(own.end).max(start)
}

impl<T: TargetIndex> CompactStore<T> {
    fn build(plan: &Plan, weights: &[f32], own: Range<u32>) -> Self {
        let delay_bits = compact::delay_bits(plan);
        let (slots, n_own) = (plan.ring_slots as usize, (own.end - own.start) as usize);
        let mut order: Vec<usize> = (0..plan.projections.len())
            .filter(|&k| !plan.projections[k].procedural)
            .collect();
        order.sort_by_key(|&k| plan.projections[k].pre);
        let mut store = Self {
            delay_bits,
            words: Vec::new(),
            targets: Vec::new(),
            row_ptr: Vec::new(),
            projections: Vec::new(),
            outgoing: vec![[0, 0]; plan.populations.len()],
        };
        for k in order {
            let p = &plan.projections[k];
            let targets = owned_targets(plan, p.post, &own);
            let entry = &mut store.outgoing[p.pre];
            if entry[1] == 0 {
                entry[0] = store.projections.len() as u32;
            }
            entry[1] += 1;
            store.projections.push(StoreProjection {
                pre_start: plan.populations[p.pre].gpu.start,
                row_base: store.row_ptr.len() as u32,
                ring_base: p.port as usize * slots * n_own + (targets.start - own.start) as usize,
                delay: MIXED_DELAYS,
                weight: None,
                word_shift: store.targets.len() - store.words.len(),
            });
            let first = store.words.len();
            store.row_ptr.push(store.targets.len() as u32);
            for r in 0..plan.populations[p.pre].gpu.size as usize {
                for s in segment(plan, k, r) {
                    let syn = plan.synapses[s];
                    if targets.contains(&syn.post) {
                        let w = to_fixed(weights[s], plan.fixed_scale);
                        store.words.push(((w as u32) << delay_bits) | syn.delay());
                        store.targets.push(T::narrow(syn.post - targets.start));
                    }
                }
                store.row_ptr.push(store.targets.len() as u32);
            }
            store.find_uniform(first);
        }
        store
    }

    /// Marks the last projection (whose words start at `first`) as having one delay and one
    /// weight where it does, and drops its words when both.
    fn find_uniform(&mut self, first: usize) {
        let (delay_bits, words) = (self.delay_bits, &self.words[first..]);
        let delay = |w: u32| w & ((1u32 << delay_bits) - 1);
        let weight = |w: u32| w as i32 >> delay_bits;
        let Some(&w0) = words.first() else { return };
        if !words.iter().all(|&w| delay(w) == delay(w0)) {
            return;
        }
        let p = self.projections.last_mut().expect("pushed");
        p.delay = delay(w0);
        if words.iter().all(|&w| weight(w) == weight(w0)) {
            p.weight = Some(weight(w0));
            self.words.truncate(first);
        }
    }

    /// The words of projection `p`'s synapses at positions `synapses` in `targets` (`p` keeps
    /// words).
    #[inline(always)]
    pub(super) fn words_of(&self, p: &StoreProjection, synapses: Range<usize>) -> &[u32] {
        &self.words[synapses.start - p.word_shift..synapses.end - p.word_shift]
    }

    /// The positions in `targets` of row `r` (local to the pre population) of projection `p`.
    #[inline(always)]
    pub(super) fn row(&self, p: &StoreProjection, r: u32) -> Range<usize> {
        let at = p.row_base as usize + r as usize;
        self.row_ptr[at] as usize..self.row_ptr[at + 1] as usize
    }
}

impl WideStore {
    fn build(plan: &Plan, weights: &[f32], own: Range<u32>) -> Self {
        // Rows by global pre neuron: more than the plan's neurons on a rank of a distributed run.
        let n = plan.row_ptr.len() - 1;
        let mut store = Self {
            row_ptr: Vec::with_capacity(n + 1),
            synapses: Vec::new(),
            weights: Vec::new(),
            eligibility: Vec::new(),
            modulated_runs: Vec::new(),
            plan_index: Vec::new(),
            col_ptr: Vec::new(),
            col_entries: Vec::new(),
        };
        store.row_ptr.push(0);
        for g in 0..n {
            for s in plan.row_ptr[g] as usize..plan.row_ptr[g + 1] as usize {
                if own.contains(&plan.synapses[s].post) {
                    store.synapses.push(plan.synapses[s]);
                    store.weights.push(weights[s]);
                    store.plan_index.push(s as u32);
                }
            }
            store.row_ptr.push(store.synapses.len() as u32);
        }
        if plan.modulation_interval > 0 {
            store.eligibility = vec![0.0; store.synapses.len()];
            store.modulated_runs = modulated_runs(plan, &store.synapses);
        }
        if !plan.col_ptr.is_empty() {
            store.col_ptr.push(0);
            for j in own.clone() {
                let column = plan.col_ptr[j as usize] as usize..plan.col_ptr[j as usize + 1] as usize;
                for e in &plan.col_entries[column] {
                    let here = store
                        .plan_index
                        .binary_search(&e[0])
                        .expect("a column entry of an owned post neuron is an owned synapse");
                    store.col_entries.push([here as u32, e[1], e[2]]);
                }
                store.col_ptr.push(store.col_entries.len() as u32);
            }
        }
        store
    }

    /// The positions of global neuron `pre`'s owned synapses.
    #[inline(always)]
    pub(super) fn row(&self, pre: u32) -> Range<usize> {
        self.row_ptr[pre as usize] as usize..self.row_ptr[pre as usize + 1] as usize
    }
}

#[cfg(test)]
impl<T: TargetIndex> CompactStore<T> {
    /// The fixed-point weight of every stored synapse, in `targets` order.
    fn fixed_weights(&self) -> Vec<i32> {
        let mut out = Vec::with_capacity(self.targets.len());
        for (k, p) in self.projections.iter().enumerate() {
            let start = self.row_ptr[p.row_base as usize] as usize;
            let end = self.projections.get(k + 1).map_or(self.targets.len(), |next| {
                self.row_ptr[next.row_base as usize] as usize
            });
            match p.weight {
                Some(w) => out.extend(std::iter::repeat_n(w, end - start)),
                None => out.extend(
                    self.words_of(p, start..end)
                        .iter()
                        .map(|&w| w as i32 >> self.delay_bits),
                ),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::networks;

    /// Brunel's projections (one weight and one delay each) keep targets only, the
    /// microcircuit's (drawn weights and delays) keep words; both deliver the same weights.
    #[test]
    fn projections_of_one_weight_and_delay_keep_targets_only() {
        let plan = Plan::new(&networks::by_name("brunel", 3, 0.02).unwrap()).unwrap();
        let n = plan.n_neurons;
        for own in [0..n, 0..n / 2, n / 2..n] {
            let SynapseStore::Compact16(store) = SynapseStore::build(&plan, &plan.weights, own, true) else {
                panic!("brunel qualifies for the compact store");
            };
            assert!(store.words.is_empty());
            assert!(
                store
                    .projections
                    .iter()
                    .all(|p| p.weight.is_some() || p.delay == MIXED_DELAYS)
            );
            assert!(store.projections.iter().any(|p| p.weight.is_some()));
        }
        let plan = Plan::new(&networks::by_name("microcircuit", 3, 0.02).unwrap()).unwrap();
        let store = SynapseStore::build(&plan, &plan.weights, 0..plan.n_neurons, true);
        let SynapseStore::Compact16(store) = store else {
            panic!("the microcircuit qualifies for the compact 16-bit store");
        };
        assert_eq!(store.words.len(), store.targets.len());
        assert!(store.projections.iter().all(|p| p.weight.is_none()));
    }

    /// Every stored synapse of the plan is in exactly one thread's store, with its own weight
    /// and delay.
    #[test]
    fn the_threads_stores_hold_every_synapse_once() {
        for (name, scale) in [("cuba", 0.1), ("brunel-stdp", 0.02), ("microcircuit", 0.02)] {
            let plan = Plan::new(&networks::by_name(name, 3, scale).unwrap()).unwrap();
            let n = plan.n_neurons;
            for (bounds, compact) in [
                (vec![0, n], true),
                (vec![0, n / 3, n / 2, n], true),
                (vec![0, n / 2, n], false),
            ] {
                let mut total = 0;
                let mut sum = 0i64;
                for t in 0..bounds.len() - 1 {
                    let store = SynapseStore::build(&plan, &plan.weights, bounds[t]..bounds[t + 1], compact);
                    total += store.len();
                    sum += match &store {
                        SynapseStore::Compact16(s) => {
                            s.fixed_weights().iter().map(|&w| i64::from(w)).sum::<i64>()
                        }
                        SynapseStore::Compact32(s) => {
                            s.fixed_weights().iter().map(|&w| i64::from(w)).sum::<i64>()
                        }
                        SynapseStore::Wide(s) => s
                            .weights
                            .iter()
                            .map(|&w| i64::from(to_fixed(w, plan.fixed_scale)))
                            .sum(),
                    };
                }
                assert_eq!(total, plan.synapses.len(), "{name}");
                let expected: i64 = plan
                    .weights
                    .iter()
                    .map(|&w| i64::from(to_fixed(w, plan.fixed_scale)))
                    .sum();
                assert_eq!(sum, expected, "{name}");
            }
        }
    }
}
