//! Short-term synaptic plasticity: the Tsodyks-Markram model with NEST's `tsodyks2_synapse`
//! update (Tsodyks & Markram 1997; Maass & Markram 2002, eqs. 4-5 as NEST cites them).
//!
//! Each synapse holds a utilisation `u` and a fraction of available resources `x`, with
//! `u = U`, `x = 1` when the run starts. At each presynaptic spike, `h` ms after the previous
//! one, in this order:
//!
//! 1. `x <- 1 + (x - x u - 1) exp(-h / tau_rec)`
//! 2. `u <- U + u (1 - U) exp(-h / tau_facil)` (the exponential is 0 when `tau_facil` is 0)
//! 3. the spike delivers `w u x` (with the `u` and `x` just computed)
//!
//! The first spike has no previous one (`h` infinite) and delivers `w U`. This is what NEST
//! 3.10's `tsodyks2_synapse` delivers (checked in `tests/suite/short_term.rs` against
//! `tests/data/short_term/nest_tsodyks2.json`, made by the script beside it).
//!
//! Nothing happens between spikes, so the relaxation over the interval is exact. All synapses
//! of one presynaptic neuron in one projection see the same spikes and the same parameters,
//! so the engine keeps one (`u`, `x`) per projection and presynaptic neuron: the same values
//! as one per synapse. Parameters are per projection.

use crate::error::{Result, invalid};

/// Tsodyks-Markram short-term plasticity of a projection (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TsodyksMarkram {
    /// Utilisation increment `U`, in (0, 1].
    pub u: f64,
    /// Recovery (depression) time constant (ms), > 0.
    pub tau_rec_ms: f64,
    /// Facilitation time constant (ms), >= 0 (0: no facilitation, `u` stays `U`).
    pub tau_facil_ms: f64,
}

impl TsodyksMarkram {
    /// Checks the parameters; errors name `owner.<field>`.
    pub fn validate(&self, owner: &str) -> Result<()> {
        if !(self.u > 0.0 && self.u <= 1.0) {
            return Err(invalid(format!("{owner}.u"), self.u, "a number in (0, 1]"));
        }
        if !(self.tau_rec_ms.is_finite() && self.tau_rec_ms > 0.0) {
            return Err(invalid(
                format!("{owner}.tau_rec_ms"),
                self.tau_rec_ms,
                "a finite time constant > 0 ms",
            ));
        }
        if !(self.tau_facil_ms.is_finite() && self.tau_facil_ms >= 0.0) {
            return Err(invalid(
                format!("{owner}.tau_facil_ms"),
                self.tau_facil_ms,
                "a finite time constant >= 0 ms (0: no facilitation)",
            ));
        }
        Ok(())
    }
}
