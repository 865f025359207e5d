// Connectivity generation, pass 2: in-degree of every post-synaptic neuron per generated
// projection (the host bounds the fixed-point input with them before pass 3). One thread per
// row draws the targets of its synapses (block A of each). Mirrored by
// generate::fixed_total_synapse.

@group(0) @binding(0) var<uniform> gen: GenParams;
@group(0) @binding(1) var<storage, read> projections: array<GenProjection>;
@group(0) @binding(2) var<storage, read> counts: array<u32>;
@group(0) @binding(3) var<storage, read_write> indegree: array<atomic<u32>>;

@compute @workgroup_size(64)
fn generate_indegree(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.y * gen.stride + gid.x;
    if (t >= gen.row_threads) {
        return;
    }
    let p = projections[gen_projection_of(t, true)];
    let row = t - p.row_thread;
    let key = vec2<u32>(gen.seed_lo, gen.seed_hi);
    for (var s = 0u; s < counts[p.count_base + row]; s++) {
        let a = philox4x32_10(vec4<u32>(row, s, p.stream, 0u), key);
        atomicAdd(&indegree[p.indegree_base + gen_target(p, row, a.x)], 1u);
    }
}
