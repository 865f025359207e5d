//! CSR phase: the projections' local rows merged into one CSR indexed by the global
//! pre-synaptic neuron (the segments of the projections leaving a population in creation
//! order), and each projection's summary.

use crate::error::{Error, Result};
use crate::model::Network;
use crate::plan::connectivity::LocalCsr;
use crate::plan::fixed_total::GenProjection;
use crate::plan::layout::Synapse;
use crate::plan::resources::try_vec;
use crate::plan::{PopulationPlan, ProjectionPlan};

/// The merged synapse arrays and the per-projection summaries.
pub(super) struct MergedCsr {
    pub row_ptr: Vec<u32>,
    pub synapses: Vec<Synapse>,
    pub weights: Vec<f32>,
    pub projections: Vec<ProjectionPlan>,
}

/// Merges the local CSRs (one per projection, in creation order); `device` lists the
/// projections the GPU generates.
pub(super) fn merge(
    net: &Network,
    pops: &[PopulationPlan],
    mut local: Vec<LocalCsr>,
    device: &[(usize, GenProjection)],
    n_neurons: u32,
) -> Result<MergedCsr> {
    let total: u64 = local.iter().map(|l| l.targets.len() as u64).sum();
    if total > u64::from(u32::MAX) {
        return Err(Error::LimitExceeded {
            what: "synapse count (32-bit row pointers)".into(),
            requested: total,
            max: u64::from(u32::MAX),
        });
    }
    let (row_ptr, synapses, weights) = merged_rows(net, pops, &local, n_neurons, total as usize)?;
    let projections = net
        .projections
        .iter()
        .enumerate()
        .zip(&mut local)
        .map(|((k, p), l)| ProjectionPlan {
            synapses: l.targets.len() as u64,
            pre: p.pre.index,
            post: p.post.index,
            port: p.receptor.port(),
            local_row_ptr: std::mem::take(&mut l.row_ptr),
            earlier_siblings: (0..k)
                .filter(|&j| net.projections[j].pre.index == p.pre.index)
                .collect(),
            modulated: p.plasticity.as_ref().is_some_and(|r| r.modulation.is_some()),
            procedural: p.procedural,
            device: device.iter().any(|(d, _)| *d == k),
        })
        .collect();
    Ok(MergedCsr {
        row_ptr,
        synapses,
        weights,
        projections,
    })
}

/// Row pointers, synapses and weights of the merged CSR: neuron by neuron, the segment of
/// every projection leaving its population.
fn merged_rows(
    net: &Network,
    pops: &[PopulationPlan],
    local: &[LocalCsr],
    n_neurons: u32,
    total: usize,
) -> Result<(Vec<u32>, Vec<Synapse>, Vec<f32>)> {
    // Reserved fallibly: an estimate that was too low ends in an error, not an abort.
    let mut row_ptr = try_vec(n_neurons as usize + 1, "the merged row pointers")?;
    let mut synapses = try_vec(total, "the merged synapses")?;
    let mut weights = try_vec(total, "the merged weights")?;
    row_ptr.push(0u32);
    for (pi, pop) in pops.iter().enumerate() {
        let outgoing: Vec<usize> = net
            .projections
            .iter()
            .enumerate()
            .filter(|(_, p)| p.pre.index == pi)
            .map(|(k, _)| k)
            .collect();
        for i in 0..pop.gpu.size as usize {
            for &k in &outgoing {
                let l = &local[k];
                let (a, b) = (l.row_ptr[i] as usize, l.row_ptr[i + 1] as usize);
                synapses.extend_from_slice(&l.targets[a..b]);
                weights.extend_from_slice(&l.weights[a..b]);
            }
            row_ptr.push(synapses.len() as u32);
        }
    }
    Ok((row_ptr, synapses, weights))
}
