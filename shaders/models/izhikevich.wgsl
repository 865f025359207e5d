// Izhikevich 2003, two half steps for v as in the paper's code. Per-neuron (a, b, c, d) in
// `q`. Input current for the tick: synaptic weights of both ports plus injected current.
// Constants: IZHIKEVICH_*, generated from src/neurons/izhikevich.rs. Mirrored by
// neurons::izhikevich::update.

fn izhikevich_update(s: ptr<function, NeuronState>, p: PopGpu, q: vec4<f32>, in_e: f32, in_i: f32, in_c: f32) -> bool {
    let current = (in_e + in_i) + in_c;
    let u = (*s).u;
    var v = (*s).v;
    v = v + p.c[IZHIKEVICH_HALF_DT] * ((((0.04 * v + 5.0) * v + 140.0) - u) + current);
    v = v + p.c[IZHIKEVICH_HALF_DT] * ((((0.04 * v + 5.0) * v + 140.0) - u) + current);
    var u_next = u + p.c[IZHIKEVICH_DT] * (q.x * (q.y * v - u));
    let spiked = v >= p.c[IZHIKEVICH_V_PEAK];
    if (spiked) {
        v = q.z;
        u_next = u_next + q.w;
    }
    (*s).v = v;
    (*s).u = u_next;
    return spiked;
}
