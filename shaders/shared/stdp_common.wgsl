// STDP helpers shared by stdp_pre and stdp_post (mirrored by cpu::depression, cpu::potentiation
// and cpu::apply_change).
// Traces of plastic projection p: the pre block at p.pre_trace holds r1, r2 and the post block
// at p.post_trace holds o1, o2, each as [which][hist_len slots][neurons].

// The trace at tick te + delta, where te = (low, high words) has history slot te_slot; 0
// before the run's first tick.
fn trace_at(offset: u32, which: u32, size: u32, local: u32, te: vec2<u32>, te_slot: u32, delta: i32) -> f32 {
    if (te.y == 0u && delta < 0 && te.x < u32(-delta)) {
        return 0.0;
    }
    let h = i32(params.hist_len);
    let slot = (te_slot + u32(((delta % h) + h) % h)) % params.hist_len;
    return traces[offset + (which * params.hist_len + slot) * size + local];
}

fn dependence(p: PlasticGpu, w: f32, potentiation: bool) -> f32 {
    let distance = select((w - p.w_min) * p.inv_span, (p.w_max - w) * p.inv_span, potentiation);
    let kind = (p.flags >> 1u) & 3u;
    if (kind == 0u) {
        return 1.0;
    }
    if (kind == 1u) {
        return distance;
    }
    return pow(max(distance, 0.0), p.mu);
}

// A signed change goes to the weight (clipped to the bounds) or, for a reward-modulated
// projection (flag bit 3), to the synapse's eligibility trace, which the weight buffer holds
// after the weights (one binding fewer, so the STDP stages stay within the default limit of
// 8 storage buffers).
fn apply_change(p: PlasticGpu, s: u32, dw: f32) {
    if ((p.flags & 8u) != 0u) {
        weights[params.n_synapses + s] += dw;
    } else {
        weights[s] = clamp(weights[s] + dw, p.w_min, p.w_max);
    }
}
