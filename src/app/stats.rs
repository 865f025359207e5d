//! Spike-train statistics and the stable spike hash, defined as the peer scripts define them
//! (`shared/peers/stats.py`): rate over all neurons including silent ones; CV of ISI averaged
//! over neurons with at least three spikes, population standard deviation.

use crate::sim::Spike;

/// Mean firing rate (Hz) over `neurons` neurons and `duration_ms`.
pub fn mean_rate_hz(spikes: usize, neurons: u64, duration_ms: f64) -> f64 {
    if neurons == 0 || duration_ms <= 0.0 {
        return 0.0;
    }
    spikes as f64 / (neurons as f64 * duration_ms * 1e-3)
}

/// Mean coefficient of variation of the inter-spike intervals over neurons with >= 3 spikes;
/// `None` when no neuron qualifies. `records` must be sorted by (tick, neuron).
pub fn mean_cv_isi(records: &[Spike], n_neurons: u32) -> Option<f64> {
    let mut cv = CvAccumulator::new(n_neurons);
    records.iter().for_each(|r| cv.add(r));
    cv.mean_cv()
}

/// The intervals of each neuron's train summed as spikes arrive, so that the CV of ISI of a
/// run streamed to disk needs memory per neuron, not per spike ([`mean_cv_isi`] is one pass).
pub struct CvAccumulator {
    last: Vec<u64>,
    sum: Vec<f64>,
    sum2: Vec<f64>,
    count: Vec<u32>,
}

impl CvAccumulator {
    /// No spikes yet, for neurons `0..n_neurons` (global indices).
    pub fn new(n_neurons: u32) -> Self {
        let n = n_neurons as usize;
        CvAccumulator {
            last: vec![u64::MAX; n],
            sum: vec![0.0; n],
            sum2: vec![0.0; n],
            count: vec![0; n],
        }
    }

    /// Adds the next spike (spikes in (tick, neuron) order).
    pub fn add(&mut self, r: &Spike) {
        let i = r.neuron as usize;
        if self.last[i] != u64::MAX {
            let isi = (r.tick - self.last[i]) as f64;
            self.sum[i] += isi;
            self.sum2[i] += isi * isi;
            self.count[i] += 1;
        }
        self.last[i] = r.tick;
    }

    /// The mean CV over neurons with at least two intervals (`None` when none has).
    pub fn mean_cv(&self) -> Option<f64> {
        self.mean_cv_of(0..self.count.len() as u32)
    }

    /// [`CvAccumulator::mean_cv`] over the neurons in `neurons` only (a population's range).
    pub fn mean_cv_of(&self, neurons: std::ops::Range<u32>) -> Option<f64> {
        let mut total = 0.0;
        let mut qualifying = 0usize;
        for i in neurons.start as usize..neurons.end as usize {
            if self.count[i] >= 2 {
                let n = f64::from(self.count[i]);
                let mean = self.sum[i] / n;
                let var = (self.sum2[i] / n - mean * mean).max(0.0);
                total += var.sqrt() / mean;
                qualifying += 1;
            }
        }
        (qualifying > 0).then(|| total / qualifying as f64)
    }
}

/// Counts of `values` in `bins` equal bins over `[low, high]` (the top edge inclusive); values
/// outside the range are not counted.
pub fn histogram(values: &[f32], low: f64, high: f64, bins: usize) -> Vec<u64> {
    let mut counts = vec![0u64; bins];
    if bins == 0 || high.is_nan() || low.is_nan() || high <= low {
        return counts;
    }
    // The range test is done in f32, the values' precision: a weight clipped at an f32 bound
    // (0.1f32 is slightly above 0.1) still falls in the top bin.
    let (low32, high32) = (low as f32, high as f32);
    for &v in values {
        if (low32..=high32).contains(&v) {
            let b = (((f64::from(v) - low) / (high - low)) * bins as f64).max(0.0) as usize;
            counts[b.min(bins - 1)] += 1;
        }
    }
    counts
}

/// FNV-1a 64 over the sorted (tick, neuron) list, each as two little-endian u32 (a tick at
/// or past 2^32 adds its high word after the low one, so hashes of runs that stay below it
/// are those of the 32-bit ticks): the same spikes give the same hash on every backend and
/// platform.
pub fn spike_hash(records: &[Spike]) -> u64 {
    let mut h = SpikeHasher::default();
    records.iter().for_each(|r| h.add(r));
    h.finish()
}

/// [`spike_hash`] computed as spikes arrive.
#[derive(Clone, Copy, Debug)]
pub struct SpikeHasher(u64);

impl Default for SpikeHasher {
    fn default() -> Self {
        SpikeHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl SpikeHasher {
    /// Adds the next spike (spikes in (tick, neuron) order).
    pub fn add(&mut self, r: &Spike) {
        let [lo, hi] = crate::limits::tick_words(r.tick);
        let high = (hi > 0).then(|| hi.to_le_bytes()).into_iter().flatten();
        let bytes = lo
            .to_le_bytes()
            .into_iter()
            .chain(high)
            .chain(r.neuron.to_le_bytes());
        for b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The hash of the spikes added so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cv_of_a_regular_train_is_zero_and_of_alternating_intervals_is_known() {
        let regular: Vec<_> = (0..10)
            .map(|k| Spike {
                tick: k * 10,
                neuron: 0,
            })
            .collect();
        assert_eq!(mean_cv_isi(&regular, 1), Some(0.0));
        // Intervals 10, 30, 10, 30: mean 20, population sd 10, CV 0.5.
        let ticks = [0, 10, 40, 50, 80];
        let alt: Vec<_> = ticks.iter().map(|&t| Spike { tick: t, neuron: 0 }).collect();
        assert!((mean_cv_isi(&alt, 1).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(mean_cv_isi(&alt[..2], 1), None);
    }

    #[test]
    fn spike_hash_depends_on_every_spike() {
        let a = [Spike { tick: 1, neuron: 2 }];
        let b = [Spike { tick: 1, neuron: 3 }];
        assert_ne!(spike_hash(&a), spike_hash(&b));
        assert_eq!(spike_hash(&a), spike_hash(&a));
        assert_ne!(spike_hash(&[]), spike_hash(&a));
    }
}
