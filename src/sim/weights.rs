//! Weights and snapshots: reading, replacing and snapshotting a projection's weights, and its
//! eligibility traces.

use super::Simulator;
use super::engine::WeightCopy;
use crate::error::{Error, Result, invalid};
use crate::model::ProjectionId;

/// The synapses of one projection: local pre and post indices and weights, row by row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProjectionWeights {
    /// Pre-synaptic neuron (index in its population).
    pub pre: Vec<u32>,
    /// Post-synaptic neuron (index in its population).
    pub post: Vec<u32>,
    /// Weight.
    pub weights: Vec<f32>,
}

/// A weight snapshot requested with [`Simulator::request_weights`], to collect later.
#[derive(Debug, PartialEq, Eq)]
pub struct WeightTicket {
    id: u64,
    /// The tick at which the snapshot was taken (the weights after `tick` ticks).
    pub tick: u64,
}

/// A requested snapshot: which projection, where its synapses start, and the copy.
pub(super) struct PendingSnapshot {
    id: u64,
    projection: usize,
    first: u32,
    copy: WeightCopy,
}

impl Simulator {
    /// Projection `proj`'s index, refusing a procedural one (it stores no weights).
    pub(super) fn stored_projection(&self, proj: ProjectionId) -> Result<usize> {
        let k = self.projection(proj)?;
        if self.plan.projections[k].procedural {
            return Err(invalid(
                format!("projection {k}"),
                "procedural",
                "a procedural projection stores no synapses or weights (plan::procedural_row lists a row)",
            ));
        }
        if self.plan.projections[k].device {
            return Err(invalid(
                format!("projection {k}"),
                "generated on the GPU",
                "its synapses exist only on the device (build without generate_on_device to read them)",
            ));
        }
        Ok(k)
    }

    /// The synapses of `proj` with their current weights (read back from the GPU).
    pub fn weights(&self, proj: ProjectionId) -> Result<ProjectionWeights> {
        let k = self.stored_projection(proj)?;
        #[cfg(feature = "mpi")]
        if let Some(rank) = self.engine.rank_engine() {
            // Every rank's synapses, gathered (a collective).
            return rank.projection_weights(&self.plan, k);
        }
        let all = self.engine.weights(&self.plan)?;
        let mut out = self.projection_layout(k);
        out.weights = self
            .plan
            .projection_synapses(k)
            .iter()
            .map(|&s| all[s as usize])
            .collect();
        Ok(out)
    }

    /// Takes a snapshot of a projection's weights now without waiting for it: on the GPU a
    /// copy is queued behind the submitted work and the run goes on at once (it pauses only
    /// for the copy); collect it with [`Simulator::try_take_weights`] or
    /// [`Simulator::take_weights`], in any order. Uncollected snapshots hold device memory.
    pub fn request_weights(&mut self, proj: ProjectionId) -> Result<WeightTicket> {
        let k = self.stored_projection(proj)?;
        let synapses = self.plan.projection_synapses(k);
        let first = synapses.iter().copied().min().unwrap_or(0);
        let end = synapses.iter().copied().max().map_or(first, |m| m + 1);
        let copy = self.engine.request_weights(&self.plan, first..end)?;
        // Unique across simulators, so a ticket from another one is refused, not confused.
        static NEXT_SNAPSHOT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = NEXT_SNAPSHOT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.snapshots.push(PendingSnapshot {
            id,
            projection: k,
            first,
            copy,
        });
        Ok(WeightTicket {
            id,
            tick: self.ticks(),
        })
    }

    /// The snapshot of `ticket` if its copy has finished, else `None` (never blocks).
    pub fn try_take_weights(&mut self, ticket: &WeightTicket) -> Result<Option<ProjectionWeights>> {
        self.collect_snapshot(ticket, false)
    }

    /// The snapshot of `ticket`, waiting for its copy if needed.
    pub fn take_weights(&mut self, ticket: WeightTicket) -> Result<ProjectionWeights> {
        self.collect_snapshot(&ticket, true)?
            .ok_or_else(|| Error::Gpu("a weight snapshot did not arrive".into()))
    }

    fn collect_snapshot(&mut self, ticket: &WeightTicket, wait: bool) -> Result<Option<ProjectionWeights>> {
        let i = self
            .snapshots
            .iter()
            .position(|s| s.id == ticket.id)
            .ok_or_else(|| Error::UnknownHandle {
                kind: "weight snapshot",
                index: ticket.id as usize,
                why: "it was already taken or belongs to another simulator".into(),
            })?;
        let Some(values) = self.engine.finish_weights(&self.snapshots[i].copy, wait)? else {
            return Ok(None);
        };
        let snap = self.snapshots.swap_remove(i);
        let mut out = self.projection_layout(snap.projection);
        out.weights = self
            .plan
            .projection_synapses(snap.projection)
            .iter()
            .map(|&s| values[(s - snap.first) as usize])
            .collect();
        Ok(Some(out))
    }

    /// Pre and post indices of projection `k`'s synapses (weights left empty).
    fn projection_layout(&self, k: usize) -> ProjectionWeights {
        let p = &self.plan.projections[k];
        let post_start = self.plan.populations[p.post].gpu.start;
        let mut out = ProjectionWeights::default();
        for (i, w) in p.local_row_ptr.windows(2).enumerate() {
            out.pre
                .extend(std::iter::repeat_n(i as u32, (w[1] - w[0]) as usize));
        }
        out.post = self
            .plan
            .projection_synapses(k)
            .iter()
            .map(|&s| self.plan.synapses[s as usize].post - post_start)
            .collect();
        out
    }

    /// Replaces the weights of `proj` (in the order [`Simulator::weights`] returns them); they
    /// take effect from the next tick. Refused if a weight is not finite, has the wrong sign
    /// for the projection's receptor, or could overflow the fixed-point input accumulators at
    /// the scale chosen when the network was built.
    pub fn set_weights(&mut self, proj: ProjectionId, weights: &[f32]) -> Result<()> {
        let k = self.stored_projection(proj)?;
        if !self.plan.device_projections.is_empty() {
            // The overflow bound would have to include the generated synapses' in-degrees.
            return Err(invalid(
                format!("projection {k} weights"),
                "new values",
                "weights are fixed in a network whose connectivity was generated on the GPU",
            ));
        }
        self.check_new_weights(k, weights)?;
        let mut all = self.engine.weights(&self.plan)?;
        for (s, &w) in self.plan.projection_synapses(k).iter().zip(weights) {
            all[*s as usize] = w;
        }
        self.plan.check_fixed_point(&all)?;
        self.engine.set_weights(&self.plan, &all)?;
        // The plan keeps the weights last set, which static storage reads back from.
        self.plan.weights = all;
        Ok(())
    }

    /// Refuses new weights for projection `k` of the wrong count, not finite, or of the wrong
    /// sign for its receptor.
    fn check_new_weights(&self, k: usize, weights: &[f32]) -> Result<()> {
        let p = &self.plan.projections[k];
        let field = format!("projection {k} weights");
        if weights.len() as u64 != p.synapses {
            return Err(invalid(
                field,
                format!("{} values", weights.len()),
                &format!("must give one per synapse ({})", p.synapses),
            ));
        }
        let excitatory = p.port == 0;
        if let Some(i) = weights
            .iter()
            .position(|w| !w.is_finite() || (excitatory && *w < 0.0) || (!excitatory && *w > 0.0))
        {
            let allowed = if excitatory {
                "must be finite and >= 0 (excitatory)"
            } else {
                "must be finite and <= 0 (inhibitory)"
            };
            return Err(invalid(format!("{field}[{i}]"), weights[i], allowed));
        }
        Ok(())
    }

    /// Eligibility traces of a reward-modulated projection's synapses, in the order of
    /// [`Simulator::weights`].
    pub fn eligibility(&self, proj: ProjectionId) -> Result<Vec<f32>> {
        let k = self.projection(proj)?;
        if !self.plan.projections[k].modulated {
            return Err(invalid(
                format!("projection {k}"),
                "not reward-modulated",
                "only reward-modulated projections have eligibility traces",
            ));
        }
        let all = self.engine.eligibility()?;
        Ok(self
            .plan
            .projection_synapses(k)
            .iter()
            .map(|&s| all[s as usize])
            .collect())
    }
}
