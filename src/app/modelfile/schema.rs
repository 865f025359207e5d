//! The structure of a model file as serde reads it: one struct per table, each field with
//! its position (`Spanned`) where errors need it. Values stay raw until the loader converts
//! them with their units.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A raw value: a bare number, a string with a unit, or a boolean. Any other shape is kept
/// as [`Raw::Other`] so that the loader, which knows the field, can say what it takes.
#[derive(Clone, Debug)]
pub enum Raw {
    /// Number (integer or float).
    Number(f64),
    /// String such as `"20 ms"` or a keyword.
    Text(String),
    /// Boolean.
    Bool(bool),
    /// A list, a table or a date: what the value is, in words (`a list`).
    Other(&'static str),
}

impl Raw {
    /// A TOML value as a raw value.
    fn from_value(v: toml::Value) -> Raw {
        match v {
            toml::Value::Integer(i) => Raw::Number(i as f64),
            toml::Value::Float(x) => Raw::Number(x),
            toml::Value::String(s) => Raw::Text(s),
            toml::Value::Boolean(b) => Raw::Bool(b),
            other => Raw::Other(shape(&other)),
        }
    }
}

/// A value's shape in words, for messages (`a list`).
pub(super) fn shape(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::Integer(_) | toml::Value::Float(_) => "a number",
        toml::Value::String(_) => "a string",
        toml::Value::Boolean(_) => "true/false",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
        toml::Value::Datetime(_) => "a date",
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        toml::Value::deserialize(d).map(Raw::from_value)
    }
}

/// A distribution as written: a value, or `{ uniform = [lo, hi] }`, `{ normal = { mean, std,
/// low, high } }`, `{ lognormal = { mu, sigma, max } }`.
#[derive(Clone, Debug)]
pub enum RawDist {
    /// A single value.
    Value(Raw),
    /// A distribution table.
    Table(DistTable),
    /// One value per neuron (initial values only).
    List(Vec<Raw>),
}

/// The forms a distribution takes, with examples (in messages).
pub(super) const DIST_FORMS: &str = "a value (\"1.5 ms\" or 1.5) or one table of { uniform = [low, high] }, \
    { normal = { mean, std, low, high, truncate } }, { lognormal = { mu, sigma, max } }, e.g. \
    { normal = { mean = \"1.5 ms\", std = \"0.5 ms\", low = \"0.1 ms\" } }";

impl<'de> Deserialize<'de> for RawDist {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::Table(t) => t.try_into::<DistTable>().map(RawDist::Table).map_err(|e| {
                serde::de::Error::custom(format!("{}; a distribution is {DIST_FORMS}", e.message().trim()))
            }),
            toml::Value::Array(list) => Ok(RawDist::List(list.into_iter().map(Raw::from_value).collect())),
            other => Ok(RawDist::Value(Raw::from_value(other))),
        }
    }
}

/// Per-neuron values as written: a list (numbers in the canonical unit, or quantities with
/// units) or a distribution.
#[derive(Clone, Debug)]
pub enum PerNeuronRaw {
    /// One value per neuron.
    List(Vec<Raw>),
    /// A distribution drawn per neuron.
    Dist(RawDist),
}

impl<'de> Deserialize<'de> for PerNeuronRaw {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::Array(list) => Ok(PerNeuronRaw::List(
                list.into_iter().map(Raw::from_value).collect(),
            )),
            other => RawDist::deserialize(other)
                .map(PerNeuronRaw::Dist)
                .map_err(serde::de::Error::custom),
        }
    }
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
    /// A whole number, or `{ connectivity, initial, inputs }`.
    pub(super) seed: Option<Spanned<toml::Value>>,
    #[serde(alias = "duration_ms")]
    pub(super) duration: Option<Spanned<Raw>>,
    /// `"spikegpu"` (default), `"nest"` or `"brian2"` (`model::Conventions`).
    pub(super) conventions: Option<Spanned<String>>,
    #[serde(default, rename = "population")]
    pub(super) populations: Vec<Spanned<FilePopulation>>,
    #[serde(default, rename = "encoder")]
    pub(super) encoders: Vec<Spanned<FileEncoder>>,
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
    /// Tsodyks-Markram short-term plasticity.
    pub(super) short_term: Option<Spanned<FileShortTerm>>,
    /// Stochastic release: a probability, or one per (pre, post) pair as rows.
    pub(super) release_probability: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileShortTerm {
    /// Utilisation increment U: one for the projection, or one per synapse.
    pub(super) u: ShortTermU,
    #[serde(alias = "tau_rec_ms")]
    pub(super) tau_rec: Spanned<Raw>,
    #[serde(alias = "tau_facil_ms")]
    pub(super) tau_facil: Option<Spanned<Raw>>,
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
    /// Fixed in/out-degree: draw with replacement (a pair may repeat).
    pub(super) multapses: Option<bool>,
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
    #[serde(alias = "noise_std")]
    pub(super) noise_std_per_step: Option<Spanned<Raw>>,
    pub(super) noise_sigma: Option<Spanned<Raw>>,
    pub(super) noise_tau: Option<Spanned<Raw>>,
    pub(super) sine_amplitude: Option<Spanned<Raw>>,
    pub(super) sine_offset: Option<Spanned<Raw>>,
    pub(super) sine_frequency: Option<Spanned<Raw>>,
    pub(super) sine_phase: Option<Spanned<Raw>>,
    pub(super) sine_start: Option<Spanned<Raw>>,
    pub(super) sine_stop: Option<Spanned<Raw>>,
    /// Indices of the target's neurons the current goes into (all when absent).
    pub(super) neurons: Option<Spanned<Vec<i64>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileRecord {
    /// Spike recordings: names, slices (`"exc[0:100]"`), `"all"` or tables.
    pub(super) spikes: Option<Spanned<toml::Value>>,
    /// Population rate records: names or `{ population, bin }` tables.
    pub(super) rates: Option<Spanned<toml::Value>>,
    /// Bin width of the rate records that give none.
    pub(super) rate_bin: Option<Spanned<Raw>>,
    /// Interval of weight snapshots of the plastic projections.
    pub(super) weight_interval: Option<Spanned<Raw>>,
    #[serde(default)]
    pub(super) state: Vec<Spanned<FileProbe>>,
    /// Projections whose synapses are written out: `"pre->post"` names or `"all"`.
    pub(super) connections: Option<Spanned<toml::Value>>,
    /// Whether the positions of the populations that have them are written out.
    #[serde(default)]
    pub(super) positions: bool,
}

/// A spike recording written as a table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSpikeRecord {
    pub(super) population: String,
    /// A list of neurons or a slice (`"0:100"`, `"::10"`); all when left out.
    pub(super) neurons: Option<toml::Value>,
    pub(super) start: Option<Raw>,
    pub(super) stop: Option<Raw>,
}

/// A population rate record written as a table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileRateRecord {
    pub(super) population: String,
    pub(super) bin: Option<Raw>,
}

/// Seeds written apart.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSeeds {
    #[serde(default)]
    pub(super) connectivity: u64,
    #[serde(default)]
    pub(super) initial: u64,
    #[serde(default)]
    pub(super) inputs: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileProbe {
    pub(super) population: Spanned<String>,
    pub(super) variable: Spanned<String>,
    /// A list of neurons, a slice (`"0:100"`) or `"all"`.
    pub(super) neurons: Spanned<toml::Value>,
    pub(super) interval: Spanned<Raw>,
    pub(super) start: Option<Spanned<Raw>>,
    pub(super) stop: Option<Spanned<Raw>>,
}

/// An `[[encoder]]` table: a source population fed by an input encoder (`crate::encoders`).
/// Which keys apply depends on `kind` (`encoders` phase).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileEncoder {
    pub(super) name: Spanned<String>,
    /// rate, latency, delta, receptive_field or events.
    pub(super) kind: Spanned<String>,
    pub(super) stimuli: Option<Spanned<Vec<Vec<f64>>>>,
    #[serde(alias = "max_rate_hz")]
    pub(super) max_rate: Option<Spanned<Raw>>,
    #[serde(alias = "present_ms")]
    pub(super) present: Option<Spanned<Raw>>,
    #[serde(alias = "rest_ms")]
    pub(super) rest: Option<Spanned<Raw>>,
    #[serde(alias = "start_ms")]
    pub(super) start: Option<Spanned<Raw>>,
    /// linear or log (latency).
    pub(super) scale: Option<Spanned<String>>,
    #[serde(alias = "t_max_ms")]
    pub(super) t_max: Option<Spanned<Raw>>,
    #[serde(alias = "tau_ms")]
    pub(super) tau: Option<Spanned<Raw>>,
    pub(super) threshold: Option<Spanned<f64>>,
    pub(super) signals: Option<Spanned<Vec<Vec<f64>>>>,
    #[serde(alias = "sample_ms")]
    pub(super) sample: Option<Spanned<Raw>>,
    pub(super) neurons: Option<Spanned<u32>>,
    pub(super) low: Option<Spanned<f64>>,
    pub(super) high: Option<Spanned<f64>>,
    pub(super) field_width: Option<Spanned<f64>>,
    pub(super) width: Option<Spanned<u32>>,
    pub(super) height: Option<Spanned<u32>>,
    /// `[t_ms, x, y, polarity]` rows, sorted by time.
    pub(super) events: Option<Spanned<Vec<[f64; 4]>>>,
}

/// `short_term.u`: a number, or a list of numbers (one per synapse).
#[derive(Debug)]
pub(super) enum ShortTermU {
    /// One `U` for the whole projection.
    One(f64),
    /// One `U` per synapse.
    PerSynapse(Vec<f64>),
}

impl<'de> Deserialize<'de> for ShortTermU {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let number = |v: &toml::Value| match v {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(x) => Some(*x),
            _ => None,
        };
        let value = toml::Value::deserialize(d)?;
        let wrong = |what: &str| {
            serde::de::Error::custom(format!(
                "short_term.u is {what}; it takes a number in (0, 1] or a list of them (one per synapse)"
            ))
        };
        match &value {
            toml::Value::Array(list) => list
                .iter()
                .map(number)
                .collect::<Option<Vec<f64>>>()
                .map(ShortTermU::PerSynapse)
                .ok_or_else(|| wrong("a list with an entry that is not a number")),
            other => number(other)
                .map(ShortTermU::One)
                .ok_or_else(|| wrong(shape(other))),
        }
    }
}
