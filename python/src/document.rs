//! Python values -> a TOML document, so that a network built in Python goes through the very
//! loader that reads model files (one validation path, the engine's messages).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

/// Converts a Python value into a TOML value. Dicts become tables (string keys), other
/// iterables (lists, tuples, numpy arrays) arrays; bools, ints, floats (numpy scalars too) and
/// strings stay what they are; `path` names the value in errors.
pub(crate) fn to_toml(value: &Bound<'_, PyAny>, path: &str) -> PyResult<toml::Value> {
    if value.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        let i: i64 = value.extract().map_err(|_| {
            PyTypeError::new_err(format!("{path}: the integer {value} does not fit in 64 bits"))
        })?;
        return Ok(toml::Value::Integer(i));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(value.extract()?));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(toml::Value::String(s.extract::<String>()?));
    }
    if let Ok(d) = value.cast::<PyDict>() {
        let mut table = toml::Table::new();
        for (k, v) in d.iter() {
            let key: String = k.extract().map_err(|_| {
                PyTypeError::new_err(format!("{path}: keys must be strings, got {}", type_name(&k)))
            })?;
            let child = to_toml(&v, &join(path, &key))?;
            table.insert(key, child);
        }
        return Ok(toml::Value::Table(table));
    }
    if let Some(scalar) = numpy_scalar(value)? {
        return Ok(scalar);
    }
    if value.hasattr("__iter__")? {
        let mut items = Vec::new();
        for (i, item) in value.try_iter()?.enumerate() {
            items.push(to_toml(&item?, &format!("{path}[{i}]"))?);
        }
        return Ok(toml::Value::Array(items));
    }
    Err(PyTypeError::new_err(format!(
        "{path}: a {} cannot be part of a network description (give numbers, strings, bools, lists or dicts)",
        type_name(value)
    )))
}

/// numpy scalars (`np.float64(1.5)`, `np.int32(3)`, `np.bool_(True)`) as TOML values.
fn numpy_scalar(value: &Bound<'_, PyAny>) -> PyResult<Option<toml::Value>> {
    let module: String = value.get_type().module()?.extract()?;
    if module != "numpy" || !value.hasattr("item")? {
        return Ok(None);
    }
    let item = value.call_method0("item")?;
    if item.is_instance_of::<PyBool>() || item.is_instance_of::<PyInt>() || item.is_instance_of::<PyFloat>() {
        return to_toml(&item, "").map(Some);
    }
    Ok(None)
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The TOML text of a document (a dict in the model-file layout).
pub(crate) fn document_text(document: &Bound<'_, PyDict>) -> PyResult<String> {
    let toml::Value::Table(table) = to_toml(document.as_any(), "")? else {
        unreachable!("a dict converts to a table")
    };
    toml::to_string(&table)
        .map_err(|e| PyTypeError::new_err(format!("the network description cannot be written as TOML: {e}")))
}

/// The model-file text (TOML) that a network document (a dict in the layout of
/// `examples/models/*.toml`) stands for.
#[pyfunction]
pub(crate) fn document_to_toml(document: &Bound<'_, PyDict>) -> PyResult<String> {
    crate::guarded(|| document_text(document))
}
