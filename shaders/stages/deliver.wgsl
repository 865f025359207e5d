// A rank of a distributed run (src/distributed): the exchanged spikes of the last
// communication interval, every rank's, delivered into this rank's input ring. The tick
// schedule of a rank has no propagate: the host uploads the interval's spikes, each as the
// ring slot of its own tick (tick % D) and its global neuron, and one workgroup per spike
// walks that neuron's row (rows by global neuron, targets local) and adds each weight in
// fixed point into slot (tick + delay) % D, exactly what `propagate` adds in the spike's
// own tick (see propagate.wgsl for the rounding). Integer sums do not depend on the order
// of their terms, so the ring holds a single process's inputs bit for bit. The slots are
// still ahead of the ring's reader: a spike is exchanged less than the smallest delay after
// it fired. Twin of src/cpu/deliver.rs.

@group(0) @binding(0) var<uniform> params: SimParams;
// [spike count, 0, then per spike (slot of its tick, global neuron)].
@group(0) @binding(1) var<storage, read> deliveries: array<u32>;
@group(0) @binding(2) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(3) var<storage, read> synapses: array<Synapse>;
@group(0) @binding(4) var<storage, read> weights: array<f32>;
@group(0) @binding(5) var<storage, read_write> ring: array<atomic<i32>>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn deliver(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let count = deliveries[0];
    // Workgroups stride the list: the host dispatches at most one per spike.
    for (var k = wg.x; k < count; k += groups.x) {
        let tick_slot = deliveries[2u + 2u * k];
        let source = deliveries[3u + 2u * k];
        let end = row_ptr[source + 1u];
        for (var s = row_ptr[source] + lid; s < end; s += WORKGROUP_SIZE) {
            let syn = synapses[s];
            let slot = (tick_slot + synapse_delay(syn)) % params.ring_slots;
            let idx = ring_index(synapse_port(syn), slot, syn.post, params.ring_slots, params.n_neurons);
            atomicAdd(&ring[idx], i32(round(weights[s] * params.fixed_scale)));
        }
    }
}
