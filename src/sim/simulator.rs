//! The [`Simulator`] itself: building it on a backend, its run loop, handles and backend facts.

use std::time::Instant;

use super::engine::{self, Engine};
use super::record_store::RecordStore;
use super::watchdog::VariableNames;
use super::weights::PendingSnapshot;
use super::{Backend, NonFiniteEvent, NonFinitePolicy, SimOptions, Spike};
use crate::error::{Error, Result, invalid};
use crate::model::{Network, PopulationId, ProjectionId};
use crate::plan::{Plan, PopulationPlan};

/// A network instantiated on a backend.
pub struct Simulator {
    pub(super) network: u64,
    pub(super) plan: Plan,
    pub(super) engine: Box<dyn Engine>,
    pub(super) store: RecordStore,
    batch: Vec<Spike>,
    /// What a non-finite state does to the run, and the names its message uses.
    nonfinite: NonFinitePolicy,
    names: VariableNames,
    pub(super) snapshots: Vec<PendingSnapshot>,
    build_s: f64,
    plan_s: f64,
}

impl Simulator {
    /// Plans `net` and instantiates it on `backend`.
    pub fn new(net: &Network, backend: Backend) -> Result<Self> {
        Self::with_options(net, backend, SimOptions::default())
    }

    /// As [`Simulator::new`] with explicit options.
    pub fn with_options(net: &Network, backend: Backend, options: SimOptions) -> Result<Self> {
        let t0 = Instant::now();
        if options.generate_on_device && backend == Backend::Cpu {
            return Err(invalid(
                "generate_on_device",
                true,
                "connectivity generated on the GPU needs the GPU backend",
            ));
        }
        let threads = options.threads.unwrap_or(1);
        if !(1..=crate::cpu::MAX_THREADS).contains(&threads) {
            return Err(invalid(
                "threads",
                threads,
                &format!("must be between 1 and {}", crate::cpu::MAX_THREADS),
            ));
        }
        let mut plan = if options.generate_on_device {
            Plan::for_device_generation(net)?
        } else {
            Plan::new(net)?
        };
        let plan_s = t0.elapsed().as_secs_f64();
        let nonfinite = options.nonfinite;
        let mut engine = engine::open(&mut plan, backend, options)?;
        engine.set_nonfinite_policy(nonfinite)?;
        Ok(Self {
            network: net.id,
            store: RecordStore::new(net, &plan),
            plan,
            engine,
            batch: Vec::new(),
            nonfinite,
            names: VariableNames::of(net),
            snapshots: Vec::new(),
            build_s: t0.elapsed().as_secs_f64(),
            plan_s,
        })
    }

    /// A simulator of `net` over an engine built elsewhere (a rank of a distributed run,
    /// [`crate::distributed`]), keeping its records against `plan` (the whole network's
    /// populations).
    #[cfg(feature = "mpi")]
    pub(crate) fn from_engine(
        net: &Network,
        plan: Plan,
        engine: Box<dyn Engine>,
        build_s: f64,
        plan_s: f64,
    ) -> Self {
        Self {
            network: net.id,
            store: RecordStore::new(net, &plan),
            plan,
            engine,
            batch: Vec::new(),
            nonfinite: NonFinitePolicy::default(),
            names: VariableNames::of(net),
            snapshots: Vec::new(),
            build_s,
            plan_s,
        }
    }

    /// Runs `ticks` time steps, keeping the spikes the network's recordings select. Every way
    /// of running comes here, so the run-length limit ([`crate::limits::check_run_end`]) is
    /// checked here once. With the default [`NonFinitePolicy::Stop`], a neuron state that
    /// became NaN or infinite ends the run after that tick (its spikes recorded) with
    /// [`Error::NonFinite`].
    pub fn run_ticks(&mut self, ticks: u64) -> Result<()> {
        crate::limits::check_run_end(self.ticks(), ticks)?;
        self.batch.clear();
        self.engine.run_ticks(ticks, &mut self.batch)?;
        let done = self.engine.counters().ticks;
        self.store.drain(&self.batch, &self.plan, done, self.plan.dt_ms);
        match self.nonfinite() {
            Some(event) if self.nonfinite == NonFinitePolicy::Stop => Err(Error::NonFinite(Box::new(event))),
            _ => Ok(()),
        }
    }

    /// Runs `ticks` time steps with each stage timed ([`crate::gpu::StageProfile`]): the GPU
    /// backend only; `None` (and nothing run) on the CPU backend.
    pub fn profile_ticks(&mut self, ticks: u32) -> Result<Option<crate::gpu::StageProfile>> {
        self.batch.clear();
        let profile = self.engine.profile_ticks(ticks, &mut self.batch)?;
        let done = self.engine.counters().ticks;
        self.store.drain(&self.batch, &self.plan, done, self.plan.dt_ms);
        Ok(profile)
    }

    /// Runs for `duration_ms` of biological time (rounded to whole ticks).
    pub fn run_ms(&mut self, duration_ms: f64) -> Result<()> {
        let ticks = crate::limits::duration_ticks("duration_ms", duration_ms, self.plan.dt_ms)?;
        self.run_ticks(ticks)
    }

    /// What the run does when a neuron's state becomes NaN or infinite (from the next tick).
    pub fn set_nonfinite_policy(&mut self, policy: NonFinitePolicy) -> Result<()> {
        self.engine.set_nonfinite_policy(policy)?;
        self.nonfinite = policy;
        Ok(())
    }

    /// The first neuron state the watchdog saw become NaN or infinite, if any: tick,
    /// population, neuron and variable.
    pub fn nonfinite(&self) -> Option<NonFiniteEvent> {
        self.engine
            .nonfinite()
            .map(|fault| self.names.event(fault, self.plan.dt_ms))
    }

    /// Time step (ms).
    pub fn dt_ms(&self) -> f64 {
        self.plan.dt_ms
    }

    /// Ticks run so far.
    pub fn ticks(&self) -> u64 {
        self.counters().ticks
    }

    /// The plan the backends run.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The engine that runs the plan.
    pub fn engine(&self) -> &dyn Engine {
        self.engine.as_ref()
    }

    /// Seconds spent planning, uploading and compiling pipelines.
    pub fn build_seconds(&self) -> f64 {
        self.build_s
    }

    /// Seconds spent planning (connectivity generation and flat arrays on the host), the part
    /// of [`Simulator::build_seconds`] before the backend's upload and shader compilation.
    pub fn plan_seconds(&self) -> f64 {
        self.plan_s
    }

    pub(super) fn population(&self, pop: PopulationId) -> Result<&PopulationPlan> {
        self.plan.populations.get(pop.index).ok_or(Error::UnknownHandle {
            kind: "population",
            index: pop.index,
            why: "no such population in this simulation".into(),
        })
    }

    pub(super) fn projection(&self, proj: ProjectionId) -> Result<usize> {
        if proj.network != self.network || proj.index >= self.plan.projections.len() {
            return Err(Error::UnknownHandle {
                kind: "projection",
                index: proj.index,
                why: "it does not belong to this simulation's network".into(),
            });
        }
        Ok(proj.index)
    }

    /// Synapses stored on the device or the host (generated ones included; procedural
    /// projections store none).
    pub fn synapse_count(&self) -> u64 {
        self.plan.synapse_count() + self.engine.generated_synapses()
    }

    /// Where the GPU backend's setup time went (GPU backend only).
    pub fn gpu_setup_times(&self) -> Option<crate::gpu::SetupTimes> {
        self.engine.gpu().map(|gpu| gpu.setup_times())
    }

    /// Bytes of all device buffers (GPU backend only).
    pub fn device_bytes(&self) -> Option<u64> {
        self.engine.gpu().map(|gpu| gpu.device_bytes())
    }

    /// Device bytes per synapse of the storage in use (the wide format's on the CPU backend).
    pub fn bytes_per_synapse(&self) -> f64 {
        self.engine
            .compact_bytes_per_synapse()
            .unwrap_or_else(|| self.plan.bytes_per_synapse())
    }

    /// `"cpu"` or `"gpu"`.
    pub fn backend_name(&self) -> &'static str {
        self.engine.backend_name()
    }

    /// The adapter that ran (the CPU backend reports `cpu reference, N threads`).
    pub fn adapter_name(&self) -> String {
        self.engine.adapter_name()
    }

    /// GPU-only details: submissions, dispatches per tick, halts, record capacity.
    pub fn gpu_details(&self) -> Option<(crate::gpu::GpuCounters, u32)> {
        self.engine
            .gpu()
            .map(|gpu| (gpu.counters(), gpu.record_capacity()))
    }
}
