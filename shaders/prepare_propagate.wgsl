// Sizes the indirect dispatch of `propagate`: one workgroup per spike of this tick, laid out
// in 2-D when the count exceeds the per-dimension workgroup limit.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read_write> indirect: array<u32, 3>;

@compute @workgroup_size(1)
fn prepare_propagate() {
    let count = atomicLoad(&control.spike_count);
    indirect[0] = min(count, params.max_groups_x);
    indirect[1] = max(1u, (count + params.max_groups_x - 1u) / params.max_groups_x);
    indirect[2] = 1u;
}
