//! Values as written in a model file, converted to their canonical units: quantities, keys with
//! unit suffixes, distributions, initial values, receptors and references to populations.

use toml::Spanned;

use super::schema::{Raw, RawDist};
use super::{Build, Dim, Loader, locate};
use crate::error::Result;
use crate::model::plasticity::ModulatorChannel;
use crate::model::{InitialValue, PopulationId, Receptor, WeightDist};
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
            format!("{}{} {what}", self.origin, locate(self.text, span.start)),
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
            Raw::Bool(_) => self.err(
                span,
                what,
                format!("must be a number or a quantity in {}", dim.canonical()),
            ),
            Raw::Text(s) => self.quantity_text(s, span, what, dim),
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

    /// A value or a distribution of quantities of `dim`.
    pub(super) fn dist(&self, raw: &Spanned<RawDist>, what: &str, dim: Dim) -> Result<WeightDist> {
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

    /// An initial value: a constant, uniform or normal distribution of quantities of `dim`.
    pub(super) fn initial(&self, raw: &Spanned<RawDist>, what: &str, dim: Dim) -> Result<InitialValue> {
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

/// Splits a unit suffix off a key: `tau_m_ms` -> (`tau_m`, Some(Time, 1)).
pub(super) fn split_suffix(key: &str) -> (&str, Option<(Dim, f64)>) {
    if let Some(i) = key.rfind('_') {
        if let Some(d) = Dim::of_suffix(&key[i + 1..].to_ascii_lowercase()) {
            return (&key[..i], Some(d));
        }
    }
    (key, None)
}
