//! The CPU reference backend as an [`Engine`].

use std::ops::Range;

use super::engine::{Engine, WeightCopy};
use super::{EngineState, NonFiniteFault, NonFinitePolicy, RunCounters, Spike};
use crate::cpu::CpuBackend;
use crate::error::{Error, Result};
use crate::gpu::GpuBackend;
use crate::plan::Plan;
use crate::plan::layout::NeuronState;

impl Engine for CpuBackend {
    fn backend_name(&self) -> &'static str {
        "cpu"
    }

    fn adapter_name(&self) -> String {
        format!("cpu reference, {} threads", self.threads())
    }

    fn run_ticks(&mut self, ticks: u64, out: &mut Vec<Spike>) -> Result<()> {
        CpuBackend::run_ticks(self, ticks, out);
        Ok(())
    }

    fn deliver_spikes(&mut self, spikes: &[Spike]) -> Result<()> {
        if self.plan().partition.is_none() {
            return Err(crate::error::invalid(
                "deliver_spikes",
                "cpu",
                "only an engine built on a rank's plan (Plan::for_rank) takes exchanged spikes",
            ));
        }
        CpuBackend::deliver_spikes(self, spikes);
        Ok(())
    }

    fn set_nonfinite_policy(&mut self, policy: NonFinitePolicy) -> Result<()> {
        CpuBackend::set_nonfinite_policy(self, policy);
        Ok(())
    }

    fn nonfinite(&self) -> Option<NonFiniteFault> {
        CpuBackend::nonfinite(self)
    }

    fn export_state(&self, plan: &Plan) -> Result<EngineState> {
        Ok(CpuBackend::export_state(self, plan))
    }

    fn import_state(&mut self, plan: &Plan, state: &EngineState) -> Result<()> {
        CpuBackend::import_state(self, plan, state)
    }

    fn counters(&self) -> RunCounters {
        RunCounters {
            ticks: self.tick(),
            spikes: self.total_spikes(),
            syn_events: self.total_events(),
        }
    }

    fn neuron_state(&self) -> Result<Vec<NeuronState>> {
        Ok(self.state())
    }

    fn equation_extra(&self, plan: &Plan, eq: usize, variable: usize) -> Result<Vec<f32>> {
        let eq = &plan.equations[eq];
        Ok(self.equation_variable(eq, &eq.model.variables()[variable].name))
    }

    fn input_ring(&self) -> Result<Vec<i32>> {
        Ok(CpuBackend::input_ring(self))
    }

    fn weights(&self, _plan: &Plan) -> Result<Vec<f32>> {
        Ok(CpuBackend::weights(self))
    }

    fn set_weights(&mut self, plan: &Plan, weights: &[f32]) -> Result<()> {
        CpuBackend::set_weights(self, plan, weights);
        Ok(())
    }

    fn request_weights(&self, _plan: &Plan, synapses: Range<u32>) -> Result<WeightCopy> {
        let range = synapses.start as usize..synapses.end as usize;
        let mut weights = CpuBackend::weights(self);
        weights.truncate(range.end);
        Ok(WeightCopy::Ready(weights.split_off(range.start)))
    }

    fn finish_weights(&self, copy: &WeightCopy, _wait: bool) -> Result<Option<Vec<f32>>> {
        match copy {
            WeightCopy::Ready(values) => Ok(Some(values.clone())),
            WeightCopy::Gpu(_) => Err(Error::Gpu(
                "a GPU weight copy was handed to the CPU backend".into(),
            )),
        }
    }

    fn eligibility(&self) -> Result<Vec<f32>> {
        Ok(CpuBackend::eligibility(self))
    }

    fn modulator_levels(&self) -> Result<Vec<f32>> {
        Ok(CpuBackend::modulator_levels(self))
    }

    fn set_modulator(&mut self, channel: usize, level: f32) -> Result<()> {
        CpuBackend::set_modulator(self, channel, level);
        Ok(())
    }

    fn set_currents(&mut self, plan: &Plan) -> Result<()> {
        CpuBackend::set_currents(self, plan);
        Ok(())
    }

    fn set_neuron_states(&mut self, plan: &Plan, first: u32, states: &[NeuronState]) -> Result<()> {
        CpuBackend::set_neuron_states(self, plan, first, states);
        Ok(())
    }

    fn set_equation_variable(
        &mut self,
        plan: &Plan,
        eq: usize,
        variable: usize,
        values: &[f32],
    ) -> Result<()> {
        CpuBackend::set_equation_variable(self, &plan.equations[eq], variable, values);
        Ok(())
    }

    fn set_neuron_tables(&mut self, plan: &Plan) -> Result<()> {
        CpuBackend::set_neuron_tables(self, plan);
        Ok(())
    }

    fn set_poisson_tables(&mut self, plan: &Plan) -> Result<()> {
        CpuBackend::set_poisson_tables(self, plan);
        Ok(())
    }

    fn set_synapses(&mut self, plan: &Plan) -> Result<()> {
        CpuBackend::set_synapses(self, plan);
        Ok(())
    }

    fn generated_synapses(&self) -> u64 {
        0
    }

    fn compact_bytes_per_synapse(&self) -> Option<f64> {
        Some(self.bytes_per_synapse())
    }

    fn gpu(&self) -> Option<&GpuBackend> {
        None
    }
}
