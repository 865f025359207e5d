//! Delta (send-on-delta, threshold-crossing) coding of sampled signals, computed on the host
//! into spike times and played by a [`NeuronModel::SpikeSource`] with an ON and an OFF neuron
//! per channel.

use super::check_rows;
use crate::error::{Result, check_non_negative, check_positive, invalid};
use crate::neurons::NeuronModel;

/// The sample indices of every upward (ON) and downward (OFF) crossing of `signal`, tracked
/// like a send-on-delta sensor: the reference level starts at the first sample; whenever a
/// sample lies `threshold` or more above (below) the level, the level moves up (down) by
/// `threshold` and an ON (OFF) crossing is counted, as often as the sample allows.
pub fn crossings(signal: &[f64], threshold: f64) -> [Vec<usize>; 2] {
    let mut on = Vec::new();
    let mut off = Vec::new();
    let Some(&first) = signal.first() else {
        return [on, off];
    };
    let mut level = first;
    for (m, &x) in signal.iter().enumerate().skip(1) {
        while x - level >= threshold {
            level += threshold;
            on.push(m);
        }
        while level - x >= threshold {
            level -= threshold;
            off.push(m);
        }
    }
    [on, off]
}

/// Spike times of every channel's ON (`2c`) and OFF (`2c + 1`) neuron. A sample that crosses
/// several levels at once gives one spike per level in consecutive ticks from the sample's
/// (a neuron fires at most once per tick).
pub(super) fn delta_model(
    signals: &[Vec<f64>],
    sample_ms: f64,
    threshold: f64,
    start_ms: f64,
    dt_ms: f64,
    owner: &str,
) -> Result<NeuronModel> {
    check_rows(signals, &format!("{owner}.signals"))?;
    check_positive(|| format!("{owner}.threshold"), threshold)?;
    check_non_negative(|| format!("{owner}.start_ms"), start_ms)?;
    if !(sample_ms.is_finite() && (sample_ms / dt_ms).round() >= 1.0) {
        return Err(invalid(
            format!("{owner}.sample_ms"),
            sample_ms,
            &format!("must be finite and at least one tick ({dt_ms} ms)"),
        ));
    }
    let mut times = Vec::with_capacity(2 * signals.len());
    for signal in signals {
        for events in crossings(signal, threshold) {
            times.push(spread_ticks(&events, start_ms, sample_ms, dt_ms));
        }
    }
    Ok(NeuronModel::SpikeSource {
        spike_times_ms: times,
    })
}

/// Spike times (ms) of crossings at sample indices `events`: each at its sample's tick or the
/// tick after the neuron's previous spike, whichever is later.
fn spread_ticks(events: &[usize], start_ms: f64, sample_ms: f64, dt_ms: f64) -> Vec<f64> {
    let mut next_free = 0u64;
    events
        .iter()
        .map(|&m| {
            let tick = ((start_ms + m as f64 * sample_ms) / dt_ms).round() as u64;
            let tick = tick.max(next_free);
            next_free = tick + 1;
            tick as f64 * dt_ms
        })
        .collect()
}
