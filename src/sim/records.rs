//! Records and counters: the spikes recorded so far, neuron state and run counters.

use super::Simulator;
use super::Spike;
use super::record_store::RateRecord;
use crate::error::Result;
use crate::model::PopulationId;
use crate::plan::layout::NeuronState;

/// Spikes of one population: parallel arrays of times and neuron indices (local to the
/// population), sorted by time, then neuron.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeTrain {
    /// Spike times (ms): tick x dt, the start of the step in which the threshold was crossed
    /// (Brian2's convention; NEST reports the end of the step, one dt later).
    pub times_ms: Vec<f64>,
    /// Neuron index within the population.
    pub neurons: Vec<u32>,
}

/// Run counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunCounters {
    /// Ticks run so far.
    pub ticks: u64,
    /// Spikes emitted (all populations, recorded or not).
    pub spikes: u64,
    /// Synaptic events delivered (spikes x out-degree).
    pub syn_events: u64,
}

impl Simulator {
    /// Every recorded spike as (tick, global neuron), sorted.
    pub fn spike_records(&self) -> &[Spike] {
        &self.store.records
    }

    /// Hands over the spike records kept so far and starts a new record (for long runs that
    /// process spikes as they come, so that host memory stays bounded).
    pub fn take_spike_records(&mut self) -> Vec<Spike> {
        std::mem::take(&mut self.store.records)
    }

    /// The per-population spike counts and rate-record bins so far (what `spikegpu run`'s
    /// checkpoints keep of the record store; the engine's state is in
    /// [`Simulator::save_checkpoint`]).
    pub(crate) fn record_counts(&self) -> (Vec<u64>, Vec<Vec<u32>>) {
        (self.store.counts.clone(), self.store.rate_counts())
    }

    /// Takes back what [`Simulator::record_counts`] returned at the current tick, or says
    /// why it does not fit this network.
    pub(crate) fn restore_record_counts(
        &mut self,
        counts: Vec<u64>,
        rate_counts: Vec<Vec<u32>>,
    ) -> std::result::Result<(), String> {
        let (ticks, dt) = (self.ticks(), self.plan.dt_ms);
        self.store.restore_counts(counts, rate_counts, ticks, dt)
    }

    /// Spikes emitted so far by each population (in order), recorded or not.
    pub fn population_spike_counts(&self) -> &[u64] {
        &self.store.counts
    }

    /// The rate record of `pop` ([`crate::NetworkBuilder::record_rate`]), if it keeps one.
    pub fn rate_record(&self, pop: PopulationId) -> Result<Option<&RateRecord>> {
        self.population(pop)?;
        Ok(self.store.rate(pop.index))
    }

    /// Spikes of one population.
    pub fn spikes(&self, pop: PopulationId) -> Result<SpikeTrain> {
        let p = self.population(pop)?;
        let (start, end) = (p.gpu.start, p.gpu.start + p.gpu.size);
        let mut train = SpikeTrain::default();
        for r in self
            .store
            .records
            .iter()
            .filter(|r| (start..end).contains(&r.neuron))
        {
            train.times_ms.push(self.plan.spike_time_ms(r.tick));
            train.neurons.push(r.neuron - start);
        }
        Ok(train)
    }

    /// Ticks, spikes and synaptic events so far.
    pub fn counters(&self) -> RunCounters {
        self.engine.counters()
    }

    /// State of every neuron (reads back from the GPU).
    pub fn pull_state(&self) -> Result<Vec<NeuronState>> {
        self.engine.neuron_state()
    }

    /// Membrane potentials (mV) of one population.
    pub fn membrane_potentials(&self, pop: PopulationId) -> Result<Vec<f32>> {
        let p = self.population(pop)?.gpu;
        let state = self.pull_state()?;
        Ok(state[p.start as usize..(p.start + p.size) as usize]
            .iter()
            .map(|s| s.v)
            .collect())
    }

    /// The fixed-point input ring, `[port][slot][neuron]` (for tests and debugging).
    pub fn pull_input_ring(&self) -> Result<Vec<i32>> {
        self.engine.input_ring()
    }
}
