// Stage 2 of a tick: take this tick's input slot, integrate, threshold, reset; then compact
// the spiking neurons, with one global atomic per workgroup, straight into the record ring.
// This tick's slice of the record ring is the spike list that `propagate` walks, so recording
// costs no extra pass over the spikes. The order within the slice is arbitrary; every sum
// built from it is an integer sum, which does not depend on order.
//
// Operation order is that of cpu::lif_step, with only correctly rounded adds and multiplies
// (no fma: drivers may split it, e.g. lavapipe does), so on a driver that does not contract
// a*b+c into an fma the result is bit-identical to the CPU reference.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read> pops: array<PopGpu>;
@group(0) @binding(3) var<storage, read_write> state: array<NeuronState>;
@group(0) @binding(4) var<storage, read_write> ring: array<atomic<i32>>;
@group(0) @binding(5) var<storage, read_write> records: array<SpikeRecord>;

override WORKGROUP_SIZE: u32 = 256u;

var<workgroup> wg_count: atomic<u32>;
var<workgroup> wg_base: u32;

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
    let running = control.halted == 0u && tick < control.end_tick;
    if (lid == 0u) {
        atomicStore(&wg_count, 0u);
    }
    workgroupBarrier();

    var spiked = false;
    var local_index = 0u;
    if (running && n < params.n_neurons) {
        let p = pops[population_of(n)];
        let slot = tick % params.ring_slots;
        let in_e = atomicExchange(&ring[ring_index(0u, slot, n, params.ring_slots, params.n_neurons)], 0);
        let in_i = atomicExchange(&ring[ring_index(1u, slot, n, params.ring_slots, params.n_neurons)], 0);
        var s = state[n];
        s.syn_e += f32(in_e) * params.fixed_inv_scale;
        s.syn_i += f32(in_i) * params.fixed_inv_scale;
        if (s.refractory > 0u) {
            s.refractory -= 1u;
        }
        if (s.refractory == 0u) {
            let v = (s.v - p.v_rest) * p.p_mm + (s.syn_e * p.p_me + (s.syn_i * p.p_mi + p.v_rest));
            if (v > p.v_thresh) {
                s.v = p.v_reset;
                s.refractory = p.refractory_ticks;
                spiked = true;
            } else {
                s.v = v;
            }
        }
        s.syn_e *= p.decay_e;
        s.syn_i *= p.decay_i;
        state[n] = s;
        if (spiked) {
            local_index = atomicAdd(&wg_count, 1u);
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        let c = atomicLoad(&wg_count);
        if (c > 0u) {
            wg_base = atomicAdd(&control.spike_count, c);
        }
    }
    let base = workgroupUniformLoad(&wg_base);
    if (spiked) {
        // tick_end guarantees room for n_neurons more records before every tick runs.
        records[control.record_head + base + local_index] = SpikeRecord(tick, n);
    }
}
