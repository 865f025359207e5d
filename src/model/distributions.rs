//! Distributions of synaptic weights and delays: validation, the range every draw lies in, and
//! the host sampler.

use crate::error::{Result, check_finite, check_non_negative, check_positive, invalid};

/// Distribution of synaptic weights (units of the target's synapse) or delays (ms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightDist {
    /// Every synapse gets this value.
    Constant(f64),
    /// Uniform in `[low, high)`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound, >= low.
        high: f64,
    },
    /// Normal with the given mean and standard deviation, clipped to `[low, high]`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation, >= 0.
        std: f64,
        /// Lower clip bound.
        low: f64,
        /// Upper clip bound, >= low.
        high: f64,
    },
    /// Normal with the given mean and standard deviation conditioned on `[low, high]`: a value
    /// outside is drawn again (NEST's `normal_clipped`), so no mass piles up at the bounds.
    /// The interval must hold at least a quarter of the normal's mass; after
    /// [`MAX_REDRAWS`] rejected draws (probability below 1e-30) the value is clipped.
    TruncatedNormal {
        /// Mean of the untruncated normal.
        mean: f64,
        /// Standard deviation of the untruncated normal, >= 0.
        std: f64,
        /// Lower bound.
        low: f64,
        /// Upper bound, >= low.
        high: f64,
    },
    /// `sign * exp(mu + sigma * N(0, 1))`, clipped to at most `max` in magnitude.
    LogNormal {
        /// Mean of the underlying normal.
        mu: f64,
        /// Standard deviation of the underlying normal, >= 0.
        sigma: f64,
        /// Largest magnitude, > 0.
        max: f64,
        /// +1 or -1.
        sign: f64,
    },
}

/// Draws of a [`WeightDist::TruncatedNormal`] value after which it is clipped instead.
pub const MAX_REDRAWS: u32 = 256;

/// Smallest share of the normal's mass a [`WeightDist::TruncatedNormal`] interval may hold.
pub const MIN_TRUNCATED_MASS: f64 = 0.25;

/// Standard normal distribution function, from the complementary error function by the
/// Chebyshev fit of Press et al., Numerical Recipes (`erfcc`, relative error < 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = (x / std::f64::consts::SQRT_2).abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 { 1.0 - 0.5 * erfc } else { 0.5 * erfc }
}

impl WeightDist {
    /// The interval every drawn value lies in.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            WeightDist::Constant(w) => (w, w),
            WeightDist::Uniform { low, high }
            | WeightDist::Normal { low, high, .. }
            | WeightDist::TruncatedNormal { low, high, .. } => (low, high),
            WeightDist::LogNormal { max, sign, .. } => {
                if sign < 0.0 {
                    (-max, 0.0)
                } else {
                    (0.0, max)
                }
            }
        }
    }

    pub(crate) fn validate(&self, field: &str) -> Result<()> {
        let ordered = |low: f64, high: f64| {
            check_finite(|| format!("{field}.low"), low)?;
            check_finite(|| format!("{field}.high"), high)?;
            if high < low {
                return Err(invalid(
                    format!("{field}.high"),
                    high,
                    &format!("must be >= low = {}", crate::error::shown_value(low.to_string())),
                ));
            }
            Ok(())
        };
        match *self {
            WeightDist::Constant(w) => check_finite(|| field.to_string(), w),
            WeightDist::Uniform { low, high } => ordered(low, high),
            WeightDist::Normal { mean, std, low, high } => {
                check_finite(|| format!("{field}.mean"), mean)?;
                check_non_negative(|| format!("{field}.std"), std)?;
                ordered(low, high)
            }
            WeightDist::TruncatedNormal { mean, std, low, high } => {
                check_finite(|| format!("{field}.mean"), mean)?;
                check_non_negative(|| format!("{field}.std"), std)?;
                ordered(low, high)?;
                let mass = if std > 0.0 {
                    normal_cdf((high - mean) / std) - normal_cdf((low - mean) / std)
                } else if (low..=high).contains(&mean) {
                    1.0
                } else {
                    0.0
                };
                if mass < MIN_TRUNCATED_MASS {
                    return Err(invalid(
                        format!("{field}.low/high"),
                        format!("[{low}, {high}]"),
                        &format!(
                            "must hold at least {MIN_TRUNCATED_MASS} of the normal's mass (holds {mass:.3e}); use a clipped normal for narrower intervals"
                        ),
                    ));
                }
                Ok(())
            }
            WeightDist::LogNormal { mu, sigma, max, sign } => {
                check_finite(|| format!("{field}.mu"), mu)?;
                check_non_negative(|| format!("{field}.sigma"), sigma)?;
                check_positive(|| format!("{field}.max"), max)?;
                if sign != 1.0 && sign != -1.0 {
                    return Err(invalid(format!("{field}.sign"), sign, "must be +1 or -1"));
                }
                Ok(())
            }
        }
    }

    /// Draws one value.
    pub(crate) fn sample(&self, rng: &mut crate::rng::PhiloxStream) -> f64 {
        match *self {
            WeightDist::Constant(w) => w,
            WeightDist::Uniform { low, high } => low + rng.uniform() * (high - low),
            WeightDist::Normal { mean, std, low, high } => (mean + std * rng.normal()).clamp(low, high),
            WeightDist::TruncatedNormal { mean, std, low, high } => {
                let mut v = mean + std * rng.normal();
                for _ in 1..MAX_REDRAWS {
                    if (low..=high).contains(&v) {
                        break;
                    }
                    v = mean + std * rng.normal();
                }
                v.clamp(low, high)
            }
            WeightDist::LogNormal { mu, sigma, max, sign } => {
                sign * (mu + sigma * rng.normal()).exp().min(max)
            }
        }
    }
}

/// Distribution of synaptic delays in milliseconds; each value is rounded to whole ticks.
pub type DelayDist = WeightDist;
