// First dispatch of every submitted batch: the previous batch's records were copied out at its
// end, so the record ring starts empty and a halt is lifted.

@group(0) @binding(0) var<storage, read_write> control: Control;

@compute @workgroup_size(1)
fn batch_begin() {
    control.record_head = 0u;
    control.halted = 0u;
}
