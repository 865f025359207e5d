// Test stage: evaluates Philox4x32-10 on given (counter, key) rows so that the WGSL generator
// can be compared with the Rust one and with the published known-answer vectors.

struct PhiloxCase {
    counter: vec4<u32>,
    key: vec2<u32>,
    _pad: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> cases: array<PhiloxCase>;
@group(0) @binding(1) var<storage, read_write> results: array<vec4<u32>>;

@compute @workgroup_size(64)
fn rng_check(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < arrayLength(&cases)) {
        let c = cases[gid.x];
        results[gid.x] = philox4x32_10(c.counter, c.key);
    }
}
