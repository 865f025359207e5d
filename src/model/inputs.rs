//! External inputs: Poisson trains and injected current sources.

use crate::model::{PopulationId, Receptor};

/// Independent Poisson trains, one per target neuron, each spike adding `weight` to the
/// target's `receptor` port. The rate follows `schedule`: `(start_ms, rate_hz)` segments,
/// the first starting at 0.
#[derive(Clone, Debug, PartialEq)]
pub struct PoissonInput {
    /// Target population.
    pub target: PopulationId,
    /// Rate segments: from `start_ms` on, each train fires at `rate_hz`.
    pub schedule: Vec<(f64, f64)>,
    /// Weight of each input spike.
    pub weight: f64,
    /// Target port.
    pub receptor: Receptor,
}

/// A current injected into every neuron of a population, in the model's current unit (mV for
/// the current-based LIF, pA for LifCond, AdEx and HH, the paper's unit for Izhikevich).
#[derive(Clone, Debug, PartialEq)]
pub enum CurrentSource {
    /// Constant amplitude.
    Dc {
        /// Amplitude.
        amplitude: f64,
    },
    /// Piecewise constant: `amplitudes[k]` from `times_ms[k]` on (0 before the first time).
    Step {
        /// Switch times (ms), strictly increasing, >= 0.
        times_ms: Vec<f64>,
        /// Amplitudes, one per time.
        amplitudes: Vec<f64>,
    },
    /// Gaussian white-ish noise: a new value `mean + std * z` every tick, independent per neuron.
    /// `z` is the standardised sum of eight uniforms (integer arithmetic only, so both backends
    /// draw the same values; tails are cut at 4.9 standard deviations).
    Noise {
        /// Mean.
        mean: f64,
        /// Standard deviation of each step's draw, >= 0 (per step: the membrane's standard
        /// deviation then shrinks with dt; [`CurrentSource::WhiteNoise`] does not).
        std: f64,
    },
    /// Brian2's white-noise term `sigma * sqrt(tau) * xi`: the current `mean + sigma *
    /// sqrt(tau) * xi(t)`, `xi` white noise of unit 1/sqrt(time). Each step draws as
    /// [`CurrentSource::Noise`] with standard deviation `sigma * sqrt(tau / dt)`, so the membrane's
    /// standard deviation does not depend on dt (for the LIF with `tau = tau_m`, `sigma /
    /// sqrt(2)` at rest).
    WhiteNoise {
        /// Mean.
        mean: f64,
        /// Amplitude `sigma`, >= 0, in the model's current unit.
        sigma: f64,
        /// Time constant `tau` (ms) of the term, > 0.
        tau_ms: f64,
    },
    /// Sine (PyNN's `ACSource`): `offset + amplitude * sin(2 pi f (t - start) + phase)` in the
    /// ticks from `start_ms` (rounded to a tick) up to `stop_ms`, 0 outside; `t` is a tick's
    /// start. The phase is kept as an integer fraction of a cycle, exact for any run length.
    Sine {
        /// Amplitude.
        amplitude: f64,
        /// Offset.
        offset: f64,
        /// Frequency (Hz), >= 0.
        frequency_hz: f64,
        /// Phase at `start_ms` (degrees).
        phase_deg: f64,
        /// First time (ms), >= 0.
        start_ms: f64,
        /// End (ms), > `start_ms`; `f64::INFINITY` for none.
        stop_ms: f64,
    },
}

/// A current source bound to a population, or to some of its neurons.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentInput {
    /// Target population.
    pub target: PopulationId,
    /// The source.
    pub source: CurrentSource,
    /// Indices (within the population, ascending, distinct) of the neurons it feeds; `None`
    /// for all.
    pub neurons: Option<Vec<u32>>,
}
