//! Procedural projections: no stored synapses; each spike regenerates its row from the seed
//! with an integer test that every backend evaluates identically.

use crate::model::{Connectivity, Network, WeightDist};
use crate::plan::PopulationPlan;
use crate::plan::layout::ProceduralGpu;
use crate::rng::{PhiloxStream, stream};

/// Local targets of row `row` (pre-synaptic index within its population) of a procedural
/// projection: candidate `j` is taken when word `j` of the row's Philox stream is below the
/// threshold. Mirrors `propagate_procedural.wgsl` (and cpu::propagate).
pub fn procedural_row(key: [u32; 2], p: &ProceduralGpu, row: u32, mut f: impl FnMut(u32)) {
    let mut rng = PhiloxStream::new(key, p.stream, row);
    for j in 0..p.post_size {
        let word = rng.next_u32();
        if (p.all == 1 || word < p.threshold) && !(p.skip_self == 1 && j == row) {
            f(j);
        }
    }
}

/// The procedural projections in creation order, their fixed-point weights still 0 (set once
/// the scale is known).
pub(super) fn procedural_projections(net: &Network, pops: &[PopulationPlan]) -> Vec<ProceduralGpu> {
    let mut procedural = Vec::new();
    for (k, p) in net.projections.iter().enumerate().filter(|(_, p)| p.procedural) {
        let (
            Connectivity::FixedProbability { p: prob, autapses },
            WeightDist::Constant(_),
            WeightDist::Constant(d),
        ) = (&p.connectivity, p.weight, p.delay_ms)
        else {
            unreachable!("validated by NetworkBuilder::procedural")
        };
        let (pre, post) = (pops[p.pre.index].gpu, pops[p.post.index].gpu);
        procedural.push(ProceduralGpu {
            pre_start: pre.start,
            pre_size: pre.size,
            post_start: post.start,
            post_size: post.size,
            port: p.receptor.port(),
            delay: ((d / net.dt_ms).round() as u32).max(1),
            weight_fixed: 0,
            threshold: (prob * 4_294_967_296.0).floor().min(f64::from(u32::MAX)) as u32,
            all: u32::from(*prob >= 1.0),
            stream: stream::PROCEDURAL + k as u32,
            skip_self: u32::from(p.pre.index == p.post.index && !autapses),
            _pad: 0,
        });
    }
    procedural
}

/// The weight of every procedural projection, before fixed point.
pub(super) fn procedural_weights(net: &Network) -> Vec<f32> {
    net.projections
        .iter()
        .filter(|p| p.procedural)
        .map(|p| p.weight.range().0 as f32)
        .collect()
}
