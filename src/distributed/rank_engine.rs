//! [`RankEngine`]: one rank of a distributed run, an [`Engine`] around the engine (CPU or
//! GPU) that runs the rank's plan ([`crate::plan::rank`]).
//!
//! It runs the inner engine up to each communication boundary (every `interval` ticks, the
//! smallest delay, and at the end of every `run_ticks` call), exchanges the spikes of those
//! ticks with every rank (compact lists: per tick a count, then the global neuron ids) and
//! hands all of them, its own included, to the inner engine's `deliver_spikes`, which adds
//! each with its own tick. Nothing arrives late: a spike of tick `te` reaches its targets
//! at `te + d >= te + interval`, after the exchange. Every rank then holds every spike, so
//! its records are the whole network's, as in a single process.
//!
//! A SIGINT or SIGTERM reaches the ranks at different moments (mpirun signals each), so a
//! rank sends the signal it has seen, if any, with its spikes: after that exchange every rank
//! knows the same first signal in rank order ([`RankEngine::agreed_stop`]), runs no further
//! tick and stops the run at the same tick as every other rank.

use std::ops::Range;
use std::time::Instant;

use super::comm::{Comm, CommStats};
use crate::error::{Error, Result, invalid};
use crate::gpu::GpuBackend;
use crate::plan::Plan;
use crate::plan::layout::NeuronState;
use crate::plan::rank::owned_count;
use crate::sim::{
    Engine, EngineState, NonFiniteFault, NonFinitePolicy, ProjectionWeights, RunCounters, Spike, WeightCopy,
};

/// One rank of a distributed run.
pub struct RankEngine {
    inner: Box<dyn Engine>,
    /// Global id of each local neuron.
    global_ids: Vec<u32>,
    /// Every population of the whole network as (global start, size), for placing every
    /// rank's neurons.
    populations: Vec<(u32, u32)>,
    comm: Comm,
    /// Ticks between exchanges (the smallest delay of the network).
    interval: u64,
    /// Ticks run since the last exchange, and the first of them.
    since: u64,
    span_start: u64,
    /// This rank's spikes since the last exchange (global ids).
    pending: Vec<Spike>,
    scratch: Vec<Spike>,
    /// Every rank's spikes and synaptic events so far.
    spikes: u64,
    events: u64,
    /// Synapses on this rank, and on every rank together.
    own_synapses: u64,
    global_synapses: u64,
    compute_s: f64,
    exchanges: u64,
    /// The collectives' figures spent on spike exchanges alone (probes gather state too).
    exchange_stats: CommStats,
    /// The signal every rank agreed to stop on, at the last exchange.
    stop: Option<i32>,
    /// Per projection: the synapses in the whole network, and for a plastic one, each of
    /// this rank's synapses of it ([`WeightEntry`]).
    projection_sizes: Vec<u64>,
    weight_maps: Vec<Option<Vec<WeightEntry>>>,
    /// The rank's plan without its synapses: the shapes of the inner engine's state, for
    /// checkpoints ([`RankEngine::keep_state_plan`]).
    state_plan: Option<Box<Plan>>,
}

/// Where one of a rank's synapses of a plastic projection stands: its index in the rank's
/// merged synapses, its index in the projection in a single process's order, and its pre and
/// post neurons (indices in their populations).
#[derive(Clone, Copy, Debug)]
struct WeightEntry {
    merged: u32,
    index: u32,
    pre: u32,
    post: u32,
}

/// Each plastic projection's [`WeightEntry`]s of the rank's `plan` (`None` for the others).
fn weight_maps(plan: &Plan, part: &crate::plan::rank::Partition) -> Vec<Option<Vec<WeightEntry>>> {
    (0..plan.projections.len())
        .map(|k| {
            if !part.plastic_projections.get(k).copied().unwrap_or(false) {
                return None;
            }
            let p = &plan.projections[k];
            let post_start = part.global_populations[p.post].gpu.start;
            let merged = plan.projection_synapses(k);
            let pre = p
                .local_row_ptr
                .windows(2)
                .enumerate()
                .flat_map(|(i, w)| std::iter::repeat_n(i as u32, (w[1] - w[0]) as usize));
            Some(
                merged
                    .iter()
                    .zip(pre)
                    .map(|(&s, pre)| WeightEntry {
                        merged: s,
                        index: part.projection_index[s as usize],
                        pre,
                        post: part.global_ids[plan.synapses[s as usize].post as usize] - post_start,
                    })
                    .collect(),
            )
        })
        .collect()
}

/// What one rank spent its run on: the per-rank report of a distributed run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RankReport {
    /// The rank.
    pub rank: u32,
    /// Its neurons.
    pub neurons: u32,
    /// Its synapses (those onto its neurons).
    pub synapses: u64,
    /// Ticks between exchanges.
    pub interval_ticks: u64,
    /// Spike exchanges.
    pub exchanges: u64,
    /// Seconds running its ticks and delivering spikes.
    pub compute_s: f64,
    /// Seconds in spike exchanges moving words.
    pub communication_s: f64,
    /// Seconds in spike exchanges waiting for the other ranks.
    pub wait_s: f64,
    /// Bytes of spike exchanges sent per biological second.
    pub bytes_sent_per_bio_s: f64,
    /// Bytes received per biological second.
    pub bytes_received_per_bio_s: f64,
    /// Bytes sent and received by the other collectives (building, probes, this report).
    pub other_collective_bytes: u64,
    /// Spikes its neurons fired.
    pub own_spikes: u64,
}

impl RankEngine {
    /// A rank around `inner`, which runs `plan` (a rank's plan), exchanging over `comm`
    /// every `interval` ticks.
    pub fn new(
        inner: Box<dyn Engine>,
        plan: &Plan,
        comm: Comm,
        interval: u32,
        global_synapses: u64,
    ) -> Result<Self> {
        let Some(part) = plan.partition.as_deref() else {
            return Err(invalid(
                "plan",
                "single-process",
                "a rank engine runs a rank's plan (Plan::for_rank)",
            ));
        };
        Ok(Self {
            inner,
            global_ids: part.global_ids.clone(),
            populations: part
                .global_populations
                .iter()
                .map(|p| (p.gpu.start, p.gpu.size))
                .collect(),
            comm,
            interval: u64::from(interval.max(1)),
            since: 0,
            span_start: 0,
            pending: Vec::new(),
            scratch: Vec::new(),
            spikes: 0,
            events: 0,
            own_synapses: plan.synapses.len() as u64,
            global_synapses,
            compute_s: 0.0,
            exchanges: 0,
            exchange_stats: CommStats::default(),
            stop: None,
            projection_sizes: part.projection_sizes.clone(),
            weight_maps: weight_maps(plan, part),
            state_plan: None,
        })
    }

    /// Keeps `plan`, the rank's plan the inner engine runs, without its synapses (the
    /// engine holds them): checkpoints export and import the inner engine's state with it.
    pub fn keep_state_plan(&mut self, mut plan: Plan) {
        plan.synapses = Vec::new();
        plan.row_ptr = Vec::new();
        plan.weights = Vec::new();
        plan.col_ptr = Vec::new();
        plan.col_entries = Vec::new();
        self.state_plan = Some(Box::new(plan));
    }

    fn state_plan(&self) -> Result<&Plan> {
        self.state_plan
            .as_deref()
            .ok_or_else(|| not_distributed("checkpoints of a rank built without its plan"))
    }

    /// Imports this rank's own state: the inner engine's, its weights set apart (the plan
    /// kept has no synapses to check them against).
    fn import_own(&mut self, state: &EngineState) -> Result<()> {
        // A static network's weights never change on a rank (setting them is refused), so they
        // stay as built: a compact GPU rank checkpoints none, and a CPU rank's are not pushed
        // into a GPU rank's storage (a resume on another backend).
        let static_kept = self.weight_maps.iter().all(Option::is_none);
        if !(static_kept && state.weights.is_empty()) && state.weights.len() as u64 != self.own_synapses {
            return Err(invalid(
                "checkpoint",
                format!("{} weights", state.weights.len()),
                &format!("this rank stores {} synapses", self.own_synapses),
            ));
        }
        let mut own = state.clone();
        let weights = std::mem::take(&mut own.weights);
        let plan = self.state_plan.as_deref().expect("checked by the caller");
        self.inner.import_state(plan, &own)?;
        if static_kept {
            return Ok(());
        }
        self.inner.set_weights(plan, &weights)
    }

    /// The collectives.
    pub fn comm(&self) -> &Comm {
        &self.comm
    }

    /// The signal (SIGINT, SIGTERM) some rank had received by the last exchange, the same on
    /// every rank: from then on the rank runs no tick, and the run stops at that tick.
    pub fn agreed_stop(&self) -> Option<i32> {
        self.stop
    }

    /// Projection `k`'s synapses with their current weights, every rank's, in a single
    /// process's order: a collective (every rank must ask for the same projection). Plastic
    /// projections only (`plan`: the simulator's, which the inner engine ignores).
    pub fn projection_weights(&self, plan: &Plan, k: usize) -> Result<ProjectionWeights> {
        let Some(map) = self.weight_maps.get(k).and_then(Option::as_ref) else {
            return Err(not_distributed("the weights of a static projection"));
        };
        let weights = match self.inner.weights(plan) {
            Ok(w) => w,
            Err(e) => {
                self.comm.share_failure(&e);
                return Err(e);
            }
        };
        let words: Vec<u32> = map
            .iter()
            .flat_map(|e| [e.index, e.pre, e.post, weights[e.merged as usize].to_bits()])
            .collect();
        let gathered = self.comm.all_gather(Ok(&words), 0)?;
        let n = self.projection_sizes[k] as usize;
        let mut out = ProjectionWeights {
            pre: vec![0; n],
            post: vec![0; n],
            weights: vec![0.0; n],
        };
        let mut filled = 0usize;
        for e in gathered.parts.iter().flat_map(|p| p.chunks_exact(4)) {
            let i = e[0] as usize;
            if i < n {
                (out.pre[i], out.post[i], out.weights[i]) = (e[1], e[2], f32::from_bits(e[3]));
                filled += 1;
            }
        }
        if filled != n {
            return Err(Error::RankFailed {
                rank: self.comm.rank(),
                message: format!("the ranks hold {filled} synapses of projection {k}, which has {n}"),
                input: false,
            });
        }
        Ok(out)
    }

    /// Time and bytes in collectives so far.
    pub fn comm_stats(&self) -> CommStats {
        self.comm.stats()
    }

    /// This rank's figures so far (`bio_s`: biological seconds run).
    pub fn report(&self, bio_s: f64) -> RankReport {
        let c = self.exchange_stats;
        let all = self.comm.stats();
        let per_s = |b: u64| if bio_s > 0.0 { b as f64 / bio_s } else { 0.0 };
        RankReport {
            rank: self.comm.rank(),
            neurons: self.global_ids.len() as u32,
            synapses: self.own_synapses,
            interval_ticks: self.interval,
            exchanges: self.exchanges,
            compute_s: self.compute_s,
            communication_s: c.transfer_s,
            wait_s: c.wait_s,
            bytes_sent_per_bio_s: per_s(c.bytes_sent),
            bytes_received_per_bio_s: per_s(c.bytes_received),
            other_collective_bytes: all.bytes_sent + all.bytes_received - c.bytes_sent - c.bytes_received,
            own_spikes: self.inner.counters().spikes,
        }
    }

    /// Runs `step` ticks of the inner engine (no boundary inside) and files its spikes under
    /// their global ids.
    fn run_inner(&mut self, step: u64) -> Result<()> {
        let t0 = Instant::now();
        self.scratch.clear();
        let ran = self.inner.run_ticks(step, &mut self.scratch);
        self.compute_s += t0.elapsed().as_secs_f64();
        ran?;
        let ids = &self.global_ids;
        self.pending.extend(self.scratch.iter().map(|s| Spike {
            tick: s.tick,
            neuron: ids[s.neuron as usize],
        }));
        self.since += step;
        Ok(())
    }

    /// Exchanges the spikes of the ticks since the last exchange (or this rank's failure),
    /// delivers every rank's and appends them to `out` in (tick, neuron) order.
    fn exchange(&mut self, status: Result<()>, out: &mut Vec<Spike>) -> Result<()> {
        let events_before = self.inner.counters().syn_events;
        let gathered = match status {
            Ok(()) => {
                let words = self.spike_words();
                let before = self.comm.stats();
                let gathered = self.comm.all_gather(Ok(&words), events_before)?;
                let after = self.comm.stats();
                let x = &mut self.exchange_stats;
                x.collectives += 1;
                x.wait_s += after.wait_s - before.wait_s;
                x.transfer_s += after.transfer_s - before.transfer_s;
                x.bytes_sent += after.bytes_sent - before.bytes_sent;
                x.bytes_received += after.bytes_received - before.bytes_received;
                gathered
            }
            Err(e) => {
                // The other ranks learn of it here and fail with this message too.
                self.comm.share_failure(&e);
                return Err(e);
            }
        };
        if let Some(r) = gathered.parts.iter().position(|p| p.is_empty()) {
            // Every exchange part starts with a signal word: rank r is in another collective.
            return Err(Error::RankFailed {
                rank: r as u32,
                message: "sent no spikes at an exchange: the ranks are out of step".into(),
                input: false,
            });
        }
        // Each rank's first word is the signal it has seen (0: none).
        self.stop = gathered.parts.iter().map(|p| p[0] as i32).find(|&s| s != 0);
        let parts: Vec<&[u32]> = gathered.parts.iter().map(|p| &p[1..]).collect();
        let merged = merge_spikes(&parts, self.span_start, self.since);
        let t0 = Instant::now();
        self.inner.deliver_spikes(&merged)?;
        self.compute_s += t0.elapsed().as_secs_f64();
        // Every rank's events delivered before this exchange: the figures lag one exchange
        // behind, and `counters` adds this rank's latest ones.
        self.events = gathered.figures.iter().sum();
        self.spikes += merged.len() as u64;
        self.exchanges += 1;
        out.extend_from_slice(&merged);
        self.pending.clear();
        self.span_start += self.since;
        self.since = 0;
        Ok(())
    }

    /// The signal this rank has seen (0: none), then its spikes since the last exchange: per
    /// tick a count, then the ids.
    fn spike_words(&self) -> Vec<u32> {
        let mut words = vec![0u32; 1 + self.since as usize];
        words[0] = crate::app::signals::received().unwrap_or(0) as u32;
        for s in &self.pending {
            words[1 + (s.tick - self.span_start) as usize] += 1;
        }
        words.extend(self.pending.iter().map(|s| s.neuron));
        words
    }
}

/// Every rank's spike words of a span of `ticks` ticks from `start` as one list in (tick,
/// neuron) order.
fn merge_spikes(parts: &[&[u32]], start: u64, ticks: u64) -> Vec<Spike> {
    let t = ticks as usize;
    let mut cursor: Vec<usize> = vec![t; parts.len()];
    let mut merged = Vec::with_capacity(parts.iter().map(|p| p.len().saturating_sub(t)).sum());
    for x in 0..t {
        let begin = merged.len();
        for (part, at) in parts.iter().zip(&mut cursor) {
            let count = part[x] as usize;
            merged.extend(part[*at..*at + count].iter().map(|&neuron| Spike {
                tick: start + x as u64,
                neuron,
            }));
            *at += count;
        }
        merged[begin..].sort_unstable();
    }
    merged
}

/// The error of what a distributed run does not offer yet.
fn not_distributed(what: &str) -> crate::error::Error {
    invalid(
        what,
        "a distributed run",
        "is not available across ranks yet; run the network in one process for it",
    )
}

/// The one word each rank sends with its event count at the end of `run_ticks`.
const EVENTS_MARK: u32 = 0xE7E7_0001;

impl Engine for RankEngine {
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    fn adapter_name(&self) -> String {
        format!(
            "{} (rank {} of {})",
            self.inner.adapter_name(),
            self.comm.rank(),
            self.comm.size()
        )
    }

    /// Runs `ticks` ticks, fewer once the ranks have agreed to stop on a signal
    /// ([`RankEngine::agreed_stop`]): the simulator's tick count says how many ran.
    fn run_ticks(&mut self, ticks: u64, out: &mut Vec<Spike>) -> Result<()> {
        let mut left = ticks;
        while left > 0 && self.stop.is_none() {
            let step = left.min(self.interval - self.since);
            if let Err(e) = self.run_inner(step) {
                return self.exchange(Err(e), out);
            }
            left -= step;
            if self.since == self.interval || left == 0 {
                self.exchange(Ok(()), out)?;
            }
        }
        if ticks > 0 {
            // Each exchange sums the events delivered before it: add the last delivery's, so
            // that the run's totals are a single process's.
            // The marker tells this collective from an exchange should the ranks be out of step.
            let mine = self.inner.counters().syn_events;
            let gathered = self.comm.all_gather(Ok(&[EVENTS_MARK]), mine)?;
            if let Some(r) = gathered.parts.iter().position(|p| p[..] != [EVENTS_MARK]) {
                return Err(Error::RankFailed {
                    rank: r as u32,
                    message: "sent spikes where every rank sends its event count: the ranks are out of step"
                        .into(),
                    input: false,
                });
            }
            self.events = gathered.figures.iter().sum();
        }
        Ok(())
    }

    fn set_nonfinite_policy(&mut self, policy: NonFinitePolicy) -> Result<()> {
        self.inner.set_nonfinite_policy(policy)
    }

    fn nonfinite(&self) -> Option<NonFiniteFault> {
        self.inner.nonfinite().map(|f| NonFiniteFault {
            neuron: self.global_ids[f.neuron as usize],
            ..f
        })
    }

    /// This rank's state: its inner engine's (its neurons, its synapses' weights, the
    /// exchanged spike history by global neuron). Every exchange is complete between
    /// `run_ticks` calls, so nothing of the exchange is pending.
    fn export_state(&self, _plan: &Plan) -> Result<EngineState> {
        self.inner.export_state(self.state_plan()?)
    }

    /// Continues from this rank's `state` (a collective: every rank imports its own, and a
    /// failure on any fails every rank); the run's spike and event totals are summed anew.
    fn import_state(&mut self, _plan: &Plan, state: &EngineState) -> Result<()> {
        let imported = self
            .state_plan()
            .map(|_| ())
            .and_then(|()| self.import_own(state));
        self.comm.agree(imported)?;
        let c = self.inner.counters();
        let gathered = self
            .comm
            .all_gather(Ok(&[c.spikes as u32, (c.spikes >> 32) as u32]), c.syn_events)?;
        self.spikes = gathered
            .parts
            .iter()
            .map(|w| u64::from(w[0]) | u64::from(w[1]) << 32)
            .sum();
        self.events = gathered.figures.iter().sum();
        self.pending.clear();
        (self.since, self.span_start, self.stop) = (0, state.tick, None);
        Ok(())
    }

    fn set_currents(&mut self, _plan: &Plan) -> Result<()> {
        Err(not_distributed("changing current sources during a run"))
    }

    fn counters(&self) -> RunCounters {
        RunCounters {
            ticks: self.inner.counters().ticks,
            spikes: self.spikes,
            syn_events: self.events,
        }
    }

    /// Every neuron's state in global order: a collective (every rank samples its probes at
    /// the same ticks), each rank's states placed at its neurons' global ids.
    fn neuron_state(&self) -> Result<Vec<NeuronState>> {
        let mine = self.inner.neuron_state();
        let words: Vec<u32> = match &mine {
            Ok(states) => bytemuck::cast_slice::<NeuronState, u32>(states).to_vec(),
            Err(e) => {
                self.comm.share_failure(e);
                return mine;
            }
        };
        let gathered = self.comm.all_gather(Ok(&words), 0)?;
        let ranks = self.comm.size();
        let n: u32 = self.populations.iter().map(|p| p.1).sum();
        let mut state = vec![NeuronState::default(); n as usize];
        let per = size_of::<NeuronState>() / 4;
        for (r, words) in gathered.parts.iter().enumerate() {
            let mut states = words.chunks_exact(per);
            for &(start, size) in &self.populations {
                for k in 0..owned_count(size, r as u32, ranks) {
                    let w = states.next().ok_or_else(|| Error::RankFailed {
                        rank: r as u32,
                        message: "sent fewer neuron states than it owns neurons".into(),
                        input: false,
                    })?;
                    state[(start + r as u32 + k * ranks) as usize] =
                        bytemuck::pod_read_unaligned(bytemuck::cast_slice(w));
                }
            }
        }
        Ok(state)
    }

    fn equation_extra(&self, _plan: &Plan, _eq: usize, _variable: usize) -> Result<Vec<f32>> {
        Err(not_distributed("a user-defined model's variables past the sixth"))
    }

    fn input_ring(&self) -> Result<Vec<i32>> {
        Err(not_distributed("the input ring"))
    }

    fn weights(&self, _plan: &Plan) -> Result<Vec<f32>> {
        Err(not_distributed("weights"))
    }

    fn set_weights(&mut self, _plan: &Plan, _weights: &[f32]) -> Result<()> {
        Err(not_distributed("setting weights"))
    }

    fn request_weights(&self, _plan: &Plan, _synapses: Range<u32>) -> Result<WeightCopy> {
        Err(not_distributed("weights"))
    }

    fn finish_weights(&self, _copy: &WeightCopy, _wait: bool) -> Result<Option<Vec<f32>>> {
        Err(not_distributed("weights"))
    }

    fn eligibility(&self) -> Result<Vec<f32>> {
        Ok(Vec::new())
    }

    fn modulator_levels(&self) -> Result<Vec<f32>> {
        self.inner.modulator_levels()
    }

    /// Sets a level on this rank: every rank runs the same program, so each sets the same
    /// level between the same ticks (a closed loop decides from the spikes, which every
    /// rank holds), and the levels stay those of one process.
    fn set_modulator(&mut self, channel: usize, level: f32) -> Result<()> {
        self.inner.set_modulator(channel, level)
    }

    /// Every rank's synapses: the simulator's view of the network stores none itself.
    fn generated_synapses(&self) -> u64 {
        self.global_synapses
    }

    fn compact_bytes_per_synapse(&self) -> Option<f64> {
        self.inner.compact_bytes_per_synapse()
    }

    fn gpu(&self) -> Option<&GpuBackend> {
        self.inner.gpu()
    }

    fn deliver_spikes(&mut self, _spikes: &[Spike]) -> Result<()> {
        Err(invalid(
            "deliver_spikes",
            "a rank engine",
            "delivers the spikes it exchanges itself",
        ))
    }

    fn rank_engine(&self) -> Option<&RankEngine> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_spikes_come_in_tick_then_neuron_order() {
        // Two ranks, three ticks: rank 0 fired 4 at tick 0 and 2 at tick 2; rank 1 fired 1
        // at tick 0 and 7, 3 at tick 1.
        let parts: Vec<&[u32]> = vec![&[1, 0, 1, 4, 2], &[1, 2, 0, 1, 7, 3]];
        let merged = merge_spikes(&parts, 10, 3);
        let pairs: Vec<(u64, u32)> = merged.iter().map(|s| (s.tick, s.neuron)).collect();
        assert_eq!(pairs, vec![(10, 1), (10, 4), (11, 3), (11, 7), (12, 2)]);
    }
}
