//! The GPU backend as an [`Engine`]: every method delegates to [`GpuBackend`]'s own.

use std::ops::Range;

use super::engine::{Engine, WeightCopy};
use super::{EngineState, NonFiniteFault, NonFinitePolicy, RunCounters, Spike};
use crate::error::Result;
use crate::gpu::GpuBackend;
use crate::plan::Plan;
use crate::plan::layout::NeuronState;

impl Engine for GpuBackend {
    fn backend_name(&self) -> &'static str {
        "gpu"
    }

    fn adapter_name(&self) -> String {
        self.adapter().name.clone()
    }

    fn run_ticks(&mut self, ticks: u64, out: &mut Vec<Spike>) -> Result<()> {
        GpuBackend::run_ticks(self, ticks, out)
    }

    fn deliver_spikes(&mut self, spikes: &[Spike]) -> Result<()> {
        GpuBackend::deliver_spikes(self, spikes)
    }

    fn profile_ticks(
        &mut self,
        ticks: u32,
        out: &mut Vec<Spike>,
    ) -> Result<Option<crate::gpu::StageProfile>> {
        GpuBackend::profile_ticks(self, ticks, out).map(Some)
    }

    fn set_nonfinite_policy(&mut self, policy: NonFinitePolicy) -> Result<()> {
        GpuBackend::set_nonfinite_policy(self, policy)
    }

    fn nonfinite(&self) -> Option<NonFiniteFault> {
        GpuBackend::nonfinite(self)
    }

    fn export_state(&self, plan: &Plan) -> Result<EngineState> {
        GpuBackend::export_state(self, plan)
    }

    fn import_state(&mut self, plan: &Plan, state: &EngineState) -> Result<()> {
        GpuBackend::import_state(self, plan, state)
    }

    fn counters(&self) -> RunCounters {
        let c = GpuBackend::counters(self);
        RunCounters {
            ticks: c.tick,
            spikes: c.spikes,
            syn_events: c.events,
        }
    }

    fn neuron_state(&self) -> Result<Vec<NeuronState>> {
        self.pull_state()
    }

    fn equation_extra(&self, plan: &Plan, eq: usize, variable: usize) -> Result<Vec<f32>> {
        self.pull_equation_extra(eq, plan.equations[eq].size, variable)
    }

    fn input_ring(&self) -> Result<Vec<i32>> {
        self.pull_input_ring()
    }

    fn weights(&self, plan: &Plan) -> Result<Vec<f32>> {
        if self.is_compact() {
            // Static compact storage: the device holds exactly the plan's (last set) weights.
            Ok(plan.weights.clone())
        } else {
            // The device's own count: the plan a rank passes does not list its synapses.
            self.pull_weights(self.synapses_held())
        }
    }

    fn set_weights(&mut self, plan: &Plan, weights: &[f32]) -> Result<()> {
        self.push_weights(plan, weights)
    }

    fn request_weights(&self, plan: &Plan, synapses: Range<u32>) -> Result<WeightCopy> {
        if self.is_compact() {
            let range = synapses.start as usize..synapses.end as usize;
            return Ok(WeightCopy::Ready(plan.weights[range].to_vec()));
        }
        let count = synapses.end - synapses.start;
        Ok(WeightCopy::Gpu(GpuBackend::request_weights(
            self,
            u64::from(synapses.start),
            u64::from(count),
        )?))
    }

    fn finish_weights(&self, copy: &WeightCopy, wait: bool) -> Result<Option<Vec<f32>>> {
        match copy {
            WeightCopy::Ready(values) => Ok(Some(values.clone())),
            WeightCopy::Gpu(read) => self.finish_read(read, wait),
        }
    }

    fn eligibility(&self) -> Result<Vec<f32>> {
        self.pull_eligibility()
    }

    fn modulator_levels(&self) -> Result<Vec<f32>> {
        self.pull_modulators()
    }

    fn set_modulator(&mut self, channel: usize, level: f32) -> Result<()> {
        GpuBackend::set_modulator(self, channel, level)
    }

    fn set_currents(&mut self, plan: &Plan) -> Result<()> {
        GpuBackend::set_currents(self, plan)
    }

    fn set_neuron_states(&mut self, _plan: &Plan, first: u32, states: &[NeuronState]) -> Result<()> {
        GpuBackend::set_neuron_states(self, first, states)
    }

    fn set_equation_variable(
        &mut self,
        plan: &Plan,
        eq: usize,
        variable: usize,
        values: &[f32],
    ) -> Result<()> {
        GpuBackend::set_equation_variable(self, plan, eq, variable, values)
    }

    fn set_neuron_tables(&mut self, plan: &Plan) -> Result<()> {
        GpuBackend::set_neuron_tables(self, plan)
    }

    fn set_poisson_tables(&mut self, plan: &Plan) -> Result<()> {
        GpuBackend::set_poisson_tables(self, plan)
    }

    fn set_synapses(&mut self, plan: &Plan) -> Result<()> {
        GpuBackend::set_synapses(self, plan)
    }

    fn generated_synapses(&self) -> u64 {
        GpuBackend::generated_synapses(self)
    }

    fn compact_bytes_per_synapse(&self) -> Option<f64> {
        GpuBackend::compact_bytes_per_synapse(self)
    }

    fn gpu(&self) -> Option<&GpuBackend> {
        Some(self)
    }
}
