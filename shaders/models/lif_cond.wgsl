// LIF with exponential conductance synapses (COBA). Forward Euler for v, exact conductance
// decay. The inhibitory ring holds negative weights; the conductance takes their magnitude.
// Sums are written as left-to-right chains (see model_lif.wgsl for why).
// Constant slots: 0 e_leak, 1 v_reset, 2 v_thresh, 3 dt/C, 4 g_leak, 5 e_exc, 6 e_inh,
//  7 decay_e, 8 decay_i, 9 threshold adaptation per spike, 10 its decay (adaptation in `u`).
//  Mirrored by cpu::lif_cond_update.

fn lif_cond_update(s: ptr<function, NeuronState>, p: PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    (*s).syn_e += in_e;
    (*s).syn_i -= in_i;
    let refractory = refractory_after_tick((*s).refractory);
    var spiked = false;
    (*s).refractory = refractory;
    if (refractory == 0u) {
        let v0 = (*s).v;
        let current = ((p.c[4] * (p.c[0] - v0) + (*s).syn_e * (p.c[5] - v0)) + (*s).syn_i * (p.c[6] - v0)) + in_c;
        spiked = fire_or_accept(s, v0 + p.c[3] * current, threshold + (*s).u, p.c[1], p.refractory_ticks);
    }
    (*s).u = adapt_threshold((*s).u, p.c[10], p.c[9], spiked);
    (*s).syn_e *= p.c[7];
    (*s).syn_i *= p.c[8];
    return spiked;
}
