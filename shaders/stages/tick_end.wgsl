// Stage 4 of a tick: advance the record head and the tick, fold this tick's counts into the
// 64-bit totals, and halt the rest of the batch when the record ring might not hold another
// tick's spikes (worst case: every neuron). A halted batch leaves the state untouched; the
// host drains the ring and the next batch continues from the same tick, so no spike is lost.
// On the last tick of a reward-modulation interval the neuromodulator levels relax towards
// their baselines (after modulated_update has read them; cpu::relax_modulators). The tick is
// 64-bit (a carry into tick_hi), and the ring, history and modulation slots advance with it.
//
// The watchdog: if neuron_update saw a non-finite state in this tick (and none was recorded
// before), the tick, the lowest such neuron and its first non-finite variable are recorded
// here, once, and with fault_stops set the run halts after this tick; batch_begin keeps that
// halt, so no later tick runs.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
// Neuromodulator channels: levels, baselines, decays per update interval (n_pops + 1 each).
@group(0) @binding(2) var<storage, read_write> modulators: array<f32>;
@group(0) @binding(3) var<storage, read> state: array<NeuronState>;

fn add64(lo: ptr<function, u32>, hi: ptr<function, u32>, x: u32) {
    let sum = *lo + x;
    if (sum < *lo) {
        *hi += 1u;
    }
    *lo = sum;
}

// 1 + the index of the first non-finite float of `s` in NeuronState order (v ... syn_i).
fn first_nonfinite(s: NeuronState) -> u32 {
    let values = array<f32, 6>(s.v, s.u, s.w1, s.w2, s.syn_e, s.syn_i);
    for (var i = 0u; i < 6u; i++) {
        if ((bitcast<u32>(values[i]) & 0x7f800000u) == 0x7f800000u) {
            return i + 1u;
        }
    }
    return 6u;
}

// Records the first faulting tick (see the file's head); returns whether the run stops.
fn record_fault() -> bool {
    let neuron = atomicLoad(&control.fault_neuron);
    if (control.fault_field != 0u || neuron == 0xffffffffu) {
        return false;
    }
    control.fault_field = first_nonfinite(state[neuron]);
    control.fault_tick = control.tick;
    control.fault_tick_hi = control.tick_hi;
    return control.fault_stops != 0u;
}

@compute @workgroup_size(1)
fn tick_end() {
    if (!tick_running()) {
        return;
    }
    let stop = record_fault();
    let count = atomicLoad(&control.spike_count);
    let events = atomicLoad(&control.tick_events);
    var lo = control.spikes_lo;
    var hi = control.spikes_hi;
    add64(&lo, &hi, count);
    control.spikes_lo = lo;
    control.spikes_hi = hi;
    lo = control.events_lo;
    hi = control.events_hi;
    add64(&lo, &hi, events);
    control.events_lo = lo;
    control.events_hi = hi;
    let interval = params.modulation_interval;
    if (interval > 0u) {
        if (control.modulation_phase + 1u == interval) {
            let n = params.n_pops + 1u;
            for (var i = 0u; i < n; i++) {
                let base = modulators[n + i];
                modulators[i] = base + (modulators[i] - base) * modulators[2u * n + i];
            }
        }
        control.modulation_phase = (control.modulation_phase + 1u) % interval;
    }
    control.record_head += count;
    var tick_lo = control.tick;
    var tick_hi = control.tick_hi;
    add64(&tick_lo, &tick_hi, 1u);
    control.tick = tick_lo;
    control.tick_hi = tick_hi;
    control.ring_slot = (control.ring_slot + 1u) % params.ring_slots;
    control.hist_slot = (control.hist_slot + 1u) % params.hist_len;
    atomicStore(&control.spike_count, 0u);
    atomicStore(&control.tick_events, 0u);
    if (stop) {
        control.halted = 1u;
    } else if (params.record_capacity - control.record_head < params.n_neurons) {
        control.halted = 1u;
        control.halts += 1u;
    }
}
