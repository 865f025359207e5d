//! Opening a backend on a plan, in phases: check the options, choose the synapse storage,
//! size everything and check it against the device ([`DeviceSizes`]) before any allocation,
//! count the generated rows, upload, compile the tick's stages and bind them, and generate
//! the connectivity the device makes itself.

use std::time::Instant;

use super::encoding::{TickPipelines, TickProgram};
use super::generation::{self, Generation};
use super::resources::{self, InitialData, ResourceTable, write_chunked};
use super::{GpuBackend, GpuContext, GpuCounters, GpuOptions, SetupTimes, SynapseFormat};
use crate::error::{Error, Result, invalid};
use crate::plan::Plan;
use crate::plan::compact::CompactSynapses;
use crate::plan::layout::SimParams;
use crate::plan::sizes::{CompactShape, DeviceBuffer, DeviceSizes, SizeRequest};

/// How the synapses will be stored, decided before anything is allocated.
enum SynapseStorage {
    /// Target, delay/port word and f32 weight per synapse.
    Wide,
    /// Compact arrays encoded on the host.
    Compact(CompactSynapses),
    /// Compact arrays the GPU completes: encoded once pass 1 has fixed the scale.
    Generated(CompactShape),
}

impl SynapseStorage {
    fn choose(plan: &Plan, format: SynapseFormat) -> Result<Self> {
        // A rank's rows are by global neuron in either format (`deliver`, `deliver_compact`);
        // it generates nothing on the device (refused before).
        if !plan.device_projections.is_empty() && plan.partition.is_none() {
            return Ok(Self::Generated(CompactShape::of_plan(plan)));
        }
        Ok(match format {
            SynapseFormat::Wide => Self::Wide,
            SynapseFormat::Auto => match CompactSynapses::encode(plan, &plan.weights) {
                Ok(c) => Self::Compact(c),
                Err(why) => {
                    log::debug!("wide synapse storage: {why}");
                    Self::Wide
                }
            },
            SynapseFormat::Compact => Self::Compact(
                CompactSynapses::encode(plan, &plan.weights)
                    .map_err(|why| invalid("synapse_format", "Compact", &why))?,
            ),
        })
    }

    fn shape(&self) -> Option<CompactShape> {
        match self {
            Self::Wide => None,
            Self::Compact(c) => Some(CompactShape::of_encoded(c)),
            Self::Generated(shape) => Some(*shape),
        }
    }

    /// The compact arrays to upload, the generated ones' row pointers filled from pass 1.
    fn into_compact(self, plan: &Plan, generation: Option<&Generation>) -> Result<Option<CompactSynapses>> {
        let (shape, g) = match (self, generation) {
            (Self::Wide, _) => return Ok(None),
            (Self::Compact(c), _) => return Ok(Some(c)),
            (Self::Generated(shape), Some(g)) => (shape, g),
            (Self::Generated(_), None) => return Err(Error::Gpu("generated synapses without pass 1".into())),
        };
        let mut c = CompactSynapses::encode_scaled(plan, &plan.weights, g.fixed_scale).map_err(|why| {
            invalid(
                "generate_on_device",
                true,
                &format!("GPU-generated connectivity needs compact storage for the whole network: {why}"),
            )
        })?;
        g.fill_row_pointers(&mut c);
        let encoded = CompactShape::of_encoded(&c);
        if encoded != shape {
            return Err(Error::Gpu(format!(
                "the compact arrays ({encoded:?}) differ from the shape they were sized for ({shape:?})"
            )));
        }
        Ok(Some(c))
    }
}

/// The run constants the shaders read.
fn sim_params(plan: &Plan, sizes: &DeviceSizes, fixed_scale: f32) -> SimParams {
    SimParams {
        n_neurons: plan.n_neurons,
        n_pops: plan.populations.len() as u32,
        ring_slots: plan.ring_slots,
        n_poisson: plan.poisson.len() as u32,
        poisson_threads: plan.poisson_threads(),
        seed_lo: plan.key[0],
        seed_hi: plan.key[1],
        input_seed_lo: plan.input_key[0],
        input_seed_hi: plan.input_key[1],
        record_capacity: sizes.record_capacity,
        fixed_scale,
        fixed_inv_scale: 1.0 / fixed_scale,
        row_threads: sizes.grids.row_threads,
        max_groups_x: sizes.grids.max_groups_x,
        n_current: plan.currents.len() as u32,
        current_threads: plan.current_threads(),
        n_plastic: plan.plastic.len() as u32,
        hist_len: plan.hist_len,
        stdp_lag: plan.stdp_lag,
        trace_threads: plan.trace_threads(),
        modulation_interval: plan.modulation_interval,
        n_synapses: plan.synapses.len() as u32,
        n_procedural: plan.procedural.len() as u32,
        input_first: plan.partition.as_ref().map_or(0, |p| p.rank),
        input_stride: plan.partition.as_ref().map_or(1, |p| p.ranks),
        _pad2: 0,
        _pad3: 0,
    }
}

/// Allocates every run buffer from the table of `sizes` with its initial contents.
fn upload(
    ctx: &GpuContext,
    plan: &Plan,
    sizes: &DeviceSizes,
    params: &SimParams,
    compact: Option<&CompactSynapses>,
) -> Result<ResourceTable> {
    let (poisson, procedural) = plan.rescaled_inputs(params.fixed_scale);
    let data = InitialData {
        plan,
        params,
        poisson,
        procedural,
        compact,
    };
    let resources = resources::allocate(&ctx.device, sizes.buffers(), |b| data.contents(b))?;
    if let (Some(c), Some(cs)) = (compact, &sizes.compact) {
        // Chunks cover all words, generated ones included (zeroed until generated).
        let words = resources.parts(DeviceBuffer::CompactWords);
        write_chunked(&ctx.queue, words, cs.chunk_words as usize, &c.words);
        let targets = resources.parts(DeviceBuffer::CompactTargets);
        write_chunked(&ctx.queue, targets, cs.target_chunk_words as usize, &c.targets);
    }
    Ok(resources)
}

impl GpuBackend {
    /// Opens the adapter, checks the plan fits, uploads it and builds the pipelines.
    pub fn new(plan: &Plan, options: GpuOptions) -> Result<Self> {
        let ctx = GpuContext::new()?;
        Self::with_context(ctx, plan, options)
    }

    /// As [`GpuBackend::new`] on an already opened device.
    pub fn with_context(ctx: GpuContext, plan: &Plan, options: GpuOptions) -> Result<Self> {
        let t_setup = Instant::now();
        options.validate(!plan.device_projections.is_empty())?;
        // What a GPU rank cannot run is refused before anything else.
        if plan.partition.is_some() {
            super::deliver::Delivery::check(plan)?;
        }
        let storage = SynapseStorage::choose(plan, options.synapse_format)?;
        let request = SizeRequest {
            record_capacity: options.record_capacity,
            max_chunk_bytes: options.max_chunk_bytes,
            compact: storage.shape(),
        };
        // Fail before allocating anything, with the numbers.
        let sizes = DeviceSizes::new(plan, ctx.device_limits(), &request);
        sizes.check(&ctx.summary.name)?;
        check_short_term_bindings(plan, &ctx)?;
        // Projections the GPU generates: count rows first (small buffers), which fix the row
        // pointers; provisional in-degree bounds fix the fixed-point scale.
        let generation = match &sizes.generation {
            Some(g) => Some(generation::prepass(&ctx, plan, g, options.indegree_bound_sd)?),
            None => None,
        };
        let compact = storage.into_compact(plan, generation.as_ref())?;
        // A rank's `deliver` stage, for its synapse storage.
        let delivery = match plan.partition {
            Some(_) => Some(super::deliver::Delivery::new(
                &ctx,
                plan,
                sizes.compact.as_ref().map(|c| &c.layout),
            )?),
            None => None,
        };
        let fixed_scale = generation.as_ref().map_or(plan.fixed_scale, |g| g.fixed_scale);
        let params = sim_params(plan, &sizes, fixed_scale);
        let resources = upload(&ctx, plan, &sizes, &params, compact.as_ref())?;
        let t_pipelines = Instant::now();
        let pipelines = TickPipelines::compile(&ctx.device, plan, &sizes)?;
        let shader_compile_s = t_pipelines.elapsed().as_secs_f64();
        let equations_s = equations_load_s(plan, &pipelines);
        let program = TickProgram::bind(&ctx.device, pipelines, &resources)?;
        ctx.check()?;
        let mut backend = Self {
            counters: GpuCounters {
                dispatches_per_tick: program.dispatches_per_tick(),
                ..GpuCounters::default()
            },
            ctx,
            sizes,
            resources,
            program,
            params,
            options,
            setup: SetupTimes {
                shader_compile_s,
                equations_s,
                ..SetupTimes::default()
            },
            fault: None,
            fault_stops: true,
            delivery,
        };
        if let (Some(g), Some(c)) = (&generation, &compact) {
            backend.generate_connectivity(plan, g, c)?;
        }
        let setup = &mut backend.setup;
        setup.other_s = t_setup.elapsed().as_secs_f64() - setup.shader_compile_s - setup.generate_s;
        Ok(backend)
    }

    /// Pass 2 of the connectivity generation into the compact chunks; if it had to use a
    /// smaller fixed-point scale, everything scaled on the host is written again at it.
    fn generate_connectivity(&mut self, plan: &Plan, g: &Generation, c: &CompactSynapses) -> Result<()> {
        let layout = self
            .sizes
            .compact
            .map(|cs| cs.layout)
            .ok_or_else(|| Error::Gpu("generated synapses without compact storage".into()))?;
        let done = g.generate(&self.ctx, plan, &layout, c, &self.resources)?;
        log::info!(
            "connectivity generation: row counts {:.3} s, synapses {:.3} s{}",
            g.run_s,
            done.run_s,
            if done.rerun { " (written twice)" } else { "" }
        );
        self.setup.shader_compile_s += done.compile_s + g.compile_s;
        self.setup.generate_s = done.run_s + g.run_s;
        self.setup.generation_rerun = done.rerun;
        if done.rerun {
            self.rescale(plan, done.fixed_scale)?;
        }
        Ok(())
    }

    /// A real in-degree exceeded its bound: the run uses the smaller scale, and the synapses
    /// and inputs encoded on the host are written again at it.
    fn rescale(&mut self, plan: &Plan, scale: f32) -> Result<()> {
        let rescaled = CompactSynapses::encode_scaled(plan, &plan.weights, scale)
            .map_err(|why| invalid("generate_on_device", true, &why))?;
        let chunk_words = self.sizes.compact.map_or(1, |c| c.chunk_words) as usize;
        let queue = &self.ctx.queue;
        let words = self.resources.parts(DeviceBuffer::CompactWords);
        write_chunked(queue, words, chunk_words, &rescaled.words);
        self.params.fixed_scale = scale;
        self.params.fixed_inv_scale = 1.0 / scale;
        let (poisson, procedural) = plan.rescaled_inputs(scale);
        let write = |buffer: DeviceBuffer, bytes: &[u8]| {
            if !bytes.is_empty() {
                queue.write_buffer(self.resources.get(buffer), 0, bytes);
            }
        };
        write(DeviceBuffer::Params, bytemuck::bytes_of(&self.params));
        write(DeviceBuffer::Poisson, bytemuck::cast_slice(&poisson));
        write(DeviceBuffer::Procedural, bytemuck::cast_slice(&procedural));
        Ok(())
    }
}

/// The load time of the user-defined models: their compile time, then each population's
/// pipeline build.
fn equations_load_s(plan: &Plan, pipelines: &TickPipelines) -> f64 {
    let build: f64 = pipelines.equations.iter().map(|e| e.build_s).sum();
    crate::plan::equations::compile_seconds(&plan.equations) + build
}

/// `propagate_short_term` and `propagate_stochastic` bind nine storage buffers, one more
/// than the WebGPU default.
fn check_short_term_bindings(plan: &Plan, ctx: &GpuContext) -> Result<()> {
    let allowed = ctx.device_limits().max_storage_buffers_per_stage;
    if (plan.short_term.is_empty() && plan.release.is_empty()) || allowed >= 9 {
        return Ok(());
    }
    let variant = match plan.short_term.is_empty() {
        true => "stochastic release",
        false => "short-term plasticity",
    };
    Err(crate::error::Error::LimitExceeded {
        what: format!(
            "storage bindings of propagate with {variant} on '{}'",
            ctx.summary.name
        ),
        requested: 9,
        max: u64::from(allowed),
    })
}
