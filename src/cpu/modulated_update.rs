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

    /// Whether this tick is the last of a reward-modulation update interval.
    #[inline(always)]
    pub(super) fn modulation_tick(&self) -> bool {
        let interval = self.plan.modulation_interval;
        interval > 0 && (self.tick + 1).is_multiple_of(u64::from(interval))
    }
}

impl WideStore {
    /// The reward-modulated update of the stored synapses, at channel levels `level`.
    #[inline(always)]
    fn modulate(&mut self, plan: &Plan, level: impl Fn(usize) -> f32) {
        for (s, syn) in self.synapses.iter().enumerate() {
            if syn.plastic() == 0 {
                continue;
            }
            let p = &plan.plastic[syn.plastic() as usize - 1];
            if p.flags & 8 == 0 {
                continue;
            }
            let c = self.eligibility[s];
            let d = level(p.channel as usize);
            self.weights[s] = (self.weights[s] + c * d * p.interval_s).clamp(p.w_min, p.w_max);
            self.eligibility[s] = c * p.decay_eligibility;
        }
    }
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
