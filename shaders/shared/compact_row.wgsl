// A compact row's delivery, shared by propagate_compact (a spike in its own tick) and a
// rank's deliver_compact (exchanged spikes, each with its own tick's slot). The stage
// declares `params`, `compact_row_ptr` and `ring`; `deliver_segment` and CHUNK_SHIFT are
// generated with the chunk layout (src/gpu/shaders.rs).

// Adds one synapse (its word and its target within the post population) of a spike whose
// tick has ring slot `now_slot`.
fn deliver(now_slot: u32, proj: CompactProjection, word: u32, local: u32) {
    let slot = (now_slot + (word & DELAY_MASK)) % params.ring_slots;
    let idx = ring_index(proj.port, slot, proj.post_start + local, params.ring_slots, params.n_neurons);
    atomicAdd(&ring[idx], bitcast<i32>(word) >> DELAY_BITS);
}

// Delivers row `row` of `proj` in runs that stay inside one chunk; returns its synapse
// count.
fn deliver_row(proj: CompactProjection, row: u32, lid: u32, now_slot: u32) -> u32 {
    let end = compact_row_ptr[row + 1u];
    var r = compact_row_ptr[row];
    let count = end - r;
    while (r < end) {
        let at = chunk_position(proj.first, r, CHUNK_SHIFT);
        let len = min(end - r, (1u << CHUNK_SHIFT) - at.y);
        deliver_segment(at.x, at.y, len, lid, now_slot, proj);
        r += len;
    }
    return count;
}
