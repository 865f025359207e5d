//! Inputs phase: Poisson inputs (an exact CDF table per rate segment, compared as integers on
//! every backend) and current sources (DC, steps, noise, sine), with the bounds the fixed-point
//! scale needs.

use crate::error::{Result, invalid};
use crate::model::{CurrentSource, Network, PoissonInput};
use crate::plan::layout::{CurrentGpu, CurrentStep, PoissonGpu, PoissonSegment};
use crate::plan::{Plan, PopulationPlan};
use crate::rng::stream;

/// Largest |z| of the noise current's standardised Irwin-Hall(8) draw: 4 * sqrt(12/8).
pub const NOISE_Z_MAX: f64 = 4.899;

/// Thresholds `t_k = floor(P(K <= k) * 2^32)` of a Poisson(lambda) count, up to the first `k`
/// whose tail is below 2^-32. A draw `r` (uniform u32) gives `K = #{k : r >= t_k}`, an integer
/// comparison that is identical on every backend.
pub fn poisson_cdf_table(lambda: f64) -> Vec<u32> {
    if lambda <= 0.0 {
        return Vec::new();
    }
    let two32 = 4_294_967_296.0f64;
    let mut table = Vec::new();
    let mut pmf = (-lambda).exp();
    let mut cdf = pmf;
    let mut k = 0u32;
    loop {
        let t = (cdf * two32).floor();
        if t >= two32 - 1.0 || k > 1000 {
            break;
        }
        table.push(t as u32);
        k += 1;
        pmf *= lambda / f64::from(k);
        cdf += pmf;
    }
    table
}

/// The Poisson inputs' tables.
pub(super) struct PoissonTables {
    pub inputs: Vec<PoissonGpu>,
    pub segments: Vec<PoissonSegment>,
    pub cdf: Vec<u32>,
    /// Per input, the largest count one draw can give (the longest table of its segments).
    pub k_max: Vec<u32>,
}

/// Tables of every Poisson input, their fixed-point weights still 0 (set once the scale is
/// known). A rate above 100 expected spikes per tick is refused: its table would be long.
pub(super) fn poisson_tables(net: &Network, pops: &[PopulationPlan]) -> Result<PoissonTables> {
    let mut tables = PoissonTables {
        inputs: Vec::new(),
        segments: Vec::new(),
        cdf: Vec::new(),
        k_max: Vec::new(),
    };
    let mut thread_start = 0u32;
    for (i, input) in net.poisson_inputs.iter().enumerate() {
        let target = &pops[input.target.index].gpu;
        let seg_offset = tables.segments.len() as u32;
        let k_max = push_segments(&mut tables, i, input, net.dt_ms)?;
        tables.inputs.push(PoissonGpu {
            target_start: target.start,
            target_count: target.size,
            thread_start,
            port: input.receptor.port(),
            weight_fixed: 0,
            seg_offset,
            seg_count: input.schedule.len() as u32,
            stream: stream::POISSON + i as u32,
        });
        tables.k_max.push(k_max);
        thread_start += target.size;
    }
    Ok(tables)
}

/// Appends the rate segments of input `i` and their CDF tables; returns the longest table.
fn push_segments(tables: &mut PoissonTables, i: usize, input: &PoissonInput, dt: f64) -> Result<u32> {
    let mut k_max = 0u32;
    for &(t, rate) in &input.schedule {
        let lambda = rate * dt * 1e-3;
        if lambda > 100.0 {
            return Err(invalid(
                format!("poisson input {i}.rate_hz"),
                rate,
                &format!(
                    "must be <= {} Hz at dt = {dt} ms (at most 100 expected spikes per tick); split it into several inputs",
                    100.0 / (dt * 1e-3)
                ),
            ));
        }
        let table = poisson_cdf_table(lambda);
        k_max = k_max.max(table.len() as u32);
        tables.segments.push(PoissonSegment {
            start_tick: (t / dt).round() as u32,
            cdf_offset: tables.cdf.len() as u32,
            cdf_len: table.len() as u32,
            _pad: 0,
        });
        tables.cdf.extend_from_slice(&table);
    }
    Ok(k_max)
}

/// The current sources' tables.
pub(super) struct CurrentTables {
    pub sources: Vec<CurrentGpu>,
    pub steps: Vec<CurrentStep>,
    /// Per global neuron, the largest |current| all its sources can inject at once.
    pub bound: Vec<f64>,
    /// Per input, its source and its entries in `sources`.
    pub inputs: Vec<PlannedCurrent>,
}

/// A current input as planned: what [`crate::sim::Simulator::set_current`] re-encodes.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedCurrent {
    /// The source.
    pub source: CurrentSource,
    /// Its entries in [`crate::plan::Plan::currents`] (one per run of consecutive targets).
    pub entries: std::ops::Range<usize>,
}

/// Spare step-table entries per current input, so that a source changed between runs
/// ([`crate::sim::Simulator::set_current`]) may gain a few steps.
pub const SPARE_STEPS_PER_INPUT: usize = 4;

/// Tables of every current source. The step table has [`SPARE_STEPS_PER_INPUT`] unused
/// entries per input at its end (the device buffer's room for later changes).
/// On a rank (`partition`), only the owned neurons of a subset are targets.
pub(super) fn current_tables(
    net: &Network,
    pops: &[PopulationPlan],
    n_neurons: u32,
    partition: Option<&super::rank::Partition>,
) -> CurrentTables {
    let mut tables = CurrentTables {
        sources: Vec::new(),
        steps: Vec::new(),
        bound: vec![0.0f64; n_neurons as usize],
        inputs: Vec::new(),
    };
    let mut thread_start = 0u32;
    for (i, input) in net.current_inputs.iter().enumerate() {
        let target = &pops[input.target.index].gpu;
        let first = tables.sources.len();
        let runs = match (input.neurons.as_deref(), partition) {
            (Some(list), Some(part)) => super::rank::owned_targets(list, part),
            (list, _) => target_runs(list, target.size),
        };
        for (run_start, run_len, local_offset) in runs {
            tables.sources.push(CurrentGpu {
                target_start: target.start + run_start,
                target_count: run_len,
                thread_start,
                stream: stream::CURRENT + i as u32,
                local_offset,
                ..CurrentGpu::default()
            });
            thread_start += run_len;
        }
        tables.inputs.push(PlannedCurrent {
            source: input.source.clone(),
            entries: first..tables.sources.len(),
        });
    }
    encode_currents(&mut tables, net.dt_ms);
    let spare = SPARE_STEPS_PER_INPUT * tables.inputs.len();
    tables
        .steps
        .resize(tables.steps.len() + spare, CurrentStep::default());
    tables
}

/// `(first index, count, index among the targets)` of each run of consecutive targets: one
/// run of the whole population when `neurons` is `None`. `neurons` is sorted and distinct.
fn target_runs(neurons: Option<&[u32]>, size: u32) -> Vec<(u32, u32, u32)> {
    let Some(list) = neurons else {
        return vec![(0, size, 0)];
    };
    let mut runs: Vec<(u32, u32, u32)> = Vec::new();
    for (k, &i) in list.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if run.0 + run.1 == i => run.1 += 1,
            _ => runs.push((i, 1, k as u32)),
        }
    }
    runs
}

/// Writes every input's source into its entries, rebuilding the step table and the
/// per-neuron bounds (the entries' targets are kept).
pub(crate) fn encode_currents(tables: &mut CurrentTables, dt: f64) {
    tables.steps.clear();
    tables.bound.iter_mut().for_each(|b| *b = 0.0);
    for input in &tables.inputs {
        for e in input.entries.clone() {
            let c = &mut tables.sources[e];
            let bound = encode_source(c, &mut tables.steps, &input.source, dt);
            for t in c.target_start..c.target_start + c.target_count {
                tables.bound[t as usize] += bound;
            }
        }
    }
}

/// Writes the kind and amplitudes of `source` into `c` (steps into `steps`); returns the
/// largest |current| it can inject (noise: cut at [`NOISE_Z_MAX`] standard deviations).
fn encode_source(c: &mut CurrentGpu, steps: &mut Vec<CurrentStep>, source: &CurrentSource, dt: f64) -> f64 {
    match source {
        CurrentSource::Dc { amplitude } => {
            c.kind = 0;
            c.a0 = *amplitude as f32;
            amplitude.abs()
        }
        CurrentSource::Step { times_ms, amplitudes } => {
            c.kind = 1;
            c.step_offset = steps.len() as u32;
            c.step_count = times_ms.len() as u32;
            for (t, a) in times_ms.iter().zip(amplitudes) {
                steps.push(CurrentStep {
                    tick: (t / dt).round() as u32,
                    amplitude: *a as f32,
                });
            }
            amplitudes.iter().fold(0.0f64, |m, a| m.max(a.abs()))
        }
        CurrentSource::Noise { mean, std } => {
            c.kind = 2;
            c.a0 = *mean as f32;
            c.a1 = *std as f32;
            mean.abs() + NOISE_Z_MAX * std
        }
        CurrentSource::WhiteNoise { mean, sigma, tau_ms } => {
            let std = sigma * (tau_ms / dt).sqrt();
            encode_source(c, steps, &CurrentSource::Noise { mean: *mean, std }, dt)
        }
        CurrentSource::Sine {
            amplitude,
            offset,
            frequency_hz,
            phase_deg,
            start_ms,
            stop_ms,
        } => {
            c.kind = 3;
            c.a0 = *offset as f32;
            c.a1 = *amplitude as f32;
            c.step_offset = (start_ms / dt).round().min(f64::from(u32::MAX - 1)) as u32;
            c.step_count = if stop_ms.is_finite() {
                (stop_ms / dt).round().min(f64::from(u32::MAX - 1)) as u32
            } else {
                u32::MAX
            };
            c.phase_step = cycle_fraction(frequency_hz * dt * 1e-3);
            c.phase0 = cycle_fraction(phase_deg / 360.0);
            offset.abs() + amplitude.abs()
        }
    }
}

/// The fractional part of `cycles` in units of 2^-32 cycle.
fn cycle_fraction(cycles: f64) -> u32 {
    let fraction = cycles.rem_euclid(1.0);
    ((fraction * 4_294_967_296.0).round() as u64 & 0xFFFF_FFFF) as u32
}

impl Plan {
    /// Replaces the source of current input `input` (already checked) in the current tables,
    /// keeping its targets. Refused, leaving the plan as it was, if the step table outgrows
    /// the room left at build or the currents could overflow the fixed-point scale.
    pub fn set_current_source(&mut self, input: usize, source: CurrentSource) -> Result<()> {
        let n = self.n_neurons as usize;
        let mut tables = CurrentTables {
            sources: self.currents.clone(),
            steps: Vec::new(),
            bound: vec![0.0; n],
            inputs: self.current_inputs.clone(),
        };
        tables.inputs[input].source = source;
        encode_currents(&mut tables, self.dt_ms);
        let room = self.current_steps.len();
        if tables.steps.len() > room {
            return Err(invalid(
                format!("current input {input} steps"),
                tables.steps.len(),
                &format!(
                    "the current inputs' steps may total at most {room} after a change (the table's size at build plus {SPARE_STEPS_PER_INPUT} per input)"
                ),
            ));
        }
        tables.steps.resize(room, CurrentStep::default());
        let mut extra = self.input_extra.clone();
        for (t, b) in tables.bound.iter().enumerate() {
            extra.0[2 * n + t] = *b;
            extra.1[2 * n + t] = if *b > 0.0 { 1.0 } else { 0.0 };
        }
        let old = std::mem::replace(&mut self.input_extra, extra);
        if let Err(e) = self.check_fixed_point(&self.weights) {
            self.input_extra = old;
            return Err(e);
        }
        self.currents = tables.sources;
        self.current_steps = tables.steps;
        self.current_inputs = tables.inputs;
        Ok(())
    }

    /// Replaces Poisson input `input`'s rate (and any schedule) by `rate_hz` from tick 0 on:
    /// one segment, its CDF table in place of the old ones where it fits, else at the end.
    /// Refused, leaving the plan as it was, for a rate that is negative, not finite or above
    /// 100 expected spikes per tick, or whose largest draw could overflow the fixed-point
    /// scale chosen at build.
    pub fn set_poisson_rate(&mut self, input: usize, rate_hz: f64) -> Result<()> {
        let field = format!("poisson input {input}.rate_hz");
        crate::error::check_non_negative(|| field.clone(), rate_hz)?;
        let dt = self.dt_ms;
        if rate_hz * dt * 1e-3 > 100.0 {
            return Err(invalid(
                field,
                rate_hz,
                &format!(
                    "must be <= {} Hz at dt = {dt} ms (at most 100 expected spikes per tick)",
                    1e5 / dt
                ),
            ));
        }
        let table = poisson_cdf_table(rate_hz * dt * 1e-3);
        let p = self.poisson[input];
        let segments = p.seg_offset as usize..(p.seg_offset + p.seg_count) as usize;
        let old = &self.poisson_segments[segments.clone()];
        let old_k_max = old.iter().map(|s| s.cdf_len).max().unwrap_or(0);
        // An input's tables were appended one after another.
        let room = old.first().map_or(0..0, |s| {
            let end = old
                .iter()
                .map(|s| s.cdf_offset + s.cdf_len)
                .max()
                .unwrap_or(s.cdf_offset);
            s.cdf_offset as usize..end as usize
        });
        let (n, weight) = (
            self.n_neurons as usize,
            f64::from(self.poisson_weights[input]).abs(),
        );
        let mut extra = self.input_extra.clone();
        let change = f64::from(table.len() as u32) - f64::from(old_k_max);
        for t in p.target_start..p.target_start + p.target_count {
            let idx = p.port as usize * n + t as usize;
            extra.0[idx] = (extra.0[idx] + change * weight).max(0.0);
            extra.1[idx] = (extra.1[idx] + change).max(0.0);
        }
        let old_extra = std::mem::replace(&mut self.input_extra, extra);
        if let Err(e) = self.check_fixed_point(&self.weights) {
            self.input_extra = old_extra;
            return Err(e);
        }
        let cdf_offset = if table.len() <= room.len() {
            room.start
        } else {
            self.poisson_cdf.len()
        };
        let end = cdf_offset + table.len();
        if end > self.poisson_cdf.len() {
            self.poisson_cdf.resize(end, 0);
        }
        self.poisson_cdf[cdf_offset..end].copy_from_slice(&table);
        self.poisson_segments[segments.start] = PoissonSegment {
            start_tick: 0,
            cdf_offset: cdf_offset as u32,
            cdf_len: table.len() as u32,
            _pad: 0,
        };
        self.poisson[input].seg_count = 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_table_reproduces_the_poisson_cdf() {
        let lambda = 2.0f64;
        let t = poisson_cdf_table(lambda);
        assert!(t.len() > 10 && t.len() < 30);
        let p0 = (-lambda).exp();
        assert_eq!(t[0], (p0 * 4_294_967_296.0).floor() as u32);
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert!(poisson_cdf_table(0.0).is_empty());
    }
}
