//! Explicit bind group layouts, pipeline layouts, compute pipelines and bind groups, all made
//! from the stage declarations ([`super::stages`]): nothing is positional and nothing is
//! inferred from the shader.

use super::resources::ResourceTable;
use super::shaders::{self, Dialect};
use super::stages::{Access, BoundSlot, StageDecl};
use crate::error::Result;
use crate::plan::sizes::ChunkLayout;

/// A stage compiled for one chunk layout: its bindings, their layout and its pipeline.
pub(super) struct StagePipeline {
    /// The declaration it was made from.
    pub decl: &'static StageDecl,
    /// Its bindings, chunks laid out.
    slots: Vec<BoundSlot>,
    layout: wgpu::BindGroupLayout,
    /// The compute pipeline.
    pub pipeline: wgpu::ComputePipeline,
}

impl StagePipeline {
    /// Compiles `decl` (its chunk bindings laid out for `chunks`) in the device's dialect.
    pub fn new(device: &wgpu::Device, decl: &'static StageDecl, chunks: Option<&ChunkLayout>) -> Self {
        Self::in_dialect(device, decl, chunks, Dialect::of(device))
    }

    /// As [`StagePipeline::new`] in `dialect`.
    pub fn in_dialect(
        device: &wgpu::Device,
        decl: &'static StageDecl,
        chunks: Option<&ChunkLayout>,
        dialect: Dialect,
    ) -> Self {
        let label = format!("spikegpu.{}", decl.name);
        let slots = decl.slots(chunks);
        let entries: Vec<_> = slots.iter().map(layout_entry).collect();
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(&label),
            entries: &entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(&label),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let source = shaders::stage_source(decl.name, chunks, dialect);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(&label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&label),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some(decl.name),
            compilation_options: Default::default(),
            cache: None,
        });
        Self {
            decl,
            slots,
            layout,
            pipeline,
        }
    }

    /// A bind group of the buffers the declaration names, looked up in `resources`.
    pub fn bind(&self, device: &wgpu::Device, resources: &ResourceTable) -> Result<wgpu::BindGroup> {
        let entries = self
            .slots
            .iter()
            .map(|slot| {
                Ok(wgpu::BindGroupEntry {
                    binding: slot.index,
                    resource: resources.part(slot.buffer, slot.part)?.as_entire_binding(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&format!("spikegpu.{}", self.decl.name)),
            layout: &self.layout,
            entries: &entries,
        }))
    }
}

/// The layout entry of one binding: a buffer visible to compute.
fn layout_entry(slot: &BoundSlot) -> wgpu::BindGroupLayoutEntry {
    let ty = match slot.access {
        Access::Uniform => wgpu::BufferBindingType::Uniform,
        Access::Read => wgpu::BufferBindingType::Storage { read_only: true },
        Access::ReadWrite => wgpu::BufferBindingType::Storage { read_only: false },
    };
    wgpu::BindGroupLayoutEntry {
        binding: slot.index,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}
