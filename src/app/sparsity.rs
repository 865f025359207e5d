//! Operation counts and sparsity of a run, in the terms of NeuroBench (Yik et al. 2025,
//! "The neurobench framework for benchmarking neuromorphic computing algorithms and
//! systems", Nature Communications 16:1545), for `bench` and `run` summaries.
//!
//! Definitions followed (NeuroBench's "complexity" metrics, for a spiking network):
//! - **SynOps** (effective synaptic operations): synaptic events delivered, one per synapse
//!   of a spiking neuron's outgoing rows, so a spike of neuron i counts out_degree(i). Counted
//!   exactly by both backends as they deliver (procedural rows included); Poisson inputs and
//!   currents are not synapses and are not counted.
//! - **Activation sparsity**: the fraction of neuron outputs that are zero, over every neuron
//!   and tick: `1 - spikes / (neurons x ticks)` (a neuron spikes at most once a tick), i.e.
//!   the mean fraction of neurons silent per tick.
//! - **Connection sparsity**: the fraction of absent connections, `1 - synapses / sum(pre x
//!   post)` over the projections that store or generate their synapses (procedural
//!   projections, which store none, are left out of both sums); the density is reported too.
//! - **Footprint**: bytes of the model's run buffers in the plan's layout (state, parameters,
//!   synapses and weights in the wide format, delay ring, plasticity traces, inputs), the
//!   spike record ring left out: the same figure on both backends.

use crate::model::Network;
use crate::plan::sizes::{DeviceBuffer, DeviceLimits, DeviceSizes, SizeRequest};
use crate::sim::Simulator;

/// The operation counts and sparsity of a run so far.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Sparsity {
    /// Synaptic operations: synaptic events delivered (spikes x out-degree).
    pub synops: u64,
    /// Synaptic operations per second of biological time.
    pub synops_per_bio_s: f64,
    /// Neuron updates (neurons x ticks).
    pub neuron_updates: u64,
    /// Mean fraction of neurons silent per tick (`None` before the first tick).
    pub activation_sparsity: Option<f64>,
    /// `1 - connection_density` (`None` without stored or generated projections).
    pub connection_sparsity: Option<f64>,
    /// Synapses / sum of pre x post over the stored or generated projections.
    pub connection_density: Option<f64>,
    /// Bytes of the model's run buffers (spike records left out).
    pub footprint_bytes: u64,
}

/// The figures of `sim` (running `net`) after the ticks it has run.
pub fn sparsity(net: &Network, sim: &Simulator) -> Sparsity {
    let c = sim.counters();
    let neuron_updates = net.neuron_count() * c.ticks;
    let bio_s = c.ticks as f64 * net.dt_ms * 1e-3;
    let pairs: u64 = net
        .projections
        .iter()
        .filter(|p| !p.procedural)
        .map(|p| u64::from(net.populations[p.pre.index].size) * u64::from(net.populations[p.post.index].size))
        .sum();
    let density = (pairs > 0).then(|| sim.synapse_count() as f64 / pairs as f64);
    Sparsity {
        synops: c.syn_events,
        synops_per_bio_s: if bio_s > 0.0 {
            c.syn_events as f64 / bio_s
        } else {
            0.0
        },
        neuron_updates,
        activation_sparsity: (neuron_updates > 0).then(|| 1.0 - c.spikes as f64 / neuron_updates as f64),
        connection_sparsity: density.map(|d| 1.0 - d),
        connection_density: density,
        footprint_bytes: footprint_bytes(sim),
    }
}

/// See [`Sparsity::footprint_bytes`].
fn footprint_bytes(sim: &Simulator) -> u64 {
    let sizes = DeviceSizes::new(sim.plan(), DeviceLimits::WEBGPU_DEFAULT, &SizeRequest::default());
    sizes
        .buffers()
        .iter()
        .filter(|b| b.buffer != DeviceBuffer::Records)
        .map(|b| b.bytes())
        .sum()
}
