//! `neuron_update`: each neuron advanced by its model, spikes collected in ascending order
//! (twin of `shaders/stages/neuron_update.wgsl`; each model's update, the twin of its
//! `shaders/models/*.wgsl`, lives in its file under `src/neurons/`).

use super::state::StateSlices;
use super::*;
use crate::neurons::{adex, hh, izhikevich, lif, lif_cond, poisson_sequence, poisson_source, spike_source};

impl Worker<'_> {
    /// Stage 2: advance every owned neuron; file the spikes in ascending order.
    #[inline(always)]
    pub(super) fn neuron_update(&mut self) {
        let plan = self.plan;
        let part = &mut *self.part;
        let own = part.own.clone();
        let n_own = own.len();
        let d = plan.ring_slots as usize;
        let scale = 1.0 / plan.fixed_scale;
        let (ring_e, ring_i) = part.ring.split_at_mut(d * n_own);
        let tick = self.tick;
        let has_currents = !plan.currents.is_empty();
        let mut faulty = false;
        for (pi, pop) in plan.populations.iter().enumerate() {
            // A local copy: the compiler cannot tell that the plan's constants are not among
            // the state stores, and would reload them per neuron instead of vectorising.
            let gpu = pop.gpu;
            let p = &gpu;
            let global = owned(&own, p.start, p.size);
            if global.is_empty() {
                continue;
            }
            let local = super::local(&own, global.start)..super::local(&own, global.end);
            // The slot of this tick, or of the one before under a late convention.
            let slot = ((self.tick + d as u64 - u64::from(p.input_lag)) % d as u64) as usize;
            let ring_at = |k: usize| slot * n_own + k;
            let fixed_threshold = self.fixed_threshold[pi];
            let uniform_params = self.uniform_params[pi];
            // One loop per model (a generic function), so each model's update is inlined.
            let mut inputs = PopInputs {
                ring_e: &mut ring_e[ring_at(local.start)..ring_at(local.end)],
                ring_i: &mut ring_i[ring_at(local.start)..ring_at(local.end)],
                current_in: &mut part.current_in[local.clone()],
                state: part.state.slices(local.clone()),
                params: &plan.neuron_params[global.start as usize..global.end as usize],
                spiked: &mut part.spiked[local],
                uniform: uniform_params,
                scale,
                has_currents,
                nonfinite: false,
            };
            // Per-neuron parameters: Izhikevich (a, b, c, d); spike sources (offset, count); the
            // other models (threshold, bias current, -, -).
            match p.model {
                model_id::LIF
                    if lif::exponential_synapses(p)
                        && fixed_threshold
                        && uniform_params
                        && plan.neuron_params[p.start as usize][1] == 0.0 =>
                {
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
                model_id::POISSON_SEQUENCE => {
                    // The rate table is laid out by the whole population, also on a rank.
                    let size = plan
                        .partition
                        .as_ref()
                        .map_or(p.size, |part| part.global_populations[pi].gpu.size);
                    inputs.run(|_, q, _, _, _| {
                        poisson_sequence::update(q, &plan.source_ticks, size, plan.input_key, tick)
                    })
                }
                model_id::EQUATION => {
                    if let Some(run) = part.equations.iter_mut().find(|r| r.population == pi) {
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
        if faulty {
            self.record_fault();
        }
        self.file_spikes();
    }

    /// The watchdog: keeps this thread's first non-finite state (lowest owned neuron) and
    /// tells the other threads before the tick's barrier.
    #[cold]
    fn record_fault(&mut self) {
        let part = &mut *self.part;
        if part.fault.is_none() {
            part.fault = (0..part.state.len()).find_map(|k| {
                crate::sim::watchdog::first_nonfinite(&part.state.get(k)).map(|field| NonFiniteFault {
                    tick: self.tick,
                    neuron: part.own.start + k as u32,
                    field,
                })
            });
        }
        self.shared.fault_tick.fetch_min(self.tick, Relaxed);
    }

    /// Files the owned neurons that spiked this tick, ascending, in this tick's spike list.
    #[inline(always)]
    fn file_spikes(&mut self) {
        let shared = self.shared;
        let slot = shared.slot(self.tick);
        let n = self.plan.n_neurons as usize;
        let first = self.part.own.start;
        let list = &shared.spike_ids[slot * n + first as usize..slot * n + self.part.own.end as usize];
        let mut count = 0;
        let mut file = |k: usize| {
            list[count].store(first + k as u32, Relaxed);
            count += 1;
        };
        // Eight flags (bytes of 0 or 1) at a time: most ticks most neurons are silent.
        let mut blocks = self.part.spiked.chunks_exact(8);
        for (block, flags) in (&mut blocks).enumerate() {
            let mut word = u64::from_le_bytes(flags.try_into().expect("eight bytes"));
            while word != 0 {
                file(block * 8 + (word.trailing_zeros() / 8) as usize);
                word &= word - 1;
            }
        }
        let done = self.part.spiked.len() - blocks.remainder().len();
        for (k, &flag) in blocks.remainder().iter().enumerate() {
            if flag != 0 {
                file(done + k);
            }
        }
        shared.spike_counts[slot * shared.threads() + self.me].store(count as u32, Relaxed);
    }
}

/// One population's owned slice of the inputs, state and spike flags for `neuron_update`.
pub(super) struct PopInputs<'a> {
    pub(super) ring_e: &'a mut [i32],
    pub(super) ring_i: &'a mut [i32],
    pub(super) current_in: &'a mut [i32],
    pub(super) state: StateSlices<'a>,
    params: &'a [[f32; 4]],
    pub(super) spiked: &'a mut [u8],
    /// Whether every neuron has the same per-neuron parameters (read once, not per neuron).
    uniform: bool,
    pub(super) scale: f32,
    pub(super) has_currents: bool,
    /// Set when an updated state holds a NaN or an infinity (the watchdog).
    pub(super) nonfinite: bool,
}

impl PopInputs<'_> {
    /// Takes each neuron's fixed-point inputs (clearing them), applies `update` with the
    /// neuron's per-neuron parameters, flags the spikes.
    #[inline(always)]
    fn run(&mut self, update: impl Fn(&mut NeuronState, [f32; 4], f32, f32, f32) -> bool) {
        let params = self.params;
        let n = self.state.len();
        let params = &params[..n];
        if self.uniform && n > 0 {
            // One value for all: the loop then vectorises (strided reads of the plan's table,
            // which may alias the stores as far as the compiler knows, keep it scalar).
            let q = params[0];
            self.run_with(|_| q, update);
        } else {
            self.run_with(|k| params[k], update);
        }
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
        let n = self.state.len();
        let inputs = [
            &mut self.ring_e[..n],
            &mut self.ring_i[..n],
            &mut self.current_in[..n],
        ];
        let ([v, u, w1, w2, syn_e, syn_i], [refractory, aux]) = self.state.split();
        let [ring_e, ring_i, current_in] = inputs;
        let flags = LoopFlags {
            scale: self.scale,
            has_currents: self.has_currents,
        };
        self.nonfinite |= update_neurons(
            ring_e,
            ring_i,
            current_in,
            &mut self.spiked[..n],
            v,
            u,
            w1,
            w2,
            syn_e,
            syn_i,
            refractory,
            aux,
            flags,
            params,
            update,
        );
    }
}

/// What [`update_neurons`] needs besides the slices.
#[derive(Clone, Copy)]
struct LoopFlags {
    scale: f32,
    has_currents: bool,
}

/// The loop of [`PopInputs::run_with`]: takes each neuron's fixed-point inputs (clearing
/// them), applies `update`, flags the spikes; returns whether a state became non-finite.
/// Every slice is an argument of its own: the compiler then knows that they do not overlap
/// and vectorises the loop (behind a struct it would need more run-time overlap checks than
/// it allows, and stays scalar, several times slower).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn update_neurons(
    ring_e: &mut [i32],
    ring_i: &mut [i32],
    current_in: &mut [i32],
    spiked: &mut [u8],
    v: &mut [f32],
    u: &mut [f32],
    w1: &mut [f32],
    w2: &mut [f32],
    syn_e: &mut [f32],
    syn_i: &mut [f32],
    refractory: &mut [u32],
    aux: &mut [u32],
    flags: LoopFlags,
    params: impl Fn(usize) -> [f32; 4],
    update: impl Fn(&mut NeuronState, [f32; 4], f32, f32, f32) -> bool,
) -> bool {
    let n = v.len();
    let (ring_e, ring_i, current_in, spiked) = (
        &mut ring_e[..n],
        &mut ring_i[..n],
        &mut current_in[..n],
        &mut spiked[..n],
    );
    let (u, w1, w2, syn_e, syn_i) = (
        &mut u[..n],
        &mut w1[..n],
        &mut w2[..n],
        &mut syn_e[..n],
        &mut syn_i[..n],
    );
    let (refractory, aux) = (&mut refractory[..n], &mut aux[..n]);
    let LoopFlags { scale, has_currents } = flags;
    let mut nonfinite = false;
    for k in 0..n {
        let in_e = std::mem::take(&mut ring_e[k]) as f32 * scale;
        let in_i = std::mem::take(&mut ring_i[k]) as f32 * scale;
        // Without current sources the accumulator is always 0 (the same value, read for free).
        let in_c = if has_currents {
            std::mem::take(&mut current_in[k]) as f32 * scale
        } else {
            0.0
        };
        let mut s = NeuronState {
            v: v[k],
            u: u[k],
            w1: w1[k],
            w2: w2[k],
            syn_e: syn_e[k],
            syn_i: syn_i[k],
            refractory: refractory[k],
            aux: aux[k],
        };
        spiked[k] = u8::from(update(&mut s, params(k), in_e, in_i, in_c));
        nonfinite |= crate::sim::watchdog::state_nonfinite(&s);
        (v[k], u[k], w1[k], w2[k]) = (s.v, s.u, s.w1, s.w2);
        (syn_e[k], syn_i[k], refractory[k], aux[k]) = (s.syn_e, s.syn_i, s.refractory, s.aux);
    }
    nonfinite
}

/// Whether a LIF population's threshold raise `u` stays 0 for good: no adaptation and every
/// `u` starting at 0 (then `lif::update_exponential::<false>` may leave it out).
pub(super) fn threshold_stays_fixed(pop: &PopGpu, initial: &[NeuronState]) -> bool {
    pop.c[lif::THRESHOLD_RAISE] == 0.0 && initial.iter().all(|s| s.u == 0.0)
}
