// Stage 3 of a tick, for networks with stochastic release: `propagate` (see propagate.wgsl),
// each synapse transmitting only when its release word for this tick is below its threshold.
// Twin of src/cpu/stochastic.rs; the rule: src/model/stochastic.rs.
//
// `release` holds one threshold per synapse of the merged rows: floor(p 2^32), 0xffffffff
// meaning "always" (synapses of other projections, and p = 1). The word is word x of
// Philox4x32-10 at counter (tick, synapse index, RELEASE_STREAM, tick's high word) under the
// input seed, so every (spike, synapse) event draws independently and the CPU draws the same.

// Bindings 0-2 (params, control, records): spike_walk.wgsl.
@group(0) @binding(3) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(4) var<storage, read> synapses: array<Synapse>;
@group(0) @binding(5) var<storage, read> weights: array<f32>;
@group(0) @binding(6) var<storage, read_write> ring: array<atomic<i32>>;
@group(0) @binding(7) var<storage, read_write> spike_hist: array<u32>;
@group(0) @binding(8) var<storage, read_write> spiked_at: array<u32>;
@group(0) @binding(9) var<storage, read> release: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;

// crate::rng::stream::RELEASE.
const RELEASE_STREAM: u32 = 0xA0000000u;
const ALWAYS: u32 = 0xffffffffu;

// Whether synapse `s` transmits a spike of this tick (the CPU's `released`).
fn released(s: u32) -> bool {
    let threshold = release[s];
    if (threshold == ALWAYS) {
        return true;
    }
    let counter = vec4<u32>(control.tick, s, RELEASE_STREAM, control.tick_hi);
    let word = philox4x32_10(counter, vec2<u32>(params.input_seed_lo, params.input_seed_hi)).x;
    return word < threshold;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn propagate_stochastic(
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
        if (!released(s)) {
            continue;
        }
        let syn = synapses[s];
        let slot = (now_slot + synapse_delay(syn)) % params.ring_slots;
        let idx = ring_index(synapse_port(syn), slot, syn.post, params.ring_slots, params.n_neurons);
        atomicAdd(&ring[idx], i32(round(weights[s] * params.fixed_scale)));
    }
}
