//! Property-based tests: random model-file text (valid, and broken in many ways) and random
//! builder calls never panic and always end in `Ok` or an input error (exit 2 in the command
//! line), within a host budget that turns any large request into a refusal.
//!
//! CI runs `PROPTEST_CASES` cases (default here: 256 per property, a few seconds in release).
//! A longer run: `PROPTEST_CASES=20000 cargo test --release --test suite resources_props`.

use proptest::prelude::*;
use spikegpu::app::modelfile;
use spikegpu::plan::Plan;
use spikegpu::plan::resources::with_host_budget;
use spikegpu::{
    Backend, Connectivity, InitialValue, LifParams, NetworkBuilder, NeuronModel, Receptor, Simulator,
    WeightDist,
};

/// Host budget of every plan here: anything larger is refused, not built.
const BUDGET_BYTES: u64 = 64 << 20;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A number as a file may write it: ordinary, huge, tiny, negative or not a number.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..5000).prop_map(|n| n.to_string()),
        (-1e3f64..1e3).prop_map(|x| format!("{x}")),
        Just("1e300".to_string()),
        Just("-1e30".to_string()),
        Just("4294967296".to_string()),
        Just("2000000000".to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("0".to_string()),
        Just("-1".to_string()),
    ]
}

/// A quantity with a unit, right or wrong.
fn quantity() -> impl Strategy<Value = String> {
    let unit = prop_oneof![
        Just("ms"),
        Just("mV"),
        Just("s"),
        Just("Hz"),
        Just("nS"),
        Just("pA"),
        Just(""),
        Just("furlong")
    ];
    (number(), unit).prop_map(|(n, u)| format!("\"{n} {u}\""))
}

/// A connectivity table, of every rule and some unknown ones.
fn connectivity() -> impl Strategy<Value = String> {
    prop_oneof![
        number().prop_map(|p| format!("{{ rule = \"fixed_probability\", p = {p} }}")),
        number().prop_map(|k| format!("{{ rule = \"fixed_indegree\", k = {k} }}")),
        number().prop_map(|k| format!("{{ rule = \"fixed_outdegree\", k = {k} }}")),
        number().prop_map(|n| format!("{{ rule = \"fixed_total\", n = {n} }}")),
        Just("{ rule = \"all_to_all\" }".to_string()),
        Just("{ rule = \"one_to_one\" }".to_string()),
        Just("{ rule = \"no_such_rule\" }".to_string()),
    ]
}

/// A model file of two populations and a projection, with random values.
fn model_text() -> impl Strategy<Value = String> {
    (
        quantity(),
        number(),
        number(),
        prop_oneof![Just("lif"), Just("izhikevich"), Just("adex"), Just("nope")],
        connectivity(),
        quantity(),
        quantity(),
        prop_oneof![Just("excitatory"), Just("inhibitory"), Just("both")],
        quantity(),
    )
        .prop_map(|(dt, a, b, model, rule, weight, delay, receptor, tau)| {
            format!(
                "dt = {dt}\nseed = 1\n[[population]]\nname = \"a\"\nsize = {a}\nmodel = \"{model}\"\n\
                 params = {{ tau_m = {tau} }}\n\
                 [[population]]\nname = \"b\"\nsize = {b}\nmodel = \"lif\"\n\
                 [[projection]]\npre = \"a\"\npost = \"b\"\nconnectivity = {rule}\nweight = {weight}\n\
                 delay = {delay}\nreceptor = \"{receptor}\"\n"
            )
        })
}

/// Loads and plans `text` as `spikegpu validate` does; a panic fails the property.
fn validate(text: &str) -> Result<(), String> {
    with_host_budget(BUDGET_BYTES, || {
        let file = modelfile::parse(text, "prop", None).map_err(|e| (e.is_input_error(), e.to_string()))?;
        Plan::new(&file.network).map_err(|e| (e.is_input_error(), e.to_string()))?;
        Ok(())
    })
    .or_else(|(input, message)| {
        if input {
            Ok(())
        } else {
            Err(format!("not an input error: {message}"))
        }
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_model_files_end_in_ok_or_an_input_error(text in model_text()) {
        prop_assert!(validate(&text).is_ok(), "{text}\n{:?}", validate(&text));
    }

    #[test]
    fn model_files_cut_or_spliced_anywhere_end_in_ok_or_an_input_error(
        text in model_text(),
        cut in any::<prop::sample::Index>(),
        junk in "[\\[\\]{}=\",.a-z0-9 \n]{0,12}",
    ) {
        // Cut at a char boundary and splice junk in: broken syntax of every kind.
        let at = cut.index(text.len() + 1);
        let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let broken = format!("{}{junk}{}", &text[..at], &text[at..]);
        prop_assert!(validate(&broken).is_ok(), "{broken}\n{:?}", validate(&broken));
    }

    #[test]
    fn random_builder_calls_end_in_ok_or_an_input_error(
        sizes in prop::collection::vec(prop_oneof![1u32..300, Just(0u32), Just(u32::MAX)], 1..4),
        dt in prop_oneof![Just(0.1f64), Just(0.0), Just(-1.0), Just(f64::NAN), 0.01f64..2.0],
        rules in prop::collection::vec((0usize..4, 0usize..4, 0u8..6, -2.0f64..2.0, -5.0f64..5.0), 0..4),
        delay in prop_oneof![Just(1.0f64), Just(0.0), Just(f64::INFINITY), 0.01f64..600.0],
    ) {
        let outcome = with_host_budget(BUDGET_BYTES, || -> spikegpu::Result<()> {
            let mut b = NetworkBuilder::new(dt, 7);
            let mut pops = Vec::new();
            for (i, &size) in sizes.iter().enumerate() {
                let model = NeuronModel::Lif(LifParams::default());
                pops.push(b.population(&format!("p{i}"), size, model, InitialValue::Constant(-65.0))?);
            }
            for &(pre, post, rule, x, w) in &rules {
                let (pre, post) = (pops[pre % pops.len()], pops[post % pops.len()]);
                let connectivity = match rule {
                    0 => Connectivity::FixedProbability { p: x, autapses: true },
                    1 => Connectivity::FixedInDegree { k: (x * 100.0) as u32, autapses: false },
                    2 => Connectivity::FixedOutDegree { k: (x * 100.0) as u32, autapses: false },
                    3 => Connectivity::FixedTotal { n: (x.abs() * 1e4) as u64, autapses: true },
                    4 => Connectivity::OneToOne,
                    _ => Connectivity::AllToAll { autapses: x > 0.0 },
                };
                let receptor = if w >= 0.0 { Receptor::Excitatory } else { Receptor::Inhibitory };
                b.projection(pre, post, connectivity, WeightDist::Constant(w), WeightDist::Constant(delay), receptor)?;
            }
            let net = b.build()?;
            let mut sim = Simulator::new(&net, Backend::Cpu)?;
            sim.run_ms(1.0)
        });
        if let Err(e) = outcome {
            prop_assert!(e.is_input_error(), "{e}");
        }
    }
}
