//! Neuromodulators: reading, setting and pulsing the levels of the modulator channels.

use super::Simulator;
use crate::error::{Error, Result, invalid};
use crate::model::plasticity::ModulatorChannel;

impl Simulator {
    /// The index of `channel` in the engine's channel list, refusing another network's.
    fn channel(&self, channel: ModulatorChannel) -> Result<usize> {
        if let ModulatorChannel::Population(p) = channel {
            if p.network != self.network || p.index >= self.plan.populations.len() {
                return Err(Error::UnknownHandle {
                    kind: "population",
                    index: p.index,
                    why: "it does not belong to this simulation's network".into(),
                });
            }
        }
        Ok(crate::plan::channel_index(channel) as usize)
    }

    /// Sets the level of a neuromodulator channel (for instance dopamine after a reward); it
    /// takes effect from the next tick and then relaxes towards the channel's baseline.
    pub fn set_modulator(&mut self, channel: ModulatorChannel, level: f64) -> Result<()> {
        let i = self.channel(channel)?;
        if !(level.is_finite() && level.abs() <= f64::from(f32::MAX)) {
            return Err(invalid(
                "modulator level",
                level,
                "must be finite and within the f32 range",
            ));
        }
        self.engine.set_modulator(i, level as f32)
    }

    /// Current level of a neuromodulator channel.
    pub fn modulator(&self, channel: ModulatorChannel) -> Result<f64> {
        let i = self.channel(channel)?;
        Ok(f64::from(self.engine.modulator_levels()?[i]))
    }

    /// Adds `amount` to a neuromodulator channel's current level (a reward pulse).
    pub fn add_modulator(&mut self, channel: ModulatorChannel, amount: f64) -> Result<()> {
        let level = self.modulator(channel)? + amount;
        self.set_modulator(channel, level)
    }
}
