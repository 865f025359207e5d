// Spike source array: neuron spikes at the ticks listed in its slice of `source_ticks`
// (offset and count as u32 bits in the per-neuron parameters); `aux` is the next index.
// Mirrored by neurons::spike_source::update.

// The listed ticks are 32-bit: none lies at or after tick 2^32 (tick_hi > 0).
fn spike_source_update(s: ptr<function, NeuronState>, q: vec4<f32>, tick: u32, tick_hi: u32) -> bool {
    let offset = bitcast<u32>(q.x);
    let count = bitcast<u32>(q.y);
    if (tick_hi == 0u && (*s).aux < count && source_ticks[offset + (*s).aux] == tick) {
        (*s).aux += 1u;
        return true;
    }
    return false;
}
