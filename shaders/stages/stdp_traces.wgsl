// STDP stage 1 (after propagate): every trace of every plastic projection decays one tick and
// takes this tick's spikes: +1 for all-to-all pairing, reset to 1 for nearest neighbour.
// One thread per (plastic projection, pre or post neuron). Mirrored by cpu::stdp_traces.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read> plastic: array<PlasticGpu>;
// The last spike tick of every neuron, low and high words.
@group(0) @binding(3) var<storage, read> spiked_at: array<u32>;
@group(0) @binding(4) var<storage, read_write> traces: array<f32>;

override WORKGROUP_SIZE: u32 = 256u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn stdp_traces(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.y * params.row_threads + gid.x;
    if (t >= params.trace_threads || !tick_running()) {
        return;
    }
    var i = 0u;
    while (i + 1u < params.n_plastic && t >= plastic[i + 1u].thread_start) {
        i++;
    }
    let p = plastic[i];
    var local = t - p.thread_start;
    var offset = p.pre_trace;
    var size = p.pre_size;
    var start = p.pre_start;
    var decays = vec2<f32>(p.decay_plus, p.decay_x);
    if (local >= p.pre_size) {
        local -= p.pre_size;
        offset = p.post_trace;
        size = p.post_size;
        start = p.post_start;
        decays = vec2<f32>(p.decay_minus, p.decay_y);
    }
    let at = 2u * (start + local);
    let spiked = spiked_at[at] == control.tick && spiked_at[at + 1u] == control.tick_hi;
    let nearest = (p.flags & 1u) == 1u;
    let h = params.hist_len;
    let cur = control.hist_slot;
    let prev = (cur + h - 1u) % h;
    for (var which = 0u; which < 2u; which++) {
        let x = traces[offset + (which * h + prev) * size + local] * decays[which];
        var next = x;
        if (spiked) {
            next = select(x + 1.0, 1.0, nearest);
        }
        traces[offset + (which * h + cur) * size + local] = next;
    }
}
