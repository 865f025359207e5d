//! `docs/model-files.md`, the model-file reference of the neuron models, generated from the
//! same tables the loader reads (`neurons::BUILTIN`): every model's parameters with their
//! units, defaults and allowed ranges, its state variables and its presets. A test compares
//! the document with [`model_files_markdown`], so it cannot fall out of date.

use std::fmt::Write as _;

use crate::neurons::{BUILTIN, Dim, ModelSpec, ParamKind, ParamSpec, Range, Value};

/// The whole document.
pub fn model_files_markdown() -> String {
    let mut s = String::new();
    s.push_str(
        "# Model files: neuron models\n\n\
         Generated from the loader's parameter tables (`src/neurons/`) by\n\
         `spikegpu::app::reference::model_files_markdown`; `tests/suite/workflow.rs` fails when this\n\
         file differs (regenerate with `SPIKEGPU_BLESS=1 cargo test --release --test suite reference`).\n\
         The other sections of a model file are shown in `examples/models/*.toml`, and\n\
         `spikegpu validate --print FILE` prints any file fully resolved.\n\n\
         A parameter goes in a population's `params = { ... }` as a number in the canonical unit\n\
         (`tau_m = 20`), a quantity with a unit (`tau_m = \"20 ms\"`), or a number with the unit in\n\
         the key (`tau_m_ms = 20`). `init = { v = ... }` sets initial state variables; the\n\
         variables below are also the names `[[record.state]]` probes take.\n",
    );
    for spec in BUILTIN.iter() {
        model(&mut s, spec);
    }
    s
}

/// One model's section.
fn model(s: &mut String, spec: &ModelSpec) {
    let _ = write!(s, "\n## `model = \"{}\"`\n\n{}\n\n", spec.name, spec.summary);
    if spec.params.is_empty() {
        s.push_str("No parameters.\n");
    } else {
        s.push_str("| key | unit | default | allowed | meaning |\n|---|---|---|---|---|\n");
        let defaults = (spec.defaults)();
        for p in spec.params.iter() {
            let (unit, allowed) = kind(p);
            let default = default_text(p, defaults.get(p));
            let _ = writeln!(s, "| `{}` | {unit} | {default} | {allowed} | {} |", p.name, p.doc);
        }
    }
    if !spec.state.is_empty() {
        s.push_str("\nState variables (`init`, `record.state`):\n\n");
        for v in spec.state.iter() {
            let _ = writeln!(s, "- `{}` ({}): {}", v.name, unit_list(v.dim), v.doc);
        }
    }
    if !spec.presets.is_empty() {
        let names: Vec<String> = spec.presets.iter().map(|p| format!("`{}`", p.name)).collect();
        let _ = writeln!(s, "\nPresets (`preset = \"...\"`): {}.", names.join(", "));
    }
}

/// The units a dimension may be written in, canonical first.
fn unit_list(dim: Dim) -> String {
    match dim {
        Dim::None => "plain number".into(),
        d => d.units().iter().map(|(u, _)| *u).collect::<Vec<_>>().join(", "),
    }
}

/// A parameter's unit column and allowed values.
fn kind(p: &ParamSpec) -> (String, String) {
    match &p.kind {
        ParamKind::Quantity { dim, range } => {
            let allowed = match range {
                Range::Finite => "any finite number",
                Range::Positive => "> 0",
                Range::NonNegative => ">= 0",
            };
            (unit_list(*dim), allowed.into())
        }
        ParamKind::Flag => ("-".into(), "true, false".into()),
        ParamKind::Choice(words) => ("-".into(), words.join(", ")),
    }
}

/// A default value as a model file writes it.
fn default_text(p: &ParamSpec, value: Option<Value>) -> String {
    match (&p.kind, value) {
        (ParamKind::Quantity { dim: Dim::None, .. }, Some(Value::Number(x))) => format!("{x}"),
        (ParamKind::Quantity { dim, .. }, Some(Value::Number(x))) => format!("{x} {}", dim.canonical()),
        (ParamKind::Choice(words), Some(Value::Choice(i))) => words[i].to_string(),
        (_, Some(Value::Flag(b))) => b.to_string(),
        _ => "-".into(),
    }
}
