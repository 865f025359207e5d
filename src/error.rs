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
    /// A rank of a distributed run failed; every rank reports the lowest failing rank's
    /// message ([`crate::distributed`], feature `mpi`).
    #[error("rank {rank} of the distributed run failed: {message}")]
    RankFailed {
        /// The (lowest) rank that failed.
        rank: u32,
        /// Its error.
        message: String,
        /// Whether its error was an input error (exit code 2 on every rank).
        input: bool,
    },
    /// A checkpoint that cannot be restored: unreadable, corrupt, truncated, of another
    /// version or of another network.
    #[error("checkpoint {path}: {why}")]
    Checkpoint {
        /// The checkpoint file.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// The network needs more memory than the machine (or the budget the user set) has,
    /// estimated before the arrays are built.
    #[error(
        "not enough {memory} memory: {needs} needs about {} at its peak ({breakdown}), but {} is available ({origin})",
        crate::plan::resources::bytes_text(*.needed),
        crate::plan::resources::bytes_text(*.available)
    )]
    MemoryExceeded {
        /// `host` or `device '<adapter>'`.
        memory: String,
        /// What needs it, e.g. `planning and running this network on the CPU backend`.
        needs: String,
        /// Bytes needed at the peak.
        needed: u64,
        /// Bytes available.
        available: u64,
        /// The largest parts of the peak, largest first, with their sizes.
        breakdown: String,
        /// Where the available figure comes from (`MemAvailable`, a budget the user set, ...)
        /// and how to change it.
        origin: String,
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

impl Error {
    /// Whether the error is caused by the input (parameters, network, sizes and limits,
    /// handles, backend names, output paths) rather than by the machine at run time: the
    /// command line exits 2 for these, 1 for the others (no adapter, GPU failures).
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::InvalidParameter { .. }
            | Error::InvalidNetwork(_)
            | Error::LimitExceeded { .. }
            | Error::MemoryExceeded { .. }
            | Error::UnknownBackend(_)
            | Error::UnknownHandle { .. }
            | Error::Output(_)
            | Error::Checkpoint { .. } => true,
            Error::RankFailed { input, .. } => *input,
            Error::NoAdapter(_) | Error::Gpu(_) | Error::NonFinite(_) => false,
        }
    }
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest value an error message echoes whole, in characters.
pub const MAX_ECHOED_VALUE_CHARS: usize = 100;

/// Longest field name an error message echoes whole, in characters (fields hold user names).
pub const MAX_ECHOED_FIELD_CHARS: usize = 200;

/// Text as an error message shows it: cut to `max` characters with an ellipsis and the total
/// length, so that a huge value in a file cannot flood the terminal.
pub(crate) fn capped(text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max.saturating_sub(24)).collect();
    format!("{head}... ({total} characters)")
}

/// A value as an error message shows it: a number too long to read (more than 20 digits,
/// such as 1e30 or f64::MAX written out) in exponent form, anything else as given; then
/// capped at [`MAX_ECHOED_VALUE_CHARS`].
pub(crate) fn shown_value(text: String) -> String {
    if text.len() > 20 {
        if let Ok(x) = text.trim().parse::<f64>() {
            if x.is_finite() {
                return format!("{x:e}");
            }
        }
    }
    capped(&text, MAX_ECHOED_VALUE_CHARS)
}

/// Builds an [`Error::LimitExceeded`] for a quantity computed in f64 (summed weights): one too
/// large for a u64 is shown as written (`1e30`), not as the saturated `18446744073709551615`.
pub(crate) fn limit_exceeded_f64(what: String, requested: f64, max: u64) -> Error {
    if requested.is_finite() && requested < 1e18 {
        return Error::LimitExceeded {
            what,
            requested: requested.ceil() as u64,
            max,
        };
    }
    invalid(
        what,
        format!("{requested:e}"),
        &format!("at most {max} is possible"),
    )
}

/// A distribution's bound as a message shows it: the defaults of a bound the user left out
/// (`f64::MIN`, `f64::MAX`) as words, not as 309 digits.
pub(crate) fn shown_bound(x: f64) -> String {
    if x <= f64::MIN {
        "unbounded below (no `low` given)".into()
    } else if x >= f64::MAX {
        "unbounded above (no `high` given)".into()
    } else {
        x.to_string()
    }
}

/// Builds an [`Error::InvalidParameter`], the value shown by [`shown_value`].
pub(crate) fn invalid(field: impl Into<String>, value: impl ToString, allowed: &str) -> Error {
    Error::InvalidParameter {
        field: capped(&field.into(), MAX_ECHOED_FIELD_CHARS),
        value: shown_value(value.to_string()),
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
