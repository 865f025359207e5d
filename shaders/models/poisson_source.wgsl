// Poisson source: fires when one Philox word keyed by (tick, neuron, stream) is below
// rate x dt x 2^32 (per-neuron parameters: threshold, stream, neuron index as u32 bits). The
// counter is (tick low word, neuron, stream, tick high word).
// Mirrored by neurons::poisson_source::update.

fn poisson_source_update(q: vec4<f32>, tick: u32, tick_hi: u32) -> bool {
    let key = vec2<u32>(params.input_seed_lo, params.input_seed_hi);
    let r = philox4x32_10(vec4<u32>(tick, bitcast<u32>(q.z), bitcast<u32>(q.y), tick_hi), key).x;
    return r < bitcast<u32>(q.x);
}
