//! The wgpu backend: buffers, pipelines and bind groups are created once; each submission
//! encodes many ticks (a fixed stage sequence per tick, one compute pass per batch) and ends
//! with a copy of the run control and the spike records into one of two staging buffers. The
//! host drains one staging buffer while the GPU computes the next batch.

mod context;
mod generate;
pub mod shaders;

use std::collections::VecDeque;

use wgpu::util::DeviceExt;

pub use context::{ADAPTER_ENV, AdapterSummary, GpuContext, list_adapters};

use crate::error::{Error, Result};
use crate::plan::compact::CompactSynapses;
use crate::plan::layout::{CompactProjection, Control, NeuronState, SimParams, SpikeRecord};
use crate::plan::{PORTS, Plan};

const NEURON_WORKGROUP: u32 = 256;
/// Bytes reserved for the control snapshot at the head of a staging buffer.
const CONTROL_BYTES: u64 = 64;

/// How synapses are stored on the device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SynapseFormat {
    /// Compact where the network qualifies (static, weights that fit beside the delay bits),
    /// wide otherwise. Both give the same spikes.
    #[default]
    Auto,
    /// Target, delay/port word and f32 weight: 12 bytes, one binding each.
    Wide,
    /// 4 bytes and as many bits of target as the largest post population needs per synapse
    /// (5.875 bytes for the microcircuit), split over as many bindings as needed (see
    /// [`crate::plan::compact`]); an error if the network does not qualify.
    Compact,
}

/// Tuning of the GPU run loop.
#[derive(Clone, Debug)]
pub struct GpuOptions {
    /// Ticks encoded per submission.
    pub ticks_per_batch: u32,
    /// Initial capacity of the spike record ring (entries); it grows when batches halt.
    pub record_capacity: Option<u32>,
    /// Synapse storage.
    pub synapse_format: SynapseFormat,
    /// Largest chunk of a compact synapse array per binding, in bytes (default and upper
    /// bound: the adapter's binding limit; at least 128), rounded down to a power of two.
    pub max_chunk_bytes: Option<u64>,
    /// Width of the provisional in-degree bound of GPU-generated projections, in standard
    /// deviations above the mean (default 8). The fixed-point scale is fixed from it before
    /// the synapses are written; if a real in-degree exceeds it, the synapses are written
    /// again at the scale of the real in-degrees (slower, same determinism). A wider bound
    /// may cost a bit of fixed-point resolution, a narrower one the second pass.
    pub indegree_bound_sd: f64,
}

impl Default for GpuOptions {
    fn default() -> Self {
        Self {
            ticks_per_batch: 500,
            record_capacity: None,
            synapse_format: SynapseFormat::Auto,
            max_chunk_bytes: None,
            indegree_bound_sd: 8.0,
        }
    }
}

/// Compact arrays read back from the device.
#[derive(Clone, Debug)]
pub struct CompactArrays {
    /// Per synapse: `(w_fixed << delay_bits) | delay`.
    pub words: Vec<u32>,
    /// Targets, a stream of `target_bits` bits per synapse ([`crate::plan::compact::target_at`]).
    pub targets: Vec<u32>,
    /// Bits of each target.
    pub target_bits: u32,
    /// Row pointers, relative to each projection's first synapse.
    pub row_ptr: Vec<u32>,
    /// The projection table (with the first positions of generated projections).
    pub projections: Vec<CompactProjection>,
}

/// Most storage bindings a generated stage uses: the adapter's limit, capped because some
/// drivers report millions and a shader with one binding per chunk must stay small.
pub const MAX_STORAGE_BINDINGS: u32 = 64;

/// Storage bindings available to a generated stage.
pub fn max_storage_bindings(limits: &wgpu::Limits) -> u32 {
    limits
        .max_storage_buffers_per_shader_stage
        .min(MAX_STORAGE_BINDINGS)
}

/// Device buffers of the compact synapse storage.
struct CompactBuffers {
    words: Vec<wgpu::Buffer>,
    targets: Vec<wgpu::Buffer>,
    row_ptr: wgpu::Buffer,
    projections: wgpu::Buffer,
    outgoing: wgpu::Buffer,
    chunk_words: u64,
    target_chunk_words: u64,
    target_bits: u32,
    bytes_per_synapse: f64,
    total_words: u64,
    generated: u64,
}

struct Pipelines {
    batch_begin: wgpu::ComputePipeline,
    poisson_input: wgpu::ComputePipeline,
    current_input: wgpu::ComputePipeline,
    neuron_update: wgpu::ComputePipeline,
    prepare_propagate: wgpu::ComputePipeline,
    propagate: wgpu::ComputePipeline,
    propagate_procedural: Option<wgpu::ComputePipeline>,
    stdp_traces: wgpu::ComputePipeline,
    stdp_pre: wgpu::ComputePipeline,
    stdp_post: wgpu::ComputePipeline,
    modulated_update: wgpu::ComputePipeline,
    tick_end: wgpu::ComputePipeline,
}

struct BindGroups {
    batch_begin: wgpu::BindGroup,
    poisson_input: Option<wgpu::BindGroup>,
    current_input: Option<wgpu::BindGroup>,
    neuron_update: wgpu::BindGroup,
    prepare_propagate: wgpu::BindGroup,
    propagate: wgpu::BindGroup,
    propagate_procedural: Option<wgpu::BindGroup>,
    stdp: Option<[wgpu::BindGroup; 3]>,
    modulated_update: Option<wgpu::BindGroup>,
    tick_end: wgpu::BindGroup,
}

struct Buffers {
    params: wgpu::Buffer,
    control: wgpu::Buffer,
    pops: wgpu::Buffer,
    state: wgpu::Buffer,
    ring: wgpu::Buffer,
    records: wgpu::Buffer,
    row_ptr: wgpu::Buffer,
    synapses: wgpu::Buffer,
    weights: wgpu::Buffer,
    poisson: wgpu::Buffer,
    poisson_segments: wgpu::Buffer,
    poisson_cdf: wgpu::Buffer,
    neuron_params: wgpu::Buffer,
    source_ticks: wgpu::Buffer,
    currents: wgpu::Buffer,
    current_steps: wgpu::Buffer,
    current_in: wgpu::Buffer,
    spike_hist: wgpu::Buffer,
    spiked_at: wgpu::Buffer,
    traces: wgpu::Buffer,
    plastic: wgpu::Buffer,
    col_ptr: wgpu::Buffer,
    col_entries: wgpu::Buffer,
    modulators: wgpu::Buffer,
    procedural: wgpu::Buffer,
    compact: Option<CompactBuffers>,
    indirect: wgpu::Buffer,
    staging: [wgpu::Buffer; 2],
}

/// A copy of part of a GPU buffer on its way to the host: queued behind the work already
/// submitted, so it holds the values at that point of the run, while later batches go on.
pub struct PendingRead {
    staging: wgpu::Buffer,
    done: std::sync::mpsc::Receiver<std::result::Result<(), wgpu::BufferAsyncError>>,
    size: u64,
}

/// Run counters read back from the GPU.
#[derive(Clone, Copy, Debug, Default)]
pub struct GpuCounters {
    /// Next tick.
    pub tick: u32,
    /// Total spikes.
    pub spikes: u64,
    /// Total synaptic events.
    pub events: u64,
    /// Batches that halted early to drain the record ring.
    pub halts: u32,
    /// Submissions made.
    pub submissions: u64,
    /// Compute dispatches per tick.
    pub dispatches_per_tick: u32,
}

/// The GPU backend.
pub struct GpuBackend {
    ctx: GpuContext,
    pipelines: Pipelines,
    buffers: Buffers,
    bind_groups: BindGroups,
    params: SimParams,
    options: GpuOptions,
    neuron_groups: (u32, u32),
    poisson_groups: (u32, u32),
    current_groups: (u32, u32),
    trace_groups: (u32, u32),
    counters: GpuCounters,
    setup: SetupTimes,
}

/// Where the backend's setup time went (seconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct SetupTimes {
    /// Creating the compute pipelines (the driver compiles the shaders here).
    pub shader_compile_s: f64,
    /// Running the connectivity generation passes (compilation of their shaders excluded).
    pub generate_s: f64,
    /// Everything else: buffers, uploads, bind groups.
    pub other_s: f64,
    /// Whether generated synapses were written twice: a real in-degree exceeded the
    /// provisional bound (see [`GpuOptions::indegree_bound_sd`]).
    pub generation_rerun: bool,
}

fn storage_init(device: &wgpu::Device, label: &str, bytes: &[u8], extra: wgpu::BufferUsages) -> wgpu::Buffer {
    // Bindings may not be empty nor smaller than one element: pad to EMPTY_BINDING_BYTES.
    let padded;
    let contents = if bytes.is_empty() {
        padded = [0u8; EMPTY_BINDING_BYTES as usize];
        &padded[..]
    } else {
        bytes
    };
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents,
        usage: wgpu::BufferUsages::STORAGE | extra,
    })
}

/// Words per chunk of targets: `span` word chunks' regions of targets (see
/// [`shaders::ChunkLayout`]).
fn target_chunk_words(layout: &shaders::ChunkLayout) -> u64 {
    u64::from(crate::plan::compact::target_chunk_span(layout.target_bits))
        * (u64::from(layout.target_bits) << (layout.chunk_shift - 5))
}

/// Writes `data` (host-encoded words, then nothing: the rest is generated on the device) from
/// the start of an array split into `buffers` of `chunk_words` words each.
fn write_chunked(queue: &wgpu::Queue, buffers: &[wgpu::Buffer], chunk_words: usize, data: &[u32]) {
    for (buffer, part) in buffers.iter().zip(data.chunks(chunk_words.max(1))) {
        queue.write_buffer(buffer, 0, bytemuck::cast_slice(part));
    }
}

/// Size of the stand-in for an empty array: at least one element of every struct a stage binds
/// as an array (the largest, `GenProjection`, is 112 bytes).
const EMPTY_BINDING_BYTES: u64 = 256;

/// Smallest chunk of a compact synapse array: 32 words, so that each chunk's targets are a
/// whole number of words at every target width.
const MIN_CHUNK_BYTES: u64 = 128;

/// A zero-initialised storage buffer of `size` bytes (at least one element of any array).
fn storage_zeroed(device: &wgpu::Device, label: &str, size: u64, extra: wgpu::BufferUsages) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: size.max(EMPTY_BINDING_BYTES),
        usage: wgpu::BufferUsages::STORAGE | extra,
        mapped_at_creation: false,
    })
}

impl GpuBackend {
    /// Opens the adapter, checks the plan fits, uploads it and builds the pipelines.
    pub fn new(plan: &Plan, options: GpuOptions) -> Result<Self> {
        let ctx = GpuContext::new()?;
        Self::with_context(ctx, plan, options)
    }

    /// As [`GpuBackend::new`] on an already opened device.
    pub fn with_context(ctx: GpuContext, plan: &Plan, options: GpuOptions) -> Result<Self> {
        let t_setup = std::time::Instant::now();
        if options.ticks_per_batch == 0 {
            return Err(crate::error::invalid("ticks_per_batch", 0, "must be >= 1"));
        }
        let limits = &ctx.limits;
        let n = plan.n_neurons;
        let max_x = limits.max_compute_workgroups_per_dimension;
        let max_binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        let max_records = (max_binding / 8).min(u64::from(u32::MAX / 2)) as u32;
        let capacity = options
            .record_capacity
            .unwrap_or_else(|| n.saturating_mul(2).max(1 << 16))
            .max(n.saturating_add(1))
            .min(max_records);
        // Projections the GPU generates: count rows first (small buffers), which fix the row
        // pointers; provisional in-degree bounds fix the fixed-point scale.
        let generation = if plan.device_projections.is_empty() {
            None
        } else {
            if options.synapse_format == SynapseFormat::Wide {
                return Err(crate::error::invalid(
                    "synapse_format",
                    "Wide",
                    "GPU-generated connectivity is stored in the compact format",
                ));
            }
            if !(options.indegree_bound_sd.is_finite() && options.indegree_bound_sd >= 0.0) {
                return Err(crate::error::invalid(
                    "indegree_bound_sd",
                    options.indegree_bound_sd,
                    "must be finite and >= 0",
                ));
            }
            Some(generate::prepass(&ctx, plan, options.indegree_bound_sd)?)
        };
        let fixed_scale = generation.as_ref().map_or(plan.fixed_scale, |g| g.fixed_scale);
        // Fail before allocating anything, with the numbers.
        let compact = match options.synapse_format {
            _ if generation.is_some() => {
                let mut c = CompactSynapses::encode_scaled(plan, &plan.weights, fixed_scale).map_err(|why| {
                    crate::error::invalid(
                        "generate_on_device",
                        true,
                        &format!("GPU-generated connectivity needs compact storage for the whole network: {why}"),
                    )
                })?;
                generation.as_ref().expect("some").fill_row_pointers(&mut c);
                Some(c)
            }
            SynapseFormat::Wide => None,
            SynapseFormat::Auto => match CompactSynapses::encode(plan, &plan.weights) {
                Ok(c) => Some(c),
                Err(why) => {
                    log::debug!("wide synapse storage: {why}");
                    None
                }
            },
            SynapseFormat::Compact => Some(
                CompactSynapses::encode(plan, &plan.weights)
                    .map_err(|why| crate::error::invalid("synapse_format", "Compact", &why))?,
            ),
        };
        let chunk_bytes = {
            let limit = options
                .max_chunk_bytes
                .unwrap_or(max_binding)
                .clamp(MIN_CHUNK_BYTES, max_binding.max(MIN_CHUNK_BYTES));
            1u64 << (63 - limit.leading_zeros())
        };
        let layout = compact.as_ref().map(|c| {
            let chunk_words = chunk_bytes / 4;
            let mut l = shaders::ChunkLayout {
                word_chunks: c.total_words().div_ceil(chunk_words).max(1) as u32,
                target_chunks: 1,
                chunk_shift: chunk_words.trailing_zeros(),
                delay_bits: c.delay_bits,
                target_bits: c.target_bits,
            };
            l.target_chunks = c.total_target_words().div_ceil(target_chunk_words(&l)).max(1) as u32;
            l
        });
        if let Some(l) = &layout {
            // propagate_compact: seven fixed storage bindings, then the chunks.
            let needed = 7 + l.word_chunks + l.target_chunks;
            let allowed = max_storage_bindings(limits);
            if needed > allowed {
                return Err(Error::LimitExceeded {
                    what: format!(
                        "storage bindings of the compact synapse arrays ({} synapses at {} bytes, in chunks of {chunk_bytes} bytes, plus 7) on '{}'",
                        compact.as_ref().map_or(0, |c| c.total_words()),
                        compact
                            .as_ref()
                            .map_or(0.0, |c| (c.total_words() * 4 + c.total_target_words() * 4) as f64
                                / c.total_words().max(1) as f64),
                        ctx.summary.name
                    ),
                    requested: u64::from(needed),
                    max: u64::from(allowed),
                });
            }
        }
        let wide_synapses = if compact.is_some() {
            0
        } else {
            plan.synapse_count()
        };
        let ring_bytes = u64::from(PORTS) * u64::from(plan.ring_slots) * u64::from(n) * 4;
        let sizes = [
            (
                "neuron state",
                u64::from(n) * std::mem::size_of::<NeuronState>() as u64,
            ),
            ("input ring", ring_bytes),
            ("synapses (target, delay, port)", wide_synapses * 8),
            (
                "synapse weights (and eligibility traces)",
                wide_synapses * 4 * (1 + u64::from(plan.modulation_interval > 0)),
            ),
            ("row pointers", (u64::from(n) + 1) * 4),
            ("spike record ring", u64::from(n.saturating_add(1)) * 8),
        ];
        for (what, bytes) in sizes {
            if bytes > max_binding {
                return Err(Error::LimitExceeded {
                    what: format!("GPU buffer '{what}' (bytes) on '{}'", ctx.summary.name),
                    requested: bytes,
                    max: max_binding,
                });
            }
        }
        let threads = n
            .max(plan.poisson_threads())
            .max(plan.current_threads())
            .max(plan.trace_threads());
        let groups_total = threads.div_ceil(NEURON_WORKGROUP).max(1);
        let groups_x = groups_total.min(max_x);
        let row_threads = groups_x * NEURON_WORKGROUP;
        let grid = |t: u32| {
            let y = t.div_ceil(row_threads).max(1);
            (groups_x.min(t.div_ceil(NEURON_WORKGROUP)).max(1), y)
        };
        if grid(threads).1 > max_x {
            return Err(Error::LimitExceeded {
                what: "neuron workgroups (2-D dispatch)".into(),
                requested: u64::from(groups_total),
                max: u64::from(max_x) * u64::from(max_x),
            });
        }
        let params = SimParams {
            n_neurons: n,
            n_pops: plan.populations.len() as u32,
            ring_slots: plan.ring_slots,
            n_poisson: plan.poisson.len() as u32,
            poisson_threads: plan.poisson_threads(),
            seed_lo: plan.key[0],
            seed_hi: plan.key[1],
            input_seed_lo: plan.input_key[0],
            input_seed_hi: plan.input_key[1],
            record_capacity: capacity,
            fixed_scale,
            fixed_inv_scale: 1.0 / fixed_scale,
            row_threads,
            max_groups_x: max_x,
            n_current: plan.currents.len() as u32,
            current_threads: plan.current_threads(),
            n_plastic: plan.plastic.len() as u32,
            hist_len: plan.hist_len,
            stdp_lag: plan.stdp_lag,
            trace_threads: plan.trace_threads(),
            modulation_interval: plan.modulation_interval,
            n_synapses: plan.synapses.len() as u32,
            n_procedural: plan.procedural.len() as u32,
            _pad2: 0,
        };

        let device = &ctx.device;
        let pops: Vec<_> = plan.populations.iter().map(|p| p.gpu).collect();
        let control = Control {
            tick: 0,
            ..Control::default()
        };
        let copy = wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let (poisson, procedural) = plan.rescaled_inputs(fixed_scale);
        let buffers = Buffers {
            params: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("spikegpu.params"),
                contents: bytemuck::bytes_of(&params),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            }),
            control: storage_init(device, "spikegpu.control", bytemuck::bytes_of(&control), copy),
            pops: storage_init(device, "spikegpu.pops", bytemuck::cast_slice(&pops), copy),
            state: storage_init(
                device,
                "spikegpu.state",
                bytemuck::cast_slice(&plan.initial_state),
                copy,
            ),
            ring: storage_zeroed(device, "spikegpu.ring", ring_bytes, copy),
            records: Self::records_buffer(device, capacity),
            row_ptr: storage_init(
                device,
                "spikegpu.row_ptr",
                bytemuck::cast_slice(&plan.row_ptr),
                copy,
            ),
            synapses: storage_init(
                device,
                "spikegpu.synapses",
                bytemuck::cast_slice(if compact.is_some() {
                    &[]
                } else {
                    plan.synapses.as_slice()
                }),
                copy,
            ),
            weights: storage_init(
                device,
                "spikegpu.weights",
                bytemuck::cast_slice(&if compact.is_some() {
                    Vec::new()
                } else if plan.modulation_interval > 0 {
                    [plan.weights.as_slice(), &vec![0.0; plan.weights.len()]].concat()
                } else {
                    plan.weights.clone()
                }),
                copy,
            ),
            poisson: storage_init(device, "spikegpu.poisson", bytemuck::cast_slice(&poisson), copy),
            poisson_segments: storage_init(
                device,
                "spikegpu.poisson_segments",
                bytemuck::cast_slice(&plan.poisson_segments),
                copy,
            ),
            poisson_cdf: storage_init(
                device,
                "spikegpu.poisson_cdf",
                bytemuck::cast_slice(&plan.poisson_cdf),
                copy,
            ),
            neuron_params: storage_init(
                device,
                "spikegpu.neuron_params",
                bytemuck::cast_slice(&plan.neuron_params),
                copy,
            ),
            source_ticks: storage_init(
                device,
                "spikegpu.source_ticks",
                bytemuck::cast_slice(&plan.source_ticks),
                copy,
            ),
            currents: storage_init(
                device,
                "spikegpu.currents",
                bytemuck::cast_slice(&plan.currents),
                copy,
            ),
            current_steps: storage_init(
                device,
                "spikegpu.current_steps",
                bytemuck::cast_slice(&plan.current_steps),
                copy,
            ),
            current_in: storage_zeroed(device, "spikegpu.current_in", u64::from(n) * 4, copy),
            // Plasticity buffers (one padded element each without plasticity).
            spike_hist: storage_zeroed(
                device,
                "spikegpu.spike_hist",
                if plan.plastic.is_empty() {
                    0
                } else {
                    u64::from(plan.hist_len) * (u64::from(n) + 1) * 4
                },
                copy,
            ),
            spiked_at: storage_init(
                device,
                "spikegpu.spiked_at",
                bytemuck::cast_slice(&vec![
                    u32::MAX;
                    if plan.plastic.is_empty() { 4 } else { n as usize }
                ]),
                copy,
            ),
            traces: storage_zeroed(device, "spikegpu.traces", u64::from(plan.trace_len) * 4, copy),
            plastic: storage_init(
                device,
                "spikegpu.plastic",
                bytemuck::cast_slice(&plan.plastic),
                copy,
            ),
            col_ptr: storage_init(
                device,
                "spikegpu.col_ptr",
                bytemuck::cast_slice(&plan.col_ptr),
                copy,
            ),
            col_entries: storage_init(
                device,
                "spikegpu.col_entries",
                bytemuck::cast_slice(&plan.col_entries),
                copy,
            ),
            modulators: storage_init(
                device,
                "spikegpu.modulators",
                bytemuck::cast_slice(&plan.modulators),
                copy,
            ),
            indirect: storage_zeroed(device, "spikegpu.indirect", 48, wgpu::BufferUsages::INDIRECT),
            procedural: storage_init(
                device,
                "spikegpu.procedural",
                bytemuck::cast_slice(&procedural),
                copy,
            ),
            compact: compact.as_ref().zip(layout.as_ref()).map(|(c, l)| {
                let chunk_words = chunk_bytes / 4;
                let target_chunk_words = target_chunk_words(l);
                // Chunks cover all words, generated ones included (zeroed until generated).
                let chunks = |label: &str, data: &[u32], total: u64, size: u64| -> Vec<wgpu::Buffer> {
                    let count = total.div_ceil(size).max(1);
                    let buffers: Vec<_> = (0..count)
                        .map(|i| storage_zeroed(device, label, (total - i * size).min(size) * 4, copy))
                        .collect();
                    write_chunked(&ctx.queue, &buffers, size as usize, data);
                    buffers
                };
                CompactBuffers {
                    words: chunks("spikegpu.compact_words", &c.words, c.total_words(), chunk_words),
                    targets: chunks(
                        "spikegpu.compact_targets",
                        &c.targets,
                        c.total_target_words(),
                        target_chunk_words,
                    ),
                    row_ptr: storage_init(
                        device,
                        "spikegpu.compact_row_ptr",
                        bytemuck::cast_slice(&c.row_ptr),
                        copy,
                    ),
                    projections: storage_init(
                        device,
                        "spikegpu.compact_projections",
                        bytemuck::cast_slice(&c.projections),
                        copy,
                    ),
                    outgoing: storage_init(
                        device,
                        "spikegpu.compact_outgoing",
                        bytemuck::cast_slice(&c.outgoing),
                        copy,
                    ),
                    chunk_words,
                    target_chunk_words,
                    target_bits: c.target_bits,
                    bytes_per_synapse: c.bytes_per_synapse(),
                    total_words: c.total_words(),
                    generated: c.device_synapses,
                }
            }),
            staging: [
                Self::staging_buffer(device, capacity),
                Self::staging_buffer(device, capacity),
            ],
        };
        let t_pipelines = std::time::Instant::now();
        let pipelines = Pipelines {
            batch_begin: pipeline(device, "batch_begin"),
            poisson_input: pipeline(device, "poisson_input"),
            current_input: pipeline(device, "current_input"),
            neuron_update: pipeline(device, "neuron_update"),
            prepare_propagate: pipeline(device, "prepare_propagate"),
            propagate_procedural: (!plan.procedural.is_empty())
                .then(|| pipeline(device, "propagate_procedural")),
            propagate: match &layout {
                Some(l) => pipeline_from_source(
                    device,
                    "propagate_compact",
                    &shaders::propagate_compact_source(l, shaders::Dialect::of(device)),
                ),
                None => pipeline(device, "propagate"),
            },
            stdp_traces: pipeline(device, "stdp_traces"),
            stdp_pre: pipeline(device, "stdp_pre"),
            stdp_post: pipeline(device, "stdp_post"),
            modulated_update: pipeline(device, "modulated_update"),
            tick_end: pipeline(device, "tick_end"),
        };
        let mut setup = SetupTimes {
            shader_compile_s: t_pipelines.elapsed().as_secs_f64(),
            ..SetupTimes::default()
        };
        let bind_groups = Self::bind_groups(device, &pipelines, &buffers, &params);
        ctx.check()?;
        let mut params = params;
        if let (Some(g), Some(c), Some(b), Some(l)) = (&generation, &compact, &buffers.compact, &layout) {
            let done = g.generate(&ctx, plan, l, c, &b.row_ptr, (&b.words, &b.targets))?;
            log::info!(
                "connectivity generation: row counts {:.3} s, synapses {:.3} s{}",
                g.run_s,
                done.run_s,
                if done.rerun { " (written twice)" } else { "" }
            );
            setup.shader_compile_s += done.compile_s + g.compile_s;
            setup.generate_s = done.run_s + g.run_s;
            setup.generation_rerun = done.rerun;
            if done.rerun {
                // A real in-degree exceeded its bound: the run uses the smaller scale, and the
                // synapses encoded on the host are written again at it.
                let rescaled = CompactSynapses::encode_scaled(plan, &plan.weights, done.fixed_scale)
                    .map_err(|why| crate::error::invalid("generate_on_device", true, &why))?;
                write_chunked(&ctx.queue, &b.words, b.chunk_words as usize, &rescaled.words);
                params.fixed_scale = done.fixed_scale;
                params.fixed_inv_scale = 1.0 / done.fixed_scale;
                let (poisson, procedural) = plan.rescaled_inputs(done.fixed_scale);
                ctx.queue
                    .write_buffer(&buffers.params, 0, bytemuck::bytes_of(&params));
                if !poisson.is_empty() {
                    ctx.queue
                        .write_buffer(&buffers.poisson, 0, bytemuck::cast_slice(&poisson));
                }
                if !procedural.is_empty() {
                    ctx.queue
                        .write_buffer(&buffers.procedural, 0, bytemuck::cast_slice(&procedural));
                }
            }
        }
        setup.other_s = t_setup.elapsed().as_secs_f64() - setup.shader_compile_s - setup.generate_s;
        let neuron_groups = grid(n);
        let poisson_groups = grid(params.poisson_threads);
        let current_groups = grid(params.current_threads);
        let trace_groups = grid(params.trace_threads);
        let dispatches_per_tick = 4
            + u32::from(params.poisson_threads > 0)
            + u32::from(params.current_threads > 0)
            + 3 * u32::from(params.n_plastic > 0)
            + u32::from(params.modulation_interval > 0)
            + u32::from(params.n_procedural > 0);
        Ok(Self {
            ctx,
            pipelines,
            buffers,
            bind_groups,
            params,
            options,
            neuron_groups,
            poisson_groups,
            current_groups,
            trace_groups,
            counters: GpuCounters {
                dispatches_per_tick,
                ..GpuCounters::default()
            },
            setup,
        })
    }

    fn records_buffer(device: &wgpu::Device, capacity: u32) -> wgpu::Buffer {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("spikegpu.records"),
            size: u64::from(capacity) * 8,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        })
    }

    fn staging_buffer(device: &wgpu::Device, capacity: u32) -> wgpu::Buffer {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("spikegpu.staging"),
            size: CONTROL_BYTES + u64::from(capacity) * 8,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    fn bind_groups(device: &wgpu::Device, p: &Pipelines, b: &Buffers, params: &SimParams) -> BindGroups {
        let make = |pipe: &wgpu::ComputePipeline, name: &str, bufs: &[&wgpu::Buffer]| {
            bind_group(device, pipe, name, bufs)
        };
        BindGroups {
            batch_begin: make(&p.batch_begin, "batch_begin", &[&b.control]),
            poisson_input: (params.poisson_threads > 0).then(|| {
                make(
                    &p.poisson_input,
                    "poisson_input",
                    &[
                        &b.params,
                        &b.control,
                        &b.poisson,
                        &b.poisson_cdf,
                        &b.ring,
                        &b.poisson_segments,
                    ],
                )
            }),
            current_input: (params.current_threads > 0).then(|| {
                make(
                    &p.current_input,
                    "current_input",
                    &[
                        &b.params,
                        &b.control,
                        &b.currents,
                        &b.current_steps,
                        &b.current_in,
                    ],
                )
            }),
            neuron_update: make(
                &p.neuron_update,
                "neuron_update",
                &[
                    &b.params,
                    &b.control,
                    &b.pops,
                    &b.state,
                    &b.ring,
                    &b.records,
                    &b.neuron_params,
                    &b.source_ticks,
                    &b.current_in,
                ],
            ),
            prepare_propagate: make(
                &p.prepare_propagate,
                "prepare_propagate",
                &[&b.params, &b.control, &b.indirect, &b.spike_hist],
            ),
            propagate: match &b.compact {
                Some(c) => {
                    let mut bufs = vec![
                        &b.params,
                        &b.control,
                        &b.records,
                        &b.pops,
                        &c.outgoing,
                        &c.projections,
                        &c.row_ptr,
                        &b.ring,
                    ];
                    bufs.extend(c.words.iter());
                    bufs.extend(c.targets.iter());
                    make(&p.propagate, "propagate_compact", &bufs)
                }
                None => make(
                    &p.propagate,
                    "propagate",
                    &[
                        &b.params,
                        &b.control,
                        &b.records,
                        &b.row_ptr,
                        &b.synapses,
                        &b.weights,
                        &b.ring,
                        &b.spike_hist,
                        &b.spiked_at,
                    ],
                ),
            },
            propagate_procedural: p.propagate_procedural.as_ref().map(|pipe| {
                make(
                    pipe,
                    "propagate_procedural",
                    &[&b.params, &b.control, &b.records, &b.procedural, &b.ring],
                )
            }),
            stdp: (params.n_plastic > 0).then(|| {
                [
                    make(
                        &p.stdp_traces,
                        "stdp_traces",
                        &[&b.params, &b.control, &b.plastic, &b.spiked_at, &b.traces],
                    ),
                    make(
                        &p.stdp_pre,
                        "stdp_pre",
                        &[
                            &b.params,
                            &b.control,
                            &b.spike_hist,
                            &b.row_ptr,
                            &b.synapses,
                            &b.weights,
                            &b.plastic,
                            &b.traces,
                        ],
                    ),
                    make(
                        &p.stdp_post,
                        "stdp_post",
                        &[
                            &b.params,
                            &b.control,
                            &b.spike_hist,
                            &b.col_ptr,
                            &b.col_entries,
                            &b.weights,
                            &b.plastic,
                            &b.traces,
                        ],
                    ),
                ]
            }),
            modulated_update: (params.modulation_interval > 0).then(|| {
                make(
                    &p.modulated_update,
                    "modulated_update",
                    &[&b.params, &b.synapses, &b.weights, &b.plastic, &b.modulators],
                )
            }),
            tick_end: make(&p.tick_end, "tick_end", &[&b.params, &b.control, &b.modulators]),
        }
    }

    /// Name of the adapter in use.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.ctx.summary
    }

    /// Counters as of the last drained batch.
    pub fn counters(&self) -> GpuCounters {
        self.counters
    }

    /// Current capacity of the record ring (entries).
    pub fn record_capacity(&self) -> u32 {
        self.params.record_capacity
    }

    fn encode_batch(&self, ticks: u32, staging: &wgpu::Buffer) -> wgpu::CommandBuffer {
        let device = &self.ctx.device;
        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("spikegpu.batch"),
        });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("spikegpu.ticks"),
                timestamp_writes: None,
            });
            let p = &self.pipelines;
            let g = &self.bind_groups;
            pass.set_pipeline(&p.batch_begin);
            pass.set_bind_group(0, &g.batch_begin, &[]);
            pass.dispatch_workgroups(1, 1, 1);
            for _ in 0..ticks {
                if let Some(bg) = &g.poisson_input {
                    pass.set_pipeline(&p.poisson_input);
                    pass.set_bind_group(0, bg, &[]);
                    pass.dispatch_workgroups(self.poisson_groups.0, self.poisson_groups.1, 1);
                }
                if let Some(bg) = &g.current_input {
                    pass.set_pipeline(&p.current_input);
                    pass.set_bind_group(0, bg, &[]);
                    pass.dispatch_workgroups(self.current_groups.0, self.current_groups.1, 1);
                }
                pass.set_pipeline(&p.neuron_update);
                pass.set_bind_group(0, &g.neuron_update, &[]);
                pass.dispatch_workgroups(self.neuron_groups.0, self.neuron_groups.1, 1);
                pass.set_pipeline(&p.prepare_propagate);
                pass.set_bind_group(0, &g.prepare_propagate, &[]);
                pass.dispatch_workgroups(1, 1, 1);
                pass.set_pipeline(&p.propagate);
                pass.set_bind_group(0, &g.propagate, &[]);
                pass.dispatch_workgroups_indirect(&self.buffers.indirect, 0);
                if let (Some(pipe), Some(bg)) = (&p.propagate_procedural, &g.propagate_procedural) {
                    pass.set_pipeline(pipe);
                    pass.set_bind_group(0, bg, &[]);
                    pass.dispatch_workgroups_indirect(&self.buffers.indirect, 0);
                }
                if let Some([traces, pre, post]) = &g.stdp {
                    pass.set_pipeline(&p.stdp_traces);
                    pass.set_bind_group(0, traces, &[]);
                    pass.dispatch_workgroups(self.trace_groups.0, self.trace_groups.1, 1);
                    pass.set_pipeline(&p.stdp_pre);
                    pass.set_bind_group(0, pre, &[]);
                    pass.dispatch_workgroups_indirect(&self.buffers.indirect, 12);
                    pass.set_pipeline(&p.stdp_post);
                    pass.set_bind_group(0, post, &[]);
                    pass.dispatch_workgroups_indirect(&self.buffers.indirect, 12);
                }
                if let Some(bg) = &g.modulated_update {
                    pass.set_pipeline(&p.modulated_update);
                    pass.set_bind_group(0, bg, &[]);
                    pass.dispatch_workgroups_indirect(&self.buffers.indirect, 24);
                }
                pass.set_pipeline(&p.tick_end);
                pass.set_bind_group(0, &g.tick_end, &[]);
                pass.dispatch_workgroups(1, 1, 1);
            }
        }
        enc.copy_buffer_to_buffer(
            &self.buffers.control,
            0,
            staging,
            0,
            Some(std::mem::size_of::<Control>() as u64),
        );
        enc.copy_buffer_to_buffer(
            &self.buffers.records,
            0,
            staging,
            CONTROL_BYTES,
            Some(u64::from(self.params.record_capacity) * 8),
        );
        enc.finish()
    }

    /// Runs `ticks` ticks, appending every spike (sorted by tick, then neuron) to `out`.
    /// No host round trip happens inside a batch; the loop keeps two batches in flight.
    pub fn run_ticks(&mut self, ticks: u32, out: &mut Vec<SpikeRecord>) -> Result<()> {
        let start = self.counters.tick;
        let end = start.checked_add(ticks).ok_or_else(|| Error::LimitExceeded {
            what: "tick counter (32 bits)".into(),
            requested: u64::from(start) + u64::from(ticks),
            max: u64::from(u32::MAX),
        })?;
        if ticks == 0 {
            return Ok(());
        }
        self.ctx
            .queue
            .write_buffer(&self.buffers.control, 4, bytemuck::bytes_of(&end));
        // (staging index, ticks in batch, submission, map receiver)
        type Rx = futures_intrusive::channel::shared::OneshotReceiver<Result<(), wgpu::BufferAsyncError>>;
        let mut inflight: VecDeque<(usize, u32, wgpu::SubmissionIndex, Rx)> = VecDeque::new();
        let mut next_staging = 0usize;
        let mut reached = start;
        let mut grow = false;
        loop {
            while !grow && inflight.len() < 2 && reached + pending_ticks(&inflight) < end {
                let k = self
                    .options
                    .ticks_per_batch
                    .min(end - reached - pending_ticks(&inflight));
                let idx = next_staging;
                next_staging ^= 1;
                let cmd = self.encode_batch(k, &self.buffers.staging[idx]);
                let sub = self.ctx.queue.submit([cmd]);
                self.counters.submissions += 1;
                let (tx, rx) = futures_intrusive::channel::shared::oneshot_channel();
                self.buffers.staging[idx]
                    .slice(..)
                    .map_async(wgpu::MapMode::Read, move |r| {
                        let _ = tx.send(r);
                    });
                inflight.push_back((idx, k, sub, rx));
            }
            let Some((idx, _, sub, rx)) = inflight.pop_front() else {
                break;
            };
            self.ctx
                .device
                .poll(wgpu::PollType::Wait {
                    submission_index: Some(sub),
                    timeout: None,
                })
                .map_err(|e| Error::Gpu(format!("waiting for the GPU failed: {e}")))?;
            self.ctx.check()?;
            match pollster::block_on(rx.receive()) {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(Error::Gpu(format!("reading spike records back failed: {e}"))),
                None => return Err(Error::Gpu("the read-back of spike records was dropped".into())),
            }
            let halted = self.drain(idx, out)?;
            reached = self.counters.tick;
            if halted {
                grow = true;
            }
            if grow && inflight.is_empty() {
                self.grow_records();
                grow = false;
            }
        }
        if self.counters.tick != end {
            return Err(Error::Gpu(format!(
                "the GPU stopped at tick {} instead of {end}",
                self.counters.tick
            )));
        }
        Ok(())
    }

    /// Reads one staging buffer: control snapshot and this batch's records.
    fn drain(&mut self, idx: usize, out: &mut Vec<SpikeRecord>) -> Result<bool> {
        let staging = &self.buffers.staging[idx];
        let control: Control;
        {
            let view = staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| Error::Gpu(format!("mapping the staging buffer failed: {e}")))?;
            control = bytemuck::pod_read_unaligned(&view[..std::mem::size_of::<Control>()]);
            let head = control.record_head as usize;
            if head > self.params.record_capacity as usize {
                return Err(Error::Gpu(format!(
                    "record head {head} beyond the ring capacity {}",
                    self.params.record_capacity
                )));
            }
            let bytes = &view[CONTROL_BYTES as usize..CONTROL_BYTES as usize + head * 8];
            let first = out.len();
            out.extend(
                bytes
                    .chunks_exact(8)
                    .map(bytemuck::pod_read_unaligned::<SpikeRecord>),
            );
            out[first..].sort_unstable();
        }
        staging.unmap();
        let spikes = u64::from(control.spikes_lo) | (u64::from(control.spikes_hi) << 32);
        self.counters.tick = control.tick;
        self.counters.spikes = spikes;
        self.counters.events = u64::from(control.events_lo) | (u64::from(control.events_hi) << 32);
        self.counters.halts = control.halts;
        Ok(control.halted != 0)
    }

    /// Doubles the record ring after a halt (up to the binding limit), so that dense activity
    /// costs fewer partial batches. Only called with nothing in flight.
    fn grow_records(&mut self) {
        let limits = &self.ctx.limits;
        let max_binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        let max_records = (max_binding / 8).min(u64::from(u32::MAX / 2)) as u32;
        let capacity = self.params.record_capacity.saturating_mul(2).min(max_records);
        if capacity == self.params.record_capacity {
            return;
        }
        log::debug!(
            "record ring: {} -> {capacity} entries",
            self.params.record_capacity
        );
        let device = &self.ctx.device;
        self.params.record_capacity = capacity;
        self.buffers.records = Self::records_buffer(device, capacity);
        self.buffers.staging = [
            Self::staging_buffer(device, capacity),
            Self::staging_buffer(device, capacity),
        ];
        self.ctx
            .queue
            .write_buffer(&self.buffers.params, 0, bytemuck::bytes_of(&self.params));
        self.bind_groups = Self::bind_groups(device, &self.pipelines, &self.buffers, &self.params);
    }

    fn read_buffer(&self, buffer: &wgpu::Buffer, size: u64) -> Result<Vec<u8>> {
        self.read_buffer_range(buffer, 0, size)
    }

    fn read_buffer_range(&self, buffer: &wgpu::Buffer, offset: u64, size: u64) -> Result<Vec<u8>> {
        let read = queue_read(&self.ctx, buffer, offset, size)?;
        finish_read_bytes(&self.ctx, &read, true)?
            .ok_or_else(|| Error::Gpu("reading a buffer back failed".into()))
    }

    /// Current neuron state of every neuron.
    pub fn pull_state(&self) -> Result<Vec<NeuronState>> {
        let size = u64::from(self.params.n_neurons) * std::mem::size_of::<NeuronState>() as u64;
        let bytes = self.read_buffer(&self.buffers.state, size)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Weights of all synapses (merged CSR order).
    pub fn pull_weights(&self, count: usize) -> Result<Vec<f32>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let bytes = self.read_buffer(&self.buffers.weights, count as u64 * 4)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Replaces the weights of all synapses (merged CSR order of `plan`); takes effect from
    /// the next tick. Compact storage is re-encoded (refused if a weight no longer fits).
    pub fn push_weights(&self, plan: &Plan, weights: &[f32]) -> Result<()> {
        if let Some(c) = &self.buffers.compact {
            let encoded = CompactSynapses::encode(plan, weights).map_err(|why| {
                crate::error::invalid("weights", "new values", &format!("compact storage: {why}"))
            })?;
            for (buffer, part) in c.words.iter().zip(encoded.words.chunks(c.chunk_words as usize)) {
                self.ctx.queue.write_buffer(buffer, 0, bytemuck::cast_slice(part));
            }
            self.ctx.queue.submit([]);
        } else if !weights.is_empty() {
            self.ctx
                .queue
                .write_buffer(&self.buffers.weights, 0, bytemuck::cast_slice(weights));
            self.ctx.queue.submit([]);
        }
        self.ctx.check()
    }

    /// Bytes of all device buffers (records and staging at their current size).
    pub fn device_bytes(&self) -> u64 {
        let b = &self.buffers;
        let mut all = vec![
            &b.params,
            &b.control,
            &b.pops,
            &b.state,
            &b.ring,
            &b.records,
            &b.row_ptr,
            &b.synapses,
            &b.weights,
            &b.poisson,
            &b.poisson_segments,
            &b.poisson_cdf,
            &b.neuron_params,
            &b.source_ticks,
            &b.currents,
            &b.current_steps,
            &b.current_in,
            &b.spike_hist,
            &b.spiked_at,
            &b.traces,
            &b.plastic,
            &b.col_ptr,
            &b.col_entries,
            &b.modulators,
            &b.procedural,
            &b.indirect,
            &b.staging[0],
            &b.staging[1],
        ];
        if let Some(c) = &b.compact {
            all.extend(c.words.iter().chain(&c.targets));
            all.extend([&c.row_ptr, &c.projections, &c.outgoing]);
        }
        all.iter().map(|buffer| buffer.size()).sum()
    }

    /// Where the setup time went.
    pub fn setup_times(&self) -> SetupTimes {
        self.setup
    }

    /// Fixed-point scale of the input accumulators (the plan's, or a smaller one once
    /// GPU-generated synapses are in the bound).
    pub fn fixed_scale(&self) -> f32 {
        self.params.fixed_scale
    }

    /// Synapses the GPU generated.
    pub fn generated_synapses(&self) -> u64 {
        self.buffers.compact.as_ref().map_or(0, |c| c.generated)
    }

    /// The compact arrays as the device holds them: words, targets, row pointers (for
    /// checking generated connectivity).
    pub fn pull_compact(&self) -> Result<Option<CompactArrays>> {
        let Some(c) = &self.buffers.compact else {
            return Ok(None);
        };
        let read_all = |buffers: &[wgpu::Buffer], total: u64, chunk_words: u64| -> Result<Vec<u32>> {
            let mut out = Vec::with_capacity(total as usize);
            for b in buffers {
                let len = (total - out.len() as u64).min(chunk_words);
                out.extend(bytemuck::pod_collect_to_vec::<u8, u32>(
                    &self.read_buffer(b, len * 4)?,
                ));
            }
            Ok(out)
        };
        Ok(Some(CompactArrays {
            words: read_all(&c.words, c.total_words, c.chunk_words)?,
            targets: read_all(
                &c.targets,
                (c.total_words * u64::from(c.target_bits)).div_ceil(32),
                c.target_chunk_words,
            )?,
            target_bits: c.target_bits,
            row_ptr: bytemuck::pod_collect_to_vec(&self.read_buffer(&c.row_ptr, c.row_ptr.size())?),
            projections: bytemuck::pod_collect_to_vec(
                &self.read_buffer(&c.projections, c.projections.size())?,
            ),
        }))
    }

    /// Whether synapses are in compact storage (static network: the weights on the device
    /// never change by themselves).
    pub fn is_compact(&self) -> bool {
        self.buffers.compact.is_some()
    }

    /// Device bytes per synapse of the storage in use (`None`: the wide format, see
    /// [`Plan::bytes_per_synapse`]).
    pub fn compact_bytes_per_synapse(&self) -> Option<f64> {
        self.buffers.compact.as_ref().map(|c| c.bytes_per_synapse)
    }

    /// Queues a copy of the weights of synapses `first..first + count` and returns at once;
    /// the copy runs between the batches already submitted and those submitted later, so
    /// the run stops only for the copy itself.
    pub fn request_weights(&self, first: u64, count: u64) -> Result<PendingRead> {
        queue_read(&self.ctx, &self.buffers.weights, first * 4, count * 4)
    }

    /// The values of a pending read if the copy has finished (`wait`: block until it has).
    pub fn finish_read(&self, read: &PendingRead, wait: bool) -> Result<Option<Vec<f32>>> {
        Ok(finish_read_bytes(&self.ctx, read, wait)?.map(|bytes| bytemuck::pod_collect_to_vec(&bytes)))
    }

    /// Eligibility traces of all synapses (empty without reward-modulated projections).
    pub fn pull_eligibility(&self) -> Result<Vec<f32>> {
        if self.params.modulation_interval == 0 || self.params.n_synapses == 0 {
            return Ok(Vec::new());
        }
        let n = u64::from(self.params.n_synapses) * 4;
        let bytes = self.read_buffer_range(&self.buffers.weights, n, n)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Levels of all neuromodulator channels (0 global, 1 + p population p).
    pub fn pull_modulators(&self) -> Result<Vec<f32>> {
        let n = u64::from(self.params.n_pops) + 1;
        let bytes = self.read_buffer(&self.buffers.modulators, n * 4)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Sets the level of neuromodulator channel `channel` from the next tick on.
    pub fn set_modulator(&self, channel: usize, level: f32) -> Result<()> {
        self.ctx.queue.write_buffer(
            &self.buffers.modulators,
            channel as u64 * 4,
            bytemuck::bytes_of(&level),
        );
        self.ctx.queue.submit([]);
        self.ctx.check()
    }

    /// The fixed-point input ring, `[port][slot][neuron]`.
    pub fn pull_input_ring(&self) -> Result<Vec<i32>> {
        let size =
            u64::from(PORTS) * u64::from(self.params.ring_slots) * u64::from(self.params.n_neurons) * 4;
        let bytes = self.read_buffer(&self.buffers.ring, size)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Runs the test-only `rng_check` stage on (counter, key) pairs, compiled in `dialect`.
    pub fn philox_on_gpu(
        ctx: &GpuContext,
        cases: &[([u32; 4], [u32; 2])],
        dialect: shaders::Dialect,
    ) -> Result<Vec<[u32; 4]>> {
        let rows: Vec<[u32; 8]> = cases
            .iter()
            .map(|(c, k)| [c[0], c[1], c[2], c[3], k[0], k[1], 0, 0])
            .collect();
        Ok(rng_check(ctx, &rows, dialect)?
            .into_iter()
            .map(|(block, _)| block)
            .collect())
    }

    /// The high words of the products of `pairs` by the shaders' `mulhi32` in `dialect` (the
    /// `rng_check` stage).
    pub fn mulhi_on_gpu(
        ctx: &GpuContext,
        pairs: &[(u32, u32)],
        dialect: shaders::Dialect,
    ) -> Result<Vec<u32>> {
        let rows: Vec<[u32; 8]> = pairs.iter().map(|&(a, b)| [0, 0, 0, 0, 0, 0, a, b]).collect();
        Ok(rng_check(ctx, &rows, dialect)?
            .into_iter()
            .map(|(_, hi)| hi)
            .collect())
    }

    /// Runs the test-only `position_check` stage (`chunk_position.wgsl`) on
    /// (first position, relative index, chunk shift) cases: (chunk, index within it).
    pub fn chunk_positions_on_gpu(ctx: &GpuContext, cases: &[(u64, u32, u32)]) -> Result<Vec<(u32, u32)>> {
        let rows: Vec<[u32; 4]> = cases
            .iter()
            .map(|&(first, r, shift)| {
                let [lo, hi] = crate::plan::compact::split(first);
                [lo, hi, r, shift]
            })
            .collect();
        let dialect = shaders::Dialect::of(&ctx.device);
        let out = run_check_stage(
            ctx,
            "position_check",
            dialect,
            bytemuck::cast_slice(&rows),
            cases.len(),
            8,
        )?;
        Ok(bytemuck::pod_collect_to_vec::<u8, [u32; 2]>(&out)
            .into_iter()
            .map(|[c, i]| (c, i))
            .collect())
    }
}

/// `rng_check` on rows of (counter, key, mulhi factors): per row the Philox block and the
/// high word of the factors' product.
fn rng_check(ctx: &GpuContext, rows: &[[u32; 8]], dialect: shaders::Dialect) -> Result<Vec<([u32; 4], u32)>> {
    let out = run_check_stage(
        ctx,
        "rng_check",
        dialect,
        bytemuck::cast_slice(rows),
        rows.len(),
        32,
    )?;
    Ok(bytemuck::pod_collect_to_vec::<u8, [[u32; 4]; 2]>(&out)
        .into_iter()
        .map(|[block, hi]| (block, hi[0]))
        .collect())
}

/// Runs a test-only stage compiled in `dialect` with `input` at binding 0 and
/// `n * out_stride` bytes of results at binding 1, one thread per case; returns the results.
fn run_check_stage(
    ctx: &GpuContext,
    stage: &str,
    dialect: shaders::Dialect,
    input: &[u8],
    n: usize,
    out_stride: u64,
) -> Result<Vec<u8>> {
    let device = &ctx.device;
    let input = storage_init(device, "spikegpu.check.in", input, wgpu::BufferUsages::empty());
    let size = (n as u64 * out_stride).max(16);
    let output = storage_zeroed(device, "spikegpu.check.out", size, wgpu::BufferUsages::COPY_SRC);
    let source = shaders::assembled_source(&shaders::stage(stage), dialect);
    let pipe = pipeline_from_source(device, stage, &source);
    let bind = bind_group(device, &pipe, stage, &[&input, &output]);
    let mut enc = device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipe);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups((n as u32).div_ceil(64).max(1), 1, 1);
    }
    ctx.queue.submit([enc.finish()]);
    let read = queue_read(ctx, &output, 0, n as u64 * out_stride)?;
    finish_read_bytes(ctx, &read, true)?
        .ok_or_else(|| Error::Gpu(format!("reading the {stage} results failed")))
}

fn pending_ticks<T>(inflight: &VecDeque<(usize, u32, wgpu::SubmissionIndex, T)>) -> u32 {
    inflight.iter().map(|b| b.1).sum()
}

/// Queues a copy of `size` bytes of `buffer` from `offset` into a new mappable buffer, behind
/// the work already submitted, and asks for it to be mapped; returns at once.
fn queue_read(ctx: &GpuContext, buffer: &wgpu::Buffer, offset: u64, size: u64) -> Result<PendingRead> {
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("spikegpu.read_back"),
        size: size.max(4),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut enc = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("spikegpu.read_back"),
        });
    if size > 0 {
        enc.copy_buffer_to_buffer(buffer, offset, &staging, 0, Some(size));
    }
    ctx.queue.submit([enc.finish()]);
    let (tx, done) = std::sync::mpsc::channel();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    ctx.check()?;
    Ok(PendingRead { staging, done, size })
}

/// The bytes of a queued read if its copy has finished (`wait`: block until it has).
fn finish_read_bytes(ctx: &GpuContext, read: &PendingRead, wait: bool) -> Result<Option<Vec<u8>>> {
    let poll = if wait {
        wgpu::PollType::wait_indefinitely()
    } else {
        wgpu::PollType::Poll
    };
    ctx.device
        .poll(poll)
        .map_err(|e| Error::Gpu(format!("waiting for the GPU failed: {e}")))?;
    ctx.check()?;
    let outcome = if wait {
        read.done.recv().ok()
    } else {
        read.done.try_recv().ok()
    };
    match outcome {
        None if wait => Err(Error::Gpu("a read-back was dropped".into())),
        None => Ok(None),
        Some(Err(e)) => Err(Error::Gpu(format!("reading a buffer back failed: {e}"))),
        Some(Ok(())) => {
            let bytes = read
                .staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| Error::Gpu(format!("mapping failed: {e}")))?[..read.size as usize]
                .to_vec();
            read.staging.unmap();
            Ok(Some(bytes))
        }
    }
}

/// A bind group with `buffers` at consecutive bindings from 0 (the house rule of every stage).
fn bind_group(
    device: &wgpu::Device,
    pipe: &wgpu::ComputePipeline,
    name: &str,
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    let at: Vec<_> = buffers.iter().zip(0u32..).map(|(b, i)| (i, *b)).collect();
    bind_group_at(device, pipe, name, &at)
}

/// A bind group with each buffer at its binding (an entry point of a module with several
/// uses some of the module's bindings).
fn bind_group_at(
    device: &wgpu::Device,
    pipe: &wgpu::ComputePipeline,
    name: &str,
    buffers: &[(u32, &wgpu::Buffer)],
) -> wgpu::BindGroup {
    let entries: Vec<_> = buffers
        .iter()
        .map(|&(binding, buffer)| wgpu::BindGroupEntry {
            binding,
            resource: buffer.as_entire_binding(),
        })
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(&format!("spikegpu.{name}")),
        layout: &pipe.get_bind_group_layout(0),
        entries: &entries,
    })
}

fn pipeline(device: &wgpu::Device, name: &str) -> wgpu::ComputePipeline {
    let dialect = shaders::Dialect::of(device);
    pipeline_from_source(
        device,
        name,
        &shaders::assembled_source(&shaders::stage(name), dialect),
    )
}

/// The pipeline of stage `name` (its entry point) from its full source.
fn pipeline_from_source(device: &wgpu::Device, name: &str, source: &str) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(&format!("spikegpu.{name}")),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(&format!("spikegpu.{name}")),
        layout: None,
        module: &module,
        entry_point: Some(name),
        compilation_options: Default::default(),
        cache: None,
    })
}
