//! `--set KEY=VALUE` overrides: any key of a model file, set before the file is read, so
//! that the value goes through the same checks and messages as one written in the file.
//!
//! The loader reads a *source* made of the file's text followed by one line per override
//! (`--set KEY=VALUE`). The file is parsed into TOML's spanned tables; each override's value
//! is parsed where it stands in its line and put into the tables at its key. Every value
//! keeps its position in the source, so an error names the file's line and column, or the
//! override that gave the value.

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{Error, Result};

/// One override: a dotted key of the model file and a value. Arrays of tables are entered by
/// index (`projection.0`) or by what names an element: a population's name
/// (`population.exc`), a projection's `pre->post`, an input's target, a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// The dotted key, e.g. `population.exc.params.tau_m`.
    pub key: String,
    /// The value as written: TOML (`10`, `"10 ms"`, `[1, 2]`, `{ uniform = [0, 1] }`) or
    /// bare text, read as a string (`10 ms`).
    pub value: String,
}

impl Override {
    /// An override of `key` with `value`.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Override {
            key: key.into(),
            value: value.into(),
        }
    }
}

impl std::str::FromStr for Override {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() && !value.trim().is_empty() => {
                Ok(Override::new(key.trim(), value.trim()))
            }
            _ => Err(Error::InvalidParameter {
                field: "--set".into(),
                value: format!("'{s}'"),
                allowed: "write KEY=VALUE with a key of the model file, e.g. \
                          --set 'population.exc.params.tau_m=10 ms'"
                    .into(),
            }),
        }
    }
}

impl std::fmt::Display for Override {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

/// The text the loader reads: the file, then a line per override, and where each is.
pub(super) struct Source {
    /// The file's text, a newline, then `--set KEY=VALUE` per override, one per line.
    pub(super) text: String,
    /// Length of the file's text.
    pub(super) file_len: usize,
    /// Per override: its line's range in `text`, its key's and its value's.
    lines: Vec<OverrideLine>,
}

struct OverrideLine {
    line: Range<usize>,
    key: Range<usize>,
    value: Range<usize>,
}

impl Source {
    /// The file's text with the overrides' lines after it.
    pub(super) fn new(file: &str, overrides: &[Override]) -> Self {
        let mut text = String::with_capacity(file.len() + 64 * overrides.len());
        text.push_str(file);
        text.push('\n');
        let mut lines = Vec::new();
        for o in overrides {
            let start = text.len();
            text.push_str("--set ");
            let key = text.len()..text.len() + o.key.len();
            text.push_str(&o.key);
            text.push('=');
            let value = text.len()..text.len() + o.value.len();
            text.push_str(&o.value);
            lines.push(OverrideLine {
                line: start..text.len(),
                key,
                value,
            });
            text.push('\n');
        }
        Source {
            text,
            file_len: file.len(),
            lines,
        }
    }

    /// The override whose line holds byte `offset`, as the user wrote it (`--set 'K=V'`).
    pub(super) fn override_at(&self, offset: usize) -> Option<String> {
        self.lines
            .iter()
            .find(|l| l.line.contains(&offset) || l.line.end == offset)
            .map(|l| format!("--set '{}'", &self.text[l.key.start..l.value.end]))
    }

    /// Puts every override into `doc`, the parsed file.
    pub(super) fn apply<'a>(&'a self, doc: &mut DeTable<'a>) -> Result<()> {
        for l in &self.lines {
            let place = self.override_at(l.line.start).expect("its own line");
            let fail = |value: &str, allowed: String| Error::InvalidParameter {
                field: place.clone(),
                value: value.to_string(),
                allowed,
            };
            let value = self.value(l.value.clone());
            let key = &self.text[l.key.clone()];
            let path: Vec<(&str, Range<usize>)> = key
                .split('.')
                .scan(l.key.start, |at, part| {
                    let span = *at..*at + part.len();
                    *at += part.len() + 1;
                    Some((part.trim(), span))
                })
                .collect();
            if let Some((bad, _)) = path.iter().find(|(p, _)| p.is_empty()) {
                return Err(fail(bad, format!("'{key}' has an empty part between dots")));
            }
            set(doc, &path, value).map_err(|(value, why)| fail(&value, why))?;
        }
        Ok(())
    }

    /// The override's value: TOML if it parses as a value, else its text as a string.
    fn value(&self, range: Range<usize>) -> Spanned<DeValue<'_>> {
        let written = &self.text[range.clone()];
        match DeValue::parse(written) {
            Ok(v) => shift(v, range.start),
            Err(_) => Spanned::new(range, DeValue::String(Cow::Borrowed(written.trim()))),
        }
    }
}

/// A value parsed on its own, with every span moved by `by` to where it stands in the source.
fn shift(v: Spanned<DeValue<'_>>, by: usize) -> Spanned<DeValue<'_>> {
    let span = v.span();
    let moved = span.start + by..span.end + by;
    let inner = match v.into_inner() {
        DeValue::Array(items) => {
            let mut out = toml::de::DeArray::new();
            for item in items.iter() {
                out.push(shift(item.clone(), by));
            }
            DeValue::Array(out)
        }
        DeValue::Table(t) => {
            let mut out = DeTable::new();
            for (k, v) in t {
                let ks = k.span();
                out.insert(
                    Spanned::new(ks.start + by..ks.end + by, k.into_inner()),
                    shift(v, by),
                );
            }
            DeValue::Table(out)
        }
        other => other,
    };
    Spanned::new(moved, inner)
}

/// The arrays of tables of a model file (an override cannot add an element).
const ARRAYS: [&str; 6] = [
    "population",
    "projection",
    "poisson",
    "current",
    "neuromodulator",
    "state",
];

/// Sets `path` (parts with their spans) in `table` to `value`, creating missing tables. On
/// failure: the part that failed and why.
fn set<'a>(
    table: &mut DeTable<'a>,
    path: &[(&'a str, Range<usize>)],
    value: Spanned<DeValue<'a>>,
) -> std::result::Result<(), (String, String)> {
    let ((part, span), rest) = path.split_first().expect("a key has a part");
    if rest.is_empty() {
        table.insert(Spanned::new(span.clone(), Cow::Borrowed(*part)), value);
        return Ok(());
    }
    if *part == "seed" && table.get("seed").is_some_and(|v| v.get_ref().is_integer()) {
        split_seed(table);
    }
    if ARRAYS.contains(part) && table.get(*part).is_none() {
        return Err((part.to_string(), format!("the file has no {part}")));
    }
    let entry = table
        .entry(Spanned::new(span.clone(), Cow::Borrowed(*part)))
        .or_insert_with(|| Spanned::new(span.clone(), DeValue::Table(DeTable::new())));
    match entry.get_mut() {
        DeValue::Table(inner) => set(inner, rest, value),
        DeValue::Array(items) => {
            let ((which, _), rest) = rest.split_first().expect("checked");
            let element = element(items, part, which)?;
            match element.get_mut() {
                DeValue::Table(inner) if !rest.is_empty() => set(inner, rest, value),
                DeValue::Table(_) => Err((
                    which.to_string(),
                    format!("'{part}.{which}' is a whole table: name one of its keys after it"),
                )),
                _ => Err((
                    which.to_string(),
                    format!("'{part}' is a list of values, not of tables"),
                )),
            }
        }
        _ => Err((
            part.to_string(),
            format!(
                "'{part}' holds a value, not a table: it has no key '{}'",
                rest[0].0
            ),
        )),
    }
}

/// `seed = N` as the table `{ connectivity = N, initial = N, inputs = N }`, so that one of
/// them can be set apart.
fn split_seed(table: &mut DeTable<'_>) {
    let Some(seed) = table.get_mut("seed") else {
        return;
    };
    let span = seed.span();
    let mut parts = DeTable::new();
    for name in ["connectivity", "initial", "inputs"] {
        parts.insert(
            Spanned::new(span.clone(), Cow::Borrowed(name)),
            Spanned::new(span.clone(), seed.get_ref().clone()),
        );
    }
    *seed.get_mut() = DeValue::Table(parts);
}

/// The element of array `array` that `which` names: an index, a population's name or a
/// projection's `pre->post`.
fn element<'x, 'a>(
    items: &'x mut [Spanned<DeValue<'a>>],
    array: &str,
    which: &str,
) -> std::result::Result<&'x mut Spanned<DeValue<'a>>, (String, String)> {
    let field = |item: &Spanned<DeValue<'a>>, key: &str| -> Option<String> {
        item.get_ref()
            .as_table()?
            .get(key)?
            .get_ref()
            .as_str()
            .map(str::to_string)
    };
    let label = |item: &Spanned<DeValue<'a>>| -> Option<String> {
        match array {
            "population" => field(item, "name"),
            "projection" => Some(format!("{}->{}", field(item, "pre")?, field(item, "post")?)),
            "poisson" | "current" => field(item, "target"),
            "neuromodulator" => field(item, "channel"),
            _ => None,
        }
    };
    let labels: Vec<Option<String>> = items.iter().map(label).collect();
    let found: Vec<usize> = match which.parse::<usize>() {
        Ok(i) if i < items.len() => vec![i],
        Ok(_) => Vec::new(),
        Err(_) => (0..items.len())
            .filter(|&i| labels[i].as_deref() == Some(which))
            .collect(),
    };
    match found.as_slice() {
        [i] => Ok(&mut items[*i]),
        [] => {
            let known: Vec<String> = labels
                .iter()
                .enumerate()
                .map(|(i, l)| l.as_ref().map_or(i.to_string(), |l| format!("{i} ({l})")))
                .collect();
            Err((
                which.to_string(),
                format!(
                    "no {array} of that name or index (the file has: {})",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                ),
            ))
        }
        many => Err((
            which.to_string(),
            format!("several {array}s are '{which}' (indices {many:?}): give the index instead"),
        )),
    }
}
