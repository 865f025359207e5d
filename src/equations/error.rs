//! Errors of the equation language: what is wrong, in which field of which model, with the
//! offending line and a caret under the columns at fault.

use std::fmt;

/// A bad model definition. `Display` prints the field, line and column, the line itself
/// and a caret under the part at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EquationError {
    /// The model's name.
    pub model: String,
    /// The field of the definition: `equations`, `threshold`, `reset`, `params.tau`, ...
    pub field: String,
    /// The field's whole text (empty when the error concerns no text).
    pub text: String,
    /// Byte range of the part at fault in `text`.
    pub span: Option<(usize, usize)>,
    /// What is wrong, in words.
    pub message: String,
}

impl std::error::Error for EquationError {}

impl EquationError {
    /// (line, column), both counted from 1, of the start of the span.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        let (start, _) = self.span?;
        let start = start.min(self.text.len());
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Some((line, before[line_start..].chars().count() + 1))
    }

    /// The source line of the span and a caret line under it.
    fn excerpt(&self) -> Option<(String, String)> {
        let (start, end) = self.span?;
        let start = start.min(self.text.len());
        let end = end.clamp(start, self.text.len());
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let line = &self.text[line_start..line_end];
        let pad = self.text[line_start..start].chars().count();
        let width = self.text[start..end.min(line_end)].chars().count().max(1);
        Some((
            line.to_string(),
            format!("{}{}", " ".repeat(pad), "^".repeat(width)),
        ))
    }
}

impl fmt::Display for EquationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "model '{}', {}", self.model, self.field)?;
        if let Some((line, column)) = self.line_column() {
            if self.text.contains('\n') {
                write!(f, " line {line}")?;
            }
            write!(f, " column {column}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some((line, caret)) = self.excerpt() {
            write!(f, "\n    {line}\n    {caret}")?;
        }
        Ok(())
    }
}

/// A byte range in one of the texts of a definition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Loc {
    /// Index of the text in [`Sources`].
    pub src: u16,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Loc {
    /// The range covering `self` and `other` (same text).
    pub fn to(self, other: Loc) -> Loc {
        Loc {
            src: self.src,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// The texts of one definition, so that any location can be turned into an error.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sources {
    /// Model name.
    pub model: String,
    /// (field, text) pairs.
    fields: Vec<(String, String)>,
}

impl Sources {
    /// Sources of the model called `model`.
    pub fn new(model: &str) -> Self {
        Self {
            model: model.to_string(),
            fields: Vec::new(),
        }
    }

    /// Registers a text; returns its index.
    pub fn add(&mut self, field: &str, text: &str) -> u16 {
        self.fields.push((field.to_string(), text.to_string()));
        (self.fields.len() - 1) as u16
    }

    /// Index of the text registered for `field`.
    pub fn index_of(&self, field: &str) -> Option<u16> {
        self.fields.iter().position(|(f, _)| f == field).map(|i| i as u16)
    }

    /// The text of source `src`.
    pub fn text(&self, src: u16) -> &str {
        &self.fields[src as usize].1
    }

    /// The text under `loc`.
    pub fn snippet(&self, loc: Loc) -> &str {
        let text = self.text(loc.src);
        let end = (loc.end as usize).min(text.len());
        text.get(loc.start as usize..end).unwrap_or("").trim()
    }

    /// An error at `loc`.
    pub fn error(&self, loc: Loc, message: impl Into<String>) -> EquationError {
        let (field, text) = &self.fields[loc.src as usize];
        EquationError {
            model: self.model.clone(),
            field: field.clone(),
            text: text.clone(),
            span: Some((loc.start as usize, loc.end as usize)),
            message: message.into(),
        }
    }

    /// An error about a whole field, or about no text at all.
    pub fn field_error(&self, field: &str, message: impl Into<String>) -> EquationError {
        EquationError {
            model: self.model.clone(),
            field: field.to_string(),
            text: String::new(),
            span: None,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_show_the_line_and_a_caret_under_the_columns_at_fault() {
        let mut s = Sources::new("qif");
        let id = s.add("equations", "dv/dt = -v/tau : mV\ndw/dt = q : 1");
        let start = "dv/dt = -v/tau : mV\ndw/dt = ".len() as u32;
        let e = s.error(
            Loc {
                src: id,
                start,
                end: start + 1,
            },
            "undefined name `q`",
        );
        assert_eq!(e.line_column(), Some((2, 9)));
        let text = e.to_string();
        assert!(text.starts_with("model 'qif', equations line 2 column 9: undefined name `q`"));
        assert!(text.ends_with("    dw/dt = q : 1\n            ^"), "{text}");
    }
}
