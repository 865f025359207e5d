//! A neuron model as its author writes it, in Brian2's notation: the Rust type, its builder,
//! and the reader of `[[neuron_model]]` tables in model files.

use super::error::EquationError;

/// Where a spike or an injected current enters a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputPort {
    /// Spikes through excitatory projections: the target is incremented by the weight.
    Excitatory,
    /// Spikes through inhibitory projections (weights are negative by the engine's receptor
    /// convention; write the target as `-g_i` to add their magnitude to a conductance).
    Inhibitory,
    /// Injected current sources: added, for the tick, to a parameter (the bias) or to a
    /// state variable.
    Current,
}

impl InputPort {
    /// All ports, in the order their inputs are summed.
    pub const ALL: [InputPort; 3] = [InputPort::Excitatory, InputPort::Inhibitory, InputPort::Current];

    /// The key in model files.
    pub fn key(self) -> &'static str {
        match self {
            InputPort::Excitatory => "excitatory",
            InputPort::Inhibitory => "inhibitory",
            InputPort::Current => "current",
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }
}

/// The integration method: one for all differential equations, or one per variable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum MethodSpec {
    /// Brian2's default: `exact` where the system is linear with constant coefficients,
    /// `euler` otherwise.
    #[default]
    Automatic,
    /// One method for every differential equation.
    All(String),
    /// A method per variable; the others use `default` (or the automatic choice).
    PerVariable {
        /// Method of the variables not listed.
        default: Option<String>,
        /// (variable, method) pairs.
        methods: Vec<(String, String)>,
    },
}

/// A user-defined neuron model. Every text field uses the equation language documented in
/// `docs/equations.md`; values are quantity strings such as `"10 ms"` or `"0.04 / mV"`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelDefinition {
    /// Name (letters, digits, `_`), used by populations and in generated code.
    pub name: String,
    /// Equations, one per line: `dv/dt = expr : unit [(unless refractory)]`,
    /// `x = expr : unit` (a subexpression) or `x : unit` (a state variable without
    /// derivative).
    pub equations: String,
    /// Spike condition, e.g. `v > v_peak`.
    pub threshold: Option<String>,
    /// Statements run on a spike, e.g. `v = v_reset; w += b`.
    pub reset: Option<String>,
    /// Refractory period: a duration (`"2 ms"`, `"tau_ref"`) or a condition that keeps the
    /// neuron refractory while it holds (`"v > -50 mV"`).
    pub refractory: Option<String>,
    /// Integration method(s).
    pub method: MethodSpec,
    /// Statements run every tick after integration, for variables declared `x : unit`
    /// (GeNN's sim code): an explicit scheme such as Izhikevich's two half steps.
    pub update: Option<String>,
    /// Parameters: (name, quantity string).
    pub params: Vec<(String, String)>,
    /// Inputs: port and its target (`"I_syn"`, or `"-g_i"` to subtract the weight).
    pub inputs: Vec<(InputPort, String)>,
    /// Initial values: (state variable, quantity or expression of parameters).
    pub initial: Vec<(String, String)>,
}

impl ModelDefinition {
    /// An empty model called `name`.
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            ..Self::default()
        }
    }

    /// Sets the equations.
    #[must_use]
    pub fn equations(mut self, text: &str) -> Self {
        self.equations = text.to_string();
        self
    }

    /// Sets the spike condition.
    #[must_use]
    pub fn threshold(mut self, text: &str) -> Self {
        self.threshold = Some(text.to_string());
        self
    }

    /// Sets the reset statements.
    #[must_use]
    pub fn reset(mut self, text: &str) -> Self {
        self.reset = Some(text.to_string());
        self
    }

    /// Sets the refractory period or condition.
    #[must_use]
    pub fn refractory(mut self, text: &str) -> Self {
        self.refractory = Some(text.to_string());
        self
    }

    /// Uses `method` for every differential equation.
    #[must_use]
    pub fn method(mut self, method: &str) -> Self {
        self.method = MethodSpec::All(method.to_string());
        self
    }

    /// Uses `method` for `variable` (the others keep the method set before, or automatic).
    #[must_use]
    pub fn method_for(mut self, variable: &str, method: &str) -> Self {
        let (default, mut methods) = match std::mem::take(&mut self.method) {
            MethodSpec::Automatic => (None, Vec::new()),
            MethodSpec::All(m) => (Some(m), Vec::new()),
            MethodSpec::PerVariable { default, methods } => (default, methods),
        };
        methods.push((variable.to_string(), method.to_string()));
        self.method = MethodSpec::PerVariable { default, methods };
        self
    }

    /// Sets the update statements.
    #[must_use]
    pub fn update(mut self, text: &str) -> Self {
        self.update = Some(text.to_string());
        self
    }

    /// Adds a parameter.
    #[must_use]
    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.to_string(), value.to_string()));
        self
    }

    /// Routes a port to a target.
    #[must_use]
    pub fn input(mut self, port: InputPort, target: &str) -> Self {
        self.inputs.push((port, target.to_string()));
        self
    }

    /// Sets the initial value of a state variable.
    #[must_use]
    pub fn initial(mut self, variable: &str, value: &str) -> Self {
        self.initial.push((variable.to_string(), value.to_string()));
        self
    }

    /// Reads one `[[neuron_model]]` table of a model file.
    pub fn from_toml(table: &toml::Table) -> Result<Self, EquationError> {
        let name = match table.get("name") {
            Some(toml::Value::String(s)) => s.clone(),
            _ => {
                return Err(file_error(
                    "?",
                    "name",
                    "every neuron_model needs `name = \"...\"`",
                ));
            }
        };
        let mut def = ModelDefinition::new(&name);
        for (key, value) in table {
            let field = |what: &str| file_error(&name, key, what);
            let text = || match value {
                toml::Value::String(s) => Ok(s.clone()),
                _ => Err(field("must be a string")),
            };
            match key.as_str() {
                "name" => {}
                "equations" => def.equations = text()?,
                "threshold" => def.threshold = Some(text()?),
                "reset" => def.reset = Some(text()?),
                "refractory" => def.refractory = Some(text()?),
                "update" => def.update = Some(text()?),
                "method" => def.method = method_from_toml(&name, value)?,
                "params" => def.params = quantity_table(&name, key, value)?,
                "initial" => def.initial = quantity_table(&name, key, value)?,
                "inputs" => {
                    for (port, target) in string_table(&name, key, value)? {
                        let Some(p) = InputPort::from_key(&port) else {
                            return Err(file_error(
                                &name,
                                &format!("inputs.{port}"),
                                "unknown port: allowed ports are excitatory, inhibitory, current",
                            ));
                        };
                        def.inputs.push((p, target));
                    }
                }
                _ => {
                    return Err(field(
                        "unknown key: allowed keys are name, equations, threshold, reset, refractory, \
                         method, update, params, inputs, initial",
                    ));
                }
            }
        }
        Ok(def)
    }
}

fn file_error(model: &str, field: &str, message: &str) -> EquationError {
    EquationError {
        model: model.to_string(),
        field: field.to_string(),
        text: String::new(),
        span: None,
        message: message.to_string(),
    }
}

fn string_table(model: &str, key: &str, value: &toml::Value) -> Result<Vec<(String, String)>, EquationError> {
    let toml::Value::Table(t) = value else {
        return Err(file_error(model, key, "must be a table such as { v = \"...\" }"));
    };
    t.iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => Ok((k.clone(), s.clone())),
            _ => Err(file_error(model, &format!("{key}.{k}"), "must be a string")),
        })
        .collect()
}

/// A table of quantities: strings, or bare numbers for dimensionless values.
fn quantity_table(
    model: &str,
    key: &str,
    value: &toml::Value,
) -> Result<Vec<(String, String)>, EquationError> {
    let toml::Value::Table(t) = value else {
        return Err(file_error(
            model,
            key,
            "must be a table such as { tau = \"10 ms\" }",
        ));
    };
    t.iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => Ok((k.clone(), s.clone())),
            toml::Value::Integer(i) => Ok((k.clone(), i.to_string())),
            toml::Value::Float(f) => Ok((k.clone(), format!("{f:?}"))),
            _ => Err(file_error(
                model,
                &format!("{key}.{k}"),
                "must be a quantity string such as \"10 ms\" or a number",
            )),
        })
        .collect()
}

fn method_from_toml(model: &str, value: &toml::Value) -> Result<MethodSpec, EquationError> {
    match value {
        toml::Value::String(s) => Ok(MethodSpec::All(s.clone())),
        toml::Value::Table(_) => {
            let mut default = None;
            let mut methods = Vec::new();
            for (var, m) in string_table(model, "method", value)? {
                if var == "default" {
                    default = Some(m);
                } else {
                    methods.push((var, m));
                }
            }
            Ok(MethodSpec::PerVariable { default, methods })
        }
        _ => Err(file_error(
            model,
            "method",
            "must be a method name or a table { variable = \"method\", default = \"method\" }",
        )),
    }
}

/// Reads every `[[neuron_model]]` table of a model file's text.
pub fn parse_model_file(text: &str) -> Result<Vec<ModelDefinition>, EquationError> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| EquationError {
        model: "?".into(),
        field: "file".into(),
        text: text.to_string(),
        span: e.span().map(|r| (r.start, r.end)),
        message: e.message().to_string(),
    })?;
    let Some(models) = doc.get("neuron_model") else {
        return Ok(Vec::new());
    };
    let toml::Value::Array(models) = models else {
        return Err(file_error(
            "?",
            "neuron_model",
            "must be written as [[neuron_model]] tables",
        ));
    };
    models
        .iter()
        .map(|m| match m {
            toml::Value::Table(t) => ModelDefinition::from_toml(t),
            _ => Err(file_error(
                "?",
                "neuron_model",
                "must be written as [[neuron_model]] tables",
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_reads_from_toml() {
        let text = r#"
[[neuron_model]]
name = "qif"
equations = """
dv/dt = (k * (v - v_rest) * (v - v_crit) + I_syn + I_ext) / tau : mV
dI_syn/dt = -I_syn / tau_syn : mV
"""
threshold = "v > v_peak"
reset = "v = v_reset"
refractory = "2 ms"
method = "euler"
params = { tau = "10 ms", k = "0.04 / mV", v_rest = "-65 mV", v_crit = "-50 mV", v_peak = "30 mV", v_reset = "-70 mV", tau_syn = "5 ms", I_ext = "0 mV" }
inputs = { excitatory = "I_syn", inhibitory = "I_syn" }
"#;
        let models = parse_model_file(text).unwrap();
        assert_eq!(models.len(), 1);
        let m = &models[0];
        assert_eq!(m.name, "qif");
        assert_eq!(m.method, MethodSpec::All("euler".into()));
        assert_eq!(m.params.len(), 8);
        assert_eq!(m.inputs.len(), 2);
        assert_eq!(m.refractory.as_deref(), Some("2 ms"));
    }

    #[test]
    fn unknown_keys_and_ports_are_named_in_the_error() {
        let e = parse_model_file("[[neuron_model]]\nname = \"x\"\nthreshhold = \"v > 1\"").unwrap_err();
        assert_eq!(e.field, "threshhold");
        assert!(e.message.contains("allowed keys"));
        let e = parse_model_file("[[neuron_model]]\nname = \"x\"\ninputs = { exc = \"v\" }").unwrap_err();
        assert_eq!(e.field, "inputs.exc");
    }

    #[test]
    fn a_method_table_gives_per_variable_methods() {
        let m = parse_model_file(
            "[[neuron_model]]\nname = \"x\"\nmethod = { default = \"euler\", g = \"exact\" }",
        )
        .unwrap();
        assert_eq!(
            m[0].method,
            MethodSpec::PerVariable {
                default: Some("euler".into()),
                methods: vec![("g".into(), "exact".into())]
            }
        );
    }
}
