//! `Model`: a validated network with its recordings, loaded from a model file or built from a
//! Python document by the engine's model-file loader.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikegpu::app::modelfile::{self, ModelFile};
use spikegpu::{NeuronModel, PopulationId, ProjectionId};

use crate::{guarded, to_py};

/// A validated, immutable network with its probes and duration: what `spikegpu.load`,
/// `spikegpu.loads` and `spikegpu.Network.build` return, and what `Simulator` runs.
#[pyclass(frozen, module = "spikegpu._spikegpu")]
pub struct Model {
    pub(crate) file: Arc<ModelFile>,
}

/// Loads a model file (TOML). `seed` overrides the file's seed.
#[pyfunction]
#[pyo3(signature = (path, seed=None))]
pub(crate) fn load(path: std::path::PathBuf, seed: Option<u64>) -> PyResult<Model> {
    guarded(|| {
        let file = modelfile::load(&path, seed).map_err(to_py)?;
        Ok(Model { file: Arc::new(file) })
    })
}

/// Builds a model from model-file text (TOML). `origin` names the text in error messages.
#[pyfunction]
#[pyo3(signature = (text, seed=None, origin="<string>"))]
pub(crate) fn loads(text: &str, seed: Option<u64>, origin: &str) -> PyResult<Model> {
    guarded(|| {
        let file = modelfile::parse(text, origin, seed).map_err(to_py)?;
        Ok(Model { file: Arc::new(file) })
    })
}

/// Builds a model from a document: a dict in the layout of a model file (`population`,
/// `projection`, `poisson`, `current`, `neuromodulator`, `record` lists and tables). The
/// document is written as TOML and read by the model-file loader, so errors are the loader's
/// (their line and column refer to `document_to_toml(document)`).
#[pyfunction]
#[pyo3(signature = (document, seed=None, origin="<network>"))]
pub(crate) fn from_document(
    document: &Bound<'_, PyDict>,
    seed: Option<u64>,
    origin: &str,
) -> PyResult<Model> {
    guarded(|| {
        let text = crate::document::document_text(document)?;
        let file = modelfile::parse(&text, origin, seed).map_err(to_py)?;
        Ok(Model { file: Arc::new(file) })
    })
}

impl Model {
    /// The population called `key` (a name) or at position `key` (an int).
    pub(crate) fn population(&self, key: &Bound<'_, PyAny>) -> PyResult<PopulationId> {
        let net = &self.file.network;
        if let Ok(name) = key.extract::<String>() {
            return net.population(&name).ok_or_else(|| {
                let known: Vec<&str> = net.populations.iter().map(|p| p.name.as_str()).collect();
                PyValueError::new_err(format!(
                    "population '{name}' does not exist (defined: {})",
                    known.join(", ")
                ))
            });
        }
        let index: i64 = key.extract().map_err(|_| {
            PyValueError::new_err(format!("a population is named by a string or an int, not {key}"))
        })?;
        let ids = net.population_ids();
        usize::try_from(index)
            .ok()
            .and_then(|i| ids.get(i).copied())
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "population index {index} is out of range (the network has {})",
                    ids.len()
                ))
            })
    }

    /// The projection at position `index`.
    pub(crate) fn projection(&self, index: i64) -> PyResult<ProjectionId> {
        let ids = self.file.network.projection_ids();
        usize::try_from(index)
            .ok()
            .and_then(|i| ids.get(i).copied())
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "projection index {index} is out of range (the network has {})",
                    ids.len()
                ))
            })
    }
}

fn model_name(model: &NeuronModel) -> String {
    let builtin = match model {
        NeuronModel::Lif(_) => "lif",
        NeuronModel::LifCond(_) => "lif_cond",
        NeuronModel::Izhikevich(_) => "izhikevich",
        NeuronModel::AdEx(_) => "adex",
        NeuronModel::HodgkinHuxley(_) => "hh",
        NeuronModel::SpikeSource { .. } => "spike_source",
        NeuronModel::PoissonSource { .. } => "poisson_source",
        NeuronModel::PoissonSequence(_) => "poisson_sequence",
        NeuronModel::Equation(eq) => return eq.definition().name.clone(),
    };
    builtin.to_string()
}

#[pymethods]
impl Model {
    /// The model's name (the file's `name`, or its stem).
    #[getter]
    fn name(&self) -> &str {
        &self.file.name
    }

    /// Time step (ms).
    #[getter]
    fn dt(&self) -> f64 {
        self.file.network.dt_ms
    }

    /// Seed of every random quantity.
    #[getter]
    fn seed(&self) -> u64 {
        self.file.network.seed
    }

    /// Duration (ms) the file asks for, or None.
    #[getter]
    fn duration(&self) -> Option<f64> {
        self.file.duration_ms
    }

    /// Total number of neurons.
    #[getter]
    fn neuron_count(&self) -> u64 {
        self.file.network.neuron_count()
    }

    /// Populations in order, as (name, size, model, first global index) tuples.
    #[getter]
    fn populations(&self) -> Vec<(String, u32, String, u32)> {
        let mut start = 0;
        self.file
            .network
            .populations
            .iter()
            .map(|p| {
                let row = (p.name.clone(), p.size, model_name(&p.model), start);
                start += p.size;
                row
            })
            .collect()
    }

    /// Projections in order, as (pre name, post name, receptor, plastic) tuples.
    #[getter]
    fn projections(&self) -> Vec<(String, String, &'static str, bool)> {
        let net = &self.file.network;
        net.projections
            .iter()
            .map(|p| {
                let receptor = match p.receptor {
                    spikegpu::Receptor::Excitatory => "excitatory",
                    spikegpu::Receptor::Inhibitory => "inhibitory",
                };
                (
                    net.populations[p.pre.index()].name.clone(),
                    net.populations[p.post.index()].name.clone(),
                    receptor,
                    p.plasticity.is_some(),
                )
            })
            .collect()
    }

    /// Probes the model asks for, as (population, variable, neurons, interval_ms) tuples.
    #[getter]
    fn probes(&self) -> Vec<(String, String, Vec<u32>, f64)> {
        self.file
            .probes
            .iter()
            .map(|p| {
                (
                    p.population_name.clone(),
                    p.variable.clone(),
                    p.neurons.clone(),
                    p.interval_ms,
                )
            })
            .collect()
    }

    fn __repr__(&self) -> String {
        let net = &self.file.network;
        format!(
            "<spikegpu.Model '{}': {} populations, {} neurons, {} projections, dt {} ms, seed {}>",
            self.file.name,
            net.populations.len(),
            net.neuron_count(),
            net.projections.len(),
            net.dt_ms,
            net.seed
        )
    }
}
