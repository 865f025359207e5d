//! The [`Engine`] trait: what the [`Simulator`](super::Simulator) asks of a backend, and the
//! choice of backend.

use std::ops::Range;

use super::{Backend, EngineState, NonFiniteFault, NonFinitePolicy, RunCounters, SimOptions, Spike};
use crate::cpu::CpuBackend;
use crate::error::{Error, Result};
use crate::gpu::{GpuBackend, PendingRead};
use crate::plan::Plan;
use crate::plan::layout::NeuronState;

/// A backend that runs a planned network tick by tick: the CPU reference and the GPU backend
/// implement it, and the [`Simulator`](super::Simulator) drives one without knowing which.
///
/// The arrays it reads and writes are in the plan's layout on every engine (neuron order,
/// merged CSR synapse order, `[port][slot][neuron]` ring), so that what one engine reads
/// another can take. Methods that take the [`Plan`] are given the one the engine was built
/// from.
///
/// A checkpoint is [`Engine::export_state`]'s [`EngineState`], in one layout for every
/// engine, so that either backend resumes the other's ([`Engine::import_state`]). A rank of a distributed run is an `Engine` wrapping another,
/// whose `run_ticks` runs to each communication boundary, exchanges the spikes it was handed
/// and delivers every rank's through the inner engine's [`Engine::deliver_spikes`]. The CPU backend
/// runs on [`SimOptions::threads`] threads behind the same methods.
pub trait Engine: Send {
    /// `"cpu"` or `"gpu"`.
    fn backend_name(&self) -> &'static str;

    /// The device that runs (the CPU backend reports `cpu reference, N threads`).
    fn adapter_name(&self) -> String;

    /// Runs `ticks` ticks of the plan's tick schedule ([`super::schedule::tick_schedule`]),
    /// appending every spike of every population, recorded or not, to `out` in (tick,
    /// neuron) order. With [`NonFinitePolicy::Stop`] it stops after a tick in which the
    /// watchdog saw a non-finite state ([`Engine::nonfinite`]), and runs nothing once it has.
    fn run_ticks(&mut self, ticks: u64, out: &mut Vec<Spike>) -> Result<()>;

    /// What the run does when a neuron's state becomes NaN or infinite.
    fn set_nonfinite_policy(&mut self, policy: NonFinitePolicy) -> Result<()>;

    /// The first non-finite state the watchdog saw, if any.
    fn nonfinite(&self) -> Option<NonFiniteFault>;

    /// Everything the rest of the run depends on, in the engines' shared layout.
    fn export_state(&self, plan: &Plan) -> Result<EngineState>;

    /// Continues from `state` (of this plan's network, from any engine).
    fn import_state(&mut self, plan: &Plan, state: &EngineState) -> Result<()>;

    /// Ticks run, spikes emitted and synaptic events delivered so far.
    fn counters(&self) -> RunCounters;

    /// State of every neuron.
    fn neuron_state(&self) -> Result<Vec<NeuronState>>;

    /// Values of variable `variable` (an index past the sixth: the first six are in
    /// [`Engine::neuron_state`]) of the population `plan.equations[eq]`, for each neuron.
    fn equation_extra(&self, plan: &Plan, eq: usize, variable: usize) -> Result<Vec<f32>>;

    /// The fixed-point input ring, `[port][slot][neuron]`.
    fn input_ring(&self) -> Result<Vec<i32>>;

    /// Weights of every stored synapse of `plan`, in merged CSR order.
    fn weights(&self, plan: &Plan) -> Result<Vec<f32>>;

    /// Replaces the weights of every stored synapse (already checked against the plan's
    /// signs and fixed-point bound); they take effect from the next tick.
    fn set_weights(&mut self, plan: &Plan, weights: &[f32]) -> Result<()>;

    /// Starts a copy of the weights of synapses `synapses` as they are now, without waiting
    /// for it; [`Engine::finish_weights`] collects it.
    fn request_weights(&self, plan: &Plan, synapses: Range<u32>) -> Result<WeightCopy>;

    /// The values of a copy from [`Engine::request_weights`] if it has arrived (`wait`:
    /// block until it has).
    fn finish_weights(&self, copy: &WeightCopy, wait: bool) -> Result<Option<Vec<f32>>>;

    /// Eligibility trace of every synapse (empty without reward-modulated projections).
    fn eligibility(&self) -> Result<Vec<f32>>;

    /// Level of every neuromodulator channel (0 global, 1 + p population p).
    fn modulator_levels(&self) -> Result<Vec<f32>>;

    /// Sets the level of neuromodulator channel `channel` from the next tick on.
    fn set_modulator(&mut self, channel: usize, level: f32) -> Result<()>;

    /// Takes the plan's current tables (`currents`, `current_steps`, same sizes as at build)
    /// from the next tick on.
    fn set_currents(&mut self, plan: &Plan) -> Result<()>;

    /// Replaces the state of neurons `first..first + states.len()` from the next tick on
    /// ([`super::Simulator::set_state`]).
    fn set_neuron_states(&mut self, plan: &Plan, first: u32, states: &[NeuronState]) -> Result<()> {
        let _ = (plan, first, states);
        Err(self.refuse_setter("neuron states"))
    }

    /// Sets variable `variable` of every neuron of population `plan.equations[eq]` of a
    /// user-defined model from the next tick on ([`super::Simulator::set_equation_variable`]).
    fn set_equation_variable(
        &mut self,
        plan: &Plan,
        eq: usize,
        variable: usize,
        values: &[f32],
    ) -> Result<()> {
        let _ = (plan, eq, variable, values);
        Err(self.refuse_setter("variables of user-defined models"))
    }

    /// Takes the plan's per-neuron tables (`neuron_params`, and `source_ticks`, which may
    /// have grown) from the next tick on.
    fn set_neuron_tables(&mut self, plan: &Plan) -> Result<()> {
        let _ = plan;
        Err(self.refuse_setter("spike source tables"))
    }

    /// Takes the plan's Poisson input tables (`poisson`, `poisson_segments`, and
    /// `poisson_cdf`, which may have grown) from the next tick on.
    fn set_poisson_tables(&mut self, plan: &Plan) -> Result<()> {
        let _ = plan;
        Err(self.refuse_setter("Poisson input rates"))
    }

    /// Takes the plan's synapse words (`synapses`, `col_entries`: delays changed, same
    /// targets) from the next tick on.
    fn set_synapses(&mut self, plan: &Plan) -> Result<()> {
        let _ = plan;
        Err(self.refuse_setter("synaptic delays"))
    }

    /// The refusal of a setter this engine does not take (a rank of a distributed run).
    fn refuse_setter(&self, what: &str) -> Error {
        crate::error::invalid(
            what,
            "a new value",
            &format!(
                "the {} engine cannot change them between runs",
                self.backend_name()
            ),
        )
    }

    /// Synapses the engine generated itself, beyond the plan's stored ones.
    fn generated_synapses(&self) -> u64;

    /// Bytes per synapse of the engine's own storage format, if it is not the plan's wide
    /// one ([`Plan::bytes_per_synapse`]): the GPU's compact format, or the CPU's stores.
    fn compact_bytes_per_synapse(&self) -> Option<f64>;

    /// The GPU backend, for the figures only it has (setup times, device bytes, dispatches).
    fn gpu(&self) -> Option<&GpuBackend>;

    /// Delivers the exchanged spikes of a distributed run (global ids, each fired less than
    /// the smallest delay ago) into the input ring with their own ticks: the work its tick
    /// schedule leaves out of `propagate` on a rank ([`crate::plan::rank`]).
    fn deliver_spikes(&mut self, spikes: &[Spike]) -> Result<()> {
        let _ = spikes;
        Err(crate::error::invalid(
            "deliver_spikes",
            self.backend_name(),
            "only the engine of a rank of a distributed run takes exchanged spikes",
        ))
    }

    /// The rank engine of a distributed run, if this is one.
    #[cfg(feature = "mpi")]
    fn rank_engine(&self) -> Option<&crate::distributed::RankEngine> {
        None
    }

    /// Runs `ticks` ticks as [`Engine::run_ticks`] does, timing each stage where the engine
    /// can ([`crate::gpu::StageProfile`]); `None` from an engine without a per-stage profiler
    /// (the CPU's), which then runs nothing.
    fn profile_ticks(
        &mut self,
        ticks: u32,
        out: &mut Vec<Spike>,
    ) -> Result<Option<crate::gpu::StageProfile>> {
        let _ = (ticks, out);
        Ok(None)
    }
}

/// A copy of weights on its way to the host, from [`Engine::request_weights`].
pub enum WeightCopy {
    /// Already on the host.
    Ready(Vec<f32>),
    /// Queued on the GPU behind the work submitted so far.
    Gpu(PendingRead),
}

/// Builds the engine `backend` names for `plan`. With `generate_on_device` the GPU's
/// fixed-point scale (which includes the generated synapses) is written back into the plan.
pub(crate) fn open(plan: &mut Plan, backend: Backend, options: SimOptions) -> Result<Box<dyn Engine>> {
    let threads = options.threads.unwrap_or_else(|| crate::cpu::threads_for(plan));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if options.threads.is_some_and(|t| t > cores) && backend != Backend::Gpu {
        log::warn!(
            "{threads} CPU threads on {cores} cores: each tick's barrier waits for descheduled threads \
             (the results are the same on any thread count; at most {cores} is faster)"
        );
    }
    let cpu = |plan: &Plan| -> Box<dyn Engine> { Box::new(CpuBackend::with_threads(plan, threads)) };
    match backend {
        _ if options.generate_on_device => {
            let gpu = GpuBackend::new(plan, options.gpu)?;
            plan.fixed_scale = gpu.fixed_scale();
            Ok(Box::new(gpu))
        }
        Backend::Cpu => Ok(cpu(plan)),
        Backend::Gpu => Ok(Box::new(GpuBackend::new(plan, options.gpu)?)),
        Backend::Auto => match auto_choice() {
            AutoChoice::SoftwareOnly(names) => {
                warn_once(&format!(
                    "backend auto: running on the CPU backend, faster than this machine's only \
                     adapters, software ones ({names}); --backend gpu uses them anyway"
                ));
                Ok(cpu(plan))
            }
            AutoChoice::Gpu => match GpuBackend::new(plan, options.gpu) {
                Ok(gpu) => Ok(Box::new(gpu)),
                Err(Error::NoAdapter(why)) => {
                    warn_once(&format!(
                        "no GPU adapter ({why}); running on the CPU reference backend. \
                         Without a GPU, `apt-get install mesa-vulkan-drivers` gives a software Vulkan adapter"
                    ));
                    Ok(cpu(plan))
                }
                Err(e) => Err(e),
            },
        },
    }
}

/// What `Backend::Auto` runs on.
#[derive(Clone)]
enum AutoChoice {
    /// Open the best GPU adapter (a hardware one, or the one an adapter filter names).
    Gpu,
    /// Every compute adapter is a software rasteriser (their names): the CPU backend is
    /// faster than them.
    SoftwareOnly(String),
}

/// Prefers a hardware adapter; when the only ones are software rasterisers, the CPU backend.
/// An adapter named in `SPIKEGPU_ADAPTER` or `WGPU_ADAPTER_NAME` is always tried. Decided once
/// per process (listing the adapters takes a few hundred milliseconds).
fn auto_choice() -> AutoChoice {
    static CHOICE: std::sync::OnceLock<AutoChoice> = std::sync::OnceLock::new();
    if [crate::gpu::ADAPTER_ENV, "WGPU_ADAPTER_NAME"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
    {
        return AutoChoice::Gpu;
    }
    CHOICE
        .get_or_init(|| match software_only(&crate::gpu::list_adapters()) {
            Some(names) => AutoChoice::SoftwareOnly(names),
            None => AutoChoice::Gpu,
        })
        .clone()
}

/// When every compute adapter in `adapters` is a software rasteriser, their names (each with
/// its backends, `llvmpipe on Vulkan and Gl`); `None` when there is a hardware adapter or
/// none at all (`Backend::Auto` then opens the best adapter, or falls back to the CPU).
pub fn software_only(adapters: &[crate::gpu::AdapterSummary]) -> Option<String> {
    let compute: Vec<_> = adapters.iter().filter(|a| a.compute).collect();
    if compute.is_empty() || compute.iter().any(|a| !a.software) {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    for a in &compute {
        let backends: Vec<&str> = compute
            .iter()
            .filter(|b| b.name == a.name)
            .map(|b| b.backend.as_str())
            .collect();
        let entry = format!("{} on {}", a.name, backends.join(" and "));
        if !names.contains(&entry) {
            names.push(entry);
        }
    }
    Some(names.join(", "))
}

/// Logs `message` as a warning the first time only (a sweep opens many simulators).
fn warn_once(message: &str) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        log::warn!("{message}");
    }
}
