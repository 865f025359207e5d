//! Stochastic release of projections ([`crate::model::stochastic`]).

use crate::error::{Result, invalid};
use crate::model::builder::NetworkBuilder;
use crate::model::stochastic::ReleaseProbability;
use crate::model::{Network, ProjectionId};

impl NetworkBuilder {
    /// Gives projection `proj` stochastic release: each synapse transmits each presynaptic
    /// spike with its probability, drawn independently. Not with STDP or short-term
    /// plasticity on the same projection, nor on a procedural one (checked again by
    /// [`NetworkBuilder::build`], whatever the order of the calls).
    pub fn release_probability(&mut self, proj: ProjectionId, p: ReleaseProbability) -> Result<()> {
        self.check_projection(proj)?;
        let field = format!("projection {}.release_probability", proj.index);
        let pr = &self.net.projections[proj.index];
        let size = |index: usize| self.net.populations[index].size;
        p.validate(&field, size(pr.pre.index), size(pr.post.index))?;
        self.net.projections[proj.index].release = Some(p);
        check_release(&self.net)
    }
}

/// What stochastic release is not combined with: STDP or short-term plasticity on the same
/// projection, procedural rows, and short-term plasticity anywhere in the network (the GPU
/// has one propagate variant for each, not both).
pub(super) fn check_release(net: &Network) -> Result<()> {
    let Some(k) = net.projections.iter().position(|p| p.release.is_some()) else {
        return Ok(());
    };
    for (i, p) in net.projections.iter().enumerate() {
        let field = format!("projection {i}.release_probability");
        let refusal = if p.release.is_none() {
            None
        } else if p.plasticity.is_some() {
            Some("a projection with STDP (plasticity) cannot also have stochastic release")
        } else if p.short_term.is_some() {
            Some("a projection with short-term plasticity (short_term) cannot also have stochastic release")
        } else if p.procedural {
            Some("a procedural projection stores no synapses, so it cannot have stochastic release")
        } else {
            None
        };
        if let Some(why) = refusal {
            return Err(invalid(field, "stochastic release", why));
        }
        if p.short_term.is_some() {
            return Err(invalid(
                format!("projection {k}.release_probability"),
                "stochastic release",
                &format!(
                    "a network with short-term plasticity (projection {i}.short_term) cannot also have stochastic release"
                ),
            ));
        }
    }
    Ok(())
}
