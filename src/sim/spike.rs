//! [`Spike`]: one spike as the host keeps it, its tick counted in 64 bits.

/// One spike: the tick in which the neuron crossed threshold and its global index. Ticks are
/// 64-bit on the host (the GPU's record ring holds the low word; the run loop adds the high
/// word), so a run may pass tick 2^32 without its spike times wrapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Spike {
    /// Tick of the spike.
    pub tick: u64,
    /// Global neuron index.
    pub neuron: u32,
}
