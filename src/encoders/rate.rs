//! Rate coding: per-neuron rates per stimulus window, compiled to a
//! [`NeuronModel::PoissonSequence`] whose spikes are drawn on the device.

use super::{Presentation, check_unit_interval};
use crate::error::{Result, invalid};
use crate::neurons::{NeuronModel, PoissonSequenceParams};

/// Rates `max_rate_hz * x` of intensities `stimuli`.
pub(super) fn rate_model(
    stimuli: &[Vec<f64>],
    max_rate_hz: f64,
    presentation: &Presentation,
    dt_ms: f64,
    owner: &str,
) -> Result<NeuronModel> {
    check_unit_interval(stimuli, &format!("{owner}.stimuli"))?;
    check_max_rate(max_rate_hz, dt_ms, owner)?;
    let rates = stimuli
        .iter()
        .map(|row| row.iter().map(|x| x * max_rate_hz).collect())
        .collect();
    sequence(rates, presentation, dt_ms, owner)
}

/// A peak rate is finite, >= 0 and fires at most once per tick.
pub(super) fn check_max_rate(max_rate_hz: f64, dt_ms: f64, owner: &str) -> Result<()> {
    if !(max_rate_hz.is_finite() && max_rate_hz >= 0.0 && max_rate_hz * dt_ms * 1e-3 <= 1.0) {
        return Err(invalid(
            format!("{owner}.max_rate_hz"),
            max_rate_hz,
            &format!(
                "must lie in [0, {}] Hz: a Poisson source fires at most once per tick of {dt_ms} ms",
                1e3 / dt_ms
            ),
        ));
    }
    Ok(())
}

/// The Poisson sequence of `rates_hz` shown as `presentation` says.
pub(super) fn sequence(
    rates_hz: Vec<Vec<f64>>,
    presentation: &Presentation,
    dt_ms: f64,
    owner: &str,
) -> Result<NeuronModel> {
    presentation.validate(owner, dt_ms)?;
    Ok(NeuronModel::PoissonSequence(PoissonSequenceParams {
        rates_hz,
        present_ms: presentation.present_ms,
        rest_ms: presentation.rest_ms,
        start_ms: presentation.start_ms,
    }))
}

/// Gaussian receptive fields over a scalar range: `neurons` centres evenly spaced over
/// `[low, high]` (ends included), each of width `sigma = width * spacing`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReceptiveFields {
    /// Neurons per scalar, >= 2.
    pub neurons: u32,
    /// Centre of the first neuron.
    pub low: f64,
    /// Centre of the last neuron, > low.
    pub high: f64,
    /// Width of each field in units of the centre spacing, > 0.
    pub width: f64,
}

impl ReceptiveFields {
    /// Centre of neuron `j`.
    pub fn centre(&self, j: u32) -> f64 {
        self.low + f64::from(j) * self.spacing()
    }

    fn spacing(&self) -> f64 {
        (self.high - self.low) / f64::from(self.neurons - 1)
    }

    /// The activations in [0, 1] of the fields for scalar `x`:
    /// `exp(-(x - c_j)^2 / (2 sigma^2))`.
    pub fn activations(&self, x: f64) -> impl Iterator<Item = f64> + '_ {
        let sigma = self.width * self.spacing();
        (0..self.neurons).map(move |j| (-(x - self.centre(j)).powi(2) / (2.0 * sigma * sigma)).exp())
    }

    fn validate(&self, owner: &str) -> Result<()> {
        if self.neurons < 2 {
            return Err(invalid(format!("{owner}.neurons"), self.neurons, "must be >= 2"));
        }
        crate::error::check_finite(|| format!("{owner}.low"), self.low)?;
        if !(self.high.is_finite() && self.high > self.low) {
            return Err(invalid(
                format!("{owner}.high"),
                self.high,
                &format!("must be finite and above low = {}", self.low),
            ));
        }
        crate::error::check_positive(|| format!("{owner}.width"), self.width)
    }
}

/// Rates `max_rate_hz * activation` of the receptive fields of every scalar of each stimulus:
/// scalar `s`'s fields are neurons `s * neurons .. (s + 1) * neurons`.
pub(super) fn receptive_field_model(
    stimuli: &[Vec<f64>],
    fields: &ReceptiveFields,
    max_rate_hz: f64,
    presentation: &Presentation,
    dt_ms: f64,
    owner: &str,
) -> Result<NeuronModel> {
    super::check_rows(stimuli, &format!("{owner}.stimuli"))?;
    fields.validate(owner)?;
    check_max_rate(max_rate_hz, dt_ms, owner)?;
    let rates = stimuli
        .iter()
        .map(|row| {
            row.iter()
                .flat_map(|&x| fields.activations(x).map(|a| a * max_rate_hz).collect::<Vec<_>>())
                .collect()
        })
        .collect();
    sequence(rates, presentation, dt_ms, owner)
}
