// First dispatch of every submitted batch: the previous batch's records were copied out at its
// end, so the record ring starts empty and a halt is lifted, unless the watchdog stopped the
// run (a recorded fault with fault_stops set).

@group(0) @binding(0) var<storage, read_write> control: Control;

@compute @workgroup_size(1)
fn batch_begin() {
    control.record_head = 0u;
    control.halted = select(0u, 1u, control.fault_field != 0u && control.fault_stops != 0u);
}
