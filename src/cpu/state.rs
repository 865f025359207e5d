//! The CPU backend's state in the engines' shared layout ([`EngineState`]): exported for
//! checkpoints and imported to resume one (from either backend).

use super::*;
use crate::error::{Error, Result};
use crate::sim::EngineState;
use crate::sim::state::{
    history_from_relative, history_to_relative, ring_from_relative, ring_to_relative, traces_from_relative,
    traces_to_relative,
};

impl CpuBackend {
    /// Everything the rest of the run depends on, in the shared layout.
    pub fn export_state(&self) -> EngineState {
        let tick = self.tick;
        EngineState {
            tick,
            spikes: self.total_spikes,
            syn_events: self.total_events,
            neurons: self.state.clone(),
            ring: ring_to_relative(&self.plan, tick, &self.ring),
            weights: self.weights.clone(),
            eligibility: self.eligibility.clone(),
            traces: traces_to_relative(&self.plan, tick, &self.traces),
            spike_history: if self.plan.plastic.is_empty() {
                Vec::new()
            } else {
                history_to_relative(tick, &self.spike_hist)
            },
            modulators: self.modulator_levels().to_vec(),
            fault: self.fault,
        }
    }

    /// Continues from `state` (checked against this backend's sizes by
    /// [`EngineState::check_shape`]); empty weights keep the current ones.
    pub fn import_state(&mut self, state: &EngineState) -> Result<()> {
        state.check_shape(&self.plan).map_err(Error::InvalidNetwork)?;
        let tick = state.tick;
        self.tick = tick;
        self.total_spikes = state.spikes;
        self.total_events = state.syn_events;
        self.state.clone_from(&state.neurons);
        self.ring = ring_from_relative(&self.plan, tick, &state.ring);
        if !state.weights.is_empty() {
            self.weights.clone_from(&state.weights);
        }
        self.eligibility.clone_from(&state.eligibility);
        self.traces = traces_from_relative(&self.plan, tick, &state.traces);
        if !self.plan.plastic.is_empty() {
            self.spike_hist = history_from_relative(tick, &state.spike_history);
        }
        let levels = state.modulators.len();
        self.modulators[..levels].copy_from_slice(&state.modulators);
        self.spiked_at.fill(u64::MAX);
        self.current_in.fill(0);
        self.spikes_this_tick.clear();
        self.fault = state.fault;
        Ok(())
    }
}
