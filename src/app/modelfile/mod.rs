//! Model files: everything the Rust builder can express, as TOML.
//!
//! Quantities are written either as strings with a unit (`tau_m = "20 ms"`, `v_rest = "-65 mV"`)
//! or as bare numbers with the unit in the key (`tau_m_ms = 20`); a bare number without a unit
//! suffix is read in the canonical unit of the field (ms, mV, nS, pA, pF, Hz). Errors name the
//! field and, where the parser knows it, the line and column. See `examples/models/*.toml`.
//!
//! The loader reads the file in phases, each in its own file: the header (`dt`, `seed`,
//! `duration`), the populations (neuron parameters from the models' tables in `neurons`), the
//! neuromodulators, the projections, the inputs and the recordings.

use serde::Deserialize;
use toml::de::DeTable;

use crate::error::{Error, Result};
use crate::model::plasticity::ModulatorChannel;
use crate::model::{Conventions, Network, NetworkBuilder, PopulationId, ProjectionId};
use crate::neurons::{NeuronModel, StateField};

mod encoders;
mod equation_populations;
mod inputs;
pub mod keys;
mod overrides;
mod populations;
mod projections;
mod record;
mod schema;
mod values;
mod words;

pub use crate::neurons::Dim;
pub use overrides::Override;
use overrides::Source;
use schema::FileModel;
pub use schema::{DistTable, PerNeuronRaw, Raw, RawDist};

/// A state-variable probe: `variable` of `neurons` of `population`, every `interval_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// Population.
    pub population: PopulationId,
    /// Population name.
    pub population_name: String,
    /// The variable's name as the file gives it (`v`, `w`, `g_e`, ...).
    pub variable: String,
    /// Where it lives in the neuron state.
    pub field: StateField,
    /// Local neuron indices.
    pub neurons: Vec<u32>,
    /// Sampling interval (ms), a whole number of ticks.
    pub interval_ms: f64,
    /// Samples are taken from this time (ms) ...
    pub start_ms: f64,
    /// ... until this one, if given (ms).
    pub stop_ms: Option<f64>,
}

/// A loaded model file.
#[derive(Clone, Debug)]
pub struct ModelFile {
    /// Model name (the file's `name`, or its stem).
    pub name: String,
    /// The network.
    pub network: Network,
    /// Duration (ms), if the file gives one.
    pub duration_ms: Option<f64>,
    /// State probes.
    pub probes: Vec<Probe>,
    /// Interval (ms) of weight snapshots of every plastic projection, if requested.
    pub weight_interval_ms: Option<f64>,
    /// Neuromodulator pulses `(time_ms, channel, amount)` for `spikegpu run`, by time.
    pub modulator_pulses: Vec<(f64, ModulatorChannel, f64)>,
    /// Projections whose synapses `spikegpu run` writes out (`record.connections`).
    pub export_connections: Vec<ProjectionId>,
    /// Whether `spikegpu run` writes the populations' positions (`record.positions`).
    pub export_positions: bool,
}

/// Parses and builds a model file's text. `origin` names it in errors; `seed` overrides the
/// file's seed (all three of its parts).
pub fn parse(text: &str, origin: &str, seed: Option<u64>) -> Result<ModelFile> {
    let overrides: Vec<Override> = seed
        .map(|s| Override::new("seed", s.to_string()))
        .into_iter()
        .collect();
    parse_with(text, origin, &overrides)
}

/// Parses and builds a model file's text with `overrides` applied first (each checked and
/// reported as if the file said it, naming the override in errors).
pub fn parse_with(text: &str, origin: &str, overrides: &[Override]) -> Result<ModelFile> {
    let source = Source::new(text, overrides);
    let loader = Loader {
        text: &source.text,
        origin,
        source: &source,
    };
    let file_text = &source.text[..source.file_len];
    let mut doc = DeTable::parse(file_text).map_err(|e| loader.toml_error(&e))?;
    source.apply(doc.get_mut())?;
    let file =
        FileModel::deserialize(toml::de::Deserializer::from(doc)).map_err(|e| loader.toml_error(&e))?;
    loader.build(file)
}

/// Largest model file read, in bytes: explicit connections take about 60 bytes each, so this
/// holds a million of them; larger networks are built through the API.
pub const MAX_MODEL_FILE_BYTES: u64 = 64 << 20;

/// Reads and builds a model file from disk.
pub fn load(path: &std::path::Path, seed: Option<u64>) -> Result<ModelFile> {
    let overrides: Vec<Override> = seed
        .map(|s| Override::new("seed", s.to_string()))
        .into_iter()
        .collect();
    load_with(path, &overrides)
}

/// Reads and builds a model file from disk with `overrides` applied first.
pub fn load_with(path: &std::path::Path, overrides: &[Override]) -> Result<ModelFile> {
    let text = read_model_text(path)?;
    let mut model = parse_with(&text, &path.display().to_string(), overrides)?;
    if model.name.is_empty() {
        model.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    Ok(model)
}

/// The text of a model file: refused before reading it whole when it is not a regular file
/// (a directory, a FIFO, `/dev/zero`) or larger than [`MAX_MODEL_FILE_BYTES`].
pub fn read_model_text(path: &std::path::Path) -> Result<String> {
    use std::io::Read;
    let shown = crate::error::capped(&path.display().to_string(), crate::error::MAX_ECHOED_FIELD_CHARS);
    let cannot = |why: String| Error::InvalidNetwork(format!("cannot read model file {shown}: {why}"));
    let meta = std::fs::metadata(path).map_err(|e| cannot(e.to_string()))?;
    if !meta.is_file() {
        return Err(cannot(
            "not a regular file (a model file is a TOML text file)".into(),
        ));
    }
    let too_large = || {
        cannot(format!(
            "larger than the limit of {MAX_MODEL_FILE_BYTES} bytes (64 MiB); build larger networks through the API"
        ))
    };
    if meta.len() > MAX_MODEL_FILE_BYTES {
        return Err(too_large());
    }
    // Read through a limit as well: the file may grow, and some files report no length.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_MODEL_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| cannot(e.to_string()))?;
    if bytes.len() as u64 > MAX_MODEL_FILE_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| cannot(format!("not UTF-8 text ({e})")))
}

/// `:line:column` of byte `offset` in `text`.
fn locate(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!(":{line}:{col}")
}

/// Converts the values of one file's text, naming their positions in errors.
struct Loader<'a> {
    /// The source: the file, then the overrides' lines.
    text: &'a str,
    origin: &'a str,
    source: &'a Source,
}

impl Loader<'_> {
    /// Where byte `offset` of the source is: `file:line:column`, or the override there.
    fn place(&self, offset: usize) -> String {
        if offset > self.source.file_len {
            if let Some(o) = self.source.override_at(offset) {
                return o;
            }
        }
        format!(
            "{}{}",
            self.origin,
            locate(&self.text[..self.source.file_len], offset)
        )
    }

    /// The `conventions` keyword's meaning.
    fn conventions(&self, word: &toml::Spanned<String>) -> Result<Conventions> {
        Conventions::from_keyword(word.get_ref()).map_or_else(
            || {
                self.err(
                    word.span(),
                    "conventions",
                    format!("allowed: {}", Conventions::KEYWORDS.join(", ")),
                )
            },
            Ok,
        )
    }

    /// A TOML or shape error, at its place, in words without Rust's type names.
    fn toml_error(&self, e: &toml::de::Error) -> Error {
        let at = e
            .span()
            .map_or_else(|| self.origin.to_string(), |s| self.place(s.start));
        let message = crate::error::capped(
            &words::plain(e.message()),
            4 * crate::error::MAX_ECHOED_FIELD_CHARS,
        );
        Error::InvalidNetwork(format!("{at}: {message}"))
    }
}

/// A population as the later phases refer to it.
struct Pop {
    name: String,
    id: PopulationId,
    model: NeuronModel,
    size: u32,
}

/// What the phases share while one file is built.
struct Build<'a> {
    loader: &'a Loader<'a>,
    builder: NetworkBuilder,
    dt: f64,
    /// The seed of the network's own random quantities (positions, heterogeneity).
    seed: u64,
    pops: Vec<Pop>,
    /// The file's `[[neuron_model]]` definitions.
    equation_models: Vec<crate::equations::ModelDefinition>,
}

impl Loader<'_> {
    /// Builds the network, phase by phase in file order of dependence.
    fn build(&self, file: FileModel) -> Result<ModelFile> {
        let dt = self.quantity(&file.dt, "dt", Dim::Time, None)?;
        let seeds = self.seeds(file.seed.as_ref())?;
        let duration_ms = self.duration(file.duration.as_ref())?;
        let mut builder = NetworkBuilder::new(dt, seeds.connectivity);
        builder.set_seeds(seeds);
        if let Some(word) = &file.conventions {
            builder.conventions(self.conventions(word)?);
        }
        let mut net = Build {
            loader: self,
            builder,
            dt,
            seed: seeds.connectivity,
            pops: Vec::new(),
            equation_models: equation_populations::read_definitions(self.origin, &file.neuron_models)?,
        };
        for (i, population) in file.populations.iter().enumerate() {
            net.population(i, population)?;
        }
        for (i, encoder) in file.encoders.iter().enumerate() {
            net.encoder(i, encoder)?;
        }
        let modulator_pulses = net.neuromodulators(&file.neuromodulators)?;
        let mut projections = Vec::new();
        for (i, projection) in file.projections.iter().enumerate() {
            projections.push(net.projection(i, projection)?);
        }
        for (i, poisson) in file.poisson.iter().enumerate() {
            net.poisson(i, poisson)?;
        }
        for (i, current) in file.currents.iter().enumerate() {
            net.current(i, current)?;
        }
        let record = &file.record;
        net.record_spikes(record.spikes.as_ref())?;
        net.record_rates(record.rates.as_ref(), record.rate_bin.as_ref())?;
        let probes = net.probes(&record.state)?;
        let weight_interval_ms = net.weight_interval(record.weight_interval.as_ref())?;
        let labels: Vec<String> = file
            .projections
            .iter()
            .map(|p| format!("{}->{}", p.get_ref().pre.get_ref(), p.get_ref().post.get_ref()))
            .collect();
        let export_connections = net.connections(record.connections.as_ref(), &projections, &labels)?;
        Ok(ModelFile {
            name: file.name.unwrap_or_default(),
            network: net.builder.build()?,
            duration_ms,
            probes,
            weight_interval_ms,
            modulator_pulses,
            export_connections,
            export_positions: record.positions,
        })
    }
}
