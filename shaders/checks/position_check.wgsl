// Test stage: evaluates chunk_position on given rows so that the WGSL offset arithmetic can be
// compared with 64-bit integer arithmetic on the host, including positions past 2^32.

struct PositionCase {
    first: vec2<u32>,
    r: u32,
    shift: u32,
}

@group(0) @binding(0) var<storage, read> cases: array<PositionCase>;
@group(0) @binding(1) var<storage, read_write> results: array<vec2<u32>>;

@compute @workgroup_size(64)
fn position_check(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < arrayLength(&cases)) {
        let c = cases[gid.x];
        results[gid.x] = chunk_position(c.first, c.r, c.shift);
    }
}
