//! Input encoders: data turned into spikes. Each [`Encoder`] compiles to the neuron model of a
//! source population, so a whole sequence of stimuli runs on the device without the host:
//!
//! - rate coding ([`Encoder::Rate`]) and Gaussian receptive fields
//!   ([`Encoder::ReceptiveField`]) become a [`NeuronModel::PoissonSequence`]: per-neuron rates
//!   per stimulus window, the window computed from the tick counter, the spikes drawn on the
//!   device from the Philox streams;
//! - latency coding ([`Encoder::Latency`]), delta coding ([`Encoder::Delta`]) and address
//!   events ([`Encoder::Events`]) are computed on the host into spike times (deterministic
//!   from the input) and become a [`NeuronModel::SpikeSource`], whose ticks live on the device.
//!
//! Stimuli are shown one after another ([`Presentation`]): stimulus `k` from
//! `start + k (present + rest)` for `present`, then `rest` of silence.
//! [`NetworkBuilder::encoder`] adds the population; [`counts_per_window`] reads the responses
//! of any population back per stimulus.

mod delta;
mod events;
mod latency;
mod rate;

pub use delta::crossings;
pub use events::AddressEvent;
pub use latency::LatencyScale;
pub use rate::ReceptiveFields;

use crate::error::{Result, check_non_negative, check_positive, invalid};
use crate::model::{InitialValue, NetworkBuilder, PopulationId};
use crate::neurons::NeuronModel;
use crate::sim::SpikeTrain;

/// When stimuli are shown: stimulus `k` from `start_ms + k (present_ms + rest_ms)` for
/// `present_ms`, then `rest_ms` of silence. Each time is rounded to the nearest tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Presentation {
    /// How long each stimulus is shown (ms), at least one tick.
    pub present_ms: f64,
    /// Silence after each stimulus (ms), >= 0.
    pub rest_ms: f64,
    /// Start of the first stimulus (ms), >= 0.
    pub start_ms: f64,
}

impl Presentation {
    /// Stimuli shown for `present_ms` with `rest_ms` of silence after each, from time 0.
    pub fn new(present_ms: f64, rest_ms: f64) -> Self {
        Self {
            present_ms,
            rest_ms,
            start_ms: 0.0,
        }
    }

    /// Ticks of the windows at time step `dt_ms`: (start, present, present + rest), rounded
    /// as the device rounds them.
    pub fn ticks(&self, dt_ms: f64) -> (u64, u64, u64) {
        let ticks = |ms: f64| (ms / dt_ms).round() as u64;
        let present = ticks(self.present_ms);
        (ticks(self.start_ms), present, present + ticks(self.rest_ms))
    }

    /// The first tick of stimulus `k`'s window at time step `dt_ms`.
    pub fn window_start_tick(&self, k: usize, dt_ms: f64) -> u64 {
        let (start, _, period) = self.ticks(dt_ms);
        start + k as u64 * period
    }

    /// The time (ms) after the last of `stimuli` stimuli and its rest: how long to run.
    pub fn end_ms(&self, stimuli: usize, dt_ms: f64) -> f64 {
        self.window_start_tick(stimuli, dt_ms) as f64 * dt_ms
    }

    fn validate(&self, owner: &str, dt_ms: f64) -> Result<()> {
        check_positive(|| format!("{owner}.present_ms"), self.present_ms)?;
        check_non_negative(|| format!("{owner}.rest_ms"), self.rest_ms)?;
        check_non_negative(|| format!("{owner}.start_ms"), self.start_ms)?;
        if (self.present_ms / dt_ms).round() < 1.0 {
            return Err(invalid(
                format!("{owner}.present_ms"),
                self.present_ms,
                &format!("must be at least one tick ({dt_ms} ms)"),
            ));
        }
        Ok(())
    }
}

/// Data to spikes. Values are checked when the encoder is compiled ([`Encoder::model`]), with
/// errors naming the field and the allowed range.
#[derive(Clone, Debug, PartialEq)]
pub enum Encoder {
    /// Rate coding: while stimulus `k` is shown, neuron `i` fires as a Poisson process at
    /// `max_rate_hz * stimuli[k][i]` (intensities in [0, 1]; at most one spike per tick, each
    /// tick with probability rate x dt).
    Rate {
        /// Intensities per stimulus, one per neuron, in [0, 1]; every row of one length.
        stimuli: Vec<Vec<f64>>,
        /// Rate of intensity 1 (Hz), >= 0 with rate x dt <= 1.
        max_rate_hz: f64,
        /// When the stimuli are shown.
        presentation: Presentation,
    },
    /// Latency coding: at most one spike per neuron and stimulus, earlier for stronger input
    /// (see [`LatencyScale`]), at the window's first tick plus the latency rounded to ticks;
    /// intensities at or below `threshold` give no spike, nor do latencies that reach the end
    /// of the shown part of the window.
    Latency {
        /// Intensities per stimulus, one per neuron, in [0, 1]; every row of one length.
        stimuli: Vec<Vec<f64>>,
        /// Linear or logarithmic (RC charging) latency.
        scale: LatencyScale,
        /// Intensities at or below it do not fire, in [0, 1) ((0, 1) for the log scale).
        threshold: f64,
        /// When the stimuli are shown.
        presentation: Presentation,
    },
    /// Delta (send-on-delta, threshold-crossing) coding of sampled signals: channel `c` has an
    /// ON neuron `2c` and an OFF neuron `2c + 1`; see [`crossings`] for the tracking. A crossing
    /// at sample `m` fires at `start_ms + m * sample_ms` (rounded to ticks; several at one
    /// sample in consecutive ticks).
    Delta {
        /// Samples per channel, all of one length, finite.
        signals: Vec<Vec<f64>>,
        /// Sampling interval (ms), at least one tick.
        sample_ms: f64,
        /// Crossing step, > 0, in the signal's unit.
        threshold: f64,
        /// Time of the first sample (ms), >= 0.
        start_ms: f64,
    },
    /// Gaussian receptive fields (population coding of scalars): scalar `s` of a stimulus has
    /// `fields.neurons` neurons (`s * fields.neurons + j`), neuron `j` firing as a Poisson
    /// process at `max_rate_hz * exp(-(x - c_j)^2 / (2 sigma^2))` while the stimulus is shown.
    ReceptiveField {
        /// Scalars per stimulus, finite; every row of one length.
        stimuli: Vec<Vec<f64>>,
        /// The fields' centres and width.
        fields: ReceptiveFields,
        /// Rate at a field's centre (Hz), >= 0 with rate x dt <= 1.
        max_rate_hz: f64,
        /// When the stimuli are shown.
        presentation: Presentation,
    },
    /// Address events (t, x, y, polarity), as event cameras produce them: a population of
    /// `width * height * 2` neurons, event (x, y, p) on neuron `(y * width + x) * 2 + p`, at
    /// `start_ms + t_ms` rounded to ticks. Events of one neuron in one tick merge into one
    /// spike (a spike source fires at most once per tick).
    Events {
        /// Sensor width, >= 1.
        width: u32,
        /// Sensor height, >= 1.
        height: u32,
        /// The events, sorted by time.
        events: Vec<AddressEvent>,
        /// Added to every event time (ms), >= 0.
        start_ms: f64,
    },
}

impl Encoder {
    /// The number of neurons of the population the encoder feeds.
    pub fn size(&self) -> usize {
        let row = |s: &[Vec<f64>]| s.first().map_or(0, Vec::len);
        match self {
            Encoder::Rate { stimuli, .. } | Encoder::Latency { stimuli, .. } => row(stimuli),
            Encoder::Delta { signals, .. } => 2 * signals.len(),
            Encoder::ReceptiveField { stimuli, fields, .. } => row(stimuli) * fields.neurons as usize,
            Encoder::Events { width, height, .. } => 2 * *width as usize * *height as usize,
        }
    }

    /// The kind's name, as model files write it.
    pub fn kind(&self) -> &'static str {
        match self {
            Encoder::Rate { .. } => "rate",
            Encoder::Latency { .. } => "latency",
            Encoder::Delta { .. } => "delta",
            Encoder::ReceptiveField { .. } => "receptive_field",
            Encoder::Events { .. } => "events",
        }
    }

    /// The source model that produces the encoder's spikes at time step `dt_ms`; `owner`
    /// prefixes field names in errors.
    pub fn model(&self, dt_ms: f64, owner: &str) -> Result<NeuronModel> {
        match self {
            Encoder::Rate {
                stimuli,
                max_rate_hz,
                presentation,
            } => rate::rate_model(stimuli, *max_rate_hz, presentation, dt_ms, owner),
            Encoder::Latency {
                stimuli,
                scale,
                threshold,
                presentation,
            } => latency::latency_model(stimuli, *scale, *threshold, presentation, dt_ms, owner),
            Encoder::Delta {
                signals,
                sample_ms,
                threshold,
                start_ms,
            } => delta::delta_model(signals, *sample_ms, *threshold, *start_ms, dt_ms, owner),
            Encoder::ReceptiveField {
                stimuli,
                fields,
                max_rate_hz,
                presentation,
            } => rate::receptive_field_model(stimuli, fields, *max_rate_hz, presentation, dt_ms, owner),
            Encoder::Events {
                width,
                height,
                events,
                start_ms,
            } => events::events_model(*width, *height, events, *start_ms, dt_ms, owner),
        }
    }
}

/// Checks that `rows` has at least one row, every row the first row's (non-zero) length, and
/// finite values.
fn check_rows(rows: &[Vec<f64>], field: &str) -> Result<()> {
    let width = rows.first().map_or(0, Vec::len);
    if width == 0 {
        return Err(invalid(
            field,
            if rows.is_empty() {
                "no rows"
            } else {
                "an empty row"
            },
            "needs at least one row with at least one value",
        ));
    }
    for (k, row) in rows.iter().enumerate() {
        if row.len() != width {
            return Err(invalid(
                format!("{field}[{k}]"),
                format!("{} values", row.len()),
                &format!("every row must have the first row's length ({width})"),
            ));
        }
        if let Some(i) = row.iter().position(|x| !x.is_finite()) {
            return Err(invalid(
                format!("{field}[{k}][{i}]"),
                row[i],
                "must be a finite number",
            ));
        }
    }
    if width > u32::MAX as usize {
        return Err(invalid(
            field,
            format!("{width} values per row"),
            "must be fewer than 2^32",
        ));
    }
    Ok(())
}

/// Checks [`check_rows`] and that every value lies in [0, 1].
fn check_unit_interval(rows: &[Vec<f64>], field: &str) -> Result<()> {
    check_rows(rows, field)?;
    for (k, row) in rows.iter().enumerate() {
        if let Some(i) = row.iter().position(|x| !(0.0..=1.0).contains(x)) {
            return Err(invalid(
                format!("{field}[{k}][{i}]"),
                row[i],
                "must lie in [0, 1]",
            ));
        }
    }
    Ok(())
}

impl NetworkBuilder {
    /// Adds a source population called `name` that produces `encoder`'s spikes; errors name
    /// the field as `encoder '<name>' (<kind>).<field>`.
    pub fn encoder(&mut self, name: &str, encoder: &Encoder) -> Result<PopulationId> {
        let owner = format!("encoder '{name}' ({})", encoder.kind());
        let model = encoder.model(self.dt_ms(), &owner)?;
        let size = u32::try_from(encoder.size())
            .map_err(|_| invalid(owner, encoder.size(), "an encoder feeds fewer than 2^32 neurons"))?;
        self.population(name, size, model, InitialValue::Constant(0.0))
    }
}

/// Spikes of `train` (a population of `size` neurons) counted per stimulus window of
/// `presentation` (the shown part only, rests left out) for `stimuli` stimuli: `counts[k][i]`.
pub fn counts_per_window(
    train: &SpikeTrain,
    size: usize,
    presentation: &Presentation,
    stimuli: usize,
    dt_ms: f64,
) -> Vec<Vec<u32>> {
    let (start, present, period) = presentation.ticks(dt_ms);
    let mut counts = vec![vec![0u32; size]; stimuli];
    for (&t, &n) in train.times_ms.iter().zip(&train.neurons) {
        let tick = (t / dt_ms).round() as u64;
        if tick < start || period == 0 {
            continue;
        }
        let (k, within) = ((tick - start) / period, (tick - start) % period);
        if (k as usize) < stimuli && within < present && (n as usize) < size {
            counts[k as usize][n as usize] += 1;
        }
    }
    counts
}
