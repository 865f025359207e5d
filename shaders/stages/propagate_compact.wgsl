// Stage 3 of a tick for static networks in compact storage (src/compact.rs): one workgroup
// per spike walks the rows of every projection leaving the spiking neuron's population and
// adds each weight into the target's input ring at slot (tick + delay) % D. A synapse is a
// target local to its projection's post population (TARGET_BITS bits of a bit stream) and a
// word holding the fixed-point weight above the delay bits: it adds exactly what `propagate`
// adds from the wide format.
//
// The synapse arrays may exceed one binding: they are split into chunks of 2^CHUNK_SHIFT
// words, each bound separately. Row pointers are 32-bit and relative to their projection,
// whose first synapse sits at a 64-bit position (chunk_position), so the arrays may hold
// more than 2^32 synapses. A row is walked in runs that stay inside one chunk;
// `deliver_segment` and the chunk bindings are generated with the chunk counts (see
// src/gpu/shaders.rs). The CPU twin is cpu::propagate on the wide arrays (the same integers;
// tests/compact.rs checks compact::decode against them).

// Bindings 0-2 (params, control, records): spike_walk.wgsl.
@group(0) @binding(3) var<storage, read> pops: array<PopGpu>;
// Per population: first index and count of its outgoing projections.
@group(0) @binding(4) var<storage, read> compact_outgoing: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read> compact_projections: array<CompactProjection>;
@group(0) @binding(6) var<storage, read> compact_row_ptr: array<u32>;
@group(0) @binding(7) var<storage, read_write> ring: array<atomic<i32>>;

override WORKGROUP_SIZE: u32 = 64u;

fn population_of(neuron: u32) -> u32 {
    var lo = 0u;
    var hi = params.n_pops;
    while (hi - lo > 1u) {
        let mid = (lo + hi) / 2u;
        if (pops[mid].start <= neuron) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn propagate_compact(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = workgroup_spike(wg);
    if (k == NO_SPIKE) {
        return;
    }
    let now_slot = control.ring_slot;
    let source = spiking_neuron(k);
    let out = compact_outgoing[population_of(source)];
    var events = 0u;
    for (var j = out.x; j < out.x + out.y; j++) {
        let proj = compact_projections[j];
        events += deliver_row(proj, proj.row_base + (source - proj.pre_start), lid, now_slot);
    }
    if (lid == 0u) {
        atomicAdd(&control.tick_events, events);
    }
}
