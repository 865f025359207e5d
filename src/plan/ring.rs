//! The input ring's depth: one slot per tick of the largest delay of any synapse (stored,
//! procedural or generated on the GPU), plus the slot being read.

use crate::error::{Error, Result};
use crate::plan::PORTS;
use crate::plan::fixed_total::{GenProjection, delay_ticks};
use crate::plan::layout::{ProceduralGpu, Synapse};

/// The largest delay in ticks (1 without synapses).
pub(super) fn max_delay(
    synapses: &[Synapse],
    procedural: &[ProceduralGpu],
    device: &[(usize, GenProjection)],
) -> u32 {
    synapses
        .iter()
        .map(|s| s.delay())
        .chain(procedural.iter().map(|p| p.delay))
        .chain(
            device
                .iter()
                .map(|(_, d)| delay_ticks(d.delay.max() as f32, d.inv_dt)),
        )
        .max()
        .unwrap_or(1)
}

/// Slots of the ring for `max_delay`, checked against 32-bit indexing of all its entries.
pub(super) fn ring_slots(max_delay: u32, n_neurons: u32) -> Result<u32> {
    let ring_slots = max_delay + 1;
    let ring_entries = u64::from(PORTS) * u64::from(ring_slots) * u64::from(n_neurons);
    if ring_entries > u64::from(u32::MAX) {
        return Err(Error::LimitExceeded {
            what: "input ring entries (ports x delay slots x neurons)".into(),
            requested: ring_entries,
            max: u64::from(u32::MAX),
        });
    }
    Ok(ring_slots)
}
