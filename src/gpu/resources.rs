//! The buffer table: every device buffer by name, allocated from the sizes the plan computed
//! ([`DeviceSizes`]) and looked up by name when bind groups are made; the device memory in use
//! is the sum over the same table.

use std::borrow::Cow;

use wgpu::BufferUsages as Usage;

use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::plan::compact::CompactSynapses;
use crate::plan::layout::{Control, PoissonGpu, ProceduralGpu, SimParams};
use crate::plan::sizes::{BufferSize, DeviceBuffer, spiked_at_len};

/// Device buffers by name; chunked buffers (and the two staging copies) have several parts.
#[derive(Default)]
pub(super) struct ResourceTable {
    entries: Vec<(DeviceBuffer, Vec<wgpu::Buffer>)>,
}

impl ResourceTable {
    /// Adds (or replaces) a buffer's parts.
    pub fn insert(&mut self, buffer: DeviceBuffer, parts: Vec<wgpu::Buffer>) {
        match self.entries.iter_mut().find(|(b, _)| *b == buffer) {
            Some(entry) => entry.1 = parts,
            None => self.entries.push((buffer, parts)),
        }
    }

    /// The parts of `buffer` (empty if the table has none).
    pub fn parts(&self, buffer: DeviceBuffer) -> &[wgpu::Buffer] {
        self.entries
            .iter()
            .find(|(b, _)| *b == buffer)
            .map_or(&[], |(_, parts)| parts)
    }

    /// Part `part` of `buffer`, or an error naming what is missing.
    pub fn part(&self, buffer: DeviceBuffer, part: usize) -> Result<&wgpu::Buffer> {
        self.parts(buffer)
            .get(part)
            .ok_or_else(|| Error::Gpu(format!("no device buffer '{}' part {part}", buffer.name())))
    }

    /// The one buffer of an unchunked entry. Every run buffer exists from setup on.
    pub fn get(&self, buffer: DeviceBuffer) -> &wgpu::Buffer {
        &self.parts(buffer)[0]
    }

    /// Bytes of every buffer in the table.
    pub fn device_bytes(&self) -> u64 {
        self.entries
            .iter()
            .flat_map(|(_, parts)| parts)
            .map(wgpu::Buffer::size)
            .sum()
    }
}

/// How a buffer is used.
pub(super) fn usage(buffer: DeviceBuffer) -> Usage {
    let copy = Usage::COPY_SRC | Usage::COPY_DST;
    match buffer {
        DeviceBuffer::Params => Usage::UNIFORM | Usage::COPY_DST,
        DeviceBuffer::GenParams => Usage::UNIFORM,
        DeviceBuffer::Records => Usage::STORAGE | Usage::COPY_SRC,
        DeviceBuffer::Staging => Usage::MAP_READ | Usage::COPY_DST,
        DeviceBuffer::Indirect => Usage::STORAGE | Usage::INDIRECT,
        DeviceBuffer::GenProjections | DeviceBuffer::Cases => Usage::STORAGE,
        DeviceBuffer::Results => Usage::STORAGE | Usage::COPY_SRC,
        _ => Usage::STORAGE | copy,
    }
}

/// A buffer of `size` bytes holding `contents` at its start and zeros after (the size
/// comes from the table, never from the contents).
pub(super) fn create(
    device: &wgpu::Device,
    buffer: DeviceBuffer,
    size: u64,
    contents: Option<&[u8]>,
) -> Result<wgpu::Buffer> {
    let contents = contents.filter(|c| !c.is_empty());
    if let Some(data) = contents
        && data.len() as u64 > size
    {
        return Err(Error::Gpu(format!(
            "{} bytes of '{}' exceed its size {size} in the buffer table",
            data.len(),
            buffer.name()
        )));
    }
    let created = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(&format!("spikegpu.{}", buffer.name())),
        size,
        usage: usage(buffer),
        mapped_at_creation: contents.is_some(),
    });
    if let Some(data) = contents {
        let mut view = created
            .get_mapped_range_mut(..)
            .map_err(|e| Error::Gpu(format!("mapping '{}' at creation failed: {e}", buffer.name())))?;
        view.slice(..data.len()).copy_from_slice(data);
        drop(view);
        created.unmap();
    }
    Ok(created)
}

/// Allocates every buffer of a table with the contents `contents` gives it.
pub(super) fn allocate<'a>(
    device: &wgpu::Device,
    table: &[BufferSize],
    contents: impl Fn(DeviceBuffer) -> Option<Cow<'a, [u8]>>,
) -> Result<ResourceTable> {
    let mut resources = ResourceTable::default();
    for entry in table {
        let data = contents(entry.buffer);
        let parts = entry
            .parts
            .iter()
            .map(|&size| create(device, entry.buffer, size, data.as_deref()))
            .collect::<Result<_>>()?;
        resources.insert(entry.buffer, parts);
    }
    Ok(resources)
}

/// The host data a run starts from.
pub(super) struct InitialData<'a> {
    pub plan: &'a Plan,
    pub params: &'a SimParams,
    pub poisson: Vec<PoissonGpu>,
    pub procedural: Vec<ProceduralGpu>,
    pub compact: Option<&'a CompactSynapses>,
}

impl InitialData<'_> {
    /// The contents of `buffer` at the start of a run (`None`: zeros). The compact words and
    /// targets are written chunk by chunk after allocation ([`write_chunked`]).
    pub fn contents(&self, buffer: DeviceBuffer) -> Option<Cow<'_, [u8]>> {
        use DeviceBuffer::*;
        let plan = self.plan;
        let wide = self.compact.is_none();
        let bytes: &[u8] = match buffer {
            Params => bytemuck::bytes_of(self.params),
            Control => return Some(Cow::Owned(bytemuck::bytes_of(&control()).to_vec())),
            Pops => return Some(Cow::Owned(bytemuck::cast_slice(&pops_on_device(plan)).to_vec())),
            State => bytemuck::cast_slice(&plan.initial_state),
            RowPtr => bytemuck::cast_slice(&plan.row_ptr),
            Synapses if wide => bytemuck::cast_slice(&plan.synapses),
            Weights if wide => bytemuck::cast_slice(&plan.weights),
            Poisson => bytemuck::cast_slice(&self.poisson),
            PoissonSegments => bytemuck::cast_slice(&plan.poisson_segments),
            PoissonCdf => bytemuck::cast_slice(&plan.poisson_cdf),
            NeuronParams => bytemuck::cast_slice(&plan.neuron_params),
            SourceTicks => bytemuck::cast_slice(&plan.source_ticks),
            Currents => bytemuck::cast_slice(&plan.currents),
            CurrentSteps => bytemuck::cast_slice(&plan.current_steps),
            SpikedAt => {
                // (low, high) words of u64::MAX: no neuron has spiked yet.
                let never = vec![u32::MAX; spiked_at_len(plan)];
                return Some(Cow::Owned(bytemuck::cast_slice(&never).to_vec()));
            }
            Plastic => bytemuck::cast_slice(&plan.plastic),
            ColPtr => bytemuck::cast_slice(&plan.col_ptr),
            ColEntries => bytemuck::cast_slice(&plan.col_entries),
            Modulators => bytemuck::cast_slice(&plan.modulators),
            Procedural => bytemuck::cast_slice(&self.procedural),
            ShortTerm => {
                return Some(Cow::Owned(
                    bytemuck::cast_slice(&plan.short_term.device_words()).to_vec(),
                ));
            }
            Release => bytemuck::cast_slice(&plan.release),
            CompactRowPtr => bytemuck::cast_slice(&self.compact?.row_ptr),
            CompactProjections => bytemuck::cast_slice(&self.compact?.projections),
            CompactOutgoing => bytemuck::cast_slice(&self.compact?.outgoing),
            _ => return None,
        };
        Some(Cow::Borrowed(bytes))
    }
}

/// The control block at the start of a run: tick 0, no fault, a fault stops the run.
pub(super) fn control() -> Control {
    Control {
        fault_neuron: u32::MAX,
        fault_stops: 1,
        ..Control::default()
    }
}

/// Writes `data` (host-encoded words, then nothing: the rest is generated on the device) from
/// the start of an array split into `buffers` of `chunk_words` words each.
pub(super) fn write_chunked(queue: &wgpu::Queue, buffers: &[wgpu::Buffer], chunk_words: usize, data: &[u32]) {
    for (buffer, part) in buffers.iter().zip(data.chunks(chunk_words.max(1))) {
        queue.write_buffer(buffer, 0, bytemuck::cast_slice(part));
    }
}

/// The populations as the device sees them: a Poisson-sequence population, which has no
/// other constants, holds in slot `ROW_SIZE` (u32 bits) the size its rate table is laid out by, the whole
/// population's also on a rank of a distributed run (`poisson_sequence_update`; the CPU twin
/// takes it from the partition).
fn pops_on_device(plan: &crate::plan::Plan) -> Vec<crate::plan::layout::PopGpu> {
    use crate::neurons::model_id::POISSON_SEQUENCE;
    let whole = |i: usize| {
        plan.partition
            .as_ref()
            .map_or(plan.populations[i].gpu.size, |part| {
                part.global_populations[i].gpu.size
            })
    };
    (0..plan.populations.len())
        .map(|i| {
            let mut pop = plan.populations[i].gpu;
            if pop.model == POISSON_SEQUENCE {
                pop.c[crate::neurons::poisson_sequence::ROW_SIZE] = f32::from_bits(whole(i));
            }
            pop
        })
        .collect()
}
