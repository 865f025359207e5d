//! Philox4x32-10 (Salmon et al., SC'11), the counter-based generator shared by the host and the
//! shaders (`shaders/shared/philox.wgsl` is the same function, word for word). No generator state is
//! stored anywhere: every random number is a pure function of (key, counter), so connectivity,
//! initial state and Poisson input do not depend on thread count or evaluation order.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = u64::from(a) * u64::from(b);
    ((p >> 32) as u32, p as u32)
}

/// Philox4x32 with ten rounds: four 32-bit outputs for a 128-bit counter and a 64-bit key.
#[inline]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let (hi0, lo0) = mulhilo(M0, c[0]);
        let (hi1, lo1) = mulhilo(M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// Word 0 of [`philox4x32_10`] for the `L` counters `[c0, c1 + i, c2, c3]`, `i < L`
/// (the CPU's Poisson input draws one word per neuron and tick).
#[inline(always)]
pub fn philox4x32_10_word0_lanes<const L: usize>(
    c0: u32,
    c1: u32,
    c2: u32,
    c3: u32,
    key: [u32; 2],
) -> [u32; L] {
    philox4x32_10_lanes::<L>(c0, c1, c2, c3, key)[0]
}

/// [`philox4x32_10`] for the `L` counters `[c0, c1 + i, c2, c3]`, `i < L`, as four words of
/// `L` lanes: the same rounds written lane by lane, so that the compiler runs the lanes side
/// by side in vector registers.
#[inline(always)]
pub fn philox4x32_10_lanes<const L: usize>(
    c0: u32,
    c1: u32,
    c2: u32,
    c3: u32,
    key: [u32; 2],
) -> [[u32; L]; 4] {
    let mut x0 = [c0; L];
    let mut x1: [u32; L] = std::array::from_fn(|i| c1.wrapping_add(i as u32));
    let mut x2 = [c2; L];
    let mut x3 = [c3; L];
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        for i in 0..L {
            let (hi0, lo0) = mulhilo(M0, x0[i]);
            let (hi1, lo1) = mulhilo(M1, x2[i]);
            (x0[i], x1[i], x2[i], x3[i]) = (hi1 ^ x1[i] ^ k[0], lo1, hi0 ^ x3[i] ^ k[1], lo0);
        }
    }
    [x0, x1, x2, x3]
}

/// Splits a 64-bit seed into the Philox key.
pub fn seed_key(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// Stream identifiers: the third counter word. Every random quantity of the model has its own
/// stream so that adding, say, a Poisson input never changes the connectivity of a projection.
pub mod stream {
    /// Connectivity of projection `p`: stream `CONNECT + p`.
    pub const CONNECT: u32 = 0x1000_0000;
    /// Initial state of population `p`: stream `INIT + p`.
    pub const INIT: u32 = 0x2000_0000;
    /// Poisson input `i`: stream `POISSON + i` (also used, with the same value, in WGSL).
    pub const POISSON: u32 = 0x3000_0000;
    /// Current source `i` (noise): stream `CURRENT + i` (also used in WGSL).
    pub const CURRENT: u32 = 0x4000_0000;
    /// Random neuron positions.
    pub const POSITIONS: u32 = 0x5000_0000;
    /// Initial value of state variable `k` of population `p`: stream `INIT_VAR + 16 p + k`.
    pub const INIT_VAR: u32 = 0x6000_0000;
    /// Random model parameters drawn by the standard networks.
    pub const MODEL: u32 = 0x7000_0000;
    /// Poisson source population `p`: stream `POISSON_SOURCE + p` (counter: tick, neuron).
    pub const POISSON_SOURCE: u32 = 0x7800_0000;
    /// Poisson sequence population `p`: stream `POISSON_SEQUENCE + p` (counter: tick, neuron).
    pub const POISSON_SEQUENCE: u32 = 0x9000_0000;
    /// Column-wise connectivity (fixed in-degree) of projection `p`: `CONNECT_COLUMN + p`.
    pub const CONNECT_COLUMN: u32 = 0x1800_0000;
    /// Procedural projection `p`, regenerated on every spike: `PROCEDURAL + p` (also in WGSL).
    pub const PROCEDURAL: u32 = 0x8000_0000;
    /// Stochastic release, one stream for every synapse (counter: tick, merged synapse
    /// index; also in WGSL).
    pub const RELEASE: u32 = 0xA000_0000;
}

/// A sequential reader over the Philox output for one (key, stream, row): the counter's first
/// two words are (row, block), so one row's numbers never overlap another's.
#[derive(Clone, Debug)]
pub struct PhiloxStream {
    key: [u32; 2],
    row: u32,
    stream: u32,
    block: u32,
    buf: [u32; 4],
    used: usize,
}

impl PhiloxStream {
    /// A stream for `row` (a neuron or a CSR row) of `stream` under `key`.
    pub fn new(key: [u32; 2], stream: u32, row: u32) -> Self {
        Self {
            key,
            row,
            stream,
            block: 0,
            buf: [0; 4],
            used: 4,
        }
    }

    /// The next raw 32-bit word.
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        if self.used == 4 {
            self.buf = philox4x32_10([self.row, self.block, self.stream, 0], self.key);
            self.block = self.block.wrapping_add(1);
            self.used = 0;
        }
        let v = self.buf[self.used];
        self.used += 1;
        v
    }

    /// Uniform in [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        let hi = u64::from(self.next_u32() >> 5);
        let lo = u64::from(self.next_u32() >> 6);
        ((hi << 26) | lo) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    #[inline]
    pub fn uniform_open0(&mut self) -> f64 {
        1.0 - self.uniform()
    }

    /// Standard normal deviate (Box-Muller, one value per call so the sequence is simple).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform_open0();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known-answer vectors published with Random123 (kat_vectors, philox4x32 10).
    #[test]
    fn philox_matches_random123_known_answer_vectors() {
        assert_eq!(
            philox4x32_10([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn the_lane_version_gives_word_0_of_each_counter() {
        for (c0, c1, c2, c3, key) in [(0, 0, 0, 0, [0, 0]), (17, u32::MAX - 3, 0x3000_0002, 5, [42, 7])] {
            let lanes = philox4x32_10_word0_lanes::<8>(c0, c1, c2, c3, key);
            for (i, &word) in lanes.iter().enumerate() {
                assert_eq!(
                    word,
                    philox4x32_10([c0, c1.wrapping_add(i as u32), c2, c3], key)[0]
                );
            }
        }
    }

    #[test]
    fn uniform_and_normal_have_the_expected_moments() {
        let mut s = PhiloxStream::new(seed_key(7), 1, 2);
        let n = 200_000;
        let (mut su, mut sn, mut sn2) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let u = s.uniform();
            assert!((0.0..1.0).contains(&u));
            su += u;
            let z = s.normal();
            sn += z;
            sn2 += z * z;
        }
        let n = n as f64;
        assert!((su / n - 0.5).abs() < 0.005);
        assert!((sn / n).abs() < 0.01);
        assert!((sn2 / n - 1.0).abs() < 0.02);
    }
}
