// Test stage: evaluates Philox4x32-10 on given (counter, key) rows, and mulhi32 on a pair, so
// that the WGSL generator (in each dialect) can be compared with the Rust one and with the
// published known-answer vectors.

struct RngCase {
    counter: vec4<u32>,
    key: vec2<u32>,
    // Factors of mulhi32.
    factors: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> cases: array<RngCase>;
// Two per case: the Philox block, then (mulhi32 of the factors, 0, 0, 0).
@group(0) @binding(1) var<storage, read_write> results: array<vec4<u32>>;

@compute @workgroup_size(64)
fn rng_check(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < arrayLength(&cases)) {
        let c = cases[gid.x];
        results[2u * gid.x] = philox4x32_10(c.counter, c.key);
        results[2u * gid.x + 1u] = vec4<u32>(mulhi32(c.factors.x, c.factors.y), 0u, 0u, 0u);
    }
}
