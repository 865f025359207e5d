//! Connectivity that the host and the GPU generate identically (`FixedTotal` rows): every
//! synapse has its own Philox counters and its values come from integer arithmetic and
//! single f32 multiplies and adds, which IEEE rounds the same way everywhere, provided the
//! driver does not fuse `a + b * z` into an fma (lavapipe does not; tests/suite/generation.rs
//! checks it on whatever adapter runs the tests).
//!
//! For projection `k` with `n` synapses from `N_pre` to `N_post` neurons:
//!
//! - row counts: pick `p` (0 <= p < n) lies in chunk `c = p / CHUNK_PICKS`; word `p % CHUNK`
//!   of the Philox stream `(CONNECT_COLUMN + k, row = c)` picks row `mulhi(word, N_pre)`. The
//!   counts are a multinomial (n uniform picks with replacement), as NEST's
//!   `fixed_total_number`;
//! - synapse `t` of row `i`: one Philox block `[i, t, CONNECT + k, 0]` = (x, y, z, w); target
//!   `mulhi(x, N_post)` (one fewer, skipping `i`, without autapses); weight from `y, z`; delay
//!   from `w`;
//! - a normal weight is `mean + sd z` with `z` the standardised sum of the four 16-bit halves
//!   of two words (Irwin-Hall: mean and variance exact, support +/- 3.46 sd, kurtosis 2.7
//!   instead of 3), then clipped; a normal delay the same from the four bytes of one word (its
//!   steps of 0.007 sd vanish in the rounding to ticks); a uniform value is
//!   `low + (high - low) u` with `u` a 24-bit uniform;
//! - a truncated normal value outside its bounds is drawn again from its own words scrambled
//!   by [`redraw_word`] (the r-th redraw, r = 1, 2, ..., from `redraw_word(word, r)`), and
//!   clipped after [`MAX_REDRAWS`] draws. A bijective scramble instead of more Philox blocks:
//!   a software driver runs a whole SIMD vector through a redraw when one lane needs it.

use bytemuck::{Pod, Zeroable};

use crate::model::{MAX_REDRAWS, WeightDist};
use crate::rng::philox4x32_10;

/// The word the r-th redraw of a truncated normal value uses in place of `word`: the
/// MurmurHash3 32-bit finaliser (a bijection with full avalanche; Appleby, public domain) of
/// `word + r * 0x9e3779b9`. Mirrors `redraw_word` in `gen_common.wgsl`.
pub fn redraw_word(word: u32, r: u32) -> u32 {
    let mut h = word.wrapping_add(r.wrapping_mul(0x9e37_79b9));
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// Picks per chunk of the row-count histogram.
pub const CHUNK_PICKS: u64 = 1 << 14;

/// Standard deviation of the sum of four uniform 16-bit integers: `sqrt(4 (2^32 - 1) / 12)`.
const SUM4_SD: f64 = 37_837.227_237_206_48;

/// Bits of `1 / SUM4_SD` as an f32; `gen_common.wgsl` uses the same bits (tested).
pub const INV_SUM4_SD_BITS: u32 = 0x37dd_b3d7;

/// `1 / SUM4_SD` as an f32.
pub fn inv_sum4_sd() -> f32 {
    f32::from_bits(INV_SUM4_SD_BITS)
}

/// Standard deviation of the sum of four uniform bytes: `sqrt(4 (2^16 - 1) / 12)`.
const SUM4_BYTES_SD: f64 = 147.800_541_270_998_05;

/// Bits of `1 / SUM4_BYTES_SD` as an f32; `gen_common.wgsl` uses the same bits (tested).
pub const INV_SUM4_BYTES_SD_BITS: u32 = 0x3bdd_b446;

/// A weight or delay distribution in the form both backends sample exactly.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GenDist {
    /// 0 constant `a`, 1 uniform `a + b u`, 2 normal `clip(a + b z, lo, hi)`, 3 truncated
    /// normal `a + b z` redrawn until in `[lo, hi]`.
    pub kind: u32,
    /// Value, low end or mean.
    pub a: f32,
    /// Span or standard deviation.
    pub b: f32,
    /// Lower clip (normal).
    pub lo: f32,
    /// Upper clip (normal).
    pub hi: f32,
}

impl GenDist {
    /// The exact form of `d`, or `None` (log-normal needs `exp`, which backends round
    /// differently).
    pub fn of(d: &WeightDist) -> Option<Self> {
        // Bounds beyond f32 (f64::MIN / MAX stand for "none") become +/- f32::MAX, never an
        // infinity, which WGSL implementations may assume away; no finite draw reaches them.
        let f = |x: f64| (x as f32).clamp(-f32::MAX, f32::MAX);
        match *d {
            WeightDist::Constant(c) => Some(Self {
                kind: 0,
                a: f(c),
                ..Self::default()
            }),
            WeightDist::Uniform { low, high } => Some(Self {
                kind: 1,
                a: f(low),
                b: f(high - low),
                ..Self::default()
            }),
            WeightDist::Normal { mean, std, low, high } => Some(Self {
                kind: 2,
                a: f(mean),
                b: f(std),
                lo: f(low),
                hi: f(high),
            }),
            WeightDist::TruncatedNormal { mean, std, low, high } => Some(Self {
                kind: 3,
                a: f(mean),
                b: f(std),
                lo: f(low),
                hi: f(high),
            }),
            WeightDist::LogNormal { .. } => None,
        }
    }

    /// A draw from two Philox words (truncated normal: before the bounds are checked).
    /// Mirrors `gen_sample` in `gen_common.wgsl`.
    pub fn sample(&self, w0: u32, w1: u32) -> f32 {
        match self.kind {
            0 => self.a,
            1 => self.a + self.b * ((w0 >> 8) as f32 * (1.0 / 16_777_216.0)),
            2 => (self.a + self.b * normal4(w0, w1)).max(self.lo).min(self.hi),
            _ => self.a + self.b * normal4(w0, w1),
        }
    }

    /// A draw from one Philox word (normal: four bytes). Mirrors `gen_sample_word`.
    pub fn sample_word(&self, w: u32) -> f32 {
        match self.kind {
            0 => self.a,
            1 => self.a + self.b * ((w >> 8) as f32 * (1.0 / 16_777_216.0)),
            2 => (self.a + self.b * normal4_bytes(w)).max(self.lo).min(self.hi),
            _ => self.a + self.b * normal4_bytes(w),
        }
    }

    /// `first` if it needs no redraw, else the first of `redraw(1)`, `redraw(2)`, ... inside the
    /// bounds (clipped after [`MAX_REDRAWS`] draws in all). Mirrors the redraw loops of
    /// `gen_synapse` (`generate_synapses.wgsl`) with `gen_rejects` and `gen_clip_truncated`.
    pub fn redrawn(&self, first: f32, redraw: impl Fn(u32) -> f32) -> f32 {
        if self.kind != 3 {
            return first;
        }
        let mut v = first;
        let mut r = 1;
        while !(self.lo <= v && v <= self.hi) && r < MAX_REDRAWS {
            v = redraw(r);
            r += 1;
        }
        v.max(self.lo).min(self.hi)
    }

    /// The largest magnitude a draw can have.
    pub fn max_abs(&self) -> f64 {
        let (a, b) = (f64::from(self.a), f64::from(self.b));
        match self.kind {
            0 => a.abs(),
            1 => a.abs().max((a + b).abs()),
            _ => {
                let z = 131_070.0 / SUM4_SD * 1.000_001;
                let (lo, hi) = (
                    (a - b.abs() * z).max(f64::from(self.lo)),
                    (a + b.abs() * z).min(f64::from(self.hi)),
                );
                lo.abs().max(hi.abs())
            }
        }
    }

    /// The largest value a draw can have (two-word and one-word draws alike).
    pub fn max(&self) -> f64 {
        let (a, b) = (f64::from(self.a), f64::from(self.b));
        let z = (131_070.0 / SUM4_SD).max(510.0 / SUM4_BYTES_SD) * 1.000_001;
        match self.kind {
            0 => a,
            1 => a.max(a + b),
            _ => (a + b.abs() * z).min(f64::from(self.hi)),
        }
    }
}

/// A projection the GPU generates (`generate_*.wgsl`), with the offsets of its slices in the
/// generation buffers (filled in by the GPU backend).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GenProjection {
    /// First global index of the pre-synaptic population.
    pub pre_start: u32,
    /// Size of the pre-synaptic population.
    pub pre_size: u32,
    /// First global index of the post-synaptic population.
    pub post_start: u32,
    /// Size of the post-synaptic population.
    pub post_size: u32,
    /// Input port.
    pub port: u32,
    /// Synapses in all.
    pub n_total: u32,
    /// 1: row `i` skips target `i`.
    pub skip_self: u32,
    /// Philox stream of the synapses (`CONNECT + k`).
    pub stream: u32,
    /// Philox stream of the row counts (`CONNECT_COLUMN + k`).
    pub count_stream: u32,
    /// 1 / dt (f32).
    pub inv_dt: f32,
    /// First thread of this projection in the row-count pass (one per chunk of picks).
    pub chunk_thread: u32,
    /// First thread of this projection in the row passes (one per pre-synaptic neuron).
    pub row_thread: u32,
    /// Offset of its row counts (and of its row pointers, which have one more entry each
    /// projection) in the generation buffers.
    pub count_base: u32,
    /// Offset of its row pointers in the compact row pointers.
    pub row_base: u32,
    /// Offset of its in-degree counts (one per post-synaptic neuron).
    pub indegree_base: u32,
    /// Padding.
    pub _pad: u32,
    /// Weight distribution.
    pub weight: GenDist,
    /// Delay distribution (ms).
    pub delay: GenDist,
    /// Position of its first synapse in the compact arrays (lo, hi), filled in once the row
    /// counts are known.
    pub first: [u32; 2],
}

/// Standardised sum of the four 16-bit halves of two words (exact: integers below 2^24,
/// one rounded multiply).
pub fn normal4(w0: u32, w1: u32) -> f32 {
    let sum = (w0 & 0xffff) + (w0 >> 16) + (w1 & 0xffff) + (w1 >> 16);
    (sum as f32 - 131_070.0) * inv_sum4_sd()
}

/// Standardised sum of the four bytes of a word (exact).
pub fn normal4_bytes(w: u32) -> f32 {
    let sum = (w & 0xff) + ((w >> 8) & 0xff) + ((w >> 16) & 0xff) + (w >> 24);
    (sum as f32 - 510.0) * f32::from_bits(INV_SUM4_BYTES_SD_BITS)
}

/// High word of `a * b`: a uniform integer below `n` from a uniform word.
pub fn below(word: u32, n: u32) -> u32 {
    ((u64::from(word) * u64::from(n)) >> 32) as u32
}

/// Target of a fixed-total synapse of row `row` from its first word: uniform over the post
/// population, or over it without `row` itself (`skip_self`). Mirrors `gen_target`.
pub fn fixed_total_target(word: u32, row: u32, post_size: u32, skip_self: bool) -> u32 {
    if skip_self {
        let j = below(word, post_size - 1);
        j + u32::from(j >= row)
    } else {
        below(word, post_size)
    }
}

/// Delay in ticks of a delay draw (ms): `max(1, round_half_even(v * inv_dt))`.
pub fn delay_ticks(v: f32, inv_dt: f32) -> u32 {
    (v * inv_dt).round_ties_even().max(1.0) as u32
}

/// One synapse of a generated row: local target, weight, delay in ticks.
pub fn fixed_total_synapse(
    key: [u32; 2],
    stream: u32,
    row: u32,
    t: u32,
    post_size: u32,
    skip_self: bool,
    (weight, delay, inv_dt): (&GenDist, &GenDist, f32),
) -> (u32, f32, u32) {
    let a = philox4x32_10([row, t, stream, 0], key);
    let w = weight.redrawn(weight.sample(a[1], a[2]), |r| {
        weight.sample(redraw_word(a[1], r), redraw_word(a[2], r))
    });
    let d = delay.redrawn(delay.sample_word(a[3]), |r| {
        delay.sample_word(redraw_word(a[3], r))
    });
    (
        fixed_total_target(a[0], row, post_size, skip_self),
        w,
        delay_ticks(d, inv_dt),
    )
}

/// Row counts of a fixed-total projection (see the module notes), on `threads` threads; the
/// result does not depend on the thread count.
pub fn fixed_total_row_counts(key: [u32; 2], stream: u32, n: u64, rows: u32, threads: usize) -> Vec<u32> {
    let chunks = n.div_ceil(CHUNK_PICKS);
    let threads = threads.clamp(1, chunks.max(1) as usize) as u64;
    let per_thread = chunks.div_ceil(threads);
    let parts: Vec<Vec<u32>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut counts = vec![0u32; rows as usize];
                    for c in (t * per_thread)..((t + 1) * per_thread).min(chunks) {
                        let picks = (n - c * CHUNK_PICKS).min(CHUNK_PICKS) as u32;
                        for block in 0..picks.div_ceil(4) {
                            let words = philox4x32_10([c as u32, block, stream, 0], key);
                            for &w in words.iter().take((picks - 4 * block).min(4) as usize) {
                                counts[below(w, rows) as usize] += 1;
                            }
                        }
                    }
                    counts
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("row count worker"))
            .collect()
    });
    let mut counts = vec![0u32; rows as usize];
    for part in parts {
        for (c, p) in counts.iter_mut().zip(part) {
            *c += p;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inverse_sd_bits_are_the_f32_of_the_exact_values() {
        let sd = (4_294_967_295.0f64 / 3.0).sqrt();
        assert!((sd - SUM4_SD).abs() < 1e-9);
        assert_eq!(((1.0 / sd) as f32).to_bits(), INV_SUM4_SD_BITS);
        let sd = (65_535.0f64 / 3.0).sqrt();
        assert!((sd - SUM4_BYTES_SD).abs() < 1e-9);
        assert_eq!(((1.0 / sd) as f32).to_bits(), INV_SUM4_BYTES_SD_BITS);
    }

    #[test]
    fn normal4_bytes_has_zero_mean_and_unit_variance() {
        let (mut s, mut s2) = (0.0f64, 0.0f64);
        let n = 200_000;
        for i in 0..n {
            let z = f64::from(normal4_bytes(philox4x32_10([i, 0, 9, 0], [1, 2])[3]));
            s += z;
            s2 += z * z;
        }
        let (mean, var) = (s / f64::from(n), s2 / f64::from(n));
        assert!(mean.abs() < 0.01 && (var - 1.0).abs() < 0.01, "{mean} {var}");
    }

    #[test]
    fn normal4_has_zero_mean_unit_variance_and_bounded_support() {
        let (mut s, mut s2, mut max) = (0.0f64, 0.0f64, 0.0f32);
        let n = 200_000;
        for i in 0..n {
            let w = philox4x32_10([i, 0, 9, 0], [1, 2]);
            let z = normal4(w[0], w[1]);
            s += f64::from(z);
            s2 += f64::from(z) * f64::from(z);
            max = max.max(z.abs());
        }
        let (mean, var) = (s / f64::from(n), s2 / f64::from(n));
        assert!(mean.abs() < 0.01 && (var - 1.0).abs() < 0.01, "{mean} {var}");
        assert!(max < 3.47);
    }
}
