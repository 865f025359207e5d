//! The run loop: batches of ticks submitted two at a time into alternating staging buffers;
//! the host drains one (control block and spike records) while the GPU computes the next. A
//! batch that halts because the record ring filled up makes the ring grow before the next. A
//! batch the watchdog halted (a non-finite state, with `fault_stops` set) ends the run after
//! its faulting tick: the batches behind it run nothing.

use std::collections::VecDeque;

use super::GpuBackend;
use crate::error::{Error, Result};
use crate::plan::layout::{Control, SpikeRecord};
use crate::plan::sizes::{CONTROL_BYTES, DeviceBuffer, records_bytes, staging_bytes};
use crate::sim::{NonFiniteFault, Spike};

/// Byte offset of `Control::end_tick` (its high word follows).
pub(super) const END_TICK_OFFSET: u64 = std::mem::offset_of!(Control, end_tick) as u64;

type MapReceiver =
    futures_intrusive::channel::shared::OneshotReceiver<std::result::Result<(), wgpu::BufferAsyncError>>;

/// A submitted batch whose staging buffer is being mapped.
struct InFlight {
    staging: usize,
    ticks: u32,
    submission: wgpu::SubmissionIndex,
    mapped: MapReceiver,
}

/// Batches in flight, oldest first.
#[derive(Default)]
struct Batches {
    queue: VecDeque<InFlight>,
    next_staging: usize,
}

impl Batches {
    fn pending_ticks(&self) -> u64 {
        self.queue.iter().map(|b| u64::from(b.ticks)).sum()
    }
}

impl GpuBackend {
    /// Runs `ticks` ticks, appending every spike (sorted by tick, then neuron) to `out`.
    /// No host round trip happens inside a batch; the loop keeps two batches in flight.
    pub fn run_ticks(&mut self, ticks: u64, out: &mut Vec<Spike>) -> Result<()> {
        let start = self.counters.tick;
        crate::limits::check_run_end(start, ticks)?;
        let end = start + ticks;
        if ticks == 0 || self.stopped_by_fault() {
            return Ok(());
        }
        let control = self.resources.get(DeviceBuffer::Control);
        let end_words = crate::limits::tick_words(end);
        self.ctx
            .queue
            .write_buffer(control, END_TICK_OFFSET, bytemuck::cast_slice(&end_words));
        let mut batches = Batches::default();
        let mut reached = start;
        let mut grow = false;
        loop {
            while !grow
                && !self.stopped_by_fault()
                && batches.queue.len() < 2
                && reached + batches.pending_ticks() < end
            {
                let left = end - reached - batches.pending_ticks();
                let k = u64::from(self.options.ticks_per_batch).min(left) as u32;
                self.submit_batch(&mut batches, k);
            }
            let Some(batch) = batches.queue.pop_front() else {
                break;
            };
            self.wait_for(batch.submission, batch.mapped)?;
            grow |= self.drain(batch.staging, out)?;
            reached = self.counters.tick;
            if grow && batches.queue.is_empty() {
                self.grow_records()?;
                grow = false;
            }
        }
        if self.counters.tick != end && !self.stopped_by_fault() {
            return Err(Error::Gpu(format!(
                "the GPU stopped at tick {} instead of {end}",
                self.counters.tick
            )));
        }
        Ok(())
    }

    /// Whether the watchdog stopped the run (a recorded fault with the stop policy).
    pub(super) fn stopped_by_fault(&self) -> bool {
        self.fault.is_some() && self.fault_stops
    }

    /// Encodes and submits a batch of `ticks` ticks into the next staging buffer and asks for
    /// that buffer to be mapped once the batch is done.
    fn submit_batch(&mut self, batches: &mut Batches, ticks: u32) {
        let idx = batches.next_staging;
        batches.next_staging ^= 1;
        let staging = &self.resources.parts(DeviceBuffer::Staging)[idx];
        let cmd = self.program.encode_batch(
            &self.ctx.device,
            &self.resources,
            ticks,
            self.params.record_capacity,
            staging,
        );
        let submission = self.ctx.queue.submit([cmd]);
        self.counters.submissions += 1;
        let (tx, mapped) = futures_intrusive::channel::shared::oneshot_channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        batches.queue.push_back(InFlight {
            staging: idx,
            ticks,
            submission,
            mapped,
        });
    }

    /// Blocks until `submission` has run and its staging buffer is mapped.
    pub(super) fn wait_for(&self, submission: wgpu::SubmissionIndex, mapped: MapReceiver) -> Result<()> {
        self.ctx
            .device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(submission),
                timeout: None,
            })
            .map_err(|e| Error::Gpu(format!("waiting for the GPU failed: {e}")))?;
        self.ctx.check()?;
        match pollster::block_on(mapped.receive()) {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(Error::Gpu(format!("reading spike records back failed: {e}"))),
            None => Err(Error::Gpu("the read-back of spike records was dropped".into())),
        }
    }

    /// Reads one staging buffer: control snapshot and this batch's records. Returns whether
    /// the batch halted early on a full record ring.
    pub(super) fn drain(&mut self, idx: usize, out: &mut Vec<Spike>) -> Result<bool> {
        // The batch began where the last drained one ended; its records hold low words.
        let first_tick = self.counters.tick;
        let staging = &self.resources.parts(DeviceBuffer::Staging)[idx];
        let control: Control;
        {
            let view = staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| Error::Gpu(format!("mapping the staging buffer failed: {e}")))?;
            control = bytemuck::pod_read_unaligned(&view[..size_of::<Control>()]);
            let head = control.record_head as usize;
            if head > self.params.record_capacity as usize {
                return Err(Error::Gpu(format!(
                    "record head {head} beyond the ring capacity {}",
                    self.params.record_capacity
                )));
            }
            let bytes = &view[CONTROL_BYTES as usize..CONTROL_BYTES as usize + head * 8];
            let first = out.len();
            out.extend(bytes.chunks_exact(8).map(|b| {
                let r: SpikeRecord = bytemuck::pod_read_unaligned(b);
                Spike {
                    tick: first_tick + u64::from(r.tick.wrapping_sub(first_tick as u32)),
                    neuron: r.neuron,
                }
            }));
            out[first..].sort_unstable();
        }
        staging.unmap();
        self.counters.tick = u64::from(control.tick) | (u64::from(control.tick_hi) << 32);
        if control.fault_field != 0 && self.fault.is_none() {
            self.fault = Some(NonFiniteFault {
                tick: u64::from(control.fault_tick) | (u64::from(control.fault_tick_hi) << 32),
                neuron: control.fault_neuron,
                field: control.fault_field - 1,
            });
        }
        self.counters.spikes = u64::from(control.spikes_lo) | (u64::from(control.spikes_hi) << 32);
        self.counters.events = u64::from(control.events_lo) | (u64::from(control.events_hi) << 32);
        self.counters.halts = control.halts;
        let stopped = control.fault_field != 0 && control.fault_stops != 0;
        Ok(control.halted != 0 && !stopped)
    }

    /// Doubles the record ring after a halt (up to the binding limit), so that dense activity
    /// costs fewer partial batches. Only called with nothing in flight.
    pub(super) fn grow_records(&mut self) -> Result<()> {
        let old = self.params.record_capacity;
        let capacity = self.sizes.grown_record_capacity(old);
        if capacity == old {
            return Ok(());
        }
        log::debug!("record ring: {old} -> {capacity} entries");
        let device = &self.ctx.device;
        self.params.record_capacity = capacity;
        let create = |buffer, size| super::resources::create(device, buffer, size, None);
        let records = create(DeviceBuffer::Records, records_bytes(capacity))?;
        let staging = vec![
            create(DeviceBuffer::Staging, staging_bytes(capacity))?,
            create(DeviceBuffer::Staging, staging_bytes(capacity))?,
        ];
        self.resources.insert(DeviceBuffer::Records, vec![records]);
        self.resources.insert(DeviceBuffer::Staging, staging);
        let params = self.resources.get(DeviceBuffer::Params);
        self.ctx
            .queue
            .write_buffer(params, 0, bytemuck::bytes_of(&self.params));
        self.program.rebind(device, &self.resources)
    }
}
