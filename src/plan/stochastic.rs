//! Stochastic release phase: each stored synapse's release threshold in the merged rows
//! ([`crate::model::stochastic`]). Empty when no projection has stochastic release, so
//! other networks carry nothing and keep the static propagate path.

use crate::model::Network;
use crate::model::stochastic::{ALWAYS, threshold};
use crate::plan::PopulationPlan;
use crate::plan::csr::MergedCsr;
use crate::plan::rank::Partition;

/// Per synapse of the merged rows, its threshold: `floor(p 2^32)` for synapses of stochastic
/// projections, [`ALWAYS`] for the others. `[row_pops, pops]`: the populations the rows and
/// the targets are numbered in (on a rank of a distributed run, `share`, the whole
/// network's and the rank's own; a target's probability is that of its global index).
pub(super) fn release_thresholds(
    net: &Network,
    [row_pops, pops]: [&[PopulationPlan]; 2],
    csr: &MergedCsr,
    share: Option<&Partition>,
) -> Vec<u32> {
    if net.projections.iter().all(|p| p.release.is_none()) {
        return Vec::new();
    }
    let (projections, row_ptr, synapses) = (&csr.projections, &csr.row_ptr, &csr.synapses);
    let global_post = |j: u32| share.map_or(j, |part| part.rank + j * part.ranks);
    let mut thresholds = vec![ALWAYS; synapses.len()];
    for (k, proj) in net.projections.iter().enumerate() {
        let Some(release) = &proj.release else { continue };
        let (pre, post) = (&row_pops[proj.pre.index].gpu, &pops[proj.post.index].gpu);
        let p = &projections[k];
        for r in 0..pre.size as usize {
            // The row's segment of projection k follows those of its earlier siblings.
            let before: u32 = p
                .earlier_siblings
                .iter()
                .map(|&j| projections[j].local_row_ptr[r + 1] - projections[j].local_row_ptr[r])
                .sum();
            let begin = (row_ptr[pre.start as usize + r] + before) as usize;
            let len = (p.local_row_ptr[r + 1] - p.local_row_ptr[r]) as usize;
            for s in begin..begin + len {
                let j = global_post(synapses[s].post - post.start);
                thresholds[s] = threshold(release.of(r as u32, j));
            }
        }
    }
    thresholds
}
