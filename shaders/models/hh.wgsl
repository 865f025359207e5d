// Traub-Miles Hodgkin-Huxley (Brette et al. 2007 benchmark 3), exponential Euler: every
// variable relaxes exactly toward its steady state at the start-of-step values. State:
// v, m = u, h = w1, n = w2, conductances syn_e, syn_i (nS). Constants: HH_*, generated from
// src/neurons/hh.rs. Mirrored by neurons::hh::update (compared statistically: exp and
// division are not correctly rounded on GPUs).

// x / (exp(x / y) - 1), continuous at x = 0.
fn hh_vtrap(x: f32, y: f32) -> f32 {
    if (abs(x / y) < 1e-6) {
        return y * (1.0 - x / y / 2.0);
    }
    return x / (exp(x / y) - 1.0);
}

fn hh_relax(x: f32, alpha: f32, beta: f32, dt: f32) -> f32 {
    let rate = alpha + beta;
    let x_inf = alpha / rate;
    return x_inf + (x - x_inf) * exp(-dt * rate);
}

fn hh_update(s: ptr<function, NeuronState>, p: PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    (*s).syn_e += in_e;
    (*s).syn_i -= in_i;
    let refractory = refractory_after_tick((*s).refractory);
    (*s).refractory = refractory;
    let v = (*s).v;
    let m = (*s).u;
    let h = (*s).w1;
    let n = (*s).w2;
    let x = v - p.c[HH_V_T];
    let dt = p.c[HH_DT];
    let g_na = p.c[HH_G_NA] * m * m * m * h;
    let g_k = p.c[HH_G_KD] * n * n * n * n;
    let g_total = ((p.c[HH_G_LEAK] + (*s).syn_e) + ((*s).syn_i + g_na)) + g_k;
    let drive = ((p.c[HH_G_LEAK] * p.c[HH_E_LEAK] + (*s).syn_e * p.c[HH_E_EXC]) + ((*s).syn_i * p.c[HH_E_INH] + g_na * p.c[HH_E_NA])) + (g_k * p.c[HH_E_K] + in_c);
    let v_inf = drive / g_total;
    let v_next = v_inf + (v - v_inf) * exp(-dt * g_total * p.c[HH_INV_C]);
    (*s).u = hh_relax(m, 0.32 * hh_vtrap(13.0 - x, 4.0), 0.28 * hh_vtrap(x - 40.0, 5.0), dt);
    (*s).w1 = hh_relax(h, 0.128 * exp((17.0 - x) / 18.0), 4.0 / (1.0 + exp((40.0 - x) / 5.0)), dt);
    (*s).w2 = hh_relax(n, 0.032 * hh_vtrap(15.0 - x, 5.0), 0.5 * exp((10.0 - x) / 40.0), dt);
    (*s).v = v_next;
    (*s).syn_e *= p.c[HH_DECAY_E];
    (*s).syn_i *= p.c[HH_DECAY_I];
    let spiked = refractory == 0u && v_next > threshold;
    if (spiked) {
        (*s).refractory = p.refractory_ticks;
    }
    return spiked;
}
