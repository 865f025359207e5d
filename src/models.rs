//! Standard benchmark networks, built from their published definitions.

use crate::error::{Result, invalid};
use crate::model::{
    Connectivity, InitialValue, LifParams, Network, NetworkBuilder, NeuronModel, Receptor, WeightDist,
};

/// Vogels & Abbott 2005 CUBA as defined by the Brette et al. 2007 benchmark suite and
/// Brian2's `CUBA` example: 4,000 LIF neurons (3,200 exc, 800 inh), p = 0.02 with autapses
/// allowed, we = 60*0.27/10 mV, wi = -20*4.5/10 mV, V0 uniform in [Vr, Vt], dt 0.1 ms, no
/// external input. `scale` multiplies the neuron count and divides p, keeping the in-degree.
///
/// Brian2's synapses have no delay: a spike changes the current in the same step, after the
/// threshold, so it shows in v from the next step. Here the one-tick minimum delay delivers it
/// at the start of the next tick, before integration: the same arithmetic.
pub fn cuba(seed: u64, scale: f64) -> Result<Network> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(invalid("scale", scale, "must be finite and > 0"));
    }
    let n_exc = (3200.0 * scale).round().max(1.0) as u32;
    let n_inh = (800.0 * scale).round().max(1.0) as u32;
    let p = (0.02 / scale).min(1.0);
    let lif = LifParams::default();
    let v0 = InitialValue::Uniform {
        low: lif.v_reset_mv,
        high: lif.v_thresh_mv,
    };
    let mut b = NetworkBuilder::new(0.1, seed);
    let exc = b.population("exc", n_exc, NeuronModel::Lif(lif.clone()), v0)?;
    let inh = b.population("inh", n_inh, NeuronModel::Lif(lif), v0)?;
    let we = 60.0 * 0.27 / 10.0;
    let wi = -20.0 * 4.5 / 10.0;
    let conn = Connectivity::FixedProbability { p, autapses: true };
    let delay = WeightDist::Constant(0.1);
    for post in [exc, inh] {
        b.projection(
            exc,
            post,
            conn,
            WeightDist::Constant(we),
            delay,
            Receptor::Excitatory,
        )?;
        b.projection(
            inh,
            post,
            conn,
            WeightDist::Constant(wi),
            delay,
            Receptor::Inhibitory,
        )?;
    }
    b.build()
}

/// Names of the models `spikegpu bench` knows.
pub const BENCH_MODELS: &[&str] = &["cuba"];
