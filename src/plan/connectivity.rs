//! Connectivity phase: each projection's synapses from its rule, as a CSR local to the
//! projection (rows by pre-synaptic index within its population, targets ascending). Every row
//! (or column, for fixed in-degree; every synapse, for fixed total) draws from its own Philox
//! stream, so the result does not depend on the thread count.

use glam::Vec3;

use crate::error::Result;
use crate::model::{Connection, Connectivity, Network, Projection, WeightDist};
use crate::plan::PopulationPlan;
use crate::plan::device_generated::device_projection;
use crate::plan::fixed_total::{self, GenDist, GenProjection};
use crate::plan::layout::{PopGpu, Synapse};
use crate::plan::sampling::{distinct, for_each_bernoulli, parallel_chunks, with_replacement};
use crate::rng::{PhiloxStream, philox4x32_10, stream};

/// One projection's synapses, rows local to its pre-synaptic population.
pub(super) struct LocalCsr {
    pub row_ptr: Vec<u32>,
    pub targets: Vec<Synapse>,
    pub weights: Vec<f32>,
}

impl LocalCsr {
    /// No synapses on the host (procedural or generated on the GPU): `rows` empty rows.
    fn empty(rows: u32) -> Self {
        LocalCsr {
            row_ptr: vec![0; rows as usize + 1],
            targets: Vec::new(),
            weights: Vec::new(),
        }
    }
}

/// A synapse before merging: local pre and post indices, weight, delay in ticks.
type Edge = (u32, u32, f32, u32);

/// Every projection's synapses: its local CSR in creation order, and the projections left to
/// the GPU as (index, description) (their local rows are empty).
pub(super) struct Generated {
    pub local: Vec<LocalCsr>,
    pub device: Vec<(usize, GenProjection)>,
}

/// Generates every projection. With `device_generation`, the projections the GPU can
/// generate are only described. `keep(k, csr)` trims projection `k` as soon as it is made (a
/// rank keeps the synapses onto its own neurons, `plan::rank`).
pub(super) fn generate_all(
    net: &Network,
    key: [u32; 2],
    pops: &[PopulationPlan],
    threads: usize,
    device_generation: bool,
    keep: impl Fn(usize, &mut LocalCsr),
) -> Result<Generated> {
    let mut local = Vec::with_capacity(net.projections.len());
    let mut device = Vec::new();
    for (k, proj) in net.projections.iter().enumerate() {
        if device_generation && let Some(d) = device_projection(net, k, proj, pops) {
            local.push(LocalCsr::empty(d.pre_size));
            device.push((k, d));
            continue;
        }
        let generator = Generator::new(net, k, key, pops, threads);
        let mut csr = generator.local_csr()?;
        keep(k, &mut csr);
        local.push(csr);
    }
    Ok(Generated { local, device })
}

/// What every rule needs to generate projection `k`.
struct Generator<'a> {
    net: &'a Network,
    proj: &'a Projection,
    k: usize,
    key: [u32; 2],
    pre: PopGpu,
    post: PopGpu,
    same: bool,
    threads: usize,
}

impl<'a> Generator<'a> {
    fn new(net: &'a Network, k: usize, key: [u32; 2], pops: &[PopulationPlan], threads: usize) -> Self {
        let proj = &net.projections[k];
        Generator {
            net,
            proj,
            k,
            key,
            pre: pops[proj.pre.index].gpu,
            post: pops[proj.post.index].gpu,
            same: proj.pre.index == proj.post.index,
            threads,
        }
    }

    /// The Philox stream of the rows (and of fixed-total synapses).
    fn row_stream(&self) -> u32 {
        stream::CONNECT + self.k as u32
    }

    /// The Philox stream of the columns (fixed in-degree) or row counts (fixed total).
    fn column_stream(&self) -> u32 {
        stream::CONNECT_COLUMN + self.k as u32
    }

    /// A delay in whole ticks, at least one.
    fn ticks(&self, delay_ms: f64) -> u32 {
        ((delay_ms / self.net.dt_ms).round() as u32).max(1)
    }

    /// A weight and a delay drawn from the projection's distributions.
    fn draw(&self, rng: &mut PhiloxStream) -> (f32, u32) {
        let w = self.proj.weight.sample(rng) as f32;
        let d = self.ticks(self.proj.delay_ms.sample(rng));
        (w, d)
    }

    /// The target a row must skip: itself, when pre and post are one population without
    /// autapses.
    fn excluded(&self, autapses: bool, i: u32) -> Option<u32> {
        (self.same && !autapses).then_some(i)
    }

    fn local_csr(&self) -> Result<LocalCsr> {
        if self.proj.procedural {
            // Regenerated on every spike: nothing stored.
            return Ok(LocalCsr::empty(self.pre.size));
        }
        let edges = match &self.proj.connectivity {
            Connectivity::FixedInDegree { k, autapses } => self.fixed_in_degree_edges(*k, *autapses),
            Connectivity::FixedTotal { n, autapses } => self.fixed_total_edges(*n, *autapses),
            Connectivity::Explicit(list) => self.explicit_edges(list),
            _ => parallel_chunks(self.pre.size, self.threads, |i, out| {
                let mut rng = PhiloxStream::new(self.key, self.row_stream(), i);
                self.row_edges(i, &mut rng, out);
            }),
        };
        Ok(self.csr_of(edges))
    }

    /// Row `i` of a row-wise rule, from the row's own stream.
    fn row_edges(&self, i: u32, rng: &mut PhiloxStream, out: &mut Vec<Edge>) {
        let post_size = self.post.size;
        let mut push = |rng: &mut PhiloxStream, j: u32| {
            let (w, d) = self.draw(rng);
            out.push((i, j, w, d));
        };
        match &self.proj.connectivity {
            Connectivity::FixedProbability { p, autapses } => {
                let skip = self.excluded(*autapses, i);
                for_each_bernoulli(rng, post_size, *p, |rng, j| {
                    if skip != Some(j) {
                        push(rng, j);
                    }
                });
            }
            Connectivity::AllToAll { autapses } => {
                let skip = self.excluded(*autapses, i);
                for j in (0..post_size).filter(|&j| skip != Some(j)) {
                    push(rng, j);
                }
            }
            Connectivity::OneToOne => push(rng, i),
            Connectivity::FixedOutDegree { k, autapses } => {
                for j in self.sources_or_targets(rng, post_size, *k, self.excluded(*autapses, i)) {
                    push(rng, j);
                }
            }
            Connectivity::DistanceGaussian { p0, sigma, autapses } => {
                let (pre_pos, post_pos) = self.positions();
                let x = pre_pos[i as usize].as_dvec3();
                let inv = 1.0 / (2.0 * sigma * sigma);
                let skip = self.excluded(*autapses, i);
                for j in 0..post_size {
                    let d2 = x.distance_squared(post_pos[j as usize].as_dvec3());
                    let u = rng.uniform();
                    if u < p0 * (-d2 * inv).exp() && skip != Some(j) {
                        push(rng, j);
                    }
                }
            }
            _ => unreachable!("not a row-wise rule"),
        }
    }

    /// Positions of the pre- and post-synaptic neurons (validated present for distance rules).
    fn positions(&self) -> (&'a [Vec3], &'a [Vec3]) {
        let of = |index: usize| {
            self.net.populations[index]
                .positions
                .as_deref()
                .expect("validated")
        };
        (of(self.proj.pre.index), of(self.proj.post.index))
    }

    /// `k` of `0..n` (skipping `exclude`): distinct, or drawn with replacement (sorted) where
    /// the projection allows multapses.
    fn sources_or_targets(&self, rng: &mut PhiloxStream, n: u32, k: u32, exclude: Option<u32>) -> Vec<u32> {
        if self.proj.multapses {
            with_replacement(rng, n, k, exclude)
        } else {
            distinct(rng, n, k, exclude)
        }
    }

    /// Fixed in-degree, column-wise: each post-synaptic neuron draws its sources from its own
    /// stream; the edges are then sorted into rows.
    fn fixed_in_degree_edges(&self, k_in: u32, autapses: bool) -> Vec<Edge> {
        let mut edges = parallel_chunks(self.post.size, self.threads, |j, out| {
            let mut rng = PhiloxStream::new(self.key, self.column_stream(), j);
            for i in self.sources_or_targets(&mut rng, self.pre.size, k_in, self.excluded(autapses, j)) {
                let (w, d) = self.draw(&mut rng);
                out.push((i, j, w, d));
            }
        });
        edges.sort_by_key(|&(i, j, _, _)| (i, j));
        edges
    }

    /// Fixed total: multinomial row counts, then every synapse from its own counters with the
    /// exact samplers of `fixed_total`, so the GPU generates the same rows.
    fn fixed_total_edges(&self, n: u64, autapses: bool) -> Vec<Edge> {
        let counts = fixed_total::fixed_total_row_counts(
            self.key,
            self.column_stream(),
            n,
            self.pre.size,
            self.threads,
        );
        let skip_self = self.same && !autapses;
        let inv_dt = (1.0 / self.net.dt_ms) as f32;
        let exact = GenDist::of(&self.proj.weight).zip(GenDist::of(&self.proj.delay_ms));
        let conn_stream = self.row_stream();
        parallel_chunks(self.pre.size, self.threads, |i, out| {
            for t in 0..counts[i as usize] {
                let edge = match &exact {
                    Some((w, d)) => {
                        let (j, w, d) = fixed_total::fixed_total_synapse(
                            self.key,
                            conn_stream,
                            i,
                            t,
                            self.post.size,
                            skip_self,
                            (w, d, inv_dt),
                        );
                        (i, j, w, d)
                    }
                    None => self.fixed_total_host_synapse(i, t, skip_self),
                };
                out.push(edge);
            }
        })
    }

    /// Synapse `t` of row `i` of a fixed-total projection with a log-normal weight or delay:
    /// log-normal needs exp, so these projections never go to the GPU, and draw in f64 from
    /// the same counter words (a second block gives the delay two words).
    fn fixed_total_host_synapse(&self, i: u32, t: u32, skip_self: bool) -> Edge {
        let conn_stream = self.row_stream();
        let a = philox4x32_10([i, t, conn_stream, 0], self.key);
        let b = philox4x32_10([i, t, conn_stream, 1], self.key);
        let j = fixed_total::fixed_total_target(a[0], i, self.post.size, skip_self);
        let w = host_draw(&self.proj.weight, a[1], a[2]) as f32;
        let d = self.ticks(host_draw(&self.proj.delay_ms, b[0], b[1]));
        (i, j, w, d)
    }

    /// Explicit connections, sorted into rows (stably: repeated pairs keep their order).
    fn explicit_edges(&self, list: &[Connection]) -> Vec<Edge> {
        let mut edges: Vec<Edge> = list
            .iter()
            .map(|c| (c.pre, c.post, c.weight as f32, self.ticks(c.delay_ms)))
            .collect();
        edges.sort_by_key(|&(i, j, _, _)| (i, j));
        edges
    }

    /// Edges (sorted by row) as a local CSR with global targets. A plastic synapse carries the
    /// dendritic part of its delay and the projection's 1-based id among plastic projections.
    fn csr_of(&self, edges: Vec<Edge>) -> LocalCsr {
        let mut row_ptr = vec![0u32; self.pre.size as usize + 1];
        for &(i, ..) in &edges {
            row_ptr[i as usize + 1] += 1;
        }
        for i in 0..self.pre.size as usize {
            row_ptr[i + 1] += row_ptr[i];
        }
        let port = self.proj.receptor.port();
        let post_start = self.post.start;
        let plastic_id = self.net.projections[..=self.k]
            .iter()
            .filter(|p| p.plasticity.is_some())
            .count() as u32;
        let targets = edges
            .iter()
            .map(|&(_, j, _, d)| match &self.proj.plasticity {
                Some(rule) => Synapse::with_plasticity(
                    post_start + j,
                    d,
                    port,
                    (rule.dendritic_fraction * f64::from(d)).round() as u32,
                    plastic_id,
                ),
                None => Synapse::new(post_start + j, d, port),
            })
            .collect();
        let weights = edges.iter().map(|e| e.2).collect();
        LocalCsr {
            row_ptr,
            targets,
            weights,
        }
    }
}

/// One value of a fixed-total projection drawn on the host from two counter words: log-normal
/// in f64, anything else with the exact sampler the GPU uses.
fn host_draw(dist: &WeightDist, w0: u32, w1: u32) -> f64 {
    match *dist {
        WeightDist::LogNormal { mu, sigma, max, sign } => {
            let z = f64::from(fixed_total::normal4(w0, w1));
            sign * (mu + sigma * z).exp().min(max)
        }
        _ => {
            let g = GenDist::of(dist).expect("not log-normal");
            let redraw = fixed_total::redraw_word;
            let v = g.redrawn(g.sample(w0, w1), |r| g.sample(redraw(w0, r), redraw(w1, r)));
            f64::from(v)
        }
    }
}
