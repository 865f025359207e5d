//! Messages of the TOML reader in a model file's words: serde names Rust types (`expected
//! u32`, `a sequence`, `struct FilePopulation`); a user wrote TOML.

/// Rust and serde words, and what a model file calls them.
const WORDS: [(&str, &str); 16] = [
    ("expected u32", "expected a whole number >= 0"),
    ("expected u64", "expected a whole number >= 0"),
    ("expected usize", "expected a whole number >= 0"),
    ("expected i64", "expected a whole number"),
    ("expected f64", "expected a number"),
    ("expected f32", "expected a number"),
    ("expected a sequence", "expected a list [...]"),
    ("expected a map", "expected a table { ... }"),
    ("expected a borrowed string", "expected a string"),
    (
        "expected a tuple of size 4",
        "expected a list of 4 values, e.g. [pre, post, weight, delay_ms]",
    ),
    (
        "expected a tuple of size 2",
        "expected a list of 2 values, e.g. [\"100 ms\", 1.0]",
    ),
    (
        "expected an array of length 2",
        "expected a list of 2 values, e.g. [low, high]",
    ),
    (
        "expected an array of length 3",
        "expected a list of 3 values, e.g. [x, y, z]",
    ),
    ("invalid type: sequence", "invalid type: list"),
    ("invalid type: map", "invalid type: table"),
    ("invalid length", "wrong number of values"),
];

/// Hints for keys a user coming from another simulator is likely to write.
const HINTS: [(&str, &str); 5] = [
    (
        "unknown field `spike_times`",
        "spike times go in the population's spike_times_ms = [[t1, t2], [t3]] (ms, one list per neuron)",
    ),
    (
        "unknown field `times`",
        "spike times go in the population's spike_times_ms = [[t1, t2], [t3]] (ms, one list per neuron)",
    ),
    (
        "unknown field `n`",
        "a population's number of neurons is size = 100",
    ),
    (
        "unknown field `type`",
        "a population's neuron model is model = \"lif\" (see docs/model-files.md)",
    ),
    (
        "unknown field `synapse`",
        "a projection's receptor is receptor = \"excitatory\" or \"inhibitory\"; a LIF's synapse shape is params.synapse",
    ),
];

/// `message` with Rust's type names replaced by TOML's words, and a hint where one helps.
pub(super) fn plain(message: &str) -> String {
    let mut out = message.trim().to_string();
    for (rust, toml) in WORDS {
        out = out.replace(rust, toml);
    }
    out = replace_struct_names(&out);
    for (known, hint) in HINTS {
        if out.contains(known) {
            out = format!("{out}; {hint}");
        }
    }
    out
}

/// `struct FileSomething` (serde's name for a table) as `a table { ... }`; `enum X` and
/// `variant` wording as `a value of another shape`.
fn replace_struct_names(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("struct ").or_else(|| rest.find("enum ")) {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let word_end = after
            .char_indices()
            .skip_while(|(_, c)| *c != ' ')
            .skip(1)
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(after.len(), |(k, _)| k);
        out.push_str("a table { ... }");
        rest = &after[word_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn rust_type_names_become_toml_words() {
        assert_eq!(
            plain("invalid type: string \"100\", expected u32"),
            "invalid type: string \"100\", expected a whole number >= 0"
        );
        assert_eq!(
            plain("invalid type: integer `3`, expected struct FileConnectivity"),
            "invalid type: integer `3`, expected a table { ... }"
        );
        let hinted = plain("unknown field `spike_times`, expected one of `name`, `size`");
        assert!(hinted.contains("spike_times_ms = [["), "{hinted}");
    }
}
