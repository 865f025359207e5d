//! The [`Simulator`]: one API over the CPU reference and the GPU backend.

pub mod schedule;

use std::str::FromStr;
use std::time::Instant;

use crate::cpu::CpuBackend;
use crate::error::{Error, Result, invalid};
use crate::gpu::{GpuBackend, GpuOptions};
use crate::model::plasticity::ModulatorChannel;
use crate::model::{Network, PopulationId, ProjectionId};
use crate::plan::Plan;
use crate::plan::layout::{NeuronState, SpikeRecord};

/// Which backend runs the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The GPU if an adapter can be opened, else the CPU with a logged warning.
    Auto,
    /// The GPU; an error if no adapter can be opened.
    Gpu,
    /// The CPU reference.
    Cpu,
}

impl FromStr for Backend {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Backend::Auto),
            "gpu" => Ok(Backend::Gpu),
            "cpu" => Ok(Backend::Cpu),
            _ => Err(Error::UnknownBackend(s.to_string())),
        }
    }
}

/// Spikes of one population: parallel arrays of times and neuron indices (local to the
/// population), sorted by time, then neuron.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeTrain {
    /// Spike times (ms): tick x dt, the start of the step in which the threshold was crossed
    /// (Brian2's convention; NEST reports the end of the step, one dt later).
    pub times_ms: Vec<f64>,
    /// Neuron index within the population.
    pub neurons: Vec<u32>,
}

/// The synapses of one projection: local pre and post indices and weights, row by row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProjectionWeights {
    /// Pre-synaptic neuron (index in its population).
    pub pre: Vec<u32>,
    /// Post-synaptic neuron (index in its population).
    pub post: Vec<u32>,
    /// Weight.
    pub weights: Vec<f32>,
}

/// Run counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunCounters {
    /// Ticks run so far.
    pub ticks: u64,
    /// Spikes emitted (all populations, recorded or not).
    pub spikes: u64,
    /// Synaptic events delivered (spikes x out-degree).
    pub syn_events: u64,
}

/// A weight snapshot requested with [`Simulator::request_weights`], to collect later.
#[derive(Debug, PartialEq, Eq)]
pub struct WeightTicket {
    id: u64,
    /// The tick at which the snapshot was taken (the weights after `tick` ticks).
    pub tick: u64,
}

enum SnapshotData {
    Ready(Vec<f32>),
    Gpu(crate::gpu::PendingRead),
}

struct PendingSnapshot {
    id: u64,
    projection: usize,
    first: u32,
    data: SnapshotData,
}

enum Engine {
    Cpu(Box<CpuBackend>),
    Gpu(Box<GpuBackend>),
}

/// A network instantiated on a backend.
pub struct Simulator {
    network: u64,
    plan: Plan,
    engine: Engine,
    records: Vec<SpikeRecord>,
    batch: Vec<SpikeRecord>,
    snapshots: Vec<PendingSnapshot>,
    build_s: f64,
    plan_s: f64,
}

/// Options for [`Simulator::with_options`].
#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    /// GPU run-loop tuning.
    pub gpu: GpuOptions,
    /// Generate the synapses of every qualifying projection on the GPU
    /// ([`Plan::for_device_generation`]): host memory and upload stop growing with them.
    /// Needs the GPU backend; the weights of those projections stay on the device.
    pub generate_on_device: bool,
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
        let mut plan = if options.generate_on_device {
            Plan::for_device_generation(net)?
        } else {
            Plan::new(net)?
        };
        let plan_s = t0.elapsed().as_secs_f64();
        let engine = match backend {
            _ if options.generate_on_device => {
                let gpu = GpuBackend::new(&plan, options.gpu)?;
                plan.fixed_scale = gpu.fixed_scale();
                Engine::Gpu(Box::new(gpu))
            }
            Backend::Cpu => Engine::Cpu(Box::new(CpuBackend::new(&plan))),
            Backend::Gpu => Engine::Gpu(Box::new(GpuBackend::new(&plan, options.gpu)?)),
            Backend::Auto => match GpuBackend::new(&plan, options.gpu) {
                Ok(gpu) => Engine::Gpu(Box::new(gpu)),
                Err(Error::NoAdapter(why)) => {
                    log::warn!(
                        "no GPU adapter ({why}); running on the CPU reference backend. \
                         Without a GPU, `apt-get install mesa-vulkan-drivers` gives a software Vulkan adapter"
                    );
                    Engine::Cpu(Box::new(CpuBackend::new(&plan)))
                }
                Err(e) => return Err(e),
            },
        };
        Ok(Self {
            network: net.id,
            plan,
            engine,
            records: Vec::new(),
            batch: Vec::new(),
            snapshots: Vec::new(),
            build_s: t0.elapsed().as_secs_f64(),
            plan_s,
        })
    }

    /// Runs `ticks` time steps.
    pub fn run_ticks(&mut self, ticks: u32) -> Result<()> {
        self.batch.clear();
        match &mut self.engine {
            Engine::Cpu(cpu) => cpu.run_ticks(ticks, &mut self.batch),
            Engine::Gpu(gpu) => gpu.run_ticks(ticks, &mut self.batch)?,
        }
        let plan = &self.plan;
        self.records.extend(
            self.batch
                .iter()
                .filter(|r| plan.populations[plan.population_of(r.neuron)].record),
        );
        Ok(())
    }

    /// Runs for `duration_ms` of biological time (rounded to whole ticks).
    pub fn run_ms(&mut self, duration_ms: f64) -> Result<()> {
        if !(duration_ms.is_finite() && duration_ms >= 0.0) {
            return Err(invalid("duration_ms", duration_ms, "must be finite and >= 0"));
        }
        let ticks = (duration_ms / self.plan.dt_ms).round();
        if ticks > f64::from(u32::MAX - self.ticks() as u32) {
            return Err(invalid(
                "duration_ms",
                duration_ms,
                &format!("the tick counter is 32-bit: at most {} ticks in all", u32::MAX),
            ));
        }
        self.run_ticks(ticks as u32)
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

    /// Seconds spent planning, uploading and compiling pipelines.
    pub fn build_seconds(&self) -> f64 {
        self.build_s
    }

    /// Seconds spent planning (connectivity generation and flat arrays on the host), the part
    /// of [`Simulator::build_seconds`] before the backend's upload and shader compilation.
    pub fn plan_seconds(&self) -> f64 {
        self.plan_s
    }

    /// Every recorded spike as (tick, global neuron), sorted.
    pub fn spike_records(&self) -> &[SpikeRecord] {
        &self.records
    }

    /// Hands over the spike records kept so far and starts a new record (for long runs that
    /// process spikes as they come, so that host memory stays bounded).
    pub fn take_spike_records(&mut self) -> Vec<SpikeRecord> {
        std::mem::take(&mut self.records)
    }

    /// Spikes of one population.
    pub fn spikes(&self, pop: PopulationId) -> Result<SpikeTrain> {
        let p = self.population(pop)?;
        let (start, end) = (p.gpu.start, p.gpu.start + p.gpu.size);
        let mut train = SpikeTrain::default();
        for r in self.records.iter().filter(|r| (start..end).contains(&r.neuron)) {
            train.times_ms.push(f64::from(r.tick) * self.plan.dt_ms);
            train.neurons.push(r.neuron - start);
        }
        Ok(train)
    }

    fn population(&self, pop: PopulationId) -> Result<&crate::plan::PopulationPlan> {
        self.plan.populations.get(pop.index).ok_or(Error::UnknownHandle {
            kind: "population",
            index: pop.index,
            why: "no such population in this simulation".into(),
        })
    }

    fn projection(&self, proj: ProjectionId) -> Result<usize> {
        if proj.network != self.network || proj.index >= self.plan.projections.len() {
            return Err(Error::UnknownHandle {
                kind: "projection",
                index: proj.index,
                why: "it does not belong to this simulation's network".into(),
            });
        }
        Ok(proj.index)
    }

    /// Projection `proj`'s index, refusing a procedural one (it stores no weights).
    fn stored_projection(&self, proj: ProjectionId) -> Result<usize> {
        let k = self.projection(proj)?;
        if self.plan.projections[k].procedural {
            return Err(invalid(
                format!("projection {k}"),
                "procedural",
                "a procedural projection stores no synapses or weights (plan::procedural_row lists a row)",
            ));
        }
        if self.plan.projections[k].device {
            return Err(invalid(
                format!("projection {k}"),
                "generated on the GPU",
                "its synapses exist only on the device (build without generate_on_device to read them)",
            ));
        }
        Ok(k)
    }

    fn all_weights(&self) -> Result<Vec<f32>> {
        match &self.engine {
            Engine::Cpu(cpu) => Ok(cpu.weights().to_vec()),
            // Static compact storage: the device holds exactly the plan's (last pushed) weights.
            Engine::Gpu(gpu) if gpu.is_compact() => Ok(self.plan.weights.clone()),
            Engine::Gpu(gpu) => gpu.pull_weights(self.plan.synapses.len()),
        }
    }

    /// The synapses of `proj` with their current weights (read back from the GPU).
    pub fn weights(&self, proj: ProjectionId) -> Result<ProjectionWeights> {
        let k = self.stored_projection(proj)?;
        let all = self.all_weights()?;
        let mut out = self.projection_layout(k);
        out.weights = self
            .plan
            .projection_synapses(k)
            .iter()
            .map(|&s| all[s as usize])
            .collect();
        Ok(out)
    }

    /// Takes a snapshot of a projection's weights now without waiting for it: on the GPU a
    /// copy is queued behind the submitted work and the run goes on at once (it pauses only
    /// for the copy); collect it with [`Simulator::try_take_weights`] or
    /// [`Simulator::take_weights`], in any order. Uncollected snapshots hold device memory.
    pub fn request_weights(&mut self, proj: ProjectionId) -> Result<WeightTicket> {
        let k = self.stored_projection(proj)?;
        let synapses = self.plan.projection_synapses(k);
        let first = synapses.iter().copied().min().unwrap_or(0);
        let end = synapses.iter().copied().max().map_or(first, |m| m + 1);
        let data = match &self.engine {
            Engine::Cpu(cpu) => SnapshotData::Ready(cpu.weights()[first as usize..end as usize].to_vec()),
            Engine::Gpu(gpu) if gpu.is_compact() => {
                SnapshotData::Ready(self.plan.weights[first as usize..end as usize].to_vec())
            }
            Engine::Gpu(gpu) => {
                SnapshotData::Gpu(gpu.request_weights(u64::from(first), u64::from(end - first))?)
            }
        };
        // Unique across simulators, so a ticket from another one is refused, not confused.
        static NEXT_SNAPSHOT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = NEXT_SNAPSHOT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.snapshots.push(PendingSnapshot {
            id,
            projection: k,
            first,
            data,
        });
        Ok(WeightTicket {
            id,
            tick: self.ticks(),
        })
    }

    /// The snapshot of `ticket` if its copy has finished, else `None` (never blocks).
    pub fn try_take_weights(&mut self, ticket: &WeightTicket) -> Result<Option<ProjectionWeights>> {
        self.collect_snapshot(ticket, false)
    }

    /// The snapshot of `ticket`, waiting for its copy if needed.
    pub fn take_weights(&mut self, ticket: WeightTicket) -> Result<ProjectionWeights> {
        self.collect_snapshot(&ticket, true)?
            .ok_or_else(|| Error::Gpu("a weight snapshot did not arrive".into()))
    }

    fn collect_snapshot(&mut self, ticket: &WeightTicket, wait: bool) -> Result<Option<ProjectionWeights>> {
        let i = self
            .snapshots
            .iter()
            .position(|s| s.id == ticket.id)
            .ok_or_else(|| Error::UnknownHandle {
                kind: "weight snapshot",
                index: ticket.id as usize,
                why: "it was already taken or belongs to another simulator".into(),
            })?;
        let values = match (&self.snapshots[i].data, &self.engine) {
            (SnapshotData::Ready(v), _) => Some(v.clone()),
            (SnapshotData::Gpu(read), Engine::Gpu(gpu)) => gpu.finish_read(read, wait)?,
            (SnapshotData::Gpu(_), Engine::Cpu(_)) => unreachable!("GPU snapshots come from the GPU engine"),
        };
        let Some(values) = values else {
            return Ok(None);
        };
        let snap = self.snapshots.swap_remove(i);
        let mut out = self.projection_layout(snap.projection);
        out.weights = self
            .plan
            .projection_synapses(snap.projection)
            .iter()
            .map(|&s| values[(s - snap.first) as usize])
            .collect();
        Ok(Some(out))
    }

    /// Pre and post indices of projection `k`'s synapses (weights left empty).
    fn projection_layout(&self, k: usize) -> ProjectionWeights {
        let p = &self.plan.projections[k];
        let post_start = self.plan.populations[p.post].gpu.start;
        let mut out = ProjectionWeights::default();
        for (i, w) in p.local_row_ptr.windows(2).enumerate() {
            out.pre
                .extend(std::iter::repeat_n(i as u32, (w[1] - w[0]) as usize));
        }
        out.post = self
            .plan
            .projection_synapses(k)
            .iter()
            .map(|&s| self.plan.synapses[s as usize].post - post_start)
            .collect();
        out
    }

    /// Replaces the weights of `proj` (in the order [`Simulator::weights`] returns them); they
    /// take effect from the next tick. Refused if a weight is not finite, has the wrong sign
    /// for the projection's receptor, or could overflow the fixed-point input accumulators at
    /// the scale chosen when the network was built.
    pub fn set_weights(&mut self, proj: ProjectionId, weights: &[f32]) -> Result<()> {
        let k = self.stored_projection(proj)?;
        if !self.plan.device_projections.is_empty() {
            // The overflow bound would have to include the generated synapses' in-degrees.
            return Err(invalid(
                format!("projection {k} weights"),
                "new values",
                "weights are fixed in a network whose connectivity was generated on the GPU",
            ));
        }
        let p = &self.plan.projections[k];
        let field = format!("projection {k} weights");
        if weights.len() as u64 != p.synapses {
            return Err(invalid(
                field,
                format!("{} values", weights.len()),
                &format!("must give one per synapse ({})", p.synapses),
            ));
        }
        let excitatory = p.port == 0;
        if let Some(i) = weights
            .iter()
            .position(|w| !w.is_finite() || (excitatory && *w < 0.0) || (!excitatory && *w > 0.0))
        {
            let allowed = if excitatory {
                "must be finite and >= 0 (excitatory)"
            } else {
                "must be finite and <= 0 (inhibitory)"
            };
            return Err(invalid(format!("{field}[{i}]"), weights[i], allowed));
        }
        let mut all = self.all_weights()?;
        for (s, &w) in self.plan.projection_synapses(k).iter().zip(weights) {
            all[*s as usize] = w;
        }
        self.plan.check_fixed_point(&all)?;
        match &mut self.engine {
            Engine::Cpu(cpu) => cpu.set_weights(all),
            Engine::Gpu(gpu) => {
                gpu.push_weights(&self.plan, &all)?;
                if gpu.is_compact() {
                    self.plan.weights = all;
                }
            }
        }
        Ok(())
    }

    fn channel(&self, channel: ModulatorChannel) -> Result<usize> {
        if let ModulatorChannel::Population(p) = channel {
            if p.network != self.network || p.index >= self.plan.populations.len() {
                return Err(Error::UnknownHandle {
                    kind: "population",
                    index: p.index,
                    why: "it does not belong to this simulation's network".into(),
                });
            }
        }
        Ok(crate::plan::channel_index(channel) as usize)
    }

    /// Sets the level of a neuromodulator channel (for instance dopamine after a reward); it
    /// takes effect from the next tick and then relaxes towards the channel's baseline.
    pub fn set_modulator(&mut self, channel: ModulatorChannel, level: f64) -> Result<()> {
        let i = self.channel(channel)?;
        if !(level.is_finite() && level.abs() <= f64::from(f32::MAX)) {
            return Err(invalid(
                "modulator level",
                level,
                "must be finite and within the f32 range",
            ));
        }
        match &mut self.engine {
            Engine::Cpu(cpu) => cpu.set_modulator(i, level as f32),
            Engine::Gpu(gpu) => gpu.set_modulator(i, level as f32)?,
        }
        Ok(())
    }

    /// Current level of a neuromodulator channel.
    pub fn modulator(&self, channel: ModulatorChannel) -> Result<f64> {
        let i = self.channel(channel)?;
        Ok(f64::from(match &self.engine {
            Engine::Cpu(cpu) => cpu.modulator(i),
            Engine::Gpu(gpu) => gpu.pull_modulators()?[i],
        }))
    }

    /// Adds `amount` to a neuromodulator channel's current level (a reward pulse).
    pub fn add_modulator(&mut self, channel: ModulatorChannel, amount: f64) -> Result<()> {
        let level = self.modulator(channel)? + amount;
        self.set_modulator(channel, level)
    }

    /// Eligibility traces of a reward-modulated projection's synapses, in the order of
    /// [`Simulator::weights`].
    pub fn eligibility(&self, proj: ProjectionId) -> Result<Vec<f32>> {
        let k = self.projection(proj)?;
        if !self.plan.projections[k].modulated {
            return Err(invalid(
                format!("projection {k}"),
                "not reward-modulated",
                "only reward-modulated projections have eligibility traces",
            ));
        }
        let all = match &self.engine {
            Engine::Cpu(cpu) => cpu.eligibility().to_vec(),
            Engine::Gpu(gpu) => gpu.pull_eligibility()?,
        };
        Ok(self
            .plan
            .projection_synapses(k)
            .iter()
            .map(|&s| all[s as usize])
            .collect())
    }

    /// State of every neuron (reads back from the GPU).
    pub fn pull_state(&self) -> Result<Vec<NeuronState>> {
        match &self.engine {
            Engine::Cpu(cpu) => Ok(cpu.state().to_vec()),
            Engine::Gpu(gpu) => gpu.pull_state(),
        }
    }

    /// Membrane potentials (mV) of one population.
    pub fn membrane_potentials(&self, pop: PopulationId) -> Result<Vec<f32>> {
        let p = self.population(pop)?.gpu;
        let state = self.pull_state()?;
        Ok(state[p.start as usize..(p.start + p.size) as usize]
            .iter()
            .map(|s| s.v)
            .collect())
    }

    /// The fixed-point input ring, `[port][slot][neuron]` (for tests and debugging).
    pub fn pull_input_ring(&self) -> Result<Vec<i32>> {
        match &self.engine {
            Engine::Cpu(cpu) => Ok(cpu.input_ring().to_vec()),
            Engine::Gpu(gpu) => gpu.pull_input_ring(),
        }
    }

    /// Ticks, spikes and synaptic events so far.
    pub fn counters(&self) -> RunCounters {
        match &self.engine {
            Engine::Cpu(cpu) => RunCounters {
                ticks: u64::from(cpu.tick()),
                spikes: cpu.total_spikes(),
                syn_events: cpu.total_events(),
            },
            Engine::Gpu(gpu) => {
                let c = gpu.counters();
                RunCounters {
                    ticks: u64::from(c.tick),
                    spikes: c.spikes,
                    syn_events: c.events,
                }
            }
        }
    }

    /// Synapses stored on the device or the host (generated ones included; procedural
    /// projections store none).
    pub fn synapse_count(&self) -> u64 {
        match &self.engine {
            Engine::Gpu(gpu) => self.plan.synapse_count() + gpu.generated_synapses(),
            Engine::Cpu(_) => self.plan.synapse_count(),
        }
    }

    /// Where the GPU backend's setup time went (GPU backend only).
    pub fn gpu_setup_times(&self) -> Option<crate::gpu::SetupTimes> {
        match &self.engine {
            Engine::Gpu(gpu) => Some(gpu.setup_times()),
            Engine::Cpu(_) => None,
        }
    }

    /// Bytes of all device buffers (GPU backend only).
    pub fn device_bytes(&self) -> Option<u64> {
        match &self.engine {
            Engine::Gpu(gpu) => Some(gpu.device_bytes()),
            Engine::Cpu(_) => None,
        }
    }

    /// Device bytes per synapse of the storage in use (the wide format's on the CPU backend).
    pub fn bytes_per_synapse(&self) -> f64 {
        match &self.engine {
            Engine::Gpu(gpu) => gpu
                .compact_bytes_per_synapse()
                .unwrap_or_else(|| self.plan.bytes_per_synapse()),
            Engine::Cpu(_) => self.plan.bytes_per_synapse(),
        }
    }

    /// `"cpu"` or `"gpu"`.
    pub fn backend_name(&self) -> &'static str {
        match &self.engine {
            Engine::Cpu(_) => "cpu",
            Engine::Gpu(_) => "gpu",
        }
    }

    /// The adapter that ran (the CPU backend reports `cpu reference`).
    pub fn adapter_name(&self) -> String {
        match &self.engine {
            Engine::Cpu(_) => "cpu reference".into(),
            Engine::Gpu(gpu) => gpu.adapter().name.clone(),
        }
    }

    /// GPU-only details: submissions, dispatches per tick, halts, record capacity.
    pub fn gpu_details(&self) -> Option<(crate::gpu::GpuCounters, u32)> {
        match &self.engine {
            Engine::Gpu(gpu) => Some((gpu.counters(), gpu.record_capacity())),
            Engine::Cpu(_) => None,
        }
    }
}
