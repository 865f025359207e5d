//! Latency (time-to-first-spike) coding: at most one spike per neuron and stimulus, computed
//! on the host into spike times and played by a [`NeuronModel::SpikeSource`].

use super::{Presentation, check_unit_interval};
use crate::error::{Result, check_positive, invalid};
use crate::neurons::NeuronModel;

/// How an intensity `x` in (threshold, 1] becomes a latency after its window's start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LatencyScale {
    /// `t_max_ms * (1 - x)`: intensity 1 fires at the window's start, intensities near 0
    /// near `t_max_ms`.
    Linear {
        /// Latency of intensity 0 (ms), > 0.
        t_max_ms: f64,
    },
    /// `tau_ms * ln(x / (x - threshold))`: the time a leaky membrane with time constant `tau`
    /// driven by a constant `x` takes to charge from 0 to `threshold` (> 0). Strong inputs fire
    /// early, inputs just above the threshold late.
    Log {
        /// Membrane time constant (ms), > 0.
        tau_ms: f64,
    },
}

impl LatencyScale {
    /// The latency (ms) of intensity `x`, or `None` if `x <= threshold` (no spike).
    pub fn latency_ms(&self, x: f64, threshold: f64) -> Option<f64> {
        if x <= threshold {
            return None;
        }
        Some(match *self {
            LatencyScale::Linear { t_max_ms } => t_max_ms * (1.0 - x),
            LatencyScale::Log { tau_ms } => tau_ms * (x / (x - threshold)).ln(),
        })
    }

    fn validate(&self, threshold: f64, owner: &str) -> Result<()> {
        if !(0.0..1.0).contains(&threshold) {
            return Err(invalid(
                format!("{owner}.threshold"),
                threshold,
                "must lie in [0, 1)",
            ));
        }
        match *self {
            LatencyScale::Linear { t_max_ms } => check_positive(|| format!("{owner}.t_max_ms"), t_max_ms),
            LatencyScale::Log { tau_ms } => {
                check_positive(|| format!("{owner}.tau_ms"), tau_ms)?;
                if threshold <= 0.0 {
                    return Err(invalid(
                        format!("{owner}.threshold"),
                        threshold,
                        "must lie in (0, 1) for logarithmic latency (the level the membrane charges to)",
                    ));
                }
                Ok(())
            }
        }
    }
}

/// One spike per neuron and stimulus at the window's first tick plus the latency rounded to
/// ticks; intensities at or below `threshold` and latencies that reach the end of the shown
/// part of the window give none.
pub(super) fn latency_model(
    stimuli: &[Vec<f64>],
    scale: LatencyScale,
    threshold: f64,
    presentation: &Presentation,
    dt_ms: f64,
    owner: &str,
) -> Result<NeuronModel> {
    check_unit_interval(stimuli, &format!("{owner}.stimuli"))?;
    presentation.validate(owner, dt_ms)?;
    scale.validate(threshold, owner)?;
    let (_, present, _) = presentation.ticks(dt_ms);
    let mut times = vec![Vec::new(); stimuli[0].len()];
    for (k, row) in stimuli.iter().enumerate() {
        let window = presentation.window_start_tick(k, dt_ms);
        for (i, &x) in row.iter().enumerate() {
            let Some(latency) = scale.latency_ms(x, threshold) else {
                continue;
            };
            let offset = (latency / dt_ms).round() as u64;
            if offset < present {
                times[i].push((window + offset) as f64 * dt_ms);
            }
        }
    }
    Ok(NeuronModel::SpikeSource {
        spike_times_ms: times,
    })
}
