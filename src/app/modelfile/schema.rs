//! The structure of a model file as serde reads it: one struct per table, each field with
//! its position (`Spanned`) where errors need it. Values stay raw until the loader converts
//! them with their units.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A raw value: a bare number, a string with a unit, or a boolean.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Raw {
    /// Number (integer or float).
    Number(f64),
    /// String such as `"20 ms"` or a keyword.
    Text(String),
    /// Boolean.
    Bool(bool),
}

/// A distribution as written: a value, or `{ uniform = [lo, hi] }`, `{ normal = { mean, std,
/// low, high } }`, `{ lognormal = { mu, sigma, max } }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum RawDist {
    /// A single value.
    Value(Raw),
    /// A distribution table.
    Table(DistTable),
}

/// Per-neuron values as written: a list (canonical unit) or a distribution.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum PerNeuronRaw {
    /// One number per neuron, in the canonical unit.
    List(Vec<f64>),
    /// A distribution drawn per neuron.
    Dist(RawDist),
}

/// Distribution tables.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistTable {
    pub(super) uniform: Option<[Raw; 2]>,
    pub(super) normal: Option<NormalSpec>,
    pub(super) lognormal: Option<LogNormalSpec>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NormalSpec {
    pub(super) mean: Raw,
    pub(super) std: Raw,
    pub(super) low: Option<Raw>,
    pub(super) high: Option<Raw>,
    /// Values outside `[low, high]` are drawn again (truncated normal) instead of clipped.
    pub(super) truncate: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LogNormalSpec {
    pub(super) mu: f64,
    pub(super) sigma: f64,
    pub(super) max: Raw,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileModel {
    pub(super) name: Option<String>,
    #[serde(alias = "dt_ms")]
    pub(super) dt: Spanned<Raw>,
    #[serde(default)]
    pub(super) seed: u64,
    #[serde(alias = "duration_ms")]
    pub(super) duration: Option<Spanned<Raw>>,
    #[serde(default, rename = "population")]
    pub(super) populations: Vec<Spanned<FilePopulation>>,
    #[serde(default, rename = "projection")]
    pub(super) projections: Vec<Spanned<FileProjection>>,
    #[serde(default, rename = "poisson")]
    pub(super) poisson: Vec<Spanned<FilePoisson>>,
    #[serde(default, rename = "current")]
    pub(super) currents: Vec<Spanned<FileCurrent>>,
    #[serde(default, rename = "neuromodulator")]
    pub(super) neuromodulators: Vec<Spanned<FileNeuromodulator>>,
    #[serde(default)]
    pub(super) record: FileRecord,
    /// User-defined neuron models (`equation_populations`).
    #[serde(default, rename = "neuron_model")]
    pub(super) neuron_models: Vec<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileNeuromodulator {
    /// "global" or a population name.
    pub(super) channel: Spanned<String>,
    #[serde(alias = "tau_ms")]
    pub(super) tau: Option<Spanned<Raw>>,
    #[serde(default)]
    pub(super) baseline: f64,
    /// (time, amount) pulses added to the level during `spikegpu run`.
    #[serde(default)]
    pub(super) pulses: Vec<(Spanned<Raw>, f64)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileModulation {
    #[serde(alias = "tau_eligibility_ms")]
    pub(super) tau_eligibility: Spanned<Raw>,
    #[serde(alias = "interval_ms")]
    pub(super) interval: Option<Spanned<Raw>>,
    /// "global" (default) or a population name.
    pub(super) channel: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FilePopulation {
    pub(super) name: String,
    pub(super) size: u32,
    pub(super) model: Spanned<String>,
    pub(super) preset: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) params: BTreeMap<Spanned<String>, Spanned<Raw>>,
    #[serde(default)]
    pub(super) init: BTreeMap<Spanned<String>, Spanned<RawDist>>,
    pub(super) spike_times_ms: Option<Vec<Vec<f64>>>,
    pub(super) heterogeneity: Option<Spanned<String>>,
    pub(super) izhikevich_abcd: Option<Vec<[f64; 4]>>,
    #[serde(default)]
    pub(super) per_neuron: BTreeMap<Spanned<String>, Spanned<PerNeuronRaw>>,
    pub(super) positions: Option<FilePositions>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FilePositions {
    pub(super) grid: Option<[u32; 2]>,
    pub(super) spacing: Option<f32>,
    pub(super) random: Option<[f32; 3]>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileProjection {
    pub(super) pre: Spanned<String>,
    pub(super) post: Spanned<String>,
    pub(super) connectivity: FileConnectivity,
    pub(super) weight: Option<Spanned<RawDist>>,
    pub(super) delay: Option<Spanned<RawDist>>,
    pub(super) receptor: Spanned<String>,
    pub(super) plasticity: Option<Spanned<FilePlasticity>>,
    /// Regenerate rows per spike instead of storing them.
    #[serde(default)]
    pub(super) procedural: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FilePlasticity {
    /// pair, triplet_visual_cortex or triplet_hippocampal.
    pub(super) rule: Spanned<String>,
    #[serde(alias = "tau_plus_ms")]
    pub(super) tau_plus: Option<Spanned<Raw>>,
    #[serde(alias = "tau_minus_ms")]
    pub(super) tau_minus: Option<Spanned<Raw>>,
    #[serde(alias = "tau_x_ms")]
    pub(super) tau_x: Option<Spanned<Raw>>,
    #[serde(alias = "tau_y_ms")]
    pub(super) tau_y: Option<Spanned<Raw>>,
    #[serde(alias = "a_plus")]
    pub(super) a2_plus: Option<f64>,
    #[serde(alias = "a_minus")]
    pub(super) a2_minus: Option<f64>,
    pub(super) a3_plus: Option<f64>,
    pub(super) a3_minus: Option<f64>,
    pub(super) w_min: Option<Spanned<Raw>>,
    pub(super) w_max: Spanned<Raw>,
    pub(super) pairing: Option<Spanned<String>>,
    pub(super) dependence: Option<Spanned<String>>,
    pub(super) mu: Option<f64>,
    pub(super) dendritic_fraction: Option<f64>,
    /// Reward modulation (eligibility traces gated by a neuromodulator channel).
    pub(super) modulation: Option<Spanned<FileModulation>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConnectivity {
    pub(super) rule: Spanned<String>,
    pub(super) p: Option<f64>,
    pub(super) k: Option<u32>,
    pub(super) n: Option<u64>,
    pub(super) p0: Option<f64>,
    pub(super) sigma: Option<f64>,
    #[serde(default)]
    pub(super) autapses: bool,
    pub(super) connections: Option<Vec<(u32, u32, f64, f64)>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FilePoisson {
    pub(super) target: Spanned<String>,
    pub(super) rate: Option<Spanned<Raw>>,
    pub(super) schedule: Option<Vec<(Spanned<Raw>, Spanned<Raw>)>>,
    pub(super) weight: Spanned<Raw>,
    pub(super) receptor: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileCurrent {
    pub(super) target: Spanned<String>,
    pub(super) dc: Option<Spanned<Raw>>,
    pub(super) step_times: Option<Vec<Spanned<Raw>>>,
    pub(super) step_amplitudes: Option<Vec<Spanned<Raw>>>,
    pub(super) noise_mean: Option<Spanned<Raw>>,
    pub(super) noise_std: Option<Spanned<Raw>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileRecord {
    pub(super) spikes: Option<Vec<Spanned<String>>>,
    /// Interval of weight snapshots of the plastic projections.
    pub(super) weight_interval: Option<Spanned<Raw>>,
    #[serde(default)]
    pub(super) state: Vec<FileProbe>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileProbe {
    pub(super) population: Spanned<String>,
    pub(super) variable: Spanned<String>,
    pub(super) neurons: Vec<u32>,
    pub(super) interval: Spanned<Raw>,
}
