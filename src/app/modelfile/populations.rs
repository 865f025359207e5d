//! The populations phase: each population's neuron model (its parameters set through the
//! model's table in `neurons`), initial state, per-neuron parameters and positions.

use toml::Spanned;

use super::schema::{FilePopulation, PerNeuronRaw, Raw};
use super::values::split_suffix;
use super::{Build, Dim, Loader, Pop};
use crate::error::Result;
use crate::model::{InitialValue, NeuronParam, PerNeuron, StateVar, grid_positions_2d, random_positions};
use crate::networks::{IzhikevichRole, izhikevich_2003_abcd};
use crate::neurons::{self, ModelSpec, NeuronModel, ParamKind, ParamSpec, StateField, StateSpec, Value};

impl Build<'_> {
    /// Adds population `i` with everything it sets.
    pub(super) fn population(&mut self, i: usize, sp: &Spanned<FilePopulation>) -> Result<()> {
        let p = sp.get_ref();
        let what = format!("population[{i}] '{}'", p.name);
        if let Some(def) = self.equation_definition(p.model.get_ref()) {
            return self.equation_population(sp, def.clone(), &what);
        }
        let model = self.loader.neuron_model(p, &what)?;
        let v_init = match p.init.iter().find(|(k, _)| split_suffix(k.get_ref()).0 == "v") {
            Some((key, v)) => {
                let field = format!("{what}.init.{}", key.get_ref());
                let factor = self.loader.suffix_factor(key, Dim::Voltage, &field)?;
                self.loader.initial(v, &field, Dim::Voltage, factor, p.size)?
            }
            None => InitialValue::Constant(model.initial_v_mv()),
        };
        let id = self.builder.population(&p.name, p.size, model.clone(), v_init)?;
        let pop = Pop {
            name: p.name.clone(),
            id,
            model,
            size: p.size,
        };
        self.initial_state(&pop, p, &what)?;
        self.heterogeneity(&pop, p, &what)?;
        self.per_neuron(&pop, p, &what)?;
        if let Some(rows) = &p.izhikevich_abcd {
            self.builder.izhikevich_per_neuron(id, rows.clone())?;
        }
        self.positions(&pop, sp, &what)?;
        self.pops.push(pop);
        Ok(())
    }

    /// Initial values of the state variables other than `v`, by the model's names for them or
    /// the generic ones (`u`/`w`, `syn_e`/`g_e`, `syn_i`/`g_i`), in their units.
    fn initial_state(&mut self, pop: &Pop, p: &FilePopulation, what: &str) -> Result<()> {
        let spec = pop.model.spec();
        for (key, value) in &p.init {
            let (name, _) = split_suffix(key.get_ref());
            if name == "v" {
                continue;
            }
            let Some((state, var)) =
                settable_state(spec).find(|(s, _)| s.name == name || s.field.generic_names().contains(&name))
            else {
                return self.loader.err(
                    key.span(),
                    &format!("{what}.init"),
                    format!("known variables of model {}: {}", spec.name, state_names(spec)),
                );
            };
            let field = format!("{what}.init.{}", key.get_ref());
            let factor = self.loader.suffix_factor(key, state.dim, &field)?;
            let initial = self.loader.initial(value, &field, state.dim, factor, pop.size)?;
            self.builder.initial_value(pop.id, var, initial)?;
        }
        Ok(())
    }

    /// `heterogeneity`: the per-neuron (a, b, c, d) of Izhikevich 2003's network.
    fn heterogeneity(&mut self, pop: &Pop, p: &FilePopulation, what: &str) -> Result<()> {
        let Some(h) = &p.heterogeneity else {
            return Ok(());
        };
        let role = match h.get_ref().as_str() {
            "izhikevich2003-excitatory" => IzhikevichRole::Excitatory,
            "izhikevich2003-inhibitory" => IzhikevichRole::Inhibitory,
            _ => {
                return self.loader.err(
                    h.span(),
                    &format!("{what}.heterogeneity"),
                    "known: izhikevich2003-excitatory, izhikevich2003-inhibitory",
                );
            }
        };
        let rows = izhikevich_2003_abcd(self.seed, role, p.size);
        self.builder.izhikevich_per_neuron(pop.id, rows)
    }

    /// `per_neuron`: thresholds and bias currents, as lists or distributions.
    fn per_neuron(&mut self, pop: &Pop, p: &FilePopulation, what: &str) -> Result<()> {
        for (key, value) in &p.per_neuron {
            let field = format!("{what}.per_neuron.{}", key.get_ref());
            let (param, dim) = match split_suffix(key.get_ref()).0 {
                "threshold" | "v_thresh" => (NeuronParam::Threshold, Dim::Voltage),
                "bias" => (NeuronParam::Bias, pop.model.current_unit()),
                _ => {
                    return self.loader.err(
                        key.span(),
                        &field,
                        "known per-neuron parameters: threshold, bias",
                    );
                }
            };
            let factor = self.loader.suffix_factor(key, dim, &field)?;
            let values = match value.get_ref() {
                PerNeuronRaw::List(list) => PerNeuron::Values(
                    list.iter()
                        .enumerate()
                        .map(|(k, x)| {
                            let at = Spanned::new(value.span(), x.clone());
                            self.loader.quantity(&at, &format!("{field}[{k}]"), dim, factor)
                        })
                        .collect::<Result<_>>()?,
                ),
                PerNeuronRaw::Dist(d) => PerNeuron::Drawn(self.loader.initial(
                    &Spanned::new(value.span(), d.clone()),
                    &field,
                    dim,
                    factor,
                    pop.size,
                )?),
            };
            self.builder.per_neuron(pop.id, param, values)?;
        }
        Ok(())
    }

    /// `positions`: a grid or uniformly random in a box.
    pub(super) fn positions(&mut self, pop: &Pop, sp: &Spanned<FilePopulation>, what: &str) -> Result<()> {
        let Some(pos) = &sp.get_ref().positions else {
            return Ok(());
        };
        if let Some([nx, ny]) = pos.grid
            && u64::from(nx) * u64::from(ny) != u64::from(pop.size)
        {
            // Checked before the grid is built: a huge grid must not be allocated to find out.
            return Err(crate::error::invalid(
                format!("{what}.positions.grid"),
                format!("[{nx}, {ny}]"),
                &format!("nx * ny must equal the population's size {}", pop.size),
            ));
        }
        let bytes = u64::from(pop.size) * std::mem::size_of::<glam::Vec3>() as u64;
        crate::plan::resources::check_bytes(&format!("the positions of {what}"), bytes, &[])?;
        let positions = match (pos.grid, pos.random) {
            (Some([nx, ny]), None) => grid_positions_2d(nx, ny, pos.spacing.unwrap_or(1.0)),
            (None, Some(extent)) => random_positions(pop.size, glam::Vec3::from(extent), self.seed),
            _ => {
                return self.loader.err(
                    sp.span(),
                    &format!("{what}.positions"),
                    "give either grid = [nx, ny] or random = [x, y, z]",
                );
            }
        };
        self.builder.positions(pop.id, positions)
    }
}

/// The state variables a file may give initial values to, with the variable of the builder.
fn settable_state(spec: &ModelSpec) -> impl Iterator<Item = (&StateSpec, StateVar)> {
    spec.state.iter().filter_map(|s| {
        let var = match s.field {
            StateField::U => StateVar::U,
            StateField::SynE => StateVar::SynExc,
            StateField::SynI => StateVar::SynInh,
            StateField::V | StateField::W1 | StateField::W2 | StateField::Aux => return None,
        };
        Some((s, var))
    })
}

/// `v, w (or u), syn_e, g_i (or syn_i)`: the names `initial_state` accepts.
fn state_names(spec: &ModelSpec) -> String {
    let mut names = vec!["v".to_string()];
    for (s, _) in settable_state(spec) {
        let others: Vec<&str> = s
            .field
            .generic_names()
            .iter()
            .copied()
            .filter(|g| *g != s.name)
            .collect();
        names.push(if others.is_empty() {
            s.name.to_string()
        } else {
            format!("{} (or {})", s.name, others.join(", "))
        });
    }
    names.join(", ")
}

impl Loader<'_> {
    /// The population's model: its defaults or preset, then the parameters the file sets.
    pub(super) fn neuron_model(&self, p: &FilePopulation, what: &str) -> Result<NeuronModel> {
        let Some(spec) = neurons::builtin(p.model.get_ref()) else {
            let known: Vec<&str> = neurons::BUILTIN.iter().map(|m| m.name.as_ref()).collect();
            return self.err(
                p.model.span(),
                &format!("{what}.model"),
                format!("known models: {}", known.join(", ")),
            );
        };
        let mut model = self.preset(spec, p, what)?;
        if let NeuronModel::SpikeSource { spike_times_ms } = &mut model {
            let Some(times) = &p.spike_times_ms else {
                return self.err(
                    p.model.span(),
                    what,
                    "a spike_source needs spike_times_ms = [[...], ...]",
                );
            };
            spike_times_ms.clone_from(times);
        }
        for (key, value) in &p.params {
            let field = format!("{what}.params.{}", key.get_ref());
            self.set_param(spec, &mut model, key, value, &field)?;
        }
        Ok(model)
    }

    /// The model with its default parameters, or with the named preset.
    fn preset(&self, spec: &ModelSpec, p: &FilePopulation, what: &str) -> Result<NeuronModel> {
        let Some(name) = &p.preset else {
            return Ok((spec.defaults)());
        };
        if let Some(preset) = spec.preset(name.get_ref()) {
            return Ok((preset.make)());
        }
        let known: Vec<&str> = spec.presets.iter().map(|p| p.name.as_ref()).collect();
        let allowed = if known.is_empty() {
            format!("model {} has no presets", spec.name)
        } else {
            format!("known presets: {}", known.join(", "))
        };
        self.err(name.span(), &format!("{what}.preset"), allowed)
    }

    /// Sets the parameter `key` from the model's table. A key that is itself a parameter's
    /// name (`e_na`, `g_na`) is not split at its unit suffix.
    fn set_param(
        &self,
        spec: &ModelSpec,
        model: &mut NeuronModel,
        key: &Spanned<String>,
        value: &Spanned<Raw>,
        field: &str,
    ) -> Result<()> {
        let (param, suffix) = match spec.param(key.get_ref()) {
            Some(param) => (param, None),
            None => {
                let (name, suffix) = split_suffix(key.get_ref());
                match spec.param(name) {
                    Some(param) => (param, suffix),
                    None => return self.err(key.span(), field, unknown_param(spec)),
                }
            }
        };
        let v = self.param_value(param, value, field, suffix)?;
        assert!(
            model.set(param, v),
            "{}: the table's value kinds match",
            param.name
        );
        Ok(())
    }

    /// The value of `param` as written, in its unit and range.
    fn param_value(
        &self,
        param: &ParamSpec,
        value: &Spanned<Raw>,
        field: &str,
        suffix: Option<&str>,
    ) -> Result<Value> {
        let span = value.span();
        if let (Some(_), ParamKind::Choice(_) | ParamKind::Flag) = (suffix, &param.kind) {
            return self.err(span, field, "this field takes no unit suffix");
        }
        match (&param.kind, value.get_ref()) {
            (ParamKind::Quantity { dim, range }, _) => {
                let factor = match suffix.map(|s| (s, dim.suffix_factor(s))) {
                    None => None,
                    Some((_, Some(f))) => Some(f),
                    Some((s, None)) => return self.err(span, field, suffix_mismatch(s, *dim)),
                };
                let x = self.quantity(value, field, *dim, factor)?;
                if !range.allows(x) {
                    return self.err(
                        span,
                        field,
                        format!("{} ({})", range.requirement(), dim.canonical()),
                    );
                }
                Ok(Value::Number(x))
            }
            (ParamKind::Choice(words), Raw::Text(s)) if words.iter().any(|w| w == s) => {
                Ok(Value::Choice(words.iter().position(|w| w == s).expect("found")))
            }
            (ParamKind::Choice(words), _) => self.err(span, field, format!("must be {}", one_of(words))),
            (ParamKind::Flag, Raw::Bool(x)) => Ok(Value::Flag(*x)),
            (ParamKind::Flag, _) => self.err(span, field, "must be true or false"),
        }
    }
}

/// The message for a unit suffix that does not fit the field.
fn suffix_mismatch(suffix: &str, dim: Dim) -> String {
    let units: Vec<&str> = dim.units().iter().map(|(u, _)| *u).collect();
    if units == [""] {
        format!("the key's unit suffix '{suffix}' does not fit: this field takes a plain number")
    } else {
        format!(
            "the key's unit suffix '{suffix}' does not fit: this field takes a {} ({})",
            dim.name(),
            units.join(", ")
        )
    }
}

/// The message for a parameter the model does not have.
fn unknown_param(spec: &ModelSpec) -> String {
    if spec.name == "spike_source" {
        "unknown parameter: model spike_source has no parameters; its spike times go in the \
         population's spike_times_ms = [[t1, t2], [t3]] (ms, one list per neuron)"
            .to_string()
    } else if spec.params.is_empty() {
        format!("unknown parameter: model {} has no parameters", spec.name)
    } else {
        format!(
            "unknown parameter for model {} (known: {})",
            spec.name,
            spec.param_names().join(", ")
        )
    }
}

/// `a, b or c`.
fn one_of(words: &[neurons::Text]) -> String {
    match words {
        [] => String::new(),
        [only] => only.to_string(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(|w| w.as_ref()).collect();
            format!("{} or {last}", rest.join(", "))
        }
    }
}

impl Loader<'_> {
    /// The factor of the unit suffix of `key` (`syn_e_us` -> 1000, microsiemens in nS), None
    /// without one; a suffix that is no unit of `dim` is an error.
    pub(super) fn suffix_factor(&self, key: &Spanned<String>, dim: Dim, field: &str) -> Result<Option<f64>> {
        match split_suffix(key.get_ref()).1 {
            None => Ok(None),
            Some(suffix) => match dim.suffix_factor(suffix) {
                Some(f) => Ok(Some(f)),
                None => self.err(key.span(), field, suffix_mismatch(suffix, dim)),
            },
        }
    }
}
