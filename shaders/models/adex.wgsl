// Adaptive exponential integrate-and-fire, forward Euler with the exponent capped at
// (v_peak - V_T)/D_T (see neurons.rs for why this is stable at 0.1 ms). Current synapses (pA).
// Constant slots: 0 e_leak, 1 v_reset, 2 v_peak, 3 dt/C, 4 g_leak, 5 D_T, 6 V_T, 7 1/D_T,
//  8 exponent cap, 9 a, 10 dt/tau_w, 11 b, 12 decay_e, 13 decay_i. Mirrored by
//  cpu::adex_update (exp differs in the last bits between devices: compared statistically).

fn adex_update(s: ptr<function, NeuronState>, p: PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    (*s).syn_e += in_e;
    (*s).syn_i += in_i;
    let refractory = refractory_after_tick((*s).refractory);
    var spiked = false;
    (*s).refractory = refractory;
    let v0 = (*s).v;
    let w0 = (*s).u;
    var w = w0 + p.c[10] * (p.c[9] * (v0 - p.c[0]) - w0);
    if (refractory == 0u) {
        let arg = min((v0 - p.c[6]) * p.c[7], p.c[8]);
        let drive = (p.c[4] * (p.c[0] - v0) + p.c[4] * p.c[5] * exp(arg)) - w0;
        let v = v0 + p.c[3] * (drive + (((*s).syn_e + (*s).syn_i) + in_c));
        spiked = fire_or_accept(s, v, threshold, p.c[1], p.refractory_ticks);
        if (spiked) {
            w = w + p.c[11];
        }
    }
    (*s).u = w;
    (*s).syn_e *= p.c[12];
    (*s).syn_i *= p.c[13];
    return spiked;
}
