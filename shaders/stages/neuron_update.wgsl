// Stage 2 of a tick: take this tick's input slot and injected current, advance each neuron
// with its population's model (shaders/models/*.wgsl, included after the MODEL_* and slot
// constants generated from src/neurons), then compact the spiking neurons, with one
// global atomic per workgroup, straight into the record ring. This tick's slice of the record
// ring is the spike list that `propagate` walks, so recording costs no extra pass over the
// spikes. The order within the slice is arbitrary; every sum built from it is an integer sum,
// which does not depend on order.
//
// The watchdog (src/sim/watchdog.rs): a neuron whose updated state holds a NaN or an infinity
// lowers the workgroup's minimum; one thread per workgroup that saw one then lowers
// control.fault_neuron (one atomic), until tick_end has recorded the first faulting tick.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read> pops: array<PopGpu>;
@group(0) @binding(3) var<storage, read_write> state: array<NeuronState>;
@group(0) @binding(4) var<storage, read_write> ring: array<atomic<i32>>;
@group(0) @binding(5) var<storage, read_write> records: array<SpikeRecord>;
@group(0) @binding(6) var<storage, read> neuron_params: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> source_ticks: array<u32>;
@group(0) @binding(8) var<storage, read_write> current_in: array<atomic<i32>>;

override WORKGROUP_SIZE: u32 = 256u;

// neurons::model_id::EQUATION (not among the built-in models' generated constants).
const MODEL_EQUATION: u32 = 8u;

var<workgroup> wg_count: atomic<u32>;
var<workgroup> wg_base: u32;
var<workgroup> wg_fault: atomic<u32>;

// Whether an f32's exponent bits are all ones (NaN or infinite: WGSL has no isnan).
fn nonfinite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

fn state_nonfinite(s: NeuronState) -> bool {
    return nonfinite(s.v) || nonfinite(s.u) || nonfinite(s.w1) || nonfinite(s.w2)
        || nonfinite(s.syn_e) || nonfinite(s.syn_i);
}

fn population_of(n: u32) -> u32 {
    var k = 0u;
    while (k + 1u < params.n_pops && n >= pops[k + 1u].start) {
        k++;
    }
    return k;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn neuron_update(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let n = gid.y * params.row_threads + gid.x;
    let tick = control.tick;
    let running = tick_running();
    if (lid == 0u) {
        atomicStore(&wg_count, 0u);
        atomicStore(&wg_fault, 0xffffffffu);
    }
    workgroupBarrier();

    var spiked = false;
    var local_index = 0u;
    let pop = population_of(min(n, params.n_neurons - 1u));
    // Neurons of user-defined models are advanced by their own stage (equation_update.wgsl).
    if (running && n < params.n_neurons && pops[pop].model != MODEL_EQUATION) {
        let p = pops[pop];
        // This tick's slot, or the one before under a late convention (model::Conventions).
        let slot = (control.ring_slot + params.ring_slots - p.input_lag) % params.ring_slots;
        let scale = params.fixed_inv_scale;
        let in_e = f32(atomicExchange(&ring[ring_index(0u, slot, n, params.ring_slots, params.n_neurons)], 0)) * scale;
        let in_i = f32(atomicExchange(&ring[ring_index(1u, slot, n, params.ring_slots, params.n_neurons)], 0)) * scale;
        let in_c = f32(atomicExchange(&current_in[n], 0)) * scale;
        var s = state[n];
        // Per-neuron parameters: Izhikevich (a, b, c, d); spike sources (offset, count); Poisson
        // sequences (table offset, stream, neuron, local index); the other models (threshold,
        // bias current, -, -).
        let q = neuron_params[n];
        switch p.model {
            case MODEL_LIF: { spiked = lif_update(&s, p, q.x, in_e, in_i, in_c + q.y); }
            case MODEL_LIF_COND: { spiked = lif_cond_update(&s, p, q.x, in_e, in_i, in_c + q.y); }
            case MODEL_IZHIKEVICH: { spiked = izhikevich_update(&s, p, q, in_e, in_i, in_c); }
            case MODEL_ADEX: { spiked = adex_update(&s, p, q.x, in_e, in_i, in_c + q.y); }
            case MODEL_HH: { spiked = hh_update(&s, p, q.x, in_e, in_i, in_c + q.y); }
            case MODEL_SPIKE_SOURCE: { spiked = spike_source_update(&s, q, tick, control.tick_hi); }
            case MODEL_POISSON_SOURCE: { spiked = poisson_source_update(q, tick, control.tick_hi); }
            // The size of the rate table's rows: the whole population's, also on a rank.
            case MODEL_POISSON_SEQUENCE: { spiked = poisson_sequence_update(q, bitcast<u32>(p.c[POISSON_SEQUENCE_ROW_SIZE]), tick, control.tick_hi); }
            default: {}
        }
        state[n] = s;
        if (spiked) {
            local_index = atomicAdd(&wg_count, 1u);
        }
        if (control.fault_field == 0u && state_nonfinite(s)) {
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
