//! `neuron_update`: each neuron advanced by its model, spikes collected in ascending order
//! (twin of `shaders/stages/neuron_update.wgsl` and `shaders/models/*.wgsl`).

use super::*;

impl CpuBackend {
    /// Stage 2: advance every neuron; collect spikes in ascending order.
    pub(super) fn neuron_update(&mut self) {
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

/// `adapt_threshold` of common.wgsl.
pub(super) fn adapt_threshold(theta: f32, decay: f32, raise: f32, spiked: bool) -> f32 {
    let decayed = theta * decay;
    if spiked { decayed + raise } else { decayed }
}

pub(super) fn refractory_after_tick(r: u32) -> u32 {
    r.saturating_sub(1)
}

/// `fire_or_accept` of common.wgsl: a threshold crossing resets v and starts the refractory
/// period; otherwise v is accepted.
pub(super) fn fire_or_accept(
    s: &mut NeuronState,
    v: f32,
    threshold: f32,
    reset: f32,
    refractory_ticks: u32,
) -> bool {
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

pub(super) fn hh_vtrap(x: f32, y: f32) -> f32 {
    if (x / y).abs() < 1e-6 {
        y * (1.0 - x / y / 2.0)
    } else {
        x / ((x / y).exp() - 1.0)
    }
}

pub(super) fn hh_relax(x: f32, alpha: f32, beta: f32, dt: f32) -> f32 {
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
