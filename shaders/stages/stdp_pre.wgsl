// STDP stage 2: the spikes of tick - stdp_lag reach their plastic synapses (after the axonal
// part of each delay) and depress them with the post-synaptic trace as it was there just
// before: one workgroup per spike walks its CSR row (each synapse is in exactly one row, so
// updates never race). Mirrored by cpu::stdp_pre and cpu::depress.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read> spike_hist: array<u32>;
@group(0) @binding(3) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(4) var<storage, read> synapses: array<Synapse>;
// Weights, then (reward-modulated projections only) the eligibility traces.
@group(0) @binding(5) var<storage, read_write> weights: array<f32>;
@group(0) @binding(6) var<storage, read> plastic: array<PlasticGpu>;
@group(0) @binding(7) var<storage, read> traces: array<f32>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn stdp_pre(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = wg.y * params.max_groups_x + wg.x;
    let te = lagged_tick(params.stdp_lag);
    let slot = lagged_hist_slot(params.stdp_lag);
    if (k >= spike_hist[slot]) {
        return;
    }
    let pre = spike_hist[params.hist_len + slot * params.n_neurons + k];
    for (var s = row_ptr[pre] + lid; s < row_ptr[pre + 1u]; s += WORKGROUP_SIZE) {
        let syn = synapses[s];
        let id = synapse_plastic(syn);
        if (id == 0u) {
            continue;
        }
        let p = plastic[id - 1u];
        let dd = synapse_dendritic(syn);
        // Ticks relative to te: the arrival at the synapse (te + axonal delay), the traces
        // just before it and just before te.
        let arrival = i32(synapse_delay(syn) - dd);
        let o1 = trace_at(p.post_trace, 0u, p.post_size, syn.post - p.post_start, te, slot, arrival - i32(dd) - 1) * p.decay_minus;
        let r2 = trace_at(p.pre_trace, 1u, p.pre_size, pre - p.pre_start, te, slot, -1) * p.decay_x;
        let dw = (p.a2_minus + p.a3_minus * r2) * o1 * dependence(p, weights[s], false);
        apply_change(p, s, -dw);
    }
}
