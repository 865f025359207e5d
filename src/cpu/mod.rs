//! The CPU reference backend. It mirrors the shaders stage for stage, with the same names,
//! the same order and the same buffer meaning; it is the oracle the GPU is tested against and
//! the fallback when no adapter exists.
//!
//! One tick runs the stages of [`tick_schedule`] in order, as the GPU encoder does; each
//! stage's twin here is a method with the stage's name, and `CpuBackend::run_stage` is the one
//! place where the two meet:
//! 1. `poisson_input`, `current_input` (`inputs.rs`): this tick's Poisson counts into the
//!    current ring slot and injected currents into the current accumulator, in fixed point;
//! 2. `neuron_update`: take this tick's inputs, advance each neuron with its model, record
//!    the spikes (ascending here; in arbitrary order on the GPU);
//! 3. `prepare_propagate`, `propagate`, `propagate_procedural` (`propagate.rs`): the STDP
//!    spike history, then each spike's row added in fixed point into its targets' rings at
//!    slot `(tick + delay) % D`;
//! 4. `stdp_traces`, `stdp_pre`, `stdp_post` (`stdp.rs`), `modulated_update`: plasticity;
//! 5. `tick_end`: counters, the tick advance and neuromodulator relaxation.

use crate::neurons::model_id;
use crate::plan::layout::{CurrentGpu, NeuronState, PlasticGpu, PopGpu, Synapse};
use crate::plan::{PORTS, Plan, to_fixed};
use crate::rng::philox4x32_10;
use crate::sim::schedule::{TickStage, tick_schedule};
use crate::sim::{NonFiniteFault, NonFinitePolicy, Spike};

mod equation_update;
mod inputs;
mod modulated_update;
mod neuron_update;
mod propagate;
mod state;
mod stdp;

pub use inputs::{current_amplitude, poisson_count};
pub use modulated_update::relax_modulators;
pub use stdp::{apply_change, depression, potentiation, trace_step};

/// State of the CPU backend.
pub struct CpuBackend {
    plan: Plan,
    state: Vec<NeuronState>,
    weights: Vec<f32>,
    ring: Vec<i32>,
    current_in: Vec<i32>,
    tick: u64,
    spikes_this_tick: Vec<u32>,
    /// Per population: no threshold adaptation and every `u` 0, so `u` stays 0 for good.
    fixed_threshold: Vec<bool>,
    /// Per population: every neuron has the same per-neuron parameters and no bias.
    uniform_params: Vec<bool>,
    spike_hist: Vec<Vec<u32>>,
    /// Per neuron, the tick of its last spike (`u64::MAX`: none yet).
    spiked_at: Vec<u64>,
    traces: Vec<f32>,
    /// Eligibility trace per synapse (empty without reward-modulated projections).
    eligibility: Vec<f32>,
    /// Scratch for the post-side STDP walk.
    column: Vec<f32>,
    /// Neuromodulator channels: levels, baselines, decays (see `Plan::modulators`).
    modulators: Vec<f32>,
    total_spikes: u64,
    total_events: u64,
    /// The stages of one tick, in order ([`tick_schedule`]).
    schedule: Vec<TickStage>,
    /// Populations of user-defined models, run by their compiled programs.
    equations: Vec<equation_update::EquationRun>,
    /// The stages run, when a test asked for them ([`CpuBackend::log_stages`]).
    stage_log: Option<Vec<TickStage>>,
    /// The first non-finite state the watchdog saw, and what to do about it.
    fault: Option<NonFiniteFault>,
    nonfinite: NonFinitePolicy,
}

impl CpuBackend {
    /// Prepares the state from the plan.
    pub fn new(plan: &Plan) -> Self {
        let n = plan.n_neurons as usize;
        Self {
            state: plan.initial_state.clone(),
            weights: plan.weights.clone(),
            ring: vec![0; PORTS as usize * plan.ring_slots as usize * n],
            current_in: vec![0; n],
            plan: plan.clone(),
            tick: 0,
            spikes_this_tick: Vec::new(),
            fixed_threshold: plan
                .populations
                .iter()
                .map(|p| {
                    let range = p.gpu.start as usize..(p.gpu.start + p.gpu.size) as usize;
                    neuron_update::threshold_stays_fixed(&p.gpu, &plan.initial_state[range])
                })
                .collect(),
            uniform_params: plan
                .populations
                .iter()
                .map(|p| {
                    let q = &plan.neuron_params[p.gpu.start as usize..(p.gpu.start + p.gpu.size) as usize];
                    q.iter().all(|x| x == &q[0]) && q[0][1] == 0.0
                })
                .collect(),
            spike_hist: vec![Vec::new(); plan.hist_len as usize],
            spiked_at: vec![u64::MAX; n],
            traces: vec![0.0; plan.trace_len as usize],
            eligibility: if plan.modulation_interval > 0 {
                vec![0.0; plan.synapses.len()]
            } else {
                Vec::new()
            },
            modulators: plan.modulators.clone(),
            column: Vec::new(),
            total_spikes: 0,
            total_events: 0,
            schedule: tick_schedule(plan),
            equations: plan
                .equations
                .iter()
                .map(|e| equation_update::EquationRun::new(e, plan.dt_ms))
                .collect(),
            stage_log: None,
            fault: None,
            nonfinite: NonFinitePolicy::default(),
        }
    }

    /// Runs `ticks` ticks, appending every spike to `out` in (tick, neuron) order. With
    /// [`NonFinitePolicy::Stop`] it stops after a tick in which the watchdog saw a non-finite
    /// state (and runs nothing once it has).
    pub fn run_ticks(&mut self, ticks: u64, out: &mut Vec<Spike>) {
        let schedule = std::mem::take(&mut self.schedule);
        for _ in 0..ticks {
            if self.halted_by_fault() {
                break;
            }
            for &stage in &schedule {
                self.run_stage(stage, out);
            }
        }
        self.schedule = schedule;
    }

    /// Whether the watchdog has stopped the run.
    fn halted_by_fault(&self) -> bool {
        self.fault.is_some() && self.nonfinite == NonFinitePolicy::Stop
    }

    /// What the run does on a non-finite state from now on.
    pub fn set_nonfinite_policy(&mut self, policy: NonFinitePolicy) {
        self.nonfinite = policy;
    }

    /// The first non-finite state the watchdog saw, if any.
    pub fn nonfinite(&self) -> Option<NonFiniteFault> {
        self.fault
    }

    /// Runs this tick's twin of `stage`: the one place where a stage of the schedule meets
    /// its CPU method, which bears the stage's name.
    fn run_stage(&mut self, stage: TickStage, out: &mut Vec<Spike>) {
        if let Some(log) = &mut self.stage_log {
            log.push(stage);
        }
        match stage {
            TickStage::PoissonInput => self.poisson_input(),
            TickStage::CurrentInput => self.current_input(),
            TickStage::NeuronUpdate => {
                self.neuron_update();
                // The GPU's neuron_update compacts the spikes into its record ring here.
                out.extend(self.spikes_this_tick.iter().map(|&neuron| Spike {
                    tick: self.tick,
                    neuron,
                }));
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

    /// Starts (or stops and clears) a log of the stages run, in order, for checking that the
    /// backend runs exactly [`tick_schedule`]'s stages.
    pub fn log_stages(&mut self, on: bool) {
        self.stage_log = on.then(Vec::new);
    }

    /// The stages run since [`CpuBackend::log_stages`] turned the log on (empty when off).
    pub fn stages_run(&self) -> &[TickStage] {
        self.stage_log.as_deref().unwrap_or_default()
    }

    /// `tick_end`: counters, tick advance and neuromodulator relaxation.
    fn tick_end(&mut self) {
        if self.modulation_tick() {
            relax_modulators(&mut self.modulators);
        }
        self.total_spikes += self.spikes_this_tick.len() as u64;
        self.tick += 1;
    }

    /// The next tick to run.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// Total spikes so far.
    pub fn total_spikes(&self) -> u64 {
        self.total_spikes
    }

    /// Total synaptic events delivered so far.
    pub fn total_events(&self) -> u64 {
        self.total_events
    }

    /// Neuron state (populations of user-defined models: their first six variables in `v, u,
    /// w1, w2, syn_e, syn_i`, and their refractory counters).
    pub fn state(&self) -> Vec<NeuronState> {
        let mut state = self.state.clone();
        for run in &self.equations {
            run.mirror_into(&mut state);
        }
        state
    }

    /// Weights of all synapses (merged CSR order).
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// Replaces the weights of all synapses (checked by the caller).
    pub fn set_weights(&mut self, weights: &[f32]) {
        self.weights.copy_from_slice(weights);
    }

    /// The fixed-point input ring, `[port][slot][neuron]`.
    pub fn input_ring(&self) -> &[i32] {
        &self.ring
    }
}
