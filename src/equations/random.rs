//! Random numbers of the equations (`rand()`, `randn()`, `xi`), drawn from the engine's
//! Philox4x32-10 keyed by (seed, stream, tick, neuron): a pure function of its counter, so
//! runs are reproducible and the GPU draws what the CPU draws. Normals are integer sums of
//! eight 24-bit uniforms (as the engine's noise currents), exact in both backends.

use crate::rng::philox4x32_10;

/// Philox counter of call site `site`, half `half` (0 or 1).
#[inline]
fn block(key: [u32; 2], stream: u32, tick: u32, neuron: u32, site: u32, half: u32) -> [u32; 4] {
    philox4x32_10([tick, neuron, stream, 2 * site + half], key)
}

/// Uniform in [0, 1) with 24 random bits, exactly representable in f32.
#[inline]
pub fn uniform(key: [u32; 2], stream: u32, tick: u32, neuron: u32, site: u32) -> f32 {
    (block(key, stream, tick, neuron, site, 0)[0] >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Standard normal (approximately: the standardised sum of eight uniforms, Irwin-Hall, whose
/// tails end at +-4.9).
#[inline]
pub fn normal(key: [u32; 2], stream: u32, tick: u32, neuron: u32, site: u32) -> f32 {
    let r0 = block(key, stream, tick, neuron, site, 0);
    let r1 = block(key, stream, tick, neuron, site, 1);
    let sum: u32 = r0.iter().chain(&r1).map(|x| x >> 8).sum();
    (sum as f32 * (1.0 / 16_777_216.0) - 4.0) * 1.224_744_9
}

/// The WGSL twins of [`uniform`] and [`normal`]; they need `philox4x32_10` (the engine's
/// `shaders/shared/philox.wgsl` and a `mulhi32`). `rng` is (key low, key high, stream, tick).
pub const WGSL_RANDOM: &str = "\
// Random numbers of generated neuron models (src/equations/random.rs has the CPU twins).
fn eq_uniform(rng: vec4<u32>, neuron: u32, site: u32) -> f32 {
    let r = philox4x32_10(vec4<u32>(rng.w, neuron, rng.z, 2u * site), rng.xy);
    return f32(r.x >> 8u) * (1.0 / 16777216.0);
}

fn eq_normal(rng: vec4<u32>, neuron: u32, site: u32) -> f32 {
    let r0 = philox4x32_10(vec4<u32>(rng.w, neuron, rng.z, 2u * site), rng.xy) >> vec4<u32>(8u);
    let r1 = philox4x32_10(vec4<u32>(rng.w, neuron, rng.z, 2u * site + 1u), rng.xy) >> vec4<u32>(8u);
    let sum = (r0.x + r0.y + r0.z + r0.w) + (r1.x + r1.y + r1.z + r1.w);
    return (f32(sum) * (1.0 / 16777216.0) - 4.0) * 1.2247449;
}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_depend_on_every_part_of_the_counter_and_have_the_right_moments() {
        let key = [7, 9];
        let base = normal(key, 1, 2, 3, 4);
        assert_ne!(base, normal(key, 2, 2, 3, 4));
        assert_ne!(base, normal(key, 1, 3, 3, 4));
        assert_ne!(base, normal(key, 1, 2, 4, 4));
        assert_ne!(base, normal(key, 1, 2, 3, 5));
        let n = 100_000;
        let (mut s, mut s2, mut u) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..n {
            let z = f64::from(normal(key, 1, i, 0, 0));
            s += z;
            s2 += z * z;
            u += f64::from(uniform(key, 1, i, 0, 1));
        }
        let n = f64::from(n);
        assert!((s / n).abs() < 0.02);
        assert!((s2 / n - 1.0).abs() < 0.02);
        assert!((u / n - 0.5).abs() < 0.005);
    }
}
