//! The plan: a [`Network`] turned into flat, backend-neutral arrays. Both backends run from
//! exactly these arrays, so the CPU reference and the GPU see the same synapses, the same
//! initial state and the same fixed-point scale.
//!
//! Synapses of all projections are merged into one CSR indexed by the global pre-synaptic
//! neuron: the row of neuron `g` holds the synapses of every projection leaving `g`'s
//! population, projection by projection in creation order, targets ascending within each.
//! Each row (or column, for fixed in-degree) is generated from its own Philox stream, so the
//! result does not depend on how many threads build it.
//!
//! [`Plan::build`] runs the phases in order, one file each: `populations` (constants and
//! initial state), `connectivity` (each projection's rows, with the samplers in `sampling`),
//! `device_generated` (what the GPU generates instead), `csr` (the merged rows), `procedural`,
//! `ring` (the input ring's depth), `inputs` (Poisson and current tables), `plasticity` (STDP
//! tables and the transpose index), `short_term` (Tsodyks-Markram slots), `stochastic` (release thresholds) and `fixed_point`
//! (the accumulator scale). `queries` answers
//! questions about a built plan; `layout` holds the structs shared with WGSL, `compact` the
//! compact synapse format, `fixed_total` the generator shared with the GPU.

pub mod compact;
mod connectivity;
mod csr;
mod device_generated;
pub mod equations;
mod fixed_point;
pub mod fixed_total;
mod inputs;
pub mod layout;
mod plasticity;
mod populations;
mod procedural;
mod queries;
pub mod rank;
pub mod resources;
mod ring;
mod sampling;
pub mod short_term;
pub mod sizes;
mod stochastic;

pub use fixed_point::{MAX_FIXED_SCALE_LOG2, to_fixed};
pub use inputs::{NOISE_Z_MAX, PlannedCurrent, SPARE_STEPS_PER_INPUT, poisson_cdf_table};
pub use plasticity::channel_index;
pub use procedural::procedural_row;

use crate::error::Result;
use crate::model::Network;
use crate::plan::fixed_total::GenProjection;
use crate::plan::layout::{
    CurrentGpu, CurrentStep, NeuronState, PlasticGpu, PoissonGpu, PoissonSegment, PopGpu, ProceduralGpu,
    Synapse,
};
use crate::rng::seed_key;

/// Number of synaptic input ports per neuron in the delay ring (excitatory, inhibitory).
/// Injected currents use a separate one-slot accumulator.
pub const PORTS: u32 = 2;

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
    /// Timing conventions (spike stamps read them here).
    pub conventions: crate::model::Conventions,
    /// Philox key of connectivity (stored, procedural and generated rows), from
    /// [`Seeds::connectivity`](crate::model::Seeds).
    pub key: [u32; 2],
    /// Philox key of the initial state, from [`Seeds::initial`](crate::model::Seeds).
    pub initial_key: [u32; 2],
    /// Philox key of the inputs (Poisson inputs and sources, noise currents), from
    /// [`Seeds::inputs`](crate::model::Seeds).
    pub input_key: [u32; 2],
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
    /// Steps of step currents, with spare room at the end ([`SPARE_STEPS_PER_INPUT`]).
    pub current_steps: Vec<CurrentStep>,
    /// Per current input, its source and its entries in `currents`.
    pub current_inputs: Vec<PlannedCurrent>,
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
    /// Tsodyks-Markram projections and their state slots (empty when none).
    pub short_term: short_term::ShortTermTables,
    /// Per synapse of the merged rows, its release threshold when some projection has
    /// stochastic release ([`crate::model::stochastic`]); empty otherwise.
    pub release: Vec<u32>,
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
    /// Populations of user-defined models, in population order.
    pub equations: Vec<equations::EquationPlan>,
    /// A rank's place in a distributed run ([`rank`]): its neurons are numbered locally, its
    /// rows by global neuron. `None` in a single process.
    pub partition: Option<Box<rank::Partition>>,
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

    /// Runs the phases in order. Each phase reads the description and the tables of the
    /// phases before it; errors come out in this order too.
    fn build(net: &Network, threads: usize, device_generation: bool) -> Result<Self> {
        Self::build_part(net, threads, device_generation, None)
    }

    /// As `build`, for rank `share.0` of `share.1` of a distributed run where given (its
    /// neurons and the synapses onto them, [`rank`]).
    fn build_part(
        net: &Network,
        threads: usize,
        device_generation: bool,
        share: Option<(u32, u32)>,
    ) -> Result<Self> {
        resources::check_host_share(net, device_generation, share)?;
        let key = seed_key(net.seeds.connectivity);
        let initial_key = seed_key(net.seeds.initial);
        let mut neurons = populations::plan_populations(net, initial_key, key)?;
        let mut equations = equations::plan_equations(net, &mut neurons.initial_state)?;
        let partition = share.map(|(r, n)| Box::new(rank::take_share(&mut neurons, r, n)));
        if let Some(part) = &partition {
            rank::share_equations(&mut equations, &neurons.populations, part);
        }
        let n_neurons = neurons.n_neurons;
        let pops = &neurons.populations;
        // Rows by global pre-synaptic neuron, also on a rank.
        let global_pops = partition.as_ref().map(|p| p.global_populations.clone());
        let row_pops = global_pops.as_deref().unwrap_or(pops);
        let n_rows = partition.as_ref().map_or(n_neurons, |p| p.n_global);
        // On a rank of a plastic network: each kept synapse's index in its projection.
        let plastic = net.projections.iter().any(|p| p.plasticity.is_some());
        let kept = std::cell::RefCell::new(Vec::new());
        let keep = |k: usize, csr: &mut connectivity::LocalCsr| {
            if let Some(part) = &partition {
                let post = net.projections[k].post.index;
                let global = &part.global_populations[post];
                kept.borrow_mut()
                    .push(rank::keep_owned(csr, part, global, &pops[post], plastic));
            }
        };
        let generated =
            connectivity::generate_all(net, key, row_pops, threads.max(1), device_generation, keep)?;
        let device = generated.device;
        let csr = csr::merge(net, row_pops, generated.local, &device, n_rows)?;
        let mut partition = partition;
        if let Some(part) = partition.as_deref_mut() {
            part.index_synapses(net, &csr.projections, kept.into_inner());
        }
        let mut procedural = procedural::procedural_projections(net, pops);
        let max_delay = ring::max_delay(&csr.synapses, &procedural, &device);
        let ring_slots = ring::ring_slots(max_delay, n_neurons)?;
        let mut poisson = inputs::poisson_tables(net, pops)?;
        let currents = inputs::current_tables(net, pops, n_neurons, partition.as_deref());
        let stdp = plasticity::stdp_tables(net, row_pops, pops, max_delay);
        let short_term = short_term::short_term_tables(net, pops, &csr.projections, &csr.row_ptr)?;
        let release =
            stochastic::release_thresholds(net, pops, &csr.projections, &csr.row_ptr, &csr.synapses);
        let (col_ptr, col_entries) = plasticity::transpose(&csr, n_neurons, !stdp.projections.is_empty());
        let input_extra = fixed_point::input_extras(net, n_neurons, &poisson, &currents.bound, &procedural);
        let fixed_scale = fixed_point::choose_fixed_scale(&fixed_point::input_bounds(
            n_neurons as usize,
            &csr.synapses,
            &csr.weights,
            &stdp.projections,
            &input_extra,
        ))?;
        let poisson_weights: Vec<f32> = net.poisson_inputs.iter().map(|p| p.weight as f32).collect();
        let procedural_weights = procedural::procedural_weights(net);
        fixed_point::set_fixed_weights(&mut poisson.inputs, &poisson_weights, fixed_scale, |p| {
            &mut p.weight_fixed
        });
        fixed_point::set_fixed_weights(&mut procedural, &procedural_weights, fixed_scale, |p| {
            &mut p.weight_fixed
        });
        Ok(Plan {
            dt_ms: net.dt_ms,
            conventions: net.conventions,
            key,
            initial_key,
            input_key: seed_key(net.seeds.inputs),
            n_neurons,
            populations: neurons.populations,
            initial_state: neurons.initial_state,
            neuron_params: neurons.neuron_params,
            source_ticks: neurons.source_ticks,
            row_ptr: csr.row_ptr,
            synapses: csr.synapses,
            weights: csr.weights,
            projections: csr.projections,
            ring_slots,
            fixed_scale,
            poisson: poisson.inputs,
            poisson_segments: poisson.segments,
            poisson_cdf: poisson.cdf,
            currents: currents.sources,
            current_steps: currents.steps,
            current_inputs: currents.inputs,
            modulators: plasticity::modulators(net, stdp.modulation_interval),
            plastic: stdp.projections,
            col_ptr,
            col_entries,
            hist_len: stdp.hist_len,
            stdp_lag: stdp.stdp_lag,
            trace_len: stdp.trace_len,
            modulation_interval: stdp.modulation_interval,
            short_term,
            release,
            procedural,
            device_projections: device.into_iter().map(|(_, d)| d).collect(),
            poisson_weights,
            procedural_weights,
            input_extra,
            equations,
            partition,
        })
    }
}
