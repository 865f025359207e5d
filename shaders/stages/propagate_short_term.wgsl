// Stage 3 of a tick, for networks with Tsodyks-Markram synapses: `propagate` (see
// propagate.wgsl), each synapse of a short-term projection delivering w u x. Twin of
// src/cpu/short_term.rs; the model and its update order: src/model/short_term.rs.
//
// `short_term` holds a header (projections, segment offset, state offset, per-synapse state
// offset), the projections (68 words each: pre_start, pre_size, slot_base, U, then
// exp(-2^k dt / tau_rec) and exp(-2^k dt / tau_facil) for k = 0..31, all 0 without
// facilitation), per slot (projection, pre neuron) its synapses [begin, end) in the merged
// rows and the word offset of their own states (0: none), then per slot two copies of the
// state (u, x, tick, kind; kind 0 empty, 1 no spike yet, 2 written at `tick`), then the
// per-synapse states (U, u, x) of projections with per-synapse U. Thread 0 writes the slot's
// new state into the copy that is not current, so every thread of the workgroup reads the
// current copy unchanged, in any order: a copy written this tick (kind 2 at this tick) is
// never the current one. A synapse's own state is read and written only by the one thread
// that delivers it.

// Bindings 0-2 (params, control, records): spike_walk.wgsl.
@group(0) @binding(3) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(4) var<storage, read> synapses: array<Synapse>;
@group(0) @binding(5) var<storage, read> weights: array<f32>;
@group(0) @binding(6) var<storage, read_write> ring: array<atomic<i32>>;
@group(0) @binding(7) var<storage, read_write> spike_hist: array<u32>;
@group(0) @binding(8) var<storage, read_write> spiked_at: array<u32>;
@group(0) @binding(9) var<storage, read_write> short_term: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;

// The decay over `ticks` ticks: the product of the factors (exp(-2^k dt / tau), from word
// `first` on) of its set bits, lowest first (the CPU's decay_over).
fn decay_over(first: u32, ticks: u32) -> f32 {
    var result = 1.0;
    for (var k = 0u; k < 32u; k += 1u) {
        if (((ticks >> k) & 1u) == 1u) {
            result = result * bitcast<f32>(short_term[first + k]);
        }
    }
    return result;
}

// Word offset of the current state copy of `slot` at tick `now`: the valid copy (not empty,
// not written this tick) with the most recent tick.
fn current_copy(slot: u32, now: u32) -> u32 {
    let a = short_term[2u] + 8u * slot;
    let b = a + 4u;
    let valid_a = short_term[a + 3u] != 0u && !(short_term[a + 3u] == 2u && short_term[a + 2u] == now);
    let valid_b = short_term[b + 3u] != 0u && !(short_term[b + 3u] == 2u && short_term[b + 2u] == now);
    if (!valid_b) {
        return a;
    }
    if (!valid_a) {
        return b;
    }
    // The younger copy; on a tie (a spike at tick 0 and the start) the one a spike wrote.
    let age_a = now - short_term[a + 2u];
    let age_b = now - short_term[b + 2u];
    let take_a = age_a < age_b || (age_a == age_b && short_term[a + 3u] >= short_term[b + 3u]);
    return select(b, a, take_a);
}

// The decays (x, u) over the interval from the current copy of `slot` of projection `p` to
// a spike at tick `now`; both 0 before the first spike (an infinite interval).
fn interval_decays(p: u32, c: u32, now: u32) -> vec2<f32> {
    let ticks = now - short_term[c + 2u];
    var x_decay = 0.0;
    var u_decay = 0.0;
    if (short_term[c + 3u] != 1u) {
        x_decay = decay_over(p + 4u, ticks);
        if (bitcast<f32>(short_term[p + 36u]) != 0.0) {
            u_decay = decay_over(p + 36u, ticks);
        }
    }
    return vec2<f32>(x_decay, u_decay);
}

// One spike's update of (u, x) with utilisation `big_u` (the CPU's advance_with).
fn tm_step(big_u: f32, u: f32, x: f32, decays: vec2<f32>) -> vec2<f32> {
    let used = x * u;
    let x_new = 1.0 + (x - used - 1.0) * decays.x;
    let kept = u * (1.0 - big_u);
    let u_new = big_u + kept * decays.y;
    return vec2<f32>(u_new, x_new);
}

// The new (u, x) of `slot` of projection `p` (its table offset) for a spike at tick `now`
// (the CPU's advance).
fn advanced(p: u32, slot: u32, now: u32) -> vec2<f32> {
    let c = current_copy(slot, now);
    let u = bitcast<f32>(short_term[c]);
    let x = bitcast<f32>(short_term[c + 1u]);
    return tm_step(bitcast<f32>(short_term[p + 3u]), u, x, interval_decays(p, c, now));
}

// Synapse `s` with its own state at word `w`: advances and stores its (u, x) for a spike at
// tick `now` over the interval of `slot`, and returns u x.
fn own_factor(p: u32, slot: u32, w: u32, now: u32) -> f32 {
    let decays = interval_decays(p, current_copy(slot, now), now);
    let next = tm_step(bitcast<f32>(short_term[w]), bitcast<f32>(short_term[w + 1u]), bitcast<f32>(short_term[w + 2u]), decays);
    short_term[w + 1u] = bitcast<u32>(next.x);
    short_term[w + 2u] = bitcast<u32>(next.y);
    return next.x * next.y;
}

// Thread 0: writes the new state of every slot of `source` into its non-current copies.
fn advance_slots(source: u32, now: u32) {
    for (var k = 0u; k < short_term[0]; k += 1u) {
        let p = 4u + 68u * k;
        let local_pre = source - short_term[p];
        if (local_pre >= short_term[p + 1u]) {
            continue;
        }
        let slot = short_term[p + 2u] + local_pre;
        let next = advanced(p, slot, now);
        let c = current_copy(slot, now);
        let a = short_term[2u] + 8u * slot;
        let w = select(a, a + 4u, c == a);
        short_term[w] = bitcast<u32>(next.x);
        short_term[w + 1u] = bitcast<u32>(next.y);
        short_term[w + 2u] = now;
        short_term[w + 3u] = 2u;
    }
}

// u x of synapse `s` of `source`'s row (1 for a static synapse); a synapse with its own
// state advances it.
fn factor(source: u32, s: u32, now: u32) -> f32 {
    for (var k = 0u; k < short_term[0]; k += 1u) {
        let p = 4u + 68u * k;
        let local_pre = source - short_term[p];
        if (local_pre >= short_term[p + 1u]) {
            continue;
        }
        let slot = short_term[p + 2u] + local_pre;
        let seg = short_term[1u] + 3u * slot;
        if (s >= short_term[seg] && s < short_term[seg + 1u]) {
            if (short_term[seg + 2u] != 0u) {
                return own_factor(p, slot, short_term[seg + 2u] + 3u * (s - short_term[seg]), now);
            }
            let next = advanced(p, slot, now);
            return next.x * next.y;
        }
    }
    return 1.0;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn propagate_short_term(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = workgroup_spike(wg);
    if (k == NO_SPIKE) {
        return;
    }
    let now_slot = control.ring_slot;
    let now = control.tick;
    let source = spiking_neuron(k);
    let begin = row_ptr[source];
    let end = row_ptr[source + 1u];
    for (var s = begin + lid; s < end; s += WORKGROUP_SIZE) {
        let syn = synapses[s];
        let slot = (now_slot + synapse_delay(syn)) % params.ring_slots;
        let idx = ring_index(synapse_port(syn), slot, syn.post, params.ring_slots, params.n_neurons);
        let w = weights[s] * factor(source, s, now);
        atomicAdd(&ring[idx], i32(round(w * params.fixed_scale)));
    }
    if (lid == 0u) {
        atomicAdd(&control.tick_events, end - begin);
        if (params.n_plastic > 0u) {
            spike_hist[params.hist_len + control.hist_slot * params.n_neurons + k] = source;
            spiked_at[2u * source] = control.tick;
            spiked_at[2u * source + 1u] = control.tick_hi;
        }
        advance_slots(source, now);
    }
}
