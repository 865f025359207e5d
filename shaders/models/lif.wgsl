// LIF with current synapses (delta, exponential or alpha), integrated exactly with the
// propagator matrix computed on the host (neurons.rs). Constant slots:
//  0 v_rest, 1 v_reset, 2 v_thresh (the per-neuron threshold comes in as `threshold`), 3 P_vv, 4 P_vIe, 5 P_vYe, 6 P_vIi, 7 P_vYi,
//  8 P_IIe, 9 P_IYe, 10 P_YYe, 11 P_IIi, 12 P_IYi, 13 P_YYi, 14 alpha jump e, 15 alpha jump i,
//  (the alpha synapses' second variables Y live in w1, w2)
//  16 P_vC (constant current), 17 delta flag, 18 exponential flag, 19 delta input also
//  while refractory (Brian2 semantics) flag, 20 threshold adaptation per spike, 21 its decay
//  (the adaptation itself lives in `u`).
// Mirrored operation for operation by cpu::lif_update. Sums are written as left-to-right
// chains: lavapipe (Mesa 22.3) was seen to regroup a sum of two sums, (a + b) + (c + d), into
// ((a + b) + c) + d, which breaks bit equality with the CPU; a left-to-right chain is the form
// it leaves alone. tests/gpu_models.rs checks every model against the CPU.

fn lif_update(s: ptr<function, NeuronState>, p: PopGpu, threshold: f32, in_e: f32, in_i: f32, in_c: f32) -> bool {
    (*s).syn_e += in_e * p.c[18];
    (*s).w1 += in_e * p.c[14];
    (*s).syn_i += in_i * p.c[18];
    (*s).w2 += in_i * p.c[15];
    let refractory = refractory_after_tick((*s).refractory);
    var spiked = false;
    (*s).refractory = refractory;
    if (refractory == 0u) {
        let dv = ((((((*s).v - p.c[0]) * p.c[3] + (*s).syn_e * p.c[4]) + (*s).w1 * p.c[5]) + (*s).syn_i * p.c[6]) + (*s).w2 * p.c[7]) + in_c * p.c[16];
        var v = dv + p.c[0];
        v += (in_e + in_i) * p.c[17];
        spiked = fire_or_accept(s, v, threshold + (*s).u, p.c[1], p.refractory_ticks);
    } else {
        (*s).v += (in_e + in_i) * p.c[17] * p.c[19];
    }
    (*s).u = adapt_threshold((*s).u, p.c[21], p.c[20], spiked);
    (*s).syn_e = (*s).syn_e * p.c[8] + (*s).w1 * p.c[9];
    (*s).w1 *= p.c[10];
    (*s).syn_i = (*s).syn_i * p.c[11] + (*s).w2 * p.c[12];
    (*s).w2 *= p.c[13];
    return spiked;
}
