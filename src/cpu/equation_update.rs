//! The `neuron_update` twin for populations of user-defined models: each runs its compiled
//! CPU program ([`CpuPopulation`]) on the tick's inputs, taken from the same fixed-point ring
//! as the built-in models'; its first variables are mirrored into `NeuronState` when the
//! state is read ([`CpuBackend::state`]).

use super::neuron_update::PopInputs;
use crate::equations::{CpuPopulation, TickInputs};
use crate::neurons::equation::MIRRORED_FIELDS;
use crate::plan::equations::{EquationPlan, mirrored_field};
use crate::plan::layout::NeuronState;

/// A population of a user-defined model on the CPU.
pub(super) struct EquationRun {
    /// Population index.
    pub population: usize,
    /// First global neuron index.
    start: usize,
    pop: CpuPopulation,
    /// Names of the mirrored variables, in field order.
    mirrored: Vec<String>,
    stream: u32,
    excitatory: Vec<f32>,
    inhibitory: Vec<f32>,
    current: Vec<f32>,
    local_spikes: Vec<u32>,
}

impl EquationRun {
    /// The population at its planned initial values.
    pub(super) fn new(plan: &EquationPlan, dt_ms: f64) -> Self {
        let model = &plan.model;
        let n = plan.size as usize;
        // The plan already built the constant table for this dt, so this cannot fail.
        let mut pop = model
            .population(n, dt_ms)
            .unwrap_or_else(|e| unreachable!("constants checked by the plan: {e}"));
        for (var, values) in model.variables().iter().zip(&plan.initial) {
            if let Some(s) = pop.state_mut(&var.name) {
                s.copy_from_slice(values);
            }
        }
        for p in model.params() {
            if let (Some(k), Some(s)) = (p.per_neuron, pop.per_neuron_mut(&p.name)) {
                s.copy_from_slice(&plan.per_neuron[k]);
            }
        }
        Self {
            population: plan.population,
            start: plan.start as usize,
            pop,
            mirrored: model
                .variables()
                .iter()
                .take(MIRRORED_FIELDS.len())
                .map(|v| v.name.clone())
                .collect(),
            stream: plan.stream,
            excitatory: vec![0.0; n],
            inhibitory: vec![0.0; n],
            current: vec![0.0; n],
            local_spikes: Vec::new(),
        }
    }

    /// Copies the first variables and the refractory counter into `state` (all neurons), as
    /// read back: kept out of the tick, which does not read them.
    pub(super) fn mirror_into(&self, state: &mut [NeuronState]) {
        let state = &mut state[self.start..self.start + self.pop.len()];
        for (k, name) in self.mirrored.iter().enumerate() {
            if let Some(values) = self.pop.state(name) {
                for (s, &x) in state.iter_mut().zip(values) {
                    *mirrored_field(s, k) = x;
                }
            }
        }
        for (s, &c) in state.iter_mut().zip(self.pop.refractory()) {
            s.refractory = c;
        }
    }

    /// Takes each neuron's fixed-point inputs (clearing them) as the built-in models do,
    /// advances the population one tick and records its spikes.
    pub(super) fn step(&mut self, inputs: &mut PopInputs, tick: u32, key: [u32; 2]) {
        let r = inputs.range.clone();
        let scale = inputs.scale;
        for (k, g) in r.clone().enumerate() {
            self.excitatory[k] = std::mem::take(&mut inputs.ring_e[g]) as f32 * scale;
            self.inhibitory[k] = std::mem::take(&mut inputs.ring_i[g]) as f32 * scale;
            self.current[k] = if inputs.has_currents {
                std::mem::take(&mut inputs.current_in[g]) as f32 * scale
            } else {
                0.0
            };
        }
        let tick_inputs = TickInputs {
            excitatory: &self.excitatory,
            inhibitory: &self.inhibitory,
            current: &self.current,
            tick,
            key,
            stream: self.stream,
        };
        self.local_spikes.clear();
        self.pop.step(&tick_inputs, &mut self.local_spikes);
        let start = r.start as u32;
        inputs.spikes.extend(self.local_spikes.iter().map(|&i| start + i));
        // The watchdog reads `NeuronState`: a non-finite variable is mirrored there to be named.
        if self.mirrored_nonfinite() {
            inputs.nonfinite = true;
            self.mirror_into(inputs.state);
        }
    }

    /// Whether a mirrored variable (the ones the watchdog can name) is NaN or infinite.
    fn mirrored_nonfinite(&self) -> bool {
        self.mirrored
            .iter()
            .filter_map(|name| self.pop.state(name))
            .any(|values| values.iter().any(|x| !x.is_finite()))
    }
}
