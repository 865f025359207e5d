//! Changing a current input's source between runs.

use super::Simulator;
use crate::error::{Result, invalid};
use crate::model::CurrentSource;

impl Simulator {
    /// Replaces the source of current input `input` (the index of its
    /// `NetworkBuilder::current_input` or `current_input_to` call, in creation order) from the
    /// next tick on; its target neurons stay. Step times are absolute (ms since the start of
    /// the simulation), and a sine's phase is relative to its own `start_ms`. Refused if the
    /// source is invalid (as the builder checks it), if the step tables outgrow the room left
    /// at build ([`crate::plan::SPARE_STEPS_PER_INPUT`] steps per input), or if the currents
    /// could overflow the fixed-point scale chosen at build.
    pub fn set_current(&mut self, input: usize, source: CurrentSource) -> Result<()> {
        let count = self.plan.current_inputs.len();
        if input >= count {
            return Err(invalid(
                "current input",
                input,
                &format!("must be the index of a current input (this network has {count})"),
            ));
        }
        if !self.plan.device_projections.is_empty() {
            // The overflow bound would have to include the generated synapses' in-degrees.
            return Err(invalid(
                format!("current input {input}"),
                "a new source",
                "current sources are fixed in a network whose connectivity was generated on the GPU",
            ));
        }
        source.check(&format!("current input {input}"))?;
        self.plan.set_current_source(input, source)?;
        self.engine.set_currents(&self.plan)
    }
}
