//! [`NetworkBuilder`]: adds populations, projections and inputs one by one, validating each as it
//! comes, then checks the whole and freezes it into a [`Network`]. One file per kind of piece.

mod inputs;
mod plasticity;
mod populations;
mod projections;
mod short_term;
mod stochastic;
mod validation;

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::model::{Network, ProjectionId, Seeds};

pub use validation::MAX_DELAY_TICKS;

static NEXT_NETWORK_ID: AtomicU64 = AtomicU64::new(1);

/// Builds a [`Network`]; every method validates its input.
#[must_use]
#[derive(Debug)]
pub struct NetworkBuilder {
    net: Network,
}
impl NetworkBuilder {
    /// A builder that continues from a built network (same handles), to add to it.
    pub fn from_network(net: Network) -> Self {
        Self { net }
    }

    /// The time step (ms) the network is built with.
    pub fn dt_ms(&self) -> f64 {
        self.net.dt_ms
    }

    /// Handles of the projections added so far.
    pub fn projection_ids(&self) -> Vec<ProjectionId> {
        self.net.projection_ids()
    }

    /// A new, empty network with time step `dt_ms` and `seed`. `dt_ms` is checked in
    /// [`NetworkBuilder::build`].
    pub fn new(dt_ms: f64, seed: u64) -> Self {
        Self {
            net: Network {
                id: NEXT_NETWORK_ID.fetch_add(1, Ordering::Relaxed),
                dt_ms,
                seed,
                seeds: Seeds::all(seed),
                populations: Vec::new(),
                projections: Vec::new(),
                poisson_inputs: Vec::new(),
                current_inputs: Vec::new(),
                neuromodulators: Vec::new(),
                conventions: crate::model::Conventions::default(),
            },
        }
    }

    /// Sets the seeds of connectivity, initial state and inputs apart (by default all three
    /// are the seed given to [`NetworkBuilder::new`]).
    pub fn set_seeds(&mut self, seeds: Seeds) {
        self.net.seeds = seeds;
    }

    /// Sets the timing conventions (by default spikegpu's own): with
    /// [`Conventions::Nest`](crate::model::Conventions::Nest) or
    /// [`Conventions::Brian2`](crate::model::Conventions::Brian2) a ported network gives that
    /// simulator's refractory count, synaptic latency, spike stamps and threshold comparison.
    pub fn conventions(&mut self, conventions: crate::model::Conventions) {
        self.net.conventions = conventions;
    }

    /// Checks that `proj` is a projection of this network.
    fn check_projection(&self, proj: ProjectionId) -> Result<()> {
        if proj.network != self.net.id || proj.index >= self.net.projections.len() {
            return Err(Error::UnknownHandle {
                kind: "projection",
                index: proj.index,
                why: "it belongs to another network".into(),
            });
        }
        Ok(())
    }
}
