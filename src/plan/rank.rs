//! One rank's share of a distributed run ([`crate::distributed`]). The neurons are dealt
//! round-robin within each population (neuron `i` of a population belongs to rank
//! `i mod N`, as NEST deals them), so every rank gets a slice of every population and the
//! load balances. A rank plans only its own neurons and the synapses onto them, drawn from
//! the same Philox streams a single process draws them from, so no rank needs another's
//! connectivity:
//!
//! - neurons are numbered locally, population after population: local neuron `k` of a
//!   population is its neuron `rank + k N`; initial state and parameters are the single
//!   process's, picked out;
//! - synapses keep rows by **global** pre-synaptic neuron (every rank's spikes walk them) and
//!   targets by **local** neuron (they index the rank's input ring). Each projection is
//!   generated as in one process and only the owned columns are kept, one projection at a
//!   time, so the synapses held divide by N (the drawing does not);
//! - Poisson inputs and noise currents draw local target `k` with the counter of its global
//!   index in the population, `rank + k N` ([`Partition::input_counter`]); a current into a
//!   subset draws each target with its position in the list ([`owned_targets`]), and the
//!   neurons of a user-defined model draw their white noise with their index in the whole
//!   population ([`share_equations`]); a Poisson-sequence encoder reads its rate table by the
//!   whole population's size;
//! - the facts every rank must share, the fixed-point scale and the delays, are agreed by
//!   [`Plan::agree`] from every rank's [`RankFacts`] before anything is allocated.

use crate::error::{Result, invalid};
use crate::model::Network;
use crate::plan::connectivity::LocalCsr;
use crate::plan::equations::EquationPlan;
use crate::plan::populations::PopulationTables;
use crate::plan::{Plan, PopulationPlan};

/// Where a rank stands in a distributed run, kept in its [`Plan`].
#[derive(Clone, Debug)]
pub struct Partition {
    /// This rank.
    pub rank: u32,
    /// Ranks in all.
    pub ranks: u32,
    /// Neurons of the whole network.
    pub n_global: u32,
    /// Every population of the whole network (global start and size).
    pub global_populations: Vec<PopulationPlan>,
    /// Global id of each local neuron.
    pub global_ids: Vec<u32>,
    /// Each projection's synapses in the whole network.
    pub projection_sizes: Vec<u64>,
    /// Per merged synapse of this rank: its index among its projection's synapses in a
    /// single process's order (row by row, each row in generation order), for gathering
    /// weights in that order. Empty unless the network is plastic.
    pub projection_index: Vec<u32>,
    /// Whether each projection is plastic.
    pub plastic_projections: Vec<bool>,
    /// Per projection with a per-synapse Tsodyks-Markram `U`: each kept synapse's index in
    /// the projection (in the order of its kept rows); empty for the others.
    pub kept_index: Vec<Vec<u32>>,
    /// Per merged synapse of this rank: its index among a single process's merged synapses,
    /// the key of its stochastic release draws. Empty without stochastic release.
    pub release_keys: Vec<u32>,
}

/// What [`keep_owned`] tells of one projection: its synapses in the whole network and, when
/// asked for, each kept synapse's index in it and the projection's row pointers before
/// keeping.
#[derive(Clone, Debug, Default)]
pub(super) struct Kept {
    synapses: u64,
    index: Vec<u32>,
    full_rows: Vec<u32>,
}

impl Partition {
    /// The Philox counter of local target `k` of a population (its index in the whole
    /// population), for Poisson inputs and noise currents.
    #[inline(always)]
    pub fn input_counter(&self, k: u32) -> u32 {
        self.rank + k * self.ranks
    }
}

impl Partition {
    /// The local ids of the neurons of `global` (ascending global ids) this rank owns,
    /// ascending.
    pub fn local_ids(&self, global: &[u32]) -> Vec<u32> {
        // Local ids run population by population, so the global ids of the local neurons
        // ascend.
        global
            .iter()
            .filter_map(|g| self.global_ids.binary_search(g).ok().map(|k| k as u32))
            .collect()
    }
}

/// How many of a population's `size` neurons rank `rank` of `ranks` owns.
pub fn owned_count(size: u32, rank: u32, ranks: u32) -> u32 {
    size / ranks + u32::from(rank < size % ranks)
}

/// The facts of one rank that every rank must agree on before allocating.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankFacts {
    /// The largest fixed-point scale safe for this rank's accumulators.
    pub fixed_scale: f32,
    /// Largest delay of this rank's synapses (ticks; 1 without synapses).
    pub max_delay: u32,
    /// Smallest delay of this rank's synapses (ticks; `u32::MAX` without synapses).
    pub min_delay: u32,
    /// Synapses on this rank.
    pub synapses: u64,
}

impl RankFacts {
    /// The facts of all ranks together: the smallest scale (the one a single process picks,
    /// since a scale fits every accumulator of the network exactly when it fits every
    /// rank's), the largest and smallest delays, the synapses summed.
    pub fn combine(all: &[RankFacts]) -> RankFacts {
        RankFacts {
            fixed_scale: all.iter().map(|f| f.fixed_scale).fold(f32::INFINITY, f32::min),
            max_delay: all.iter().map(|f| f.max_delay).max().unwrap_or(1),
            min_delay: all.iter().map(|f| f.min_delay).min().unwrap_or(u32::MAX),
            synapses: all.iter().map(|f| f.synapses).sum(),
        }
    }
}

/// Refuses what a rank cannot run yet, before anything is generated: the same message on
/// every rank, since every rank checks the same network.
pub(super) fn check_distributable(net: &Network, ranks: u32) -> Result<()> {
    let neurons = net.neuron_count();
    if u64::from(ranks) > neurons {
        return Err(invalid(
            "ranks",
            ranks,
            &format!(
                "a distributed run needs at least one neuron per rank; the network has {neurons} neurons"
            ),
        ));
    }
    let unsupported = [(
        net.projections.iter().any(|p| p.procedural),
        "procedural projections",
    )];
    if let Some((_, what)) = unsupported.iter().find(|(present, _)| *present) {
        return Err(invalid(
            "mpi ranks",
            ranks,
            &format!("a distributed run does not support {what} yet; run it in one process"),
        ));
    }
    check_release_keys(net)
}

/// Stochastic release draws with each synapse's index among a single process's synapses, a
/// 32-bit word: across ranks only while the whole network stays within it (a rank's share
/// may be within the limits when the whole is not).
fn check_release_keys(net: &Network) -> Result<()> {
    let Some(k) = net.projections.iter().position(|p| p.release.is_some()) else {
        return Ok(());
    };
    let whole = net.projections.iter().fold(0u64, |sum, p| {
        sum.saturating_add(crate::plan::resources::synapse_count(net, p).count)
    });
    if whole > u64::from(u32::MAX) {
        return Err(invalid(
            format!("projection {k}.release_probability"),
            "a distributed run",
            &format!(
                "draws with each synapse's index in the whole network, which must be below 2^32 \
                 (the network has up to {whole} synapses)"
            ),
        ));
    }
    Ok(())
}

/// The runs `(first local index, count, index among the targets)` of the owned neurons of a
/// current's subset `neurons` (indices in the whole population, sorted): one run per owned
/// neuron. The index among the targets is its position in the list less the rank, since a
/// rank adds [`Partition::input_counter`]`(0)`, the rank, to it: the noise of each target is
/// drawn with its position in the list, as in one process.
pub(super) fn owned_targets(neurons: &[u32], part: &Partition) -> Vec<(u32, u32, u32)> {
    neurons
        .iter()
        .enumerate()
        .filter(|&(_, &i)| i % part.ranks == part.rank)
        .map(|(k, &i)| (i / part.ranks, 1, (k as u32).wrapping_sub(part.rank)))
        .collect()
}

/// Keeps the neurons rank `rank` of `ranks` owns in `tables` (numbered locally), returning
/// its partition. Spike-source tick tables stay whole (the parameters point into them).
pub(super) fn take_share(tables: &mut PopulationTables, rank: u32, ranks: u32) -> Partition {
    let global_populations = tables.populations.clone();
    let mut global_ids = Vec::new();
    let mut start = 0u32;
    for pop in &mut tables.populations {
        let first = pop.gpu.start;
        let owned = owned_count(pop.gpu.size, rank, ranks);
        global_ids.extend((0..owned).map(|k| first + rank + k * ranks));
        pop.gpu.start = start;
        pop.gpu.size = owned;
        start += owned;
    }
    tables.initial_state = global_ids
        .iter()
        .map(|&g| tables.initial_state[g as usize])
        .collect();
    tables.neuron_params = global_ids
        .iter()
        .map(|&g| tables.neuron_params[g as usize])
        .collect();
    tables.n_neurons = start;
    Partition {
        rank,
        ranks,
        n_global: global_populations.iter().map(|p| p.gpu.size).sum(),
        global_populations,
        global_ids,
        projection_sizes: Vec::new(),
        projection_index: Vec::new(),
        plastic_projections: Vec::new(),
        kept_index: Vec::new(),
        release_keys: Vec::new(),
    }
}

/// Keeps the owned neurons of every equation population (`local`: the rank's populations):
/// their initial values and parameters, and the random draws of their indices in the whole
/// population.
pub(super) fn share_equations(plans: &mut [EquationPlan], local: &[PopulationPlan], part: &Partition) {
    let pick = |values: &mut Vec<f32>, owned: u32| {
        if values.is_empty() {
            return;
        }
        *values = (0..owned)
            .map(|k| values[(part.rank + k * part.ranks) as usize])
            .collect();
    };
    for eq in plans {
        let pop = &local[eq.population].gpu;
        eq.start = pop.start;
        eq.size = pop.size;
        eq.initial.iter_mut().for_each(|v| pick(v, pop.size));
        eq.per_neuron.iter_mut().for_each(|v| pick(v, pop.size));
        eq.draw_first = part.rank;
        eq.draw_stride = part.ranks;
    }
}

/// Keeps the synapses of projection `csr` onto the neurons the partition owns, their
/// targets renumbered locally (`post_global` and `post_local`: the post population's
/// global and local plans). Rows stay those of the whole pre-synaptic population. Returns
/// the projection's synapse count and, when `indices`, the kept synapses' indices in it and
/// its row pointers before keeping.
pub(super) fn keep_owned(
    csr: &mut LocalCsr,
    part: &Partition,
    post_global: &PopulationPlan,
    post_local: &PopulationPlan,
    indices: bool,
) -> Kept {
    let all = csr.targets.len() as u64;
    let full_rows = if indices { csr.row_ptr.clone() } else { Vec::new() };
    let mut kept_at = Vec::new();
    let (g0, l0) = (post_global.gpu.start, post_local.gpu.start);
    let mut kept = 0usize;
    let mut row_start = 0usize;
    for i in 0..csr.row_ptr.len() - 1 {
        let end = csr.row_ptr[i + 1] as usize;
        for s in row_start..end {
            let j = csr.targets[s].post - g0;
            if j % part.ranks == part.rank {
                let mut syn = csr.targets[s];
                syn.post = l0 + j / part.ranks;
                csr.targets[kept] = syn;
                csr.weights[kept] = csr.weights[s];
                kept += 1;
                if indices {
                    kept_at.push(s as u32);
                }
            }
        }
        row_start = end;
        csr.row_ptr[i + 1] = kept as u32;
    }
    csr.targets.truncate(kept);
    csr.targets.shrink_to_fit();
    csr.weights.truncate(kept);
    csr.weights.shrink_to_fit();
    Kept {
        synapses: all,
        index: kept_at,
        full_rows,
    }
}

impl Partition {
    /// Takes each projection's size and kept indices ([`keep_owned`]'s answers, in
    /// projection order) and merges the indices as `csr::merge` merges the synapses
    /// ([`Partition::projection_index`], [`Partition::release_keys`]); keeps those of the
    /// projections with a per-synapse `U` ([`Partition::kept_index`]).
    pub(super) fn index_synapses(
        &mut self,
        net: &Network,
        projections: &[crate::plan::ProjectionPlan],
        mut kept: Vec<Kept>,
    ) {
        self.projection_sizes = kept.iter().map(|k| k.synapses).collect();
        self.plastic_projections = net.projections.iter().map(|p| p.plasticity.is_some()).collect();
        let index: Vec<Vec<u32>> = kept.iter_mut().map(|k| std::mem::take(&mut k.index)).collect();
        if self.plastic_projections.contains(&true) {
            self.projection_index = projection_indices(net, self, projections, &index);
        }
        if net.projections.iter().any(|p| p.release.is_some()) {
            self.release_keys = release_keys(net, self, projections, &index, &kept);
        }
        self.kept_index = net
            .projections
            .iter()
            .zip(index)
            .map(|(p, index)| match p.short_term_u {
                Some(_) => index,
                None => Vec::new(),
            })
            .collect();
    }
}

/// Whether a rank must know where each of its synapses stands in a single process
/// ([`keep_owned`]'s `indices`): for plasticity's weight files, per-synapse `U` and the keys
/// of stochastic release.
pub(super) fn needs_indices(net: &Network) -> bool {
    net.projections
        .iter()
        .any(|p| p.plasticity.is_some() || p.short_term_u.is_some() || p.release.is_some())
}

/// Each merged synapse's index among a single process's merged synapses ([`Partition::
/// release_keys`]): the single process's merged row of global pre neuron `g` holds, in
/// creation order, the whole row of every projection leaving its population.
fn release_keys(
    net: &Network,
    part: &Partition,
    projections: &[crate::plan::ProjectionPlan],
    index: &[Vec<u32>],
    kept: &[Kept],
) -> Vec<u32> {
    let mut out = Vec::with_capacity(index.iter().map(Vec::len).sum());
    let mut base = 0u32;
    for_each_merged_segment(net, part, projections, |k, i, segment| {
        let full = &kept[k].full_rows;
        let row_start = full[i];
        out.extend(index[k][segment].iter().map(|&s| base + s - row_start));
        base += full[i + 1] - row_start;
    });
    out
}

/// Each merged synapse's index in its projection from each projection's kept indices,
/// merged as `csr::merge` merges the synapses.
fn projection_indices(
    net: &Network,
    part: &Partition,
    projections: &[crate::plan::ProjectionPlan],
    kept: &[Vec<u32>],
) -> Vec<u32> {
    let mut out = Vec::with_capacity(kept.iter().map(Vec::len).sum());
    for_each_merged_segment(net, part, projections, |k, _, segment| {
        out.extend_from_slice(&kept[k][segment]);
    });
    out
}

/// Calls `f(k, i, segment)` in the order `csr::merge` merges a rank's synapses: per global
/// population, per pre neuron `i` of it, the segment of this rank's row `i` of every
/// projection `k` leaving the population, in creation order.
fn for_each_merged_segment(
    net: &Network,
    part: &Partition,
    projections: &[crate::plan::ProjectionPlan],
    mut f: impl FnMut(usize, usize, std::ops::Range<usize>),
) {
    for (pi, pop) in part.global_populations.iter().enumerate() {
        let outgoing: Vec<usize> = (0..net.projections.len())
            .filter(|&k| net.projections[k].pre.index == pi)
            .collect();
        for i in 0..pop.gpu.size as usize {
            for &k in &outgoing {
                let rows = &projections[k].local_row_ptr;
                f(k, i, rows[i] as usize..rows[i + 1] as usize);
            }
        }
    }
}

impl Plan {
    /// Plans rank `rank` of `ranks` of a distributed run of `net` (see the module docs). The
    /// plan is not runnable until [`Plan::agree`] has given it the facts of every rank.
    pub fn for_rank(net: &Network, rank: u32, ranks: u32) -> Result<Self> {
        if rank >= ranks {
            return Err(invalid(
                "rank",
                rank,
                &format!("must be below the rank count {ranks}"),
            ));
        }
        check_distributable(net, ranks)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::build_part(net, threads, false, Some((rank, ranks)))
    }

    /// This rank's facts, which every rank must know before running ([`Plan::agree`]).
    pub fn rank_facts(&self) -> RankFacts {
        let delays = self.synapses.iter().map(|s| s.delay());
        RankFacts {
            fixed_scale: self.fixed_scale,
            max_delay: self.ring_slots - 1,
            min_delay: delays.min().unwrap_or(u32::MAX),
            synapses: self.synapses.len() as u64,
        }
    }

    /// Adopts the facts of all ranks together ([`RankFacts::combine`]): the fixed-point
    /// scale and the ring depth become those of a single process's plan of the network.
    pub fn agree(&mut self, all: &RankFacts) -> Result<()> {
        self.ring_slots = super::ring::ring_slots(all.max_delay, self.n_neurons)?;
        if !self.plastic.is_empty() {
            // The plasticity lag and the histories follow the network's largest delay.
            (self.hist_len, self.stdp_lag, self.trace_len) =
                super::plasticity::lay_out_traces(&mut self.plastic, all.max_delay);
        }
        if all.fixed_scale != self.fixed_scale {
            self.fixed_scale = all.fixed_scale;
            let (poisson, procedural) = self.rescaled_inputs(all.fixed_scale);
            self.poisson = poisson;
            self.procedural = procedural;
        }
        Ok(())
    }

    /// The whole network's populations and neuron count over this rank's other tables,
    /// without its neurons' tables and synapses: what the records of a distributed run are
    /// kept against (every rank holds every spike, by global id). `None` in one process.
    pub fn global_view(&self) -> Option<Plan> {
        let part = self.partition.as_deref()?;
        Some(Plan {
            dt_ms: self.dt_ms,
            conventions: self.conventions,
            key: self.key,
            initial_key: self.initial_key,
            input_key: self.input_key,
            n_neurons: part.n_global,
            populations: part.global_populations.clone(),
            initial_state: Vec::new(),
            neuron_params: Vec::new(),
            source_ticks: Vec::new(),
            row_ptr: Vec::new(),
            synapses: Vec::new(),
            weights: Vec::new(),
            projections: self.projections.clone(),
            ring_slots: self.ring_slots,
            fixed_scale: self.fixed_scale,
            poisson: self.poisson.clone(),
            poisson_segments: self.poisson_segments.clone(),
            poisson_cdf: self.poisson_cdf.clone(),
            currents: self.currents.clone(),
            current_steps: self.current_steps.clone(),
            plastic: self.plastic.clone(),
            col_ptr: Vec::new(),
            col_entries: Vec::new(),
            hist_len: self.hist_len,
            stdp_lag: self.stdp_lag,
            trace_len: self.trace_len,
            modulation_interval: self.modulation_interval,
            // The rank's tables (indexed by its own synapses): they tell the simulator that
            // the network has short-term state, which checkpoints refuse.
            short_term: self.short_term.clone(),
            release: Vec::new(),
            procedural: self.procedural.clone(),
            device_projections: Vec::new(),
            poisson_weights: self.poisson_weights.clone(),
            procedural_weights: self.procedural_weights.clone(),
            modulators: self.modulators.clone(),
            input_extra: (Vec::new(), Vec::new()),
            equations: Vec::new(),
            current_inputs: self.current_inputs.clone(),
            partition: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::networks;

    /// (global pre, global post, weight bits, delay word) of every stored synapse.
    fn edges(plan: &Plan) -> Vec<(u32, u32, u32, u32)> {
        let ids = plan.partition.as_ref().map(|p| p.global_ids.clone());
        let mut out = Vec::new();
        for g in 0..plan.row_ptr.len() - 1 {
            for s in plan.row_ptr[g] as usize..plan.row_ptr[g + 1] as usize {
                let syn = plan.synapses[s];
                let post = ids.as_ref().map_or(syn.post, |ids| ids[syn.post as usize]);
                out.push((g as u32, post, plan.weights[s].to_bits(), syn.delay_port));
            }
        }
        out
    }

    #[test]
    fn the_ranks_plans_hold_every_synapse_of_one_process_once_with_its_scale() {
        let net = networks::by_name("brunel", 3, 0.05).unwrap();
        let single = Plan::new(&net).unwrap();
        let mut expected = edges(&single);
        expected.sort_unstable();
        for ranks in [1, 2, 3] {
            let mut all = Vec::new();
            let mut facts = Vec::new();
            let mut neurons = Vec::new();
            for rank in 0..ranks {
                let plan = Plan::for_rank(&net, rank, ranks).unwrap();
                let part = plan.partition.as_ref().unwrap();
                for (k, &g) in part.global_ids.iter().enumerate() {
                    assert_eq!(plan.initial_state[k], single.initial_state[g as usize]);
                    neurons.push(g);
                }
                all.extend(edges(&plan));
                facts.push(plan.rank_facts());
            }
            all.sort_unstable();
            assert_eq!(all, expected, "{ranks} ranks");
            neurons.sort_unstable();
            assert_eq!(neurons, (0..single.n_neurons).collect::<Vec<_>>());
            let combined = RankFacts::combine(&facts);
            assert_eq!(combined.fixed_scale, single.fixed_scale);
            assert_eq!(combined.max_delay + 1, single.ring_slots);
            assert_eq!(combined.synapses, single.synapses.len() as u64);
        }
    }

    #[test]
    fn more_ranks_than_neurons_are_refused_before_planning() {
        let net = networks::by_name("cuba", 1, 0.001).unwrap();
        let n = net.neuron_count() as u32;
        let e = Plan::for_rank(&net, 0, n + 1).unwrap_err().to_string();
        assert!(e.contains("at least one neuron per rank"), "{e}");
        assert!(Plan::for_rank(&net, 0, n).is_ok());
    }

    #[test]
    fn stochastic_release_across_ranks_is_refused_past_2_to_the_32_synapses_before_planning() {
        let mut net = networks::by_name("cuba", 1, 0.01).unwrap();
        net.projections[0].release = Some(crate::model::stochastic::ReleaseProbability::Uniform(0.5));
        assert!(check_distributable(&net, 2).is_ok());
        // 70,000 x 70,000 pairs: 4.9e9 synapses, past the 32-bit key (refused before any
        // allocation, so the test allocates nothing).
        for p in &mut net.populations {
            p.size = 70_000;
        }
        net.projections[0].connectivity = crate::model::Connectivity::AllToAll { autapses: true };
        let e = Plan::for_rank(&net, 0, 2).unwrap_err().to_string();
        assert!(e.contains("release_probability") && e.contains("2^32"), "{e}");
    }
}
