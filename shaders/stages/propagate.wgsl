// Stage 3 of a tick: event-driven propagation. One workgroup per spike walks the spiking
// neuron's CSR row (threads stride the row, so loads are contiguous) and adds each weight,
// in fixed point, into the target's input ring at slot (tick + delay) % D.
//
// Fixed point: weight * fixed_scale (a power of two, so the product is exact), rounded half
// to even, as i32. The plan picks the largest scale <= 2^20 for which the sum of |weights|
// that can land in one ring entry fits in i32, so the integer sum cannot overflow, and an
// integer sum is the same whatever order the atomics run in.
//
// With plasticity, thread 0 also files the spike in the spike history that the STDP stages
// read `stdp_lag` ticks later.

// Bindings 0-2 (params, control, records): spike_walk.wgsl.
@group(0) @binding(3) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(4) var<storage, read> synapses: array<Synapse>;
@group(0) @binding(5) var<storage, read> weights: array<f32>;
@group(0) @binding(6) var<storage, read_write> ring: array<atomic<i32>>;
// Plasticity only: [hist_len counts][hist_len x n_neurons spike ids], and the last spike tick
// of every neuron (low and high words).
@group(0) @binding(7) var<storage, read_write> spike_hist: array<u32>;
@group(0) @binding(8) var<storage, read_write> spiked_at: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn propagate(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = workgroup_spike(wg);
    if (k == NO_SPIKE) {
        return;
    }
    let now_slot = control.ring_slot;
    let source = spiking_neuron(k);
    let begin = row_ptr[source];
    let end = row_ptr[source + 1u];
    if (lid == 0u) {
        atomicAdd(&control.tick_events, end - begin);
        if (params.n_plastic > 0u) {
            spike_hist[params.hist_len + control.hist_slot * params.n_neurons + k] = source;
            spiked_at[2u * source] = control.tick;
            spiked_at[2u * source + 1u] = control.tick_hi;
        }
    }
    for (var s = begin + lid; s < end; s += WORKGROUP_SIZE) {
        let syn = synapses[s];
        let slot = (now_slot + synapse_delay(syn)) % params.ring_slots;
        let idx = ring_index(synapse_port(syn), slot, syn.post, params.ring_slots, params.n_neurons);
        atomicAdd(&ring[idx], i32(round(weights[s] * params.fixed_scale)));
    }
}
