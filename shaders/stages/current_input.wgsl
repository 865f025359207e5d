// Stage 1b of a tick: injected currents (DC, step, noise, sine) into the one-slot current
// accumulator, in fixed point. Noise is the standardised sum of eight 24-bit uniforms from
// two Philox calls, summed as integers, so the CPU twin (cpu::current_amplitude) draws the
// same value. Their counters are (tick low word, target among the input's, stream, 2 x tick
// high word + call). A sine's phase is an integer fraction of a cycle (exact for any tick);
// its sine comes from the same f32 polynomial as the CPU twin (cpu::sine_amplitude).

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read> currents: array<CurrentGpu>;
@group(0) @binding(3) var<storage, read> current_steps: array<CurrentStep>;
@group(0) @binding(4) var<storage, read_write> current_in: array<atomic<i32>>;

override WORKGROUP_SIZE: u32 = 256u;

// sin(2 pi cycle / 2^32): quadrant from the top two bits, Taylor polynomials on the rest.
fn quadrant_sine(cycle: u32) -> f32 {
    let x = f32((cycle & 0x3FFFFFFFu) >> 6u) * 9.362675e-8;
    let x2 = x * x;
    let s = x * (1.0 + x2 * (-0.16666667 + x2 * (0.008333334 + x2 * (-0.0001984127 + x2 * (2.755732e-6 + x2 * -2.5052108e-8)))));
    let c = 1.0 + x2 * (-0.5 + x2 * (0.041666668 + x2 * (-0.0013888889 + x2 * (2.4801587e-5 + x2 * (-2.755732e-7 + x2 * 2.0876757e-9)))));
    let q = cycle >> 30u;
    if (q == 0u) {
        return s;
    } else if (q == 1u) {
        return c;
    } else if (q == 2u) {
        return -s;
    }
    return -c;
}

// A sine source's value this tick: 0 before its first tick (step_offset) and from its stop
// tick (step_count, 0xFFFFFFFF for never) on.
fn sine_current(c: CurrentGpu) -> f32 {
    let stopped = c.step_count != 0xFFFFFFFFu && scheduled_by_now(c.step_count);
    if (!scheduled_by_now(c.step_offset) || stopped) {
        return 0.0;
    }
    let cycle = c.phase0 + c.phase_step * (control.tick - c.step_offset);
    return c.a0 + c.a1 * quadrant_sine(cycle);
}

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
    } else if (c.kind == 3u) {
        amplitude = sine_current(c);
    } else {
        let key = vec2<u32>(params.input_seed_lo, params.input_seed_hi);
        let hi = 2u * control.tick_hi;
        // The target's index among the input's (in the whole population on a rank).
        let n = c.local_offset + params.input_first + local * params.input_stride;
        let r0 = philox4x32_10(vec4<u32>(control.tick, n, c.stream, hi), key) >> vec4<u32>(8u);
        let r1 = philox4x32_10(vec4<u32>(control.tick, n, c.stream, hi + 1u), key) >> vec4<u32>(8u);
        let sum = (r0.x + r0.y + r0.z + r0.w) + (r1.x + r1.y + r1.z + r1.w);
        let z = (f32(sum) * (1.0 / 16777216.0) - 4.0) * 1.2247449;
        amplitude = c.a0 + c.a1 * z;
    }
    atomicAdd(&current_in[c.target_start + local], i32(round(amplitude * params.fixed_scale)));
}
