//! Address-event input (t, x, y, polarity), as event cameras produce it, played by a
//! [`NeuronModel::SpikeSource`] of `width * height * 2` neurons.

use crate::error::{Result, check_non_negative, invalid};
use crate::neurons::NeuronModel;

/// One event of an event camera.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AddressEvent {
    /// Time (ms), >= 0; events are given in non-decreasing time order.
    pub t_ms: f64,
    /// Column, < width.
    pub x: u32,
    /// Row, < height.
    pub y: u32,
    /// Polarity: 1 for ON (brighter), 0 for OFF.
    pub polarity: u8,
}

impl AddressEvent {
    /// The neuron of this event on a sensor `width` wide: `(y * width + x) * 2 + polarity`.
    pub fn neuron(&self, width: u32) -> usize {
        (self.y as usize * width as usize + self.x as usize) * 2 + usize::from(self.polarity)
    }
}

/// Spike times per neuron: the events on the tick grid (`start_ms + t_ms`, rounded), events
/// of one neuron in one tick merged into one spike (a spike source fires at most once per tick
/// and refuses two times in one tick).
pub(super) fn events_model(
    width: u32,
    height: u32,
    events: &[AddressEvent],
    start_ms: f64,
    dt_ms: f64,
    owner: &str,
) -> Result<NeuronModel> {
    check_non_negative(|| format!("{owner}.start_ms"), start_ms)?;
    for (field, value) in [("width", width), ("height", height)] {
        if value == 0 {
            return Err(invalid(format!("{owner}.{field}"), value, "must be >= 1"));
        }
    }
    let neurons = 2 * u64::from(width) * u64::from(height);
    if neurons > u64::from(u32::MAX) {
        return Err(invalid(
            format!("{owner}.width"),
            format!("{width} x {height} x 2 neurons"),
            "the sensor must have fewer than 2^32 neurons",
        ));
    }
    if events.is_empty() {
        return Err(invalid(
            format!("{owner}.events"),
            "no events",
            "needs at least one event",
        ));
    }
    let mut ticks: Vec<Vec<u64>> = vec![Vec::new(); neurons as usize];
    let mut last_t = 0.0;
    for (k, e) in events.iter().enumerate() {
        check_event(e, k, width, height, last_t, owner)?;
        last_t = e.t_ms;
        let tick = ((start_ms + e.t_ms) / dt_ms).round() as u64;
        let list = &mut ticks[e.neuron(width)];
        if list.last() != Some(&tick) {
            list.push(tick);
        }
    }
    let times = ticks
        .into_iter()
        .map(|t| t.into_iter().map(|tick| tick as f64 * dt_ms).collect())
        .collect();
    Ok(NeuronModel::SpikeSource {
        spike_times_ms: times,
    })
}

/// Event `k` lies on the sensor, has a polarity of 0 or 1 and a time >= 0 not before the
/// previous event's.
fn check_event(e: &AddressEvent, k: usize, width: u32, height: u32, last_t: f64, owner: &str) -> Result<()> {
    let field = |name: &str| format!("{owner}.events[{k}].{name}");
    check_non_negative(|| field("t_ms"), e.t_ms)?;
    if e.t_ms < last_t {
        return Err(invalid(
            field("t_ms"),
            e.t_ms,
            &format!("events must be sorted by time: must be >= the previous event's {last_t}"),
        ));
    }
    if e.x >= width {
        return Err(invalid(
            field("x"),
            e.x,
            &format!("must lie in [0, {}] (width {width})", width - 1),
        ));
    }
    if e.y >= height {
        return Err(invalid(
            field("y"),
            e.y,
            &format!("must lie in [0, {}] (height {height})", height - 1),
        ));
    }
    if e.polarity > 1 {
        return Err(invalid(
            field("polarity"),
            e.polarity,
            "must be 0 (OFF) or 1 (ON)",
        ));
    }
    Ok(())
}
