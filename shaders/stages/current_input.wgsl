// Stage 1b of a tick: injected currents (DC, step, noise) into the one-slot current
// accumulator, in fixed point. Noise is the standardised sum of eight 24-bit uniforms from
// two Philox calls, summed as integers, so the CPU twin (cpu::current_amplitude) draws the
// same value. Their counters are (tick low word, target, stream, 2 x tick high word + call).

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read> currents: array<CurrentGpu>;
@group(0) @binding(3) var<storage, read> current_steps: array<CurrentStep>;
@group(0) @binding(4) var<storage, read_write> current_in: array<atomic<i32>>;

override WORKGROUP_SIZE: u32 = 256u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn current_input(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.y * params.row_threads + gid.x;
    if (t >= params.current_threads || !tick_running()) {
        return;
    }
    var i = 0u;
    while (i + 1u < params.n_current && t >= currents[i + 1u].thread_start) {
        i++;
    }
    let c = currents[i];
    let local = t - c.thread_start;
    var amplitude = 0.0;
    if (c.kind == 0u) {
        amplitude = c.a0;
    } else if (c.kind == 1u) {
        var k = 0u;
        while (k < c.step_count && scheduled_by_now(current_steps[c.step_offset + k].tick)) {
            amplitude = current_steps[c.step_offset + k].amplitude;
            k++;
        }
    } else {
        let key = vec2<u32>(params.input_seed_lo, params.input_seed_hi);
        let hi = 2u * control.tick_hi;
        let r0 = philox4x32_10(vec4<u32>(control.tick, local, c.stream, hi), key) >> vec4<u32>(8u);
        let r1 = philox4x32_10(vec4<u32>(control.tick, local, c.stream, hi + 1u), key) >> vec4<u32>(8u);
        let sum = (r0.x + r0.y + r0.z + r0.w) + (r1.x + r1.y + r1.z + r1.w);
        let z = (f32(sum) * (1.0 / 16777216.0) - 4.0) * 1.2247449;
        amplitude = c.a0 + c.a1 * z;
    }
    atomicAdd(&current_in[c.target_start + local], i32(round(amplitude * params.fixed_scale)));
}
