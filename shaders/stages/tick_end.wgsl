// Stage 4 of a tick: advance the record head and the tick, fold this tick's counts into the
// 64-bit totals, and halt the rest of the batch when the record ring might not hold another
// tick's spikes (worst case: every neuron). A halted batch leaves the state untouched; the
// host drains the ring and the next batch continues from the same tick, so no spike is lost.
// On the last tick of a reward-modulation interval the neuromodulator levels relax towards
// their baselines (after modulated_update has read them; cpu::relax_modulators).

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read_write> control: Control;
// Neuromodulator channels: levels, baselines, decays per update interval (n_pops + 1 each).
@group(0) @binding(2) var<storage, read_write> modulators: array<f32>;

fn add64(lo: ptr<function, u32>, hi: ptr<function, u32>, x: u32) {
    let sum = *lo + x;
    if (sum < *lo) {
        *hi += 1u;
    }
    *lo = sum;
}

@compute @workgroup_size(1)
fn tick_end() {
    if (control.halted != 0u || control.tick >= control.end_tick) {
        return;
    }
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
    if (interval > 0u && (control.tick + 1u) % interval == 0u) {
        let n = params.n_pops + 1u;
        for (var i = 0u; i < n; i++) {
            let base = modulators[n + i];
            modulators[i] = base + (modulators[i] - base) * modulators[2u * n + i];
        }
    }
    control.record_head += count;
    control.tick += 1u;
    atomicStore(&control.spike_count, 0u);
    atomicStore(&control.tick_events, 0u);
    if (params.record_capacity - control.record_head < params.n_neurons) {
        control.halted = 1u;
        control.halts += 1u;
    }
}
