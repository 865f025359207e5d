//! Changes between runs ([`crate::sim::Simulator::set_state`] and the other setters): new
//! neuron states and tables are written into the run buffers, taking effect from the next
//! tick; a table that outgrew its buffer gets a larger one, and the stages are bound again.

use super::GpuBackend;
use crate::error::{Result, limit_exceeded_f64};
use crate::neurons::equation::MIRRORED_FIELDS;
use crate::plan::Plan;
use crate::plan::equations::mirrored_field;
use crate::plan::layout::NeuronState;
use crate::plan::sizes::DeviceBuffer;

impl GpuBackend {
    /// Replaces the state of neurons `first..first + states.len()` (global indices).
    pub fn set_neuron_states(&mut self, first: u32, states: &[NeuronState]) -> Result<()> {
        let offset = u64::from(first) * size_of::<NeuronState>() as u64;
        self.write_or_grow(DeviceBuffer::State, offset, bytemuck::cast_slice(states))?;
        self.finish_writes()
    }

    /// Sets variable `variable` of every neuron of population `plan.equations[eq]` of a
    /// user-defined model: the first six in the neuron state, the others in the
    /// population's own buffer.
    pub fn set_equation_variable(
        &mut self,
        plan: &Plan,
        eq: usize,
        variable: usize,
        values: &[f32],
    ) -> Result<()> {
        let e = &plan.equations[eq];
        match variable.checked_sub(MIRRORED_FIELDS.len()) {
            None => {
                let range = e.start as usize..(e.start + e.size) as usize;
                let mut states = self.pull_state()?[range].to_vec();
                for (s, &x) in states.iter_mut().zip(values) {
                    *mirrored_field(s, variable) = x;
                }
                self.set_neuron_states(e.start, &states)
            }
            Some(j) => {
                self.push_equation_extras(eq, j * e.size as usize, values)?;
                self.finish_writes()
            }
        }
    }

    /// Takes `plan`'s per-neuron parameters and spike source ticks.
    pub fn set_neuron_tables(&mut self, plan: &Plan) -> Result<()> {
        self.write_or_grow(
            DeviceBuffer::NeuronParams,
            0,
            bytemuck::cast_slice(&plan.neuron_params),
        )?;
        self.write_or_grow(
            DeviceBuffer::SourceTicks,
            0,
            bytemuck::cast_slice(&plan.source_ticks),
        )?;
        self.finish_writes()
    }

    /// Takes `plan`'s Poisson input tables, the inputs' weights at the run's fixed-point scale.
    pub fn set_poisson_tables(&mut self, plan: &Plan) -> Result<()> {
        let (poisson, _) = plan.rescaled_inputs(self.params.fixed_scale);
        self.write_or_grow(DeviceBuffer::Poisson, 0, bytemuck::cast_slice(&poisson))?;
        self.write_or_grow(
            DeviceBuffer::PoissonSegments,
            0,
            bytemuck::cast_slice(&plan.poisson_segments),
        )?;
        self.write_or_grow(
            DeviceBuffer::PoissonCdf,
            0,
            bytemuck::cast_slice(&plan.poisson_cdf),
        )?;
        self.finish_writes()
    }

    /// Takes `plan`'s synapse words (delays changed; targets, ports and plasticity as
    /// built). The compact format holds the delays beside the weights (static storage: the
    /// plan's weights), so its words are encoded again.
    pub fn set_synapses(&mut self, plan: &Plan) -> Result<()> {
        if self.is_compact() {
            return self.push_weights(plan, &plan.weights);
        }
        self.write_or_grow(DeviceBuffer::Synapses, 0, bytemuck::cast_slice(&plan.synapses))?;
        self.finish_writes()
    }

    /// Writes `bytes` at `offset` of `buffer`; where they do not fit, the buffer is replaced
    /// by one just large enough (within the device's binding limit) holding them from its
    /// start (`offset` must then be 0), and the stages are bound to it.
    fn write_or_grow(&mut self, buffer: DeviceBuffer, offset: u64, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let end = offset + bytes.len() as u64;
        let current = self.resources.get(buffer);
        if end <= current.size() {
            self.ctx.queue.write_buffer(current, offset, bytes);
            return Ok(());
        }
        let limit = self.ctx.device_limits().max_storage_binding_bytes;
        if end > limit {
            return Err(limit_exceeded_f64(
                format!("bytes of the device buffer '{}' after the change", buffer.name()),
                end as f64,
                limit,
            ));
        }
        debug_assert_eq!(offset, 0, "only whole tables grow");
        let grown = super::resources::create(&self.ctx.device, buffer, end, Some(bytes))?;
        self.resources.insert(buffer, vec![grown]);
        self.program.rebind(&self.ctx.device, &self.resources)
    }

    /// Submits the queued writes, so that they precede the next run, and checks for errors.
    fn finish_writes(&self) -> Result<()> {
        self.ctx.queue.submit([]);
        self.ctx.check()
    }
}
