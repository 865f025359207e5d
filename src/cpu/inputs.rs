//! `poisson_input` and `current_input`: this tick's Poisson counts and injected currents, in
//! fixed point (twins of `shaders/stages/poisson_input.wgsl` and `current_input.wgsl`).

use super::*;

impl CpuBackend {
    /// `poisson_input`: Poisson input into this tick's ring slot.
    pub(super) fn poisson_input(&mut self) {
        let n = self.plan.n_neurons as usize;
        let d = self.plan.ring_slots;
        let slot = (self.tick % u64::from(d)) as usize;
        for p in &self.plan.poisson {
            let segs =
                &self.plan.poisson_segments[p.seg_offset as usize..(p.seg_offset + p.seg_count) as usize];
            let seg = segs[segs
                .iter()
                .rposition(|s| u64::from(s.start_tick) <= self.tick)
                .unwrap_or(0)];
            let table =
                &self.plan.poisson_cdf[seg.cdf_offset as usize..(seg.cdf_offset + seg.cdf_len) as usize];
            if table.is_empty() {
                continue;
            }
            let base = (p.port as usize * d as usize + slot) * n;
            for local in 0..p.target_count {
                let k = poisson_count(self.plan.input_key, self.tick, local, p.stream, table);
                if k > 0 {
                    let idx = base + (p.target_start + local) as usize;
                    self.ring[idx] = self.ring[idx].wrapping_add(p.weight_fixed.wrapping_mul(k as i32));
                }
            }
        }
    }

    /// `current_input`: injected currents into the current accumulator.
    pub(super) fn current_input(&mut self) {
        for c in &self.plan.currents {
            for local in 0..c.target_count {
                let amp = current_amplitude(c, &self.plan, self.tick, local);
                let idx = (c.target_start + local) as usize;
                self.current_in[idx] =
                    self.current_in[idx].wrapping_add(to_fixed(amp, self.plan.fixed_scale));
            }
        }
    }
}

/// Poisson count for one target in one tick: one Philox call keyed by (tick, target, stream),
/// compared against the integer CDF table (`plan::poisson_cdf_table`). The tick's high word
/// is the counter's last word (0 before tick 2^32, as it always was).
#[inline]
pub fn poisson_count(key: [u32; 2], tick: u64, local: u32, stream: u32, table: &[u32]) -> u32 {
    let [lo, hi] = crate::limits::tick_words(tick);
    let r = philox4x32_10([lo, local, stream, hi], key)[0];
    table.iter().take_while(|&&t| r >= t).count() as u32
}

/// Amplitude of current source `c` for target `local` at `tick` (`current_input.wgsl`). The
/// noise's two Philox blocks take `2 * high word + block` as the counter's last word (0 and 1
/// before tick 2^32, as they always did).
pub fn current_amplitude(c: &CurrentGpu, plan: &Plan, tick: u64, local: u32) -> f32 {
    match c.kind {
        0 => c.a0,
        1 => {
            let steps = &plan.current_steps[c.step_offset as usize..(c.step_offset + c.step_count) as usize];
            steps
                .iter()
                .take_while(|s| u64::from(s.tick) <= tick)
                .last()
                .map_or(0.0, |s| s.amplitude)
        }
        _ => {
            let [lo, hi] = crate::limits::tick_words(tick);
            let r0 = philox4x32_10([lo, local, c.stream, 2 * hi], plan.input_key);
            let r1 = philox4x32_10([lo, local, c.stream, 2 * hi + 1], plan.input_key);
            let sum: u32 = r0.iter().chain(&r1).map(|x| x >> 8).sum();
            let z = (sum as f32 * (1.0 / 16_777_216.0) - 4.0) * 1.224_744_9;
            c.a0 + c.a1 * z
        }
    }
}
