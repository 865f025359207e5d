//! Handles of populations and projections: small copyable ids tied to one network.

/// Handle of a population inside one network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PopulationId {
    pub(crate) network: u64,
    pub(crate) index: usize,
}

impl PopulationId {
    /// Position of the population in the network, in order of creation.
    pub fn index(self) -> usize {
        self.index
    }
}

/// Handle of a projection inside one network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProjectionId {
    pub(crate) network: u64,
    pub(crate) index: usize,
}

impl ProjectionId {
    /// Position of the projection in the network, in order of creation.
    pub fn index(self) -> usize {
        self.index
    }
}
