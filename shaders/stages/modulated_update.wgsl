// STDP stage 4, reward modulation (Izhikevich 2007): on the last tick of each update interval
// every reward-modulated synapse moves by eligibility x neuromodulator level x interval (in
// seconds), clipped to its bounds, and its eligibility decays over the interval. One thread
// per synapse; prepare_propagate sizes the dispatch (empty on other ticks). Each thread owns
// its synapse, so nothing races. Mirrored by cpu::modulated_update.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read> synapses: array<Synapse>;
// Weights, then the eligibility traces.
@group(0) @binding(2) var<storage, read_write> weights: array<f32>;
@group(0) @binding(3) var<storage, read> plastic: array<PlasticGpu>;
@group(0) @binding(4) var<storage, read> modulators: array<f32>;

@compute @workgroup_size(MODULATED_WORKGROUP_SIZE)
fn modulated_update(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let s = (wg.y * params.max_groups_x + wg.x) * MODULATED_WORKGROUP_SIZE + lid;
    if (s >= params.n_synapses) {
        return;
    }
    let id = synapse_plastic(synapses[s]);
    if (id == 0u) {
        return;
    }
    let p = plastic[id - 1u];
    if ((p.flags & 8u) == 0u) {
        return;
    }
    let c = weights[params.n_synapses + s];
    let d = modulators[p.channel];
    weights[s] = clamp(weights[s] + c * d * p.interval_s, p.w_min, p.w_max);
    weights[params.n_synapses + s] = c * p.decay_eligibility;
}
