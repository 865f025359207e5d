// A rank of a distributed run whose synapses are stored compactly (src/plan/compact.rs): the
// exchanged spikes of the last communication interval, every rank's, delivered into this
// rank's input ring, as deliver.wgsl does for the wide format. The host uploads each spike
// as the ring slot of its own tick (tick % D), its global neuron and its population; one
// workgroup per spike walks the rows of every projection leaving that population (rows by
// global neuron: a projection's pre_start is its pre population's global start; targets
// local to the rank's post population) and adds each fixed-point weight into slot
// (tick + delay) % D, the integer propagate_compact adds in the spike's own tick. The chunk
// bindings and `deliver_segment` are generated as for propagate_compact (src/gpu/shaders.rs).
// Twin of src/cpu/deliver.rs (on the wide arrays: the same integers).

@group(0) @binding(0) var<uniform> params: SimParams;
// [spike count, 0, then per spike (slot of its tick, global neuron, population)].
@group(0) @binding(1) var<storage, read> deliveries: array<u32>;
// Per population: first index and count of its outgoing projections.
@group(0) @binding(2) var<storage, read> compact_outgoing: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> compact_projections: array<CompactProjection>;
@group(0) @binding(4) var<storage, read> compact_row_ptr: array<u32>;
@group(0) @binding(5) var<storage, read_write> ring: array<atomic<i32>>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn deliver_compact(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let count = deliveries[0];
    // Workgroups stride the list: the host dispatches at most one per spike.
    for (var k = wg.x; k < count; k += groups.x) {
        let tick_slot = deliveries[2u + 3u * k];
        let source = deliveries[3u + 3u * k];
        let out = compact_outgoing[deliveries[4u + 3u * k]];
        for (var j = out.x; j < out.x + out.y; j++) {
            let proj = compact_projections[j];
            deliver_row(proj, proj.row_base + (source - proj.pre_start), lid, tick_slot);
        }
    }
}
