//! The GPU backend's state in the engines' shared layout ([`EngineState`]), and the
//! watchdog's policy: the spike history, kept here as per-slot counts and unordered ids, and
//! the slots of the circular buffers, kept as counters in the run control, are converted to
//! and from the shared layout.

use super::GpuBackend;
use super::readback::read_bytes;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::plan::layout::Control;
use crate::plan::sizes::DeviceBuffer;
use crate::sim::state::{
    extra_len, history_from_relative, history_to_relative, ring_from_relative, ring_to_relative,
    traces_from_relative, traces_to_relative,
};
use crate::sim::{EngineState, NonFiniteFault, NonFinitePolicy};

/// Byte offset of `Control::fault_stops`.
const FAULT_STOPS_OFFSET: u64 = std::mem::offset_of!(Control, fault_stops) as u64;

impl GpuBackend {
    /// What the run does on a non-finite state from the next run on.
    pub fn set_nonfinite_policy(&mut self, policy: NonFinitePolicy) -> Result<()> {
        self.fault_stops = policy == NonFinitePolicy::Stop;
        let control = self.resources.get(DeviceBuffer::Control);
        let value = u32::from(self.fault_stops);
        self.ctx
            .queue
            .write_buffer(control, FAULT_STOPS_OFFSET, bytemuck::bytes_of(&value));
        self.ctx.queue.submit([]);
        self.ctx.check()
    }

    /// The first non-finite state the watchdog saw, if any.
    pub fn nonfinite(&self) -> Option<NonFiniteFault> {
        self.fault
    }

    fn read_words<T: bytemuck::Pod>(&self, buffer: DeviceBuffer, offset: u64, count: u64) -> Result<Vec<T>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let bytes = read_bytes(
            &self.ctx,
            self.resources.get(buffer),
            offset,
            count * size_of::<T>() as u64,
        )?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Everything the rest of the run depends on, in the shared layout.
    pub fn export_state(&self, plan: &Plan) -> Result<EngineState> {
        let tick = self.counters.tick;
        let plastic = self.params.n_plastic > 0;
        let spike_history = if plastic {
            let h = u64::from(self.params.hist_len);
            let n = u64::from(self.params.n_neurons);
            let words: Vec<u32> = self.read_words(DeviceBuffer::SpikeHist, 0, h + h * n)?;
            let by_slot: Vec<Vec<u32>> = (0..h as usize)
                .map(|slot| {
                    let count = (words[slot] as usize).min(n as usize);
                    let at = h as usize + slot * n as usize;
                    words[at..at + count].to_vec()
                })
                .collect();
            history_to_relative(tick, &by_slot)
        } else {
            Vec::new()
        };
        let traces: Vec<f32> = self.read_words(DeviceBuffer::Traces, 0, u64::from(plan.trace_len))?;
        // The device's own count: a rank's kept plan no longer lists the synapses it holds.
        let weights = if self.synapses_held() == 0 || self.is_compact() {
            plan.weights.clone()
        } else {
            self.pull_weights(self.synapses_held())?
        };
        Ok(EngineState {
            tick,
            spikes: self.counters.spikes,
            syn_events: self.counters.events,
            neurons: self.pull_state()?,
            ring: ring_to_relative(plan, tick, &self.pull_input_ring()?),
            weights,
            eligibility: self.pull_eligibility()?,
            traces: traces_to_relative(plan, tick, &traces),
            spike_history,
            modulators: self.pull_modulators()?,
            fault: self.fault,
            equations: (plan.equations.iter().enumerate())
                .map(|(k, eq)| self.pull_equation_extras(k, extra_len(eq)))
                .collect::<Result<_>>()?,
        })
    }

    /// Continues from `state` (checked by [`EngineState::check_shape`]); empty weights keep
    /// the current ones.
    pub fn import_state(&mut self, plan: &Plan, state: &EngineState) -> Result<()> {
        state.check_shape(plan).map_err(Error::InvalidNetwork)?;
        let tick = state.tick;
        let write = |buffer: DeviceBuffer, offset: u64, bytes: &[u8]| {
            if !bytes.is_empty() {
                self.ctx
                    .queue
                    .write_buffer(self.resources.get(buffer), offset, bytes);
            }
        };
        write(DeviceBuffer::State, 0, bytemuck::cast_slice(&state.neurons));
        let ring = ring_from_relative(plan, tick, &state.ring);
        write(DeviceBuffer::Ring, 0, bytemuck::cast_slice(&ring));
        let n = self.params.n_neurons as usize;
        write(DeviceBuffer::CurrentIn, 0, bytemuck::cast_slice(&vec![0i32; n]));
        if !state.weights.is_empty() {
            self.push_weights(plan, &state.weights)?;
        }
        let eligibility_at = u64::from(self.params.n_synapses) * 4;
        write(
            DeviceBuffer::Weights,
            eligibility_at,
            bytemuck::cast_slice(&state.eligibility),
        );
        let traces = traces_from_relative(plan, tick, &state.traces);
        write(DeviceBuffer::Traces, 0, bytemuck::cast_slice(&traces));
        if self.params.n_plastic > 0 {
            write(
                DeviceBuffer::SpikeHist,
                0,
                bytemuck::cast_slice(&self.history_words(tick, state)),
            );
            let never = vec![u32::MAX; 2 * n];
            write(DeviceBuffer::SpikedAt, 0, bytemuck::cast_slice(&never));
        }
        write(
            DeviceBuffer::Modulators,
            0,
            bytemuck::cast_slice(&state.modulators),
        );
        for (k, values) in state.equations.iter().enumerate() {
            self.push_equation_extras(k, 0, values)?;
        }
        let control = self.control_at(state);
        write(DeviceBuffer::Control, 0, bytemuck::bytes_of(&control));
        self.ctx.queue.submit([]);
        self.ctx.check()?;
        self.counters.tick = tick;
        self.counters.spikes = state.spikes;
        self.counters.events = state.syn_events;
        self.fault = state.fault;
        Ok(())
    }

    /// The spike history buffer's words for `state`: per slot counts, then ids.
    fn history_words(&self, tick: u64, state: &EngineState) -> Vec<u32> {
        let h = self.params.hist_len as usize;
        let n = self.params.n_neurons as usize;
        let by_slot = history_from_relative(tick, &state.spike_history);
        let mut words = vec![0u32; h + h * n];
        for (slot, ids) in by_slot.iter().enumerate() {
            words[slot] = ids.len() as u32;
            words[h + slot * n..h + slot * n + ids.len()].copy_from_slice(ids);
        }
        words
    }

    /// The run control at the boundary before `state.tick`.
    fn control_at(&self, state: &EngineState) -> Control {
        let [tick, tick_hi] = crate::limits::tick_words(state.tick);
        let modulo = |m: u32| {
            if m == 0 {
                0
            } else {
                (state.tick % u64::from(m)) as u32
            }
        };
        let [spikes_lo, spikes_hi] = crate::limits::tick_words(state.spikes);
        let [events_lo, events_hi] = crate::limits::tick_words(state.syn_events);
        let mut control = Control {
            tick,
            tick_hi,
            end_tick: tick,
            end_tick_hi: tick_hi,
            spikes_lo,
            spikes_hi,
            events_lo,
            events_hi,
            halts: self.counters.halts,
            ring_slot: modulo(self.params.ring_slots),
            hist_slot: modulo(self.params.hist_len),
            modulation_phase: modulo(self.params.modulation_interval),
            fault_stops: u32::from(self.fault_stops),
            ..super::resources::control()
        };
        if let Some(f) = state.fault {
            [control.fault_tick, control.fault_tick_hi] = crate::limits::tick_words(f.tick);
            control.fault_neuron = f.neuron;
            control.fault_field = f.field + 1;
        }
        control
    }
}
