//! Device-generated projections: which projections the GPU can generate itself (static
//! `FixedTotal` with constant, uniform or normal weights and delays), and their descriptions.

use crate::model::{Connectivity, Network, Projection};
use crate::plan::PopulationPlan;
use crate::plan::fixed_total::{GenDist, GenProjection};
use crate::rng::stream;

/// The description of projection `k` for the GPU to generate, if it qualifies.
pub(super) fn device_projection(
    net: &Network,
    k: usize,
    proj: &Projection,
    pops: &[PopulationPlan],
) -> Option<GenProjection> {
    let Connectivity::FixedTotal { n, autapses } = proj.connectivity else {
        return None;
    };
    if proj.plasticity.is_some() || proj.short_term.is_some() || proj.release.is_some() || proj.procedural {
        return None;
    }
    let (pre, post) = (pops[proj.pre.index].gpu, pops[proj.post.index].gpu);
    Some(GenProjection {
        pre_start: pre.start,
        pre_size: pre.size,
        post_start: post.start,
        post_size: post.size,
        port: proj.receptor.port(),
        n_total: n as u32,
        skip_self: u32::from(proj.pre.index == proj.post.index && !autapses),
        stream: stream::CONNECT + k as u32,
        count_stream: stream::CONNECT_COLUMN + k as u32,
        inv_dt: (1.0 / net.dt_ms) as f32,
        weight: GenDist::of(&proj.weight)?,
        delay: GenDist::of(&proj.delay_ms)?,
        ..GenProjection::default()
    })
}
