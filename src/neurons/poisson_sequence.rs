//! Poisson sequence: Poisson trains whose per-neuron rates change from one stimulus window to
//! the next, drawn on the device from the Philox streams. A whole sequence of stimuli, each
//! shown for `present_ms` and followed by `rest_ms` of silence, runs without the host: the
//! current window is computed from the tick counter and indexes a table of firing thresholds.

use std::borrow::Cow;

use super::{Dim, InitialV, ModelSpec, NeuronModel, PopConstantsF64, Roles, model_id};
use crate::error::{Result, check_non_negative};
use crate::rng::philox4x32_10;

/// Rates of a sequence of stimuli: stimulus `k` is shown from `start_ms + k (present_ms +
/// rest_ms)` for `present_ms`, during which neuron `i` fires as a Poisson process at
/// `rates_hz[k][i]` (at most once per tick: each tick fires with probability rate x dt,
/// compared as an integer against one Philox word, as [`NeuronModel::PoissonSource`]). The
/// neurons are silent before the first window, in the rests and after the last window.
#[derive(Clone, Debug, PartialEq)]
pub struct PoissonSequenceParams {
    /// Rates (Hz) per stimulus, one per neuron, each >= 0 with rate x dt <= 1.
    pub rates_hz: Vec<Vec<f64>>,
    /// How long each stimulus is shown (ms), at least one tick.
    pub present_ms: f64,
    /// Silence after each stimulus (ms), >= 0.
    pub rest_ms: f64,
    /// When the first stimulus starts (ms), >= 0.
    pub start_ms: f64,
}

impl Default for PoissonSequenceParams {
    fn default() -> Self {
        Self {
            rates_hz: Vec::new(),
            present_ms: 100.0,
            rest_ms: 0.0,
            start_ms: 0.0,
        }
    }
}

impl PoissonSequenceParams {
    /// Ticks of the windows at time step `dt` (ms): (start, present, present + rest), each
    /// rounded to the nearest tick.
    pub fn window_ticks(&self, dt: f64) -> (u64, u64, u64) {
        let ticks = |ms: f64| (ms / dt).round() as u64;
        let present = ticks(self.present_ms);
        (ticks(self.start_ms), present, present + ticks(self.rest_ms))
    }

    /// The tick after the last window's rest.
    pub fn end_tick(&self, dt: f64) -> u64 {
        let (start, _, period) = self.window_ticks(dt);
        start.saturating_add(period.saturating_mul(self.rates_hz.len() as u64))
    }
}

constant_slots! {
    /// Neurons per row of the rate table (u32 bits), set by the device upload: the whole
    /// population's, also on a rank of a distributed run (the CPU takes it from the partition).
    ROW_SIZE,
}

/// The model's table. Its rates and windows are not model-file parameters: model files give
/// them in an `[[encoder]]` table, the Rust API through [`crate::encoders`] or
/// [`PoissonSequenceParams`].
pub static SPEC: ModelSpec = ModelSpec {
    name: Cow::Borrowed("poisson_sequence"),
    id: model_id::POISSON_SEQUENCE,
    summary: Cow::Borrowed("Poisson trains with per-neuron rates per stimulus window, rests between"),
    params: Cow::Borrowed(&[]),
    state: Cow::Borrowed(&[]),
    slots: Cow::Borrowed(SLOTS),
    presets: Cow::Borrowed(&[]),
    roles: Roles {
        refractory: None,
        reset: None,
        threshold: None,
        initial_v: InitialV::Value(0.0),
    },
    weight_unit: Dim::None,
    current_unit: Dim::None,
    conductance_synapses: false,
    defaults: || NeuronModel::PoissonSequence(PoissonSequenceParams::default()),
    wgsl: Cow::Borrowed(include_str!("../../shaders/models/poisson_sequence.wgsl")),
};

/// Checks that every rate is finite and >= 0; the number of stimuli, the row lengths and
/// rate x dt are checked by the builder, which knows the size and the time step.
pub fn validate_relations(p: &PoissonSequenceParams, owner: &str) -> Result<()> {
    for (k, row) in p.rates_hz.iter().enumerate() {
        for (i, &rate) in row.iter().enumerate() {
            check_non_negative(|| format!("{owner}.rates_hz[{k}][{i}]"), rate)?;
        }
    }
    Ok(())
}

/// No constants: the window ticks and the thresholds live in the population's table in
/// `source_ticks`.
pub fn constants() -> PopConstantsF64 {
    [0.0; super::POP_CONSTANTS]
}

/// Words of the table header in `source_ticks`: start tick, present ticks, period ticks,
/// number of windows.
pub const HEADER_WORDS: usize = 4;

/// The threshold on a uniform u32 under which a tick fires at `rate_hz` (as a Poisson
/// source's).
pub fn rate_threshold(rate_hz: f64, dt: f64) -> u32 {
    (rate_hz * dt * 1e-3 * 4_294_967_296.0)
        .floor()
        .min(f64::from(u32::MAX)) as u32
}

/// Appends the population's table to `source_ticks` and returns its offset: the header, then
/// the thresholds window by window (`size` per window, neuron order within it). The builder
/// has checked that the sequence ends before tick 2^32.
pub fn append_table(p: &PoissonSequenceParams, dt: f64, source_ticks: &mut Vec<u32>) -> u32 {
    let base = source_ticks.len() as u32;
    let (start, present, period) = p.window_ticks(dt);
    source_ticks.extend([
        start as u32,
        present as u32,
        period as u32,
        p.rates_hz.len() as u32,
    ]);
    for row in &p.rates_hz {
        source_ticks.extend(row.iter().map(|&r| rate_threshold(r, dt)));
    }
    base
}

/// `poisson_sequence_update` of `shaders/models/poisson_sequence.wgsl`: `q` holds the table
/// offset, the stream, the global and the local neuron index (u32 bits); `size` is the
/// population's. The counter is (tick low word, neuron, stream, tick high word), as a Poisson
/// source's.
#[inline]
pub fn update(q: [f32; 4], table: &[u32], size: u32, key: [u32; 2], tick: u64) -> bool {
    let [lo, hi] = crate::limits::tick_words(tick);
    let base = q[0].to_bits() as usize;
    let start = table[base];
    if hi != 0 || lo < start {
        return false;
    }
    let since = lo - start;
    let period = table[base + 2];
    let window = since / period;
    if window >= table[base + 3] || since % period >= table[base + 1] {
        return false;
    }
    let threshold = table[base + HEADER_WORDS + (window * size + q[3].to_bits()) as usize];
    philox4x32_10([lo, q[2].to_bits(), q[1].to_bits(), hi], key)[0] < threshold
}
