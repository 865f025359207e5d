//! Options of the GPU backend: the run loop's tuning and the synapse storage format.

use crate::error::{Result, invalid};

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

impl GpuOptions {
    /// Refuses values the run loop or the generation cannot work with.
    pub(super) fn validate(&self, generates: bool) -> Result<()> {
        if self.ticks_per_batch == 0 {
            return Err(invalid("ticks_per_batch", 0, "must be >= 1"));
        }
        if !generates {
            return Ok(());
        }
        if self.synapse_format == SynapseFormat::Wide {
            return Err(invalid(
                "synapse_format",
                "Wide",
                "GPU-generated connectivity is stored in the compact format",
            ));
        }
        if !(self.indegree_bound_sd.is_finite() && self.indegree_bound_sd >= 0.0) {
            return Err(invalid(
                "indegree_bound_sd",
                self.indegree_bound_sd,
                "must be finite and >= 0",
            ));
        }
        Ok(())
    }
}
