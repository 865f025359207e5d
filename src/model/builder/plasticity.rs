//! Plasticity of projections and the neuromodulator channels that gate reward-modulated ones.

use crate::error::{Error, Result, invalid};
use crate::model::builder::NetworkBuilder;
use crate::model::plasticity::{ModulatorChannel, Neuromodulator, StdpParams};
use crate::model::{Connectivity, Projection, ProjectionId, Receptor};

impl NetworkBuilder {
    /// Makes projection `proj` plastic with `rule`. Only excitatory projections with
    /// non-negative bounds can be plastic, and every initial weight must lie in
    /// `[w_min, w_max]`; at most 31 projections of a network can be plastic.
    pub fn plasticity(&mut self, proj: ProjectionId, rule: StdpParams) -> Result<()> {
        self.check_projection(proj)?;
        let owner = format!("projection {} plasticity", proj.index);
        if self.net.projections[proj.index].procedural {
            return Err(invalid(
                format!("projection {}.plasticity", proj.index),
                "procedural projection",
                "a procedural projection stores no synapses, so it cannot be plastic",
            ));
        }
        if self.net.projections[proj.index].short_term.is_some() {
            return Err(invalid(
                format!("projection {}.plasticity", proj.index),
                "STDP",
                "a projection with short-term plasticity (short_term) cannot also have STDP",
            ));
        }
        rule.validate(&owner)?;
        if let Some(m) = &rule.modulation {
            self.check_channel(m.channel, &format!("{owner}.modulation.channel"))?;
        }
        check_plastic_weights(proj.index, &self.net.projections[proj.index], &rule)?;
        let plastic = self
            .net
            .projections
            .iter()
            .filter(|p| p.plasticity.is_some())
            .count();
        if self.net.projections[proj.index].plasticity.is_none() && plastic >= 31 {
            return Err(Error::LimitExceeded {
                what: "plastic projections in one network".into(),
                requested: 32,
                max: 31,
            });
        }
        self.net.projections[proj.index].plasticity = Some(rule);
        Ok(())
    }

    /// Declares the dynamics of neuromodulator `channel` (read by reward-modulated
    /// projections; see [`crate::model::plasticity::RewardModulation`]). Each channel once.
    pub fn neuromodulator(&mut self, channel: ModulatorChannel, params: Neuromodulator) -> Result<()> {
        let owner = match channel {
            ModulatorChannel::Global => "neuromodulator 'global'".to_string(),
            ModulatorChannel::Population(p) => {
                format!("neuromodulator of population {}", p.index)
            }
        };
        self.check_channel(channel, &owner)?;
        params.validate(&owner)?;
        if self.net.neuromodulators.iter().any(|(c, _)| *c == channel) {
            return Err(invalid(
                owner,
                "declared twice",
                "each channel is declared at most once",
            ));
        }
        self.net.neuromodulators.push((channel, params));
        Ok(())
    }

    fn check_channel(&self, channel: ModulatorChannel, field: &str) -> Result<()> {
        if let ModulatorChannel::Population(p) = channel {
            if p.network != self.net.id || p.index >= self.net.populations.len() {
                return Err(invalid(
                    field,
                    format!("population {}", p.index),
                    "must be a population of this network",
                ));
            }
        }
        Ok(())
    }
}

/// A plastic projection is excitatory, with `w_min >= 0` and every initial weight in
/// `[w_min, w_max]`.
fn check_plastic_weights(index: usize, p: &Projection, rule: &StdpParams) -> Result<()> {
    let owner = format!("projection {index} plasticity");
    if p.receptor != Receptor::Excitatory {
        return Err(invalid(
            format!("projection {index}.plasticity"),
            "inhibitory",
            "STDP here acts on excitatory synapses; an inhibitory projection cannot be plastic",
        ));
    }
    if rule.w_min < 0.0 {
        return Err(invalid(
            format!("{owner}.w_min"),
            rule.w_min,
            "must be >= 0 for an excitatory projection",
        ));
    }
    let (low, high) = match &p.connectivity {
        Connectivity::Explicit(list) => list.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), c| {
            (l.min(c.weight), h.max(c.weight))
        }),
        _ => p.weight.range(),
    };
    if low < rule.w_min || high > rule.w_max {
        return Err(invalid(
            format!("projection {index}.weight"),
            format!("[{low}, {high}]"),
            &format!(
                "initial weights of a plastic projection must lie in [w_min, w_max] = [{}, {}]",
                rule.w_min, rule.w_max
            ),
        ));
    }
    Ok(())
}
