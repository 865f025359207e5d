//! Short-term plasticity phase: the Tsodyks-Markram projections' constants, one state slot
//! per (projection, presynaptic neuron), and the slot's segment of the merged row. A
//! projection with per-synapse `U` also keeps `(U, u, x)` per synapse; its slots then only
//! time the intervals between spikes.
//!
//! The update ([`crate::model::short_term`]) takes the decays over an interval of `h` ticks
//! as products of per-bit factors in f32 ([`decay_over`]), the same multiplications on both
//! backends, so the CPU and the GPU compute the same `u` and `x` (the interval is taken
//! modulo 2^32 ticks on both).

use bytemuck::{Pod, Zeroable};

use crate::error::{Result, invalid};
use crate::model::Network;
use crate::plan::rank::Partition;
use crate::plan::{PopulationPlan, ProjectionPlan};

/// Decay factors per time constant: over 2^k ticks for k = 0..31.
pub const DECAY_POWERS: usize = 32;
/// Words of one projection's entry in the device table ([`ShortTermGpu`]).
pub const PROJECTION_WORDS: usize = 4 + 2 * DECAY_POWERS;
/// Words of one slot's state on the device: two copies of (u, x, tick, kind).
pub const STATE_WORDS: usize = 8;
/// Words of one slot's segment on the device: begin, end, and the word offset of its first
/// synapse's state (0: the slot's state serves every synapse).
pub const SEGMENT_WORDS: usize = 3;
/// Words of one synapse's own state on the device: `U`, `u`, `x`.
pub const SYNAPSE_WORDS: usize = 3;
/// Words of the device buffer's header: projections, segment offset, state offset, offset
/// of the per-synapse states.
pub const HEADER_WORDS: usize = 4;
/// [`ShortTermTables::first_synapse`] of a slot without per-synapse state.
pub const NO_SYNAPSE_STATE: u32 = u32::MAX;

/// A Tsodyks-Markram projection as both backends see it. The decays over `h` ticks are the
/// products of the factors of `h`'s set bits, each factor `exp(-2^k dt / tau)` rounded to
/// f32 on its own (relative error below 2e-6 for any `h`; one f32 factor per tick raised to
/// `h` would err by `h` times its rounding).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct ShortTermGpu {
    /// First global index of the presynaptic population.
    pub pre_start: u32,
    /// Size of the presynaptic population.
    pub pre_size: u32,
    /// Slot of its first presynaptic neuron.
    pub slot_base: u32,
    /// `U`.
    pub u: f32,
    /// `exp(-2^k dt / tau_rec)`.
    pub rec: [f32; DECAY_POWERS],
    /// `exp(-2^k dt / tau_facil)` (all 0 without facilitation).
    pub facil: [f32; DECAY_POWERS],
}

/// Every Tsodyks-Markram projection of a plan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShortTermTables {
    /// The projections, in creation order.
    pub projections: Vec<ShortTermGpu>,
    /// Per slot, its synapses in the merged CSR (`[begin, end)`).
    pub segments: Vec<[u32; 2]>,
    /// Per slot, the index in `synapse_u` of its first synapse ([`NO_SYNAPSE_STATE`] when
    /// the projection's `U` is homogeneous).
    pub first_synapse: Vec<u32>,
    /// `U` of each synapse of the projections with per-synapse `U`.
    pub synapse_u: Vec<f32>,
}

impl ShortTermTables {
    /// Whether no projection has short-term plasticity.
    pub fn is_empty(&self) -> bool {
        self.projections.is_empty()
    }

    /// State slots (one per projection and presynaptic neuron).
    pub fn slots(&self) -> usize {
        self.segments.len()
    }

    /// The device buffer's initial contents: header, projections, segments (with the word
    /// offset of their per-synapse states), then per slot copy A = (U, 1, tick 0, kind 1: no
    /// spike yet) and an empty copy B (kind 0), then per synapse with its own `U` (U, U, 1).
    pub fn device_words(&self) -> Vec<u32> {
        let seg_offset = HEADER_WORDS + PROJECTION_WORDS * self.projections.len();
        let state_offset = seg_offset + SEGMENT_WORDS * self.slots();
        let synapse_offset = state_offset + STATE_WORDS * self.slots();
        let mut words = vec![
            self.projections.len() as u32,
            seg_offset as u32,
            state_offset as u32,
            synapse_offset as u32,
        ];
        for p in &self.projections {
            words.extend_from_slice(bytemuck::cast_slice(std::slice::from_ref(p)));
        }
        for (seg, &first) in self.segments.iter().zip(&self.first_synapse) {
            let state = match first {
                NO_SYNAPSE_STATE => 0,
                k => (synapse_offset + SYNAPSE_WORDS * k as usize) as u32,
            };
            words.extend([seg[0], seg[1], state]);
        }
        for p in &self.projections {
            for _ in 0..p.pre_size {
                words.extend([p.u.to_bits(), 1.0f32.to_bits(), 0, 1, 0, 0, 0, 0]);
            }
        }
        for &u in &self.synapse_u {
            words.extend([u.to_bits(), u.to_bits(), 1.0f32.to_bits()]);
        }
        words
    }
}

/// The decay over `ticks` ticks from the factors of its set bits, lowest first (the device
/// multiplies in the same order).
#[inline(always)]
pub fn decay_over(factors: &[f32; DECAY_POWERS], ticks: u32) -> f32 {
    let mut result = 1.0f32;
    for (k, f) in factors.iter().enumerate() {
        if ticks >> k & 1 == 1 {
            result *= f;
        }
    }
    result
}

/// One presynaptic spike `ticks` after the previous one (`None`: the first, after an
/// infinite interval): the new `(u, x)` from the old, in NEST's `tsodyks2_synapse` order (`x`
/// first, with the old `u`).
#[inline(always)]
pub fn advance(p: &ShortTermGpu, u: f32, x: f32, ticks: Option<u32>) -> (f32, f32) {
    advance_with(p, p.u, u, x, ticks)
}

/// As [`advance`], for a synapse with its own `U` (`big_u`).
#[inline(always)]
pub fn advance_with(p: &ShortTermGpu, big_u: f32, u: f32, x: f32, ticks: Option<u32>) -> (f32, f32) {
    let (x_decay, u_decay) = match ticks {
        None => (0.0, 0.0),
        Some(h) if p.facil[0] == 0.0 => (decay_over(&p.rec, h), 0.0),
        Some(h) => (decay_over(&p.rec, h), decay_over(&p.facil, h)),
    };
    let used = x * u;
    let x_new = 1.0 + (x - used - 1.0) * x_decay;
    let kept = u * (1.0 - big_u);
    let u_new = big_u + kept * u_decay;
    (u_new, x_new)
}

/// The tables of `net`'s Tsodyks-Markram projections over the merged rows `row_ptr` (rows of
/// the populations `pops`); a per-synapse `U` of the wrong length is refused. On a rank of a
/// distributed run (`share`) the rows are the whole network's, and the per-synapse `U`s
/// kept are those of the rank's synapses.
pub(super) fn short_term_tables(
    net: &Network,
    pops: &[PopulationPlan],
    projections: &[ProjectionPlan],
    row_ptr: &[u32],
    share: Option<&Partition>,
) -> Result<ShortTermTables> {
    let mut tables = ShortTermTables::default();
    for (k, proj) in net.projections.iter().enumerate() {
        let Some(tm) = proj.short_term else { continue };
        let pre = &pops[proj.pre.index].gpu;
        let powers = |tau: f64| -> [f32; DECAY_POWERS] {
            std::array::from_fn(|k| match tau > 0.0 {
                true => (-(2f64.powi(k as i32)) * net.dt_ms / tau).exp() as f32,
                false => 0.0,
            })
        };
        tables.projections.push(ShortTermGpu {
            pre_start: pre.start,
            pre_size: pre.size,
            slot_base: tables.segments.len() as u32,
            u: tm.u as f32,
            rec: powers(tm.tau_rec_ms),
            facil: powers(tm.tau_facil_ms),
        });
        let p = &projections[k];
        let synapse_base = tables.synapse_u.len() as u32;
        if let Some(u) = &proj.short_term_u {
            let all = share.map_or(p.synapses, |part| part.projection_sizes[k]);
            if u.len() as u64 != all {
                return Err(invalid(
                    format!("projection {k}.short_term.u"),
                    format!("{} values", u.len()),
                    &format!("one per synapse ({all})"),
                ));
            }
            match share {
                Some(part) => tables
                    .synapse_u
                    .extend(part.kept_index[k].iter().map(|&s| u[s as usize] as f32)),
                None => tables.synapse_u.extend(u.iter().map(|&u| u as f32)),
            }
        }
        for r in 0..pre.size as usize {
            let before: u32 = p
                .earlier_siblings
                .iter()
                .map(|&j| projections[j].local_row_ptr[r + 1] - projections[j].local_row_ptr[r])
                .sum();
            let begin = row_ptr[pre.start as usize + r] + before;
            tables
                .segments
                .push([begin, begin + p.local_row_ptr[r + 1] - p.local_row_ptr[r]]);
            tables.first_synapse.push(match proj.short_term_u {
                Some(_) => synapse_base + p.local_row_ptr[r],
                None => NO_SYNAPSE_STATE,
            });
        }
    }
    Ok(tables)
}
