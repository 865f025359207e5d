//! Per-stage timing of the GPU's ticks (`spikegpu bench --profile`): ticks run with
//! timestamp queries written around every stage's dispatch, where the adapter supports them.
//!
//! With timestamps inside passes (`TIMESTAMP_QUERY_INSIDE_PASSES`) the ticks run exactly as in
//! a normal batch, in one compute pass, with a timestamp before and after each dispatch. With
//! timestamps at pass boundaries only (`TIMESTAMP_QUERY`), each stage runs in a pass of its
//! own: the stage times hold, but the gaps then include the cost of opening a pass. Without
//! either, the profile says so and runs nothing.

use super::GpuBackend;
use crate::error::{Error, Result};
use crate::plan::sizes::DeviceBuffer;
use crate::sim::Spike;

/// How the adapter lets the profiler time the stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum TimestampSupport {
    /// Timestamps inside a compute pass: the ticks run as in a normal batch.
    InsidePasses,
    /// Timestamps at pass boundaries only: each stage runs in a pass of its own.
    BetweenPasses,
    /// No timestamp queries on this adapter.
    Unsupported,
}

impl TimestampSupport {
    /// What `device` offers.
    pub fn of(device: &wgpu::Device) -> Self {
        let f = device.features();
        if f.contains(wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES) {
            Self::InsidePasses
        } else if f.contains(wgpu::Features::TIMESTAMP_QUERY) {
            Self::BetweenPasses
        } else {
            Self::Unsupported
        }
    }

    /// One line for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Self::InsidePasses => "timestamps inside the compute pass: the ticks ran as in a normal batch",
            Self::BetweenPasses => {
                "timestamps at pass boundaries only: each stage ran in a pass of its own, so the gaps include opening a pass"
            }
            Self::Unsupported => "this adapter offers no timestamp queries: no per-stage timing",
        }
    }
}

/// One stage's mean time per tick.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StageTiming {
    /// The stage's name (as in its WGSL entry point and its CPU twin).
    pub stage: &'static str,
    /// Mean time from just before its dispatch to just after it (microseconds per tick).
    pub mean_us: f64,
    /// Mean time from the end of this stage to the start of the next one, the next tick's
    /// first stage after the last (microseconds per tick).
    pub gap_after_us: f64,
}

/// The profile of a run of ticks.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StageProfile {
    /// How the stages were timed.
    pub support: TimestampSupport,
    /// Ticks timed.
    pub ticks: u32,
    /// Each stage of the tick, in order.
    pub stages: Vec<StageTiming>,
    /// Mean time from one tick's first timestamp to the next tick's (microseconds).
    pub tick_us: f64,
    /// Mean wall-clock time per tick of the profiled batches, submission and read-back
    /// included (microseconds).
    pub wall_us_per_tick: f64,
}

/// Sums of timestamp differences per stage, in timestamp units.
struct Sums {
    stage: Vec<f64>,
    gap: Vec<f64>,
    gaps: Vec<u64>,
    tick: f64,
    ticks_between: u64,
    ticks: u32,
}

impl Sums {
    /// Adds a batch of `ticks` ticks' timestamps: `2 * stages` per tick (before and after
    /// each stage's dispatch).
    fn add(&mut self, stamps: &[u64], ticks: usize) {
        let s = self.stage.len();
        let at = |tick: usize, q: usize| stamps[tick * 2 * s + q];
        for j in 0..ticks {
            for i in 0..s {
                self.stage[i] += at(j, 2 * i + 1).wrapping_sub(at(j, 2 * i)) as f64;
                let next = if i + 1 < s {
                    Some((j, 2 * i + 2))
                } else {
                    (j + 1 < ticks).then_some((j + 1, 0))
                };
                if let Some((jn, q)) = next {
                    self.gap[i] += at(jn, q).wrapping_sub(at(j, 2 * i + 1)) as f64;
                    self.gaps[i] += 1;
                }
            }
            if j + 1 < ticks {
                self.tick += at(j + 1, 0).wrapping_sub(at(j, 0)) as f64;
                self.ticks_between += 1;
            }
        }
        self.ticks += ticks as u32;
    }
}

impl GpuBackend {
    /// Runs `ticks` ticks with timestamps around every stage (in batches as large as a query
    /// set allows), appending the spikes to `out` as [`GpuBackend::run_ticks`] does, and
    /// returns the mean time per tick of each stage and of the gaps. Without timestamp
    /// support it runs nothing and says so in [`StageProfile::support`].
    pub fn profile_ticks(&mut self, ticks: u32, out: &mut Vec<Spike>) -> Result<StageProfile> {
        let support = TimestampSupport::of(&self.ctx.device);
        let names = self.program.stage_names();
        let s = names.len();
        let mut sums = Sums {
            stage: vec![0.0; s],
            gap: vec![0.0; s],
            gaps: vec![0; s],
            tick: 0.0,
            ticks_between: 0,
            ticks: 0,
        };
        let mut wall = 0.0;
        if support != TimestampSupport::Unsupported && s > 0 {
            let per_batch = (wgpu::QUERY_SET_MAX_QUERIES / (2 * s as u32)).max(1);
            let queries = Queries::new(&self.ctx.device, 2 * s as u32 * per_batch);
            crate::limits::check_run_end(self.counters.tick, u64::from(ticks))?;
            let end = self.counters.tick + u64::from(ticks);
            while self.counters.tick < end && !self.stopped_by_fault() {
                let k = u64::from(per_batch).min(end - self.counters.tick) as u32;
                let t0 = std::time::Instant::now();
                let (stamps, ran) = self.profiled_batch(k, end, support, &queries, out)?;
                wall += t0.elapsed().as_secs_f64();
                if ran == k {
                    sums.add(&stamps, k as usize);
                }
            }
        }
        let period_us = f64::from(self.ctx.queue.get_timestamp_period()) * 1e-3;
        let mean = |sum: f64, n: u64| if n == 0 { 0.0 } else { sum * period_us / n as f64 };
        Ok(StageProfile {
            support,
            ticks: sums.ticks,
            stages: names
                .iter()
                .enumerate()
                .map(|(i, &stage)| StageTiming {
                    stage,
                    mean_us: mean(sums.stage[i], u64::from(sums.ticks)),
                    gap_after_us: mean(sums.gap[i], sums.gaps[i]),
                })
                .collect(),
            tick_us: mean(sums.tick, sums.ticks_between),
            wall_us_per_tick: if sums.ticks == 0 {
                0.0
            } else {
                wall * 1e6 / f64::from(sums.ticks)
            },
        })
    }

    /// One batch of `k` ticks (of a run ending at tick `end`) with timestamps: its stamps and
    /// the ticks it ran (fewer when it halted on a full record ring, which then grows).
    fn profiled_batch(
        &mut self,
        k: u32,
        end: u64,
        support: TimestampSupport,
        queries: &Queries,
        out: &mut Vec<Spike>,
    ) -> Result<(Vec<u64>, u32)> {
        let device = &self.ctx.device;
        let control = self.resources.get(DeviceBuffer::Control);
        let end_words = crate::limits::tick_words(end);
        self.ctx.queue.write_buffer(
            control,
            super::streaming::END_TICK_OFFSET,
            bytemuck::cast_slice(&end_words),
        );
        let staging = &self.resources.parts(DeviceBuffer::Staging)[0];
        let n = 2 * self.program.stage_names().len() as u32 * k;
        let inside = support == TimestampSupport::InsidePasses;
        let mut enc = self.program.encode_timed_batch(
            device,
            &self.resources,
            k,
            self.params.record_capacity,
            staging,
            &queries.set,
            inside,
        );
        enc.resolve_query_set(&queries.set, 0..n, &queries.resolve, 0);
        enc.copy_buffer_to_buffer(&queries.resolve, 0, &queries.readback, 0, Some(u64::from(n) * 8));
        let submission = self.ctx.queue.submit([enc.finish()]);
        self.counters.submissions += 1;
        let (tx, mapped) = futures_intrusive::channel::shared::oneshot_channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        let (qtx, qmapped) = futures_intrusive::channel::shared::oneshot_channel();
        queries
            .readback
            .slice(..u64::from(n) * 8)
            .map_async(wgpu::MapMode::Read, move |r| {
                let _ = qtx.send(r);
            });
        let before = self.counters.tick;
        self.wait_for(submission, mapped)?;
        match pollster::block_on(qmapped.receive()) {
            Some(Ok(())) => {}
            _ => return Err(Error::Gpu("reading the timestamps back failed".into())),
        }
        let stamps = {
            let view = queries
                .readback
                .slice(..u64::from(n) * 8)
                .get_mapped_range()
                .map_err(|e| Error::Gpu(format!("mapping the timestamps failed: {e}")))?;
            bytemuck::pod_collect_to_vec::<u8, u64>(&view)
        };
        queries.readback.unmap();
        if self.drain(0, out)? {
            self.grow_records()?;
        }
        Ok((stamps, (self.counters.tick - before) as u32))
    }
}

/// The query set and the buffers its timestamps travel through.
struct Queries {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readback: wgpu::Buffer,
}

impl Queries {
    fn new(device: &wgpu::Device, count: u32) -> Self {
        let bytes = u64::from(count) * 8;
        let buffer = |label, usage| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes,
                usage,
                mapped_at_creation: false,
            })
        };
        Self {
            set: device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("spikegpu.profile"),
                ty: wgpu::QueryType::Timestamp,
                count,
            }),
            resolve: buffer(
                "spikegpu.profile.resolve",
                wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            ),
            readback: buffer(
                "spikegpu.profile.readback",
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            ),
        }
    }
}
