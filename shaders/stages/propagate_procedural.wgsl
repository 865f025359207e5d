// Stage 3 (procedural projections): nothing is stored; one workgroup per spike regenerates
// the spiking neuron's row of every procedural projection leaving its population. Each
// thread draws one Philox block (counter: row, block, stream) for four consecutive
// candidates and connects candidate j when its word is below p * 2^32: an integer test, so
// the rows are the same on every backend and in every run. Work grows with the post-synaptic
// population, not with stored synapses. Mirrored by plan::procedural_row in cpu::propagate.

// Bindings 0-2 (params, control, records): spike_walk.wgsl.
@group(0) @binding(3) var<storage, read> procedural: array<ProceduralGpu>;
@group(0) @binding(4) var<storage, read_write> ring: array<atomic<i32>>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn propagate_procedural(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = workgroup_spike(wg);
    if (k == NO_SPIKE) {
        return;
    }
    let now_slot = control.ring_slot;
    let key = vec2<u32>(params.seed_lo, params.seed_hi);
    let source = spiking_neuron(k);
    var events = 0u;
    for (var q = 0u; q < params.n_procedural; q++) {
        let p = procedural[q];
        if (source < p.pre_start || source - p.pre_start >= p.pre_size) {
            continue;
        }
        let row = source - p.pre_start;
        let slot = (now_slot + p.delay) % params.ring_slots;
        let base = ring_index(p.port, slot, p.post_start, params.ring_slots, params.n_neurons);
        for (var block = lid; block * 4u < p.post_size; block += WORKGROUP_SIZE) {
            let words = philox4x32_10(vec4<u32>(row, block, p.stream, 0u), key);
            for (var lane = 0u; lane < 4u; lane++) {
                let j = block * 4u + lane;
                if (j < p.post_size && (p.all == 1u || words[lane] < p.threshold)
                    && !(p.skip_self == 1u && j == row)) {
                    atomicAdd(&ring[base + j], p.weight_fixed);
                    events++;
                }
            }
        }
    }
    if (events > 0u) {
        atomicAdd(&control.tick_events, events);
    }
}
