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

use crate::error::{Error, Result};
use crate::model::plasticity::ModulatorChannel;
use crate::model::{Network, NetworkBuilder, PopulationId};
use crate::neurons::NeuronModel;

mod equation_populations;
mod inputs;
mod populations;
mod projections;
mod record;
mod schema;
mod values;

pub use crate::neurons::Dim;
use schema::FileModel;
pub use schema::{DistTable, PerNeuronRaw, Raw, RawDist};

/// A state-variable probe: `variable` of `neurons` of `population`, every `interval_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// Population.
    pub population: PopulationId,
    /// Population name.
    pub population_name: String,
    /// `v`, `u`, `syn_e` or `syn_i`, or a variable of a user-defined model.
    pub variable: String,
    /// The `NeuronState` field that holds it.
    pub field: crate::neurons::StateField,
    /// Local neuron indices.
    pub neurons: Vec<u32>,
    /// Sampling interval (ms), a whole number of ticks.
    pub interval_ms: f64,
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
}

/// Parses and builds a model file's text. `origin` names it in errors; `seed` overrides the
/// file's seed.
pub fn parse(text: &str, origin: &str, seed: Option<u64>) -> Result<ModelFile> {
    let file: FileModel = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| locate(text, s.start)).unwrap_or_default();
        Error::InvalidNetwork(format!("{origin}{at}: {}", e.message()))
    })?;
    Loader { text, origin }.build(file, seed)
}

/// Reads and builds a model file from disk.
pub fn load(path: &std::path::Path, seed: Option<u64>) -> Result<ModelFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::InvalidNetwork(format!("cannot read model file {}: {e}", path.display())))?;
    let mut model = parse(&text, &path.display().to_string(), seed)?;
    if model.name.is_empty() {
        model.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    Ok(model)
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
    text: &'a str,
    origin: &'a str,
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
    seed: u64,
    pops: Vec<Pop>,
    /// The file's `[[neuron_model]]` definitions.
    equation_models: Vec<crate::equations::ModelDefinition>,
}

impl Loader<'_> {
    /// Builds the network, phase by phase in file order of dependence.
    fn build(&self, file: FileModel, seed: Option<u64>) -> Result<ModelFile> {
        let dt = self.quantity(&file.dt, "dt", Dim::Time, None)?;
        let seed = seed.unwrap_or(file.seed);
        let duration_ms = self.duration(file.duration.as_ref())?;
        let mut net = Build {
            loader: self,
            builder: NetworkBuilder::new(dt, seed),
            dt,
            seed,
            pops: Vec::new(),
            equation_models: equation_populations::read_definitions(self.origin, &file.neuron_models)?,
        };
        for (i, population) in file.populations.iter().enumerate() {
            net.population(i, population)?;
        }
        let modulator_pulses = net.neuromodulators(&file.neuromodulators)?;
        for (i, projection) in file.projections.iter().enumerate() {
            net.projection(i, projection)?;
        }
        for (i, poisson) in file.poisson.iter().enumerate() {
            net.poisson(i, poisson)?;
        }
        for (i, current) in file.currents.iter().enumerate() {
            net.current(i, current)?;
        }
        net.record_spikes(file.record.spikes.as_deref())?;
        let probes = net.probes(&file.record.state)?;
        let weight_interval_ms = net.weight_interval(file.record.weight_interval.as_ref())?;
        Ok(ModelFile {
            name: file.name.unwrap_or_default(),
            network: net.builder.build()?,
            duration_ms,
            probes,
            weight_interval_ms,
            modulator_pulses,
        })
    }
}
