// Shared by the propagate stages, each one workgroup per spike of this tick: the run
// constants, the tick's control block and the record ring (bindings 0-2 of each), and which
// spike a workgroup delivers.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read> records: array<SpikeRecord>;

const NO_SPIKE: u32 = 0xffffffffu;

// Index in this tick's spike list of the spike workgroup `wg` delivers, or NO_SPIKE past the
// list's end (the dispatch is sized for the worst case before the spikes are known).
fn workgroup_spike(wg: vec3<u32>) -> u32 {
    let k = wg.y * params.max_groups_x + wg.x;
    return select(NO_SPIKE, k, k < atomicLoad(&control.spike_count));
}

// The neuron that fired spike `k` of this tick.
fn spiking_neuron(k: u32) -> u32 {
    return records[control.record_head + k].neuron;
}
