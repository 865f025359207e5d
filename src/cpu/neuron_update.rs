//! `neuron_update`: each neuron advanced by its model, spikes collected in ascending order
//! (twin of `shaders/stages/neuron_update.wgsl`; each model's update, the twin of its
//! `shaders/models/*.wgsl`, lives in its file under `src/neurons/`).

use super::*;
use crate::neurons::{adex, hh, izhikevich, lif, lif_cond, poisson_source, spike_source};

impl CpuBackend {
    /// Stage 2: advance every neuron; collect spikes in ascending order.
    pub(super) fn neuron_update(&mut self) {
        self.spikes_this_tick.clear();
        let n = self.plan.n_neurons as usize;
        let d = self.plan.ring_slots as usize;
        let slot = (self.tick % d as u64) as usize;
        let scale = 1.0 / self.plan.fixed_scale;
        let (ring_e, rest) = self.ring.split_at_mut(d * n);
        let ring_e = &mut ring_e[slot * n..(slot + 1) * n];
        let ring_i = &mut rest[slot * n..(slot + 1) * n];
        let plan = &self.plan;
        let spikes = &mut self.spikes_this_tick;
        let state = &mut self.state;
        let current_in = &mut self.current_in;
        let tick = self.tick;
        let has_currents = !plan.currents.is_empty();
        let mut faulty = false;
        let equations = &mut self.equations;
        for (pi, pop) in plan.populations.iter().enumerate() {
            let p = &pop.gpu;
            let fixed_threshold = self.fixed_threshold[pi];
            let uniform_params = self.uniform_params[pi];
            // One loop per model (a generic function), so each model's update is inlined.
            let range = p.start as usize..(p.start + p.size) as usize;
            let mut inputs = PopInputs {
                range,
                ring_e: &mut *ring_e,
                ring_i: &mut *ring_i,
                current_in: &mut *current_in,
                state: &mut *state,
                params: &plan.neuron_params,
                spikes: &mut *spikes,
                scale,
                has_currents,
                nonfinite: false,
            };
            // Per-neuron parameters: Izhikevich (a, b, c, d); spike sources (offset, count); the
            // other models (threshold, bias current, -, -).
            match p.model {
                model_id::LIF if lif::exponential_synapses(p) && fixed_threshold && uniform_params => {
                    // The CUBA case: one threshold for all, no bias (adding 0 changes no value).
                    let threshold = plan.neuron_params[p.start as usize][0];
                    inputs
                        .run_uniform(|s, e, i, c| lif::update_exponential::<false>(s, p, threshold, e, i, c))
                }
                model_id::LIF if lif::exponential_synapses(p) && fixed_threshold => {
                    inputs.run(|s, q, e, i, c| lif::update_exponential::<false>(s, p, q[0], e, i, c + q[1]))
                }
                model_id::LIF if lif::exponential_synapses(p) => {
                    inputs.run(|s, q, e, i, c| lif::update_exponential::<true>(s, p, q[0], e, i, c + q[1]))
                }
                model_id::LIF => inputs.run(|s, q, e, i, c| lif::update(s, p, q[0], e, i, c + q[1])),
                model_id::LIF_COND => {
                    inputs.run(|s, q, e, i, c| lif_cond::update(s, p, q[0], e, i, c + q[1]))
                }
                model_id::IZHIKEVICH => inputs.run(|s, q, e, i, c| izhikevich::update(s, p, q, e, i, c)),
                model_id::ADEX => inputs.run(|s, q, e, i, c| adex::update(s, p, q[0], e, i, c + q[1])),
                model_id::HH => inputs.run(|s, q, e, i, c| hh::update(s, p, q[0], e, i, c + q[1])),
                model_id::SPIKE_SOURCE => {
                    inputs.run(|s, q, _, _, _| spike_source::update(s, q, &plan.source_ticks, tick))
                }
                model_id::POISSON_SOURCE => {
                    inputs.run(|_, q, _, _, _| poisson_source::update(q, plan.input_key, tick))
                }
                model_id::EQUATION => {
                    if let Some(run) = equations.iter_mut().find(|r| r.population == pi) {
                        // The equations' Philox counter has no free word for the tick's high half
                        // (their noise repeats after 2^32 ticks).
                        let [tick_lo, _] = crate::limits::tick_words(tick);
                        run.step(&mut inputs, tick_lo, plan.key);
                    }
                }
                other => unreachable!("unknown model id {other}"),
            }
            faulty |= inputs.nonfinite;
        }
        if faulty && self.fault.is_none() {
            self.fault = first_fault(&self.state, self.tick);
        }
    }
}

/// The watchdog's record of tick `tick`: the lowest neuron with a non-finite variable.
fn first_fault(state: &[NeuronState], tick: u64) -> Option<NonFiniteFault> {
    state.iter().enumerate().find_map(|(n, s)| {
        crate::sim::watchdog::first_nonfinite(s).map(|field| NonFiniteFault {
            tick,
            neuron: n as u32,
            field,
        })
    })
}

/// One population's slice of the inputs, state and spike list for `neuron_update`.
pub(super) struct PopInputs<'a> {
    pub(super) range: std::ops::Range<usize>,
    pub(super) ring_e: &'a mut [i32],
    pub(super) ring_i: &'a mut [i32],
    pub(super) current_in: &'a mut [i32],
    pub(super) state: &'a mut [NeuronState],
    params: &'a [[f32; 4]],
    pub(super) spikes: &'a mut Vec<u32>,
    pub(super) scale: f32,
    pub(super) has_currents: bool,
    /// Set when an updated state holds a NaN or an infinity (the watchdog).
    pub(super) nonfinite: bool,
}

impl PopInputs<'_> {
    /// Takes each neuron's fixed-point inputs (clearing them), applies `update` with the
    /// neuron's per-neuron parameters, records spikes.
    #[inline(always)]
    fn run(&mut self, update: impl Fn(&mut NeuronState, [f32; 4], f32, f32, f32) -> bool) {
        let params = self.params;
        self.run_with(|i| params[i], update);
    }

    /// [`PopInputs::run`] for populations whose per-neuron parameters are all the same, without
    /// reading them.
    #[inline(always)]
    fn run_uniform(&mut self, update: impl Fn(&mut NeuronState, f32, f32, f32) -> bool) {
        self.run_with(|_| [0.0; 4], |s, _, e, i, c| update(s, e, i, c));
    }

    #[inline(always)]
    fn run_with(
        &mut self,
        params: impl Fn(usize) -> [f32; 4],
        update: impl Fn(&mut NeuronState, [f32; 4], f32, f32, f32) -> bool,
    ) {
        let r = self.range.clone();
        let start = r.start;
        let scale = self.scale;
        let neurons = self.state[r.clone()]
            .iter_mut()
            .zip(&mut self.ring_e[r.clone()])
            .zip(&mut self.ring_i[r.clone()])
            .zip(&mut self.current_in[r]);
        let mut nonfinite = false;
        for (k, (((s, e), i), c)) in neurons.enumerate() {
            let in_e = std::mem::take(e) as f32 * scale;
            let in_i = std::mem::take(i) as f32 * scale;
            // Without current sources the accumulator is always 0 (the same value, read for free).
            let in_c = if self.has_currents {
                std::mem::take(c) as f32 * scale
            } else {
                0.0
            };
            if update(s, params(start + k), in_e, in_i, in_c) {
                self.spikes.push((start + k) as u32);
            }
            nonfinite |= crate::sim::watchdog::state_nonfinite(s);
        }
        self.nonfinite |= nonfinite;
    }
}

/// Whether a LIF population's threshold raise `u` stays 0 for good: no adaptation and every
/// `u` starting at 0 (then `lif::update_exponential::<false>` may leave it out).
pub(super) fn threshold_stays_fixed(pop: &PopGpu, initial: &[NeuronState]) -> bool {
    pop.c[lif::THRESHOLD_RAISE] == 0.0 && initial.iter().all(|s| s.u == 0.0)
}
