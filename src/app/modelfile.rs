//! Model files: everything the Rust builder can express, as TOML.
//!
//! Quantities are written either as strings with a unit (`tau_m = "20 ms"`, `v_rest = "-65 mV"`)
//! or as bare numbers with the unit in the key (`tau_m_ms = 20`); a bare number without a unit
//! suffix is read in the canonical unit of the field (ms, mV, nS, pA, pF, Hz). Errors name the
//! field and, where the parser knows it, the line and column. See `examples/models/*.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::model::plasticity::{
    ModulatorChannel, Neuromodulator, Pairing, RewardModulation, StdpParams, WeightDependence,
};
use crate::model::{
    Connection, Connectivity, CurrentSource, InitialValue, Network, NetworkBuilder, PopulationId, Receptor,
    StateVar, WeightDist, grid_positions_2d, random_positions,
};
use crate::model::{NeuronParam, PerNeuron};
use crate::networks::{IzhikevichRole, izhikevich_2003_abcd};
use crate::neurons::{
    AdExParams, AdExPattern, CurrentSynapse, HhParams, IzhikevichParams, IzhikevichType, LifCondParams,
    LifParams, NeuronModel,
};

/// Physical dimension of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    /// Canonical unit ms.
    Time,
    /// Canonical unit mV.
    Voltage,
    /// Canonical unit nS.
    Conductance,
    /// Canonical unit pA.
    Current,
    /// Canonical unit pF.
    Capacitance,
    /// Canonical unit Hz.
    Rate,
    /// No unit.
    None,
}

impl Dim {
    fn canonical(self) -> &'static str {
        match self {
            Dim::Time => "ms",
            Dim::Voltage => "mV",
            Dim::Conductance => "nS",
            Dim::Current => "pA",
            Dim::Capacitance => "pF",
            Dim::Rate => "Hz",
            Dim::None => "(no unit)",
        }
    }

    /// Factor to the canonical unit, or `None` if `unit` is not of this dimension.
    fn factor(self, unit: &str) -> Option<f64> {
        let table: &[(&str, f64)] = match self {
            Dim::Time => &[("ms", 1.0), ("s", 1000.0), ("us", 1e-3), ("min", 60_000.0)],
            Dim::Voltage => &[("mV", 1.0), ("V", 1000.0), ("uV", 1e-3)],
            Dim::Conductance => &[("nS", 1.0), ("uS", 1e3), ("mS", 1e6), ("pS", 1e-3), ("S", 1e9)],
            Dim::Current => &[("pA", 1.0), ("nA", 1e3), ("uA", 1e6), ("fA", 1e-3)],
            Dim::Capacitance => &[("pF", 1.0), ("nF", 1e3), ("uF", 1e6)],
            Dim::Rate => &[("Hz", 1.0), ("kHz", 1e3)],
            Dim::None => &[("", 1.0)],
        };
        table.iter().find(|(u, _)| *u == unit).map(|(_, f)| *f)
    }

    /// The dimension a key suffix names (`tau_m_ms` -> Time).
    fn of_suffix(suffix: &str) -> Option<(Dim, f64)> {
        let unit = match suffix {
            "ms" => "ms",
            "s" => "s",
            "us" => "us",
            "mv" => "mV",
            "v" => "V",
            "ns" => "nS",
            "ps" => "pS",
            "pa" => "pA",
            "na" => "nA",
            "pf" => "pF",
            "nf" => "nF",
            "hz" => "Hz",
            "khz" => "kHz",
            _ => return None,
        };
        [
            Dim::Time,
            Dim::Voltage,
            Dim::Conductance,
            Dim::Current,
            Dim::Capacitance,
            Dim::Rate,
        ]
        .into_iter()
        .find_map(|d| d.factor(unit).map(|f| (d, f)))
    }
}

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
    uniform: Option<[Raw; 2]>,
    normal: Option<NormalSpec>,
    lognormal: Option<LogNormalSpec>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NormalSpec {
    mean: Raw,
    std: Raw,
    low: Option<Raw>,
    high: Option<Raw>,
    /// Values outside `[low, high]` are drawn again (truncated normal) instead of clipped.
    truncate: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogNormalSpec {
    mu: f64,
    sigma: f64,
    max: Raw,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModel {
    name: Option<String>,
    #[serde(alias = "dt_ms")]
    dt: Spanned<Raw>,
    #[serde(default)]
    seed: u64,
    #[serde(alias = "duration_ms")]
    duration: Option<Spanned<Raw>>,
    #[serde(default, rename = "population")]
    populations: Vec<Spanned<FilePopulation>>,
    #[serde(default, rename = "projection")]
    projections: Vec<Spanned<FileProjection>>,
    #[serde(default, rename = "poisson")]
    poisson: Vec<Spanned<FilePoisson>>,
    #[serde(default, rename = "current")]
    currents: Vec<Spanned<FileCurrent>>,
    #[serde(default, rename = "neuromodulator")]
    neuromodulators: Vec<Spanned<FileNeuromodulator>>,
    #[serde(default)]
    record: FileRecord,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileNeuromodulator {
    /// "global" or a population name.
    channel: Spanned<String>,
    #[serde(alias = "tau_ms")]
    tau: Option<Spanned<Raw>>,
    #[serde(default)]
    baseline: f64,
    /// (time, amount) pulses added to the level during `spikegpu run`.
    #[serde(default)]
    pulses: Vec<(Spanned<Raw>, f64)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModulation {
    #[serde(alias = "tau_eligibility_ms")]
    tau_eligibility: Spanned<Raw>,
    #[serde(alias = "interval_ms")]
    interval: Option<Spanned<Raw>>,
    /// "global" (default) or a population name.
    channel: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePopulation {
    name: String,
    size: u32,
    model: Spanned<String>,
    preset: Option<Spanned<String>>,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, Spanned<Raw>>,
    #[serde(default)]
    init: BTreeMap<Spanned<String>, Spanned<RawDist>>,
    spike_times_ms: Option<Vec<Vec<f64>>>,
    heterogeneity: Option<Spanned<String>>,
    izhikevich_abcd: Option<Vec<[f64; 4]>>,
    #[serde(default)]
    per_neuron: BTreeMap<Spanned<String>, Spanned<PerNeuronRaw>>,
    positions: Option<FilePositions>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePositions {
    grid: Option<[u32; 2]>,
    spacing: Option<f32>,
    random: Option<[f32; 3]>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProjection {
    pre: Spanned<String>,
    post: Spanned<String>,
    connectivity: FileConnectivity,
    weight: Option<Spanned<RawDist>>,
    delay: Option<Spanned<RawDist>>,
    receptor: Spanned<String>,
    plasticity: Option<Spanned<FilePlasticity>>,
    /// Regenerate rows per spike instead of storing them.
    #[serde(default)]
    procedural: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePlasticity {
    /// pair, triplet_visual_cortex or triplet_hippocampal.
    rule: Spanned<String>,
    #[serde(alias = "tau_plus_ms")]
    tau_plus: Option<Spanned<Raw>>,
    #[serde(alias = "tau_minus_ms")]
    tau_minus: Option<Spanned<Raw>>,
    #[serde(alias = "tau_x_ms")]
    tau_x: Option<Spanned<Raw>>,
    #[serde(alias = "tau_y_ms")]
    tau_y: Option<Spanned<Raw>>,
    #[serde(alias = "a_plus")]
    a2_plus: Option<f64>,
    #[serde(alias = "a_minus")]
    a2_minus: Option<f64>,
    a3_plus: Option<f64>,
    a3_minus: Option<f64>,
    w_min: Option<Spanned<Raw>>,
    w_max: Spanned<Raw>,
    pairing: Option<Spanned<String>>,
    dependence: Option<Spanned<String>>,
    mu: Option<f64>,
    dendritic_fraction: Option<f64>,
    /// Reward modulation (eligibility traces gated by a neuromodulator channel).
    modulation: Option<Spanned<FileModulation>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConnectivity {
    rule: Spanned<String>,
    p: Option<f64>,
    k: Option<u32>,
    n: Option<u64>,
    p0: Option<f64>,
    sigma: Option<f64>,
    #[serde(default)]
    autapses: bool,
    connections: Option<Vec<(u32, u32, f64, f64)>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePoisson {
    target: Spanned<String>,
    rate: Option<Spanned<Raw>>,
    schedule: Option<Vec<(Spanned<Raw>, Spanned<Raw>)>>,
    weight: Spanned<Raw>,
    receptor: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCurrent {
    target: Spanned<String>,
    dc: Option<Spanned<Raw>>,
    step_times: Option<Vec<Spanned<Raw>>>,
    step_amplitudes: Option<Vec<Spanned<Raw>>>,
    noise_mean: Option<Spanned<Raw>>,
    noise_std: Option<Spanned<Raw>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRecord {
    spikes: Option<Vec<Spanned<String>>>,
    /// Interval of weight snapshots of the plastic projections.
    weight_interval: Option<Spanned<Raw>>,
    #[serde(default)]
    state: Vec<FileProbe>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProbe {
    population: Spanned<String>,
    variable: Spanned<String>,
    neurons: Vec<u32>,
    interval: Spanned<Raw>,
}

/// A state-variable probe: `variable` of `neurons` of `population`, every `interval_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// Population.
    pub population: PopulationId,
    /// Population name.
    pub population_name: String,
    /// `v`, `u`, `syn_e` or `syn_i`.
    pub variable: String,
    /// Local neuron indices.
    pub neurons: Vec<u32>,
    /// Sampling interval (ms), a whole number of ticks.
    pub interval_ms: f64,
}

/// A loaded model file.
#[derive(Clone, Debug)]
pub struct ModelFile {
    /// Model name (the file's `name`, or its stem).
    pub name: String,
    /// The network.
    pub network: Network,
    /// Duration (ms), if the file gives one.
    pub duration_ms: Option<f64>,
    /// State probes.
    pub probes: Vec<Probe>,
    /// Interval (ms) of weight snapshots of every plastic projection, if requested.
    pub weight_interval_ms: Option<f64>,
    /// Neuromodulator pulses `(time_ms, channel, amount)` for `spikegpu run`, by time.
    pub modulator_pulses: Vec<(f64, ModulatorChannel, f64)>,
}

/// Parses and builds a model file's text. `origin` names it in errors; `seed` overrides the
/// file's seed.
pub fn parse(text: &str, origin: &str, seed: Option<u64>) -> Result<ModelFile> {
    let file: FileModel = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| locate(text, s.start)).unwrap_or_default();
        Error::InvalidNetwork(format!("{origin}{at}: {}", e.message()))
    })?;
    Loader { text, origin }.build(file, seed)
}

/// Reads and builds a model file from disk.
pub fn load(path: &std::path::Path, seed: Option<u64>) -> Result<ModelFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::InvalidNetwork(format!("cannot read model file {}: {e}", path.display())))?;
    let mut model = parse(&text, &path.display().to_string(), seed)?;
    if model.name.is_empty() {
        model.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    Ok(model)
}

fn locate(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!(":{line}:{col}")
}

struct Loader<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Loader<'_> {
    fn err<T>(&self, span: std::ops::Range<usize>, what: &str, msg: impl std::fmt::Display) -> Result<T> {
        Err(Error::InvalidParameter {
            field: format!("{}{} {what}", self.origin, locate(self.text, span.start)),
            value: self.text.get(span).unwrap_or("?").to_string(),
            allowed: msg.to_string(),
        })
    }

    /// Converts a raw value to the canonical unit of `dim`; `suffix` is the unit a bare number
    /// is in (from the key's suffix), if any.
    fn quantity(&self, raw: &Spanned<Raw>, what: &str, dim: Dim, suffix: Option<f64>) -> Result<f64> {
        let span = raw.span();
        match raw.get_ref() {
            Raw::Number(x) => Ok(x * suffix.unwrap_or(1.0)),
            Raw::Bool(_) => self.err(
                span,
                what,
                format!("must be a number or a quantity in {}", dim.canonical()),
            ),
            Raw::Text(s) => {
                let s = s.trim();
                let split = (1..=s.len())
                    .rev()
                    .find(|&i| s.is_char_boundary(i) && s[..i].trim().parse::<f64>().is_ok());
                let Some(i) = split else {
                    return self.err(
                        span,
                        what,
                        format!(
                            "must be a number with a unit of {}, e.g. \"20 {}\"",
                            dim.canonical(),
                            dim.canonical()
                        ),
                    );
                };
                let value: f64 = s[..i].trim().parse().expect("checked");
                let unit = s[i..].trim();
                if unit.is_empty() && dim != Dim::None {
                    return self.err(
                        span,
                        what,
                        format!(
                            "a quoted value needs a unit, e.g. \"{value} {}\" (or write the bare number)",
                            dim.canonical()
                        ),
                    );
                }
                match dim.factor(unit) {
                    Some(f) => Ok(value * f),
                    None => self.err(
                        span,
                        what,
                        format!(
                            "unknown unit '{unit}' for this field: it takes a {} ({})",
                            dim_name(dim),
                            dim.canonical()
                        ),
                    ),
                }
            }
        }
    }

    fn dist(&self, raw: &Spanned<RawDist>, what: &str, dim: Dim) -> Result<WeightDist> {
        let span = raw.span();
        let q = |r: &Raw| self.quantity(&Spanned::new(span.clone(), r.clone()), what, dim, None);
        Ok(match raw.get_ref() {
            RawDist::Value(v) => WeightDist::Constant(q(v)?),
            RawDist::Table(t) => match (&t.uniform, &t.normal, &t.lognormal) {
                (Some([lo, hi]), None, None) => WeightDist::Uniform {
                    low: q(lo)?,
                    high: q(hi)?,
                },
                (None, Some(n), None) => {
                    let mean = q(&n.mean)?;
                    let std = q(&n.std)?;
                    let low = n.low.as_ref().map(q).transpose()?.unwrap_or(f64::MIN);
                    let high = n.high.as_ref().map(q).transpose()?.unwrap_or(f64::MAX);
                    if n.truncate == Some(true) {
                        WeightDist::TruncatedNormal { mean, std, low, high }
                    } else {
                        WeightDist::Normal { mean, std, low, high }
                    }
                }
                (None, None, Some(l)) => {
                    let max = q(&l.max)?;
                    WeightDist::LogNormal {
                        mu: l.mu,
                        sigma: l.sigma,
                        max: max.abs(),
                        sign: max.signum(),
                    }
                }
                _ => return self.err(span, what, "give exactly one of uniform, normal, lognormal"),
            },
        })
    }

    fn initial(&self, raw: &Spanned<RawDist>, what: &str, dim: Dim) -> Result<InitialValue> {
        Ok(match self.dist(raw, what, dim)? {
            WeightDist::Constant(v) => InitialValue::Constant(v),
            WeightDist::Uniform { low, high } => InitialValue::Uniform { low, high },
            WeightDist::Normal { mean, std, .. } => InitialValue::Normal { mean, std },
            WeightDist::TruncatedNormal { .. } | WeightDist::LogNormal { .. } => {
                return self.err(
                    raw.span(),
                    what,
                    "initial values take a constant, uniform or normal (without truncate)",
                );
            }
        })
    }

    fn build(&self, file: FileModel, seed: Option<u64>) -> Result<ModelFile> {
        let dt = self.quantity(&file.dt, "dt", Dim::Time, None)?;
        let seed = seed.unwrap_or(file.seed);
        let duration_ms = match &file.duration {
            Some(d) => {
                let ms = self.quantity(d, "duration", Dim::Time, None)?;
                if !(ms.is_finite() && ms > 0.0) {
                    return self.err(d.span(), "duration", "must be a positive time");
                }
                Some(ms)
            }
            None => None,
        };
        let mut b = NetworkBuilder::new(dt, seed);
        let mut pops: Vec<(String, PopulationId, NeuronModel)> = Vec::new();
        for (i, sp) in file.populations.iter().enumerate() {
            let p = sp.get_ref();
            let what = format!("population[{i}] '{}'", p.name);
            let model = self.neuron_model(p, &what)?;
            let v_init = match p
                .init
                .iter()
                .find(|(k, _)| k.get_ref() == "v" || k.get_ref() == "v_mv")
            {
                Some((_, v)) => self.initial(v, &format!("{what}.init.v"), Dim::Voltage)?,
                None => InitialValue::Constant(default_v(&model)),
            };
            let id = b.population(&p.name, p.size, model.clone(), v_init)?;
            for (key, value) in &p.init {
                let (name, _) = split_suffix(key.get_ref());
                let var = match name {
                    "v" => continue,
                    "u" | "w" => StateVar::U,
                    "syn_e" | "g_e" => StateVar::SynExc,
                    "syn_i" | "g_i" => StateVar::SynInh,
                    _ => {
                        return self.err(
                            key.span(),
                            &format!("{what}.init"),
                            "known variables: v, u (or w), syn_e, syn_i",
                        );
                    }
                };
                let dim = match var {
                    StateVar::U => match model {
                        NeuronModel::AdEx(_) => Dim::Current,
                        _ => Dim::None,
                    },
                    _ => weight_dim(&model),
                };
                b.initial_value(id, var, self.initial(value, &format!("{what}.init.{name}"), dim)?)?;
            }
            if let Some(h) = &p.heterogeneity {
                let role = match h.get_ref().as_str() {
                    "izhikevich2003-excitatory" => IzhikevichRole::Excitatory,
                    "izhikevich2003-inhibitory" => IzhikevichRole::Inhibitory,
                    _ => {
                        return self.err(
                            h.span(),
                            &format!("{what}.heterogeneity"),
                            "known: izhikevich2003-excitatory, izhikevich2003-inhibitory",
                        );
                    }
                };
                b.izhikevich_per_neuron(id, izhikevich_2003_abcd(seed, role, p.size))?;
            }
            for (key, value) in &p.per_neuron {
                let field = format!("{what}.per_neuron.{}", key.get_ref());
                let (param, dim) = match split_suffix(key.get_ref()).0 {
                    "threshold" | "v_thresh" => (NeuronParam::Threshold, Dim::Voltage),
                    "bias" => (NeuronParam::Bias, current_dim(&model)),
                    _ => return self.err(key.span(), &field, "known per-neuron parameters: threshold, bias"),
                };
                let values = match value.get_ref() {
                    PerNeuronRaw::List(v) => PerNeuron::Values(v.clone()),
                    PerNeuronRaw::Dist(d) => {
                        PerNeuron::Drawn(self.initial(&Spanned::new(value.span(), d.clone()), &field, dim)?)
                    }
                };
                b.per_neuron(id, param, values)?;
            }
            if let Some(rows) = &p.izhikevich_abcd {
                b.izhikevich_per_neuron(id, rows.clone())?;
            }
            if let Some(pos) = &p.positions {
                let positions = match (pos.grid, pos.random) {
                    (Some([nx, ny]), None) => grid_positions_2d(nx, ny, pos.spacing.unwrap_or(1.0)),
                    (None, Some(extent)) => random_positions(p.size, glam::Vec3::from(extent), seed),
                    _ => {
                        return self.err(
                            sp.span(),
                            &format!("{what}.positions"),
                            "give either grid = [nx, ny] or random = [x, y, z]",
                        );
                    }
                };
                b.positions(id, positions)?;
            }
            pops.push((p.name.clone(), id, model));
        }
        let find = |name: &Spanned<String>, what: &str| -> Result<(PopulationId, NeuronModel)> {
            match pops.iter().find(|(n, ..)| n == name.get_ref()) {
                Some((_, id, m)) => Ok((*id, m.clone())),
                None => {
                    let known: Vec<&str> = pops.iter().map(|(n, ..)| n.as_str()).collect();
                    self.err(
                        name.span(),
                        what,
                        format!("no population of that name (defined: {})", known.join(", ")),
                    )
                }
            }
        };
        let channel = |name: &Spanned<String>, what: &str| -> Result<ModulatorChannel> {
            if name.get_ref() == "global" {
                return Ok(ModulatorChannel::Global);
            }
            find(name, what)
                .map(|(id, _)| ModulatorChannel::Population(id))
                .or_else(|_| {
                    self.err(
                        name.span(),
                        what,
                        "must be \"global\" or the name of a population",
                    )
                })
        };
        let mut modulator_pulses = Vec::new();
        for (i, sp) in file.neuromodulators.iter().enumerate() {
            let m = sp.get_ref();
            let what = format!("neuromodulator[{i}]");
            let ch = channel(&m.channel, &format!("{what}.channel"))?;
            let tau_ms = match &m.tau {
                Some(t) => self.quantity(t, &format!("{what}.tau"), Dim::Time, None)?,
                None => f64::INFINITY,
            };
            b.neuromodulator(
                ch,
                Neuromodulator {
                    tau_ms,
                    baseline: m.baseline,
                },
            )?;
            for (t, amount) in &m.pulses {
                let ms = self.quantity(t, &format!("{what}.pulses time"), Dim::Time, None)?;
                if !(ms.is_finite() && ms >= 0.0) {
                    return self.err(t.span(), &format!("{what}.pulses time"), "must be a time >= 0");
                }
                if !amount.is_finite() {
                    return self.err(t.span(), &format!("{what}.pulses amount"), "must be finite");
                }
                modulator_pulses.push((ms, ch, *amount));
            }
        }
        modulator_pulses.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (i, sp) in file.projections.iter().enumerate() {
            let p = sp.get_ref();
            let what = format!("projection[{i}]");
            let (pre, _) = find(&p.pre, &format!("{what}.pre"))?;
            let (post, post_model) = find(&p.post, &format!("{what}.post"))?;
            let receptor = self.receptor(&p.receptor, &format!("{what}.receptor"))?;
            let c = &p.connectivity;
            let need = |x: Option<f64>, name: &str| -> Result<f64> {
                x.map_or_else(
                    || {
                        self.err(
                            c.rule.span(),
                            &format!("{what}.connectivity"),
                            format!("this rule needs '{name}'"),
                        )
                    },
                    Ok,
                )
            };
            let connectivity = match c.rule.get_ref().as_str() {
                "fixed_probability" => Connectivity::FixedProbability {
                    p: need(c.p, "p")?,
                    autapses: c.autapses,
                },
                "fixed_indegree" => Connectivity::FixedInDegree {
                    k: need(c.k.map(f64::from), "k")? as u32,
                    autapses: c.autapses,
                },
                "fixed_outdegree" => Connectivity::FixedOutDegree {
                    k: need(c.k.map(f64::from), "k")? as u32,
                    autapses: c.autapses,
                },
                "fixed_total" => Connectivity::FixedTotal {
                    n: need(c.n.map(|n| n as f64), "n")? as u64,
                    autapses: c.autapses,
                },
                "one_to_one" => Connectivity::OneToOne,
                "all_to_all" => Connectivity::AllToAll { autapses: c.autapses },
                "gaussian" => Connectivity::DistanceGaussian {
                    p0: need(c.p0, "p0")?,
                    sigma: need(c.sigma, "sigma")?,
                    autapses: c.autapses,
                },
                "explicit" => Connectivity::Explicit(
                    c.connections
                        .as_ref()
                        .map(|l| {
                            l.iter()
                                .map(|&(pre, post, weight, delay_ms)| Connection {
                                    pre,
                                    post,
                                    weight,
                                    delay_ms,
                                })
                                .collect()
                        })
                        .map_or_else(
                            || {
                                self.err(
                                    c.rule.span(),
                                    &format!("{what}.connectivity"),
                                    "this rule needs 'connections'",
                                )
                            },
                            Ok,
                        )?,
                ),
                _ => {
                    return self.err(
                        c.rule.span(),
                        &format!("{what}.connectivity.rule"),
                        "known rules: fixed_probability, fixed_indegree, fixed_outdegree, fixed_total, one_to_one, all_to_all, gaussian, explicit",
                    );
                }
            };
            let explicit = matches!(connectivity, Connectivity::Explicit(_));
            let weight = match &p.weight {
                Some(w) => self.dist(w, &format!("{what}.weight"), weight_dim(&post_model))?,
                None if explicit => WeightDist::Constant(0.0),
                None => return self.err(sp.span(), &what, "missing required field 'weight'"),
            };
            let delay = match &p.delay {
                Some(d) => self.dist(d, &format!("{what}.delay"), Dim::Time)?,
                None if explicit => WeightDist::Constant(dt),
                None => return self.err(sp.span(), &what, "missing required field 'delay'"),
            };
            let id = b.projection(pre, post, connectivity, weight, delay, receptor)?;
            if p.procedural {
                b.procedural(id)?;
            }
            if let Some(sp) = &p.plasticity {
                let what = format!("{what}.plasticity");
                let mut rule = self.plasticity(sp, &what, weight_dim(&post_model))?;
                if let Some(m) = &sp.get_ref().modulation {
                    let m = m.get_ref();
                    let what = format!("{what}.modulation");
                    rule.modulation = Some(RewardModulation {
                        tau_eligibility_ms: self.quantity(
                            &m.tau_eligibility,
                            &format!("{what}.tau_eligibility"),
                            Dim::Time,
                            None,
                        )?,
                        update_interval_ms: match &m.interval {
                            Some(i) => self.quantity(i, &format!("{what}.interval"), Dim::Time, None)?,
                            None => dt,
                        },
                        channel: match &m.channel {
                            Some(c) => channel(c, &format!("{what}.channel"))?,
                            None => ModulatorChannel::Global,
                        },
                    });
                }
                b.plasticity(id, rule)?;
            }
        }
        for (i, sp) in file.poisson.iter().enumerate() {
            let p = sp.get_ref();
            let what = format!("poisson[{i}]");
            let (target, model) = find(&p.target, &format!("{what}.target"))?;
            let receptor = self.receptor(&p.receptor, &format!("{what}.receptor"))?;
            let weight = self.quantity(&p.weight, &format!("{what}.weight"), weight_dim(&model), None)?;
            let schedule = match (&p.rate, &p.schedule) {
                (Some(r), None) => vec![(0.0, self.quantity(r, &format!("{what}.rate"), Dim::Rate, None)?)],
                (None, Some(s)) => s
                    .iter()
                    .map(|(t, r)| {
                        Ok((
                            self.quantity(t, &format!("{what}.schedule time"), Dim::Time, None)?,
                            self.quantity(r, &format!("{what}.schedule rate"), Dim::Rate, None)?,
                        ))
                    })
                    .collect::<Result<Vec<_>>>()?,
                _ => return self.err(sp.span(), &what, "give either 'rate' or 'schedule'"),
            };
            b.poisson_schedule(target, &schedule, weight, receptor)?;
        }
        for (i, sp) in file.currents.iter().enumerate() {
            let c = sp.get_ref();
            let what = format!("current[{i}]");
            let (target, model) = find(&c.target, &format!("{what}.target"))?;
            let dim = current_dim(&model);
            let q = |r: &Spanned<Raw>, f: &str, d: Dim| self.quantity(r, &format!("{what}.{f}"), d, None);
            let source =
                match (&c.dc, &c.step_times, &c.noise_mean) {
                    (Some(a), None, None) => CurrentSource::Dc {
                        amplitude: q(a, "dc", dim)?,
                    },
                    (None, Some(times), None) => CurrentSource::Step {
                        times_ms: times
                            .iter()
                            .map(|t| q(t, "step_times", Dim::Time))
                            .collect::<Result<_>>()?,
                        amplitudes: c.step_amplitudes.as_ref().map_or(Ok(Vec::new()), |a| {
                            a.iter()
                                .map(|x| q(x, "step_amplitudes", dim))
                                .collect::<Result<_>>()
                        })?,
                    },
                    (None, None, Some(m)) => CurrentSource::Noise {
                        mean: q(m, "noise_mean", dim)?,
                        std: c.noise_std.as_ref().map_or(Ok(0.0), |s| q(s, "noise_std", dim))?,
                    },
                    _ => return self.err(
                        sp.span(),
                        &what,
                        "give exactly one of dc, step_times (+ step_amplitudes), noise_mean (+ noise_std)",
                    ),
                };
            b.current_input(target, source)?;
        }
        if let Some(list) = &file.record.spikes {
            for (_, id, _) in &pops {
                b.record_spikes(*id, false)?;
            }
            for name in list {
                let (id, _) = find(name, "record.spikes")?;
                b.record_spikes(id, true)?;
            }
        }
        let mut probes = Vec::new();
        for (i, p) in file.record.state.iter().enumerate() {
            let what = format!("record.state[{i}]");
            let (population, _) = find(&p.population, &format!("{what}.population"))?;
            let variable = p.variable.get_ref().clone();
            if !["v", "u", "syn_e", "syn_i"].contains(&variable.as_str()) {
                return self.err(
                    p.variable.span(),
                    &format!("{what}.variable"),
                    "known variables: v, u, syn_e, syn_i",
                );
            }
            let interval_ms = self.quantity(&p.interval, &format!("{what}.interval"), Dim::Time, None)?;
            let ticks = (interval_ms / dt).round();
            if ticks.is_nan() || ticks < 1.0 {
                return self.err(
                    p.interval.span(),
                    &format!("{what}.interval"),
                    format!("must be at least one tick ({dt} ms)"),
                );
            }
            let size = file
                .populations
                .iter()
                .find(|sp| sp.get_ref().name == *p.population.get_ref())
                .map_or(0, |sp| sp.get_ref().size);
            if let Some(&n) = p.neurons.iter().find(|&&n| n >= size) {
                return self.err(
                    p.population.span(),
                    &format!("{what}.neurons"),
                    format!("neuron {n} is out of range (< {size})"),
                );
            }
            probes.push(Probe {
                population,
                population_name: p.population.get_ref().clone(),
                variable,
                neurons: p.neurons.clone(),
                interval_ms: ticks * dt,
            });
        }
        let weight_interval_ms = match &file.record.weight_interval {
            Some(raw) => {
                let ms = self.quantity(raw, "record.weight_interval", Dim::Time, None)?;
                if ms.is_nan() || (ms / dt).round() < 1.0 {
                    return self.err(
                        raw.span(),
                        "record.weight_interval",
                        format!("must be at least one tick ({dt} ms)"),
                    );
                }
                Some((ms / dt).round() * dt)
            }
            None => None,
        };
        Ok(ModelFile {
            name: file.name.unwrap_or_default(),
            network: b.build()?,
            duration_ms,
            probes,
            weight_interval_ms,
            modulator_pulses,
        })
    }

    fn plasticity(&self, sp: &Spanned<FilePlasticity>, what: &str, weight: Dim) -> Result<StdpParams> {
        let f = sp.get_ref();
        let w_max = self.quantity(&f.w_max, &format!("{what}.w_max"), weight, None)?;
        let w_min = f
            .w_min
            .as_ref()
            .map(|w| self.quantity(w, &format!("{what}.w_min"), weight, None))
            .transpose()?
            .unwrap_or(0.0);
        let mut rule = match f.rule.get_ref().as_str() {
            "pair" => StdpParams::pair(20.0, 20.0, 0.01, 0.0105, w_min, w_max),
            "triplet_visual_cortex" => StdpParams::triplet_visual_cortex(w_min, w_max),
            "triplet_hippocampal" => StdpParams::triplet_hippocampal(w_min, w_max),
            _ => {
                return self.err(
                    f.rule.span(),
                    &format!("{what}.rule"),
                    "known rules: pair, triplet_visual_cortex, triplet_hippocampal",
                );
            }
        };
        let time = |x: &Option<Spanned<Raw>>, name: &str, into: &mut f64| -> Result<()> {
            if let Some(v) = x {
                *into = self.quantity(v, &format!("{what}.{name}"), Dim::Time, None)?;
            }
            Ok(())
        };
        time(&f.tau_plus, "tau_plus", &mut rule.tau_plus_ms)?;
        time(&f.tau_minus, "tau_minus", &mut rule.tau_minus_ms)?;
        time(&f.tau_x, "tau_x", &mut rule.tau_x_ms)?;
        time(&f.tau_y, "tau_y", &mut rule.tau_y_ms)?;
        for (x, into) in [
            (f.a2_plus, &mut rule.a2_plus),
            (f.a2_minus, &mut rule.a2_minus),
            (f.a3_plus, &mut rule.a3_plus),
            (f.a3_minus, &mut rule.a3_minus),
        ] {
            if let Some(x) = x {
                *into = x;
            }
        }
        if let Some(p) = &f.pairing {
            rule.pairing = match p.get_ref().as_str() {
                "all_to_all" => Pairing::AllToAll,
                "nearest" => Pairing::Nearest,
                _ => {
                    return self.err(
                        p.span(),
                        &format!("{what}.pairing"),
                        "must be all_to_all or nearest",
                    );
                }
            };
        }
        if let Some(d) = &f.dependence {
            rule.dependence = match d.get_ref().as_str() {
                "additive" => WeightDependence::Additive,
                "multiplicative" => WeightDependence::Multiplicative,
                "power_law" => WeightDependence::PowerLaw {
                    mu: f.mu.unwrap_or(0.5),
                },
                _ => {
                    return self.err(
                        d.span(),
                        &format!("{what}.dependence"),
                        "must be additive, multiplicative or power_law",
                    );
                }
            };
        }
        if let Some(x) = f.dendritic_fraction {
            rule.dendritic_fraction = x;
        }
        Ok(rule)
    }

    fn receptor(&self, r: &Spanned<String>, what: &str) -> Result<Receptor> {
        match r.get_ref().as_str() {
            "excitatory" | "exc" => Ok(Receptor::Excitatory),
            "inhibitory" | "inh" => Ok(Receptor::Inhibitory),
            _ => self.err(r.span(), what, "must be excitatory or inhibitory"),
        }
    }

    fn neuron_model(&self, p: &FilePopulation, what: &str) -> Result<NeuronModel> {
        let preset = p.preset.as_ref();
        let bad_preset = |known: &str| {
            let span = preset.map(|s| s.span()).unwrap_or_else(|| p.model.span());
            self.err::<NeuronModel>(span, &format!("{what}.preset"), format!("known presets: {known}"))
        };
        let mut model = match p.model.get_ref().as_str() {
            "lif" => NeuronModel::Lif(LifParams::default()),
            "lif_cond" => NeuronModel::LifCond(LifCondParams::default()),
            "izhikevich" => NeuronModel::Izhikevich(match preset.map(|s| s.get_ref().as_str()) {
                None => IzhikevichParams::default(),
                Some(name) => match IzhikevichType::ALL.iter().find(|t| t.short_name() == name) {
                    Some(t) => t.params(),
                    None => return bad_preset("RS, IB, CH, FS, LTS, TC, RZ"),
                },
            }),
            "adex" => NeuronModel::AdEx(match preset.map(|s| s.get_ref().as_str()) {
                None => AdExParams::default(),
                Some("tonic") => AdExPattern::Tonic.params().0,
                Some("adapting") => AdExPattern::Adapting.params().0,
                Some("initial_burst") => AdExPattern::InitialBurst.params().0,
                Some("bursting") => AdExPattern::Bursting.params().0,
                Some(_) => return bad_preset("tonic, adapting, initial_burst, bursting"),
            }),
            "hh" => NeuronModel::HodgkinHuxley(HhParams::default()),
            "poisson_source" => NeuronModel::PoissonSource { rate_hz: 0.0 },
            "spike_source" => {
                let Some(times) = &p.spike_times_ms else {
                    return self.err(
                        p.model.span(),
                        what,
                        "a spike_source needs spike_times_ms = [[...], ...]",
                    );
                };
                NeuronModel::SpikeSource {
                    spike_times_ms: times.clone(),
                }
            }
            _ => {
                return self.err(
                    p.model.span(),
                    &format!("{what}.model"),
                    "known models: lif, lif_cond, izhikevich, adex, hh, spike_source, poisson_source",
                );
            }
        };
        for (key, value) in &p.params {
            let field = format!("{what}.params.{}", key.get_ref());
            // A key that is itself a parameter name (e_na, g_na) is not split at its suffix.
            let (name, suffix) = if param_names(&model).contains(&key.get_ref().as_str()) {
                (key.get_ref().as_str(), None)
            } else {
                split_suffix(key.get_ref())
            };
            let set = self.set_param(&mut model, name, value, &field, suffix)?;
            if !set {
                return self.err(
                    key.span(),
                    &field,
                    format!(
                        "unknown parameter for model {} (known: {})",
                        p.model.get_ref(),
                        param_names(&model).join(", ")
                    ),
                );
            }
        }
        Ok(model)
    }

    /// Sets one parameter; false if the model has no such parameter.
    fn set_param(
        &self,
        model: &mut NeuronModel,
        name: &str,
        value: &Spanned<Raw>,
        field: &str,
        suffix: Option<(Dim, f64)>,
    ) -> Result<bool> {
        use Dim::*;
        let q = |dim: Dim| -> Result<f64> {
            if let Some((d, _)) = suffix {
                if d != dim {
                    return self.err(
                        value.span(),
                        field,
                        format!(
                            "the key's unit suffix does not fit: this field takes a {} ({})",
                            dim_name(dim),
                            dim.canonical()
                        ),
                    );
                }
            }
            self.quantity(value, field, dim, suffix.map(|(_, f)| f))
        };
        macro_rules! fields {
            ($p:expr, $( $n:literal => $f:ident : $d:expr ),* $(,)?) => {
                match name {
                    $( $n => { $p.$f = q($d)?; return Ok(true) } )*
                    _ => {}
                }
            };
        }
        match model {
            NeuronModel::Lif(p) => {
                if name == "synapse" {
                    p.synapse = match value.get_ref() {
                        Raw::Text(s) if s == "delta" => CurrentSynapse::Delta,
                        Raw::Text(s) if s == "exponential" => CurrentSynapse::Exponential,
                        Raw::Text(s) if s == "alpha" => CurrentSynapse::Alpha,
                        _ => return self.err(value.span(), field, "must be delta, exponential or alpha"),
                    };
                    return Ok(true);
                }
                if name == "delta_input_while_refractory" {
                    let Raw::Bool(x) = value.get_ref() else {
                        return self.err(value.span(), field, "must be true or false");
                    };
                    p.delta_input_while_refractory = *x;
                    return Ok(true);
                }
                fields!(p, "tau_m" => tau_m_ms: Time, "v_rest" => v_rest_mv: Voltage, "v_reset" => v_reset_mv: Voltage,
                    "v_thresh" => v_thresh_mv: Voltage, "tau_syn_exc" => tau_syn_exc_ms: Time,
                    "tau_syn_inh" => tau_syn_inh_ms: Time, "refractory" => refractory_ms: Time,
                    "threshold_adaptation" => threshold_adaptation_mv: Voltage,
                    "tau_threshold" => tau_threshold_ms: Time);
            }
            NeuronModel::LifCond(p) => {
                fields!(p, "c_m" => c_m_pf: Capacitance, "g_leak" => g_leak_ns: Conductance, "e_leak" => e_leak_mv: Voltage,
                    "v_reset" => v_reset_mv: Voltage, "v_thresh" => v_thresh_mv: Voltage, "e_exc" => e_exc_mv: Voltage,
                    "e_inh" => e_inh_mv: Voltage, "tau_syn_exc" => tau_syn_exc_ms: Time,
                    "tau_syn_inh" => tau_syn_inh_ms: Time, "refractory" => refractory_ms: Time,
                    "threshold_adaptation" => threshold_adaptation_mv: Voltage,
                    "tau_threshold" => tau_threshold_ms: Time);
            }
            NeuronModel::Izhikevich(p) => {
                fields!(p, "a" => a: None, "b" => b: None, "c" => c_mv: Voltage, "d" => d: None, "v_peak" => v_peak_mv: Voltage);
            }
            NeuronModel::AdEx(p) => {
                fields!(p, "c_m" => c_m_pf: Capacitance, "g_leak" => g_leak_ns: Conductance, "e_leak" => e_leak_mv: Voltage,
                    "v_t" => v_t_mv: Voltage, "delta_t" => delta_t_mv: Voltage, "a" => a_ns: Conductance,
                    "tau_w" => tau_w_ms: Time, "b" => b_pa: Current, "v_reset" => v_reset_mv: Voltage,
                    "v_peak" => v_peak_mv: Voltage, "refractory" => refractory_ms: Time,
                    "tau_syn_exc" => tau_syn_exc_ms: Time, "tau_syn_inh" => tau_syn_inh_ms: Time);
            }
            NeuronModel::HodgkinHuxley(p) => {
                fields!(p, "c_m" => c_m_pf: Capacitance, "g_leak" => g_leak_ns: Conductance, "e_leak" => e_leak_mv: Voltage,
                    "g_na" => g_na_ns: Conductance, "e_na" => e_na_mv: Voltage, "g_kd" => g_kd_ns: Conductance,
                    "e_k" => e_k_mv: Voltage, "v_t" => v_t_mv: Voltage, "e_exc" => e_exc_mv: Voltage,
                    "e_inh" => e_inh_mv: Voltage, "tau_syn_exc" => tau_syn_exc_ms: Time,
                    "tau_syn_inh" => tau_syn_inh_ms: Time, "v_spike" => v_spike_mv: Voltage,
                    "refractory" => refractory_ms: Time);
            }
            NeuronModel::PoissonSource { rate_hz } => {
                if name == "rate" {
                    *rate_hz = q(Rate)?;
                    return Ok(true);
                }
            }
            NeuronModel::SpikeSource { .. } => {}
        }
        Ok(false)
    }
}

fn param_names(model: &NeuronModel) -> Vec<&'static str> {
    match model {
        NeuronModel::Lif(_) => vec![
            "tau_m",
            "v_rest",
            "v_reset",
            "v_thresh",
            "tau_syn_exc",
            "tau_syn_inh",
            "refractory",
            "synapse",
            "delta_input_while_refractory",
            "threshold_adaptation",
            "tau_threshold",
        ],
        NeuronModel::LifCond(_) => vec![
            "c_m",
            "g_leak",
            "e_leak",
            "v_reset",
            "v_thresh",
            "e_exc",
            "e_inh",
            "tau_syn_exc",
            "tau_syn_inh",
            "refractory",
            "threshold_adaptation",
            "tau_threshold",
        ],
        NeuronModel::Izhikevich(_) => vec!["a", "b", "c", "d", "v_peak"],
        NeuronModel::AdEx(_) => vec![
            "c_m",
            "g_leak",
            "e_leak",
            "v_t",
            "delta_t",
            "a",
            "tau_w",
            "b",
            "v_reset",
            "v_peak",
            "refractory",
            "tau_syn_exc",
            "tau_syn_inh",
        ],
        NeuronModel::HodgkinHuxley(_) => vec![
            "c_m",
            "g_leak",
            "e_leak",
            "g_na",
            "e_na",
            "g_kd",
            "e_k",
            "v_t",
            "e_exc",
            "e_inh",
            "tau_syn_exc",
            "tau_syn_inh",
            "v_spike",
            "refractory",
        ],
        NeuronModel::PoissonSource { .. } => vec!["rate"],
        NeuronModel::SpikeSource { .. } => vec![],
    }
}

/// Splits a unit suffix off a key: `tau_m_ms` -> (`tau_m`, Some(Time, 1)).
fn split_suffix(key: &str) -> (&str, Option<(Dim, f64)>) {
    if let Some(i) = key.rfind('_') {
        if let Some(d) = Dim::of_suffix(&key[i + 1..].to_ascii_lowercase()) {
            return (&key[..i], Some(d));
        }
    }
    (key, None)
}

fn dim_name(d: Dim) -> &'static str {
    match d {
        Dim::Time => "time",
        Dim::Voltage => "voltage",
        Dim::Conductance => "conductance",
        Dim::Current => "current",
        Dim::Capacitance => "capacitance",
        Dim::Rate => "rate",
        Dim::None => "plain number",
    }
}

/// Unit of synaptic weights onto `model`.
fn weight_dim(model: &NeuronModel) -> Dim {
    match model {
        NeuronModel::Lif(_) => Dim::Voltage,
        NeuronModel::LifCond(_) | NeuronModel::HodgkinHuxley(_) => Dim::Conductance,
        NeuronModel::AdEx(_) => Dim::Current,
        NeuronModel::Izhikevich(_) | NeuronModel::SpikeSource { .. } | NeuronModel::PoissonSource { .. } => {
            Dim::None
        }
    }
}

/// Unit of injected currents into `model`.
fn current_dim(model: &NeuronModel) -> Dim {
    match model {
        NeuronModel::Lif(_) => Dim::Voltage,
        NeuronModel::LifCond(_) | NeuronModel::HodgkinHuxley(_) | NeuronModel::AdEx(_) => Dim::Current,
        NeuronModel::Izhikevich(_) | NeuronModel::SpikeSource { .. } | NeuronModel::PoissonSource { .. } => {
            Dim::None
        }
    }
}

fn default_v(model: &NeuronModel) -> f64 {
    match model {
        NeuronModel::Lif(p) => p.v_rest_mv,
        NeuronModel::LifCond(p) => p.e_leak_mv,
        NeuronModel::Izhikevich(_) => -65.0,
        NeuronModel::AdEx(p) => p.e_leak_mv,
        NeuronModel::HodgkinHuxley(p) => p.e_leak_mv,
        NeuronModel::SpikeSource { .. } | NeuronModel::PoissonSource { .. } => 0.0,
    }
}
