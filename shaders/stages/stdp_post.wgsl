// STDP stage 3: the spikes of tick - stdp_lag back-propagate to their plastic synapses (after
// the dendritic part of each delay) and potentiate them with the pre-synaptic trace as it was
// there just before: one workgroup per spike walks the neuron's column of the transpose index
// (each synapse is in exactly one column). Mirrored by cpu::stdp_post and cpu::potentiate.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read> spike_hist: array<u32>;
@group(0) @binding(3) var<storage, read> col_ptr: array<u32>;
// Transpose entries: synapse index, global pre neuron, the synapse's delay word.
@group(0) @binding(4) var<storage, read> col_entries: array<ColEntry>;
// Weights, then (reward-modulated projections only) the eligibility traces.
@group(0) @binding(5) var<storage, read_write> weights: array<f32>;
@group(0) @binding(6) var<storage, read> plastic: array<PlasticGpu>;
@group(0) @binding(7) var<storage, read> traces: array<f32>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn stdp_post(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = wg.y * params.max_groups_x + wg.x;
    let te = lagged_tick(params.stdp_lag);
    let slot = lagged_hist_slot(params.stdp_lag);
    if (k >= spike_hist[slot]) {
        return;
    }
    let post = spike_hist[params.hist_len + slot * params.n_neurons + k];
    for (var e = col_ptr[post] + lid; e < col_ptr[post + 1u]; e += WORKGROUP_SIZE) {
        let entry = col_entries[e];
        let s = entry.synapse;
        let pre = entry.pre;
        let syn = Synapse(post, entry.delay_port);
        let p = plastic[synapse_plastic(syn) - 1u];
        let dd = synapse_dendritic(syn);
        // Ticks relative to te: the back-propagated arrival (te + dendritic delay), the
        // traces just before it and just before te.
        let arrival = i32(dd);
        let r1 = trace_at(p.pre_trace, 0u, p.pre_size, pre - p.pre_start, te, slot, arrival - i32(synapse_delay(syn) - dd) - 1) * p.decay_plus;
        let o2 = trace_at(p.post_trace, 1u, p.post_size, post - p.post_start, te, slot, -1) * p.decay_y;
        let dw = (p.a2_plus + p.a3_plus * o2) * r1 * dependence(p, weights[s], true);
        apply_change(p, s, dw);
    }
}
