//! The record store: what the [`Simulator`](super::Simulator) keeps of each batch of spikes as
//! it is drained from the engine. Spikes are filtered here, batch by batch, so host memory
//! grows with what is recorded (the selected neurons in their window), never with the
//! population; every spike is still counted per population, and rate records bin them.

use super::Spike;
use crate::model::{Network, NeuronSelection};
use crate::plan::Plan;

/// The spike counts of a whole population in bins of a fixed width.
#[derive(Clone, Debug, PartialEq)]
pub struct RateRecord {
    /// Bin width (ms), a whole number of time steps.
    pub bin_ms: f64,
    /// Spikes of the population in each bin; the last bin may be partial (see
    /// [`RateRecord::rates_hz`]).
    pub counts: Vec<u32>,
    /// Neurons of the population.
    pub neurons: u32,
    /// Biological time covered so far (ms).
    pub duration_ms: f64,
}

impl RateRecord {
    /// The population rate (Hz per neuron) in each bin; a last, partial bin is divided by
    /// its own length.
    pub fn rates_hz(&self) -> Vec<f64> {
        self.counts
            .iter()
            .enumerate()
            .map(|(b, &c)| {
                let start = b as f64 * self.bin_ms;
                let width = (self.duration_ms - start).min(self.bin_ms).max(f64::MIN_POSITIVE);
                f64::from(c) * 1000.0 / (width * f64::from(self.neurons))
            })
            .collect()
    }

    /// The start time (ms) of each bin.
    pub fn bin_starts_ms(&self) -> Vec<f64> {
        (0..self.counts.len()).map(|b| b as f64 * self.bin_ms).collect()
    }
}

/// One population's filter: which of its spikes are kept.
struct Filter {
    start: u32,
    record: bool,
    neurons: NeuronSelection,
    ticks: (u64, u64),
}

/// A rate record being filled.
struct RateBins {
    bin_ticks: u64,
    record: RateRecord,
}

/// Spikes kept, counts and rate records.
pub(super) struct RecordStore {
    filters: Vec<Filter>,
    rates: Vec<Option<RateBins>>,
    /// Spikes emitted per population, recorded or not.
    pub(super) counts: Vec<u64>,
    /// Kept spikes, in (tick, neuron) order.
    pub(super) records: Vec<Spike>,
}

impl RecordStore {
    /// The filters and rate records `net` asks for.
    pub(super) fn new(net: &Network, plan: &Plan) -> Self {
        let dt = net.dt_ms;
        let filters = net
            .populations
            .iter()
            .zip(&plan.populations)
            .map(|(p, planned)| Filter {
                start: planned.gpu.start,
                record: p.record_spikes,
                neurons: p.spike_recording.neurons.clone(),
                ticks: p.spike_recording.ticks(dt),
            })
            .collect();
        let rates = net
            .populations
            .iter()
            .map(|p| {
                p.rate_bin_ms.map(|bin_ms| RateBins {
                    bin_ticks: (bin_ms / dt).round().max(1.0) as u64,
                    record: RateRecord {
                        bin_ms,
                        counts: Vec::new(),
                        neurons: p.size,
                        duration_ms: 0.0,
                    },
                })
            })
            .collect();
        RecordStore {
            filters,
            rates,
            counts: vec![0; net.populations.len()],
            records: Vec::new(),
        }
    }

    /// Files one batch of spikes (every population's, in (tick, neuron) order) after which
    /// `ticks` ticks have run.
    pub(super) fn drain(&mut self, batch: &[Spike], plan: &Plan, ticks: u64, dt_ms: f64) {
        for r in batch {
            let pi = plan.population_of(r.neuron);
            self.counts[pi] += 1;
            if let Some(rate) = &mut self.rates[pi] {
                let b = (r.tick / rate.bin_ticks) as usize;
                if rate.record.counts.len() <= b {
                    rate.record.counts.resize(b + 1, 0);
                }
                rate.record.counts[b] += 1;
            }
            let f = &self.filters[pi];
            let tick = r.tick;
            if f.record && tick >= f.ticks.0 && tick < f.ticks.1 && f.neurons.contains(r.neuron - f.start) {
                self.records.push(*r);
            }
        }
        for rate in self.rates.iter_mut().flatten() {
            let bins = ticks.div_ceil(rate.bin_ticks) as usize;
            if rate.record.counts.len() < bins {
                rate.record.counts.resize(bins, 0);
            }
            rate.record.duration_ms = ticks as f64 * dt_ms;
        }
    }

    /// The rate records' bin counts so far, one list per population (empty where it keeps
    /// none): with the counts, what a checkpoint of the command line needs of the store.
    pub(super) fn rate_counts(&self) -> Vec<Vec<u32>> {
        self.rates
            .iter()
            .map(|r| r.as_ref().map_or_else(Vec::new, |r| r.record.counts.clone()))
            .collect()
    }

    /// Takes back counts and rate bins saved by a checkpoint at `ticks`, or says why they do
    /// not fit this network.
    pub(super) fn restore_counts(
        &mut self,
        counts: Vec<u64>,
        rate_counts: Vec<Vec<u32>>,
        ticks: u64,
        dt_ms: f64,
    ) -> Result<(), String> {
        if counts.len() != self.counts.len() || rate_counts.len() != self.rates.len() {
            return Err(format!(
                "it counts spikes of {} populations, this network has {}",
                counts.len(),
                self.counts.len()
            ));
        }
        for (rate, bins) in self.rates.iter_mut().zip(rate_counts) {
            match rate {
                Some(rate) => {
                    if bins.len() as u64 != ticks.div_ceil(rate.bin_ticks) {
                        return Err("its rate records do not fit this network's bins".into());
                    }
                    rate.record.counts = bins;
                    rate.record.duration_ms = ticks as f64 * dt_ms;
                }
                None if bins.is_empty() => {}
                None => return Err("it holds a rate record this network does not keep".into()),
            }
        }
        self.counts = counts;
        Ok(())
    }

    /// The rate record of population `pi`, if it keeps one.
    pub(super) fn rate(&self, pi: usize) -> Option<&RateRecord> {
        self.rates.get(pi)?.as_ref().map(|r| &r.record)
    }
}
