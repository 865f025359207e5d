//! The CPU reference backend. It mirrors the shaders stage for stage, with the same names,
//! the same order and the same buffer meaning; it is the oracle the GPU is tested against and
//! the fallback when no adapter exists.
//!
//! One tick, as on the GPU:
//! 1. `poisson_input`, `current_input`: this tick's Poisson counts into the current ring slot
//!    and injected currents into the current accumulator, all in fixed point;
//! 2. `neuron_update`: take this tick's inputs, advance each neuron with its model, record
//!    the spikes (ascending here; in arbitrary order on the GPU);
//! 3. `propagate`: walk each spike's CSR row and add fixed-point weights into the target's
//!    ring at slot `(tick + delay) % D`;
//! 4. `tick_end`: counters.

use crate::layout::{CurrentGpu, NeuronState, PlasticGpu, PopGpu, SpikeRecord, Synapse};
use crate::neurons::model_id;
use crate::plan::{PORTS, Plan, to_fixed};
use crate::rng::philox4x32_10;

/// State of the CPU backend.
pub struct CpuBackend {
    plan: Plan,
    state: Vec<NeuronState>,
    weights: Vec<f32>,
    ring: Vec<i32>,
    current_in: Vec<i32>,
    tick: u32,
    spikes_this_tick: Vec<u32>,
    /// Per population: no threshold adaptation and every `u` 0, so `u` stays 0 for good.
    fixed_threshold: Vec<bool>,
    /// Per population: every neuron has the same per-neuron parameters and no bias.
    uniform_params: Vec<bool>,
    spike_hist: Vec<Vec<u32>>,
    spiked_at: Vec<u32>,
    traces: Vec<f32>,
    /// Eligibility trace per synapse (empty without reward-modulated projections).
    eligibility: Vec<f32>,
    /// Scratch for the post-side STDP walk.
    column: Vec<f32>,
    /// Neuromodulator channels: levels, baselines, decays (see `Plan::modulators`).
    modulators: Vec<f32>,
    total_spikes: u64,
    total_events: u64,
}

impl CpuBackend {
    /// Prepares the state from the plan.
    pub fn new(plan: &Plan) -> Self {
        let n = plan.n_neurons as usize;
        Self {
            state: plan.initial_state.clone(),
            weights: plan.weights.clone(),
            ring: vec![0; PORTS as usize * plan.ring_slots as usize * n],
            current_in: vec![0; n],
            plan: plan.clone(),
            tick: 0,
            spikes_this_tick: Vec::new(),
            fixed_threshold: plan
                .populations
                .iter()
                .map(|p| {
                    let range = p.gpu.start as usize..(p.gpu.start + p.gpu.size) as usize;
                    p.gpu.c[20] == 0.0 && plan.initial_state[range].iter().all(|s| s.u == 0.0)
                })
                .collect(),
            uniform_params: plan
                .populations
                .iter()
                .map(|p| {
                    let q = &plan.neuron_params[p.gpu.start as usize..(p.gpu.start + p.gpu.size) as usize];
                    q.iter().all(|x| x == &q[0]) && q[0][1] == 0.0
                })
                .collect(),
            spike_hist: vec![Vec::new(); plan.hist_len as usize],
            spiked_at: vec![u32::MAX; n],
            traces: vec![0.0; plan.trace_len as usize],
            eligibility: if plan.modulation_interval > 0 {
                vec![0.0; plan.synapses.len()]
            } else {
                Vec::new()
            },
            modulators: plan.modulators.clone(),
            column: Vec::new(),
            total_spikes: 0,
            total_events: 0,
        }
    }

    /// Runs `ticks` ticks, appending every spike to `out` in (tick, neuron) order.
    pub fn run_ticks(&mut self, ticks: u32, out: &mut Vec<SpikeRecord>) {
        for _ in 0..ticks {
            self.poisson_input();
            self.current_input();
            self.neuron_update();
            out.extend(self.spikes_this_tick.iter().map(|&neuron| SpikeRecord {
                tick: self.tick,
                neuron,
            }));
            self.propagate();
            if !self.plan.plastic.is_empty() {
                self.stdp_record();
                self.stdp_traces();
                self.stdp_pre();
                self.stdp_post();
                self.modulated_update();
            }
            self.tick_end();
        }
    }

    /// Stage 1: Poisson input into the current slot.
    fn poisson_input(&mut self) {
        let n = self.plan.n_neurons as usize;
        let d = self.plan.ring_slots;
        let slot = (self.tick % d) as usize;
        for p in &self.plan.poisson {
            let segs =
                &self.plan.poisson_segments[p.seg_offset as usize..(p.seg_offset + p.seg_count) as usize];
            let seg = segs[segs.iter().rposition(|s| s.start_tick <= self.tick).unwrap_or(0)];
            let table =
                &self.plan.poisson_cdf[seg.cdf_offset as usize..(seg.cdf_offset + seg.cdf_len) as usize];
            if table.is_empty() {
                continue;
            }
            let base = (p.port as usize * d as usize + slot) * n;
            for local in 0..p.target_count {
                let k = poisson_count(self.plan.key, self.tick, local, p.stream, table);
                if k > 0 {
                    let idx = base + (p.target_start + local) as usize;
                    self.ring[idx] = self.ring[idx].wrapping_add(p.weight_fixed.wrapping_mul(k as i32));
                }
            }
        }
    }

    /// Stage 1b: injected currents.
    fn current_input(&mut self) {
        for c in &self.plan.currents {
            for local in 0..c.target_count {
                let amp = current_amplitude(c, &self.plan, self.tick, local);
                let idx = (c.target_start + local) as usize;
                self.current_in[idx] =
                    self.current_in[idx].wrapping_add(to_fixed(amp, self.plan.fixed_scale));
            }
        }
    }

    /// Stage 2: advance every neuron; collect spikes in ascending order.
    fn neuron_update(&mut self) {
        self.spikes_this_tick.clear();
        let n = self.plan.n_neurons as usize;
        let d = self.plan.ring_slots as usize;
        let slot = self.tick as usize % d;
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
            };
            // Per-neuron parameters: Izhikevich (a, b, c, d); spike sources (offset, count); the
            // other models (threshold, bias current, -, -).
            match p.model {
                model_id::LIF if p.c[18] == 1.0 && fixed_threshold && uniform_params => {
                    // The CUBA case: one threshold for all, no bias (adding 0 changes no value).
                    let threshold = plan.neuron_params[p.start as usize][0];
                    inputs.run_uniform(|s, e, i, c| lif_exp_update::<false>(s, p, threshold, e, i, c))
                }
                model_id::LIF if p.c[18] == 1.0 && fixed_threshold => {
                    inputs.run(|s, q, e, i, c| lif_exp_update::<false>(s, p, q[0], e, i, c + q[1]))
                }
                model_id::LIF if p.c[18] == 1.0 => {
                    inputs.run(|s, q, e, i, c| lif_exp_update::<true>(s, p, q[0], e, i, c + q[1]))
                }
                model_id::LIF => inputs.run(|s, q, e, i, c| lif_update(s, p, q[0], e, i, c + q[1])),
                model_id::LIF_COND => inputs.run(|s, q, e, i, c| lif_cond_update(s, p, q[0], e, i, c + q[1])),
                model_id::IZHIKEVICH => inputs.run(|s, q, e, i, c| izhikevich_update(s, p, q, e, i, c)),
                model_id::ADEX => inputs.run(|s, q, e, i, c| adex_update(s, p, q[0], e, i, c + q[1])),
                model_id::HH => inputs.run(|s, q, e, i, c| hh_update(s, p, q[0], e, i, c + q[1])),
                model_id::SPIKE_SOURCE => {
                    inputs.run(|s, q, _, _, _| spike_source_update(s, q, &plan.source_ticks, tick))
                }
                model_id::POISSON_SOURCE => {
                    inputs.run(|_, q, _, _, _| poisson_source_update(q, plan.key, tick))
                }
                other => unreachable!("unknown model id {other}"),
            }
        }
    }

    /// Stage 3: event-driven propagation of this tick's spikes.
    fn propagate(&mut self) {
        let n = self.plan.n_neurons as usize;
        let d = self.plan.ring_slots as usize;
        let now = self.tick as usize % d;
        let scale = self.plan.fixed_scale;
        let row_ptr = &self.plan.row_ptr;
        let synapses = &self.plan.synapses;
        let mut events = 0u64;
        for &src in &self.spikes_this_tick {
            let (a, b) = (row_ptr[src as usize] as usize, row_ptr[src as usize + 1] as usize);
            events += (b - a) as u64;
            for (syn, &w) in synapses[a..b].iter().zip(&self.weights[a..b]) {
                // delay < d, so one conditional subtraction replaces the modulo.
                let mut slot = now + syn.delay() as usize;
                if slot >= d {
                    slot -= d;
                }
                let idx = (syn.port() as usize * d + slot) * n + syn.post as usize;
                self.ring[idx] = self.ring[idx].wrapping_add(to_fixed(w, scale));
            }
        }
        // Procedural projections: each spike regenerates its rows (`propagate_procedural.wgsl`).
        for p in &self.plan.procedural {
            let slot = (now + p.delay as usize) % d;
            let base = (p.port as usize * d + slot) * n + p.post_start as usize;
            for &src in &self.spikes_this_tick {
                if !(p.pre_start..p.pre_start + p.pre_size).contains(&src) {
                    continue;
                }
                let ring = &mut self.ring;
                crate::plan::procedural_row(self.plan.key, p, src - p.pre_start, |j| {
                    ring[base + j as usize] = ring[base + j as usize].wrapping_add(p.weight_fixed);
                    events += 1;
                });
            }
        }
        self.total_events += events;
    }

    /// Stage 3b (in `propagate.wgsl`): this tick's spikes into the spike history.
    fn stdp_record(&mut self) {
        let slot = (self.tick % self.plan.hist_len) as usize;
        self.spike_hist[slot].clone_from(&self.spikes_this_tick);
        for &n in &self.spikes_this_tick {
            self.spiked_at[n as usize] = self.tick;
        }
    }

    /// Stage 3c (`stdp_traces.wgsl`): decay every trace one tick and add this tick's spikes.
    fn stdp_traces(&mut self) {
        let h = self.plan.hist_len;
        let (cur, prev) = ((self.tick % h) as usize, ((self.tick + h - 1) % h) as usize);
        for p in &self.plan.plastic {
            let nearest = p.flags & 1 == 1;
            let sides = [
                (p.pre_trace, p.pre_start, p.pre_size, [p.decay_plus, p.decay_x]),
                (
                    p.post_trace,
                    p.post_start,
                    p.post_size,
                    [p.decay_minus, p.decay_y],
                ),
            ];
            for (offset, start, size, decays) in sides {
                for local in 0..size as usize {
                    let spiked = self.spiked_at[start as usize + local] == self.tick;
                    for (which, decay) in decays.into_iter().enumerate() {
                        let at = |slot: usize| {
                            offset as usize + (which * h as usize + slot) * size as usize + local
                        };
                        self.traces[at(cur)] = trace_step(self.traces[at(prev)], decay, spiked, nearest);
                    }
                }
            }
        }
    }

    /// Stage 3d (`stdp_pre.wgsl`): the spikes of tick t - lag reach their synapses and depress.
    fn stdp_pre(&mut self) {
        let Some(te) = self.tick.checked_sub(self.plan.stdp_lag) else {
            return;
        };
        let plan = &self.plan;
        for &i in &self.spike_hist[(te % plan.hist_len) as usize] {
            for s in plan.row(i) {
                let syn = plan.synapses[s];
                if syn.plastic() == 0 {
                    continue;
                }
                let p = &plan.plastic[syn.plastic() as usize - 1];
                let dw = -depression(p, &self.traces, plan.hist_len, syn, i, te, self.weights[s]);
                apply_change(p, &mut self.weights, &mut self.eligibility, s, dw);
            }
        }
    }

    /// Stage 3e (`stdp_post.wgsl`): post spikes of tick t - lag reach their synapses and potentiate.
    fn stdp_post(&mut self) {
        let Some(te) = self.tick.checked_sub(self.plan.stdp_lag) else {
            return;
        };
        let plan = &self.plan;
        let mut gathered = std::mem::take(&mut self.column);
        for &j in &self.spike_hist[(te % plan.hist_len) as usize] {
            let column =
                &plan.col_entries[plan.col_ptr[j as usize] as usize..plan.col_ptr[j as usize + 1] as usize];
            // The weights of a column lie far apart: gather them in a tight loop first, so
            // that their cache misses overlap instead of queueing behind the arithmetic. The
            // entry carries the synapse's delay word, so the synapse itself is not read.
            gathered.clear();
            gathered.extend(column.iter().map(|e| self.weights[e[0] as usize]));
            for (e, &w) in column.iter().zip(&gathered) {
                let (s, i) = (e[0] as usize, e[1]);
                let syn = Synapse {
                    post: j,
                    delay_port: e[2],
                };
                let p = &plan.plastic[syn.plastic() as usize - 1];
                let dw = potentiation(p, &self.traces, plan.hist_len, syn, i, te, w);
                apply_change(p, &mut self.weights, &mut self.eligibility, s, dw);
            }
        }
        self.column = gathered;
    }

    /// Stage 3f (`modulated_update.wgsl`): on the last tick of every update interval, each
    /// reward-modulated synapse moves by eligibility x level x interval, and its eligibility
    /// decays; then (`tick_end.wgsl`) every channel level relaxes towards its baseline.
    fn modulated_update(&mut self) {
        if !self.modulation_tick() {
            return;
        }
        for (s, syn) in self.plan.synapses.iter().enumerate() {
            if syn.plastic() == 0 {
                continue;
            }
            let p = &self.plan.plastic[syn.plastic() as usize - 1];
            if p.flags & 8 == 0 {
                continue;
            }
            let c = self.eligibility[s];
            let d = self.modulators[p.channel as usize];
            self.weights[s] = (self.weights[s] + c * d * p.interval_s).clamp(p.w_min, p.w_max);
            self.eligibility[s] = c * p.decay_eligibility;
        }
    }

    /// Whether this tick is the last of a reward-modulation update interval.
    fn modulation_tick(&self) -> bool {
        let interval = self.plan.modulation_interval;
        interval > 0 && (self.tick + 1).is_multiple_of(interval)
    }

    /// Level of neuromodulator channel `channel` (0 global, 1 + p population p).
    pub fn modulator(&self, channel: usize) -> f32 {
        self.modulators[channel]
    }

    /// Sets the level of a neuromodulator channel from the next tick on.
    pub fn set_modulator(&mut self, channel: usize, level: f32) {
        self.modulators[channel] = level;
    }

    /// Eligibility traces of all synapses (empty without reward-modulated projections).
    pub fn eligibility(&self) -> &[f32] {
        &self.eligibility
    }

    /// Stage 4: counters.
    fn tick_end(&mut self) {
        if self.modulation_tick() {
            relax_modulators(&mut self.modulators);
        }
        self.total_spikes += self.spikes_this_tick.len() as u64;
        self.tick += 1;
    }

    /// The next tick to run.
    pub fn tick(&self) -> u32 {
        self.tick
    }

    /// Total spikes so far.
    pub fn total_spikes(&self) -> u64 {
        self.total_spikes
    }

    /// Total synaptic events delivered so far.
    pub fn total_events(&self) -> u64 {
        self.total_events
    }

    /// Neuron state.
    pub fn state(&self) -> &[NeuronState] {
        &self.state
    }

    /// Weights of all synapses (merged CSR order).
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// Replaces the weights of all synapses (checked by the caller).
    pub fn set_weights(&mut self, weights: Vec<f32>) {
        self.weights = weights;
    }

    /// The fixed-point input ring, `[port][slot][neuron]`.
    pub fn input_ring(&self) -> &[i32] {
        &self.ring
    }
}

/// One population's slice of the inputs, state and spike list for `neuron_update`.
struct PopInputs<'a> {
    range: std::ops::Range<usize>,
    ring_e: &'a mut [i32],
    ring_i: &'a mut [i32],
    current_in: &'a mut [i32],
    state: &'a mut [NeuronState],
    params: &'a [[f32; 4]],
    spikes: &'a mut Vec<u32>,
    scale: f32,
    has_currents: bool,
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
        }
    }
}

/// Poisson count for one target in one tick: one Philox call keyed by (tick, target, stream),
/// compared against the integer CDF table (`plan::poisson_cdf_table`).
#[inline]
pub fn poisson_count(key: [u32; 2], tick: u32, local: u32, stream: u32, table: &[u32]) -> u32 {
    let r = philox4x32_10([tick, local, stream, 0], key)[0];
    table.iter().take_while(|&&t| r >= t).count() as u32
}

/// Amplitude of current source `c` for target `local` at `tick` (`current_input.wgsl`).
pub fn current_amplitude(c: &CurrentGpu, plan: &Plan, tick: u32, local: u32) -> f32 {
    match c.kind {
        0 => c.a0,
        1 => {
            let steps = &plan.current_steps[c.step_offset as usize..(c.step_offset + c.step_count) as usize];
            steps
                .iter()
                .take_while(|s| s.tick <= tick)
                .last()
                .map_or(0.0, |s| s.amplitude)
        }
        _ => {
            let r0 = philox4x32_10([tick, local, c.stream, 0], plan.key);
            let r1 = philox4x32_10([tick, local, c.stream, 1], plan.key);
            let sum: u32 = r0.iter().chain(&r1).map(|x| x >> 8).sum();
            let z = (sum as f32 * (1.0 / 16_777_216.0) - 4.0) * 1.224_744_9;
            c.a0 + c.a1 * z
        }
    }
}

/// `adapt_threshold` of common.wgsl.
fn adapt_threshold(theta: f32, decay: f32, raise: f32, spiked: bool) -> f32 {
    let decayed = theta * decay;
    if spiked { decayed + raise } else { decayed }
}

fn refractory_after_tick(r: u32) -> u32 {
    r.saturating_sub(1)
}

/// `fire_or_accept` of common.wgsl: a threshold crossing resets v and starts the refractory
/// period; otherwise v is accepted.
fn fire_or_accept(s: &mut NeuronState, v: f32, threshold: f32, reset: f32, refractory_ticks: u32) -> bool {
    if v > threshold {
        s.v = reset;
        s.refractory = refractory_ticks;
        true
    } else {
        s.v = v;
        false
    }
}

/// `model_lif.wgsl`, operation for operation.
pub fn lif_update(s: &mut NeuronState, p: &PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    let c = &p.c;
    s.syn_e += in_e * c[18];
    s.w1 += in_e * c[14];
    s.syn_i += in_i * c[18];
    s.w2 += in_i * c[15];
    let refractory = refractory_after_tick(s.refractory);
    let mut spiked = false;
    s.refractory = refractory;
    if refractory == 0 {
        let dv = (((((s.v - c[0]) * c[3] + s.syn_e * c[4]) + s.w1 * c[5]) + s.syn_i * c[6]) + s.w2 * c[7])
            + in_c * c[16];
        let mut v = dv + c[0];
        v += (in_e + in_i) * c[17];
        spiked = fire_or_accept(s, v, threshold + s.u, c[1], p.refractory_ticks);
    } else {
        s.v += (in_e + in_i) * c[17] * c[19];
    }
    s.u = adapt_threshold(s.u, c[21], c[20], spiked);
    s.syn_e = s.syn_e * c[8] + s.w1 * c[9];
    s.w1 *= c[10];
    s.syn_i = s.syn_i * c[11] + s.w2 * c[12];
    s.w2 *= c[13];
    spiked
}

/// [`lif_update`] for exponential synapses without the terms that are exactly zero there
/// (`w1`, `w2` and the delta input stay 0): the same values, with the one difference
/// that `x + 0.0` can turn a -0.0 into +0.0, which no comparison or later product can see.
/// The CUBA loop runs about twice as fast this way.
#[inline(always)]
pub fn lif_exp_update<const ADAPTIVE: bool>(
    s: &mut NeuronState,
    p: &PopGpu,
    threshold: f32,
    in_e: f32,
    in_i: f32,
    in_c: f32,
) -> bool {
    let c = &p.c;
    let syn_e = s.syn_e + in_e;
    let syn_i = s.syn_i + in_i;
    let refractory = refractory_after_tick(s.refractory);
    let v = ((((s.v - c[0]) * c[3] + syn_e * c[4]) + syn_i * c[6]) + in_c * c[16]) + c[0];
    let integrate = refractory == 0;
    // Without threshold adaptation u stays exactly 0, so leaving it out changes no value.
    let spiked = integrate && v > if ADAPTIVE { threshold + s.u } else { threshold };
    *s = NeuronState {
        v: if spiked {
            c[1]
        } else if integrate {
            v
        } else {
            s.v
        },
        syn_e: syn_e * c[8],
        syn_i: syn_i * c[11],
        refractory: if spiked { p.refractory_ticks } else { refractory },
        u: if ADAPTIVE {
            adapt_threshold(s.u, c[21], c[20], spiked)
        } else {
            s.u
        },
        ..*s
    };
    spiked
}

/// `model_lif_cond.wgsl`, operation for operation.
pub fn lif_cond_update(
    s: &mut NeuronState,
    p: &PopGpu,
    threshold: f32,
    in_e: f32,
    in_i: f32,
    in_c: f32,
) -> bool {
    let c = &p.c;
    s.syn_e += in_e;
    s.syn_i -= in_i;
    let refractory = refractory_after_tick(s.refractory);
    let mut spiked = false;
    s.refractory = refractory;
    if refractory == 0 {
        let v0 = s.v;
        let current = ((c[4] * (c[0] - v0) + s.syn_e * (c[5] - v0)) + s.syn_i * (c[6] - v0)) + in_c;
        spiked = fire_or_accept(s, v0 + c[3] * current, threshold + s.u, c[1], p.refractory_ticks);
    }
    s.u = adapt_threshold(s.u, c[10], c[9], spiked);
    s.syn_e *= c[7];
    s.syn_i *= c[8];
    spiked
}

/// `model_izhikevich.wgsl`, operation for operation.
pub fn izhikevich_update(
    s: &mut NeuronState,
    p: &PopGpu,
    q: [f32; 4],
    in_e: f32,
    in_i: f32,
    in_c: f32,
) -> bool {
    let c = &p.c;
    let current = (in_e + in_i) + in_c;
    let u = s.u;
    let mut v = s.v;
    v = v + c[1] * ((((0.04 * v + 5.0) * v + 140.0) - u) + current);
    v = v + c[1] * ((((0.04 * v + 5.0) * v + 140.0) - u) + current);
    let mut u_next = u + c[2] * (q[0] * (q[1] * v - u));
    let spiked = v >= c[0];
    if spiked {
        v = q[2];
        u_next += q[3];
    }
    s.v = v;
    s.u = u_next;
    spiked
}

/// `model_adex.wgsl`, operation for operation.
pub fn adex_update(s: &mut NeuronState, p: &PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    let c = &p.c;
    s.syn_e += in_e;
    s.syn_i += in_i;
    let refractory = refractory_after_tick(s.refractory);
    let mut spiked = false;
    s.refractory = refractory;
    let v0 = s.v;
    let w0 = s.u;
    let mut w = w0 + c[10] * (c[9] * (v0 - c[0]) - w0);
    if refractory == 0 {
        let arg = ((v0 - c[6]) * c[7]).min(c[8]);
        let drive = (c[4] * (c[0] - v0) + c[4] * c[5] * arg.exp()) - w0;
        let v = v0 + c[3] * (drive + ((s.syn_e + s.syn_i) + in_c));
        spiked = fire_or_accept(s, v, threshold, c[1], p.refractory_ticks);
        if spiked {
            w += c[11];
        }
    }
    s.u = w;
    s.syn_e *= c[12];
    s.syn_i *= c[13];
    spiked
}

fn hh_vtrap(x: f32, y: f32) -> f32 {
    if (x / y).abs() < 1e-6 {
        y * (1.0 - x / y / 2.0)
    } else {
        x / ((x / y).exp() - 1.0)
    }
}

fn hh_relax(x: f32, alpha: f32, beta: f32, dt: f32) -> f32 {
    let rate = alpha + beta;
    let x_inf = alpha / rate;
    x_inf + (x - x_inf) * (-dt * rate).exp()
}

/// `model_hh.wgsl`, operation for operation.
pub fn hh_update(s: &mut NeuronState, p: &PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    let c = &p.c;
    s.syn_e += in_e;
    s.syn_i -= in_i;
    let refractory = refractory_after_tick(s.refractory);
    s.refractory = refractory;
    let (v, m, h, n) = (s.v, s.u, s.w1, s.w2);
    let x = v - c[6];
    let dt = c[13];
    let g_na = c[3] * m * m * m * h;
    let g_k = c[5] * n * n * n * n;
    let g_total = ((c[1] + s.syn_e) + (s.syn_i + g_na)) + g_k;
    let drive = ((c[1] * c[0] + s.syn_e * c[8]) + (s.syn_i * c[9] + g_na * c[2])) + (g_k * c[4] + in_c);
    let v_inf = drive / g_total;
    let v_next = v_inf + (v - v_inf) * (-dt * g_total * c[7]).exp();
    s.u = hh_relax(
        m,
        0.32 * hh_vtrap(13.0 - x, 4.0),
        0.28 * hh_vtrap(x - 40.0, 5.0),
        dt,
    );
    s.w1 = hh_relax(
        h,
        0.128 * ((17.0 - x) / 18.0).exp(),
        4.0 / (1.0 + ((40.0 - x) / 5.0).exp()),
        dt,
    );
    s.w2 = hh_relax(
        n,
        0.032 * hh_vtrap(15.0 - x, 5.0),
        0.5 * ((10.0 - x) / 40.0).exp(),
        dt,
    );
    s.v = v_next;
    s.syn_e *= c[11];
    s.syn_i *= c[12];
    let spiked = refractory == 0 && v_next > threshold;
    if spiked {
        s.refractory = p.refractory_ticks;
    }
    spiked
}

/// `model_poisson_source.wgsl`: fires when one Philox word keyed by (tick, neuron, stream) is
/// below the threshold rate x dt x 2^32.
pub fn poisson_source_update(q: [f32; 4], key: [u32; 2], tick: u32) -> bool {
    philox4x32_10([tick, q[2].to_bits(), q[1].to_bits(), 0], key)[0] < q[0].to_bits()
}

/// `model_spike_source.wgsl`.
pub fn spike_source_update(s: &mut NeuronState, q: [f32; 4], ticks: &[u32], tick: u32) -> bool {
    let (offset, count) = (q[0].to_bits(), q[1].to_bits());
    if s.aux < count && ticks[(offset + s.aux) as usize] == tick {
        s.aux += 1;
        return true;
    }
    false
}

/// One tick of a trace (`stdp_traces.wgsl`): decay, then +1 (all-to-all) or reset to 1
/// (nearest) on a spike.
pub fn trace_step(previous: f32, decay: f32, spiked: bool, nearest: bool) -> f32 {
    let x = previous * decay;
    if !spiked {
        x
    } else if nearest {
        1.0
    } else {
        x + 1.0
    }
}

/// Trace `which` (0 or 1) of neuron `local` of the block at `offset` at `tick`, 0 before time.
fn trace_at(traces: &[f32], offset: u32, which: u32, size: u32, local: u32, tick: i64, h: u32) -> f32 {
    if tick < 0 {
        return 0.0;
    }
    let slot = (tick % i64::from(h)) as u32;
    traces[(offset + (which * h + slot) * size + local) as usize]
}

/// Weight dependence factor of potentiation (`true`) or depression (`false`).
fn dependence(p: &PlasticGpu, w: f32, potentiation: bool) -> f32 {
    let distance = if potentiation {
        (p.w_max - w) * p.inv_span
    } else {
        (w - p.w_min) * p.inv_span
    };
    match (p.flags >> 1) & 3 {
        0 => 1.0,
        1 => distance,
        _ => distance.max(0.0).powf(p.mu),
    }
}

/// `tick_end.wgsl`: every channel level relaxes one update interval towards its baseline.
pub fn relax_modulators(modulators: &mut [f32]) {
    let n = modulators.len() / 3;
    for i in 0..n {
        let (base, decay) = (modulators[n + i], modulators[2 * n + i]);
        modulators[i] = base + (modulators[i] - base) * decay;
    }
}

/// `apply_change` in `stdp_common.wgsl`: a signed change `dw` goes to the weight (clipped to
/// the bounds) or, for a reward-modulated projection, to the synapse's eligibility trace.
pub fn apply_change(p: &PlasticGpu, weights: &mut [f32], eligibility: &mut [f32], s: usize, dw: f32) {
    if p.flags & 8 != 0 {
        eligibility[s] += dw;
    } else {
        weights[s] = (weights[s] + dw).clamp(p.w_min, p.w_max);
    }
}

/// `stdp_pre.wgsl`: a pre spike emitted at `te` by global neuron `pre` reaches synapse `syn`
/// at `te + d_a`; the size of the depression with the post trace there, just before that time.
pub fn depression(p: &PlasticGpu, traces: &[f32], h: u32, syn: Synapse, pre: u32, te: u32, w: f32) -> f32 {
    let (d, dd) = (syn.delay(), syn.dendritic());
    let arrival = i64::from(te) + i64::from(d - dd);
    let o1 = trace_at(
        traces,
        p.post_trace,
        0,
        p.post_size,
        syn.post - p.post_start,
        arrival - i64::from(dd) - 1,
        h,
    ) * p.decay_minus;
    let r2 = trace_at(
        traces,
        p.pre_trace,
        1,
        p.pre_size,
        pre - p.pre_start,
        i64::from(te) - 1,
        h,
    ) * p.decay_x;
    (p.a2_minus + p.a3_minus * r2) * o1 * dependence(p, w, false)
}

/// `stdp_post.wgsl`: a post spike emitted at `te` reaches synapse `syn` (from global neuron
/// `pre`) at `te + d_d`; the size of the potentiation with the pre trace there, just before.
pub fn potentiation(p: &PlasticGpu, traces: &[f32], h: u32, syn: Synapse, pre: u32, te: u32, w: f32) -> f32 {
    let (d, dd) = (syn.delay(), syn.dendritic());
    let arrival = i64::from(te) + i64::from(dd);
    let r1 = trace_at(
        traces,
        p.pre_trace,
        0,
        p.pre_size,
        pre - p.pre_start,
        arrival - i64::from(d - dd) - 1,
        h,
    ) * p.decay_plus;
    let o2 = trace_at(
        traces,
        p.post_trace,
        1,
        p.post_size,
        syn.post - p.post_start,
        i64::from(te) - 1,
        h,
    ) * p.decay_y;
    (p.a2_plus + p.a3_plus * o2) * r1 * dependence(p, w, true)
}
