//! The recording phase: which spikes are kept (populations, neuron selections, time
//! windows), population rate records, state probes, weight snapshots and what is exported.

use toml::{Spanned, Value};

use super::schema::{FileProbe, FileRateRecord, FileSpikeRecord, Raw, shape};
use super::{Build, Dim, Probe, ProbeField};
use crate::error::Result;
use crate::model::{NeuronSelection, PopulationId, ProjectionId, SpikeRecording, whole_ticks};
use crate::neurons::{NeuronModel, StateField};

/// The forms of a `record.spikes` entry, with examples.
pub(super) const SPIKE_FORMS: &str = "a population's name (\"exc\"), a slice (\"exc[0:100]\", \
    \"exc[::10]\"), \"all\", or a table such as { population = \"inh\", neurons = [0, 1, 2], \
    start = \"100 ms\", stop = \"1 s\" }";

/// The forms of a `record.rates` entry.
pub(super) const RATE_FORMS: &str =
    "a population's name (\"exc\"), \"all\", or a table such as { population = \"exc\", bin = \"5 ms\" }";

/// The forms of a probe's `neurons`.
pub(super) const NEURON_FORMS: &str =
    "a list of neurons ([0, 1, 2]), a slice (\"0:100\", \"::10\") or \"all\"";

impl Build<'_> {
    /// `record.spikes`: when given, only the listed populations' spikes are kept, of the
    /// neurons and in the time window each entry selects.
    pub(super) fn record_spikes(&mut self, raw: Option<&Spanned<Value>>) -> Result<()> {
        let Some(raw) = raw else {
            return Ok(());
        };
        let entries = self.entries(raw, "record.spikes", SPIKE_FORMS)?;
        for p in &self.pops {
            self.builder.record_spikes(p.id, false)?;
        }
        for (k, entry) in entries.iter().enumerate() {
            let what = format!("record.spikes[{k}]");
            for (id, recording) in self.spike_entry(raw, entry, &what)? {
                self.builder
                    .record_spike_selection(id, recording)
                    .or_else(|e| self.loader.err(raw.span(), &what, error_reason(&e)))?;
            }
        }
        Ok(())
    }

    /// The entries of a list (a lone string is a list of one).
    fn entries(&self, raw: &Spanned<Value>, what: &str, forms: &str) -> Result<Vec<Value>> {
        match raw.get_ref() {
            Value::Array(list) => Ok(list.clone()),
            Value::String(_) => Ok(vec![raw.get_ref().clone()]),
            other => self.loader.err(
                raw.span(),
                what,
                format!("is {}; it takes a list of entries, each {forms}", shape(other)),
            ),
        }
    }

    /// One `record.spikes` entry: the populations it names, each with its recording.
    fn spike_entry(
        &self,
        raw: &Spanned<Value>,
        entry: &Value,
        what: &str,
    ) -> Result<Vec<(PopulationId, SpikeRecording)>> {
        match entry {
            Value::String(text) if text == "all" => {
                Ok(self.pops.iter().map(|p| (p.id, SpikeRecording::all())).collect())
            }
            Value::String(text) => {
                let (name, selection) = split_selection(text);
                let (id, size) = self.population_named(raw, name, what)?;
                let neurons = match selection {
                    None => NeuronSelection::All,
                    Some(s) => self.selection(raw, s, size, what)?,
                };
                Ok(vec![(id, SpikeRecording::neurons(neurons))])
            }
            Value::Table(t) => {
                let table: FileSpikeRecord = t.clone().try_into().or_else(|e: toml::de::Error| {
                    self.loader.err(
                        raw.span(),
                        what,
                        format!("{}; an entry is {SPIKE_FORMS}", super::words::plain(e.message())),
                    )
                })?;
                let (id, size) = self.population_named(raw, &table.population, what)?;
                let neurons = match &table.neurons {
                    None => NeuronSelection::All,
                    Some(v) => self.neuron_value(raw, v, size, &format!("{what}.neurons"))?,
                };
                let time = |r: &Option<Raw>, key: &str| {
                    r.as_ref()
                        .map(|r| {
                            let at = Spanned::new(raw.span(), r.clone());
                            self.loader
                                .quantity(&at, &format!("{what}.{key}"), Dim::Time, None)
                        })
                        .transpose()
                };
                Ok(vec![(
                    id,
                    SpikeRecording {
                        neurons,
                        start_ms: time(&table.start, "start")?.unwrap_or(0.0),
                        stop_ms: time(&table.stop, "stop")?,
                    },
                )])
            }
            other => self.loader.err(
                raw.span(),
                what,
                format!("an entry is {}; it takes {SPIKE_FORMS}", shape(other)),
            ),
        }
    }

    /// The population called `name` and its size.
    fn population_named(&self, raw: &Spanned<Value>, name: &str, what: &str) -> Result<(PopulationId, u32)> {
        match self.pops.iter().find(|p| p.name == name) {
            Some(p) => Ok((p.id, p.size)),
            None => {
                let known: Vec<&str> = self.pops.iter().map(|p| p.name.as_str()).collect();
                self.loader.err(
                    raw.span(),
                    what,
                    format!("no population named '{name}' (defined: {})", known.join(", ")),
                )
            }
        }
    }

    /// A slice or neuron written as text (`0:100`, `::10`, `5`, `all`), checked against `size`.
    fn selection(&self, raw: &Spanned<Value>, text: &str, size: u32, what: &str) -> Result<NeuronSelection> {
        let selection = NeuronSelection::parse(text, size).or_else(|why| {
            self.loader
                .err(raw.span(), what, format!("{why}; it takes {NEURON_FORMS}"))
        })?;
        selection
            .validate(what, size)
            .or_else(|e| self.loader.err(raw.span(), what, error_reason(&e)))?;
        Ok(selection)
    }

    /// Neurons written as a list, a slice or `all`.
    fn neuron_value(
        &self,
        raw: &Spanned<Value>,
        v: &Value,
        size: u32,
        what: &str,
    ) -> Result<NeuronSelection> {
        match v {
            Value::String(text) => self.selection(raw, text, size, what),
            Value::Array(list) => {
                let mut neurons = Vec::with_capacity(list.len());
                for x in list {
                    match x {
                        Value::Integer(i) if *i >= 0 && *i <= i64::from(u32::MAX) => neurons.push(*i as u32),
                        other => {
                            return self.loader.err(
                                raw.span(),
                                what,
                                format!("holds {}; it takes {NEURON_FORMS}", shape(other)),
                            );
                        }
                    }
                }
                let selection = NeuronSelection::List(neurons);
                selection
                    .validate(what, size)
                    .or_else(|e| self.loader.err(raw.span(), what, error_reason(&e)))?;
                Ok(selection)
            }
            other => self.loader.err(
                raw.span(),
                what,
                format!("is {}; it takes {NEURON_FORMS}", shape(other)),
            ),
        }
    }

    /// `record.rates` (with `record.rate_bin` as the default bin): population rate records.
    pub(super) fn record_rates(
        &mut self,
        raw: Option<&Spanned<Value>>,
        bin: Option<&Spanned<Raw>>,
    ) -> Result<()> {
        let Some(raw) = raw else {
            return Ok(());
        };
        let default_bin = match bin {
            Some(b) => self.loader.quantity(b, "record.rate_bin", Dim::Time, None)?,
            None => self.dt.max(1.0),
        };
        for (k, entry) in self.entries(raw, "record.rates", RATE_FORMS)?.iter().enumerate() {
            let what = format!("record.rates[{k}]");
            let (names, bin_ms) = match entry {
                Value::String(name) if name == "all" => {
                    (self.pops.iter().map(|p| p.name.clone()).collect(), default_bin)
                }
                Value::String(name) => (vec![name.clone()], default_bin),
                Value::Table(t) => {
                    let table: FileRateRecord = t.clone().try_into().or_else(|e: toml::de::Error| {
                        self.loader.err(
                            raw.span(),
                            &what,
                            format!("{}; an entry is {RATE_FORMS}", super::words::plain(e.message())),
                        )
                    })?;
                    let bin = match &table.bin {
                        Some(b) => {
                            let at = Spanned::new(raw.span(), b.clone());
                            self.loader
                                .quantity(&at, &format!("{what}.bin"), Dim::Time, None)?
                        }
                        None => default_bin,
                    };
                    (vec![table.population], bin)
                }
                other => {
                    return self.loader.err(
                        raw.span(),
                        &what,
                        format!("an entry is {}; it takes {RATE_FORMS}", shape(other)),
                    );
                }
            };
            if let Err(why) = whole_ticks(bin_ms, self.dt) {
                return self.loader.err(raw.span(), &format!("{what}.bin"), why);
            }
            for name in names {
                let (id, _) = self.population_named(raw, &name, &what)?;
                self.builder.record_rate(id, bin_ms)?;
            }
        }
        Ok(())
    }

    /// `record.state`: probes of state variables, each every whole number of ticks.
    pub(super) fn probes(&self, list: &[Spanned<FileProbe>]) -> Result<Vec<Probe>> {
        let mut probes = Vec::new();
        for (i, sp) in list.iter().enumerate() {
            let p = sp.get_ref();
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
            let ticks = whole_ticks(interval_ms, self.dt)
                .or_else(|why| self.loader.err(p.interval.span(), &interval, why))?;
            let size = self
                .pops
                .iter()
                .find(|q| q.id == population)
                .map_or(0, |q| q.size);
            let neurons = self
                .neuron_value(&p.neurons, p.neurons.get_ref(), size, &format!("{what}.neurons"))?
                .indices(size);
            let time = |r: &Option<Spanned<Raw>>, key: &str| {
                r.as_ref()
                    .map(|r| self.loader.quantity(r, &format!("{what}.{key}"), Dim::Time, None))
                    .transpose()
            };
            let (start_ms, stop_ms) = (time(&p.start, "start")?.unwrap_or(0.0), time(&p.stop, "stop")?);
            if stop_ms.is_some_and(|s| s <= start_ms) || start_ms < 0.0 {
                return self.loader.err(sp.span(), &what, "needs 0 <= start < stop");
            }
            probes.push(Probe {
                population,
                population_name: p.population.get_ref().clone(),
                variable: p.variable.get_ref().clone(),
                field,
                neurons,
                interval_ms: ticks as f64 * self.dt,
                start_ms,
                stop_ms,
            });
        }
        Ok(probes)
    }

    /// Where a probe of `variable` reads: `v, u, syn_e, syn_i` for the built-in models, any
    /// variable of a user-defined model (the first six are mirrored in the neuron state).
    fn probe_field(&self, population: PopulationId, variable: &str) -> Option<ProbeField> {
        let pop = self.pops.iter().find(|q| q.id == population)?;
        let NeuronModel::Equation(eq) = &pop.model else {
            return spec_probe_field(pop.model.spec(), variable).map(ProbeField::State);
        };
        let known = eq.compiled().variables().iter().any(|v| v.name == variable);
        match eq.mirror_field(variable) {
            Some(field) => Some(ProbeField::State(field)),
            None => known.then_some(ProbeField::Equation),
        }
    }

    /// The variables a probe of `population` may read, in words.
    fn probe_names(&self, population: PopulationId) -> String {
        match self.pops.iter().find(|q| q.id == population).map(|q| &q.model) {
            Some(NeuronModel::Equation(eq)) => {
                let vars = eq.compiled().variables().iter();
                let names: Vec<&str> = vars.map(|v| v.name.as_str()).collect();
                format!(
                    "known variables of model {}: {}",
                    eq.compiled().name(),
                    names.join(", ")
                )
            }
            Some(model) => format!(
                "known variables of model {}: {}",
                model.spec().name,
                spec_probe_names(model.spec())
            ),
            None => String::new(),
        }
    }

    /// `record.weight_interval`: a whole number of ticks.
    pub(super) fn weight_interval(&self, raw: Option<&Spanned<Raw>>) -> Result<Option<f64>> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let what = "record.weight_interval";
        let ms = self.loader.quantity(raw, what, Dim::Time, None)?;
        let ticks = whole_ticks(ms, self.dt).or_else(|why| self.loader.err(raw.span(), what, why))?;
        Ok(Some(ticks as f64 * self.dt))
    }

    /// `record.connections`: the projections (`"pre->post"`, an index, or `"all"`) whose
    /// synapses are written out; `projections` are the file's, in order, with their
    /// `pre->post` labels.
    pub(super) fn connections(
        &self,
        raw: Option<&Spanned<Value>>,
        projections: &[ProjectionId],
        labels: &[String],
    ) -> Result<Vec<ProjectionId>> {
        let Some(raw) = raw else {
            return Ok(Vec::new());
        };
        let forms = "a list of projections, each \"pre->post\" (\"exc->inh\") or an index (0), or \"all\"";
        let mut out = Vec::new();
        for entry in self.entries(raw, "record.connections", forms)? {
            let found: Vec<usize> = match &entry {
                Value::String(s) if s == "all" => (0..projections.len()).collect(),
                Value::String(s) => {
                    let key = s.replace(' ', "");
                    (0..labels.len()).filter(|&k| labels[k] == key).collect()
                }
                Value::Integer(k) if *k >= 0 && (*k as usize) < projections.len() => vec![*k as usize],
                _ => Vec::new(),
            };
            if found.is_empty() {
                return self.loader.err(
                    raw.span(),
                    "record.connections",
                    format!(
                        "names no projection; it takes {forms} (the file has: {})",
                        labels.join(", ")
                    ),
                );
            }
            out.extend(found.into_iter().map(|k| projections[k]));
        }
        out.dedup();
        Ok(out)
    }
}

/// `exc[0:100]` -> (`exc`, Some(`0:100`)); `exc` -> (`exc`, None).
fn split_selection(text: &str) -> (&str, Option<&str>) {
    match (text.find('['), text.strip_suffix(']')) {
        (Some(i), Some(inner)) => (text[..i].trim(), Some(&inner[i + 1..])),
        _ => (text.trim(), None),
    }
}

/// The reason of an error without its field (the loader names the field with its place).
fn error_reason(e: &crate::error::Error) -> String {
    match e {
        crate::error::Error::InvalidParameter { value, allowed, .. } => format!("{value}: {allowed}"),
        other => other.to_string(),
    }
}

/// The neuron-state field a probe of `variable` reads: the model's own names for its state
/// variables, their generic names, and `v`, `u`, `syn_e`, `syn_i` for every model.
fn spec_probe_field(spec: &crate::neurons::ModelSpec, variable: &str) -> Option<StateField> {
    spec.state
        .iter()
        .find(|s| s.name == variable || s.field.generic_names().contains(&variable))
        .map(|s| s.field)
        .or(match variable {
            "v" => Some(StateField::V),
            "u" => Some(StateField::U),
            "syn_e" => Some(StateField::SynE),
            "syn_i" => Some(StateField::SynI),
            _ => None,
        })
}

/// The names a probe of a population of this model accepts.
fn spec_probe_names(spec: &crate::neurons::ModelSpec) -> String {
    let mut names: Vec<&str> = spec.state.iter().map(|s| s.name.as_ref()).collect();
    for generic in ["v", "u", "syn_e", "syn_i"] {
        if !names.contains(&generic) {
            names.push(generic);
        }
    }
    names.join(", ")
}
