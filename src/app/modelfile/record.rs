//! The recording phase: which populations' spikes are kept, state probes and weight snapshots.

use toml::Spanned;

use super::schema::{FileProbe, Raw};
use super::{Build, Dim, Probe};
use crate::error::Result;
use crate::model::PopulationId;
use crate::neurons::equation::MIRRORED_FIELDS;
use crate::neurons::{NeuronModel, StateField};

impl Build<'_> {
    /// `record.spikes`: when given, only the listed populations' spikes are kept.
    pub(super) fn record_spikes(&mut self, list: Option<&[Spanned<String>]>) -> Result<()> {
        let Some(list) = list else {
            return Ok(());
        };
        for p in &self.pops {
            self.builder.record_spikes(p.id, false)?;
        }
        for name in list {
            let (id, _) = self.find(name, "record.spikes")?;
            self.builder.record_spikes(id, true)?;
        }
        Ok(())
    }

    /// `record.state`: probes of state variables, each every whole number of ticks.
    pub(super) fn probes(&self, list: &[FileProbe]) -> Result<Vec<Probe>> {
        let mut probes = Vec::new();
        for (i, p) in list.iter().enumerate() {
            let what = format!("record.state[{i}]");
            let (population, _) = self.find(&p.population, &format!("{what}.population"))?;
            let variable = p.variable.get_ref().clone();
            let Some(field) = self.probe_field(population, &variable) else {
                return self.loader.err(
                    p.variable.span(),
                    &format!("{what}.variable"),
                    self.probe_names(population),
                );
            };
            let interval = format!("{what}.interval");
            let interval_ms = self.loader.quantity(&p.interval, &interval, Dim::Time, None)?;
            let ticks = (interval_ms / self.dt).round();
            if ticks.is_nan() || ticks < 1.0 {
                return self.loader.err(
                    p.interval.span(),
                    &interval,
                    format!("must be at least one tick ({} ms)", self.dt),
                );
            }
            let size = self
                .pops
                .iter()
                .find(|q| q.id == population)
                .map_or(0, |q| q.size);
            if let Some(&n) = p.neurons.iter().find(|&&n| n >= size) {
                return self.loader.err(
                    p.population.span(),
                    &format!("{what}.neurons"),
                    format!("neuron {n} is out of range (< {size})"),
                );
            }
            probes.push(Probe {
                population,
                population_name: p.population.get_ref().clone(),
                variable,
                field,
                neurons: p.neurons.clone(),
                interval_ms: ticks * self.dt,
            });
        }
        Ok(probes)
    }

    /// The `NeuronState` field a probe of `variable` reads: `v, u, syn_e, syn_i` for the
    /// built-in models, a mirrored variable (one of the first six) for a user-defined model.
    fn probe_field(&self, population: PopulationId, variable: &str) -> Option<StateField> {
        let pop = self.pops.iter().find(|q| q.id == population)?;
        let name = match &pop.model {
            NeuronModel::Equation(eq) => eq.mirror_field(variable)?,
            _ => variable,
        };
        Some(match name {
            "v" => StateField::V,
            "u" => StateField::U,
            "w1" => StateField::W1,
            "w2" => StateField::W2,
            "syn_e" => StateField::SynE,
            "syn_i" => StateField::SynI,
            _ => return None,
        })
    }

    /// The variables a probe of `population` may read, in words.
    fn probe_names(&self, population: PopulationId) -> String {
        match self.pops.iter().find(|q| q.id == population).map(|q| &q.model) {
            Some(NeuronModel::Equation(eq)) => {
                let vars = eq.compiled().variables().iter().take(MIRRORED_FIELDS.len());
                let names: Vec<&str> = vars.map(|v| v.name.as_str()).collect();
                format!("known variables (the model's first six): {}", names.join(", "))
            }
            _ => "known variables: v, u, syn_e, syn_i".into(),
        }
    }

    /// `record.weight_interval`: a whole number of ticks.
    pub(super) fn weight_interval(&self, raw: Option<&Spanned<Raw>>) -> Result<Option<f64>> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let what = "record.weight_interval";
        let ms = self.loader.quantity(raw, what, Dim::Time, None)?;
        if ms.is_nan() || (ms / self.dt).round() < 1.0 {
            return self.loader.err(
                raw.span(),
                what,
                format!("must be at least one tick ({} ms)", self.dt),
            );
        }
        Ok(Some((ms / self.dt).round() * self.dt))
    }
}
