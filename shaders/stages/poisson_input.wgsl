// Stage 1 of a tick: independent Poisson trains. One thread per (input, target neuron); the
// count for this tick is an integer comparison of one Philox word against the input's CDF
// table of the rate segment the tick falls in, so the CPU twin (cpu::poisson_count) draws
// exactly the same counts. The Philox counter is (tick low word, target, stream, tick high
// word), the target numbered in the whole population on a rank (params.input_first,
// input_stride).

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read> poisson: array<PoissonGpu>;
@group(0) @binding(3) var<storage, read> poisson_cdf: array<u32>;
@group(0) @binding(4) var<storage, read_write> ring: array<atomic<i32>>;
@group(0) @binding(5) var<storage, read> poisson_segments: array<PoissonSegment>;

override WORKGROUP_SIZE: u32 = 256u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn poisson_input(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.y * params.row_threads + gid.x;
    if (t >= params.poisson_threads || !tick_running()) {
        return;
    }
    var i = 0u;
    while (i + 1u < params.n_poisson && t >= poisson[i + 1u].thread_start) {
        i++;
    }
    let input = poisson[i];
    let local = t - input.thread_start;
    var g = input.seg_offset;
    while (g + 1u < input.seg_offset + input.seg_count && scheduled_by_now(poisson_segments[g + 1u].start_tick)) {
        g++;
    }
    let seg = poisson_segments[g];
    let drawn = params.input_first + local * params.input_stride;
    let counter = vec4<u32>(control.tick, drawn, input.stream, control.tick_hi);
    let r = philox4x32_10(counter, vec2<u32>(params.input_seed_lo, params.input_seed_hi)).x;
    var k = 0u;
    while (k < seg.cdf_len && r >= poisson_cdf[seg.cdf_offset + k]) {
        k++;
    }
    if (k > 0u) {
        let idx = ring_index(input.port, control.ring_slot, input.target_start + local, params.ring_slots, params.n_neurons);
        atomicAdd(&ring[idx], input.weight_fixed * i32(k));
    }
}
