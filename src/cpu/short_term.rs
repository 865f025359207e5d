//! Tsodyks-Markram short-term plasticity in `propagate` (the twin of the short-term part of
//! `shaders/stages/propagate.wgsl`): each thread keeps every (projection, presynaptic
//! neuron) slot and advances it at each spike of the tick, so every thread sees the same
//! `u x`, then delivers its own synapses at `w u x`.

use crate::plan::short_term::{ShortTermTables, advance};
use crate::plan::{Plan, to_fixed};

/// One thread's copy of the short-term state, and each owned synapse's slot.
pub(super) struct ShortTermState {
    /// Per slot: `u`, `x`, and the tick of the last spike (`None` before the first).
    u: Vec<f32>,
    x: Vec<f32>,
    last: Vec<Option<u32>>,
    /// Per slot: `u x` after the slot's latest spike.
    factor: Vec<f32>,
    /// Per synapse of the thread's wide store: 1 + its slot, 0 for a static synapse.
    pub slot_of: Vec<u32>,
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
        Some(Self {
            x: vec![1.0; u.len()],
            last: vec![None; u.len()],
            factor: vec![0.0; u.len()],
            u,
            slot_of: plan_index
                .iter()
                .map(|s| slot_of_plan.get(s).copied().unwrap_or(0))
                .collect(),
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
                self.factor[slot] = u * x;
            }
        }
    }

    /// The fixed-point value synapse `i` of the store delivers at weight `w`.
    #[inline(always)]
    pub(super) fn fixed(&self, i: usize, w: f32, plan: &Plan) -> i32 {
        match self.slot_of[i] {
            0 => to_fixed(w, plan.fixed_scale),
            slot => to_fixed(w * self.factor[slot as usize - 1], plan.fixed_scale),
        }
    }
}
