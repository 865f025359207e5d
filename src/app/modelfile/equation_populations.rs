//! User-defined models in model files: `[[neuron_model]]` tables (read by
//! [`crate::equations::parse_model_file`]'s reader) and the populations that use one with
//! `model = "<name>"`. A file's own definition takes precedence over a built-in model of the
//! same name.
//!
//! Such a population may set `params` (quantity strings in the equation language, replacing
//! the definition's values), `init` (a value or expression per state variable; for `v` also
//! a distribution, in canonical units) and `per_neuron` (lists, in canonical units, of
//! parameters or of initial values of state variables), and `positions`.

use toml::Spanned;

use super::schema::{FilePopulation, PerNeuronRaw, Raw, RawDist};
use super::{Build, Pop};
use crate::equations::ModelDefinition;
use crate::error::{Error, Result};
use crate::model::InitialValue;
use crate::neurons::{EquationNeuron, NeuronModel};

/// Reads every `[[neuron_model]]` table, checking that names are unique.
pub(super) fn read_definitions(origin: &str, tables: &[toml::Table]) -> Result<Vec<ModelDefinition>> {
    let mut defs: Vec<ModelDefinition> = Vec::with_capacity(tables.len());
    for (i, table) in tables.iter().enumerate() {
        let def = ModelDefinition::from_toml(table)
            .map_err(|e| Error::InvalidNetwork(format!("{origin}: neuron_model[{i}]: {e}")))?;
        if defs.iter().any(|d| d.name == def.name) {
            return Err(Error::InvalidNetwork(format!(
                "{origin}: neuron_model[{i}].name = \"{}\" is defined twice; names must be unique",
                def.name
            )));
        }
        defs.push(def);
    }
    Ok(defs)
}

impl Build<'_> {
    /// The file's definition called `name`, if any.
    pub(super) fn equation_definition(&self, name: &str) -> Option<&ModelDefinition> {
        self.equation_models.iter().find(|d| d.name == name)
    }

    /// Adds population `i`, whose model is the file's definition `def`.
    pub(super) fn equation_population(
        &mut self,
        sp: &Spanned<FilePopulation>,
        def: ModelDefinition,
        what: &str,
    ) -> Result<()> {
        let p = sp.get_ref();
        for (given, key) in [
            (p.preset.is_some(), "preset"),
            (p.spike_times_ms.is_some(), "spike_times_ms"),
            (p.heterogeneity.is_some(), "heterogeneity"),
            (p.izhikevich_abcd.is_some(), "izhikevich_abcd"),
        ] {
            if given {
                return self.loader.err(
                    p.model.span(),
                    &format!("{what}.{key}"),
                    "applies to built-in models only; a user-defined model takes params, init and per_neuron",
                );
            }
        }
        let (def, v_init) = self.with_population_values(def, p, what)?;
        let mut model = EquationNeuron::new(def)
            .map_err(|e| Error::InvalidNetwork(format!("{}: {what}: {e}", self.loader.origin)))?;
        for (key, value) in &p.per_neuron {
            let field = format!("{what}.per_neuron.{}", key.get_ref());
            let PerNeuronRaw::List(values) = value.get_ref() else {
                return self.loader.err(
                    value.span(),
                    &field,
                    "a user-defined model takes per-neuron values as lists, in canonical units",
                );
            };
            let mut numbers = Vec::with_capacity(values.len());
            for (k, x) in values.iter().enumerate() {
                let Raw::Number(x) = x else {
                    return self.loader.err(
                        value.span(),
                        &format!("{field}[{k}]"),
                        "a number in the variable's canonical unit (mV, ms, nS, pA)",
                    );
                };
                numbers.push(*x);
            }
            model = model.per_neuron(key.get_ref(), numbers)?;
        }
        let v_init = match v_init {
            Some(raw) => self.loader.initial(
                raw,
                &format!("{what}.init.v"),
                model.variable_unit("v"),
                None,
                p.size,
            )?,
            None => {
                let v = model.compiled().variables().iter().find(|v| v.name == "v");
                InitialValue::Constant(v.map_or(0.0, |v| v.initial))
            }
        };
        let model = NeuronModel::Equation(model);
        let id = self.builder.population(&p.name, p.size, model.clone(), v_init)?;
        let pop = Pop {
            name: p.name.clone(),
            id,
            model,
            size: p.size,
        };
        self.positions(&pop, sp, what)?;
        self.pops.push(pop);
        Ok(())
    }

    /// The definition with the population's `params` and constant `init` values written in,
    /// and `v`'s distribution if `init` gives one (read in the unit of `v`).
    fn with_population_values<'p>(
        &self,
        mut def: ModelDefinition,
        p: &'p FilePopulation,
        what: &str,
    ) -> Result<(ModelDefinition, Option<&'p Spanned<RawDist>>)> {
        for (key, value) in &p.params {
            let field = format!("{what}.params.{}", key.get_ref());
            let Some(slot) = def.params.iter_mut().find(|(n, _)| n == key.get_ref()) else {
                let known: Vec<&str> = def.params.iter().map(|(n, _)| n.as_str()).collect();
                return self.loader.err(
                    key.span(),
                    &field,
                    format!("known parameters of model {}: {}", def.name, known.join(", ")),
                );
            };
            slot.1 = match value.get_ref() {
                Raw::Text(s) => s.clone(),
                Raw::Number(x) => x.to_string(),
                Raw::Bool(_) | Raw::Other(_) => {
                    return self
                        .loader
                        .err(value.span(), &field, "must be a quantity such as \"10 ms\"");
                }
            };
        }
        let mut v_init = None;
        for (key, value) in &p.init {
            let field = format!("{what}.init.{}", key.get_ref());
            match value.get_ref() {
                RawDist::Value(Raw::Text(s)) => set_initial(&mut def, key.get_ref(), s.clone()),
                RawDist::Value(Raw::Number(x)) => set_initial(&mut def, key.get_ref(), x.to_string()),
                _ if key.get_ref() == "v" => v_init = Some(value),
                _ => {
                    return self.loader.err(
                        value.span(),
                        &field,
                        "takes a value or expression (a distribution or a per-neuron list only for v; per-neuron lists of other variables go in per_neuron)",
                    );
                }
            }
        }
        Ok((def, v_init))
    }
}

fn set_initial(def: &mut ModelDefinition, variable: &str, text: String) {
    def.initial.retain(|(n, _)| n != variable);
    def.initial.push((variable.to_string(), text));
}
