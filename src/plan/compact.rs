//! Compact synapse storage for static networks: 4 bytes per synapse plus as many bits of
//! target as the largest post-synaptic population needs, lossless.
//!
//! Each synapse keeps a target index local to its projection's post-synaptic population, in
//! `target_bits` bits (15 for the microcircuit, whose largest population has 21,915 neurons:
//! 5.875 bytes per synapse), and one 32-bit word holding the fixed-point weight (the very
//! integer the input accumulator adds, `round_half_even(w * S)`) above its delay in ticks:
//! `word = (w_fixed << delay_bits) | delay`. Targets are a bit stream, 32 of them in
//! `target_bits` words, low bits first (`target_at`). The port, the post population and the pre
//! population are per projection, so synapses are stored projection by projection, each with
//! its own row pointers, and a spike walks the rows of every projection leaving its
//! population. Row pointers are 32-bit and relative to the projection's first synapse, whose
//! position is 64-bit: the arrays may hold more than 2^32 synapses (each projection fewer),
//! at 4 bytes of row pointer per pre-synaptic neuron and projection. Delivery adds exactly what the wide format (target, delay/port word, f32
//! weight: 12 bytes) adds, so spike trains are bit-identical.
//!
//! Networks qualify when no projection is plastic and every fixed-point weight fits beside
//! the delay bits. Otherwise the GPU keeps the wide format.

use crate::plan::layout::CompactProjection;
use crate::plan::{Plan, to_fixed};

/// The compact arrays of a plan, ready to upload.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompactSynapses {
    /// Bits of each word holding the delay (the rest is the signed fixed-point weight).
    pub delay_bits: u32,
    /// Per synapse: `(w_fixed << delay_bits) | delay`.
    pub words: Vec<u32>,
    /// Bits of each target index.
    pub target_bits: u32,
    /// Target indices within the post populations, a stream of `target_bits` bits per
    /// synapse (see [`target_at`]).
    pub targets: Vec<u32>,
    /// Row pointers of every projection, concatenated (`pre size + 1` each).
    pub row_ptr: Vec<u32>,
    /// Projections grouped by pre-synaptic population.
    pub projections: Vec<CompactProjection>,
    /// Per population: `[first, count]` into `projections` of the projections leaving it.
    pub outgoing: Vec<[u32; 2]>,
    /// Per GPU-generated projection (order of `Plan::device_projections`): offset of its
    /// row pointers, reserved here and filled once the GPU has counted its rows.
    pub device_rows: Vec<u32>,
    /// Per GPU-generated projection: its index in `projections`, whose `first` is set once
    /// the GPU has counted its rows.
    pub device_slots: Vec<usize>,
    /// Synapses the GPU generates after the `words.len()` encoded here.
    pub device_synapses: u64,
}

/// Bits of each compact word holding the delay: enough for the plan's longest delay.
pub fn delay_bits(plan: &Plan) -> u32 {
    32 - plan.ring_slots.saturating_sub(1).max(1).leading_zeros()
}

/// Bits of the compact target indices of `plan`: enough for the largest post-synaptic
/// population of a stored (not procedural) projection, at least 1.
pub fn target_bits(plan: &Plan) -> u32 {
    plan.projections
        .iter()
        .filter(|p| !p.procedural)
        .map(|p| {
            32 - plan.populations[p.post]
                .gpu
                .size
                .saturating_sub(1)
                .leading_zeros()
        })
        .max()
        .unwrap_or(0)
        .max(1)
}

/// Target `s` of a stream of `bits`-bit targets: bits `[s * bits, (s + 1) * bits)`, low
/// bits first, possibly across two words. Mirrors the target read in `propagate_compact`.
pub fn target_at(targets: &[u32], bits: u32, s: u64) -> u32 {
    let bit = s * u64::from(bits);
    let (word, shift) = ((bit >> 5) as usize, (bit & 31) as u32);
    let mut t = targets[word] >> shift;
    if shift + bits > 32 {
        t |= targets[word + 1] << (32 - shift);
    }
    t & target_mask(bits)
}

/// The low `bits` bits set.
pub fn target_mask(bits: u32) -> u32 {
    u32::MAX >> (32 - bits)
}

/// Word chunks whose targets share one chunk of targets: a word chunk of `2^shift` synapses
/// has `bits * 2^(shift - 5)` words of targets, so `32 / bits` of them fit in a chunk no
/// larger than the word chunk.
pub fn target_chunk_span(bits: u32) -> u32 {
    32 / bits
}

/// Appends `value` (below 2^bits) to a stream of `bits`-bit fields holding `*len` fields.
fn push_bits(stream: &mut Vec<u32>, len: &mut u64, bits: u32, value: u32) {
    let bit = *len * u64::from(bits);
    let (word, shift) = ((bit >> 5) as usize, (bit & 31) as u32);
    let end = (bit + u64::from(bits)).div_ceil(32) as usize;
    stream.resize(end.max(stream.len()), 0);
    stream[word] |= value << shift;
    if shift + bits > 32 {
        stream[word + 1] |= value >> (32 - shift);
    }
    *len += 1;
}

/// Synapses the host-encoded part is padded to when generated ones follow: a whole number of
/// words of targets for every target width, so the generated part shares none with it.
pub const GENERATED_ALIGN: usize = 32;

/// The largest power-of-two scale, at most `cap`, at which every weight of `plan` (host-built
/// ones from `weights`, and the largest a GPU-generated projection can draw) fits as a
/// fixed-point integer beside the delay bits, with room for rounding; `None` if none does.
pub fn weight_scale_cap(plan: &Plan, weights: &[f32], cap: f32) -> Option<f32> {
    let limit = (1i64 << (31 - delay_bits(plan))) as f64;
    let host = weights.iter().fold(0.0f64, |m, &w| m.max(f64::from(w).abs()));
    let largest = plan
        .device_projections
        .iter()
        .fold(host, |m, d| m.max(d.weight.max_abs()));
    let mut scale = f64::from(cap);
    while scale >= 1.0 {
        if largest * scale + 0.5 < limit {
            return Some(scale as f32);
        }
        scale /= 2.0;
    }
    None
}

/// A 64-bit position as the (lo, hi) words the shaders read.
pub fn split(position: u64) -> [u32; 2] {
    [position as u32, (position >> 32) as u32]
}

/// Where synapse `r` of a projection whose first synapse is at `first` lies in chunks of
/// `2^shift` words (`1 <= shift <= 31`): (chunk, index within it). Mirrors
/// `chunk_position.wgsl`, which has only 32-bit integers: no intermediate sum there reaches
/// 2^32 (tests/suite/gpu_limits.rs compares the two past 2^32 synapses).
pub fn chunk_position(first: [u32; 2], r: u32, shift: u32) -> (u32, u32) {
    let mask = (1u32 << shift) - 1;
    let base_chunk = (first[1] << (32 - shift)) | (first[0] >> shift);
    let within = (first[0] & mask) + (r & mask);
    (base_chunk + (r >> shift) + (within >> shift), within & mask)
}

impl CompactSynapses {
    /// Encodes the plan's synapses with `weights` (merged CSR order), or says why the network
    /// does not qualify.
    pub fn encode(plan: &Plan, weights: &[f32]) -> Result<Self, String> {
        Self::encode_scaled(plan, weights, plan.fixed_scale)
    }

    /// As [`CompactSynapses::encode`] at fixed-point `scale`, reserving row pointers for the
    /// projections the GPU generates (their synapses follow the encoded ones, from a multiple
    /// of [`GENERATED_ALIGN`]).
    pub fn encode_scaled(plan: &Plan, weights: &[f32], scale: f32) -> Result<Self, String> {
        if !plan.plastic.is_empty() {
            return Err("plastic synapses keep f32 weights".into());
        }
        if !plan.release.is_empty() {
            return Err("synapses with stochastic release keep their thresholds beside f32 weights".into());
        }
        if !plan.short_term.is_empty() {
            return Err("synapses with short-term plasticity are delivered at w u x from f32 weights".into());
        }
        if plan.synapses.len() as u64 > u64::from(u32::MAX) {
            return Err("more than 2^32 synapses".into());
        }
        let delay_bits = delay_bits(plan);
        let target_bits = target_bits(plan);
        let mut order: Vec<usize> = (0..plan.projections.len())
            .filter(|&k| !plan.projections[k].procedural)
            .collect();
        order.sort_by_key(|&k| plan.projections[k].pre);
        let device_index = |k: usize| plan.projections[..k].iter().filter(|p| p.device).count();
        let mut out = CompactSynapses {
            delay_bits,
            target_bits,
            words: Vec::with_capacity(plan.synapses.len()),
            targets: Vec::with_capacity((plan.synapses.len() * target_bits as usize).div_ceil(32)),
            outgoing: vec![[0, 0]; plan.populations.len()],
            device_rows: vec![0; plan.device_projections.len()],
            device_slots: vec![0; plan.device_projections.len()],
            ..Self::default()
        };
        let mut encoded_targets = 0u64;
        for &k in &order {
            let p = &plan.projections[k];
            let post = plan.populations[p.post].gpu;
            let entry = &mut out.outgoing[p.pre];
            if entry[1] == 0 {
                entry[0] = out.projections.len() as u32;
            }
            entry[1] += 1;
            // A rank's rows are by global neuron: its pre population's start in the whole network.
            let pre_populations = plan
                .partition
                .as_ref()
                .map_or(&plan.populations, |part| &part.global_populations);
            out.projections.push(CompactProjection {
                pre_start: pre_populations[p.pre].gpu.start,
                post_start: post.start,
                port: p.port,
                row_base: out.row_ptr.len() as u32,
                first: split(out.words.len() as u64),
            });
            if p.device {
                out.reserve_device_rows(plan, device_index(k), scale)?;
            } else {
                out.encode_projection(plan, k, (weights, scale), &mut encoded_targets)?;
            }
        }
        if out.device_synapses > 0 {
            // Generated synapses start on a fresh word of targets.
            let padded = out.words.len().next_multiple_of(GENERATED_ALIGN);
            out.words.resize(padded, 0);
            out.targets.resize(padded * target_bits as usize / 32, 0);
        }
        Ok(out)
    }

    /// The largest fixed-point weight a word holds beside the delay bits, plus one: weights
    /// must lie in `-limit..limit`.
    fn weight_limit(&self) -> (u32, i64) {
        let weight_bits = 32 - self.delay_bits;
        (weight_bits, 1i64 << (weight_bits - 1))
    }

    /// Reserves empty rows for device-generated projection `d` (the last one pushed), after
    /// checking that its largest weight fits.
    fn reserve_device_rows(&mut self, plan: &Plan, d: usize, scale: f32) -> Result<(), String> {
        let (weight_bits, limit) = self.weight_limit();
        let generated = &plan.device_projections[d];
        // The GPU rounds to nearest: leave room for the rounding.
        let max = generated.weight.max_abs() * f64::from(scale);
        if max + 0.5 >= limit as f64 {
            return Err(format!(
                "a fixed-point weight (up to {max:.0}) needs more than the {weight_bits} bits beside {} delay bits",
                self.delay_bits
            ));
        }
        self.device_rows[d] = self.row_ptr.len() as u32;
        self.device_slots[d] = self.projections.len() - 1;
        self.row_ptr
            .extend(std::iter::repeat_n(0, generated.pre_size as usize + 1));
        self.device_synapses += u64::from(generated.n_total);
        Ok(())
    }

    /// Encodes the stored synapses of projection `k` (the last one pushed): its row pointers,
    /// then one word (weight, delay) and one packed target per synapse.
    fn encode_projection(
        &mut self,
        plan: &Plan,
        k: usize,
        (weights, scale): (&[f32], f32),
        encoded_targets: &mut u64,
    ) -> Result<(), String> {
        let (weight_bits, limit) = self.weight_limit();
        let (delay_bits, target_bits) = (self.delay_bits, self.target_bits);
        let p = &plan.projections[k];
        let post_start = plan.populations[p.post].gpu.start;
        self.row_ptr.extend_from_slice(&p.local_row_ptr);
        for s in plan.projection_synapses(k) {
            let syn = plan.synapses[s as usize];
            let w = i64::from(to_fixed(weights[s as usize], scale));
            if w < -limit || w >= limit {
                return Err(format!(
                    "a fixed-point weight ({w}) needs more than the {weight_bits} bits beside {delay_bits} delay bits"
                ));
            }
            self.words.push(((w as i32 as u32) << delay_bits) | syn.delay());
            push_bits(
                &mut self.targets,
                encoded_targets,
                target_bits,
                syn.post - post_start,
            );
        }
        Ok(())
    }

    /// Number of synapses encoded on the host (the GPU generates `device_synapses` more).
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Words of weights/delays in all, generated ones included.
    pub fn total_words(&self) -> u64 {
        self.words.len() as u64 + self.device_synapses
    }

    /// Words of targets in all, generated ones included.
    pub fn total_target_words(&self) -> u64 {
        (self.total_words() * u64::from(self.target_bits)).div_ceil(32)
    }

    /// Whether there is no synapse.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Position (compact order) of the first synapse of projection `k`.
    pub fn first(&self, k: usize) -> u64 {
        let [lo, hi] = self.projections[k].first;
        u64::from(lo) | (u64::from(hi) << 32)
    }

    /// Decodes synapse `s` (compact order): target index within its post population, delay
    /// in ticks, fixed-point weight. Mirrors `propagate_compact.wgsl`.
    pub fn decode(&self, s: usize) -> (u32, u32, i32) {
        let word = self.words[s];
        let delay = word & ((1 << self.delay_bits) - 1);
        let weight = (word as i32) >> self.delay_bits;
        (
            target_at(&self.targets, self.target_bits, s as u64),
            delay,
            weight,
        )
    }

    /// Device bytes per synapse: the word, the target and the row pointers spread over the
    /// synapses.
    pub fn bytes_per_synapse(&self) -> f64 {
        let n = self.total_words();
        if n == 0 {
            return 0.0;
        }
        (n * 4 + self.total_target_words() * 4 + self.row_ptr.len() as u64 * 4) as f64 / n as f64
    }
}
