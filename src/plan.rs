//! The plan: a [`Network`] turned into flat, backend-neutral arrays. Both backends run from
//! exactly these arrays, so the CPU reference and the GPU see the same synapses, the same
//! initial state and the same fixed-point scale.
//!
//! Synapses of all projections are merged into one CSR indexed by the global pre-synaptic
//! neuron: the row of neuron `g` holds the synapses of every projection leaving `g`'s
//! population, projection by projection in creation order, targets ascending within each.
//! Each (projection, pre-neuron) row is generated from its own Philox stream, so the result
//! does not depend on how many threads build it.

use crate::error::{Error, Result, invalid};
use crate::layout::{NeuronState, PoissonGpu, PopGpu, Synapse};
use crate::model::{Connectivity, InitialValue, Network, NeuronModel, Projection};
use crate::rng::{PhiloxStream, seed_key, stream};

/// Number of synaptic input ports per neuron (excitatory, inhibitory).
pub const PORTS: u32 = 2;

/// Largest fixed-point scale: 2^20 units per unit of weight (resolution ~1e-6 mV).
pub const MAX_FIXED_SCALE_LOG2: i32 = 20;

/// Converts a weight to fixed point exactly as `shaders/propagate.wgsl` does:
/// multiply by the power-of-two scale (exact in f32), round half to even, convert.
#[inline]
pub fn to_fixed(weight: f32, scale: f32) -> i32 {
    (weight * scale).round_ties_even() as i32
}

/// Per-projection summary.
#[derive(Clone, Debug)]
pub struct ProjectionPlan {
    /// Number of synapses generated.
    pub synapses: u64,
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
    /// Concatenated Poisson CDF tables (thresholds on a uniform u32).
    pub poisson_cdf: Vec<u32>,
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
        let key = seed_key(net.seed);
        let dt = net.dt_ms;

        let mut populations = Vec::with_capacity(net.populations.len());
        let mut initial_state = Vec::with_capacity(net.neuron_count() as usize);
        let mut start = 0u32;
        for (pi, pop) in net.populations.iter().enumerate() {
            let NeuronModel::Lif(p) = &pop.model;
            let gpu = lif_constants(p, dt, start, pop.size);
            let rng_row = |i: u32| PhiloxStream::new(key, stream::INIT + pi as u32, i);
            for i in 0..pop.size {
                let v = match pop.v_init_mv {
                    InitialValue::Constant(v) => v,
                    InitialValue::Uniform { low, high } => low + rng_row(i).uniform() * (high - low),
                };
                initial_state.push(NeuronState {
                    v: v as f32,
                    ..NeuronState::default()
                });
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
        for (k, proj) in net.projections.iter().enumerate() {
            local.push(generate_projection(
                net,
                k,
                proj,
                key,
                &populations,
                threads.max(1),
            )?);
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
        let projections = local
            .iter()
            .map(|l| ProjectionPlan {
                synapses: l.targets.len() as u64,
            })
            .collect();
        drop(local);

        let max_delay = synapses.iter().map(|s| s.delay()).max().unwrap_or(1);
        let ring_slots = max_delay + 1;
        let ring_entries = u64::from(PORTS) * u64::from(ring_slots) * u64::from(n_neurons);
        if ring_entries > u64::from(u32::MAX) {
            return Err(Error::LimitExceeded {
                what: "input ring entries (ports x delay slots x neurons)".into(),
                requested: ring_entries,
                max: u64::from(u32::MAX),
            });
        }

        // Poisson inputs: exact CDF tables on a 32-bit uniform.
        let mut poisson = Vec::new();
        let mut poisson_cdf = Vec::new();
        let mut thread_start = 0u32;
        for (i, input) in net.poisson_inputs.iter().enumerate() {
            let lambda = input.rate_hz * dt * 1e-3;
            if lambda > 100.0 {
                return Err(invalid(
                    format!("poisson input {i}.rate_hz"),
                    input.rate_hz,
                    &format!(
                        "must be <= {} Hz at dt = {dt} ms (at most 100 expected spikes per tick); split it into several inputs",
                        100.0 / (dt * 1e-3)
                    ),
                ));
            }
            let table = poisson_cdf_table(lambda);
            let target = &populations[input.target.index].gpu;
            poisson.push(PoissonGpu {
                target_start: target.start,
                target_count: target.size,
                thread_start,
                port: input.receptor.port(),
                weight_fixed: 0, // set once the scale is known
                cdf_offset: poisson_cdf.len() as u32,
                cdf_len: table.len() as u32,
                stream: stream::POISSON + i as u32,
            });
            thread_start += target.size;
            poisson_cdf.extend_from_slice(&table);
        }

        let fixed_scale = choose_fixed_scale(n_neurons, &synapses, &weights, net, &poisson)?;
        for (p, input) in poisson.iter_mut().zip(&net.poisson_inputs) {
            p.weight_fixed = to_fixed(input.weight as f32, fixed_scale);
        }

        Ok(Plan {
            dt_ms: dt,
            key,
            n_neurons,
            populations,
            initial_state,
            row_ptr,
            synapses,
            weights,
            projections,
            ring_slots,
            fixed_scale,
            poisson,
            poisson_cdf,
        })
    }

    /// Total synapses.
    pub fn synapse_count(&self) -> u64 {
        self.synapses.len() as u64
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

    /// Population index of a global neuron.
    pub fn population_of(&self, neuron: u32) -> usize {
        self.populations
            .partition_point(|p| p.gpu.start + p.gpu.size <= neuron)
    }

    /// Threads of the Poisson input stage.
    pub fn poisson_threads(&self) -> u32 {
        self.poisson.iter().map(|p| p.target_count).sum()
    }
}

/// Exact-integration constants of the LIF model for one tick (Rotter & Diesmann 1999): the
/// linear system is integrated in closed form, in f64, then each constant is rounded to f32.
fn lif_constants(p: &crate::model::LifParams, dt: f64, start: u32, size: u32) -> PopGpu {
    let pm = (-dt / p.tau_m_ms).exp();
    let coupling = |tau_s: f64| {
        if (tau_s - p.tau_m_ms).abs() < 1e-9 * p.tau_m_ms {
            dt / p.tau_m_ms * pm
        } else {
            tau_s / (tau_s - p.tau_m_ms) * ((-dt / tau_s).exp() - pm)
        }
    };
    PopGpu {
        start,
        size,
        refractory_ticks: (p.refractory_ms / dt).round() as u32,
        model: 0,
        v_rest: p.v_rest_mv as f32,
        v_reset: p.v_reset_mv as f32,
        v_thresh: p.v_thresh_mv as f32,
        p_mm: pm as f32,
        p_me: coupling(p.tau_syn_exc_ms) as f32,
        p_mi: coupling(p.tau_syn_inh_ms) as f32,
        decay_e: (-dt / p.tau_syn_exc_ms).exp() as f32,
        decay_i: (-dt / p.tau_syn_inh_ms).exp() as f32,
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
    let same = proj.pre.index == proj.post.index;
    let dt = net.dt_ms;
    let port = proj.receptor.port();
    let rows = pre.size as usize;
    let threads = threads.min(rows.div_ceil(1024).max(1));
    let chunk = rows.div_ceil(threads);
    let parts: Vec<(Vec<u32>, Vec<Synapse>, Vec<f32>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let lo = (t * chunk).min(rows);
                let hi = ((t + 1) * chunk).min(rows);
                s.spawn(move || {
                    let mut lens = Vec::with_capacity(hi - lo);
                    let mut syn = Vec::new();
                    let mut w = Vec::new();
                    for i in lo..hi {
                        let before = syn.len();
                        let mut rng = PhiloxStream::new(key, stream::CONNECT + k as u32, i as u32);
                        let Connectivity::FixedProbability { p, autapses } = proj.connectivity;
                        for_each_bernoulli(&mut rng, post.size, p, |rng, j| {
                            if same && !autapses && j as usize == i {
                                return;
                            }
                            let weight = proj.weight.sample(rng) as f32;
                            let delay = ((proj.delay_ms.sample(rng) / dt).round() as u32).max(1);
                            syn.push(Synapse::new(post.start + j, delay, port));
                            w.push(weight);
                        });
                        lens.push((syn.len() - before) as u32);
                    }
                    (lens, syn, w)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("connectivity worker"))
            .collect()
    });
    let mut row_ptr = Vec::with_capacity(rows + 1);
    row_ptr.push(0u32);
    let total: usize = parts.iter().map(|p| p.1.len()).sum();
    let mut targets = Vec::with_capacity(total);
    let mut weights = Vec::with_capacity(total);
    let mut acc = 0u64;
    for (lens, syn, w) in parts {
        for l in lens {
            acc += u64::from(l);
            if acc > u64::from(u32::MAX) {
                return Err(Error::LimitExceeded {
                    what: format!("synapses of projection {k}"),
                    requested: acc,
                    max: u64::from(u32::MAX),
                });
            }
            row_ptr.push(acc as u32);
        }
        targets.extend(syn);
        weights.extend(w);
    }
    Ok(LocalCsr {
        row_ptr,
        targets,
        weights,
    })
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

/// The largest power-of-two scale (at most 2^20) for which no input-ring entry can overflow
/// i32: per target and port, every synapse delivers at most once per slot (a neuron spikes at
/// most once per tick), so `sum |w| * scale + 0.5 * terms` over its incoming synapses plus the
/// largest Poisson draw bounds any slot's sum. Overflow is therefore impossible by construction.
fn choose_fixed_scale(
    n: u32,
    synapses: &[Synapse],
    weights: &[f32],
    net: &Network,
    poisson: &[PoissonGpu],
) -> Result<f32> {
    let n = n as usize;
    let mut sum_abs = vec![0.0f64; 2 * n];
    let mut terms = vec![0.0f64; 2 * n];
    for (s, w) in synapses.iter().zip(weights) {
        let idx = s.port() as usize * n + s.post as usize;
        sum_abs[idx] += f64::from(w.abs());
        terms[idx] += 1.0;
    }
    for (p, input) in poisson.iter().zip(&net.poisson_inputs) {
        let k_max = f64::from(p.cdf_len);
        for t in p.target_start..p.target_start + p.target_count {
            let idx = p.port as usize * n + t as usize;
            sum_abs[idx] += k_max * input.weight.abs();
            terms[idx] += k_max;
        }
    }
    let limit = f64::from(i32::MAX);
    for e in (0..=MAX_FIXED_SCALE_LOG2).rev() {
        let s = f64::from(1u32 << e);
        let fits = sum_abs.iter().zip(&terms).all(|(a, t)| a * s + 0.5 * t <= limit);
        if fits {
            return Ok(s as f32);
        }
    }
    let worst = sum_abs.iter().cloned().fold(0.0, f64::max);
    Err(Error::LimitExceeded {
        what: "largest summed |weight| onto one neuron and port (fixed-point input ring, scale 1)".into(),
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
    fn fixed_point_conversion_rounds_half_to_even() {
        assert_eq!(to_fixed(0.5, 1.0), 0);
        assert_eq!(to_fixed(1.5, 1.0), 2);
        assert_eq!(to_fixed(-2.5, 1.0), -2);
        assert_eq!(to_fixed(1.62, 1048576.0), 1_698_693);
    }
}
