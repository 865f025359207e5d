//! `propagate` and `propagate_procedural`: each spike's row added into the delay ring (twins of
//! `shaders/stages/propagate*.wgsl`).

use super::*;

impl CpuBackend {
    /// Stage 3: event-driven propagation of this tick's spikes.
    pub(super) fn propagate(&mut self) {
        let n = self.plan.n_neurons as usize;
        let d = self.plan.ring_slots as usize;
        let now = self.tick as usize % d;
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
        // Procedural projections: each spike regenerates its rows (`propagate_procedural.wgsl`).
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
