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
