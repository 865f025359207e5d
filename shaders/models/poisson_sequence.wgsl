// Poisson sequence: per-neuron rates that change per stimulus window. The population's table
// in `source_ticks` (its offset in the per-neuron parameters) holds a header (start tick,
// present ticks, period ticks, windows), then one firing threshold per neuron and window,
// window by window. Fires when one Philox word keyed by (tick, neuron, stream) is below the
// threshold of the current window; silent before the first window, in the rests, after the
// last and from tick 2^32 on (the builder keeps sequences below it).
// Per-neuron parameters: table offset, stream, global and local neuron index (u32 bits);
// `size`: the population's size in one process (the table's row length), also on a rank.
// Mirrored by neurons::poisson_sequence::update.

fn poisson_sequence_update(q: vec4<f32>, size: u32, tick: u32, tick_hi: u32) -> bool {
    let base = bitcast<u32>(q.x);
    let start = source_ticks[base];
    if (tick_hi != 0u || tick < start) {
        return false;
    }
    let since = tick - start;
    let period = source_ticks[base + 2u];
    let window = since / period;
    if (window >= source_ticks[base + 3u] || since % period >= source_ticks[base + 1u]) {
        return false;
    }
    let threshold = source_ticks[base + 4u + window * size + bitcast<u32>(q.w)];
    let key = vec2<u32>(params.input_seed_lo, params.input_seed_hi);
    let r = philox4x32_10(vec4<u32>(tick, bitcast<u32>(q.z), bitcast<u32>(q.y), tick_hi), key).x;
    return r < threshold;
}
