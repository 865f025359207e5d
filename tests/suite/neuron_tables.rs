//! The neuron models' tables: ids, parameters, defaults, ranges, constant slots and the WGSL
//! constants generated from them, and that no source indexes the constant array by number.
//! No GPU needed.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use spikegpu::neurons::{
    self, BUILTIN, Dim, InitialV, ModelSpec, NeuronModel, ParamKind, Range, Roles, SlotSpec, Value, wgsl,
};

fn sources_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "wgsl") {
            out.push(path);
        }
    }
}

/// Lines of `text` where `pattern` is followed by optional spaces and a digit.
fn numeric_index_lines(text: &str, pattern: &str) -> Vec<String> {
    text.lines()
        .filter(|line| {
            line.match_indices(pattern).any(|(at, _)| {
                // `abc[0]` is not `c[0]`: a pattern starting a name must start it.
                let is_name = |c: char| c.is_alphanumeric() || c == '_';
                let joined = pattern.starts_with(is_name) && line[..at].ends_with(is_name);
                let rest = line[at + pattern.len()..].trim_start();
                !joined && rest.starts_with(|c: char| c.is_ascii_digit())
            })
        })
        .map(str::to_string)
        .collect()
}

/// `p.c[18]` hides which constant is read: every read names its slot (`p.c[lif::V_REST]`,
/// `p.c[LIF_V_REST]`). In the model files, where the array is also aliased as `c`, no `c[<n>]`
/// at all; and the model switch names its ids.
#[test]
fn no_source_indexes_the_constant_array_or_switches_on_a_model_by_number() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources_under(&root.join("src"), &mut files);
    sources_under(&root.join("shaders"), &mut files);
    assert!(files.len() > 40, "only {} sources found", files.len());
    let model_files = [
        "src/neurons/",
        "shaders/models/",
        "src/cpu/neuron_update.rs",
        "neuron_update.wgsl",
    ];
    let mut offenders = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let mut lines = numeric_index_lines(&text, ".c[");
        if model_files.iter().any(|m| name.contains(m)) {
            lines.extend(numeric_index_lines(&text, "c["));
            lines.extend(numeric_index_lines(&text, "case "));
        }
        offenders.extend(lines.into_iter().map(|l| format!("{name}: {}", l.trim())));
    }
    assert!(offenders.is_empty(), "numeric indexes:\n{}", offenders.join("\n"));
}

#[test]
fn the_checker_of_numeric_indexes_catches_them() {
    assert_eq!(numeric_index_lines("let x = p.c[18];", ".c[").len(), 1);
    assert_eq!(numeric_index_lines("let x = p.c[ 3];", ".c[").len(), 1);
    assert_eq!(numeric_index_lines("case 4u: {}", "case ").len(), 1);
    assert!(numeric_index_lines("let x = p.c[lif::V_REST] + abc[0];", "c[").is_empty());
}

#[test]
fn every_model_has_a_unique_name_and_its_position_as_id() {
    for (i, m) in BUILTIN.iter().enumerate() {
        assert_eq!(m.id as usize, i, "{}", m.name);
        assert_eq!(neurons::builtin(&m.name).map(|s| s.id), Some(m.id));
        assert_eq!(
            (m.defaults)().spec().id,
            m.id,
            "{}: defaults build another model",
            m.name
        );
    }
    assert!(neurons::builtin("qif").is_none());
}

#[test]
fn table_defaults_are_the_params_structs_defaults() {
    for m in BUILTIN {
        let model = (m.defaults)();
        for p in m.params.iter() {
            assert_eq!(model.get(p), Some(p.default), "{}.{}", m.name, p.name);
        }
    }
}

/// Each accessor writes its own field and no other, and refuses another model's parameters.
#[test]
fn every_parameter_accessor_reads_back_what_it_wrote() {
    for m in BUILTIN {
        for (k, p) in m.params.iter().enumerate() {
            let mut model = (m.defaults)();
            let value = match &p.kind {
                ParamKind::Quantity { .. } => Value::Number(1234.5 + k as f64),
                ParamKind::Flag => Value::Flag(p.default != Value::Flag(true)),
                ParamKind::Choice(words) => Value::Choice(words.len() - 1),
            };
            assert!(model.set(p, value), "{}.{}", m.name, p.name);
            assert_eq!(model.get(p), Some(value), "{}.{}", m.name, p.name);
            for other in m.params.iter().filter(|o| o.name != p.name) {
                assert_eq!(
                    model.get(other),
                    Some(other.default),
                    "{}.{} moved {}",
                    m.name,
                    p.name,
                    other.name
                );
            }
            let mut elsewhere = NeuronModel::PoissonSource { rate_hz: 1.0 };
            if m.name != "poisson_source" {
                assert!(
                    !elsewhere.set(p, value),
                    "{}.{} set a Poisson source",
                    m.name,
                    p.name
                );
            }
        }
    }
}

/// A value outside a parameter's range is refused by `validate`, naming the Rust field and the
/// range (the message the builder and the model-file loader give).
#[test]
fn validation_checks_every_range_of_the_tables() {
    for m in BUILTIN {
        for p in m.params.iter() {
            let ParamKind::Quantity { range, .. } = p.kind else {
                continue;
            };
            let (bad, words) = match range {
                Range::Finite => (f64::NAN, "finite"),
                Range::Positive => (0.0, "> 0"),
                Range::NonNegative => (-1.0, ">= 0"),
            };
            let mut model = (m.defaults)();
            assert!(model.set(p, Value::Number(bad)));
            let msg = model.validate("pop").unwrap_err().to_string();
            assert!(
                msg.contains(&format!("pop.{}", p.field)) && msg.contains(words),
                "{}.{}: {msg}",
                m.name,
                p.name
            );
        }
        (m.defaults)().validate("pop").unwrap();
    }
}

#[test]
fn rust_field_names_are_the_file_names_with_their_unit() {
    for m in BUILTIN {
        for p in m.params.iter() {
            let unit = match p.kind {
                ParamKind::Quantity { dim: Dim::None, .. } | ParamKind::Flag | ParamKind::Choice(_) => None,
                ParamKind::Quantity { dim, .. } => Some(dim.canonical().to_ascii_lowercase()),
            };
            let expected = unit.map_or(p.name.to_string(), |u| format!("{}_{u}", p.name));
            assert_eq!(p.field, expected, "{}", m.name);
        }
    }
}

#[test]
fn presets_build_their_own_model_and_izhikevich_lists_every_type() {
    for m in BUILTIN {
        for preset in m.presets.iter() {
            let model = (preset.make)();
            assert_eq!(model.spec().id, m.id, "{}.{}", m.name, preset.name);
            model.validate("preset").unwrap();
        }
    }
    let names: Vec<&str> = neurons::izhikevich::SPEC
        .presets
        .iter()
        .map(|p| p.name.as_ref())
        .collect();
    let types: Vec<&str> = neurons::IzhikevichType::ALL
        .iter()
        .map(|t| t.short_name())
        .collect();
    assert_eq!(names, types);
}

#[test]
fn roles_name_parameters_of_their_model() {
    for m in BUILTIN {
        let r = &m.roles;
        for name in [&r.refractory, &r.reset, &r.threshold].into_iter().flatten() {
            assert!(m.param(name).is_some(), "{}: role {name}", m.name);
        }
        if let InitialV::Param(name) = &r.initial_v {
            assert!(m.param(name).is_some(), "{}: initial v {name}", m.name);
        }
    }
    let lif = NeuronModel::Lif(neurons::LifParams::default());
    assert_eq!(lif.refractory_ms(), 5.0);
    assert_eq!(lif.reset_mv(), Some(-60.0));
    assert_eq!(lif.threshold_mv(), Some(-50.0));
    assert_eq!(lif.initial_v_mv(), -49.0);
    let izhikevich = NeuronModel::Izhikevich(neurons::IzhikevichParams::default());
    assert_eq!(
        (
            izhikevich.refractory_ms(),
            izhikevich.threshold_mv(),
            izhikevich.initial_v_mv()
        ),
        (0.0, None, -65.0)
    );
}

/// Every slot a model's WGSL reads is generated from its own table, and every model's update
/// has its case in the `neuron_update` switch.
#[test]
fn the_wgsl_reads_generated_slot_names_and_switches_on_generated_ids() {
    let generated = wgsl::builtin_source();
    assert!(generated.contains("const MODEL_LIF: u32 = 0u;"));
    assert!(generated.contains("const LIF_V_REST: u32 = 0u;"));
    assert!(generated.contains("const HH_DT: u32 = 13u;"));
    let switch = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders/stages/neuron_update.wgsl"),
    )
    .unwrap();
    for m in BUILTIN {
        assert!(m.slots.len() <= neurons::POP_CONSTANTS, "{}", m.name);
        assert!(
            switch.contains(&format!("case {}:", wgsl::id_name(m))),
            "{}",
            m.name
        );
        let own: Vec<String> = m.slots.iter().map(|s| wgsl::slot_name(m, s)).collect();
        for read in m.wgsl.split("p.c[").skip(1) {
            let name = &read[..read.find(']').unwrap()];
            assert!(own.iter().any(|o| o == name), "{} reads p.c[{name}]", m.name);
        }
    }
}

/// A model built at run time (owned names and lists, as a model from equations will be) gives
/// its generated constants the same way.
#[test]
fn a_table_built_at_run_time_generates_its_wgsl_constants() {
    let slots: Vec<SlotSpec> = ["DECAY", "GAIN"]
        .iter()
        .map(|n| SlotSpec {
            name: Cow::Owned(n.to_string()),
            doc: Cow::Owned(format!("the {n}")),
        })
        .collect();
    let model = ModelSpec {
        name: Cow::Owned("qif".to_string()),
        id: 7,
        summary: Cow::Owned("quadratic integrate-and-fire".to_string()),
        params: Cow::Owned(Vec::new()),
        state: Cow::Owned(Vec::new()),
        slots: Cow::Owned(slots),
        presets: Cow::Owned(Vec::new()),
        roles: Roles {
            refractory: None,
            reset: None,
            threshold: None,
            initial_v: InitialV::Value(-65.0),
        },
        weight_unit: Dim::Voltage,
        current_unit: Dim::Voltage,
        conductance_synapses: false,
        defaults: || NeuronModel::PoissonSource { rate_hz: 0.0 },
        wgsl: Cow::Owned("fn qif_update() {}\n".to_string()),
    };
    let src = wgsl::source(&[&model]);
    assert!(src.contains("const MODEL_QIF: u32 = 7u;"), "{src}");
    assert!(src.contains("const QIF_GAIN: u32 = 1u; // the GAIN"), "{src}");
    assert!(src.ends_with("fn qif_update() {}\n"));
    naga::front::wgsl::parse_str(&src).unwrap();
}
