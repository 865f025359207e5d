//! Which names a model may define: not a unit, not a symbol of the language, not a WGSL
//! keyword or built-in (the generated shader uses the model's names), no leading underscore
//! (reserved for generated code).

use super::units;

/// Functions of the language, with their argument counts.
pub(crate) const FUNCTIONS: [(&str, usize); 22] = [
    ("exp", 1),
    ("log", 1),
    ("log10", 1),
    ("sqrt", 1),
    ("abs", 1),
    ("sin", 1),
    ("cos", 1),
    ("tan", 1),
    ("tanh", 1),
    ("sinh", 1),
    ("cosh", 1),
    ("floor", 1),
    ("ceil", 1),
    ("sign", 1),
    ("min", 2),
    ("max", 2),
    ("clip", 3),
    ("heaviside", 1),
    ("int", 1),
    ("rand", 0),
    ("randn", 0),
    ("pow", 2),
];

/// Symbols of the language and of the engine (Brian2's reserved names among them).
const LANGUAGE: [&str; 15] = [
    "dt",
    "t",
    "xi",
    "i",
    "N",
    "not_refractory",
    "refractory",
    "lastspike",
    "pi",
    "e",
    "and",
    "or",
    "not",
    "True",
    "False",
];

/// Why `name` cannot name a parameter or variable, if it cannot.
pub(crate) fn reserved_reason(name: &str) -> Option<String> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Some(format!(
            "`{name}` is not a valid name: use letters, digits and `_`, starting with a letter"
        ));
    }
    if FUNCTIONS.iter().any(|(f, _)| *f == name) {
        return Some(format!("`{name}` is a function of the language"));
    }
    if LANGUAGE.contains(&name) || name.starts_with("xi_") {
        return Some(format!("`{name}` is a reserved name of the language"));
    }
    if units::is_unit_name(name) {
        return Some(format!("`{name}` is a unit name"));
    }
    if naga::keywords::wgsl::RESERVED.contains(&name) {
        return Some(format!("`{name}` is a WGSL keyword"));
    }
    if naga::keywords::wgsl::BUILTIN_IDENTIFIERS.contains(&name) {
        return Some(format!("`{name}` shadows a WGSL built-in"));
    }
    None
}

/// Whether `name` is a noise symbol (`xi`, `xi_1`, `xi_e`, ...).
pub(crate) fn is_noise(name: &str) -> bool {
    name == "xi" || name.strip_prefix("xi_").is_some_and(|s| !s.is_empty())
}

/// A model name must be usable inside generated WGSL identifiers.
pub(crate) fn model_name_reason(name: &str) -> Option<String> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.contains("__");
    (!valid).then(|| {
        format!("model name `{name}` must start with a letter and use only letters, digits and single `_`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_names_are_refused_with_the_reason() {
        assert!(reserved_reason("v").is_none());
        assert!(reserved_reason("tau_m").is_none());
        assert!(reserved_reason("w").is_none());
        assert!(reserved_reason("m").is_none(), "HH's m is not a unit here");
        assert!(
            reserved_reason("s").is_none(),
            "s is a unit only in quantity strings"
        );
        assert!(reserved_reason("exp").unwrap().contains("function"));
        assert!(reserved_reason("dt").unwrap().contains("reserved"));
        assert!(reserved_reason("xi_2").unwrap().contains("reserved"));
        assert!(reserved_reason("mV").unwrap().contains("unit"));
        assert!(reserved_reason("loop").unwrap().contains("WGSL keyword"));
        assert!(reserved_reason("select").unwrap().contains("WGSL built-in"));
        assert!(reserved_reason("_t0").unwrap().contains("not a valid name"));
    }
}
