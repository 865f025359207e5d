//! Values as written in a model file, converted to their canonical units: quantities, keys with
//! unit suffixes, distributions, initial values, receptors and references to populations.

use toml::Spanned;

use super::schema::{DIST_FORMS, FileSeeds, Raw, RawDist};
use super::{Build, Dim, Loader, words};
use crate::error::Result;
use crate::model::plasticity::ModulatorChannel;
use crate::model::{InitialValue, PopulationId, Receptor, Seeds, WeightDist};
use crate::neurons::NeuronModel;

impl Loader<'_> {
    /// An error at `span`: the file, line and column, then `what`, the text there and `msg`.
    pub(super) fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        what: &str,
        msg: impl std::fmt::Display,
    ) -> Result<T> {
        Err(crate::error::invalid(
            format!("{} {what}", self.place(span.start)),
            self.text.get(span).unwrap_or("?"),
            &msg.to_string(),
        ))
    }

    /// Converts a raw value to the canonical unit of `dim`; `suffix` is the factor of the unit
    /// a bare number is in (from the key's suffix), if any.
    pub(super) fn quantity(
        &self,
        raw: &Spanned<Raw>,
        what: &str,
        dim: Dim,
        suffix: Option<f64>,
    ) -> Result<f64> {
        let span = raw.span();
        match raw.get_ref() {
            Raw::Number(x) => Ok(x * suffix.unwrap_or(1.0)),
            Raw::Text(s) => self.quantity_text(s, span, what, dim),
            Raw::Bool(_) => self.err(span, what, quantity_forms("true/false", dim)),
            Raw::Other(shape) => self.err(span, what, quantity_forms(shape, dim)),
        }
    }

    /// `seed`: a whole number, or `{ connectivity, initial, inputs }` (0 where left out).
    pub(super) fn seeds(&self, raw: Option<&Spanned<toml::Value>>) -> Result<Seeds> {
        let Some(raw) = raw else {
            return Ok(Seeds::all(0));
        };
        let forms = "must be a whole number >= 0 (seed = 42) or a table of separate seeds, \
                     e.g. seed = { connectivity = 1, initial = 2, inputs = 3 }";
        match raw.get_ref() {
            toml::Value::Integer(i) if *i >= 0 => Ok(Seeds::all(*i as u64)),
            toml::Value::Table(t) => match t.clone().try_into::<FileSeeds>() {
                Ok(f) => Ok(Seeds {
                    connectivity: f.connectivity,
                    initial: f.initial,
                    inputs: f.inputs,
                }),
                Err(e) => self.err(
                    raw.span(),
                    "seed",
                    format!("{}: {forms}", words::plain(e.message())),
                ),
            },
            _ => self.err(raw.span(), "seed", forms),
        }
    }

    /// A quantity written as text: a number and a unit of `dim`.
    fn quantity_text(&self, s: &str, span: std::ops::Range<usize>, what: &str, dim: Dim) -> Result<f64> {
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
                    dim.name(),
                    dim.canonical()
                ),
            ),
        }
    }

    /// The optional `duration`: a positive time.
    pub(super) fn duration(&self, raw: Option<&Spanned<Raw>>) -> Result<Option<f64>> {
        let Some(d) = raw else {
            return Ok(None);
        };
        let ms = self.quantity(d, "duration", Dim::Time, None)?;
        if !(ms.is_finite() && ms > 0.0) {
            return self.err(d.span(), "duration", "must be a positive time");
        }
        Ok(Some(ms))
    }

    /// A value or a distribution of quantities of `dim`; `suffix` is the factor of a unit
    /// named in the key, for bare numbers.
    pub(super) fn dist(&self, raw: &Spanned<RawDist>, what: &str, dim: Dim) -> Result<WeightDist> {
        self.dist_in(raw, what, dim, None)
    }

    /// [`Loader::dist`] with the factor of a key's unit suffix.
    pub(super) fn dist_in(
        &self,
        raw: &Spanned<RawDist>,
        what: &str,
        dim: Dim,
        suffix: Option<f64>,
    ) -> Result<WeightDist> {
        let span = raw.span();
        let shape = match raw.get_ref() {
            RawDist::Value(Raw::Other(shape)) => Some(*shape),
            RawDist::Value(Raw::Bool(_)) => Some("true/false"),
            _ => None,
        };
        if let Some(shape) = shape {
            return self.err(span, what, format!("is {shape}; it takes {DIST_FORMS}"));
        }
        let q = |r: &Raw| self.quantity(&Spanned::new(span.clone(), r.clone()), what, dim, suffix);
        Ok(match raw.get_ref() {
            RawDist::Value(v) => WeightDist::Constant(q(v)?),
            RawDist::List(_) => return self.err(span, what, format!("is a list; it takes {DIST_FORMS}")),
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

    /// An initial value: a constant, uniform or normal distribution of quantities of `dim`;
    /// `suffix` is the factor of a unit the key names (`syn_e_us`), for bare numbers.
    pub(super) fn initial(
        &self,
        raw: &Spanned<RawDist>,
        what: &str,
        dim: Dim,
        suffix: Option<f64>,
        size: u32,
    ) -> Result<InitialValue> {
        if let RawDist::List(items) = raw.get_ref() {
            if items.len() != size as usize {
                let counted = format!(
                    "has {} values; it takes one value per neuron ({size})",
                    items.len()
                );
                return self.err(raw.span(), what, counted);
            }
            let values = items
                .iter()
                .enumerate()
                .map(|(k, x)| {
                    let (item, field) = (Spanned::new(raw.span(), x.clone()), format!("{what}[{k}]"));
                    let value = self.quantity(&item, &field, dim, suffix)?;
                    if value.is_finite() {
                        Ok(value)
                    } else {
                        self.err(raw.span(), &field, "must be a finite number")
                    }
                })
                .collect::<Result<Vec<f64>>>()?;
            return Ok(InitialValue::Values(values.into()));
        }
        Ok(match self.dist_in(raw, what, dim, suffix)? {
            WeightDist::Constant(v) => InitialValue::Constant(v),
            WeightDist::Uniform { low, high } => InitialValue::Uniform { low, high },
            WeightDist::Normal { mean, std, .. } => InitialValue::Normal { mean, std },
            WeightDist::TruncatedNormal { .. } | WeightDist::LogNormal { .. } => {
                return self.err(
                    raw.span(),
                    what,
                    "initial values take a constant, a list with one value per neuron, uniform or normal (without truncate)",
                );
            }
        })
    }

    /// `excitatory` (`exc`) or `inhibitory` (`inh`).
    pub(super) fn receptor(&self, r: &Spanned<String>, what: &str) -> Result<Receptor> {
        match r.get_ref().as_str() {
            "excitatory" | "exc" => Ok(Receptor::Excitatory),
            "inhibitory" | "inh" => Ok(Receptor::Inhibitory),
            _ => self.err(r.span(), what, "must be excitatory or inhibitory"),
        }
    }
}

impl Build<'_> {
    /// The population called `name`, with its model.
    pub(super) fn find(&self, name: &Spanned<String>, what: &str) -> Result<(PopulationId, NeuronModel)> {
        match self.pops.iter().find(|p| p.name == *name.get_ref()) {
            Some(p) => Ok((p.id, p.model.clone())),
            None => {
                let known: Vec<&str> = self.pops.iter().map(|p| p.name.as_str()).collect();
                self.loader.err(
                    name.span(),
                    what,
                    format!("no population of that name (defined: {})", known.join(", ")),
                )
            }
        }
    }

    /// `global` or the channel of a population.
    pub(super) fn channel(&self, name: &Spanned<String>, what: &str) -> Result<ModulatorChannel> {
        if name.get_ref() == "global" {
            return Ok(ModulatorChannel::Global);
        }
        self.find(name, what)
            .map(|(id, _)| ModulatorChannel::Population(id))
            .or_else(|_| {
                self.loader.err(
                    name.span(),
                    what,
                    "must be \"global\" or the name of a population",
                )
            })
    }
}

/// Splits a unit suffix off a key: `tau_m_ms` -> (`tau_m`, Some("ms")). The suffix's meaning
/// depends on the field's dimension ([`Dim::suffix_factor`]).
pub(super) fn split_suffix(key: &str) -> (&str, Option<&str>) {
    if let Some(i) = key.rfind('_') {
        if Dim::is_unit_suffix(&key[i + 1..]) {
            return (&key[..i], Some(&key[i + 1..]));
        }
    }
    (key, None)
}

/// What a quantity field takes, for a value of another shape.
fn quantity_forms(shape: &str, dim: Dim) -> String {
    if dim == Dim::None {
        return format!("is {shape}; it takes a plain number, e.g. 0.5");
    }
    format!(
        "is {shape}; it takes a number in {unit} (20) or a quantity with a unit of {name} (\"20 {unit}\")",
        unit = dim.canonical(),
        name = dim.name()
    )
}
