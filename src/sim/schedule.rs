//! The tick schedule, written once: which stages one tick runs, in order. The CPU backend calls
//! its twin of each stage in this order and the GPU encoder dispatches them in this order, so
//! the two cannot drift apart.

use crate::plan::Plan;

/// A stage of one tick. Its [`TickStage::name`] is also the WGSL file stem and entry point
/// (`shaders/stages/<name>.wgsl`), the CPU twin's method name and the wgpu label suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TickStage {
    /// Poisson input counts into this tick's ring slot.
    PoissonInput,
    /// Injected currents (DC, steps, noise) into the current accumulator.
    CurrentInput,
    /// Every neuron advanced by its model; spikes compacted into the record ring.
    NeuronUpdate,
    /// The indirect dispatch sizes of the spike-driven stages (and the STDP spike history).
    PreparePropagate,
    /// Each spike's stored row into the targets' delay rings.
    Propagate,
    /// Each spike's procedural rows regenerated and delivered.
    PropagateProcedural,
    /// STDP trace histories advanced one tick.
    StdpTraces,
    /// Depression along the rows of the spikes of tick `t - lag`.
    StdpPre,
    /// Potentiation along the transpose columns of the spikes of tick `t - lag`.
    StdpPost,
    /// Reward-modulated weight updates on the last tick of an update interval.
    ModulatedUpdate,
    /// Counters, tick advance, neuromodulator relaxation and the record-ring check.
    TickEnd,
}

impl TickStage {
    /// Every stage in tick order.
    pub const ALL: [TickStage; 11] = [
        Self::PoissonInput,
        Self::CurrentInput,
        Self::NeuronUpdate,
        Self::PreparePropagate,
        Self::Propagate,
        Self::PropagateProcedural,
        Self::StdpTraces,
        Self::StdpPre,
        Self::StdpPost,
        Self::ModulatedUpdate,
        Self::TickEnd,
    ];

    /// The stage's name (file stem, entry point, CPU method, label).
    pub fn name(self) -> &'static str {
        match self {
            Self::PoissonInput => "poisson_input",
            Self::CurrentInput => "current_input",
            Self::NeuronUpdate => "neuron_update",
            Self::PreparePropagate => "prepare_propagate",
            Self::Propagate => "propagate",
            Self::PropagateProcedural => "propagate_procedural",
            Self::StdpTraces => "stdp_traces",
            Self::StdpPre => "stdp_pre",
            Self::StdpPost => "stdp_post",
            Self::ModulatedUpdate => "modulated_update",
            Self::TickEnd => "tick_end",
        }
    }

    /// Whether a network with this plan needs the stage at all.
    pub fn needed(self, plan: &Plan) -> bool {
        match self {
            Self::PoissonInput => plan.poisson_threads() > 0,
            Self::CurrentInput => plan.current_threads() > 0,
            Self::PropagateProcedural => !plan.procedural.is_empty(),
            // A rank runs its plasticity with the delivery of the exchanged spikes.
            Self::StdpTraces | Self::StdpPre | Self::StdpPost => {
                !plan.plastic.is_empty() && plan.partition.is_none()
            }
            // A rank updates with the delivery too (`cpu/modulated_update.rs`).
            Self::ModulatedUpdate => plan.modulation_interval > 0 && plan.partition.is_none(),
            // A rank of a distributed run delivers every rank's spikes, its own included,
            // after each exchange (`deliver_spikes`), not in the tick.
            Self::Propagate => plan.partition.is_none(),
            Self::NeuronUpdate | Self::PreparePropagate | Self::TickEnd => true,
        }
    }
}

/// The stages one tick of this plan runs, in order.
pub fn tick_schedule(plan: &Plan) -> Vec<TickStage> {
    TickStage::ALL.into_iter().filter(|s| s.needed(plan)).collect()
}
