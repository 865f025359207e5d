// Adaptive exponential integrate-and-fire, forward Euler with the exponent capped at
// (v_peak - V_T)/D_T (see src/neurons/adex.rs for why this is stable at 0.1 ms). Current
// synapses (pA); the adaptation current w lives in `u`. Constants: ADEX_*, generated from
// src/neurons/adex.rs. Mirrored by neurons::adex::update (exp differs in the last bits between
// devices: compared statistically).

fn adex_update(s: ptr<function, NeuronState>, p: PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    (*s).syn_e += in_e;
    (*s).syn_i += in_i;
    let refractory = refractory_after_tick((*s).refractory);
    var spiked = false;
    (*s).refractory = refractory;
    let v0 = (*s).v;
    let w0 = (*s).u;
    var w = w0 + p.c[ADEX_DT_OVER_TAU_W] * (p.c[ADEX_A] * (v0 - p.c[ADEX_E_LEAK]) - w0);
    if (refractory == 0u) {
        let arg = min((v0 - p.c[ADEX_V_T]) * p.c[ADEX_INV_DELTA_T], p.c[ADEX_EXP_CAP]);
        let drive = (p.c[ADEX_G_LEAK] * (p.c[ADEX_E_LEAK] - v0) + p.c[ADEX_G_LEAK] * p.c[ADEX_DELTA_T] * exp(arg)) - w0;
        let v = v0 + p.c[ADEX_DT_OVER_C] * (drive + (((*s).syn_e + (*s).syn_i) + in_c));
        spiked = fire_or_accept(s, v, threshold, p.c[ADEX_V_RESET], p.refractory_ticks);
        if (spiked) {
            w = w + p.c[ADEX_B];
        }
    }
    (*s).u = w;
    (*s).syn_e *= p.c[ADEX_DECAY_E];
    (*s).syn_i *= p.c[ADEX_DECAY_I];
    return spiked;
}
