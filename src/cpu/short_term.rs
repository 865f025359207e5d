//! Tsodyks-Markram short-term plasticity in `propagate` (the twin of the short-term part of
//! `shaders/stages/propagate.wgsl`): each thread keeps every (projection, presynaptic
//! neuron) slot and advances it at each spike of the tick, so every thread sees the same
//! `u x`, then delivers its own synapses at `w u x`. A synapse with its own `U` keeps its own
//! `u` and `x` (in the thread that owns it), advanced over the slot's interval.

use crate::plan::short_term::{NO_SYNAPSE_STATE, ShortTermTables, advance, advance_with};
use crate::plan::{Plan, to_fixed};

/// One thread's copy of the short-term state, and each owned synapse's slot.
pub(super) struct ShortTermState {
    /// Per slot: `u`, `x`, and the tick of the last spike (`None` before the first).
    u: Vec<f32>,
    x: Vec<f32>,
    last: Vec<Option<u32>>,
    /// Per slot: `u x` after the slot's latest spike.
    factor: Vec<f32>,
    /// Per slot: the interval before its latest spike, in ticks (`None`: it was the first).
    interval: Vec<Option<u32>>,
    /// Per synapse of the thread's wide store: 1 + its slot, 0 for a static synapse.
    pub slot_of: Vec<u32>,
    /// Per synapse of the store: its index in `own` ([`NO_SYNAPSE_STATE`]: it uses the
    /// slot's state).
    own_of: Vec<u32>,
    /// `(U, u, x)` of the store's synapses with their own `U`.
    own: Vec<[f32; 3]>,
}

impl ShortTermState {
    /// The initial state for the synapses at plan indices `plan_index`; `None` when no
    /// projection has short-term plasticity.
    pub(super) fn new(tables: &ShortTermTables, plan_index: &[u32]) -> Option<Self> {
        if tables.is_empty() {
            return None;
        }
        let mut slot_of_plan = std::collections::HashMap::new();
        for (slot, seg) in tables.segments.iter().enumerate() {
            for s in seg[0]..seg[1] {
                slot_of_plan.insert(s, slot as u32 + 1);
            }
        }
        let mut u = Vec::with_capacity(tables.slots());
        for p in &tables.projections {
            u.extend(std::iter::repeat_n(p.u, p.pre_size as usize));
        }
        let slot_of: Vec<u32> = plan_index
            .iter()
            .map(|s| slot_of_plan.get(s).copied().unwrap_or(0))
            .collect();
        let mut own = Vec::new();
        let own_of = slot_of
            .iter()
            .zip(plan_index)
            .map(|(&slot, &s)| {
                let first = match slot {
                    0 => NO_SYNAPSE_STATE,
                    slot => tables.first_synapse[slot as usize - 1],
                };
                if first == NO_SYNAPSE_STATE {
                    return NO_SYNAPSE_STATE;
                }
                let big_u = tables.synapse_u[(first + s - tables.segments[slot as usize - 1][0]) as usize];
                own.push([big_u, big_u, 1.0]);
                own.len() as u32 - 1
            })
            .collect();
        Some(Self {
            x: vec![1.0; u.len()],
            last: vec![None; u.len()],
            factor: vec![0.0; u.len()],
            interval: vec![None; u.len()],
            u,
            slot_of,
            own_of,
            own,
        })
    }

    /// Advances the slots of every spike of tick `tick` (global ids).
    pub(super) fn on_spikes(
        &mut self,
        tables: &ShortTermTables,
        tick: u64,
        spikes: impl Iterator<Item = u32>,
    ) {
        let now = tick as u32;
        for g in spikes {
            for p in &tables.projections {
                if g.wrapping_sub(p.pre_start) >= p.pre_size {
                    continue;
                }
                let slot = (p.slot_base + g - p.pre_start) as usize;
                let ticks = self.last[slot].map(|last| now.wrapping_sub(last));
                let (u, x) = advance(p, self.u[slot], self.x[slot], ticks);
                self.u[slot] = u;
                self.x[slot] = x;
                self.last[slot] = Some(now);
                self.interval[slot] = ticks;
                self.factor[slot] = u * x;
            }
        }
    }

    /// The fixed-point value synapse `i` of the store delivers at weight `w` (called once
    /// per spike of its presynaptic neuron, after [`ShortTermState::on_spikes`]: a synapse
    /// with its own `U` advances its state here).
    #[inline(always)]
    pub(super) fn fixed(&mut self, i: usize, w: f32, plan: &Plan) -> i32 {
        let slot = match self.slot_of[i] {
            0 => return to_fixed(w, plan.fixed_scale),
            slot => slot as usize - 1,
        };
        let factor = match self.own_of[i] {
            NO_SYNAPSE_STATE => self.factor[slot],
            k => {
                let p = plan
                    .short_term
                    .projections
                    .iter()
                    .rfind(|p| p.slot_base as usize <= slot)
                    .expect("a slot belongs to a projection");
                let [big_u, u, x] = self.own[k as usize];
                let (u, x) = advance_with(p, big_u, u, x, self.interval[slot]);
                self.own[k as usize] = [big_u, u, x];
                u * x
            }
        };
        to_fixed(w * factor, plan.fixed_scale)
    }
}
