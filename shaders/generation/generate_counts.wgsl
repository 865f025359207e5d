// Connectivity generation, pass 1: row counts of every generated (fixed-total) projection.
// One thread per chunk of CHUNK_PICKS picks; pick p of the chunk is word p of the Philox
// stream (count_stream, row = chunk) and adds one synapse to row mulhi(word, N_pre). Integer
// atomics, so the counts do not depend on scheduling. Mirrored by
// generate::fixed_total_row_counts.

@group(0) @binding(0) var<uniform> gen_params: GenParams;
@group(0) @binding(1) var<storage, read> gen_projections: array<GenProjection>;
@group(0) @binding(2) var<storage, read_write> gen_counts: array<atomic<u32>>;

const CHUNK_PICKS: u32 = 16384u;

@compute @workgroup_size(64)
fn generate_counts(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.y * gen_params.stride + gid.x;
    if (t >= gen_params.chunk_threads) {
        return;
    }
    let p = gen_projections[gen_projection_of(t, false)];
    let chunk = t - p.chunk_thread;
    let picks = min(p.n_total - chunk * CHUNK_PICKS, CHUNK_PICKS);
    let key = vec2<u32>(gen_params.seed_lo, gen_params.seed_hi);
    for (var block = 0u; block * 4u < picks; block++) {
        let words = philox4x32_10(vec4<u32>(chunk, block, p.count_stream, 0u), key);
        for (var lane = 0u; lane < min(4u, picks - block * 4u); lane++) {
            atomicAdd(&gen_counts[p.count_base + mulhi32(words[lane], p.pre_size)], 1u);
        }
    }
}
