// Connectivity generation, pass 3: one thread per row writes its synapses into the compact
// arrays (src/compact.rs) at the row pointers the host derived from pass 1 (relative to the
// projection, whose first synapse is at the 64-bit position `first`): one Philox block per
// synapse, target from its first word, weight from the next two, delay from the last, the
// weight in fixed point above the delay bits. The row is written in runs inside one chunk by
// `write_segment`, generated with the chunk bindings (see src/gpu/shaders.rs). Mirrored by
// generate::fixed_total_synapse and compact::encode.

@group(0) @binding(0) var<uniform> gen: GenParams;
@group(0) @binding(1) var<storage, read> projections: array<GenProjection>;
@group(0) @binding(2) var<storage, read> counts: array<u32>;
@group(0) @binding(3) var<storage, read> row_ptr: array<u32>;

// Synapse `s` of row `row`: (weight/delay word, local target).
fn gen_synapse(p: GenProjection, row: u32, s: u32) -> vec2<u32> {
    let a = philox4x32_10(vec4<u32>(row, s, p.stream, 0u), vec2<u32>(gen.seed_lo, gen.seed_hi));
    let w = gen_sample(p.weight, a.y, a.z);
    let d = u32(max(round(gen_sample_word(p.delay, a.w) * p.inv_dt), 1.0));
    return vec2<u32>((bitcast<u32>(i32(round(w * gen.fixed_scale))) << gen.delay_bits) | d, gen_target(p, row, a.x));
}

@compute @workgroup_size(64)
fn generate_synapses(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.y * gen.stride + gid.x;
    if (t >= gen.row_threads) {
        return;
    }
    let p = projections[gen_projection_of(t, true)];
    let row = t - p.row_thread;
    let first = row_ptr[p.row_base + row];
    let n = counts[p.count_base + row];
    var s = 0u;
    while (s < n) {
        let at = chunk_position(p.first, first + s, CHUNK_SHIFT);
        let len = min(n - s, (1u << CHUNK_SHIFT) - at.y);
        write_segment(p, row, s, at.x, at.y, len);
        s += len;
    }
}
