//! The CPU reference backend. It mirrors the shaders stage for stage, with the same names,
//! the same order and the same buffer meaning; it is the oracle the GPU is tested against and
//! the fallback when no adapter exists.
//!
//! One tick runs the stages of [`tick_schedule`] in order, as the GPU encoder does; each
//! stage's twin here is a method with the stage's name, and `Worker::run_stage` is the one
//! place where the two meet:
//! 1. `poisson_input`, `current_input` (`inputs.rs`): this tick's Poisson counts into the
//!    current ring slot and injected currents into the current accumulator, in fixed point;
//! 2. `neuron_update`: take this tick's inputs, advance each neuron with its model, record
//!    the spikes (ascending here; in arbitrary order on the GPU);
//! 3. `prepare_propagate`, `propagate`, `propagate_procedural` (`propagate.rs`): each spiking
//!    neuron's last spike tick for STDP, then each spike's row added in fixed point into its
//!    targets' rings at slot `(tick + delay) % D`;
//! 4. `stdp_traces`, `stdp_pre`, `stdp_post` (`stdp.rs`), `modulated_update`: plasticity;
//! 5. `tick_end`: counters, the tick advance and neuromodulator relaxation.
//!
//! # Threads
//!
//! The backend runs on a pool of threads created with it ([`pool`]). Thread `t` owns a
//! contiguous range of neurons, and everything that belongs to them: their state, their
//! input ring and current accumulator, and every synapse that targets them ([`synapses`]).
//! In each stage it does the work of its own neurons and synapses only: it updates its
//! neurons, draws their Poisson input, and walks the rows of *every* spike delivering only to
//! its own targets. So no two threads ever write the same accumulator or weight, no atomic
//! read-modify-write is needed, and each synapse's plasticity updates happen in one thread,
//! in the same order as on one thread. Fixed-point sums do not depend on the order of their
//! terms, so the spike trains, weights and hashes are those of one thread, for every thread
//! count.
//!
//! The threads meet once per tick, after `neuron_update`, when each has published its
//! ascending spike list (their concatenation in thread order is the tick's ascending list),
//! and once more on a neuromodulator update tick. What they read from each other (spike
//! lists, STDP traces, neuromodulator levels) lives in [`Shared`], in atomics, and is
//! always from an earlier tick or behind the barrier.

use std::ops::Range;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::{Mutex, PoisonError};

use crate::neurons::model_id;
use crate::plan::layout::{CurrentGpu, NeuronState, PlasticGpu, PopGpu, Synapse};
use crate::plan::{PORTS, Plan, to_fixed};
use crate::rng::philox4x32_10;
use crate::sim::schedule::{TickStage, tick_schedule};
use crate::sim::{NonFiniteFault, NonFinitePolicy, Spike};

mod deliver;
mod engine_state;
mod equation_update;
mod inputs;
mod modulated_update;
mod neuron_update;
pub mod pool;
mod propagate;
mod setters;
mod short_term;
mod state;
mod stdp;
mod stochastic;
mod synapses;

pub use inputs::{current_amplitude, poisson_count, quadrant_sine, sine_amplitude};
pub use modulated_update::relax_modulators;
pub use stdp::{apply_change, depression, potentiation, trace_step};

use equation_update::EquationRun;
use pool::{Barrier, Pool};
use state::StateArrays;
use synapses::SynapseStore;

/// Most threads a CPU backend may run on.
pub const MAX_THREADS: usize = 1024;

/// Neurons per block of a thread's range: boundaries on whole cache lines of state.
const RANGE_ALIGN: u32 = 16;

/// State of the CPU backend.
pub struct CpuBackend {
    plan: Plan,
    /// One per thread: its neurons, their inputs and the synapses targeting them.
    parts: Vec<Mutex<Part>>,
    shared: Shared,
    pool: Pool,
    tick: u64,
    /// Per population: no threshold adaptation and every `u` 0, so `u` stays 0 for good.
    fixed_threshold: Vec<bool>,
    /// Per population: every neuron has the same per-neuron parameters.
    uniform_params: Vec<bool>,
    /// Whether the tick loop runs the AVX2 build of the stages.
    avx2: bool,
    /// The stages of one tick, in order ([`tick_schedule`]).
    schedule: Vec<TickStage>,
    /// The stages run, when a test asked for them ([`CpuBackend::log_stages`]).
    stage_log: Option<Vec<TickStage>>,
    /// The watchdog's record imported with a state (the parts keep what they see).
    imported_fault: Option<NonFiniteFault>,
    nonfinite: NonFinitePolicy,
    /// A plastic rank's exchanged spikes (`deliver.rs`).
    exchanged: deliver::Exchanged,
}

/// What one thread owns.
struct Part {
    /// The owned neurons (global indices).
    own: Range<u32>,
    state: StateArrays,
    /// Fixed-point input ring of the owned neurons, `[port][slot][own neuron]`.
    ring: Vec<i32>,
    current_in: Vec<i32>,
    /// Tick of each owned neuron's last spike (`u64::MAX`: none yet).
    spiked_at: Vec<u64>,
    synapses: SynapseStore,
    /// Tsodyks-Markram state (`None` without short-term plasticity).
    short_term: Option<short_term::ShortTermState>,
    /// The owned neurons of populations of user-defined models, run by their compiled
    /// programs.
    equations: Vec<EquationRun>,
    /// Scratch: which owned neurons spiked this tick.
    spiked: Vec<u8>,
    /// Scratch for the post-side STDP walk.
    column: Vec<f32>,
    spikes: u64,
    events: u64,
    /// The first non-finite state the watchdog saw among the owned neurons.
    fault: Option<NonFiniteFault>,
}

/// What the threads read from each other: spike lists, STDP traces, neuromodulator levels.
struct Shared {
    /// First neuron of each thread's range, and the neuron count last.
    bounds: Vec<u32>,
    /// Spike-list slots: the tick's spikes stay readable until `slots` ticks later.
    slots: u32,
    /// `[slot][neuron]`: thread `t`'s spikes of a tick, ascending, from `bounds[t]`.
    spike_ids: Vec<AtomicU32>,
    /// `[slot][thread]`: how many.
    spike_counts: Vec<AtomicU32>,
    /// STDP trace histories (f32 bits), laid out as `Plan::trace_len` describes.
    traces: Vec<AtomicU32>,
    /// Neuromodulator levels, baselines and decays (f32 bits, see `Plan::modulators`).
    modulators: Vec<AtomicU32>,
    /// The first tick in which a thread's watchdog saw a non-finite state (`u64::MAX`: none).
    fault_tick: AtomicU64,
}

impl Shared {
    fn threads(&self) -> usize {
        self.bounds.len() - 1
    }

    fn slot(&self, tick: u64) -> usize {
        (tick % u64::from(self.slots)) as usize
    }

    /// Thread `t`'s spikes of the tick filed in `slot`.
    fn spikes_of(&self, slot: usize, t: usize) -> impl Iterator<Item = u32> + '_ {
        let n = *self.bounds.last().expect("bounds") as usize;
        let count = self.spike_counts[slot * self.threads() + t].load(Relaxed) as usize;
        let first = slot * n + self.bounds[t] as usize;
        self.spike_ids[first..first + count]
            .iter()
            .map(|x| x.load(Relaxed))
    }

    /// Every spike of the tick filed in `slot`, ascending.
    fn spikes(&self, slot: usize) -> impl Iterator<Item = u32> + '_ {
        (0..self.threads()).flat_map(move |t| self.spikes_of(slot, t))
    }

    fn trace(&self, i: usize) -> f32 {
        f32::from_bits(self.traces[i].load(Relaxed))
    }

    fn set_trace(&self, i: usize, x: f32) {
        self.traces[i].store(x.to_bits(), Relaxed);
    }

    fn modulator(&self, i: usize) -> f32 {
        f32::from_bits(self.modulators[i].load(Relaxed))
    }
}

fn atomics(values: impl IntoIterator<Item = u32>) -> Vec<AtomicU32> {
    values.into_iter().map(AtomicU32::new).collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Splits the neurons into `threads` contiguous ranges of about equal work (a neuron's
/// update, input and incoming synapses), on multiples of [`RANGE_ALIGN`].
fn split_neurons(plan: &Plan, threads: usize) -> Vec<u32> {
    let n = plan.n_neurons as usize;
    // A neuron update costs about as much as delivering a few dozen synaptic events at the
    // usual rates; the exact weight only moves the boundaries a little.
    let mut work = vec![32u64; n];
    for syn in &plan.synapses {
        work[syn.post as usize] += 1;
    }
    let total: u64 = work.iter().sum();
    let mut bounds = vec![0u32];
    let mut done = 0u64;
    let mut next = 1;
    for (j, w) in work.iter().enumerate() {
        if next < threads && done * threads as u64 >= total * next as u64 {
            let at = (j as u32).next_multiple_of(RANGE_ALIGN).min(n as u32);
            bounds.push(at.max(*bounds.last().expect("bounds")));
            next += 1;
        }
        done += w;
    }
    while bounds.len() < threads + 1 {
        bounds.push(n as u32);
    }
    *bounds.last_mut().expect("bounds") = n as u32;
    bounds
}

/// Names the environment variable that caps the default thread count (as `OMP_NUM_THREADS` does
/// for OpenMP programs): test harnesses and batch jobs that already run one simulation per core
/// set it to 1, so that the per-tick barrier never waits for a thread the OS has descheduled.
pub const THREADS_ENV: &str = "SPIKEGPU_THREADS";

/// The threads to run on by default: every core that other work leaves free now
/// ([`free_cores`]), or at most `SPIKEGPU_THREADS` where it is set to a positive integer
/// (another value is ignored with a warning).
pub fn default_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match std::env::var(THREADS_ENV) {
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(n) if n > 0 => n.min(cores),
            _ => {
                log::warn!("{THREADS_ENV}={text:?} ignored: expected a whole number >= 1");
                free_cores(cores)
            }
        },
        Err(_) => free_cores(cores),
    }
}

/// The cores of `cores` that no other runnable thread occupies now (at least one), as
/// OpenMP's dynamic mode sizes its teams: on a busy machine each per-tick barrier waits for
/// a thread the OS has descheduled, so a run on every core can be many times slower than on
/// the free ones (CUBA on 2 busy cores: 22 s on 2 threads, 0.8 s on 1). The least of a few
/// samples of the kernel's count of runnable threads (`/proc/loadavg`, this thread
/// included), so that a passing process does not halve an idle machine's threads.
fn free_cores(cores: usize) -> usize {
    let runnable = |_| -> Option<usize> {
        let text = std::fs::read_to_string("/proc/loadavg").ok()?;
        let field = text.split_whitespace().nth(3)?;
        let count = field.split('/').next()?.parse().ok();
        std::thread::sleep(std::time::Duration::from_micros(500));
        count
    };
    let Some(runnable) = (0..5)
        .map(runnable)
        .collect::<Option<Vec<usize>>>()
        .and_then(|v| v.into_iter().min())
    else {
        return cores;
    };
    let online = online_cpus().unwrap_or(cores);
    let free = free_of(cores, online, runnable);
    if free < cores {
        log::info!(
            "{} of {cores} cores busy with other work: the CPU backend runs on {free} threads by default",
            cores - free
        );
    }
    free
}

/// Of `cores` usable cores among `online` CPUs, those free of the other `runnable - 1`
/// runnable threads, taken as spread evenly over the online CPUs: a container limited to a
/// few of a large host's CPUs sees the whole host's count in `/proc/loadavg`.
fn free_of(cores: usize, online: usize, runnable: usize) -> usize {
    let others = runnable.saturating_sub(1);
    let here = others.saturating_mul(cores) / online.max(cores).max(1);
    cores.saturating_sub(here).max(1)
}

/// The CPUs the kernel has online (`/sys/devices/system/cpu/online`, e.g. `0-3,8-11`).
fn online_cpus() -> Option<usize> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/online").ok()?;
    let mut count = 0;
    for range in text.trim().split(',') {
        let (first, last) = range.split_once('-').unwrap_or((range, range));
        let (first, last): (usize, usize) = (first.parse().ok()?, last.parse().ok()?);
        count += last.checked_sub(first)? + 1;
    }
    (count > 0).then_some(count)
}

/// Stored synapses per thread below which another thread costs more at the per-tick barrier
/// than it saves (a small network's tick is a few microseconds).
const SYNAPSES_PER_THREAD: usize = 100_000;

/// The threads to run `plan` on by default: every core, but no more than one per
/// [`SYNAPSES_PER_THREAD`] synapses, so that a tiny network runs on one thread.
pub fn threads_for(plan: &Plan) -> usize {
    default_threads().min(1 + plan.synapses.len() / SYNAPSES_PER_THREAD)
}

fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl CpuBackend {
    /// Prepares the state from the plan, to run on every core.
    pub fn new(plan: &Plan) -> Self {
        Self::with_threads(plan, threads_for(plan))
    }

    /// Prepares the state from the plan, to run on `threads` threads (clamped to
    /// 1..=[`MAX_THREADS`]). The results do not depend on the thread count.
    pub fn with_threads(plan: &Plan, threads: usize) -> Self {
        Self::with_storage(plan, threads, true)
    }

    /// As [`CpuBackend::with_threads`], keeping the synapses in the plan's wide format unless
    /// `compact` (where the compact one qualifies): for comparing the two, which give the same
    /// results.
    pub fn with_storage(plan: &Plan, threads: usize, compact: bool) -> Self {
        let threads = threads.clamp(1, MAX_THREADS);
        // A rank's rows are by global neuron, which the compact store does not index.
        let compact = compact && plan.partition.is_none();
        let pool = Pool::new(threads);
        let bounds = split_neurons(plan, threads);
        let slots = if plan.plastic.is_empty() {
            2
        } else {
            plan.hist_len.max(2)
        };
        let n = plan.n_neurons as usize;
        let shared = Shared {
            slots,
            spike_ids: atomics(std::iter::repeat_n(0, slots as usize * n)),
            spike_counts: atomics(std::iter::repeat_n(0, slots as usize * threads)),
            traces: atomics(std::iter::repeat_n(0.0f32.to_bits(), plan.trace_len as usize)),
            modulators: atomics(plan.modulators.iter().map(|x| x.to_bits())),
            fault_tick: AtomicU64::new(u64::MAX),
            bounds,
        };
        let built: Vec<Mutex<Option<Part>>> = (0..threads).map(|_| Mutex::new(None)).collect();
        pool.run(&|t| {
            let own = shared.bounds[t]..shared.bounds[t + 1];
            *lock(&built[t]) = Some(Part::new(plan, &plan.weights, own, compact));
        });
        let parts = built
            .into_iter()
            .map(|p| {
                Mutex::new(
                    p.into_inner()
                        .unwrap_or_else(PoisonError::into_inner)
                        .expect("built"),
                )
            })
            .collect();
        let mut own_plan = plan.clone();
        // The synapses live in the parts now; the plan keeps the weights of a compact store
        // (which holds them only in fixed point) for `weights`.
        own_plan.synapses = Vec::new();
        own_plan.row_ptr = Vec::new();
        own_plan.col_ptr = Vec::new();
        own_plan.col_entries = Vec::new();
        let mut backend = Self {
            fixed_threshold: setters::fixed_thresholds(plan, &plan.initial_state),
            uniform_params: plan
                .populations
                .iter()
                .map(|p| {
                    let q = &plan.neuron_params[p.gpu.start as usize..(p.gpu.start + p.gpu.size) as usize];
                    q.iter().all(|x| x == &q[0])
                })
                .collect(),
            plan: own_plan,
            parts,
            shared,
            pool,
            tick: 0,
            avx2: avx2_available(),
            schedule: tick_schedule(plan),
            stage_log: None,
            imported_fault: None,
            nonfinite: NonFinitePolicy::default(),
            exchanged: Default::default(),
        };
        backend.forget_wide_weights();
        backend
    }

    /// Wide stores hold the weights themselves: the plan's copy would go stale.
    fn forget_wide_weights(&mut self) {
        if !self.compact() {
            self.plan.weights = Vec::new();
        }
    }

    /// Whether the synapses are in the compact format.
    fn compact(&mut self) -> bool {
        self.parts.iter_mut().all(|p| {
            !matches!(
                p.get_mut().unwrap_or_else(PoisonError::into_inner).synapses,
                SynapseStore::Wide(_)
            )
        })
    }

    /// Threads the backend runs on.
    pub fn threads(&self) -> usize {
        self.pool.threads()
    }

    /// Uses the AVX2 build of the stages when `on` and the processor has AVX2; returns
    /// whether it is in use. Both builds compute the same values (no fused multiply-add,
    /// no reassociation), only faster; on by default where available.
    pub fn use_avx2(&mut self, on: bool) -> bool {
        self.avx2 = on && avx2_available();
        self.avx2
    }

    /// Runs `ticks` ticks, appending every spike to `out` in (tick, neuron) order. With
    /// [`NonFinitePolicy::Stop`] it stops after a tick in which the watchdog saw a non-finite
    /// state (and runs nothing once it has).
    pub fn run_ticks(&mut self, ticks: u64, out: &mut Vec<Spike>) {
        if self.halted_by_fault() {
            return;
        }
        let first_tick = self.tick;
        let stop_on_fault = self.nonfinite == NonFinitePolicy::Stop;
        let ran = AtomicU64::new(0);
        let out = Mutex::new(Some(out));
        let log = Mutex::new(self.stage_log.as_mut());
        let (plan, shared, parts) = (&self.plan, &self.shared, &self.parts);
        let (fixed_threshold, uniform_params) = (&self.fixed_threshold[..], &self.uniform_params[..]);
        let (schedule, barrier, avx2) = (&self.schedule[..], self.pool.barrier(), self.avx2);
        self.pool.run(&|me| {
            let mut part = lock(&parts[me]);
            // Thread 0 alone takes the output and the log.
            let (mut out, mut log) = match me {
                0 => (lock(&out).take(), lock(&log).take()),
                _ => (None, None),
            };
            let mut worker = Worker {
                plan,
                part: &mut part,
                shared,
                barrier,
                me,
                tick: first_tick,
                fixed_threshold,
                uniform_params,
                out: out.take(),
                stage_log: log.take(),
                stop_on_fault,
                halt: false,
            };
            let done = worker.run(schedule, ticks, avx2);
            if me == 0 {
                ran.store(done, Relaxed);
            }
        });
        self.tick += ran.into_inner();
    }

    /// Whether the watchdog has stopped the run.
    fn halted_by_fault(&self) -> bool {
        self.nonfinite == NonFinitePolicy::Stop && self.nonfinite().is_some()
    }

    /// What the run does on a non-finite state from now on.
    pub fn set_nonfinite_policy(&mut self, policy: NonFinitePolicy) {
        self.nonfinite = policy;
    }

    /// The first non-finite state the watchdog saw, if any: the lowest neuron of the first
    /// tick in which any thread saw one.
    pub fn nonfinite(&self) -> Option<NonFiniteFault> {
        self.parts
            .iter()
            .filter_map(|p| lock(p).fault)
            .chain(self.imported_fault)
            .min_by_key(|f| (f.tick, f.neuron))
    }

    /// Starts (or stops and clears) a log of the stages run, in order, for checking that the
    /// backend runs exactly [`tick_schedule`]'s stages.
    pub fn log_stages(&mut self, on: bool) {
        self.stage_log = on.then(Vec::new);
    }

    /// The stages run since [`CpuBackend::log_stages`] turned the log on (empty when off).
    pub fn stages_run(&self) -> &[TickStage] {
        self.stage_log.as_deref().unwrap_or_default()
    }

    /// The next tick to run.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// Total spikes so far.
    pub fn total_spikes(&self) -> u64 {
        self.parts.iter().map(|p| lock(p).spikes).sum()
    }

    /// Total synaptic events delivered so far.
    pub fn total_events(&self) -> u64 {
        self.parts.iter().map(|p| lock(p).events).sum()
    }

    /// Neuron state, in neuron order (populations of user-defined models: their first six
    /// variables in `v, u, w1, w2, syn_e, syn_i`, and their refractory counters).
    pub fn state(&self) -> Vec<NeuronState> {
        let mut out = Vec::with_capacity(self.plan.n_neurons as usize);
        for p in &self.parts {
            lock(p).state.append_to(&mut out);
        }
        for p in &self.parts {
            for run in &lock(p).equations {
                run.mirror_into(&mut out);
            }
        }
        out
    }

    /// Values of variable `name` of the user-defined model of population `eq`, for each of
    /// its neurons (gathered from the threads' shares).
    pub fn equation_variable(&self, eq: &crate::plan::equations::EquationPlan, name: &str) -> Vec<f32> {
        let mut out = vec![0.0; eq.size as usize];
        for p in &self.parts {
            let part = lock(p);
            let shares = part.equations.iter().filter(|r| r.population == eq.population);
            for (start, values) in shares.filter_map(|r| r.variable(name)) {
                let at = start - eq.start as usize;
                out[at..at + values.len()].copy_from_slice(values);
            }
        }
        out
    }

    /// Weights of all synapses (merged CSR order).
    pub fn weights(&self) -> Vec<f32> {
        if !self.plan.weights.is_empty() {
            return self.plan.weights.clone();
        }
        let mut all = vec![0.0; self.parts.iter().map(|p| lock(p).synapses.len()).sum()];
        for p in &self.parts {
            if let SynapseStore::Wide(store) = &lock(p).synapses {
                for (&s, &w) in store.plan_index.iter().zip(&store.weights) {
                    all[s as usize] = w;
                }
            }
        }
        all
    }

    /// Takes the plan's current tables from the next tick on.
    pub fn set_currents(&mut self, plan: &Plan) {
        self.plan.currents = plan.currents.clone();
        self.plan.current_steps = plan.current_steps.clone();
    }

    /// Replaces the weights of all synapses of `plan` (the plan the backend was built from;
    /// checked by the caller).
    pub fn set_weights(&mut self, plan: &Plan, weights: &[f32]) {
        if self.compact() {
            let parts = &self.parts;
            self.pool.run(&|t| {
                let mut part = lock(&parts[t]);
                let own = part.own.clone();
                part.synapses = SynapseStore::build(plan, weights, own, true);
            });
            self.plan.weights = weights.to_vec();
            self.forget_wide_weights();
        } else {
            for p in &mut self.parts {
                if let SynapseStore::Wide(store) =
                    &mut p.get_mut().unwrap_or_else(PoisonError::into_inner).synapses
                {
                    for (&s, w) in store.plan_index.iter().zip(&mut store.weights) {
                        *w = weights[s as usize];
                    }
                }
            }
        }
    }

    /// Eligibility traces of all synapses (empty without reward-modulated projections).
    pub fn eligibility(&self) -> Vec<f32> {
        if self.plan.modulation_interval == 0 {
            return Vec::new();
        }
        let mut all = vec![0.0; self.parts.iter().map(|p| lock(p).synapses.len()).sum()];
        for p in &self.parts {
            if let SynapseStore::Wide(store) = &lock(p).synapses {
                for (&s, &e) in store.plan_index.iter().zip(&store.eligibility) {
                    all[s as usize] = e;
                }
            }
        }
        all
    }

    /// The fixed-point input ring, `[port][slot][neuron]`.
    pub fn input_ring(&self) -> Vec<i32> {
        let (n, d) = (self.plan.n_neurons as usize, self.plan.ring_slots as usize);
        let mut ring = vec![0; PORTS as usize * d * n];
        for p in &self.parts {
            let part = lock(p);
            let own = part.own.start as usize..part.own.end as usize;
            for (row, values) in ring.chunks_mut(n).zip(part.ring.chunks(own.len().max(1))) {
                row[own.clone()].copy_from_slice(&values[..own.len()]);
            }
        }
        ring
    }

    /// Bytes per synapse of the stores the spikes walk (the synapses and the row pointers).
    pub fn bytes_per_synapse(&self) -> f64 {
        let (mut bytes, mut synapses) = (0, 0);
        for p in &self.parts {
            let part = lock(p);
            bytes += part.synapses.delivery_bytes();
            synapses += part.synapses.len();
        }
        if synapses == 0 {
            0.0
        } else {
            bytes as f64 / synapses as f64
        }
    }
}

impl Part {
    fn new(plan: &Plan, weights: &[f32], own: Range<u32>, compact: bool) -> Self {
        let range = own.start as usize..own.end as usize;
        let n_own = range.len();
        let synapses = SynapseStore::build(plan, weights, own.clone(), compact);
        let short_term = match &synapses {
            SynapseStore::Wide(store) => short_term::ShortTermState::new(&plan.short_term, &store.plan_index),
            _ => None,
        };
        Self {
            state: StateArrays::new(&plan.initial_state[range]),
            ring: vec![0; PORTS as usize * plan.ring_slots as usize * n_own],
            current_in: vec![0; n_own],
            spiked_at: vec![u64::MAX; n_own],
            synapses,
            short_term,
            equations: plan
                .equations
                .iter()
                .filter_map(|e| EquationRun::new(e, plan.dt_ms, own.clone()))
                .collect(),
            spiked: vec![0; n_own],
            column: Vec::new(),
            spikes: 0,
            events: 0,
            fault: None,
            own,
        }
    }
}

/// Local index of global neuron `g` in the range `own` (which holds it).
#[inline(always)]
fn local(own: &Range<u32>, g: u32) -> usize {
    (g - own.start) as usize
}

/// The part of the global neuron range `start..start + size` within `own`.
#[inline(always)]
fn owned(own: &Range<u32>, start: u32, size: u32) -> Range<u32> {
    let lo = start.max(own.start);
    lo..(start + size).min(own.end).max(lo)
}

/// One thread's view of a `run_ticks` call: its part, what it shares, and (thread 0) the
/// spike output and the stage log.
struct Worker<'a> {
    plan: &'a Plan,
    part: &'a mut Part,
    shared: &'a Shared,
    barrier: &'a Barrier,
    me: usize,
    tick: u64,
    fixed_threshold: &'a [bool],
    uniform_params: &'a [bool],
    out: Option<&'a mut Vec<Spike>>,
    stage_log: Option<&'a mut Vec<TickStage>>,
    /// Whether a non-finite state stops the run (after the tick that produced it).
    stop_on_fault: bool,
    /// Set after this tick's barrier when the run stops after this tick (the same in every
    /// thread: the fault ticks it compares were written before the barrier).
    halt: bool,
}

impl Worker<'_> {
    /// Runs `ticks` ticks of `schedule`; returns how many ran (fewer when the watchdog
    /// stopped the run).
    fn run(&mut self, schedule: &[TickStage], ticks: u64, avx2: bool) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // SAFETY: `avx2` is set only where `is_x86_feature_detected!("avx2")` said yes.
            return unsafe { self.run_avx2(schedule, ticks) };
        }
        let _ = avx2;
        self.run_portable(schedule, ticks)
    }

    /// The tick loop compiled for AVX2 (with everything it inlines: the stages and the
    /// models' updates).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,bmi1,bmi2,lzcnt,popcnt")]
    fn run_avx2(&mut self, schedule: &[TickStage], ticks: u64) -> u64 {
        self.tick_loop(schedule, ticks)
    }

    /// The tick loop for the baseline instruction set.
    fn run_portable(&mut self, schedule: &[TickStage], ticks: u64) -> u64 {
        self.tick_loop(schedule, ticks)
    }

    #[inline(always)]
    fn tick_loop(&mut self, schedule: &[TickStage], ticks: u64) -> u64 {
        for done in 0..ticks {
            for &stage in schedule {
                self.run_stage(stage);
            }
            if self.halt {
                return done + 1;
            }
        }
        ticks
    }

    /// Runs this thread's part of this tick's twin of `stage`: the one place where a stage
    /// of the schedule meets its CPU method, which bears the stage's name.
    #[inline(always)]
    fn run_stage(&mut self, stage: TickStage) {
        if let Some(log) = self.stage_log.as_deref_mut() {
            log.push(stage);
        }
        match stage {
            TickStage::PoissonInput => self.poisson_input(),
            TickStage::CurrentInput => self.current_input(),
            TickStage::NeuronUpdate => {
                self.neuron_update();
                // The GPU's neuron_update compacts the spikes into its record ring here.
                self.publish_spikes();
            }
            TickStage::PreparePropagate => self.prepare_propagate(),
            TickStage::Propagate => self.propagate(),
            TickStage::PropagateProcedural => self.propagate_procedural(),
            TickStage::StdpTraces => self.stdp_traces(),
            TickStage::StdpPre => self.stdp_pre(),
            TickStage::StdpPost => self.stdp_post(),
            TickStage::ModulatedUpdate => self.modulated_update(),
            TickStage::TickEnd => self.tick_end(),
        }
    }

    /// Waits until every thread has filed this tick's spikes (and flagged a non-finite
    /// state); thread 0 then appends them all to the output, ascending.
    #[inline(always)]
    fn publish_spikes(&mut self) {
        self.barrier.wait(self.me);
        self.halt = self.stop_on_fault && self.shared.fault_tick.load(Relaxed) <= self.tick;
        if let Some(out) = self.out.as_deref_mut() {
            let tick = self.tick;
            out.extend(
                self.shared
                    .spikes(self.shared.slot(tick))
                    .map(|neuron| Spike { tick, neuron }),
            );
        }
    }

    /// `tick_end`: counters, tick advance and neuromodulator relaxation.
    #[inline(always)]
    fn tick_end(&mut self) {
        if self.modulation_tick() {
            // Every thread has read the levels in `modulated_update` before they relax.
            self.barrier.wait(self.me);
            if self.me == 0 {
                let mut levels: Vec<f32> = (0..self.shared.modulators.len())
                    .map(|i| self.shared.modulator(i))
                    .collect();
                relax_modulators(&mut levels);
                for (cell, x) in self.shared.modulators.iter().zip(levels) {
                    cell.store(x.to_bits(), Relaxed);
                }
            }
        }
        self.part.spikes += self
            .shared
            .spikes_of(self.shared.slot(self.tick), self.me)
            .count() as u64;
        self.tick += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::networks;

    #[test]
    fn the_default_threads_leave_the_cores_other_work_occupies() {
        // This machine's own thread counts as runnable: alone, every core is free.
        assert_eq!(free_of(2, 2, 1), 2);
        assert_eq!(free_of(2, 2, 2), 1);
        assert_eq!(free_of(2, 2, 9), 1);
        assert_eq!(free_of(8, 8, 4), 5);
        // A container given 2 of a host's 64 CPUs: 40 other runnable threads over 64 CPUs
        // occupy one of its 2 cores, 20 none.
        assert_eq!(free_of(2, 64, 41), 1);
        assert_eq!(free_of(2, 64, 21), 2);
        assert!(online_cpus().is_none_or(|n| n >= 1));
    }

    #[test]
    fn neuron_ranges_cover_every_neuron_in_order() {
        let plan = Plan::new(&networks::by_name("microcircuit", 1, 0.02).unwrap()).unwrap();
        for threads in [1, 2, 3, 4, 7] {
            let bounds = split_neurons(&plan, threads);
            assert_eq!(bounds.len(), threads + 1);
            assert_eq!((bounds[0], bounds[threads]), (0, plan.n_neurons));
            assert!(bounds.windows(2).all(|w| w[0] <= w[1]), "{bounds:?}");
            assert!(
                bounds[1..threads].iter().all(|b| b % RANGE_ALIGN == 0),
                "{bounds:?}"
            );
        }
    }
}
