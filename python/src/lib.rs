//! `spikegpu._spikegpu`: the Python extension. A thin layer over the engine's public API:
//! networks arrive as model-file documents (the same loader validates a TOML file, a Python
//! builder and PyNN), runs release the GIL, and results leave as numpy arrays.
//!
//! Every entry point converts engine errors into Python exceptions carrying the engine's
//! message, and catches panics at the boundary so that none reaches the interpreter.

mod document;
mod model;
mod simulator;

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::exceptions::{PyArithmeticError, PyMemoryError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

pyo3::create_exception!(
    _spikegpu,
    NoAdapterError,
    PyRuntimeError,
    "No usable GPU adapter could be opened (backend=\"gpu\")."
);
pyo3::create_exception!(
    _spikegpu,
    GpuError,
    PyRuntimeError,
    "The GPU reported an error (validation, out of memory, device lost)."
);
pyo3::create_exception!(
    _spikegpu,
    InternalError,
    PyRuntimeError,
    "A bug in spikegpu: an internal check failed (please report it with the message)."
);

/// The Python exception for an engine error, with the engine's message: `ValueError` for bad
/// input (parameters, networks, limits, handles, backend names, checkpoints), `MemoryError`
/// for a network refused because it would not fit in memory, `ArithmeticError` for a state
/// that became NaN or infinite, `NoAdapterError` and
/// `GpuError` for the device, `OSError` for output, `RuntimeError` for a failed rank of a
/// distributed run.
pub(crate) fn to_py(e: spikegpu::Error) -> PyErr {
    use spikegpu::Error as E;
    let msg = e.to_string();
    match e {
        E::InvalidParameter { .. }
        | E::InvalidNetwork(_)
        | E::LimitExceeded { .. }
        | E::UnknownBackend(_)
        | E::UnknownHandle { .. }
        | E::Checkpoint { .. } => PyValueError::new_err(msg),
        E::MemoryExceeded { .. } => PyMemoryError::new_err(msg),
        E::NonFinite(_) => PyArithmeticError::new_err(msg),
        E::NoAdapter(_) => NoAdapterError::new_err(msg),
        E::Gpu(_) => GpuError::new_err(msg),
        E::Output(_) => PyOSError::new_err(msg),
        E::RankFailed { .. } => PyRuntimeError::new_err(msg),
    }
}

/// Runs `f`, turning a panic into `InternalError` instead of letting it unwind into Python.
pub(crate) fn guarded<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(InternalError::new_err(format!(
                "internal error in spikegpu (a panic, caught at the Python boundary): {what}"
            )))
        }
    }
}

/// The adapters wgpu can see, each a dict: name, backend, device_type, driver, compute (whether
/// it runs compute shaders) and its key limits.
#[pyfunction]
fn devices(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    guarded(|| {
        let adapters = py.detach(spikegpu::gpu::list_adapters);
        adapters
            .into_iter()
            .map(|a| {
                let d = PyDict::new(py);
                d.set_item("name", a.name)?;
                d.set_item("backend", a.backend)?;
                d.set_item("device_type", a.device_type)?;
                d.set_item("driver", a.driver)?;
                d.set_item("compute", a.compute)?;
                d.set_item("max_storage_binding_bytes", a.max_storage_binding)?;
                d.set_item("max_buffer_bytes", a.max_buffer)?;
                d.set_item("max_storage_buffers_per_stage", a.max_storage_buffers_per_stage)?;
                d.set_item("max_workgroups_per_dim", a.max_workgroups_per_dim)?;
                Ok(d)
            })
            .collect()
    })
}

/// FNV-1a 64 of a sorted (tick, global neuron) spike list: the engine's spike hash, as
/// `spikegpu bench` prints it.
#[pyfunction]
fn spike_hash(ticks: Vec<u64>, neurons: Vec<u32>) -> PyResult<u64> {
    if ticks.len() != neurons.len() {
        return Err(PyValueError::new_err(format!(
            "spike_hash: ticks ({}) and neurons ({}) must have the same length",
            ticks.len(),
            neurons.len()
        )));
    }
    let records: Vec<_> = ticks
        .into_iter()
        .zip(neurons)
        .map(|(tick, neuron)| spikegpu::sim::Spike { tick, neuron })
        .collect();
    Ok(spikegpu::app::stats::spike_hash(&records))
}

#[pymodule]
fn _spikegpu(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("NoAdapterError", py.get_type::<NoAdapterError>())?;
    m.add("GpuError", py.get_type::<GpuError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add_function(wrap_pyfunction!(devices, m)?)?;
    m.add_function(wrap_pyfunction!(spike_hash, m)?)?;
    m.add_function(wrap_pyfunction!(model::load, m)?)?;
    m.add_function(wrap_pyfunction!(model::loads, m)?)?;
    m.add_function(wrap_pyfunction!(model::from_document, m)?)?;
    m.add_function(wrap_pyfunction!(document::document_to_toml, m)?)?;
    m.add_class::<model::Model>()?;
    m.add_class::<simulator::Simulator>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
