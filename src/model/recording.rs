//! What a run keeps: which neurons' spikes in which time window, population rate records, and
//! the rule that every sampling interval is a whole number of time steps.

use crate::error::{Result, invalid};

/// Which neurons of a population a recording keeps (local indices).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum NeuronSelection {
    /// Every neuron.
    #[default]
    All,
    /// These neurons (strictly increasing).
    List(Vec<u32>),
    /// `start, start + step, ...` below `stop` (Python's `start:stop:step`).
    Slice {
        /// First neuron.
        start: u32,
        /// End (exclusive), at most the population's size.
        stop: u32,
        /// Step, >= 1.
        step: u32,
    },
}

impl NeuronSelection {
    /// Whether neuron `i` is selected.
    pub fn contains(&self, i: u32) -> bool {
        match self {
            NeuronSelection::All => true,
            NeuronSelection::List(list) => list.binary_search(&i).is_ok(),
            NeuronSelection::Slice { start, stop, step } => {
                i >= *start && i < *stop && (i - start).is_multiple_of(*step)
            }
        }
    }

    /// The position of neuron `i` among the selected ones (its row in a raster).
    pub fn position(&self, i: u32) -> Option<u32> {
        match self {
            NeuronSelection::All => Some(i),
            NeuronSelection::List(list) => list.binary_search(&i).ok().map(|k| k as u32),
            NeuronSelection::Slice { start, step, .. } => self.contains(i).then(|| (i - start) / step),
        }
    }

    /// How many of a population of `size` are selected.
    pub fn count(&self, size: u32) -> u32 {
        match self {
            NeuronSelection::All => size,
            NeuronSelection::List(list) => list.len() as u32,
            NeuronSelection::Slice { start, stop, step } => {
                (stop.min(&size).saturating_sub(*start)).div_ceil(*step)
            }
        }
    }

    /// The selected neurons of a population of `size`, in order.
    pub fn indices(&self, size: u32) -> Vec<u32> {
        match self {
            NeuronSelection::All => (0..size).collect(),
            NeuronSelection::List(list) => list.clone(),
            NeuronSelection::Slice { start, stop, step } => {
                (*start..*stop.min(&size)).step_by(*step as usize).collect()
            }
        }
    }

    /// Checks the selection against a population of `size`; `field` names it in errors.
    pub fn validate(&self, field: &str, size: u32) -> Result<()> {
        match self {
            NeuronSelection::All => Ok(()),
            NeuronSelection::List(list) => {
                if let Some(&n) = list.iter().find(|&&n| n >= size) {
                    return Err(invalid(
                        field,
                        n,
                        &format!("neurons are numbered 0 to {} in this population", size - 1),
                    ));
                }
                if list.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(invalid(
                        field,
                        format!("{list:?}"),
                        "must list each neuron once, in increasing order",
                    ));
                }
                if list.is_empty() {
                    return Err(invalid(field, "[]", "must list at least one neuron"));
                }
                Ok(())
            }
            &NeuronSelection::Slice { start, stop, step } => {
                if step == 0 {
                    return Err(invalid(field, self, "the step must be >= 1"));
                }
                if stop > size || start >= stop {
                    return Err(invalid(
                        field,
                        self,
                        &format!("needs 0 <= start < stop <= {size} (the population's size)"),
                    ));
                }
                Ok(())
            }
        }
    }

    /// Parses `all`, a neuron `5`, or a slice `start:stop[:step]` with parts left out as in
    /// Python (`:100`, `::10`); `size` fills a missing stop.
    pub fn parse(text: &str, size: u32) -> std::result::Result<Self, String> {
        let text = text.trim();
        if text == "all" {
            return Ok(NeuronSelection::All);
        }
        let number = |s: &str, default: u32| -> std::result::Result<u32, String> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(default);
            }
            s.parse::<u32>()
                .map_err(|_| format!("'{s}' is not a neuron index (a whole number >= 0)"))
        };
        let parts: Vec<&str> = text.split(':').collect();
        match parts.as_slice() {
            [one] => Ok(NeuronSelection::List(vec![number(one, 0)?])),
            [a, b] | [a, b, ""] => Ok(NeuronSelection::Slice {
                start: number(a, 0)?,
                stop: number(b, size)?,
                step: 1,
            }),
            [a, b, c] => Ok(NeuronSelection::Slice {
                start: number(a, 0)?,
                stop: number(b, size)?,
                step: number(c, 1)?,
            }),
            _ => Err(format!(
                "'{text}' is not a slice: write start:stop or start:stop:step"
            )),
        }
    }
}

impl std::fmt::Display for NeuronSelection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NeuronSelection::All => write!(f, "all"),
            NeuronSelection::List(list) => write!(f, "{list:?}"),
            NeuronSelection::Slice { start, stop, step: 1 } => write!(f, "{start}:{stop}"),
            NeuronSelection::Slice { start, stop, step } => write!(f, "{start}:{stop}:{step}"),
        }
    }
}

/// Which spikes of a population are kept: these neurons, from `start_ms` until `stop_ms`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SpikeRecording {
    /// The neurons.
    pub neurons: NeuronSelection,
    /// Spikes before this time (ms) are not kept.
    pub start_ms: f64,
    /// Spikes from this time (ms) on are not kept; `None`: until the end.
    pub stop_ms: Option<f64>,
}

impl SpikeRecording {
    /// Every spike of every neuron.
    pub fn all() -> Self {
        Self::default()
    }

    /// Every spike of `neurons`.
    pub fn neurons(neurons: NeuronSelection) -> Self {
        SpikeRecording {
            neurons,
            ..Self::default()
        }
    }

    /// Checks the neurons against a population of `size` and the window; `field` names the
    /// recording in errors.
    pub fn validate(&self, field: &str, size: u32) -> Result<()> {
        self.neurons.validate(&format!("{field}.neurons"), size)?;
        if !(self.start_ms.is_finite() && self.start_ms >= 0.0) {
            return Err(invalid(
                format!("{field}.start"),
                self.start_ms,
                "must be a time >= 0",
            ));
        }
        if let Some(stop) = self.stop_ms {
            if !(stop.is_finite() && stop > self.start_ms) {
                return Err(invalid(
                    format!("{field}.stop"),
                    stop,
                    &format!("must be a time after start ({} ms)", self.start_ms),
                ));
            }
        }
        Ok(())
    }

    /// The window in ticks of `dt_ms`: `[start, stop)` (times rounded to the nearest tick).
    pub fn ticks(&self, dt_ms: f64) -> (u64, u64) {
        let tick = |ms: f64| (ms / dt_ms).round() as u64;
        (tick(self.start_ms), self.stop_ms.map_or(u64::MAX, tick))
    }
}

/// `interval_ms` as a whole number of ticks of `dt_ms`, or a message naming the nearest
/// intervals that are (an interval that is not would be sampled at another one silently).
pub fn whole_ticks(interval_ms: f64, dt_ms: f64) -> std::result::Result<u64, String> {
    if !(interval_ms.is_finite() && interval_ms > 0.0) {
        return Err(format!("must be a positive multiple of dt = {dt_ms} ms"));
    }
    let ticks = interval_ms / dt_ms;
    let nearest = ticks.round();
    if nearest >= 1.0 && (ticks - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        return Ok(nearest as u64);
    }
    let below = ticks.floor().max(1.0);
    let above = (below + 1.0).max(ticks.ceil());
    let ms = |t: f64| format!("{} ms", round_ms(t * dt_ms));
    Err(if ticks < 1.0 {
        format!("must be a multiple of dt = {dt_ms} ms: the nearest valid value is {dt_ms} ms")
    } else {
        format!(
            "must be a multiple of dt = {dt_ms} ms: the nearest valid values are {} and {}",
            ms(below),
            ms(above)
        )
    })
}

/// A time for messages, without the binary noise of `k * dt` (0.30000000000000004).
fn round_ms(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_select_as_in_python() {
        let s = NeuronSelection::parse("::10", 100).unwrap();
        assert_eq!(s.count(100), 10);
        assert_eq!(s.indices(100)[..3], [0, 10, 20]);
        assert!(s.contains(90) && !s.contains(91));
        assert_eq!(s.position(30), Some(3));
        let s = NeuronSelection::parse("5:8", 100).unwrap();
        assert_eq!(s.indices(100), vec![5, 6, 7]);
        assert_eq!(NeuronSelection::parse("all", 3).unwrap(), NeuronSelection::All);
        assert!(NeuronSelection::parse("a:b", 3).is_err());
    }

    #[test]
    fn intervals_off_the_step_name_the_nearest_valid_ones() {
        assert_eq!(whole_ticks(0.5, 0.1), Ok(5));
        assert_eq!(whole_ticks(0.3, 0.1), Ok(3));
        let e = whole_ticks(0.15, 0.1).unwrap_err();
        assert!(e.contains("0.1 ms and 0.2 ms"), "{e}");
        let e = whole_ticks(0.05, 0.1).unwrap_err();
        assert!(e.contains("nearest valid value is 0.1 ms"), "{e}");
    }
}
