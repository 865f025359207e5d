//! Short-term plasticity of projections ([`crate::model::short_term`]).

use crate::error::{Result, invalid};
use crate::model::builder::NetworkBuilder;
use crate::model::short_term::TsodyksMarkram;
use crate::model::{Connectivity, ProjectionId};

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
        self.net.projections[proj.index].short_term_u = None;
        Ok(())
    }

    /// As [`NetworkBuilder::short_term`], with one `U` per synapse (`u_per_synapse`: for
    /// explicit connections in the order of their list, otherwise in the order of the
    /// projection's synapses as [`crate::Simulator::weights`] lists them); `tm.u` is not
    /// used. Each synapse then keeps its own `u` and `x`. The count must equal the
    /// projection's synapses (checked here for explicit connections, when the network is
    /// planned otherwise).
    pub fn short_term_per_synapse(
        &mut self,
        proj: ProjectionId,
        tm: TsodyksMarkram,
        u_per_synapse: Vec<f64>,
    ) -> Result<()> {
        let field = format!("projection {}.short_term.u", proj.index);
        for (i, &u) in u_per_synapse.iter().enumerate() {
            if !(u > 0.0 && u <= 1.0) {
                return Err(invalid(format!("{field}[{i}]"), u, "a number in (0, 1]"));
            }
        }
        self.check_projection(proj)?;
        if let Connectivity::Explicit(list) = &self.net.projections[proj.index].connectivity {
            if list.len() != u_per_synapse.len() {
                return Err(invalid(
                    field,
                    format!("{} values", u_per_synapse.len()),
                    &format!("one per connection ({})", list.len()),
                ));
            }
        }
        let u_per_synapse = match &self.net.projections[proj.index].connectivity {
            Connectivity::Explicit(list) => {
                // The plan sorts explicit connections stably by (pre, post).
                let mut order: Vec<usize> = (0..list.len()).collect();
                order.sort_by_key(|&i| (list[i].pre, list[i].post));
                order.iter().map(|&i| u_per_synapse[i]).collect()
            }
            _ => u_per_synapse,
        };
        let first = u_per_synapse.first().copied().unwrap_or(1.0);
        self.short_term(proj, TsodyksMarkram { u: first, ..tm })?;
        self.net.projections[proj.index].short_term_u = Some(u_per_synapse);
        Ok(())
    }
}
