// LIF with exponential conductance synapses (COBA). Forward Euler for v, exact conductance
// decay. The inhibitory ring holds negative weights; the conductance takes their magnitude.
// Sums are written as left-to-right chains (see lif.wgsl for why). Constants: LIF_COND_*,
// generated from src/neurons/lif_cond.rs; the threshold raise lives in `u`. Mirrored by
// neurons::lif_cond::update.

fn lif_cond_update(s: ptr<function, NeuronState>, p: PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    (*s).syn_e += in_e;
    (*s).syn_i -= in_i;
    let refractory = refractory_after_tick((*s).refractory);
    var spiked = false;
    (*s).refractory = refractory;
    if (refractory == 0u) {
        let v0 = (*s).v;
        let current = ((p.c[LIF_COND_G_LEAK] * (p.c[LIF_COND_E_LEAK] - v0) + (*s).syn_e * (p.c[LIF_COND_E_EXC] - v0)) + (*s).syn_i * (p.c[LIF_COND_E_INH] - v0)) + in_c;
        spiked = fire_or_accept(s, v0 + p.c[LIF_COND_DT_OVER_C] * current, threshold + (*s).u, p.c[LIF_COND_V_RESET], p.refractory_ticks);
    }
    (*s).u = adapt_threshold((*s).u, p.c[LIF_COND_THRESHOLD_DECAY], p.c[LIF_COND_THRESHOLD_RAISE], spiked);
    (*s).syn_e *= p.c[LIF_COND_DECAY_E];
    (*s).syn_i *= p.c[LIF_COND_DECAY_I];
    return spiked;
}
