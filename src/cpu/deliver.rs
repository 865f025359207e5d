//! `deliver_spikes`: a rank of a distributed run ([`crate::distributed`]) delivers every
//! rank's spikes, its own included, once they have been exchanged, instead of propagating
//! them in their tick (its tick schedule has no `propagate`). Each spike walks its row (rows
//! by global neuron on a rank, targets local) with its own tick: the weights land in slot
//! `(tick + delay) % D`, exactly where `propagate` would have put them in the spike's tick.
//! That slot is still ahead of the ring's reader, because spikes are exchanged at least
//! once per smallest delay. Fixed-point sums do not depend on the order of their terms, so
//! the inputs are bit for bit a single process's.
//!
//! A plastic rank runs its STDP stages here too, not in the tick (its schedule has none):
//! tick by tick over the exchanged span it delivers the tick's spikes, advances the traces
//! (pre-synaptic ones by global neuron from every rank's spikes, post-synaptic ones of its
//! own neurons) and walks the spikes of `tick - lag`, in the order one process runs them.
//! Each synapse then sees the same weight at every delivery and the same changes in the
//! same order as in one process. The lag (the largest delay) is at least the exchange
//! interval, so the spikes of `tick - lag` are always from an earlier exchange, and the
//! traces a walk of `tick` reads are of ticks before `tick`. Reward-modulated plasticity
//! follows in the same order: after the walks of a tick that ends an update interval, each
//! synapse moves by its eligibility and the neuromodulator levels relax
//! (`modulated_update.rs`), so a delivery sees the weights one process's would.
//!
//! Short-term plasticity and stochastic release act at each spike's delivery, as in
//! `propagate` ([`deliver_modulated`]).

use super::modulated_update::rank_modulated_update;
use super::stdp::{depression_from, potentiation_from};
use super::*;

/// A plastic rank's exchanged spikes of the last `hist_len` ticks (global ids, ascending per
/// tick), which its pre-synaptic walks read `stdp_lag` ticks later.
#[derive(Default)]
pub(super) struct Exchanged {
    /// Per tick slot (`tick % hist_len`): the spikes of the tick filed there.
    pub ticks: Vec<Vec<u32>>,
    /// The first tick not delivered yet.
    pub next: u64,
}

impl Exchanged {
    /// The spikes of tick `tick` (within the last `hist_len` delivered ticks).
    pub fn spikes_of(&self, tick: u64, hist_len: u32) -> Vec<u32> {
        let slot = (tick % u64::from(hist_len)) as usize;
        self.ticks.get(slot).cloned().unwrap_or_default()
    }

    /// Files `spikes` (ascending global ids) as those of tick `tick`.
    pub fn file(&mut self, tick: u64, hist_len: u32, spikes: &[u32]) {
        self.ticks.resize_with(hist_len as usize, Vec::new);
        self.ticks[(tick % u64::from(hist_len)) as usize] = spikes.to_vec();
    }
}

impl CpuBackend {
    /// Delivers `spikes` (global neuron ids, in (tick, neuron) order): every spike fired
    /// since the last delivery, each less than the smallest delay ago, each thread to its
    /// own targets; on a plastic rank with the STDP stages of those ticks (module docs).
    pub fn deliver_spikes(&mut self, spikes: &[Spike]) {
        if self.plan.plastic.is_empty() {
            self.deliver_static(spikes);
        } else {
            self.deliver_plastic(spikes);
        }
    }

    fn deliver_static(&mut self, spikes: &[Spike]) {
        let (plan, parts) = (&self.plan, &self.parts);
        self.pool
            .run(&|t| deliver_tick(plan, &mut lock(&parts[t]), spikes));
    }

    fn deliver_plastic(&mut self, spikes: &[Spike]) {
        let h = u64::from(self.plan.hist_len);
        let (first, end) = (self.exchanged.next, self.tick);
        let history = &mut self.exchanged;
        history.ticks.resize_with(h as usize, Vec::new);
        for tick in first..end {
            history.ticks[(tick % h) as usize].clear();
        }
        for s in spikes.iter().filter(|s| (first..end).contains(&s.tick)) {
            history.ticks[(s.tick % h) as usize].push(s.neuron);
        }
        history.next = end;
        let (plan, shared, parts, history) = (&self.plan, &self.shared, &self.parts, &self.exchanged);
        let (barrier, threads) = (self.pool.barrier(), self.pool.threads());
        let lag = u64::from(plan.stdp_lag);
        self.pool.run(&|me| {
            let mut part = lock(&parts[me]);
            let mut tick_spikes = Vec::new();
            for tick in first..end {
                // Every thread has finished the walks of the tick before, which read the
                // trace slot this tick overwrites.
                barrier.wait(me);
                let fired = &history.ticks[(tick % h) as usize];
                tick_spikes.clear();
                tick_spikes.extend(fired.iter().map(|&neuron| Spike { tick, neuron }));
                deliver_tick(plan, &mut part, &tick_spikes);
                rank_traces(plan, shared, &part, (me, threads), tick, fired);
                if let Some(te) = tick.checked_sub(lag) {
                    rank_stdp_pre(plan, shared, &mut part, te, &history.ticks[(te % h) as usize]);
                    rank_stdp_post(plan, shared, &mut part, me, te);
                }
                rank_modulated_update(plan, shared, &mut part, (barrier, me), tick);
            }
        });
    }

    /// The plan the backend runs (without its synapses, which the threads hold).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

/// Adds each of `spikes` to the thread's own targets, in slot `(tick + delay) % D`; with
/// short-term plasticity or stochastic release as `propagate` does ([`deliver_modulated`]).
fn deliver_tick(plan: &Plan, part: &mut Part, spikes: &[Spike]) {
    if part.short_term.is_some() || !plan.release.is_empty() {
        deliver_modulated(plan, part, spikes);
        return;
    }
    let slots = u64::from(plan.ring_slots);
    let scale = plan.fixed_scale;
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
            let idx = (syn.port() as usize * slots as usize + slot) * n_own + (syn.post - first) as usize;
            part.ring[idx] = part.ring[idx].wrapping_add(to_fixed(w, scale));
        }
    }
    part.events += events;
}

/// [`deliver_tick`] with short-term plasticity (each spike advances its slots in the
/// thread's copy of the state, then its synapses deliver `w u x`, as in `propagate`) or
/// stochastic release (each synapse draws its word with the keys of one process: the tick
/// and its index among one process's merged synapses, [`Partition::release_keys`]). The
/// spikes come in (tick, neuron) order, so every slot sees its spikes in tick order.
///
/// [`Partition::release_keys`]: crate::plan::rank::Partition::release_keys
fn deliver_modulated(plan: &Plan, part: &mut Part, spikes: &[Spike]) {
    let slots = u64::from(plan.ring_slots);
    let Part {
        synapses,
        short_term,
        ring,
        own,
        events,
        ..
    } = part;
    let SynapseStore::Wide(store) = &*synapses else {
        unreachable!("a rank's synapses are kept wide (CpuBackend::with_storage)")
    };
    let keys = plan.partition.as_deref().map_or(&[][..], |p| &p.release_keys[..]);
    let (n_own, first) = (own.len(), own.start);
    for spike in spikes {
        if let Some(stp) = short_term.as_mut() {
            stp.on_spikes(&plan.short_term, spike.tick, std::iter::once(spike.neuron));
        }
        let row = store.row(spike.neuron);
        *events += row.len() as u64;
        for i in row {
            let s = store.plan_index[i];
            if !keys.is_empty() && !stochastic::released_as(plan, s, keys[s as usize], spike.tick) {
                continue;
            }
            let (syn, w) = (store.synapses[i], store.weights[i]);
            let value = match short_term.as_mut() {
                Some(stp) => stp.fixed(i, w, plan),
                None => to_fixed(w, plan.fixed_scale),
            };
            let slot = ((spike.tick + u64::from(syn.delay())) % slots) as usize;
            let idx = (syn.port() as usize * slots as usize + slot) * n_own + (syn.post - first) as usize;
            ring[idx] = ring[idx].wrapping_add(value);
        }
    }
}

/// `stdp_traces` on a rank: thread `me` of `threads` advances its share of every plastic
/// projection's pre-synaptic neurons (global, from every rank's spikes `fired`) and its own
/// post-synaptic neurons, one tick.
fn rank_traces(
    plan: &Plan,
    shared: &Shared,
    part: &Part,
    (me, threads): (usize, usize),
    tick: u64,
    fired: &[u32],
) {
    let own_fired: Vec<u32> = shared.spikes_of(shared.slot(tick), me).collect();
    for p in &plan.plastic {
        let nearest = p.flags & 1 == 1;
        let share = |t: usize| (u64::from(p.pre_size) * t as u64 / threads as u64) as u32;
        let pre = p.pre_start + share(me)..p.pre_start + share(me + 1);
        let pre_side = (p.pre_trace, p.pre_start, p.pre_size, [p.decay_plus, p.decay_x]);
        advance_traces(plan, shared, pre_side, pre, fired, tick, nearest);
        let post = owned(&part.own, p.post_start, p.post_size);
        let post_side = (
            p.post_trace,
            p.post_start,
            p.post_size,
            [p.decay_minus, p.decay_y],
        );
        advance_traces(plan, shared, post_side, post, &own_fired, tick, nearest);
    }
}

/// Advances the traces of neurons `range` of one side of a projection (its trace offset,
/// first neuron, size and two decays) to `tick`; `fired`: the tick's spikes, ascending.
fn advance_traces(
    plan: &Plan,
    shared: &Shared,
    (offset, start, size, decays): (u32, u32, u32, [f32; 2]),
    range: Range<u32>,
    fired: &[u32],
    tick: u64,
    nearest: bool,
) {
    let h = plan.hist_len as usize;
    let (cur, prev) = (
        (tick % h as u64) as usize,
        ((tick + h as u64 - 1) % h as u64) as usize,
    );
    let mut next = fired.partition_point(|&g| g < range.start);
    for g in range {
        let spiked = fired.get(next) == Some(&g);
        next += usize::from(spiked);
        let local = (g - start) as usize;
        for (which, decay) in decays.into_iter().enumerate() {
            let at = |slot: usize| offset as usize + (which * h + slot) * size as usize + local;
            shared.set_trace(
                at(cur),
                trace_step(shared.trace(at(prev)), decay, spiked, nearest),
            );
        }
    }
}

/// `stdp_pre` on a rank: every rank's spikes of tick `te` (global ids) reach the thread's
/// plastic synapses and depress.
fn rank_stdp_pre(plan: &Plan, shared: &Shared, part: &mut Part, te: u64, fired: &[u32]) {
    let SynapseStore::Wide(store) = &mut part.synapses else {
        return;
    };
    let trace = |i: usize| shared.trace(i);
    for &i in fired {
        for s in store.row(i) {
            let syn = store.synapses[s];
            if syn.plastic() == 0 {
                continue;
            }
            let p = &plan.plastic[syn.plastic() as usize - 1];
            let dw = -depression_from(p, &trace, plan.hist_len, syn, i, te, store.weights[s]);
            apply_change(p, &mut store.weights, &mut store.eligibility, s, dw);
        }
    }
}

/// `stdp_post` on a rank: the thread's own spikes of tick `te` (local ids) reach their
/// plastic synapses and potentiate.
fn rank_stdp_post(plan: &Plan, shared: &Shared, part: &mut Part, me: usize, te: u64) {
    let SynapseStore::Wide(store) = &mut part.synapses else {
        return;
    };
    let trace = |i: usize| shared.trace(i);
    for j in shared.spikes_of(shared.slot(te), me) {
        let local = (j - part.own.start) as usize;
        for e in &store.col_entries[store.col_ptr[local] as usize..store.col_ptr[local + 1] as usize] {
            let (s, i) = (e[0] as usize, e[1]);
            let syn = Synapse {
                post: j,
                delay_port: e[2],
            };
            let p = &plan.plastic[syn.plastic() as usize - 1];
            let dw = potentiation_from(p, &trace, plan.hist_len, syn, i, te, store.weights[s]);
            apply_change(p, &mut store.weights, &mut store.eligibility, s, dw);
        }
    }
}
