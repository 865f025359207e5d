// The neuron update of one population of a user-defined model (src/gpu/equation_pipeline.rs
// assembles it): common.wgsl, Philox and the equations' random numbers, the model's generated
// function (src/equations/wgsl.rs), a generated `eq_advance` that loads a neuron's variables,
// calls it and stores them, and this file. It runs right after `neuron_update` (which skips
// these neurons): it takes the tick's inputs from the ring and compacts the spikes into the
// record ring exactly as `neuron_update` does. The CPU twin is cpu::equation_update.
//
// The model's first six variables live in the `NeuronState` fields v, u, w1, w2, syn_e, syn_i
// (so state read-backs and probes see them as on the CPU), the rest in `eq_extra`
// (variable-major, EQ_SIZE values each); `eq_data` holds the constant table, then the
// per-neuron parameters (parameter-major). The watchdog sees a non-finite value among the six
// as it sees the built-in models' (neuron_update.wgsl); so does the CPU twin.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read_write> state: array<NeuronState>;
@group(0) @binding(3) var<storage, read_write> ring: array<atomic<i32>>;
@group(0) @binding(4) var<storage, read_write> records: array<SpikeRecord>;
@group(0) @binding(5) var<storage, read_write> current_in: array<atomic<i32>>;
@group(0) @binding(6) var<storage, read> eq_data: array<f32>;
@group(0) @binding(7) var<storage, read_write> eq_extra: array<f32>;

override WORKGROUP_SIZE: u32 = 256u;

var<workgroup> wg_count: atomic<u32>;
var<workgroup> wg_base: u32;
var<workgroup> wg_fault: atomic<u32>;

// Whether an f32's exponent bits are all ones (NaN or infinite: WGSL has no isnan).
fn eq_nonfinite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

fn eq_state_nonfinite(s: NeuronState) -> bool {
    return eq_nonfinite(s.v) || eq_nonfinite(s.u) || eq_nonfinite(s.w1) || eq_nonfinite(s.w2)
        || eq_nonfinite(s.syn_e) || eq_nonfinite(s.syn_i);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn equation_update(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    // Population-local index; EQ_START, EQ_SIZE, EQ_ROW_THREADS, EQ_STREAM, EQ_INPUT_LAG and
    // EQ_DRAW_FIRST / EQ_DRAW_STRIDE (a rank's neuron i draws as neuron first + i stride of the
    // whole population) are generated.
    let i = gid.y * EQ_ROW_THREADS + gid.x;
    let tick = control.tick;
    let running = tick_running();
    if (lid == 0u) {
        atomicStore(&wg_count, 0u);
        atomicStore(&wg_fault, 0xffffffffu);
    }
    workgroupBarrier();

    var spiked = false;
    var local_index = 0u;
    let n = EQ_START + i;
    if (running && i < EQ_SIZE) {
        // This tick's slot, or the one before under a late convention (model::Conventions).
        let slot = (control.ring_slot + params.ring_slots - EQ_INPUT_LAG) % params.ring_slots;
        let scale = params.fixed_inv_scale;
        let in_e = f32(atomicExchange(&ring[ring_index(0u, slot, n, params.ring_slots, params.n_neurons)], 0)) * scale;
        let in_i = f32(atomicExchange(&ring[ring_index(1u, slot, n, params.ring_slots, params.n_neurons)], 0)) * scale;
        let in_c = f32(atomicExchange(&current_in[n], 0)) * scale;
        // The Philox counter takes the tick's low word, as on the CPU.
        let rng = vec4<u32>(params.seed_lo, params.seed_hi, EQ_STREAM, tick);
        var s: NeuronState;
        spiked = eq_advance(n, i, vec3<f32>(in_e, in_i, in_c), rng, &s);
        state[n] = s;
        if (spiked) {
            local_index = atomicAdd(&wg_count, 1u);
        }
        if (control.fault_field == 0u && eq_state_nonfinite(s)) {
            atomicMin(&wg_fault, n);
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        let c = atomicLoad(&wg_count);
        if (c > 0u) {
            wg_base = atomicAdd(&control.spike_count, c);
        }
        let fault = atomicLoad(&wg_fault);
        if (fault != 0xffffffffu) {
            atomicMin(&control.fault_neuron, fault);
        }
    }
    let base = workgroupUniformLoad(&wg_base);
    if (spiked) {
        // tick_end guarantees room for n_neurons more records before every tick runs.
        records[control.record_head + base + local_index] = SpikeRecord(tick, n);
    }
}
