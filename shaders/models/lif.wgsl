// LIF with current synapses (delta, exponential or alpha), integrated exactly with the
// propagator matrix computed on the host (src/neurons/lif.rs, whose slot table generates the
// LIF_* constants). The alpha synapses' second variables y live in w1, w2; the threshold raise
// of the adaptive threshold lives in `u`. Mirrored operation for operation by
// neurons::lif::update. Sums are written as left-to-right chains: lavapipe (Mesa 22.3) was
// seen to regroup a sum of two sums, (a + b) + (c + d), into ((a + b) + c) + d, which breaks
// bit equality with the CPU; a left-to-right chain is the form it leaves alone.
// tests/suite/gpu_models.rs checks every model against the CPU.

fn lif_update(s: ptr<function, NeuronState>, p: PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    (*s).syn_e += in_e * p.c[LIF_EXPONENTIAL_GAIN];
    (*s).w1 += in_e * p.c[LIF_ALPHA_JUMP_E];
    (*s).syn_i += in_i * p.c[LIF_EXPONENTIAL_GAIN];
    (*s).w2 += in_i * p.c[LIF_ALPHA_JUMP_I];
    let refractory = refractory_after_tick((*s).refractory);
    var spiked = false;
    (*s).refractory = refractory;
    if (refractory == 0u) {
        let dv = ((((((*s).v - p.c[LIF_V_REST]) * p.c[LIF_V_DECAY] + (*s).syn_e * p.c[LIF_V_FROM_I_E]) + (*s).w1 * p.c[LIF_V_FROM_Y_E]) + (*s).syn_i * p.c[LIF_V_FROM_I_I]) + (*s).w2 * p.c[LIF_V_FROM_Y_I]) + in_c * p.c[LIF_V_FROM_CURRENT];
        var v = dv + p.c[LIF_V_REST];
        v += (in_e + in_i) * p.c[LIF_DELTA_GAIN];
        spiked = fire_or_accept(s, v, threshold + (*s).u, p.c[LIF_V_RESET], p.refractory_ticks);
    } else {
        (*s).v += (in_e + in_i) * p.c[LIF_DELTA_GAIN] * p.c[LIF_DELTA_WHILE_REFRACTORY];
    }
    (*s).u = adapt_threshold((*s).u, p.c[LIF_THRESHOLD_DECAY], p.c[LIF_THRESHOLD_RAISE], spiked);
    (*s).syn_e = (*s).syn_e * p.c[LIF_I_E_DECAY] + (*s).w1 * p.c[LIF_I_E_FROM_Y_E];
    (*s).w1 *= p.c[LIF_Y_E_DECAY];
    (*s).syn_i = (*s).syn_i * p.c[LIF_I_I_DECAY] + (*s).w2 * p.c[LIF_I_I_FROM_Y_I];
    (*s).w2 *= p.c[LIF_Y_I_DECAY];
    return spiked;
}
