//! The simulator's side of checkpoints: its engine's [`EngineState`] read out and put back.

use super::{EngineState, Simulator};
use crate::error::Result;

impl Simulator {
    /// Everything the rest of the run depends on ([`EngineState`]), in the layout every
    /// backend shares: a state exported by one backend continues on the other.
    pub fn export_state(&self) -> Result<EngineState> {
        self.engine.export_state(&self.plan)
    }

    /// Continues from `state`, exported from a simulator of the same network (on either
    /// backend); a state whose arrays do not fit this network is refused. The spikes recorded
    /// so far stay as they are. A test may move `state.tick` to place a run anywhere in time
    /// (the inputs drawn from the counter-based generator then follow the new ticks).
    pub fn import_state(&mut self, state: &EngineState) -> Result<()> {
        crate::limits::check_run_end(state.tick, 0)?;
        self.engine.import_state(&self.plan, state)
    }
}
