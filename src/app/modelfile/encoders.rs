//! The encoders phase: each `[[encoder]]` table becomes a source population fed by one of
//! `crate::encoders`' encoders, which later tables refer to by name like any population.

use toml::Spanned;

use super::schema::{FileEncoder, Raw};
use super::{Build, Dim, Pop};
use crate::encoders::{AddressEvent, Encoder, LatencyScale, Presentation, ReceptiveFields};
use crate::error::{Result, invalid};
use crate::model::InitialValue;

/// The keys each kind reads, besides `name` and `kind`.
const KIND_KEYS: &[(&str, &[&str])] = &[
    ("rate", &["stimuli", "max_rate", "present", "rest", "start"]),
    (
        "latency",
        &[
            "stimuli",
            "scale",
            "t_max",
            "tau",
            "threshold",
            "present",
            "rest",
            "start",
        ],
    ),
    ("delta", &["signals", "sample", "threshold", "start"]),
    (
        "receptive_field",
        &[
            "stimuli",
            "neurons",
            "low",
            "high",
            "field_width",
            "max_rate",
            "present",
            "rest",
            "start",
        ],
    ),
    ("events", &["width", "height", "events", "start"]),
];

impl FileEncoder {
    /// The optional keys the table gives.
    fn given(&self) -> Vec<&'static str> {
        let keys = [
            ("stimuli", self.stimuli.is_some()),
            ("max_rate", self.max_rate.is_some()),
            ("present", self.present.is_some()),
            ("rest", self.rest.is_some()),
            ("start", self.start.is_some()),
            ("scale", self.scale.is_some()),
            ("t_max", self.t_max.is_some()),
            ("tau", self.tau.is_some()),
            ("threshold", self.threshold.is_some()),
            ("signals", self.signals.is_some()),
            ("sample", self.sample.is_some()),
            ("neurons", self.neurons.is_some()),
            ("low", self.low.is_some()),
            ("high", self.high.is_some()),
            ("field_width", self.field_width.is_some()),
            ("width", self.width.is_some()),
            ("height", self.height.is_some()),
            ("events", self.events.is_some()),
        ];
        keys.iter().filter(|(_, given)| *given).map(|(k, _)| *k).collect()
    }
}

impl Build<'_> {
    /// Adds encoder `i` as a source population.
    pub(super) fn encoder(&mut self, i: usize, sp: &Spanned<FileEncoder>) -> Result<()> {
        let e = sp.get_ref();
        let name = e.name.get_ref();
        let what = format!("encoder[{i}] '{name}'");
        let kind = e.kind.get_ref().as_str();
        let Some((_, keys)) = KIND_KEYS.iter().find(|(k, _)| *k == kind) else {
            let kinds: Vec<&str> = KIND_KEYS.iter().map(|(k, _)| *k).collect();
            return self.loader.err(
                e.kind.span(),
                &format!("{what}.kind"),
                format!("must be one of {}", kinds.join(", ")),
            );
        };
        if let Some(key) = e.given().into_iter().find(|k| !keys.contains(k)) {
            return Err(invalid(
                format!("{what}.{key}"),
                "given",
                &format!(
                    "is not a key of a {kind} encoder; its keys are name, kind, {}",
                    keys.join(", ")
                ),
            ));
        }
        let encoder = self.encoder_of(kind, e, &what)?;
        let model = encoder.model(self.dt, &what)?;
        let size = u32::try_from(encoder.size()).map_err(|_| {
            invalid(
                what.clone(),
                encoder.size(),
                "an encoder feeds fewer than 2^32 neurons",
            )
        })?;
        let id = self
            .builder
            .population(name, size, model.clone(), InitialValue::Constant(0.0))?;
        self.pops.push(Pop {
            name: name.clone(),
            id,
            model,
            size,
        });
        Ok(())
    }

    fn encoder_of(&self, kind: &str, e: &FileEncoder, what: &str) -> Result<Encoder> {
        let time = |raw: &Option<Spanned<Raw>>, key: &str, default: Option<f64>| -> Result<f64> {
            match (raw, default) {
                (Some(r), _) => self.loader.quantity(r, &format!("{what}.{key}"), Dim::Time, None),
                (None, Some(d)) => Ok(d),
                (None, None) => Err(required(what, key, kind)),
            }
        };
        let rows = |v: &Option<Spanned<Vec<Vec<f64>>>>, key: &str| -> Result<Vec<Vec<f64>>> {
            v.as_ref()
                .map(|s| s.get_ref().clone())
                .ok_or_else(|| required(what, key, kind))
        };
        let number = |v: &Option<Spanned<f64>>, key: &str| -> Result<f64> {
            v.as_ref()
                .map(|s| *s.get_ref())
                .ok_or_else(|| required(what, key, kind))
        };
        let max_rate = || -> Result<f64> {
            let raw = e
                .max_rate
                .as_ref()
                .ok_or_else(|| required(what, "max_rate", kind))?;
            self.loader
                .quantity(raw, &format!("{what}.max_rate"), Dim::Rate, None)
        };
        let start_ms = time(&e.start, "start", Some(0.0))?;
        let presentation = || -> Result<Presentation> {
            Ok(Presentation {
                present_ms: time(&e.present, "present", None)?,
                rest_ms: time(&e.rest, "rest", Some(0.0))?,
                start_ms,
            })
        };
        Ok(match kind {
            "rate" => Encoder::Rate {
                stimuli: rows(&e.stimuli, "stimuli")?,
                max_rate_hz: max_rate()?,
                presentation: presentation()?,
            },
            "latency" => Encoder::Latency {
                stimuli: rows(&e.stimuli, "stimuli")?,
                scale: match e.scale.as_ref().map(|s| s.get_ref().as_str()) {
                    Some("linear") | None => LatencyScale::Linear {
                        t_max_ms: time(&e.t_max, "t_max", None)?,
                    },
                    Some("log") => LatencyScale::Log {
                        tau_ms: time(&e.tau, "tau", None)?,
                    },
                    Some(_) => {
                        let s = e.scale.as_ref().expect("given");
                        return self
                            .loader
                            .err(s.span(), &format!("{what}.scale"), "must be linear or log");
                    }
                },
                threshold: e.threshold.as_ref().map_or(0.0, |t| *t.get_ref()),
                presentation: presentation()?,
            },
            "delta" => Encoder::Delta {
                signals: rows(&e.signals, "signals")?,
                sample_ms: time(&e.sample, "sample", None)?,
                threshold: number(&e.threshold, "threshold")?,
                start_ms,
            },
            "receptive_field" => Encoder::ReceptiveField {
                stimuli: rows(&e.stimuli, "stimuli")?,
                fields: ReceptiveFields {
                    neurons: e
                        .neurons
                        .as_ref()
                        .map(|n| *n.get_ref())
                        .ok_or_else(|| required(what, "neurons", kind))?,
                    low: number(&e.low, "low")?,
                    high: number(&e.high, "high")?,
                    width: e.field_width.as_ref().map_or(1.0, |w| *w.get_ref()),
                },
                max_rate_hz: max_rate()?,
                presentation: presentation()?,
            },
            _ => self.events_encoder(e, what, start_ms)?,
        })
    }

    /// An events encoder: `[t_ms, x, y, polarity]` rows, x, y and polarity whole numbers.
    fn events_encoder(&self, e: &FileEncoder, what: &str, start_ms: f64) -> Result<Encoder> {
        let dim = |v: &Option<Spanned<u32>>, key: &str| {
            v.as_ref()
                .map(|s| *s.get_ref())
                .ok_or_else(|| required(what, key, "events"))
        };
        let rows = e
            .events
            .as_ref()
            .ok_or_else(|| required(what, "events", "events"))?;
        let mut events = Vec::with_capacity(rows.get_ref().len());
        for (k, &[t_ms, x, y, p]) in rows.get_ref().iter().enumerate() {
            let whole = |v: f64, key: &str, max: f64| {
                if v.fract() == 0.0 && (0.0..=max).contains(&v) {
                    Ok(v)
                } else {
                    Err(invalid(
                        format!("{what}.events[{k}].{key}"),
                        v,
                        &format!("must be a whole number in [0, {max}]"),
                    ))
                }
            };
            events.push(AddressEvent {
                t_ms,
                x: whole(x, "x", f64::from(u32::MAX))? as u32,
                y: whole(y, "y", f64::from(u32::MAX))? as u32,
                polarity: whole(p, "polarity", 1.0)? as u8,
            });
        }
        Ok(Encoder::Events {
            width: dim(&e.width, "width")?,
            height: dim(&e.height, "height")?,
            events,
            start_ms,
        })
    }
}

fn required(what: &str, key: &str, kind: &str) -> crate::error::Error {
    invalid(
        format!("{what}.{key}"),
        "missing",
        &format!("is required for a {kind} encoder"),
    )
}
