//! The `neuron_update` twin for populations of user-defined models: each thread runs the
//! compiled CPU program ([`CpuPopulation`]) on its own neurons of the population, with the
//! tick's inputs taken from the same fixed-point ring as the built-in models'. A thread's
//! share draws the random numbers of its neurons' indices in the whole population, so the
//! spikes and state do not depend on the thread count. The first variables are mirrored into
//! `NeuronState` when the state is read ([`CpuBackend::state`](super::CpuBackend::state)).

use std::ops::Range;

use super::neuron_update::PopInputs;
use super::state::StateSlices;
use crate::equations::{CpuPopulation, TickInputs};
use crate::neurons::equation::MIRRORED_FIELDS;
use crate::plan::equations::{EquationPlan, mirrored_field};
use crate::plan::layout::NeuronState;

/// One thread's neurons of a population of a user-defined model.
pub(super) struct EquationRun {
    /// Population index.
    pub population: usize,
    /// First global neuron index of this share.
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
    /// The neurons of the population that lie in `own` (global indices), at their planned
    /// initial values; `None` when there are none.
    pub(super) fn new(plan: &EquationPlan, dt_ms: f64, own: Range<u32>) -> Option<Self> {
        let first = plan.start.max(own.start);
        let end = (plan.start + plan.size).min(own.end);
        if first >= end {
            return None;
        }
        // Indices into the population's per-neuron tables.
        let share = (first - plan.start) as usize..(end - plan.start) as usize;
        let model = &plan.model;
        let n = share.len();
        // The plan already built the constant table for this dt, so this cannot fail.
        let mut pop = model
            .population(n, dt_ms)
            .unwrap_or_else(|e| unreachable!("constants checked by the plan: {e}"));
        // The plan's table holds the conventions' refractory count.
        pop.set_constants(&plan.constants);
        pop.set_first_neuron(plan.draw_first + share.start as u32 * plan.draw_stride);
        pop.set_neuron_stride(plan.draw_stride);
        for (var, values) in model.variables().iter().zip(&plan.initial) {
            if let Some(s) = pop.state_mut(&var.name) {
                s.copy_from_slice(&values[share.clone()]);
            }
        }
        for p in model.params() {
            if let (Some(k), Some(s)) = (p.per_neuron, pop.per_neuron_mut(&p.name)) {
                s.copy_from_slice(&plan.per_neuron[k][share.clone()]);
            }
        }
        Some(Self {
            population: plan.population,
            start: first as usize,
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
        })
    }

    /// Copies the first variables and the refractory counter of this share into `state` (all
    /// neurons), as read back: kept out of the tick, which does not read them.
    pub(super) fn mirror_into(&self, state: &mut [NeuronState]) {
        self.mirror_share(&mut state[self.start..self.start + self.pop.len()]);
    }

    /// The first global neuron of this share and its values of variable `name`.
    pub(super) fn variable(&self, name: &str) -> Option<(usize, &[f32])> {
        Some((self.start, self.pop.state(name)?))
    }

    /// Sets this share's values of variable `name` from `values` (one per neuron of the
    /// whole population, which starts at global neuron `first`).
    pub(super) fn set_variable(&mut self, name: &str, first: usize, values: &[f32]) {
        let at = self.start - first;
        let n = self.pop.len();
        if let Some(s) = self.pop.state_mut(name) {
            s.copy_from_slice(&values[at..at + n]);
        }
    }

    /// Continues from a checkpoint's state: the first variables and the refractory counters
    /// from `neurons` (the whole network's), the others from `extra` (the population's
    /// variables past the sixth, `[variable - 6][neuron]`).
    pub(super) fn restore(&mut self, plan: &EquationPlan, neurons: &[NeuronState], extra: &[f32]) {
        let (first, size) = (plan.start as usize, plan.size as usize);
        let n = self.pop.len();
        let share = &neurons[self.start..self.start + n];
        for (k, var) in plan.model.variables().iter().enumerate() {
            let values: Vec<f32> = match k.checked_sub(MIRRORED_FIELDS.len()) {
                None => share
                    .iter()
                    .map(|&s| {
                        let mut s = s;
                        *mirrored_field(&mut s, k)
                    })
                    .collect(),
                Some(j) => {
                    let at = j * size + self.start - first;
                    extra[at..at + n].to_vec()
                }
            };
            if let Some(s) = self.pop.state_mut(&var.name) {
                s.copy_from_slice(&values);
            }
        }
        for (c, s) in self.pop.refractory_mut().iter_mut().zip(share) {
            *c = s.refractory;
        }
    }

    /// [`EquationRun::mirror_into`] for the states of exactly this share's neurons.
    fn mirror_share(&self, state: &mut [NeuronState]) {
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
    /// advances this share one tick and flags its spikes. `inputs` holds exactly this share.
    pub(super) fn step(&mut self, inputs: &mut PopInputs, tick: u32, key: [u32; 2]) {
        let scale = inputs.scale;
        let n = self.pop.len();
        for k in 0..n {
            self.excitatory[k] = std::mem::take(&mut inputs.ring_e[k]) as f32 * scale;
            self.inhibitory[k] = std::mem::take(&mut inputs.ring_i[k]) as f32 * scale;
            self.current[k] = if inputs.has_currents {
                std::mem::take(&mut inputs.current_in[k]) as f32 * scale
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
        let spiked = &mut inputs.spiked[..n];
        spiked.fill(0);
        for &k in &self.local_spikes {
            spiked[k as usize] = 1;
        }
        // The watchdog reads `NeuronState`: a non-finite variable is mirrored there to be named.
        if self.mirrored_nonfinite() {
            inputs.nonfinite = true;
            self.mirror_into_slices(&mut inputs.state);
        }
    }

    /// Whether a mirrored variable (the ones the watchdog can name) is NaN or infinite.
    fn mirrored_nonfinite(&self) -> bool {
        self.mirrored
            .iter()
            .filter_map(|name| self.pop.state(name))
            .any(|values| values.iter().any(|x| !x.is_finite()))
    }

    /// [`EquationRun::mirror_into`] for the views of exactly this share's neurons.
    fn mirror_into_slices(&self, state: &mut StateSlices) {
        let mut share: Vec<NeuronState> = (0..self.pop.len()).map(|k| state.get(k)).collect();
        self.mirror_share(&mut share);
        for (k, s) in share.into_iter().enumerate() {
            state.set(k, s);
        }
    }
}
