//! The neuron update of each population of a user-defined model: its own compute pipeline,
//! built at load time from the model's generated WGSL function and the template
//! `shaders/stages/equation_update.wgsl`, dispatched over the population right after
//! `neuron_update` (which skips these neurons). The population's first six variables live in
//! the `NeuronState` fields (so read-backs and probes see them as on the CPU), the others in
//! its own buffer; its constant table and per-neuron parameters in another.

use std::fmt::Write;
use std::time::Instant;

use wgpu::util::DeviceExt;

use super::resources::ResourceTable;
use crate::error::{Error, Result, invalid};
use crate::plan::equations::EquationPlan;
use crate::plan::sizes::{DeviceBuffer, GRID_WORKGROUP};

/// The template: bindings, inputs from the ring, spike compaction.
const TEMPLATE: &str = include_str!("../../shaders/stages/equation_update.wgsl");

/// The entry point (and label) of every equation pipeline.
pub const ENTRY: &str = "equation_update";

/// The `NeuronState` fields that hold a model's first variables, in the order of
/// [`crate::neurons::equation::MIRRORED_FIELDS`].
const STATE_FIELDS: [&str; 6] = ["v", "u", "w1", "w2", "syn_e", "syn_i"];

/// Workgroups `(x, y)` covering `size` neurons with at most `max_groups_x` in x.
pub fn grid(size: u32, max_groups_x: u32) -> (u32, u32) {
    let groups = size.div_ceil(GRID_WORKGROUP).max(1);
    let x = groups.min(max_groups_x.max(1));
    (x, groups.div_ceil(x))
}

/// The full WGSL of the update of population `eq`, dispatched with `row_threads` threads per
/// row of its grid.
pub fn equation_update_source(eq: &EquationPlan, row_threads: u32) -> String {
    let model = &eq.model;
    let mut src = String::new();
    src.push_str(super::shaders::common_source());
    src.push('\n');
    src.push_str(include_str!("../../shaders/shared/tick.wgsl"));
    src.push('\n');
    src.push_str(&crate::equations::wgsl::support_source());
    src.push('\n');
    src.push_str(model.wgsl());
    src.push('\n');
    let _ = writeln!(
        src,
        "const EQ_START: u32 = {}u;\nconst EQ_SIZE: u32 = {}u;\nconst EQ_ROW_THREADS: u32 = {row_threads}u;\n\
         const EQ_STREAM: u32 = {}u;\nconst EQ_INPUT_LAG: u32 = {}u;\n\
         const EQ_DRAW_FIRST: u32 = {}u;\nconst EQ_DRAW_STRIDE: u32 = {}u;\n",
        eq.start, eq.size, eq.stream, eq.input_lag, eq.draw_first, eq.draw_stride
    );
    src.push_str(&advance_function(eq));
    src.push('\n');
    src.push_str(TEMPLATE);
    src
}

/// `eq_advance(n, i, input, rng, out)`: loads neuron `n`'s (population index `i`) variables,
/// constants and per-neuron parameters, calls the model's function, stores the variables past
/// the sixth and leaves the new `NeuronState` (the first six, the counter) in `out`.
fn advance_function(eq: &EquationPlan) -> String {
    let names = eq.model.wgsl_names();
    let vars: Vec<&str> = eq.model.variables().iter().map(|v| v.name.as_str()).collect();
    let (param_lines, call_params) = load_parameters(eq, names.neuron_params.as_deref());
    let body = [
        load_constants(eq, names.constants),
        param_lines,
        load_state(eq, &names.state, &vars),
        format!(
            // On a rank, neuron `i` draws the numbers of its index in the whole population.
            "    let spiked = {}(&s, {call_params}c, input, rng, EQ_DRAW_FIRST + i * EQ_DRAW_STRIDE);\n",
            names.function
        ),
        store_state(eq, &vars),
        "    return spiked;\n".to_string(),
    ]
    .concat();
    format!(
        "fn eq_advance(n: u32, i: u32, input: vec3<f32>, rng: vec4<u32>, out: ptr<function, NeuronState>) -> bool {{\n{body}}}\n"
    )
}

/// Copies the population's constants (the head of `eq_data`) into `c`.
fn load_constants(eq: &EquationPlan, slots: usize) -> String {
    format!(
        "    var c: array<f32, {}>;\n    for (var k = 0u; k < {}u; k++) {{\n        c[k] = eq_data[k];\n    }}\n",
        slots.max(1),
        eq.constants.len()
    )
}

/// The line building the per-neuron parameter struct `q` (if the model has one) and the
/// argument it adds to the call.
fn load_parameters(eq: &EquationPlan, params_struct: Option<&str>) -> (String, &'static str) {
    let Some(p) = params_struct else {
        return (String::new(), "");
    };
    let k = eq.constants.len();
    let fields: Vec<String> = (0..eq.per_neuron.len())
        .map(|j| format!("eq_data[{}u + i]", k + j * eq.size as usize))
        .collect();
    (format!("    let q = {p}({});\n", fields.join(", ")), "q, ")
}

/// Builds the model's state `s`: the first six variables from `NeuronState`, the rest from
/// `eq_extra`.
fn load_state(eq: &EquationPlan, state_struct: &str, vars: &[&str]) -> String {
    let loads: Vec<String> = (0..vars.len())
        .map(|j| match STATE_FIELDS.get(j) {
            Some(field) => format!("held.{field}"),
            None => format!("eq_extra[{}u + i]", (j - STATE_FIELDS.len()) * eq.size as usize),
        })
        .collect();
    format!(
        "    let held = state[n];\n    var s = {state_struct}({}, held.refractory);\n",
        loads.join(", ")
    )
}

/// Writes the new `NeuronState` into `out` and the variables past the sixth into `eq_extra`.
fn store_state(eq: &EquationPlan, vars: &[&str]) -> String {
    let stores: Vec<String> = STATE_FIELDS
        .iter()
        .enumerate()
        .map(|(j, field)| match vars.get(j) {
            Some(var) => format!("s.{var}"),
            None => format!("held.{field}"),
        })
        .collect();
    let mut w = format!(
        "    *out = NeuronState({}, s.refractory, held.aux);\n",
        stores.join(", ")
    );
    for (j, var) in vars.iter().enumerate().skip(STATE_FIELDS.len()) {
        let _ = writeln!(
            w,
            "    eq_extra[{}u + i] = s.{var};",
            (j - STATE_FIELDS.len()) * eq.size as usize
        );
    }
    w
}

/// The contents of `eq_data` (constants, then per-neuron parameters) and `eq_extra` (the
/// variables past the sixth, at their initial values).
fn initial_buffers(eq: &EquationPlan) -> (Vec<f32>, Vec<f32>) {
    let mut data = eq.constants.clone();
    for values in &eq.per_neuron {
        data.extend_from_slice(values);
    }
    let extra: Vec<f32> = eq
        .initial
        .iter()
        .skip(STATE_FIELDS.len())
        .flatten()
        .copied()
        .collect();
    (data, extra)
}

/// One population's update: pipeline, own buffers, grid.
pub(super) struct EquationStage {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
    data: wgpu::Buffer,
    extra: wgpu::Buffer,
    workgroups: (u32, u32),
    /// Seconds spent validating the source with naga and creating the pipeline.
    pub build_s: f64,
}

/// The bindings of the template, in order: (buffer, read-only), `None` for the stage's own.
const BINDINGS: [(Option<DeviceBuffer>, bool); 8] = [
    (Some(DeviceBuffer::Params), true),
    (Some(DeviceBuffer::Control), false),
    (Some(DeviceBuffer::State), false),
    (Some(DeviceBuffer::Ring), false),
    (Some(DeviceBuffer::Records), false),
    (Some(DeviceBuffer::CurrentIn), false),
    (None, true),
    (None, false),
];

impl EquationStage {
    /// Builds population `eq`'s pipeline (after validating its source with naga) and uploads
    /// its buffers; `max_groups_x` and `max_binding` are the device's limits.
    pub fn new(
        device: &wgpu::Device,
        eq: &EquationPlan,
        max_groups_x: u32,
        max_binding: u64,
    ) -> Result<Self> {
        let t0 = Instant::now();
        let workgroups = grid(eq.size, max_groups_x);
        let source = equation_update_source(eq, workgroups.0 * GRID_WORKGROUP);
        crate::equations::wgsl::validate(&source).map_err(|e| {
            Error::Gpu(format!(
                "the generated update of model '{}' does not validate: {e}",
                eq.model.name()
            ))
        })?;
        let (data, extra) = initial_buffers(eq);
        for (what, values) in [
            ("per-neuron parameters", &data),
            ("variables past the sixth", &extra),
        ] {
            let bytes = 4 * values.len() as u64;
            if bytes > max_binding {
                return Err(invalid(
                    format!("population {}.size", eq.population),
                    eq.size,
                    &format!("its {what} take {bytes} bytes, over the device's binding limit {max_binding}"),
                ));
            }
        }
        let label = format!("spikegpu.{ENTRY}.{}", eq.model.name());
        let buffer = |values: &[f32]| {
            let bytes: &[u8] = if values.is_empty() {
                &[0; 4]
            } else {
                bytemuck::cast_slice(values)
            };
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(&label),
                contents: bytes,
                // COPY_DST: checkpoints and setters write the variables back.
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
            })
        };
        let (data, extra) = (buffer(&data), buffer(&extra));
        let (layout, pipeline) = build_pipeline(device, &label, source);
        Ok(Self {
            layout,
            pipeline,
            data,
            extra,
            workgroups,
            build_s: t0.elapsed().as_secs_f64(),
        })
    }

    /// The buffer of the variables past the sixth, `[variable - 6][neuron]`.
    pub fn extra(&self) -> &wgpu::Buffer {
        &self.extra
    }

    /// A bind group of the run buffers (looked up in `resources`) and the stage's own.
    pub fn bind(&self, device: &wgpu::Device, resources: &ResourceTable) -> wgpu::BindGroup {
        let entries: Vec<_> = BINDINGS
            .iter()
            .enumerate()
            .map(|(index, (buffer, _))| wgpu::BindGroupEntry {
                binding: index as u32,
                resource: match (buffer, index) {
                    (Some(b), _) => resources.get(*b).as_entire_binding(),
                    (None, 6) => self.data.as_entire_binding(),
                    (None, _) => self.extra.as_entire_binding(),
                },
            })
            .collect();
        device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(ENTRY),
            layout: &self.layout,
            entries: &entries,
        })
    }

    /// Records the dispatch.
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>, bind_group: &wgpu::BindGroup) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.dispatch_workgroups(self.workgroups.0, self.workgroups.1, 1);
    }
}

/// The bind group layout of [`BINDINGS`] and the pipeline of `source`.
fn build_pipeline(
    device: &wgpu::Device,
    label: &str,
    source: String,
) -> (wgpu::BindGroupLayout, wgpu::ComputePipeline) {
    let entries: Vec<_> = BINDINGS
        .iter()
        .enumerate()
        .map(|(index, (buffer, read_only))| wgpu::BindGroupLayoutEntry {
            binding: index as u32,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: match buffer {
                    Some(DeviceBuffer::Params) => wgpu::BufferBindingType::Uniform,
                    _ => wgpu::BufferBindingType::Storage {
                        read_only: *read_only,
                    },
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        })
        .collect();
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(label),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some(ENTRY),
        compilation_options: Default::default(),
        cache: None,
    });
    (layout, pipeline)
}
