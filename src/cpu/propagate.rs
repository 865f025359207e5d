//! `prepare_propagate`, `propagate` and `propagate_procedural`: the STDP spike history, and
//! each spike's row added into the delay ring (twins of `shaders/stages/prepare_propagate.wgsl`
//! and `propagate*.wgsl`).

use super::*;

impl CpuBackend {
    /// `prepare_propagate`: with plasticity, this tick's spikes into the spike history and
    /// each spiking neuron's last spike tick. The GPU splits this work: its
    /// `prepare_propagate` writes the history entry's count and its `propagate` the ids and
    /// `spiked_at`; the CPU files the whole entry here. The GPU stage's other job, sizing the
    /// indirect dispatches of the spike-driven stages, has no CPU counterpart (the CPU
    /// stages loop over the spikes themselves).
    pub(super) fn prepare_propagate(&mut self) {
        if self.plan.plastic.is_empty() {
            return;
        }
        let slot = (self.tick % u64::from(self.plan.hist_len)) as usize;
        self.spike_hist[slot].clone_from(&self.spikes_this_tick);
        for &n in &self.spikes_this_tick {
            self.spiked_at[n as usize] = self.tick;
        }
    }

    /// `propagate`: each spike of this tick walks its stored row and adds the weights into
    /// the targets' rings at slot `(tick + delay) % D`.
    pub(super) fn propagate(&mut self) {
        let n = self.plan.n_neurons as usize;
        let d = self.plan.ring_slots as usize;
        let now = (self.tick % d as u64) as usize;
        let scale = self.plan.fixed_scale;
        let row_ptr = &self.plan.row_ptr;
        let synapses = &self.plan.synapses;
        let mut events = 0u64;
        for &src in &self.spikes_this_tick {
            let (a, b) = (row_ptr[src as usize] as usize, row_ptr[src as usize + 1] as usize);
            events += (b - a) as u64;
            for (syn, &w) in synapses[a..b].iter().zip(&self.weights[a..b]) {
                // delay < d, so one conditional subtraction replaces the modulo.
                let mut slot = now + syn.delay() as usize;
                if slot >= d {
                    slot -= d;
                }
                let idx = (syn.port() as usize * d + slot) * n + syn.post as usize;
                self.ring[idx] = self.ring[idx].wrapping_add(to_fixed(w, scale));
            }
        }
        self.total_events += events;
    }

    /// `propagate_procedural`: each spike regenerates its procedural rows and delivers them.
    pub(super) fn propagate_procedural(&mut self) {
        let n = self.plan.n_neurons as usize;
        let d = self.plan.ring_slots as usize;
        let now = (self.tick % d as u64) as usize;
        let mut events = 0u64;
        for p in &self.plan.procedural {
            let slot = (now + p.delay as usize) % d;
            let base = (p.port as usize * d + slot) * n + p.post_start as usize;
            for &src in &self.spikes_this_tick {
                if !(p.pre_start..p.pre_start + p.pre_size).contains(&src) {
                    continue;
                }
                let ring = &mut self.ring;
                crate::plan::procedural_row(self.plan.key, p, src - p.pre_start, |j| {
                    ring[base + j as usize] = ring[base + j as usize].wrapping_add(p.weight_fixed);
                    events += 1;
                });
            }
        }
        self.total_events += events;
    }
}
