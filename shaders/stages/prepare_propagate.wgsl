// Sizes the indirect dispatch of `propagate`: one workgroup per spike of this tick, laid out
// in 2-D when the count exceeds the per-dimension workgroup limit; and, with plasticity, the
// STDP stages' dispatch (one workgroup per spike of tick - stdp_lag); and the reward-modulated
// update's (every synapse on the last tick of an update interval, nothing otherwise).

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read_write> indirect: array<u32, 9>;
@group(0) @binding(3) var<storage, read_write> spike_hist: array<u32>;

fn grid(count: u32, at: u32) {
    indirect[at] = min(count, params.max_groups_x);
    indirect[at + 1u] = max(1u, (count + params.max_groups_x - 1u) / params.max_groups_x);
    indirect[at + 2u] = 1u;
}

@compute @workgroup_size(1)
fn prepare_propagate() {
    let count = atomicLoad(&control.spike_count);
    grid(count, 0u);
    // The STDP stages handle the spikes of tick - stdp_lag (none before that tick exists).
    var stdp_count = 0u;
    let running = tick_running();
    if (params.n_plastic > 0u && running) {
        spike_hist[control.hist_slot] = count;
        if (control.tick_hi > 0u || control.tick >= params.stdp_lag) {
            stdp_count = spike_hist[lagged_hist_slot(params.stdp_lag)];
        }
    }
    grid(stdp_count, 3u);
    var modulated_groups = 0u;
    if (params.modulation_interval > 0u && running && control.modulation_phase + 1u == params.modulation_interval) {
        modulated_groups = (params.n_synapses + MODULATED_WORKGROUP_SIZE - 1u) / MODULATED_WORKGROUP_SIZE;
    }
    grid(modulated_groups, 6u);
}
