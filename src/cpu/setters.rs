//! Changes between runs ([`crate::sim::Simulator::set_state`] and the other setters): the
//! CPU backend takes new neuron states into its threads' parts, and new tables into its own
//! copy of the plan, from the next tick on.

use super::*;

impl CpuBackend {
    /// Replaces the state of neurons `first..first + states.len()` (global indices).
    pub fn set_neuron_states(&mut self, plan: &Plan, first: u32, states: &[NeuronState]) {
        let end = first + states.len() as u32;
        for p in &mut self.parts {
            let part = p.get_mut().unwrap_or_else(PoisonError::into_inner);
            let own = part.own.clone();
            for g in first.max(own.start)..end.min(own.end) {
                part.state
                    .set((g - own.start) as usize, &states[(g - first) as usize]);
            }
        }
        self.refresh_fixed_thresholds(plan);
    }

    /// Sets variable `variable` of every neuron of population `eq` of a user-defined model
    /// (each thread's share from its part of `values`).
    pub fn set_equation_variable(
        &mut self,
        eq: &crate::plan::equations::EquationPlan,
        variable: usize,
        values: &[f32],
    ) {
        let name = &eq.model.variables()[variable].name;
        for p in &mut self.parts {
            let part = p.get_mut().unwrap_or_else(PoisonError::into_inner);
            for run in part
                .equations
                .iter_mut()
                .filter(|r| r.population == eq.population)
            {
                run.set_variable(name, eq.start as usize, values);
            }
        }
    }

    /// Decides again, from the states now held, which LIF populations may take the update
    /// without a threshold raise: a `u` set or imported away from 0 needs the full one.
    pub(super) fn refresh_fixed_thresholds(&mut self, plan: &Plan) {
        let all = self.state();
        self.fixed_threshold = fixed_thresholds(plan, &all);
    }

    /// Takes `plan`'s per-neuron parameters and spike source ticks.
    pub fn set_neuron_tables(&mut self, plan: &Plan) {
        self.plan.neuron_params.clone_from(&plan.neuron_params);
        self.plan.source_ticks.clone_from(&plan.source_ticks);
        for (uniform, p) in self.uniform_params.iter_mut().zip(&plan.populations) {
            let q = &plan.neuron_params[p.gpu.start as usize..(p.gpu.start + p.gpu.size) as usize];
            *uniform = q.iter().all(|x| x == &q[0]) && q[0][1] == 0.0;
        }
    }

    /// Takes `plan`'s Poisson input tables.
    pub fn set_poisson_tables(&mut self, plan: &Plan) {
        self.plan.poisson.clone_from(&plan.poisson);
        self.plan.poisson_segments.clone_from(&plan.poisson_segments);
        self.plan.poisson_cdf.clone_from(&plan.poisson_cdf);
    }

    /// Takes `plan`'s synapse words (delays changed; targets, ports and plasticity as built).
    pub fn set_synapses(&mut self, plan: &Plan) {
        if self.compact() {
            // The delays sit in the compact words beside the weights: encode them again.
            let weights = self.plan.weights.clone();
            let parts = &self.parts;
            self.pool.run(&|t| {
                let mut part = lock(&parts[t]);
                let own = part.own.clone();
                part.synapses = SynapseStore::build(plan, &weights, own, true);
            });
            return;
        }
        for p in &mut self.parts {
            if let SynapseStore::Wide(store) =
                &mut p.get_mut().unwrap_or_else(PoisonError::into_inner).synapses
            {
                for (syn, &s) in store.synapses.iter_mut().zip(&store.plan_index) {
                    *syn = plan.synapses[s as usize];
                }
            }
        }
    }
}

/// Per population: whether its threshold stays fixed for neurons in the states `all`
/// (see [`neuron_update::threshold_stays_fixed`]).
pub(super) fn fixed_thresholds(plan: &Plan, all: &[NeuronState]) -> Vec<bool> {
    plan.populations
        .iter()
        .map(|p| {
            let range = p.gpu.start as usize..(p.gpu.start + p.gpu.size) as usize;
            neuron_update::threshold_stays_fixed(&p.gpu, &all[range])
        })
        .collect()
}
