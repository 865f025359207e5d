//! Adapter selection and device creation.

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::plan::sizes::DeviceLimits;

/// Environment variable that picks an adapter by (case-insensitive) substring of its name;
/// wgpu's own `WGPU_ADAPTER_NAME` is honoured too, and `WGPU_BACKEND` limits the backends.
pub const ADAPTER_ENV: &str = "SPIKEGPU_ADAPTER";

/// Environment variable that picks one of several adapters of the best kind (0-based, in
/// wgpu's order), for machines with identical GPUs. Without it, a rank of a distributed run
/// opens adapter `local rank mod count` ([`LOCAL_RANK_VARS`]), so the ranks on one machine
/// spread over its GPUs, and a single process the first.
pub const ADAPTER_INDEX_ENV: &str = "SPIKEGPU_ADAPTER_INDEX";

/// Variables in which MPI launchers give a process its rank on its machine (Open MPI, MPICH).
pub const LOCAL_RANK_VARS: [&str; 2] = ["OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID"];

/// Which of the adapters of the best kind to open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AdapterPick {
    /// This one ([`ADAPTER_INDEX_ENV`]); an error if there are fewer.
    Exact(usize),
    /// This one modulo their count (the local rank; 0 in a single process).
    Spread(usize),
}

/// The pick the environment asks for.
fn adapter_pick() -> Result<AdapterPick> {
    if let Ok(text) = std::env::var(ADAPTER_INDEX_ENV) {
        return text.trim().parse().map(AdapterPick::Exact).map_err(|_| {
            crate::error::invalid(
                ADAPTER_INDEX_ENV,
                &text,
                "a whole number >= 0 (an adapter's index)",
            )
        });
    }
    let local = LOCAL_RANK_VARS
        .iter()
        .find_map(|v| std::env::var(v).ok()?.trim().parse().ok());
    Ok(AdapterPick::Spread(local.unwrap_or(0)))
}

/// What a user needs to know about an adapter.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    /// Adapter name, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// Backend (Vulkan, Metal, Dx12, Gl).
    pub backend: String,
    /// Device type (DiscreteGpu, IntegratedGpu, Cpu, ...).
    pub device_type: String,
    /// A software rasteriser running on the CPU (device type Cpu: lavapipe, llvmpipe,
    /// SwiftShader): `Backend::Auto` prefers the CPU backend to it.
    pub software: bool,
    /// Driver name and version.
    pub driver: String,
    /// Whether compute shaders are supported (required).
    pub compute: bool,
    /// Largest storage buffer binding (bytes).
    pub max_storage_binding: u64,
    /// Largest buffer (bytes).
    pub max_buffer: u64,
    /// Storage buffers per shader stage.
    pub max_storage_buffers_per_stage: u32,
    /// Workgroups per dispatch dimension.
    pub max_workgroups_per_dim: u32,
}

/// An opened device with the adapter's own limits.
pub struct GpuContext {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// What was opened.
    pub summary: AdapterSummary,
    /// Limits granted (the adapter's).
    pub limits: wgpu::Limits,
    /// The first uncaptured device error, if any.
    pub error: Arc<Mutex<Option<String>>>,
}

/// An instance over `backends`, unless `WGPU_BACKEND` says otherwise.
fn instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends;
    wgpu::Instance::new(desc.with_env())
}

fn summarize(adapter: &wgpu::Adapter) -> AdapterSummary {
    let info = adapter.get_info();
    let limits = adapter.limits();
    let compute = adapter
        .get_downlevel_capabilities()
        .flags
        .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS);
    AdapterSummary {
        name: info.name,
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        software: info.device_type == wgpu::DeviceType::Cpu,
        driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
        compute,
        max_storage_binding: limits.max_storage_buffer_binding_size,
        max_buffer: limits.max_buffer_size,
        max_storage_buffers_per_stage: limits.max_storage_buffers_per_shader_stage,
        max_workgroups_per_dim: limits.max_compute_workgroups_per_dimension,
    }
}

/// Every adapter wgpu can see, with its key limits.
pub fn list_adapters() -> Vec<AdapterSummary> {
    let instance = instance(wgpu::Backends::all());
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
        .iter()
        .map(summarize)
        .collect()
}

fn rank(adapter: &wgpu::Adapter) -> (u8, u8) {
    let info = adapter.get_info();
    let kind = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    };
    let backend = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    (kind, backend)
}

impl GpuContext {
    /// Opens the best adapter: a name filter from `SPIKEGPU_ADAPTER` or `WGPU_ADAPTER_NAME`
    /// if set, then discrete before integrated before software, native APIs before GL; of
    /// several of the best kind, the one [`ADAPTER_INDEX_ENV`] or the local rank picks.
    /// Software adapters (lavapipe) are accepted.
    pub fn new() -> Result<Self> {
        // Native APIs first; GL (through EGL, which also prints noise on headless machines)
        // only when no native adapter can run compute.
        match Self::open(wgpu::Backends::PRIMARY) {
            Err(Error::NoAdapter(native)) => Self::open(wgpu::Backends::SECONDARY)
                .map_err(|e| Error::NoAdapter(format!("{native}; GL: {e}"))),
            other => other,
        }
    }

    fn open(backends: wgpu::Backends) -> Result<Self> {
        let instance = instance(backends);
        let filter = std::env::var(ADAPTER_ENV)
            .or_else(|_| std::env::var("WGPU_ADAPTER_NAME"))
            .ok()
            .map(|s| s.to_lowercase());
        let all = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        if all.is_empty() {
            return Err(Error::NoAdapter("wgpu found no adapter at all".into()));
        }
        let seen: Vec<String> = all.iter().map(|a| a.get_info().name).collect();
        let mut candidates: Vec<wgpu::Adapter> = all
            .into_iter()
            .filter(|a| summarize(a).compute)
            .filter(|a| {
                filter
                    .as_ref()
                    .is_none_or(|f| a.get_info().name.to_lowercase().contains(f))
            })
            .collect();
        candidates.sort_by_key(rank);
        // Several of the best kind (identical GPUs): the one the pick names.
        let best = candidates.first().map(rank);
        candidates.retain(|a| Some(rank(a)) == best);
        let count = candidates.len();
        let index = match adapter_pick()? {
            AdapterPick::Exact(i) if i >= count && count > 0 => {
                return Err(Error::NoAdapter(format!(
                    "{ADAPTER_INDEX_ENV}={i}, but {count} adapter(s) of the best kind are available (indices 0 to {})",
                    count - 1
                )));
            }
            AdapterPick::Exact(i) => i,
            AdapterPick::Spread(local) => local % count.max(1),
        };
        let Some(adapter) = candidates.into_iter().nth(index) else {
            return Err(Error::NoAdapter(match filter {
                Some(f) => format!(
                    "no compute-capable adapter matches {ADAPTER_ENV}='{f}' (found: {})",
                    seen.join(", ")
                ),
                None => format!("no adapter supports compute shaders (found: {})", seen.join(", ")),
            }));
        };
        let summary = summarize(&adapter);
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("spikegpu"),
            // 64-bit shader integers only make the Philox products cheaper (shaders::Dialect);
            // everything runs without them. Timestamps serve the profiler (`gpu::profile`).
            required_features: adapter.features()
                & (wgpu::Features::SHADER_INT64
                    | wgpu::Features::TIMESTAMP_QUERY
                    | wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES),
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| Error::NoAdapter(format!("opening '{}' failed: {e}", summary.name)))?;
        let error = Arc::new(Mutex::new(None));
        let sink = error.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            let mut slot = sink.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(e.to_string());
            }
        }));
        log::info!(
            "GPU adapter: {} ({}, {})",
            summary.name,
            summary.backend,
            summary.device_type
        );
        Ok(Self {
            device,
            queue,
            summary,
            limits,
            error,
        })
    }

    /// Returns the first device error recorded so far, as an [`Error::Gpu`].
    pub fn check(&self) -> Result<()> {
        match self.error.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(e) => Err(Error::Gpu(e)),
            None => Ok(()),
        }
    }
}

/// The limits that size a plan, as plain numbers.
pub fn device_limits(limits: &wgpu::Limits) -> DeviceLimits {
    DeviceLimits {
        max_storage_binding_bytes: limits.max_storage_buffer_binding_size,
        max_buffer_bytes: limits.max_buffer_size,
        max_workgroups_per_dim: limits.max_compute_workgroups_per_dimension,
        max_storage_buffers_per_stage: limits.max_storage_buffers_per_shader_stage,
    }
}

impl GpuContext {
    /// The device's limits that size a plan ([`crate::plan::sizes`]).
    pub fn device_limits(&self) -> DeviceLimits {
        device_limits(&self.limits)
    }
}
