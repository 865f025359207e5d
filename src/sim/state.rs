//! [`EngineState`]: everything the future of a run depends on, in one layout for every
//! backend, which [`Engine::export_state`](super::Engine::export_state) writes and
//! [`Engine::import_state`](super::Engine::import_state) takes. Checkpoints hold it
//! ([`Simulator::export_state`](super::Simulator::export_state)); a rank of a distributed run exports and imports its own engine's.
//!
//! Arrays indexed by a tick's slot in a circular buffer (the input ring, the STDP spike and
//! trace histories) are stored relative to the next tick, not by slot: what one backend
//! writes another reads whatever its own slot arithmetic, and moving `tick` moves the whole
//! run in time consistently (the inputs drawn from the counter-based generator then differ).
//!
//! Left out, because they are fixed at a tick boundary: the current accumulator (zero: every
//! neuron update takes it), the last spike tick of each neuron (only compared with the tick
//! being run, set in that same tick), the GPU's record ring (drained) and indirect arguments
//! (written before use in every tick). The random generator has no state: its counters are
//! the tick and the neuron.

use super::NonFiniteFault;
use crate::neurons::equation::MIRRORED_FIELDS;
use crate::plan::equations::EquationPlan;
use crate::plan::layout::NeuronState;
use crate::plan::{PORTS, Plan};

/// The dynamic state of an engine at a tick boundary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EngineState {
    /// The next tick to run.
    pub tick: u64,
    /// Spikes emitted so far.
    pub spikes: u64,
    /// Synaptic events delivered so far.
    pub syn_events: u64,
    /// Every neuron's state.
    pub neurons: Vec<NeuronState>,
    /// The fixed-point input ring as `[port][k][neuron]`, `k` the input of tick `tick + k`.
    pub ring: Vec<i32>,
    /// The weight of every stored synapse, merged CSR order.
    pub weights: Vec<f32>,
    /// The eligibility trace of every synapse (empty without reward-modulated projections).
    pub eligibility: Vec<f32>,
    /// STDP traces: each plastic projection's pre and post blocks as `[which][j][neuron]`,
    /// `j` the value after tick `tick - 1 - j` (empty without plasticity).
    pub traces: Vec<f32>,
    /// STDP spike history: entry `j` lists the neurons that spiked in tick `tick - 1 - j`,
    /// ascending (`hist_len` entries; empty without plasticity).
    pub spike_history: Vec<Vec<u32>>,
    /// Level of every neuromodulator channel (0 global, 1 + p population p).
    pub modulators: Vec<f32>,
    /// The watchdog's record.
    pub fault: Option<NonFiniteFault>,
    /// For each population of a user-defined model (plan order), its variables past the
    /// sixth as `[variable - 6][neuron]` (the first six and the refractory counter are in
    /// `neurons`).
    pub equations: Vec<Vec<f32>>,
}

impl EngineState {
    /// Refuses a state whose arrays do not fit `plan` (another network), naming the first
    /// array that differs.
    pub fn check_shape(&self, plan: &Plan) -> Result<(), String> {
        let n = plan.n_neurons as usize;
        let ring = PORTS as usize * plan.ring_slots as usize * n;
        let plastic = !plan.plastic.is_empty();
        let modulated = plan.modulation_interval > 0;
        let checks = [
            ("neurons", self.neurons.len(), n),
            ("input ring entries", self.ring.len(), ring),
            ("traces", self.traces.len(), plan.trace_len as usize),
            (
                "eligibility traces",
                self.eligibility.len(),
                if modulated { plan.synapses.len() } else { 0 },
            ),
            (
                "spike history entries",
                self.spike_history.len(),
                if plastic { plan.hist_len as usize } else { 0 },
            ),
            (
                "neuromodulator channels",
                self.modulators.len(),
                plan.populations.len() + 1,
            ),
        ];
        for (what, have, want) in checks {
            if have != want {
                return Err(format!("it holds {have} {what}, this network has {want}"));
            }
        }
        if self.equations.len() != plan.equations.len() {
            return Err(format!(
                "it holds the state of {} populations of user-defined models, this network has {}",
                self.equations.len(),
                plan.equations.len()
            ));
        }
        for (values, eq) in self.equations.iter().zip(&plan.equations) {
            let want = extra_len(eq);
            if values.len() != want {
                return Err(format!(
                    "it holds {} values of the variables past the sixth of population '{}', its model '{}' has {want}",
                    values.len(),
                    plan.populations[eq.population].name,
                    eq.model.name()
                ));
            }
        }
        if !self.weights.is_empty() && self.weights.len() != plan.synapses.len() {
            return Err(format!(
                "it holds {} weights, this network stores {} synapses",
                self.weights.len(),
                plan.synapses.len()
            ));
        }
        // A rank of a distributed run keeps every rank's spikes, by global neuron.
        let n_ids = plan.partition.as_ref().map_or(plan.n_neurons, |p| p.n_global);
        if let Some(i) = self.spike_history.iter().flatten().position(|&id| id >= n_ids) {
            return Err(format!("spike history entry {i} names a neuron past {n_ids}"));
        }
        Ok(())
    }
}

/// How many values population `eq`'s variables past the sixth hold.
pub fn extra_len(eq: &EquationPlan) -> usize {
    eq.model.variables().len().saturating_sub(MIRRORED_FIELDS.len()) * eq.size as usize
}

/// The absolute slot of relative entry `k` of a ring of `slots` slots at tick `tick`.
fn slot_ahead(tick: u64, k: usize, slots: usize) -> usize {
    ((tick % slots as u64) as usize + k) % slots
}

/// The absolute slot of the tick `1 + j` ticks before `tick` in a history of `slots` slots.
fn slot_behind(tick: u64, j: usize, slots: usize) -> usize {
    let now = (tick % slots as u64) as usize;
    (now + slots - 1 - j % slots) % slots
}

/// The input ring in slot order (`[port][slot][neuron]`) as the relative layout.
pub fn ring_to_relative(plan: &Plan, tick: u64, ring: &[i32]) -> Vec<i32> {
    permute_ring(plan, tick, ring, true)
}

/// The relative layout of the input ring back in slot order for tick `tick`.
pub fn ring_from_relative(plan: &Plan, tick: u64, relative: &[i32]) -> Vec<i32> {
    permute_ring(plan, tick, relative, false)
}

fn permute_ring(plan: &Plan, tick: u64, from: &[i32], to_relative: bool) -> Vec<i32> {
    let (n, d) = (plan.n_neurons as usize, plan.ring_slots as usize);
    let mut out = vec![0; from.len()];
    for port in 0..PORTS as usize {
        for k in 0..d {
            let slot = slot_ahead(tick, k, d);
            let (rel, abs) = ((port * d + k) * n, (port * d + slot) * n);
            let (src, dst) = if to_relative { (abs, rel) } else { (rel, abs) };
            out[dst..dst + n].copy_from_slice(&from[src..src + n]);
        }
    }
    out
}

/// The trace blocks of the plan's plastic projections: (offset, neurons), each once.
fn trace_blocks(plan: &Plan) -> Vec<(usize, usize)> {
    let mut blocks: Vec<(usize, usize)> = plan
        .plastic
        .iter()
        .flat_map(|p| {
            [
                (p.pre_trace as usize, p.pre_size as usize),
                (p.post_trace as usize, p.post_size as usize),
            ]
        })
        .collect();
    blocks.sort_unstable();
    blocks.dedup();
    blocks
}

/// The traces in slot order as the relative layout.
pub fn traces_to_relative(plan: &Plan, tick: u64, traces: &[f32]) -> Vec<f32> {
    permute_traces(plan, tick, traces, true)
}

/// The relative layout of the traces back in slot order for tick `tick`.
pub fn traces_from_relative(plan: &Plan, tick: u64, relative: &[f32]) -> Vec<f32> {
    permute_traces(plan, tick, relative, false)
}

fn permute_traces(plan: &Plan, tick: u64, from: &[f32], to_relative: bool) -> Vec<f32> {
    let h = plan.hist_len as usize;
    let mut out = from.to_vec();
    for (offset, size) in trace_blocks(plan) {
        for which in 0..2 {
            for j in 0..h {
                let slot = slot_behind(tick, j, h);
                let rel = offset + (which * h + j) * size;
                let abs = offset + (which * h + slot) * size;
                let (src, dst) = if to_relative { (abs, rel) } else { (rel, abs) };
                out[dst..dst + size].copy_from_slice(&from[src..src + size]);
            }
        }
    }
    out
}

/// The spike history by slot (each slot's neurons in any order) as the relative layout.
pub fn history_to_relative(tick: u64, by_slot: &[Vec<u32>]) -> Vec<Vec<u32>> {
    let h = by_slot.len();
    (0..h)
        .map(|j| {
            // Ticks before the run's start have no spikes, whatever their slot holds.
            if (j as u64) >= tick {
                return Vec::new();
            }
            let mut spikes = by_slot[slot_behind(tick, j, h)].clone();
            spikes.sort_unstable();
            spikes
        })
        .collect()
}

/// The relative spike history back by slot for tick `tick`.
pub fn history_from_relative(tick: u64, relative: &[Vec<u32>]) -> Vec<Vec<u32>> {
    let h = relative.len();
    let mut by_slot = vec![Vec::new(); h];
    for (j, spikes) in relative.iter().enumerate() {
        by_slot[slot_behind(tick, j, h)].clone_from(spikes);
    }
    by_slot
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_slots_follow_the_tick() {
        // Tick 7 in a ring of 5: k = 0 is slot 2, k = 4 is slot 1.
        assert_eq!(slot_ahead(7, 0, 5), 2);
        assert_eq!(slot_ahead(7, 4, 5), 1);
        // The tick before 7 (6) is slot 1 of 5; 5 ticks before (2) is slot 2.
        assert_eq!(slot_behind(7, 0, 5), 1);
        assert_eq!(slot_behind(7, 4, 5), 2);
        let by_slot = vec![vec![10], vec![11, 3], vec![12], vec![13], vec![14]];
        let rel = history_to_relative(7, &by_slot);
        assert_eq!(rel[0], vec![3, 11]);
        let mut back = history_from_relative(7, &rel);
        back[1].sort_unstable();
        let mut expected = by_slot.clone();
        expected[1].sort_unstable();
        assert_eq!(back, expected);
        // At tick 2 only two ticks of history exist.
        let early = history_to_relative(2, &by_slot);
        assert!(early[2..].iter().all(Vec::is_empty));
    }
}
