//! The STDP stages: traces, depression along rows and potentiation along
//! transpose columns (twins of `shaders/stages/stdp_*.wgsl`). The spike history they read is
//! the threads' spike lists, kept `Plan::hist_len` ticks.
//!
//! A thread updates the traces of its own neurons and the synapses that target them; the
//! traces it reads of other threads' neurons are from earlier ticks (behind a barrier).

use super::*;

impl Worker<'_> {
    /// `stdp_traces`: decay every owned neuron's traces one tick and add this tick's spikes.
    #[inline(always)]
    pub(super) fn stdp_traces(&mut self) {
        let h = self.plan.hist_len;
        let h64 = u64::from(h);
        let (cur, prev) = ((self.tick % h64) as usize, ((self.tick + h64 - 1) % h64) as usize);
        let (part, shared) = (&*self.part, self.shared);
        let own = part.own.clone();
        for p in &self.plan.plastic {
            let nearest = p.flags & 1 == 1;
            let sides = [
                (p.pre_trace, p.pre_start, p.pre_size, [p.decay_plus, p.decay_x]),
                (
                    p.post_trace,
                    p.post_start,
                    p.post_size,
                    [p.decay_minus, p.decay_y],
                ),
            ];
            for (offset, start, size, decays) in sides {
                for g in owned(&own, start, size) {
                    let local = (g - start) as usize;
                    let spiked = part.spiked_at[super::local(&own, g)] == self.tick;
                    for (which, decay) in decays.into_iter().enumerate() {
                        let at = |slot: usize| {
                            offset as usize + (which * h as usize + slot) * size as usize + local
                        };
                        shared.set_trace(
                            at(cur),
                            trace_step(shared.trace(at(prev)), decay, spiked, nearest),
                        );
                    }
                }
            }
        }
    }

    /// `stdp_pre`: the spikes of tick t - lag reach their owned synapses and depress.
    #[inline(always)]
    pub(super) fn stdp_pre(&mut self) {
        let Some(te) = self.tick.checked_sub(u64::from(self.plan.stdp_lag)) else {
            return;
        };
        let (plan, shared) = (self.plan, self.shared);
        let SynapseStore::Wide(store) = &mut self.part.synapses else {
            return;
        };
        let trace = |i: usize| shared.trace(i);
        for i in shared.spikes(shared.slot(te)) {
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

    /// `stdp_post`: owned post spikes of tick t - lag reach their synapses and potentiate.
    #[inline(always)]
    pub(super) fn stdp_post(&mut self) {
        let Some(te) = self.tick.checked_sub(u64::from(self.plan.stdp_lag)) else {
            return;
        };
        let (plan, shared) = (self.plan, self.shared);
        let part = &mut *self.part;
        let SynapseStore::Wide(store) = &mut part.synapses else {
            return;
        };
        let trace = |i: usize| shared.trace(i);
        let mut gathered = std::mem::take(&mut part.column);
        for j in shared.spikes_of(shared.slot(te), self.me) {
            let local = (j - part.own.start) as usize;
            let column = &store.col_entries[store.col_ptr[local] as usize..store.col_ptr[local + 1] as usize];
            // The weights of a column lie far apart: gather them in a tight loop first, so
            // that their cache misses overlap instead of queueing behind the arithmetic. The
            // entry carries the synapse's delay word, so the synapse itself is not read.
            gathered.clear();
            gathered.extend(column.iter().map(|e| store.weights[e[0] as usize]));
            for (e, &w) in column.iter().zip(&gathered) {
                let (s, i) = (e[0] as usize, e[1]);
                let syn = Synapse {
                    post: j,
                    delay_port: e[2],
                };
                let p = &plan.plastic[syn.plastic() as usize - 1];
                let dw = potentiation_from(p, &trace, plan.hist_len, syn, i, te, w);
                apply_change(p, &mut store.weights, &mut store.eligibility, s, dw);
            }
        }
        part.column = gathered;
    }
}

/// One tick of a trace (`stdp_traces.wgsl`): decay, then +1 (all-to-all) or reset to 1
/// (nearest) on a spike.
pub fn trace_step(previous: f32, decay: f32, spiked: bool, nearest: bool) -> f32 {
    let x = previous * decay;
    if !spiked {
        x
    } else if nearest {
        1.0
    } else {
        x + 1.0
    }
}

/// Trace `which` (0 or 1) of neuron `local` of the block at `offset` at `tick`, 0 before time,
/// read through `trace` (index into the trace histories).
#[inline(always)]
fn trace_at(
    trace: &impl Fn(usize) -> f32,
    offset: u32,
    which: u32,
    size: u32,
    local: u32,
    tick: i64,
    h: u32,
) -> f32 {
    if tick < 0 {
        return 0.0;
    }
    let slot = (tick % i64::from(h)) as u32;
    trace((offset + (which * h + slot) * size + local) as usize)
}

/// Weight dependence factor of potentiation (`true`) or depression (`false`).
pub(super) fn dependence(p: &PlasticGpu, w: f32, potentiation: bool) -> f32 {
    let distance = if potentiation {
        (p.w_max - w) * p.inv_span
    } else {
        (w - p.w_min) * p.inv_span
    };
    match (p.flags >> 1) & 3 {
        0 => 1.0,
        1 => distance,
        _ => distance.max(0.0).powf(p.mu),
    }
}

/// `apply_change` in `stdp_common.wgsl`: a signed change `dw` goes to the weight (clipped to
/// the bounds) or, for a reward-modulated projection, to the synapse's eligibility trace.
#[inline(always)]
pub fn apply_change(p: &PlasticGpu, weights: &mut [f32], eligibility: &mut [f32], s: usize, dw: f32) {
    if p.flags & 8 != 0 {
        eligibility[s] += dw;
    } else {
        weights[s] = (weights[s] + dw).clamp(p.w_min, p.w_max);
    }
}

/// `stdp_pre.wgsl`: a pre spike emitted at `te` by global neuron `pre` reaches synapse `syn`
/// at `te + d_a`; the size of the depression with the post trace there, just before that time.
pub fn depression(p: &PlasticGpu, traces: &[f32], h: u32, syn: Synapse, pre: u32, te: u64, w: f32) -> f32 {
    depression_from(p, &|i| traces[i], h, syn, pre, te, w)
}

/// [`depression`] reading the traces through `trace`.
#[inline(always)]
pub(super) fn depression_from(
    p: &PlasticGpu,
    trace: &impl Fn(usize) -> f32,
    h: u32,
    syn: Synapse,
    pre: u32,
    te: u64,
    w: f32,
) -> f32 {
    let (d, dd) = (syn.delay(), syn.dendritic());
    let arrival = (te as i64) + i64::from(d - dd);
    let o1 = trace_at(
        trace,
        p.post_trace,
        0,
        p.post_size,
        syn.post - p.post_start,
        arrival - i64::from(dd) - 1,
        h,
    ) * p.decay_minus;
    let r2 = trace_at(
        trace,
        p.pre_trace,
        1,
        p.pre_size,
        pre - p.pre_start,
        (te as i64) - 1,
        h,
    ) * p.decay_x;
    (p.a2_minus + p.a3_minus * r2) * o1 * dependence(p, w, false)
}

/// `stdp_post.wgsl`: a post spike emitted at `te` reaches synapse `syn` (from global neuron
/// `pre`) at `te + d_d`; the size of the potentiation with the pre trace there, just before.
pub fn potentiation(p: &PlasticGpu, traces: &[f32], h: u32, syn: Synapse, pre: u32, te: u64, w: f32) -> f32 {
    potentiation_from(p, &|i| traces[i], h, syn, pre, te, w)
}

/// [`potentiation`] reading the traces through `trace`.
#[inline(always)]
pub(super) fn potentiation_from(
    p: &PlasticGpu,
    trace: &impl Fn(usize) -> f32,
    h: u32,
    syn: Synapse,
    pre: u32,
    te: u64,
    w: f32,
) -> f32 {
    let (d, dd) = (syn.delay(), syn.dendritic());
    let arrival = (te as i64) + i64::from(dd);
    let r1 = trace_at(
        trace,
        p.pre_trace,
        0,
        p.pre_size,
        pre - p.pre_start,
        arrival - i64::from(d - dd) - 1,
        h,
    ) * p.decay_plus;
    let o2 = trace_at(
        trace,
        p.post_trace,
        1,
        p.post_size,
        syn.post - p.post_start,
        (te as i64) - 1,
        h,
    ) * p.decay_y;
    (p.a2_plus + p.a3_plus * o2) * r1 * dependence(p, w, true)
}
