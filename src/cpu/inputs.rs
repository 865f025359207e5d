//! `poisson_input` and `current_input`: this tick's Poisson counts and injected currents, in
//! fixed point (twins of `shaders/stages/poisson_input.wgsl` and `current_input.wgsl`).

use super::*;
use crate::rng::{philox4x32_10_lanes, philox4x32_10_word0_lanes};

/// Targets whose Poisson counts are drawn side by side.
const LANES: usize = 8;

impl Worker<'_> {
    /// `poisson_input`: Poisson input into this tick's ring slot, for the owned targets.
    #[inline(always)]
    pub(super) fn poisson_input(&mut self) {
        let plan = self.plan;
        let part = &mut *self.part;
        let own = part.own.clone();
        let n_own = own.len();
        let d = plan.ring_slots as usize;
        let slot = (self.tick % d as u64) as usize;
        for p in &plan.poisson {
            let segs = &plan.poisson_segments[p.seg_offset as usize..(p.seg_offset + p.seg_count) as usize];
            let seg = segs[segs
                .iter()
                .rposition(|s| u64::from(s.start_tick) <= self.tick)
                .unwrap_or(0)];
            let table = &plan.poisson_cdf[seg.cdf_offset as usize..(seg.cdf_offset + seg.cdf_len) as usize];
            let targets = owned(&own, p.target_start, p.target_count);
            if table.is_empty() || targets.is_empty() {
                continue;
            }
            let base = (p.port as usize * d + slot) * n_own;
            let ring = &mut part.ring[base + local(&own, targets.start)..base + local(&own, targets.end)];
            let first = targets.start - p.target_start;
            if let Some(part) = &plan.partition {
                // A rank draws each target with its index in the whole population.
                for (k, x) in (first..).zip(ring.iter_mut()) {
                    let count =
                        poisson_count(plan.input_key, self.tick, part.input_counter(k), p.stream, table);
                    *x = x.wrapping_add(p.weight_fixed.wrapping_mul(count as i32));
                }
                continue;
            }
            add_poisson_counts(
                ring,
                plan.input_key,
                self.tick,
                first,
                p.stream,
                table,
                p.weight_fixed,
            );
        }
    }

    /// `current_input`: injected currents into the current accumulator of the owned targets.
    #[inline(always)]
    pub(super) fn current_input(&mut self) {
        let plan = self.plan;
        let part = &mut *self.part;
        let own = part.own.clone();
        for c in &plan.currents {
            let targets = owned(&own, c.target_start, c.target_count);
            if c.kind == NOISE_CURRENT && plan.partition.is_none() && !targets.is_empty() {
                let first = c.local_offset.wrapping_add(targets.start - c.target_start);
                let sums = &mut part.current_in[local(&own, targets.start)..local(&own, targets.end)];
                add_noise_currents(sums, c, plan, self.tick, first);
                continue;
            }
            for g in targets {
                let k = g - c.target_start;
                let counter = plan.partition.as_ref().map_or(k, |part| part.input_counter(k));
                let amp = current_amplitude(c, plan, self.tick, counter);
                let idx = local(&own, g);
                part.current_in[idx] = part.current_in[idx].wrapping_add(to_fixed(amp, plan.fixed_scale));
            }
        }
    }
}

/// Adds `weight` times this tick's Poisson count of targets `first..` (local to the input)
/// to `ring`, one entry per target. The counts are drawn [`LANES`] targets at a time and
/// counted against the whole (ascending) table without branches: the same counts as
/// [`poisson_count`].
#[inline(always)]
fn add_poisson_counts(
    ring: &mut [i32],
    key: [u32; 2],
    tick: u64,
    first: u32,
    stream: u32,
    table: &[u32],
    weight: i32,
) {
    let mut blocks = ring.chunks_exact_mut(LANES);
    let mut local = first;
    let [lo, hi] = crate::limits::tick_words(tick);
    for block in &mut blocks {
        let r = philox4x32_10_word0_lanes::<LANES>(lo, local, stream, hi, key);
        let mut k = [0u32; LANES];
        for &t in table {
            for i in 0..LANES {
                k[i] += u32::from(r[i] >= t);
            }
        }
        for i in 0..LANES {
            block[i] = block[i].wrapping_add(weight.wrapping_mul(k[i] as i32));
        }
        local = local.wrapping_add(LANES as u32);
    }
    for (i, x) in blocks.into_remainder().iter_mut().enumerate() {
        let k = poisson_count(key, tick, local + i as u32, stream, table);
        *x = x.wrapping_add(weight.wrapping_mul(k as i32));
    }
}

/// Kind of a current source drawn anew every tick from a normal distribution.
const NOISE_CURRENT: u32 = 2;

/// Adds this tick's noise current of source `c` to `sums`, the fixed-point current sums of
/// targets `first..` (local to the source, offset included): the same draws and f32
/// operations as [`current_amplitude`], [`LANES`] targets at a time.
#[inline(always)]
fn add_noise_currents(sums: &mut [i32], c: &CurrentGpu, plan: &Plan, tick: u64, first: u32) {
    let [lo, hi] = crate::limits::tick_words(tick);
    let key = plan.input_key;
    let mut blocks = sums.chunks_exact_mut(LANES);
    let mut local = first;
    for block in &mut blocks {
        let r0 = philox4x32_10_lanes::<LANES>(lo, local, c.stream, 2 * hi, key);
        let r1 = philox4x32_10_lanes::<LANES>(lo, local, c.stream, 2 * hi + 1, key);
        for (i, x) in block.iter_mut().enumerate() {
            let sum: u32 = (0..4).map(|w| (r0[w][i] >> 8) + (r1[w][i] >> 8)).sum();
            let z = (sum as f32 * (1.0 / 16_777_216.0) - 4.0) * 1.224_744_9;
            *x = x.wrapping_add(to_fixed(c.a0 + c.a1 * z, plan.fixed_scale));
        }
        local = local.wrapping_add(LANES as u32);
    }
    for (i, x) in blocks.into_remainder().iter_mut().enumerate() {
        let amp = current_amplitude(c, plan, tick, local.wrapping_sub(c.local_offset) + i as u32);
        *x = x.wrapping_add(to_fixed(amp, plan.fixed_scale));
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
        3 => sine_amplitude(c, tick),
        _ => {
            let local = c.local_offset.wrapping_add(local);
            let [lo, hi] = crate::limits::tick_words(tick);
            let r0 = philox4x32_10([lo, local, c.stream, 2 * hi], plan.input_key);
            let r1 = philox4x32_10([lo, local, c.stream, 2 * hi + 1], plan.input_key);
            let sum: u32 = r0.iter().chain(&r1).map(|x| x >> 8).sum();
            let z = (sum as f32 * (1.0 / 16_777_216.0) - 4.0) * 1.224_744_9;
            c.a0 + c.a1 * z
        }
    }
}

/// Amplitude of sine source `c` at `tick` (`sine_current` in `current_input.wgsl`, the same
/// f32 operations in the same order): the phase is an exact integer fraction of a cycle, its
/// quadrant taken from the top two bits and the sine or cosine of the rest from a Taylor
/// polynomial (error below 1e-7 on a quarter cycle).
pub fn sine_amplitude(c: &CurrentGpu, tick: u64) -> f32 {
    let started = tick >= u64::from(c.step_offset);
    let stopped = c.step_count != u32::MAX && tick >= u64::from(c.step_count);
    if !started || stopped {
        return 0.0;
    }
    let elapsed = (tick as u32).wrapping_sub(c.step_offset);
    let cycle = c.phase0.wrapping_add(c.phase_step.wrapping_mul(elapsed));
    c.a0 + c.a1 * quadrant_sine(cycle)
}

/// `sin(2 pi cycle / 2^32)` in f32.
pub fn quadrant_sine(cycle: u32) -> f32 {
    // The 24 bits below the quadrant convert to f32 exactly on every backend.
    let x = ((cycle & 0x3FFF_FFFF) >> 6) as f32 * 9.362_675e-8;
    let x2 = x * x;
    let sin = x
        * (1.0
            + x2 * (-0.166_666_67
                + x2 * (0.008_333_334
                    + x2 * (-0.000_198_412_7 + x2 * (2.755_732e-6 + x2 * -2.505_210_8e-8)))));
    let cos = 1.0
        + x2 * (-0.5
            + x2 * (0.041_666_668
                + x2 * (-0.001_388_888_9
                    + x2 * (2.480_158_7e-5 + x2 * (-2.755_732e-7 + x2 * 2.087_675_7e-9)))));
    match cycle >> 30 {
        0 => sin,
        1 => cos,
        2 => -sin,
        _ => -cos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_counts_drawn_in_lanes_equal_the_counts_drawn_one_by_one() {
        let key = [9, 4];
        for lambda in [0.02, 2.0, 35.0] {
            let table = crate::plan::poisson_cdf_table(lambda);
            assert!(table.windows(2).all(|w| w[0] <= w[1]), "the table ascends");
            let cases = [
                (0, 8, 11),
                (3, 37, 11),
                (u32::MAX - 20, 13, 11),
                (3, 37, (1 << 32) + 11),
            ];
            for (first, len, tick) in cases {
                let mut ring = vec![5i32; len];
                add_poisson_counts(&mut ring, key, tick, first, 7, &table, -3);
                for (i, &x) in ring.iter().enumerate() {
                    let k = poisson_count(key, tick, first.wrapping_add(i as u32), 7, &table);
                    assert_eq!(x, 5 - 3 * k as i32, "lambda {lambda}, target {i}");
                }
            }
        }
    }

    #[test]
    fn quadrant_sine_follows_the_sine_over_a_cycle() {
        for k in 0..4096u64 {
            let cycle = (k * 1_048_576 + k * 977) as u32;
            let exact = (cycle as f64 / 4_294_967_296.0 * std::f64::consts::TAU).sin();
            let err = (f64::from(quadrant_sine(cycle)) - exact).abs();
            assert!(err < 3e-7, "cycle {cycle}: {} vs {exact}", quadrant_sine(cycle));
        }
    }
}
