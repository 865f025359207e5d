//! Fixed-point phase: the largest power-of-two scale at which no input accumulator can
//! overflow i32, and the weights converted at that scale. Per target and port, every synapse
//! delivers at most once per slot (a neuron spikes at most once per tick), so
//! `sum |w| * scale + 0.5 * terms` over its incoming synapses, plus the largest Poisson draw
//! and the largest current, bounds any slot's sum: overflow is impossible by construction.

use crate::error::Result;
use crate::model::Network;
use crate::plan::Plan;
use crate::plan::inputs::PoissonTables;
use crate::plan::layout::{PlasticGpu, PoissonGpu, ProceduralGpu, Synapse};

/// Largest fixed-point scale: 2^20 units per unit of weight (resolution ~1e-6).
pub const MAX_FIXED_SCALE_LOG2: i32 = 20;

/// Converts a weight to fixed point exactly as the shaders do: multiply by the power-of-two
/// scale (exact in f32), round half to even, convert.
#[inline]
pub fn to_fixed(weight: f32, scale: f32) -> i32 {
    (weight * scale).round_ties_even() as i32
}

/// Per (port, target) sums of |w| and of rounding terms; ports 0 and 1 are the synaptic
/// ports, port 2 the current accumulator.
type Bounds = (Vec<f64>, Vec<f64>);

/// Per (port, target) bounds on what can land in one accumulator entry besides the stored
/// synapses: the largest Poisson draw times its weight, the largest injected current, and a
/// procedural row from every pre-synaptic neuron.
pub(super) fn input_extras(
    net: &Network,
    n_neurons: u32,
    poisson: &PoissonTables,
    current_bound: &[f64],
    procedural: &[ProceduralGpu],
) -> Bounds {
    let n = n_neurons as usize;
    let mut sum_abs = vec![0.0f64; 3 * n];
    let mut terms = vec![0.0f64; 3 * n];
    for ((p, input), &k_max) in poisson.inputs.iter().zip(&net.poisson_inputs).zip(&poisson.k_max) {
        let k_max = f64::from(k_max);
        for t in p.target_start..p.target_start + p.target_count {
            let idx = p.port as usize * n + t as usize;
            sum_abs[idx] += k_max * input.weight.abs();
            terms[idx] += k_max;
        }
    }
    for (t, b) in current_bound.iter().enumerate() {
        sum_abs[2 * n + t] = *b;
        terms[2 * n + t] = if *b > 0.0 { 1.0 } else { 0.0 };
    }
    for (p, proj) in procedural
        .iter()
        .zip(net.projections.iter().filter(|p| p.procedural))
    {
        let sources = f64::from(p.pre_size - p.skip_self);
        let (low, high) = proj.weight.range();
        for t in p.post_start..p.post_start + p.post_size {
            let idx = p.port as usize * n + t as usize;
            sum_abs[idx] += sources * high.abs().max(low.abs());
            terms[idx] += sources;
        }
    }
    (sum_abs, terms)
}

/// Adds the synapses' `|w|` and rounding terms to the extras: the bound of every accumulator.
/// A plastic synapse counts with the largest weight its rule allows (`w_max`), since STDP may
/// take it there.
pub(super) fn input_bounds(
    n: usize,
    synapses: &[Synapse],
    weights: &[f32],
    plastic: &[PlasticGpu],
    extras: &Bounds,
) -> Bounds {
    let (mut sum_abs, mut terms) = extras.clone();
    for (s, w) in synapses.iter().zip(weights) {
        let idx = s.port() as usize * n + s.post as usize;
        let bound = match s.plastic() {
            0 => w.abs(),
            id => w.abs().max(plastic[id as usize - 1].w_max.abs()),
        };
        sum_abs[idx] += f64::from(bound);
        terms[idx] += 1.0;
    }
    (sum_abs, terms)
}

/// Whether every accumulator's bound fits in i32 at `scale`.
fn fits(bounds: &Bounds, scale: f64) -> bool {
    let limit = f64::from(i32::MAX);
    bounds
        .0
        .iter()
        .zip(&bounds.1)
        .all(|(a, t)| a * scale + 0.5 * t <= limit)
}

/// The largest power-of-two scale (at most 2^20) at which every bound fits in i32.
pub(super) fn choose_fixed_scale(bounds: &Bounds) -> Result<f32> {
    for e in (0..=MAX_FIXED_SCALE_LOG2).rev() {
        let s = f64::from(1u32 << e);
        if fits(bounds, s) {
            return Ok(s as f32);
        }
    }
    let worst = bounds.0.iter().cloned().fold(0.0, f64::max);
    Err(crate::error::limit_exceeded_f64(
        "largest summed |weight| or current onto one neuron and port (fixed-point input, scale 1)".into(),
        worst,
        i32::MAX as u64,
    ))
}

/// Sets the fixed-point weight (`field`) of every item from its weight at `scale`.
pub(super) fn set_fixed_weights<T>(
    items: &mut [T],
    weights: &[f32],
    scale: f32,
    field: impl Fn(&mut T) -> &mut i32,
) {
    for (item, &w) in items.iter_mut().zip(weights) {
        *field(item) = to_fixed(w, scale);
    }
}

impl Plan {
    /// Checks that `weights` (all synapses) keep every input accumulator within i32 at the
    /// fixed-point scale chosen when the network was planned.
    pub fn check_fixed_point(&self, weights: &[f32]) -> Result<()> {
        let bounds = input_bounds(
            self.n_neurons as usize,
            &self.synapses,
            weights,
            &self.plastic,
            &self.input_extra,
        );
        if fits(&bounds, f64::from(self.fixed_scale)) {
            return Ok(());
        }
        let worst = bounds.0.iter().cloned().fold(0.0, f64::max);
        Err(crate::error::limit_exceeded_f64(
            format!(
                "summed |weight| onto one neuron and port at the fixed-point scale {} chosen when the network was built",
                self.fixed_scale
            ),
            worst,
            (f64::from(i32::MAX) / f64::from(self.fixed_scale)) as u64,
        ))
    }

    /// The fixed-point scale once synapses generated elsewhere (on the GPU) are added to the
    /// bound: `extra_abs[port * n + target]` their summed `|w|`, `extra_terms` their count.
    pub fn fixed_scale_with(&self, extra_abs: &[f64], extra_terms: &[f64]) -> Result<f32> {
        let n = self.n_neurons as usize;
        let (mut sum_abs, mut terms) =
            input_bounds(n, &self.synapses, &self.weights, &self.plastic, &self.input_extra);
        for (i, (a, t)) in extra_abs.iter().zip(extra_terms).enumerate() {
            sum_abs[i] += a;
            terms[i] += t;
        }
        choose_fixed_scale(&(sum_abs, terms))
    }

    /// Poisson inputs and procedural projections with their weights at fixed-point `scale`.
    pub fn rescaled_inputs(&self, scale: f32) -> (Vec<PoissonGpu>, Vec<ProceduralGpu>) {
        let mut poisson = self.poisson.clone();
        set_fixed_weights(&mut poisson, &self.poisson_weights, scale, |p| {
            &mut p.weight_fixed
        });
        let mut procedural = self.procedural.clone();
        set_fixed_weights(&mut procedural, &self.procedural_weights, scale, |p| {
            &mut p.weight_fixed
        });
        (poisson, procedural)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_conversion_rounds_half_to_even() {
        assert_eq!(to_fixed(0.5, 1.0), 0);
        assert_eq!(to_fixed(1.5, 1.0), 2);
        assert_eq!(to_fixed(-2.5, 1.0), -2);
        assert_eq!(to_fixed(1.62, 1048576.0), 1_698_693);
    }
}
