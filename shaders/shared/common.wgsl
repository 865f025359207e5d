// Declarations shared by every stage; src/gpu/shaders.rs prepends this file (and philox.wgsl
// where a stage draws random numbers). The structs mirror src/layout.rs field for field;
// tests/shaders.rs checks the two layouts against each other.

// Workgroup size of modulated_update (prepare_propagate sizes its dispatch with it).
const MODULATED_WORKGROUP_SIZE: u32 = 256u;

struct SimParams {
    n_neurons: u32,
    n_pops: u32,
    ring_slots: u32,
    n_poisson: u32,
    poisson_threads: u32,
    seed_lo: u32,
    seed_hi: u32,
    record_capacity: u32,
    fixed_scale: f32,
    fixed_inv_scale: f32,
    row_threads: u32,
    max_groups_x: u32,
    n_current: u32,
    current_threads: u32,
    n_plastic: u32,
    hist_len: u32,
    stdp_lag: u32,
    trace_threads: u32,
    modulation_interval: u32,
    n_synapses: u32,
    n_procedural: u32,
    input_seed_lo: u32,
    input_seed_hi: u32,
    // Target k of an input draws with counter input_first + k input_stride (its index in the
    // whole population on a rank of a distributed run).
    input_first: u32,
    input_stride: u32,
    _pad2: u32,
    _pad3: u32,
}

// Ticks are 64-bit (tick, tick_hi); ring_slot, hist_slot and modulation_phase are the tick
// modulo the ring's slots, the history length and the modulation interval.
struct Control {
    tick: u32,
    tick_hi: u32,
    end_tick: u32,
    end_tick_hi: u32,
    halted: u32,
    spike_count: atomic<u32>,
    record_head: u32,
    tick_events: atomic<u32>,
    spikes_lo: u32,
    spikes_hi: u32,
    events_lo: u32,
    events_hi: u32,
    halts: u32,
    ring_slot: u32,
    hist_slot: u32,
    modulation_phase: u32,
    // Watchdog (src/sim/watchdog.rs): lowest faulting neuron of the first faulting tick, then
    // 1 + its first non-finite variable, the tick, and whether a fault stops the run.
    fault_neuron: atomic<u32>,
    fault_field: u32,
    fault_tick: u32,
    fault_tick_hi: u32,
    fault_stops: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

struct PopGpu {
    start: u32,
    size: u32,
    refractory_ticks: u32,
    model: u32,
    // Model constants; slot meanings are listed in each model_*.wgsl file.
    c: array<f32, 24>,
    // Ticks by which the population reads its input ring late (model::Conventions).
    input_lag: u32,
}

// Meaning of u, w1, w2 depends on the model (Izhikevich u; AdEx w; HH m, h, n; LIF alpha
// synapses: the second variable of the excitatory and inhibitory currents in w1, w2).
struct NeuronState {
    v: f32,
    u: f32,
    w1: f32,
    w2: f32,
    syn_e: f32,
    syn_i: f32,
    refractory: u32,
    aux: u32,
}

struct Synapse {
    post: u32,
    // delay (bits 0..13, ticks) | port (bit 13) | dendritic delay (bits 14..27) | plastic id (27..32)
    delay_port: u32,
}

fn synapse_delay(s: Synapse) -> u32 {
    return s.delay_port & 0x1fffu;
}

fn synapse_port(s: Synapse) -> u32 {
    return (s.delay_port >> 13u) & 1u;
}

fn synapse_dendritic(s: Synapse) -> u32 {
    return (s.delay_port >> 14u) & 0x1fffu;
}

fn synapse_plastic(s: Synapse) -> u32 {
    return s.delay_port >> 27u;
}

struct ProceduralGpu {
    pre_start: u32,
    pre_size: u32,
    post_start: u32,
    post_size: u32,
    port: u32,
    delay: u32,
    weight_fixed: i32,
    threshold: u32,
    all: u32,
    stream: u32,
    skip_self: u32,
    _pad: u32,
}

// Connectivity generation (src/generate.rs).
struct GenParams {
    n_gen: u32,
    chunk_threads: u32,
    row_threads: u32,
    stride: u32,
    seed_lo: u32,
    seed_hi: u32,
    fixed_scale: f32,
    delay_bits: u32,
    row_group_bits: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

struct GenDist {
    kind: u32,
    a: f32,
    b: f32,
    lo: f32,
    hi: f32,
}

struct GenProjection {
    pre_start: u32,
    pre_size: u32,
    post_start: u32,
    post_size: u32,
    port: u32,
    n_total: u32,
    skip_self: u32,
    stream: u32,
    count_stream: u32,
    inv_dt: f32,
    chunk_thread: u32,
    row_thread: u32,
    count_base: u32,
    row_base: u32,
    indegree_base: u32,
    _pad: u32,
    weight: GenDist,
    delay: GenDist,
    // Position of its first synapse in the compact arrays (lo, hi).
    first: vec2<u32>,
}

// One plastic synapse in the transpose (column) index.
struct ColEntry {
    synapse: u32,
    pre: u32,
    delay_port: u32,
}

struct CompactProjection {
    pre_start: u32,
    post_start: u32,
    port: u32,
    row_base: u32,
    // Position of its first synapse in the compact arrays (lo, hi); row pointers are
    // relative to it.
    first: vec2<u32>,
}

struct PlasticGpu {
    pre_start: u32,
    pre_size: u32,
    post_start: u32,
    post_size: u32,
    pre_trace: u32,
    post_trace: u32,
    thread_start: u32,
    flags: u32,
    decay_plus: f32,
    decay_minus: f32,
    decay_x: f32,
    decay_y: f32,
    a2_plus: f32,
    a3_plus: f32,
    a2_minus: f32,
    a3_minus: f32,
    w_min: f32,
    w_max: f32,
    inv_span: f32,
    mu: f32,
    channel: u32,
    decay_eligibility: f32,
    interval_s: f32,
}

struct PoissonGpu {
    target_start: u32,
    target_count: u32,
    thread_start: u32,
    port: u32,
    weight_fixed: i32,
    seg_offset: u32,
    seg_count: u32,
    stream: u32,
}

struct PoissonSegment {
    start_tick: u32,
    cdf_offset: u32,
    cdf_len: u32,
    _pad: u32,
}

struct CurrentGpu {
    target_start: u32,
    target_count: u32,
    thread_start: u32,
    kind: u32,
    a0: f32,
    a1: f32,
    step_offset: u32,
    step_count: u32,
    stream: u32,
    phase_step: u32,
    phase0: u32,
    local_offset: u32,
}

struct CurrentStep {
    tick: u32,
    amplitude: f32,
}

// The tick is the low word of the spike's tick (the host adds the high word).
struct SpikeRecord {
    tick: u32,
    neuron: u32,
}

// Input ring layout: [port][slot][neuron], ports 0 = excitatory, 1 = inhibitory.
fn ring_index(port: u32, slot: u32, neuron: u32, slots: u32, n: u32) -> u32 {
    return (port * slots + slot) * n + neuron;
}

// Refractory counter after one tick (saturating at zero).
fn refractory_after_tick(r: u32) -> u32 {
    return select(0u, r - 1u, r > 0u);
}

// A threshold crossing resets v and starts the refractory period; otherwise v is accepted.
fn fire_or_accept(s: ptr<function, NeuronState>, v: f32, threshold: f32, reset: f32, refractory_ticks: u32) -> bool {
    if (v > threshold) {
        (*s).v = reset;
        (*s).refractory = refractory_ticks;
        return true;
    }
    (*s).v = v;
    return false;
}

// Adaptive threshold (Diehl & Cook 2015): decays every tick, rises by `raise` at a spike.
fn adapt_threshold(theta: f32, decay: f32, raise: f32, spiked: bool) -> f32 {
    let decayed = theta * decay;
    return select(decayed, decayed + raise, spiked);
}
