//! The CPU backend's state in the engines' shared layout ([`EngineState`]): exported for
//! checkpoints and imported to resume one (from either backend or thread count). The parts'
//! arrays are gathered into, and scattered from, the whole network's.

use super::*;
use crate::error::{Error, Result};
use crate::neurons::equation::MIRRORED_FIELDS;
use crate::sim::EngineState;
use crate::sim::state::{ring_from_relative, ring_to_relative, traces_from_relative, traces_to_relative};

impl CpuBackend {
    /// Everything the rest of the run depends on, in the shared layout (`plan`: the plan the
    /// backend was built from).
    pub fn export_state(&self, plan: &Plan) -> EngineState {
        let tick = self.tick;
        // With the variables of user-defined models mirrored in.
        let neurons = self.state();
        let traces: Vec<f32> = (0..self.shared.traces.len())
            .map(|i| self.shared.trace(i))
            .collect();
        EngineState {
            tick,
            spikes: self.total_spikes(),
            syn_events: self.total_events(),
            neurons,
            ring: ring_to_relative(plan, tick, &self.input_ring()),
            weights: self.weights(),
            eligibility: self.eligibility(),
            traces: traces_to_relative(plan, tick, &traces),
            spike_history: if plan.plastic.is_empty() {
                Vec::new()
            } else {
                // Entry j: the spikes of tick `tick - 1 - j` (none before the first tick); on
                // a rank every rank's, as exchanged (global ids).
                (0..u64::from(plan.hist_len))
                    .map(|j| match tick.checked_sub(j + 1) {
                        Some(t) if plan.partition.is_some() => self.exchanged.spikes_of(t, plan.hist_len),
                        Some(t) => self.shared.spikes(self.shared.slot(t)).collect(),
                        None => Vec::new(),
                    })
                    .collect()
            },
            modulators: self.modulator_levels(),
            fault: self.nonfinite(),
            equations: plan
                .equations
                .iter()
                .map(|eq| {
                    let vars = eq.model.variables().iter().skip(MIRRORED_FIELDS.len());
                    vars.flat_map(|v| self.equation_variable(eq, &v.name)).collect()
                })
                .collect(),
        }
    }

    /// Continues from `state` (checked against `plan`, the plan the backend was built from,
    /// by [`EngineState::check_shape`]); empty weights keep the current ones.
    pub fn import_state(&mut self, plan: &Plan, state: &EngineState) -> Result<()> {
        state.check_shape(plan).map_err(Error::InvalidNetwork)?;
        let tick = state.tick;
        self.tick = tick;
        if !state.weights.is_empty() {
            self.set_weights(plan, &state.weights);
        }
        let ring = ring_from_relative(plan, tick, &state.ring);
        let n = plan.n_neurons as usize;
        for (t, p) in self.parts.iter_mut().enumerate() {
            let part = p.get_mut().unwrap_or_else(PoisonError::into_inner);
            let own = part.own.start as usize..part.own.end as usize;
            part.state = StateArrays::new(&state.neurons[own.clone()]);
            if !own.is_empty() {
                for (row, values) in ring.chunks(n).zip(part.ring.chunks_mut(own.len())) {
                    values.copy_from_slice(&row[own.clone()]);
                }
            }
            if let SynapseStore::Wide(store) = &mut part.synapses {
                for (&s, e) in store.plan_index.iter().zip(&mut store.eligibility) {
                    *e = state.eligibility[s as usize];
                }
            }
            for run in &mut part.equations {
                let k = plan.equations.iter().position(|e| e.population == run.population);
                let k = k.expect("every equation run has its plan");
                run.restore(&plan.equations[k], &state.neurons, &state.equations[k]);
            }
            part.spiked_at.fill(u64::MAX);
            part.current_in.fill(0);
            part.spiked.fill(0);
            (part.spikes, part.events) = if t == 0 {
                (state.spikes, state.syn_events)
            } else {
                (0, 0)
            };
            part.fault = None;
        }
        for (cell, x) in self
            .shared
            .traces
            .iter()
            .zip(traces_from_relative(plan, tick, &state.traces))
        {
            cell.store(x.to_bits(), Relaxed);
        }
        if !plan.plastic.is_empty() {
            self.exchanged = Default::default();
            self.exchanged.next = tick;
            for (j, spikes) in (0u64..).zip(&state.spike_history) {
                if let Some(t) = tick.checked_sub(j + 1) {
                    match plan.partition.as_deref() {
                        Some(part) => {
                            self.exchanged.file(t, plan.hist_len, spikes);
                            self.shared
                                .file_tick(self.shared.slot(t), &part.local_ids(spikes));
                        }
                        None => self.shared.file_tick(self.shared.slot(t), spikes),
                    }
                }
            }
        }
        for (cell, x) in self.shared.modulators.iter().zip(&state.modulators) {
            cell.store(x.to_bits(), Relaxed);
        }
        self.imported_fault = state.fault;
        self.refresh_fixed_thresholds(plan);
        self.shared
            .fault_tick
            .store(state.fault.map_or(u64::MAX, |f| f.tick), Relaxed);
        Ok(())
    }
}

impl Shared {
    /// Files `spikes` (ascending global indices) as the spike lists of slot `slot`, each with
    /// the thread that owns it.
    fn file_tick(&self, slot: usize, spikes: &[u32]) {
        let n = *self.bounds.last().expect("bounds") as usize;
        for t in 0..self.threads() {
            let own = self.bounds[t]..self.bounds[t + 1];
            let mine: Vec<u32> = spikes.iter().copied().filter(|g| own.contains(g)).collect();
            let first = slot * n + own.start as usize;
            for (cell, &g) in self.spike_ids[first..].iter().zip(&mine) {
                cell.store(g, Relaxed);
            }
            self.spike_counts[slot * self.threads() + t].store(mine.len() as u32, Relaxed);
        }
    }
}
