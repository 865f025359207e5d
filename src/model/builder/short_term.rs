//! Short-term plasticity of projections ([`crate::model::short_term`]).

use crate::error::{Result, invalid};
use crate::model::ProjectionId;
use crate::model::builder::NetworkBuilder;
use crate::model::short_term::TsodyksMarkram;

impl NetworkBuilder {
    /// Gives projection `proj` Tsodyks-Markram short-term plasticity: each spike delivers
    /// `w u x`. Not with STDP on the same projection, nor on a procedural projection.
    pub fn short_term(&mut self, proj: ProjectionId, tm: TsodyksMarkram) -> Result<()> {
        self.check_projection(proj)?;
        let field = format!("projection {}.short_term", proj.index);
        tm.validate(&field)?;
        let p = &self.net.projections[proj.index];
        if p.plasticity.is_some() {
            return Err(invalid(
                field,
                "Tsodyks-Markram",
                "a projection with STDP (plasticity) cannot also have short-term plasticity",
            ));
        }
        if p.procedural {
            return Err(invalid(
                field,
                "Tsodyks-Markram",
                "a procedural projection stores no synapses, so it cannot have short-term plasticity",
            ));
        }
        self.net.projections[proj.index].short_term = Some(tm);
        Ok(())
    }
}
