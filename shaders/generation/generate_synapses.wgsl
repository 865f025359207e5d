// Connectivity generation, pass 2: one thread per row writes its synapses into the compact
// arrays (src/compact.rs) at the row pointers the host derived from pass 1 (relative to the
// projection, whose first synapse is at the 64-bit position `first`): one Philox block per
// synapse, target from its first word, weight from the next two, delay from the last, the
// weight in fixed point above the delay bits. It counts the in-degrees on the way (the host
// checks them against the bounds its fixed-point scale assumed).
//
// A row is written in runs inside one chunk by `write_segment`, generated with the chunk
// bindings (see src/gpu/shaders.rs): weight/delay words one per synapse, targets gathered
// into whole words of the bit stream (compact::target_at), the words shared with the
// neighbouring rows OR-ed in. Mirrored by generate::fixed_total_synapse and compact::encode.

@group(0) @binding(0) var<uniform> gen_params: GenParams;
@group(0) @binding(1) var<storage, read> gen_projections: array<GenProjection>;
@group(0) @binding(2) var<storage, read> gen_counts: array<u32>;
@group(0) @binding(3) var<storage, read> compact_row_ptr: array<u32>;
@group(0) @binding(4) var<storage, read_write> gen_indegree: array<atomic<u32>>;

// Synapse `s` of row `row`: (weight/delay word, local target). A truncated normal value
// outside its bounds is drawn again from its words scrambled by redraw_word, as
// GenDist::redrawn.
fn gen_synapse(p: GenProjection, row: u32, s: u32) -> vec2<u32> {
    let a = philox4x32_10(vec4<u32>(row, s, p.stream, 0u), vec2<u32>(gen_params.seed_lo, gen_params.seed_hi));
    var w = gen_sample(p.weight, a.y, a.z);
    for (var r = 1u; gen_rejects(p.weight, w) && r < MAX_REDRAWS; r++) {
        w = gen_sample(p.weight, redraw_word(a.y, r), redraw_word(a.z, r));
    }
    var delay_ms = gen_sample_word(p.delay, a.w);
    for (var r = 1u; gen_rejects(p.delay, delay_ms) && r < MAX_REDRAWS; r++) {
        delay_ms = gen_sample_word(p.delay, redraw_word(a.w, r));
    }
    w = gen_clip_truncated(p.weight, w);
    delay_ms = gen_clip_truncated(p.delay, delay_ms);
    let d = u32(max(round(delay_ms * p.inv_dt), 1.0));
    let word = (bitcast<u32>(i32(round(w * gen_params.fixed_scale))) << gen_params.delay_bits) | d;
    return vec2<u32>(word, gen_target(p, row, a.x));
}

fn count_target(p: GenProjection, local: u32) {
    atomicAdd(&gen_indegree[p.indegree_base + local], 1u);
}

// The thread of a row, if any: (projection, row). Workgroups take their rows in bit-reversed
// order of 2^row_group_bits (the padded workgroup count): a driver that hands each CPU thread
// a contiguous range of workgroups (lavapipe) then gives each an even share of every
// projection, whose rows differ in length by orders of magnitude.
fn gen_row(gid: vec3<u32>) -> vec2<u32> {
    let flat = gid.y * gen_params.stride + gid.x;
    // Exactly 2^row_group_bits workgroups run (the grid's width is a power of two too).
    let group = flat / 64u;
    var spread = 0u;
    if (gen_params.row_group_bits > 0u) {
        spread = reverseBits(group) >> (32u - gen_params.row_group_bits);
    }
    let t = spread * 64u + flat % 64u;
    if (t >= gen_params.row_threads) {
        return vec2<u32>(0xffffffffu, 0u);
    }
    let q = gen_projection_of(t, true);
    return vec2<u32>(q, t - gen_projections[q].row_thread);
}

@compute @workgroup_size(64)
fn generate_synapses(@builtin(global_invocation_id) gid: vec3<u32>) {
    let at_row = gen_row(gid);
    if (at_row.x == 0xffffffffu) {
        return;
    }
    let p = gen_projections[at_row.x];
    let row = at_row.y;
    let first = compact_row_ptr[p.row_base + row];
    let n = gen_counts[p.count_base + row];
    var s = 0u;
    while (s < n) {
        let at = chunk_position(p.first, first + s, CHUNK_SHIFT);
        let len = min(n - s, (1u << CHUNK_SHIFT) - at.y);
        write_segment(p, row, s, at.x, at.y, len);
        s += len;
    }
}
