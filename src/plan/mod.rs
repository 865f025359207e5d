//! The plan: a [`Network`] turned into flat, backend-neutral arrays. Both backends run from
//! exactly these arrays, so the CPU reference and the GPU see the same synapses, the same
//! initial state and the same fixed-point scale.
//!
//! Synapses of all projections are merged into one CSR indexed by the global pre-synaptic
//! neuron: the row of neuron `g` holds the synapses of every projection leaving `g`'s
//! population, projection by projection in creation order, targets ascending within each.
//! Each row (or column, for fixed in-degree) is generated from its own Philox stream, so the
//! result does not depend on how many threads build it.

pub mod compact;
pub mod fixed_total;
pub mod layout;
pub mod sizes;

use std::collections::HashSet;

use crate::error::{Error, Result, invalid};
use crate::model::{
    Connectivity, CurrentSource, Network, NeuronModel, NeuronParam, PerNeuron, Projection, StateVar,
    WeightDist,
};
use crate::plan::fixed_total::{GenDist, GenProjection};
use crate::plan::layout::{
    CurrentGpu, CurrentStep, NeuronState, PlasticGpu, PoissonGpu, PoissonSegment, PopGpu, ProceduralGpu,
    Synapse,
};
use crate::rng::{PhiloxStream, seed_key, stream};

/// Number of synaptic input ports per neuron in the delay ring (excitatory, inhibitory).
/// Injected currents use a separate one-slot accumulator.
pub const PORTS: u32 = 2;

/// Largest fixed-point scale: 2^20 units per unit of weight (resolution ~1e-6).
pub const MAX_FIXED_SCALE_LOG2: i32 = 20;

/// Largest |z| of the noise current's standardised Irwin-Hall(8) draw: 4 * sqrt(12/8).
pub const NOISE_Z_MAX: f64 = 4.899;

/// Converts a weight to fixed point exactly as the shaders do: multiply by the power-of-two
/// scale (exact in f32), round half to even, convert.
#[inline]
pub fn to_fixed(weight: f32, scale: f32) -> i32 {
    (weight * scale).round_ties_even() as i32
}

/// Per-projection summary.
#[derive(Clone, Debug)]
pub struct ProjectionPlan {
    /// Number of synapses generated.
    pub synapses: u64,
    /// Pre- and post-synaptic population indices.
    pub pre: usize,
    /// Post-synaptic population index.
    pub post: usize,
    /// Target port.
    pub port: u32,
    /// Row pointers of this projection alone (pre-population local, `size + 1` entries): its
    /// segment of merged row `i` has `local_row_ptr[i + 1] - local_row_ptr[i]` synapses.
    pub local_row_ptr: Vec<u32>,
    /// The projections leaving the same population before this one (their segments come
    /// first in each merged row).
    pub earlier_siblings: Vec<usize>,
    /// Whether the projection is reward-modulated (its changes go to eligibility traces).
    pub modulated: bool,
    /// Whether the projection is procedural (no stored synapses).
    pub procedural: bool,
    /// Whether the GPU generates this projection's synapses (none on the host).
    pub device: bool,
}

/// A population's place in the global neuron array and its constants.
#[derive(Clone, Debug)]
pub struct PopulationPlan {
    /// Name.
    pub name: String,
    /// Whether spikes are kept on the host.
    pub record: bool,
    /// Constants and range, as uploaded.
    pub gpu: PopGpu,
}

/// Flat arrays and sizes for both backends.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Time step (ms).
    pub dt_ms: f64,
    /// Philox key derived from the seed.
    pub key: [u32; 2],
    /// Total neurons.
    pub n_neurons: u32,
    /// Populations in order.
    pub populations: Vec<PopulationPlan>,
    /// Initial state of every neuron.
    pub initial_state: Vec<NeuronState>,
    /// Per-neuron parameters (Izhikevich a, b, c, d; spike sources: table offset and count
    /// as u32 bits).
    pub neuron_params: Vec<[f32; 4]>,
    /// Spike ticks of all spike-source neurons, neuron after neuron.
    pub source_ticks: Vec<u32>,
    /// CSR row pointers, `n_neurons + 1` entries.
    pub row_ptr: Vec<u32>,
    /// Synapses (target, delay, port), row by row.
    pub synapses: Vec<Synapse>,
    /// Weights, parallel to `synapses`.
    pub weights: Vec<f32>,
    /// Per-projection summaries.
    pub projections: Vec<ProjectionPlan>,
    /// Slots of the input ring: largest delay in ticks + 1.
    pub ring_slots: u32,
    /// Fixed-point units per unit of weight (a power of two).
    pub fixed_scale: f32,
    /// Poisson inputs.
    pub poisson: Vec<PoissonGpu>,
    /// Poisson rate segments.
    pub poisson_segments: Vec<PoissonSegment>,
    /// Concatenated Poisson CDF tables (thresholds on a uniform u32).
    pub poisson_cdf: Vec<u32>,
    /// Current sources.
    pub currents: Vec<CurrentGpu>,
    /// Steps of step currents.
    pub current_steps: Vec<CurrentStep>,
    /// Plastic projections, in order of their 1-based ids.
    pub plastic: Vec<PlasticGpu>,
    /// Transpose index of the plastic synapses: column pointers per global post neuron.
    pub col_ptr: Vec<u32>,
    /// Transpose entries: (synapse index, global pre neuron, the synapse's delay word), by
    /// post neuron then synapse.
    pub col_entries: Vec<[u32; 3]>,
    /// Length of the spike and trace histories (ticks).
    pub hist_len: u32,
    /// Plasticity lag (ticks): the largest delay.
    pub stdp_lag: u32,
    /// Total f32 entries of the trace histories.
    pub trace_len: u32,
    /// Ticks between reward-modulated weight updates (0: none is modulated).
    pub modulation_interval: u32,
    /// Procedural projections (no stored synapses; rows regenerated per spike).
    pub procedural: Vec<ProceduralGpu>,
    /// Projections whose synapses the GPU generates (see [`Plan::for_device_generation`]).
    pub device_projections: Vec<GenProjection>,
    /// Weight of every Poisson input (before fixed point).
    pub poisson_weights: Vec<f32>,
    /// Weight of every procedural projection (before fixed point).
    pub procedural_weights: Vec<f32>,
    /// Neuromodulator channels (0 global, 1 + p population p) as the GPU holds them:
    /// initial levels, then baselines, then decays per update interval, `n_pops + 1` each.
    pub modulators: Vec<f32>,
    /// Bounds of the Poisson and current contributions per (port, target), for re-checking
    /// the fixed-point guarantee when weights change.
    input_extra: (Vec<f64>, Vec<f64>),
}

/// Local targets of row `row` (pre-synaptic index within its population) of a procedural
/// projection: candidate `j` is taken when word `j` of the row's Philox stream is below the
/// threshold. Mirrors `propagate_procedural.wgsl` (and cpu::propagate).
pub fn procedural_row(key: [u32; 2], p: &ProceduralGpu, row: u32, mut f: impl FnMut(u32)) {
    let mut rng = PhiloxStream::new(key, p.stream, row);
    for j in 0..p.post_size {
        let word = rng.next_u32();
        if (p.all == 1 || word < p.threshold) && !(p.skip_self == 1 && j == row) {
            f(j);
        }
    }
}

/// The description of a projection the GPU generates, if it qualifies.
fn device_projection(
    net: &Network,
    k: usize,
    proj: &Projection,
    pops: &[PopulationPlan],
) -> Option<GenProjection> {
    let Connectivity::FixedTotal { n, autapses } = proj.connectivity else {
        return None;
    };
    if proj.plasticity.is_some() || proj.procedural {
        return None;
    }
    let (pre, post) = (pops[proj.pre.index].gpu, pops[proj.post.index].gpu);
    Some(GenProjection {
        pre_start: pre.start,
        pre_size: pre.size,
        post_start: post.start,
        post_size: post.size,
        port: proj.receptor.port(),
        n_total: n as u32,
        skip_self: u32::from(proj.pre.index == proj.post.index && !autapses),
        stream: stream::CONNECT + k as u32,
        count_stream: stream::CONNECT_COLUMN + k as u32,
        inv_dt: (1.0 / net.dt_ms) as f32,
        weight: GenDist::of(&proj.weight)?,
        delay: GenDist::of(&proj.delay_ms)?,
        ..GenProjection::default()
    })
}

/// Index of a neuromodulator channel in the plan's channel arrays.
pub fn channel_index(channel: crate::model::plasticity::ModulatorChannel) -> u32 {
    match channel {
        crate::model::plasticity::ModulatorChannel::Global => 0,
        crate::model::plasticity::ModulatorChannel::Population(p) => 1 + p.index() as u32,
    }
}

/// The channel arrays: levels (starting at the baselines), baselines, and decays over one
/// update interval of `interval` ticks.
fn modulators(net: &Network, interval: u32) -> Vec<f32> {
    let n = net.populations.len() + 1;
    let mut baseline = vec![0.0f32; n];
    let mut decay = vec![1.0f32; n];
    for (channel, m) in &net.neuromodulators {
        let i = channel_index(*channel) as usize;
        baseline[i] = m.baseline as f32;
        decay[i] = (-f64::from(interval) * net.dt_ms / m.tau_ms).exp() as f32;
    }
    [baseline.clone(), baseline, decay].concat()
}

impl Plan {
    /// Builds the plan for `net`, generating connectivity on all available cores.
    pub fn new(net: &Network) -> Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_threads(net, threads)
    }

    /// Builds the plan with connectivity generated on `threads` threads; the result is the
    /// same for every thread count.
    pub fn with_threads(net: &Network, threads: usize) -> Result<Self> {
        Self::build(net, threads, false)
    }

    /// Builds the plan leaving the synapses of every projection the GPU can generate (static
    /// `FixedTotal` with constant, uniform or normal weights and delays) to the GPU: the host
    /// keeps only their descriptions ([`Plan::device_projections`]), so host memory and upload
    /// do not grow with their synapses. The GPU generates exactly what [`Plan::new`] would.
    pub fn for_device_generation(net: &Network) -> Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::build(net, threads, true)
    }

    fn build(net: &Network, threads: usize, device_generation: bool) -> Result<Self> {
        let key = seed_key(net.seed);
        let dt = net.dt_ms;
        let threads = threads.max(1);

        let mut populations = Vec::with_capacity(net.populations.len());
        let n_total = net.neuron_count() as usize;
        let mut initial_state = Vec::with_capacity(n_total);
        let mut neuron_params = Vec::with_capacity(n_total);
        let mut source_ticks = Vec::new();
        let mut start = 0u32;
        for (pi, pop) in net.populations.iter().enumerate() {
            let gpu = PopGpu {
                start,
                size: pop.size,
                refractory_ticks: (pop.model.refractory_ms() / dt).round() as u32,
                model: pop.model.id(),
                c: pop.model.constants(dt),
            };
            let init_of = |var: StateVar| pop.initial.iter().find(|(v, _)| *v == var).map(|(_, x)| *x);
            let v_init = init_of(StateVar::V).expect("V always has an initial value");
            for i in 0..pop.size {
                let v = v_init.sample(&mut PhiloxStream::new(key, stream::INIT + pi as u32, i));
                let other = |var: StateVar, k: u32| {
                    init_of(var).map(|x| {
                        x.sample(&mut PhiloxStream::new(
                            key,
                            stream::INIT_VAR + 16 * pi as u32 + k,
                            i,
                        ))
                    })
                };
                let mut s = NeuronState {
                    v: v as f32,
                    syn_e: other(StateVar::SynExc, 2).unwrap_or(0.0) as f32,
                    syn_i: other(StateVar::SynInh, 3).unwrap_or(0.0) as f32,
                    ..NeuronState::default()
                };
                let mut params = [0.0f32; 4];
                match &pop.model {
                    NeuronModel::Izhikevich(p) => {
                        let abcd = pop
                            .izhikevich_per_neuron
                            .as_ref()
                            .map_or([p.a, p.b, p.c_mv, p.d], |rows| rows[i as usize]);
                        params = abcd.map(|x| x as f32);
                        s.u = other(StateVar::U, 1).map_or(abcd[1] * v, |u| u) as f32;
                    }
                    NeuronModel::PoissonSource { rate_hz } => {
                        // Fires when one Philox word is below rate x dt x 2^32.
                        let threshold = (rate_hz * dt * 1e-3 * 4_294_967_296.0)
                            .floor()
                            .min(f64::from(u32::MAX)) as u32;
                        params = [
                            f32::from_bits(threshold),
                            f32::from_bits(stream::POISSON_SOURCE + pi as u32),
                            f32::from_bits(start + i),
                            0.0,
                        ];
                    }
                    NeuronModel::SpikeSource { spike_times_ms } => {
                        let times = &spike_times_ms[i as usize];
                        params[0] = f32::from_bits(source_ticks.len() as u32);
                        params[1] = f32::from_bits(times.len() as u32);
                        source_ticks.extend(times.iter().map(|t| (t / dt).round() as u32));
                    }
                    model => {
                        s.u = other(StateVar::U, 1).unwrap_or(0.0) as f32;
                        let mut q = [model.threshold_mv().unwrap_or(0.0), 0.0];
                        for (param, values) in &pop.per_neuron {
                            let k = match param {
                                NeuronParam::Threshold => 0,
                                NeuronParam::Bias => 1,
                            };
                            q[k] = match values {
                                PerNeuron::Values(v) => v[i as usize],
                                PerNeuron::Drawn(d) => d.sample(&mut PhiloxStream::new(
                                    key,
                                    stream::INIT_VAR + 16 * pi as u32 + 8 + k as u32,
                                    i,
                                )),
                            };
                        }
                        if let Some(reset) = model.reset_mv().filter(|&r| q[0] <= r) {
                            return Err(invalid(
                                format!("population '{}'.per_neuron Threshold of neuron {i}", pop.name),
                                q[0],
                                &format!(
                                    "must be above the reset potential {reset} (a drawn threshold fell below it)"
                                ),
                            ));
                        }
                        params = [q[0] as f32, q[1] as f32, 0.0, 0.0];
                    }
                }
                initial_state.push(s);
                neuron_params.push(params);
            }
            populations.push(PopulationPlan {
                name: pop.name.clone(),
                record: pop.record_spikes,
                gpu,
            });
            start += pop.size;
        }
        let n_neurons = start;

        // Connectivity, one local CSR per projection, then merged by pre-synaptic neuron.
        let mut local = Vec::with_capacity(net.projections.len());
        let mut device_projections = Vec::new();
        for (k, proj) in net.projections.iter().enumerate() {
            if device_generation && let Some(d) = device_projection(net, k, proj, &populations) {
                local.push(LocalCsr {
                    row_ptr: vec![0; d.pre_size as usize + 1],
                    targets: Vec::new(),
                    weights: Vec::new(),
                });
                device_projections.push((k, d));
                continue;
            }
            local.push(generate_projection(net, k, proj, key, &populations, threads)?);
        }
        let total: u64 = local.iter().map(|l| l.targets.len() as u64).sum();
        if total > u64::from(u32::MAX) {
            return Err(Error::LimitExceeded {
                what: "synapse count (32-bit row pointers)".into(),
                requested: total,
                max: u64::from(u32::MAX),
            });
        }
        let mut row_ptr = Vec::with_capacity(n_neurons as usize + 1);
        let mut synapses = Vec::with_capacity(total as usize);
        let mut weights = Vec::with_capacity(total as usize);
        row_ptr.push(0u32);
        for (pi, pop) in populations.iter().enumerate() {
            let outgoing: Vec<usize> = net
                .projections
                .iter()
                .enumerate()
                .filter(|(_, p)| p.pre.index == pi)
                .map(|(k, _)| k)
                .collect();
            for i in 0..pop.gpu.size as usize {
                for &k in &outgoing {
                    let l = &local[k];
                    let (a, b) = (l.row_ptr[i] as usize, l.row_ptr[i + 1] as usize);
                    synapses.extend_from_slice(&l.targets[a..b]);
                    weights.extend_from_slice(&l.weights[a..b]);
                }
                row_ptr.push(synapses.len() as u32);
            }
        }
        let projections: Vec<ProjectionPlan> = net
            .projections
            .iter()
            .enumerate()
            .zip(&mut local)
            .map(|((k, p), l)| ProjectionPlan {
                synapses: l.targets.len() as u64,
                pre: p.pre.index,
                post: p.post.index,
                port: p.receptor.port(),
                local_row_ptr: std::mem::take(&mut l.row_ptr),
                earlier_siblings: (0..k)
                    .filter(|&j| net.projections[j].pre.index == p.pre.index)
                    .collect(),
                modulated: p.plasticity.as_ref().is_some_and(|r| r.modulation.is_some()),
                procedural: p.procedural,
                device: device_projections.iter().any(|(d, _)| *d == k),
            })
            .collect();
        drop(local);

        let mut procedural = Vec::new();
        for (k, p) in net.projections.iter().enumerate().filter(|(_, p)| p.procedural) {
            let (
                Connectivity::FixedProbability { p: prob, autapses },
                crate::model::WeightDist::Constant(_),
                crate::model::WeightDist::Constant(d),
            ) = (&p.connectivity, p.weight, p.delay_ms)
            else {
                unreachable!("validated by NetworkBuilder::procedural")
            };
            let (pre, post) = (populations[p.pre.index].gpu, populations[p.post.index].gpu);
            procedural.push(ProceduralGpu {
                pre_start: pre.start,
                pre_size: pre.size,
                post_start: post.start,
                post_size: post.size,
                port: p.receptor.port(),
                delay: ((d / dt).round() as u32).max(1),
                weight_fixed: 0,
                threshold: (prob * 4_294_967_296.0).floor().min(f64::from(u32::MAX)) as u32,
                all: u32::from(*prob >= 1.0),
                stream: stream::PROCEDURAL + k as u32,
                skip_self: u32::from(p.pre.index == p.post.index && !autapses),
                _pad: 0,
            });
        }
        let max_delay = synapses
            .iter()
            .map(|s| s.delay())
            .chain(procedural.iter().map(|p| p.delay))
            .chain(
                device_projections
                    .iter()
                    .map(|(_, d)| crate::plan::fixed_total::delay_ticks(d.delay.max() as f32, d.inv_dt)),
            )
            .max()
            .unwrap_or(1);
        let ring_slots = max_delay + 1;
        let ring_entries = u64::from(PORTS) * u64::from(ring_slots) * u64::from(n_neurons);
        if ring_entries > u64::from(u32::MAX) {
            return Err(Error::LimitExceeded {
                what: "input ring entries (ports x delay slots x neurons)".into(),
                requested: ring_entries,
                max: u64::from(u32::MAX),
            });
        }

        // Poisson inputs: exact CDF tables on a 32-bit uniform, one per rate segment.
        let mut poisson = Vec::new();
        let mut poisson_segments = Vec::new();
        let mut poisson_cdf = Vec::new();
        let mut thread_start = 0u32;
        let mut poisson_kmax = Vec::new();
        for (i, input) in net.poisson_inputs.iter().enumerate() {
            let target = &populations[input.target.index].gpu;
            let seg_offset = poisson_segments.len() as u32;
            let mut kmax = 0u32;
            for &(t, rate) in &input.schedule {
                let lambda = rate * dt * 1e-3;
                if lambda > 100.0 {
                    return Err(invalid(
                        format!("poisson input {i}.rate_hz"),
                        rate,
                        &format!(
                            "must be <= {} Hz at dt = {dt} ms (at most 100 expected spikes per tick); split it into several inputs",
                            100.0 / (dt * 1e-3)
                        ),
                    ));
                }
                let table = poisson_cdf_table(lambda);
                kmax = kmax.max(table.len() as u32);
                poisson_segments.push(PoissonSegment {
                    start_tick: (t / dt).round() as u32,
                    cdf_offset: poisson_cdf.len() as u32,
                    cdf_len: table.len() as u32,
                    _pad: 0,
                });
                poisson_cdf.extend_from_slice(&table);
            }
            poisson.push(PoissonGpu {
                target_start: target.start,
                target_count: target.size,
                thread_start,
                port: input.receptor.port(),
                weight_fixed: 0, // set once the scale is known
                seg_offset,
                seg_count: input.schedule.len() as u32,
                stream: stream::POISSON + i as u32,
            });
            poisson_kmax.push(kmax);
            thread_start += target.size;
        }

        // Current sources.
        let mut currents = Vec::new();
        let mut current_steps = Vec::new();
        let mut current_bound = vec![0.0f64; n_neurons as usize];
        let mut thread_start = 0u32;
        for (i, input) in net.current_inputs.iter().enumerate() {
            let target = &populations[input.target.index].gpu;
            let mut c = CurrentGpu {
                target_start: target.start,
                target_count: target.size,
                thread_start,
                stream: stream::CURRENT + i as u32,
                ..CurrentGpu::default()
            };
            let bound = match &input.source {
                CurrentSource::Dc { amplitude } => {
                    c.kind = 0;
                    c.a0 = *amplitude as f32;
                    amplitude.abs()
                }
                CurrentSource::Step { times_ms, amplitudes } => {
                    c.kind = 1;
                    c.step_offset = current_steps.len() as u32;
                    c.step_count = times_ms.len() as u32;
                    for (t, a) in times_ms.iter().zip(amplitudes) {
                        current_steps.push(CurrentStep {
                            tick: (t / dt).round() as u32,
                            amplitude: *a as f32,
                        });
                    }
                    amplitudes.iter().fold(0.0f64, |m, a| m.max(a.abs()))
                }
                CurrentSource::Noise { mean, std } => {
                    c.kind = 2;
                    c.a0 = *mean as f32;
                    c.a1 = *std as f32;
                    mean.abs() + NOISE_Z_MAX * std
                }
            };
            for t in target.start..target.start + target.size {
                current_bound[t as usize] += bound;
            }
            thread_start += target.size;
            currents.push(c);
        }

        // Plasticity: traces and histories long enough that every event of tick t - lag finds
        // the traces it needs (up to lag + largest delay + 1 ticks back).
        let stdp_lag = max_delay;
        let hist_len = 2 * max_delay + 2;
        let mut plastic = Vec::new();
        let mut trace_len = 0u32;
        let mut trace_threads = 0u32;
        let mut modulation_interval = 0u32;
        for proj in &net.projections {
            let Some(rule) = &proj.plasticity else { continue };
            let (pre, post) = (
                &populations[proj.pre.index].gpu,
                &populations[proj.post.index].gpu,
            );
            let span = rule.w_max - rule.w_min;
            let decay = |tau: f64| (-dt / tau).exp() as f32;
            let (dependence, mu) = match rule.dependence {
                crate::model::plasticity::WeightDependence::Additive => (0, 0.0),
                crate::model::plasticity::WeightDependence::Multiplicative => (1, 1.0),
                crate::model::plasticity::WeightDependence::PowerLaw { mu } => (2, mu),
            };
            plastic.push(PlasticGpu {
                pre_start: pre.start,
                pre_size: pre.size,
                post_start: post.start,
                post_size: post.size,
                pre_trace: trace_len,
                post_trace: trace_len + 2 * hist_len * pre.size,
                thread_start: trace_threads,
                flags: u32::from(rule.pairing == crate::model::plasticity::Pairing::Nearest)
                    | (dependence << 1),
                decay_plus: decay(rule.tau_plus_ms),
                decay_minus: decay(rule.tau_minus_ms),
                decay_x: decay(rule.tau_x_ms),
                decay_y: decay(rule.tau_y_ms),
                a2_plus: (rule.a2_plus * span) as f32,
                a3_plus: (rule.a3_plus * span) as f32,
                a2_minus: (rule.a2_minus * span) as f32,
                a3_minus: (rule.a3_minus * span) as f32,
                w_min: rule.w_min as f32,
                w_max: rule.w_max as f32,
                inv_span: (1.0 / span) as f32,
                mu: mu as f32,
                channel: 0,
                decay_eligibility: 1.0,
                interval_s: 0.0,
            });
            if let Some(m) = &rule.modulation {
                let last = plastic.len() - 1;
                let p = &mut plastic[last];
                let ticks = (m.update_interval_ms / dt).round();
                p.flags |= 8;
                p.channel = channel_index(m.channel);
                p.decay_eligibility = (-ticks * dt / m.tau_eligibility_ms).exp() as f32;
                p.interval_s = (ticks * dt * 1e-3) as f32;
                modulation_interval = ticks as u32;
            }
            trace_len += 2 * hist_len * (pre.size + post.size);
            trace_threads += pre.size + post.size;
        }
        let mut col_ptr = vec![0u32; n_neurons as usize + 1];
        let mut col_entries = Vec::new();
        if !plastic.is_empty() {
            for s in synapses.iter().filter(|s| s.plastic() > 0) {
                col_ptr[s.post as usize + 1] += 1;
            }
            for i in 0..n_neurons as usize {
                col_ptr[i + 1] += col_ptr[i];
            }
            let mut fill = col_ptr.clone();
            col_entries = vec![[0u32; 3]; col_ptr[n_neurons as usize] as usize];
            for pre in 0..n_neurons {
                for idx in row_ptr[pre as usize]..row_ptr[pre as usize + 1] {
                    let s = synapses[idx as usize];
                    if s.plastic() > 0 {
                        col_entries[fill[s.post as usize] as usize] = [idx, pre, s.delay_port];
                        fill[s.post as usize] += 1;
                    }
                }
            }
        }
        let mut input_extra = input_extras(n_neurons as usize, net, &poisson, &poisson_kmax, &current_bound);
        // A procedural row may reach a target from every pre-synaptic neuron.
        for (p, proj) in procedural
            .iter()
            .zip(net.projections.iter().filter(|p| p.procedural))
        {
            let sources = f64::from(p.pre_size - p.skip_self);
            for t in p.post_start..p.post_start + p.post_size {
                let idx = p.port as usize * n_neurons as usize + t as usize;
                input_extra.0[idx] += sources * proj.weight.range().1.abs().max(proj.weight.range().0.abs());
                input_extra.1[idx] += sources;
            }
        }
        let fixed_scale = choose_fixed_scale(&input_bounds(
            n_neurons as usize,
            &synapses,
            &weights,
            &plastic,
            &input_extra,
        ))?;
        for (p, input) in poisson.iter_mut().zip(&net.poisson_inputs) {
            p.weight_fixed = to_fixed(input.weight as f32, fixed_scale);
        }
        for (p, proj) in procedural
            .iter_mut()
            .zip(net.projections.iter().filter(|p| p.procedural))
        {
            p.weight_fixed = to_fixed(proj.weight.range().0 as f32, fixed_scale);
        }

        Ok(Plan {
            dt_ms: dt,
            key,
            n_neurons,
            populations,
            initial_state,
            neuron_params,
            source_ticks,
            row_ptr,
            synapses,
            weights,
            projections,
            ring_slots,
            fixed_scale,
            poisson,
            poisson_segments,
            poisson_cdf,
            currents,
            current_steps,
            plastic,
            col_ptr,
            col_entries,
            hist_len,
            stdp_lag,
            trace_len,
            modulation_interval,
            modulators: modulators(net, modulation_interval),
            procedural,
            device_projections: device_projections.into_iter().map(|(_, d)| d).collect(),
            poisson_weights: net.poisson_inputs.iter().map(|p| p.weight as f32).collect(),
            procedural_weights: net
                .projections
                .iter()
                .filter(|p| p.procedural)
                .map(|p| p.weight.range().0 as f32)
                .collect(),
            input_extra,
        })
    }

    /// Checks that `weights` (all synapses) keep every input accumulator within i32 at the
    /// fixed-point scale chosen when the network was planned.
    pub fn check_fixed_point(&self, weights: &[f32]) -> Result<()> {
        let bounds = input_bounds(
            self.n_neurons as usize,
            &self.synapses,
            weights,
            &self.plastic,
            &self.input_extra,
        );
        if fits(&bounds, f64::from(self.fixed_scale)) {
            return Ok(());
        }
        let worst = bounds.0.iter().cloned().fold(0.0, f64::max);
        Err(Error::LimitExceeded {
            what: format!(
                "summed |weight| onto one neuron and port at the fixed-point scale {} chosen when the network was built",
                self.fixed_scale
            ),
            requested: worst.ceil() as u64,
            max: (f64::from(i32::MAX) / f64::from(self.fixed_scale)) as u64,
        })
    }

    /// Total synapses.
    pub fn synapse_count(&self) -> u64 {
        self.synapses.len() as u64
    }

    /// The fixed-point scale once synapses generated elsewhere (on the GPU) are added to the
    /// bound: `extra_abs[port * n + target]` their summed `|w|`, `extra_terms` their count.
    pub fn fixed_scale_with(&self, extra_abs: &[f64], extra_terms: &[f64]) -> Result<f32> {
        let n = self.n_neurons as usize;
        let (mut sum_abs, mut terms) =
            input_bounds(n, &self.synapses, &self.weights, &self.plastic, &self.input_extra);
        for (i, (a, t)) in extra_abs.iter().zip(extra_terms).enumerate() {
            sum_abs[i] += a;
            terms[i] += t;
        }
        choose_fixed_scale(&(sum_abs, terms))
    }

    /// Poisson inputs and procedural projections with their weights at fixed-point `scale`.
    pub fn rescaled_inputs(&self, scale: f32) -> (Vec<PoissonGpu>, Vec<ProceduralGpu>) {
        let mut poisson = self.poisson.clone();
        for (p, &w) in poisson.iter_mut().zip(&self.poisson_weights) {
            p.weight_fixed = to_fixed(w, scale);
        }
        let mut procedural = self.procedural.clone();
        for (p, &w) in procedural.iter_mut().zip(&self.procedural_weights) {
            p.weight_fixed = to_fixed(w, scale);
        }
        (poisson, procedural)
    }

    /// Bytes of GPU memory per synapse: target and packed delay/port (8), weight (4) and the
    /// row pointers spread over the synapses.
    pub fn bytes_per_synapse(&self) -> f64 {
        if self.synapses.is_empty() {
            return 0.0;
        }
        let bytes = self.synapses.len() * 12 + self.row_ptr.len() * 4;
        bytes as f64 / self.synapses.len() as f64
    }

    /// Device bytes per plastic synapse, if any: the synapse's own 12 bytes plus its transpose
    /// entry (12) and the column pointers, trace histories, spike history and (with reward
    /// modulation) eligibility traces, kept for every synapse, spread over the plastic ones.
    pub fn bytes_per_plastic_synapse(&self) -> Option<f64> {
        let plastic = self.col_entries.len();
        if plastic == 0 {
            return None;
        }
        let shared = self.col_ptr.len() * 4
            + self.trace_len as usize * 4
            + (self.hist_len as usize) * (self.n_neurons as usize + 1) * 4
            + self.n_neurons as usize * 4
            + if self.modulation_interval > 0 {
                self.synapses.len() * 4
            } else {
                0
            };
        Some(12.0 + 12.0 + shared as f64 / plastic as f64)
    }

    /// Population index of a global neuron.
    pub fn population_of(&self, neuron: u32) -> usize {
        self.populations
            .partition_point(|p| p.gpu.start + p.gpu.size <= neuron)
    }

    /// Threads of the Poisson input stage.
    pub fn poisson_threads(&self) -> u32 {
        self.poisson.iter().map(|p| p.target_count).sum()
    }

    /// Threads of the STDP trace stage.
    pub fn trace_threads(&self) -> u32 {
        self.plastic.iter().map(|p| p.pre_size + p.post_size).sum()
    }

    /// Threads of the current input stage.
    pub fn current_threads(&self) -> u32 {
        self.currents.iter().map(|p| p.target_count).sum()
    }

    /// Indices in the merged arrays of projection `k`'s synapses, row by row (pre-synaptic
    /// neuron ascending, then target ascending): the order of `Simulator::weights`.
    pub fn projection_synapses(&self, k: usize) -> Vec<u32> {
        let p = &self.projections[k];
        let start = self.populations[p.pre].gpu.start as usize;
        let mut out = Vec::with_capacity(p.synapses as usize);
        for i in 0..p.local_row_ptr.len() - 1 {
            let before: u32 = p
                .earlier_siblings
                .iter()
                .map(|&j| self.projections[j].local_row_ptr[i + 1] - self.projections[j].local_row_ptr[i])
                .sum();
            let at = self.row_ptr[start + i] + before;
            out.extend(at..at + (p.local_row_ptr[i + 1] - p.local_row_ptr[i]));
        }
        out
    }

    /// Index range of the synapses of global neuron `pre` in the merged CSR.
    pub fn row(&self, pre: u32) -> std::ops::Range<usize> {
        self.row_ptr[pre as usize] as usize..self.row_ptr[pre as usize + 1] as usize
    }
}

/// Thresholds `t_k = floor(P(K <= k) * 2^32)` of a Poisson(lambda) count, up to the first `k`
/// whose tail is below 2^-32. A draw `r` (uniform u32) gives `K = #{k : r >= t_k}`, an integer
/// comparison that is identical on every backend.
pub fn poisson_cdf_table(lambda: f64) -> Vec<u32> {
    if lambda <= 0.0 {
        return Vec::new();
    }
    let two32 = 4_294_967_296.0f64;
    let mut table = Vec::new();
    let mut pmf = (-lambda).exp();
    let mut cdf = pmf;
    let mut k = 0u32;
    loop {
        let t = (cdf * two32).floor();
        if t >= two32 - 1.0 || k > 1000 {
            break;
        }
        table.push(t as u32);
        k += 1;
        pmf *= lambda / f64::from(k);
        cdf += pmf;
    }
    table
}

struct LocalCsr {
    row_ptr: Vec<u32>,
    targets: Vec<Synapse>,
    weights: Vec<f32>,
}

/// Uniform integer in `0..n` (multiply-shift; bias below n / 2^32).
fn below(rng: &mut PhiloxStream, n: u32) -> u32 {
    crate::plan::fixed_total::below(rng.next_u32(), n)
}

/// `k` distinct values from `0..n`, skipping `exclude`, ascending (Floyd's algorithm).
fn distinct(rng: &mut PhiloxStream, n: u32, k: u32, exclude: Option<u32>) -> Vec<u32> {
    let m = n - u32::from(exclude.is_some());
    let mut chosen = HashSet::with_capacity(k as usize);
    for j in m - k..m {
        let t = below(rng, j + 1);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    let mut out: Vec<u32> = chosen
        .into_iter()
        .map(|c| match exclude {
            Some(x) if c >= x => c + 1,
            _ => c,
        })
        .collect();
    out.sort_unstable();
    out
}

/// Calls `f` for each index in `0..n` selected independently with probability `p`, in
/// ascending order, by geometric skipping (work proportional to the selected count).
fn for_each_bernoulli(rng: &mut PhiloxStream, n: u32, p: f64, mut f: impl FnMut(&mut PhiloxStream, u32)) {
    if p <= 0.0 || n == 0 {
        return;
    }
    if p >= 1.0 {
        for j in 0..n {
            f(rng, j);
        }
        return;
    }
    let log_q = (-p).ln_1p();
    let mut j: i64 = -1;
    loop {
        let skip = (rng.uniform_open0().ln() / log_q).floor();
        if skip >= f64::from(n) {
            return;
        }
        j += skip as i64 + 1;
        if j >= i64::from(n) {
            return;
        }
        f(rng, j as u32);
    }
}

/// A synapse before merging: local pre and post indices, weight, delay in ticks.
type Edge = (u32, u32, f32, u32);

fn generate_projection(
    net: &Network,
    k: usize,
    proj: &Projection,
    key: [u32; 2],
    pops: &[PopulationPlan],
    threads: usize,
) -> Result<LocalCsr> {
    let pre = &pops[proj.pre.index].gpu;
    let post = &pops[proj.post.index].gpu;
    if proj.procedural {
        // Regenerated on every spike: nothing stored.
        return Ok(LocalCsr {
            row_ptr: vec![0; pre.size as usize + 1],
            targets: Vec::new(),
            weights: Vec::new(),
        });
    }
    let same = proj.pre.index == proj.post.index;
    let dt = net.dt_ms;
    let port = proj.receptor.port();
    let conn_stream = stream::CONNECT + k as u32;
    let ticks = |d: f64| ((d / dt).round() as u32).max(1);
    let draw = |rng: &mut PhiloxStream| {
        let w = proj.weight.sample(rng) as f32;
        let d = ticks(proj.delay_ms.sample(rng));
        (w, d)
    };
    let positions = |p: &crate::model::PopulationId| net.populations[p.index].positions.clone();
    let (pre_pos, post_pos) = (positions(&proj.pre), positions(&proj.post));

    // Row-wise rules: each pre-synaptic row from its own stream, in parallel chunks.
    let row_rule = |i: u32, rng: &mut PhiloxStream, out: &mut Vec<Edge>| {
        let excl = |auto: bool| (same && !auto).then_some(i);
        let mut push = |rng: &mut PhiloxStream, j: u32| {
            let (w, d) = draw(rng);
            out.push((i, j, w, d));
        };
        match &proj.connectivity {
            Connectivity::FixedProbability { p, autapses } => {
                for_each_bernoulli(rng, post.size, *p, |rng, j| {
                    if excl(*autapses) != Some(j) {
                        push(rng, j);
                    }
                });
            }
            Connectivity::AllToAll { autapses } => {
                for j in 0..post.size {
                    if excl(*autapses) != Some(j) {
                        push(rng, j);
                    }
                }
            }
            Connectivity::OneToOne => push(rng, i),
            Connectivity::FixedOutDegree { k, autapses } => {
                for j in distinct(rng, post.size, *k, excl(*autapses)) {
                    push(rng, j);
                }
            }
            Connectivity::DistanceGaussian { p0, sigma, autapses } => {
                let (a, b) = (
                    pre_pos.as_ref().expect("validated"),
                    post_pos.as_ref().expect("validated"),
                );
                let x = a[i as usize].as_dvec3();
                let inv = 1.0 / (2.0 * sigma * sigma);
                for j in 0..post.size {
                    let d2 = x.distance_squared(b[j as usize].as_dvec3());
                    let u = rng.uniform();
                    if u < p0 * (-d2 * inv).exp() && excl(*autapses) != Some(j) {
                        push(rng, j);
                    }
                }
            }
            _ => unreachable!("not a row-wise rule"),
        }
    };

    let edges: Vec<Edge> = match &proj.connectivity {
        Connectivity::FixedInDegree { k: kin, autapses } => {
            // Column-wise: each post-synaptic neuron draws its sources from its own stream.
            let cols = parallel_chunks(post.size, threads, |j, out| {
                let mut rng = PhiloxStream::new(key, stream::CONNECT_COLUMN + k as u32, j);
                let excl = (same && !autapses).then_some(j);
                for i in distinct(&mut rng, pre.size, *kin, excl) {
                    let (w, d) = draw(&mut rng);
                    out.push((i, j, w, d));
                }
            });
            let mut e = cols;
            e.sort_by_key(|&(i, j, _, _)| (i, j));
            e
        }
        Connectivity::FixedTotal { n, autapses } => {
            // Multinomial row counts, then every synapse from its own counters with exact
            // samplers (src/generate.rs): the GPU generates the same rows.
            let counts = crate::plan::fixed_total::fixed_total_row_counts(
                key,
                stream::CONNECT_COLUMN + k as u32,
                *n,
                pre.size,
                threads,
            );
            let skip_self = same && !autapses;
            let inv_dt = (1.0 / dt) as f32;
            let delay = GenDist::of(&proj.delay_ms);
            let exact = GenDist::of(&proj.weight).zip(delay);
            parallel_chunks(pre.size, threads, |i, out| {
                for t in 0..counts[i as usize] {
                    match &exact {
                        Some((w, d)) => {
                            let (j, w, d) = crate::plan::fixed_total::fixed_total_synapse(
                                key,
                                conn_stream,
                                i,
                                t,
                                post.size,
                                skip_self,
                                (w, d, inv_dt),
                            );
                            out.push((i, j, w, d));
                        }
                        None => {
                            // Log-normal weights (or delays): f64 from the same words.
                            let a = crate::rng::philox4x32_10([i, t, conn_stream, 0], key);
                            let b = crate::rng::philox4x32_10([i, t, conn_stream, 1], key);
                            // Log-normal needs exp, so these projections never go to the GPU;
                            // a second block gives the delay two words.
                            let j =
                                crate::plan::fixed_total::fixed_total_target(a[0], i, post.size, skip_self);
                            let z = |w0, w1| f64::from(crate::plan::fixed_total::normal4(w0, w1));
                            let draw = |d: &WeightDist, w0, w1| match *d {
                                WeightDist::LogNormal { mu, sigma, max, sign } => {
                                    sign * (mu + sigma * z(w0, w1)).exp().min(max)
                                }
                                _ => {
                                    let g = GenDist::of(d).expect("not log-normal");
                                    let redraw = crate::plan::fixed_total::redraw_word;
                                    let v = g.redrawn(g.sample(w0, w1), |r| {
                                        g.sample(redraw(w0, r), redraw(w1, r))
                                    });
                                    f64::from(v)
                                }
                            };
                            let w = draw(&proj.weight, a[1], a[2]) as f32;
                            let d = ticks(draw(&proj.delay_ms, b[0], b[1]));
                            out.push((i, j, w, d));
                        }
                    }
                }
            })
        }
        Connectivity::Explicit(list) => {
            let mut e: Vec<Edge> = list
                .iter()
                .map(|c| (c.pre, c.post, c.weight as f32, ticks(c.delay_ms)))
                .collect();
            e.sort_by_key(|&(i, j, _, _)| (i, j));
            e
        }
        _ => parallel_chunks(pre.size, threads, |i, out| {
            let mut rng = PhiloxStream::new(key, conn_stream, i);
            row_rule(i, &mut rng, out);
        }),
    };

    let mut row_ptr = vec![0u32; pre.size as usize + 1];
    for &(i, ..) in &edges {
        row_ptr[i as usize + 1] += 1;
    }
    for i in 0..pre.size as usize {
        row_ptr[i + 1] += row_ptr[i];
    }
    let targets = edges
        .iter()
        .map(|&(_, j, _, d)| match &proj.plasticity {
            // Dendritic part of the delay, and the 1-based id among plastic projections.
            Some(rule) => Synapse::with_plasticity(
                post.start + j,
                d,
                port,
                (rule.dendritic_fraction * f64::from(d)).round() as u32,
                net.projections[..=k]
                    .iter()
                    .filter(|p| p.plasticity.is_some())
                    .count() as u32,
            ),
            None => Synapse::new(post.start + j, d, port),
        })
        .collect();
    let weights = edges.iter().map(|e| e.2).collect();
    Ok(LocalCsr {
        row_ptr,
        targets,
        weights,
    })
}

/// Runs `f(index, out)` for every index in `0..n` on `threads` threads in contiguous chunks and
/// concatenates the outputs in index order.
fn parallel_chunks<T: Send>(n: u32, threads: usize, f: impl Fn(u32, &mut Vec<T>) + Sync) -> Vec<T> {
    let threads = threads.min((n as usize).div_ceil(1024)).max(1);
    let chunk = (n as usize).div_ceil(threads) as u32;
    let parts: Vec<Vec<T>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u32)
            .map(|t| {
                let f = &f;
                s.spawn(move || {
                    let mut out = Vec::new();
                    for i in (t * chunk).min(n)..((t + 1) * chunk).min(n) {
                        f(i, &mut out);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("connectivity worker"))
            .collect()
    });
    parts.into_iter().flatten().collect()
}

/// The largest power-of-two scale (at most 2^20) for which no input accumulator can overflow
/// i32: per target and port, every synapse delivers at most once per slot (a neuron spikes at
/// most once per tick), so `sum |w| * scale + 0.5 * terms` over its incoming synapses plus the
/// largest Poisson draw bounds any slot's sum; currents are bounded by their largest amplitude.
/// Overflow is therefore impossible by construction.
/// Per (port, target) bounds on what can land in one accumulator entry besides the synapses:
/// the largest Poisson draw times its weight, and the largest injected current.
fn input_extras(
    n: usize,
    net: &Network,
    poisson: &[PoissonGpu],
    poisson_kmax: &[u32],
    current_bound: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let mut sum_abs = vec![0.0f64; 3 * n];
    let mut terms = vec![0.0f64; 3 * n];
    for ((p, input), &k_max) in poisson.iter().zip(&net.poisson_inputs).zip(poisson_kmax) {
        let k_max = f64::from(k_max);
        for t in p.target_start..p.target_start + p.target_count {
            let idx = p.port as usize * n + t as usize;
            sum_abs[idx] += k_max * input.weight.abs();
            terms[idx] += k_max;
        }
    }
    for (t, b) in current_bound.iter().enumerate() {
        sum_abs[2 * n + t] = *b;
        terms[2 * n + t] = if *b > 0.0 { 1.0 } else { 0.0 };
    }
    (sum_abs, terms)
}

/// Adds the synapses' `|w|` and rounding terms to the extras: the bound of every accumulator.
/// A plastic synapse counts with the largest weight its rule allows (`w_max`), since STDP may
/// take it there.
fn input_bounds(
    n: usize,
    synapses: &[Synapse],
    weights: &[f32],
    plastic: &[PlasticGpu],
    extras: &(Vec<f64>, Vec<f64>),
) -> (Vec<f64>, Vec<f64>) {
    let (mut sum_abs, mut terms) = extras.clone();
    for (s, w) in synapses.iter().zip(weights) {
        let idx = s.port() as usize * n + s.post as usize;
        let bound = match s.plastic() {
            0 => w.abs(),
            id => w.abs().max(plastic[id as usize - 1].w_max.abs()),
        };
        sum_abs[idx] += f64::from(bound);
        terms[idx] += 1.0;
    }
    (sum_abs, terms)
}

fn fits(bounds: &(Vec<f64>, Vec<f64>), scale: f64) -> bool {
    let limit = f64::from(i32::MAX);
    bounds
        .0
        .iter()
        .zip(&bounds.1)
        .all(|(a, t)| a * scale + 0.5 * t <= limit)
}

/// The largest power-of-two scale (at most 2^20) for which no input accumulator can overflow
/// i32: per target and port, every synapse delivers at most once per slot (a neuron spikes at
/// most once per tick), so `sum |w| * scale + 0.5 * terms` over its incoming synapses plus the
/// largest Poisson draw bounds any slot's sum; currents are bounded by their largest amplitude.
/// Overflow is therefore impossible by construction.
fn choose_fixed_scale(bounds: &(Vec<f64>, Vec<f64>)) -> Result<f32> {
    for e in (0..=MAX_FIXED_SCALE_LOG2).rev() {
        let s = f64::from(1u32 << e);
        if fits(bounds, s) {
            return Ok(s as f32);
        }
    }
    let worst = bounds.0.iter().cloned().fold(0.0, f64::max);
    Err(Error::LimitExceeded {
        what: "largest summed |weight| or current onto one neuron and port (fixed-point input, scale 1)"
            .into(),
        requested: worst.ceil() as u64,
        max: i32::MAX as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_table_reproduces_the_poisson_cdf() {
        let lambda = 2.0f64;
        let t = poisson_cdf_table(lambda);
        assert!(t.len() > 10 && t.len() < 30);
        let p0 = (-lambda).exp();
        assert_eq!(t[0], (p0 * 4_294_967_296.0).floor() as u32);
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert!(poisson_cdf_table(0.0).is_empty());
    }

    #[test]
    fn bernoulli_skipping_selects_with_probability_p() {
        let mut rng = PhiloxStream::new([1, 2], 3, 4);
        let mut count = 0u64;
        let n = 1_000_000u32;
        let mut last = None;
        for_each_bernoulli(&mut rng, n, 0.02, |_, j| {
            assert!(last.is_none_or(|l| j > l));
            last = Some(j);
            count += 1;
        });
        // Binomial(1e6, 0.02): mean 20000, sd 140; 5 sd bound.
        assert!((count as f64 - 20_000.0).abs() < 700.0, "{count}");
    }

    #[test]
    fn distinct_draws_are_distinct_sorted_and_skip_the_excluded_value() {
        let mut rng = PhiloxStream::new([5, 6], 7, 8);
        for _ in 0..100 {
            let v = distinct(&mut rng, 50, 49, Some(17));
            assert_eq!(v.len(), 49);
            assert!(v.windows(2).all(|w| w[0] < w[1]));
            assert!(!v.contains(&17) && v.iter().all(|&x| x < 50));
        }
    }

    #[test]
    fn fixed_point_conversion_rounds_half_to_even() {
        assert_eq!(to_fixed(0.5, 1.0), 0);
        assert_eq!(to_fixed(1.5, 1.0), 2);
        assert_eq!(to_fixed(-2.5, 1.0), -2);
        assert_eq!(to_fixed(1.62, 1048576.0), 1_698_693);
    }
}
