//! Bad definitions: each error names the field, shows the line with a caret under the part
//! at fault, and says what is wrong in the user's terms.

use spikegpu::equations::{CompileOptions, EquationError, InputPort, ModelDefinition, compile};

/// A small valid model to break one field at a time.
fn base() -> ModelDefinition {
    ModelDefinition::new("m")
        .equations(
            "dv/dt = (v_rest - v + I_syn) / tau : mV (unless refractory)\ndI_syn/dt = -I_syn / tau_s : mV",
        )
        .threshold("v > v_th")
        .reset("v = v_rest")
        .refractory("2 ms")
        .param("tau", "10 ms")
        .param("tau_s", "5 ms")
        .param("v_rest", "-65 mV")
        .param("v_th", "-50 mV")
        .input(InputPort::Excitatory, "I_syn")
}

fn error(def: &ModelDefinition) -> EquationError {
    match compile(def, &CompileOptions::default()) {
        Ok(_) => panic!("the definition should have been refused"),
        Err(e) => e,
    }
}

/// Checks the field, the message, and that the caret sits under `under` in the text.
fn expect(def: ModelDefinition, field: &str, message: &str, under: &str) {
    let e = error(&def);
    let shown = e.to_string();
    assert_eq!(e.field, field, "{shown}");
    assert!(e.message.contains(message), "expected `{message}` in:\n{shown}");
    let (start, end) = e.span.unwrap_or_else(|| panic!("no position in:\n{shown}"));
    assert_eq!(&e.text[start..end], under, "caret position in:\n{shown}");
    let (_, column) = e.line_column().unwrap();
    let caret_line = shown.lines().last().unwrap();
    assert_eq!(
        caret_line.find('^').unwrap() - 4 + 1,
        column,
        "caret column in:\n{shown}"
    );
    eprintln!("{shown}\n");
}

#[test]
fn the_base_model_compiles() {
    compile(&base(), &CompileOptions::default()).unwrap();
}

#[test]
fn an_undefined_name_is_shown_with_its_column() {
    let def =
        base().equations("dv/dt = (v_rest - v + I_syn + q) / tau : mV\ndI_syn/dt = -I_syn / tau_s : mV");
    expect(def, "equations", "undefined name `q`", "q");
    // A short unit name known only in quantity strings gets a hint.
    let def = base().threshold("v > -50*V");
    expect(def, "threshold", "is a unit only in quantity strings", "V");
}

#[test]
fn a_unit_mismatch_names_the_term_and_both_units() {
    let def = base().equations("dv/dt = (v_rest - v + I_syn) / tau : mV\ndI_syn/dt = -I_syn / tau_s : pA");
    expect(
        def,
        "equations",
        "`v_rest - v` has unit V, `I_syn` has unit A",
        "(v_rest - v + I_syn)",
    );
    let def = base().equations("dv/dt = (v_rest - v + I_syn) : mV\ndI_syn/dt = -I_syn / tau_s : mV");
    expect(def, "equations", "needs V/s", "(v_rest - v + I_syn)");
    let def = base().reset("v = 3 ms");
    expect(
        def,
        "reset",
        "has unit s, but assigning it to `v` needs V",
        "3 ms",
    );
    let def = base().threshold("exp(v) > 1");
    expect(
        def,
        "threshold",
        "exp() needs a dimensionless argument, but `v` has unit V",
        "v",
    );
}

#[test]
fn non_finite_constants_are_refused() {
    let def = base().param("huge", "1e999 mV");
    let e = error(&def);
    assert_eq!(e.field, "params.huge");
    assert!(e.message.contains("not a finite"), "{e}");
    let def = base().equations(
        "dv/dt = (v_rest - v + I_syn) / tau + 1e999 * mV/ms : mV\ndI_syn/dt = -I_syn / tau_s : mV",
    );
    expect(def, "equations", "not a finite number", "1e999");
    // A parameter value that makes a constant infinite is caught when the constants are
    // computed, naming the constant.
    let model = compile(&base().method("euler"), &CompileOptions::default()).unwrap();
    let e = model.constants_with(0.1, &[("tau_s", 0.0)]).unwrap_err();
    assert!(
        e.message.contains("dt / tau_s") && e.message.contains("inf"),
        "{e}"
    );
}

#[test]
fn a_variable_defined_twice_is_refused() {
    let def = base().equations("dv/dt = (v_rest - v) / tau : mV\nI_syn : mV\ndv/dt = -v / tau : mV");
    let e = error(&def);
    assert!(e.message.contains("variable `v` is defined twice"), "{e}");
    assert_eq!(e.line_column(), Some((3, 2)), "{e}");
    let def = base().param("tau", "5 ms");
    expect(def, "params.tau", "parameter `tau` is defined twice", "5 ms");
}

#[test]
fn a_derivative_of_a_parameter_is_refused() {
    let def = base().equations(
        "dv/dt = (v_rest - v + I_syn) / tau : mV\ndI_syn/dt = -I_syn / tau_s : mV\ndtau/dt = 1 : 1",
    );
    expect(def, "equations", "derivative of parameter `tau`", "tau");
}

#[test]
fn an_unknown_function_is_refused_with_the_known_ones() {
    let def = base()
        .equations("dv/dt = (v_rest - v + I_syn) / tau * expp(1) : mV\ndI_syn/dt = -I_syn / tau_s : mV");
    expect(
        def,
        "equations",
        "unknown function `expp` (known: exp, log",
        "expp",
    );
}

#[test]
fn a_threshold_that_is_not_a_condition_is_refused() {
    expect(
        base().threshold("v - v_th"),
        "threshold",
        "must be a condition",
        "v - v_th",
    );
    let def = base().refractory("v_rest");
    expect(
        def,
        "refractory",
        "must be a duration such as \"2 ms\" or a condition",
        "v_rest",
    );
}

#[test]
fn a_reset_assigning_a_parameter_is_refused() {
    expect(
        base().reset("v = v_rest; v_th += 1 mV"),
        "reset",
        "assigns parameter `v_th`",
        "v_th",
    );
    expect(base().reset("q = 1 mV"), "reset", "undefined variable `q`", "q");
}

#[test]
fn exact_on_a_nonlinear_system_names_the_nonlinear_term() {
    let def = super::definition("qif").method("exact");
    expect(
        def,
        "equations",
        "method exact does not apply: the system is not linear",
        "k * (v - v_rest) * (v - v_crit)",
    );
    // A coefficient that is itself a state variable (conductance input).
    let def = super::definition("lif_cond").method("exact");
    let e = error(&def);
    assert!(
        e.message.contains("not constant (`g_e` is a state variable"),
        "{e}"
    );
    // And exponential Euler on an equation non-linear in its own variable.
    let def = super::definition("qif").method("exponential_euler");
    expect(
        def,
        "equations",
        "not linear in v",
        "k * (v - v_rest) * (v - v_crit)",
    );
    // White noise with a method that evaluates the equation several times.
    let def = base()
        .equations("dv/dt = (v_rest - v) / tau + 2*mV*xi/sqrt(tau) : mV\nI_syn : mV")
        .method("rk4");
    expect(
        def,
        "equations",
        "cannot integrate white noise",
        "(v_rest - v) / tau + 2*mV*xi/sqrt(tau)",
    );
    let def = base().equations("dv/dt = (v_rest - v) / tau + v*xi/sqrt(tau) : mV\nI_syn : mV");
    let e = error(&def.method("euler"));
    assert!(e.message.contains("multiplicative noise"), "{e}");
}

#[test]
fn names_that_shadow_wgsl_or_the_language_are_refused() {
    expect(
        base().param("loop", "1 ms"),
        "params.loop",
        "`loop` is a WGSL keyword",
        "1 ms",
    );
    let def = base().equations("dselect/dt = -select / tau : mV\nI_syn : mV");
    expect(def, "equations", "`select` shadows a WGSL built-in", "select");
    expect(
        base().param("dt", "1 ms"),
        "params.dt",
        "reserved name of the language",
        "1 ms",
    );
    expect(base().param("mV", "1 mV"), "params.mV", "is a unit name", "1 mV");
    let def = base().equations("dxi/dt = 0 : 1\nI_syn : mV");
    expect(def, "equations", "reserved name of the language", "xi");
    let e = error(&ModelDefinition {
        name: "my model".into(),
        ..base()
    });
    assert!(e.message.contains("model name"), "{e}");
}

#[test]
fn other_mistakes_have_clear_messages() {
    let def = base().method("runge_kutta");
    let e = error(&def);
    assert_eq!(e.field, "method");
    assert!(
        e.message
            .contains("unknown method `runge_kutta` (known: euler, rk2, rk4, exponential_euler, exact)")
    );
    expect(
        base().input(InputPort::Inhibitory, "I_sin"),
        "inputs.inhibitory",
        "undefined name `I_sin`",
        "I_sin",
    );
    expect(
        base().initial("v", "-65 nA"),
        "initial.v",
        "has unit A, but `v` has unit V",
        "-65 nA",
    );
    expect(
        base().update("v = v_rest"),
        "update",
        "update can only assign variables declared",
        "v",
    );
    let def = base().equations("dv/dt = (v_rest - v + I_syn) / tau : mV (unless refractry)\nI_syn : mV");
    expect(
        def,
        "equations",
        "unknown flag `unless refractry`",
        "unless refractry",
    );
    expect(
        base().threshold("v > v_th > 0"),
        "threshold",
        "chained comparisons",
        ">",
    );
    let def = base().equations("dv/dt = (v_rest - v + I_syn) / tau mV\nI_syn : mV");
    expect(def, "equations", "expected `:` before the unit", "mV");
}

#[test]
fn per_neuron_coefficients_of_an_exact_system_and_unicode_micro_are_explained() {
    let options = CompileOptions {
        per_neuron: vec!["tau_m".into()],
        ..CompileOptions::default()
    };
    let e = compile(&super::definition("lif"), &options).unwrap_err();
    assert!(
        e.message.contains("method exact does not apply") && e.message.contains("varies per neuron"),
        "{e}"
    );
    let options = CompileOptions {
        per_neuron: vec!["tau_x".into()],
        ..CompileOptions::default()
    };
    let e = compile(&base(), &options).unwrap_err();
    assert_eq!(e.field, "per_neuron", "{e}");
    expect(
        base().refractory("2 \u{b5}s"),
        "refractory",
        "write `u` for micro",
        "\u{b5}",
    );
}
