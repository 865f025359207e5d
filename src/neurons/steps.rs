//! Update steps several models share: the CPU twins of the helpers in `shaders/shared/common.wgsl`.

use crate::plan::layout::NeuronState;

/// `refractory_after_tick` of common.wgsl: one tick of the refractory countdown.
#[inline(always)]
pub fn refractory_after_tick(r: u32) -> u32 {
    r.saturating_sub(1)
}

/// `fire_or_accept` of common.wgsl: a threshold crossing resets v and starts the refractory
/// period; otherwise v is accepted.
#[inline(always)]
pub fn fire_or_accept(
    s: &mut NeuronState,
    v: f32,
    threshold: f32,
    reset: f32,
    refractory_ticks: u32,
) -> bool {
    if v > threshold {
        s.v = reset;
        s.refractory = refractory_ticks;
        true
    } else {
        s.v = v;
        false
    }
}

/// `adapt_threshold` of common.wgsl: the threshold raise decays, and grows by `raise` per spike.
#[inline(always)]
pub fn adapt_threshold(theta: f32, decay: f32, raise: f32, spiked: bool) -> f32 {
    let decayed = theta * decay;
    if spiked { decayed + raise } else { decayed }
}
