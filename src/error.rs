//! The library's error type. Every variant carries what a user needs to fix the input: the
//! field, the offending value and the allowed range, or the numbers behind a limit.

/// Errors returned by network construction, planning and simulation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter is outside its allowed range.
    #[error("{field} = {value} is out of range: {allowed}")]
    InvalidParameter {
        /// Dotted path of the field, e.g. `population 'exc'.tau_m_ms`.
        field: String,
        /// The value that was given.
        value: String,
        /// The allowed range, in words.
        allowed: String,
    },
    /// The network as a whole is inconsistent (for example a handle from another network).
    #[error("invalid network: {0}")]
    InvalidNetwork(String),
    /// A size exceeds what the plan or the device can hold.
    #[error("{what} needs {requested} but at most {max} is possible")]
    LimitExceeded {
        /// What was being sized.
        what: String,
        /// The amount needed.
        requested: u64,
        /// The most that is available.
        max: u64,
    },
    /// No GPU adapter could be found or opened.
    #[error(
        "no usable GPU adapter: {0}. On Debian/Ubuntu without a GPU, `apt-get install mesa-vulkan-drivers` provides Mesa's software Vulkan driver (lavapipe)"
    )]
    NoAdapter(String),
    /// The GPU reported an error (validation, out of memory, device lost).
    #[error("GPU error: {0}")]
    Gpu(String),
    /// A backend name that is not one of the known ones.
    #[error("unknown backend '{0}': allowed values are gpu, cpu, auto")]
    UnknownBackend(String),
    /// Writing results failed (unwritable directory, full disk).
    #[error("{0}")]
    Output(String),
    /// A neuron's state became NaN or infinite (the watchdog, [`crate::sim::NonFinitePolicy`]).
    #[error("{0}; the run stopped after that tick (spikegpu run --on-nonfinite warn goes on)")]
    NonFinite(Box<crate::sim::NonFiniteEvent>),
    /// A checkpoint that cannot be restored: unreadable, corrupt, truncated, of another
    /// version or of another network.
    #[error("checkpoint {path}: {why}")]
    Checkpoint {
        /// The checkpoint file.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// A population or projection handle that does not belong to this simulation.
    #[error("unknown {kind} handle {index}: {why}")]
    UnknownHandle {
        /// `population` or `projection`.
        kind: &'static str,
        /// The handle's index.
        index: usize,
        /// Why it was rejected.
        why: String,
    },
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Builds an [`Error::InvalidParameter`].
pub(crate) fn invalid(field: impl Into<String>, value: impl ToString, allowed: &str) -> Error {
    Error::InvalidParameter {
        field: field.into(),
        value: value.to_string(),
        allowed: allowed.to_string(),
    }
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn check_positive(field: impl FnOnce() -> String, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(invalid(field(), value, "must be finite and > 0"))
    }
}

/// Checks that `value` is finite and not negative.
pub(crate) fn check_non_negative(field: impl FnOnce() -> String, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(field(), value, "must be finite and >= 0"))
    }
}

/// Checks that `value` is finite.
pub(crate) fn check_finite(field: impl FnOnce() -> String, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(invalid(field(), value, "must be a finite number"))
    }
}
