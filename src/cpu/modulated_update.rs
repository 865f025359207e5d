//! `modulated_update`: reward-modulated weight changes and neuromodulator channels (twin of
//! `shaders/stages/modulated_update.wgsl` and the relaxation in `tick_end.wgsl`).

use super::synapses::WideStore;
use super::*;

impl Worker<'_> {
    /// `modulated_update`: on the last tick of every update interval, each owned
    /// reward-modulated synapse moves by eligibility x level x interval, and its eligibility
    /// decays; then (`tick_end.wgsl`) every channel level relaxes towards its baseline.
    #[inline(always)]
    pub(super) fn modulated_update(&mut self) {
        if !self.modulation_tick() {
            return;
        }
        if let SynapseStore::Wide(store) = &mut self.part.synapses {
            let shared = self.shared;
            store.modulate(self.plan, |channel| shared.modulator(channel));
        }
    }

    /// Whether this tick is the last of a reward-modulation update interval run in the tick
    /// (on a rank of a distributed run the update comes with the delivery instead:
    /// [`rank_modulated_update`]).
    #[inline(always)]
    pub(super) fn modulation_tick(&self) -> bool {
        self.plan.partition.is_none() && ends_interval(self.plan, self.tick)
    }
}

/// Whether `tick` is the last of a reward-modulation update interval.
#[inline(always)]
fn ends_interval(plan: &Plan, tick: u64) -> bool {
    let interval = plan.modulation_interval;
    interval > 0 && (tick + 1).is_multiple_of(u64::from(interval))
}

/// On a rank of a distributed run, with the delivery of `tick` (`deliver.rs`): where the
/// tick ends an update interval, thread `me`'s reward-modulated synapses move, then, once
/// every thread has read the levels, thread 0 relaxes them: `modulated_update` and
/// `tick_end` of one process, after the tick's STDP walks as there.
pub(super) fn rank_modulated_update(
    plan: &Plan,
    shared: &Shared,
    part: &mut Part,
    (barrier, me): (&Barrier, usize),
    tick: u64,
) {
    if !ends_interval(plan, tick) {
        return;
    }
    if let SynapseStore::Wide(store) = &mut part.synapses {
        store.modulate(plan, |channel| shared.modulator(channel));
    }
    barrier.wait(me);
    if me == 0 {
        let mut levels: Vec<f32> = (0..shared.modulators.len())
            .map(|i| shared.modulator(i))
            .collect();
        relax_modulators(&mut levels);
        for (cell, x) in shared.modulators.iter().zip(levels) {
            cell.store(x.to_bits(), Relaxed);
        }
    }
}

impl WideStore {
    /// The reward-modulated update of the stored synapses, at channel levels `level`: the
    /// same operations in the same order for each synapse as `modulated_update.wgsl`, one
    /// run of a rule at a time.
    #[inline(always)]
    fn modulate(&mut self, plan: &Plan, level: impl Fn(usize) -> f32) {
        for &(first, end, rule) in &self.modulated_runs {
            let p = &plan.plastic[rule as usize];
            let (d, interval, decay) = (level(p.channel as usize), p.interval_s, p.decay_eligibility);
            let (w_min, w_max) = (p.w_min, p.w_max);
            let run = first as usize..end as usize;
            let (weights, eligibility) = (&mut self.weights[run.clone()], &mut self.eligibility[run]);
            for (w, e) in weights.iter_mut().zip(eligibility.iter_mut()) {
                let c = *e;
                *w = clamp(*w + c * d * interval, w_min, w_max);
                *e = c * decay;
            }
        }
    }
}

/// `f32::clamp` without its check that the bounds are ordered (the plan checked them), so
/// that the loop around it vectorises; NaN passes through as with `clamp`.
#[inline(always)]
fn clamp(x: f32, low: f32, high: f32) -> f32 {
    let x = if x < low { low } else { x };
    if x > high { high } else { x }
}

impl CpuBackend {
    /// Level of neuromodulator channel `channel` (0 global, 1 + p population p).
    pub fn modulator(&self, channel: usize) -> f32 {
        self.shared.modulator(channel)
    }

    /// Levels of all neuromodulator channels (0 global, 1 + p population p).
    pub fn modulator_levels(&self) -> Vec<f32> {
        (0..self.shared.modulators.len() / 3)
            .map(|i| self.shared.modulator(i))
            .collect()
    }

    /// Sets the level of a neuromodulator channel from the next tick on.
    pub fn set_modulator(&mut self, channel: usize, level: f32) {
        self.shared.modulators[channel].store(level.to_bits(), Relaxed);
    }
}

/// `tick_end.wgsl`: every channel level relaxes one update interval towards its baseline.
pub fn relax_modulators(modulators: &mut [f32]) {
    let n = modulators.len() / 3;
    for i in 0..n {
        let (base, decay) = (modulators[n + i], modulators[2 * n + i]);
        modulators[i] = base + (modulators[i] - base) * decay;
    }
}
