//! The generated WGSL function run on the GPU (lavapipe in CI) by a small compute shader,
//! against the CPU program of the same model: bit for bit for models using only correctly
//! rounded operations, within a stated tolerance for the others.

use std::time::Instant;

use spikegpu::equations::{CompiledModel, TickInputs, wgsl};
use spikegpu::gpu::GpuContext;
use wgpu::util::DeviceExt;

use super::{compiled, ports, random_inputs, unit};
use crate::common;

/// Initial state of one neuron: one f32 per variable, then the refractory counter.
struct Run {
    state: Vec<Vec<f32>>,
    counters: Vec<u32>,
    /// Per tick, per neuron: 1 if it spiked.
    spikes: Vec<u32>,
}

/// The test shader: one thread per neuron loops over the ticks, calling the model.
fn harness_source(model: &CompiledModel) -> String {
    let names = model.wgsl_names();
    let (param_binding, q_arg) = match &names.neuron_params {
        Some(p) => (
            format!("@group(0) @binding(4) var<storage, read> neuron_params: array<{p}>;\n"),
            "neuron_params[i], ",
        ),
        None => (String::new(), ""),
    };
    format!(
        "{support}\n{model}\n\
@group(0) @binding(0) var<storage, read_write> states: array<{state}>;
@group(0) @binding(1) var<storage, read> consts: array<f32, {k}>;
@group(0) @binding(2) var<storage, read> inputs: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> spikes: array<u32>;
{param_binding}@group(0) @binding(5) var<storage, read> run: array<u32, 8>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{
    let i = gid.x;
    let n = run[0];
    if (i >= n) {{ return; }}
    var s = states[i];
    let c = consts;
    for (var t = 0u; t < run[1]; t++) {{
        let x = inputs[t * n + i];
        let fired = {function}(&s, {q_arg}c, x.xyz, vec4<u32>(run[2], run[3], run[4], t), i);
        spikes[t * n + i] = select(0u, 1u, fired);
    }}
    states[i] = s;
}}
",
        support = wgsl::support_source(),
        model = model.wgsl(),
        state = names.state,
        k = names.constants.max(1),
        function = names.function,
    )
}

fn storage(ctx: &GpuContext, bytes: &[u8], read_back: bool) -> wgpu::Buffer {
    let mut usage = wgpu::BufferUsages::STORAGE;
    if read_back {
        usage |= wgpu::BufferUsages::COPY_SRC;
    }
    ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("spikegpu.test.equations"),
        contents: bytes,
        usage,
    })
}

fn read(ctx: &GpuContext, buffer: &wgpu::Buffer) -> Vec<u8> {
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("spikegpu.test.read"),
        size: buffer.size(),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    enc.copy_buffer_to_buffer(buffer, 0, &staging, 0, Some(buffer.size()));
    ctx.queue.submit([enc.finish()]);
    staging.slice(..).map_async(wgpu::MapMode::Read, |r| r.unwrap());
    ctx.device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    staging.slice(..).get_mapped_range().unwrap().to_vec()
}

/// Runs `model` on the GPU from `state0` through `inputs`; returns the final state and the
/// spikes, and prints the time to build the pipeline.
fn run_gpu(
    ctx: &GpuContext,
    model: &CompiledModel,
    dt: f64,
    state0: &[Vec<f32>],
    per_neuron: &[Vec<f32>],
    inputs: &[Vec<[f32; 3]>],
) -> Run {
    let n = state0[0].len();
    let vars = state0.len();
    let t0 = Instant::now();
    let source = harness_source(model);
    wgsl::validate(&source).unwrap_or_else(|e| panic!("{e}\n{source}"));
    let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("spikegpu.test.equations"),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let pipeline = ctx
        .device
        .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("spikegpu.test.equations"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
    eprintln!(
        "{}: WGSL validation and pipeline creation {:.1} ms",
        model.name(),
        t0.elapsed().as_secs_f64() * 1e3
    );
    let mut records: Vec<u32> = Vec::with_capacity(n * (vars + 1));
    for k in 0..n {
        records.extend(state0.iter().map(|s| s[k].to_bits()));
        records.push(0);
    }
    let consts = model.constants(dt).unwrap();
    let consts = if consts.is_empty() { vec![0.0] } else { consts };
    let flat: Vec<[f32; 4]> = inputs.iter().flatten().map(|x| [x[0], x[1], x[2], 0.0]).collect();
    let ticks = inputs.len();
    let states = storage(ctx, bytemuck::cast_slice(&records), true);
    let spikes = storage(ctx, &vec![0u8; 4 * n * ticks], true);
    let run: [u32; 8] = [n as u32, ticks as u32, 1, 2, 0, 0, 0, 0];
    let mut buffers = vec![
        (0, states),
        (1, storage(ctx, bytemuck::cast_slice(&consts), false)),
        (2, storage(ctx, bytemuck::cast_slice(&flat), false)),
        (3, spikes),
        (5, storage(ctx, bytemuck::cast_slice(&run), false)),
    ];
    if !per_neuron.is_empty() {
        let q: Vec<f32> = (0..n)
            .flat_map(|k| per_neuron.iter().map(move |p| p[k]))
            .collect();
        buffers.push((4, storage(ctx, bytemuck::cast_slice(&q), false)));
    }
    let entries: Vec<wgpu::BindGroupEntry> = buffers
        .iter()
        .map(|(b, buf)| wgpu::BindGroupEntry {
            binding: *b,
            resource: buf.as_entire_binding(),
        })
        .collect();
    let bind = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    });
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups((n as u32).div_ceil(64), 1, 1);
    }
    ctx.queue.submit([enc.finish()]);
    let words: Vec<u32> = bytemuck::pod_collect_to_vec(&read(ctx, &buffers[0].1));
    let spikes: Vec<u32> = bytemuck::pod_collect_to_vec(&read(ctx, &buffers[3].1));
    assert!(
        ctx.error.lock().unwrap().is_none(),
        "{:?}",
        ctx.error.lock().unwrap()
    );
    let stride = vars + 1;
    Run {
        state: (0..vars)
            .map(|v| (0..n).map(|k| f32::from_bits(words[k * stride + v])).collect())
            .collect(),
        counters: (0..n).map(|k| words[k * stride + vars]).collect(),
        spikes,
    }
}

/// The CPU program from the same state through the same inputs.
fn run_cpu(
    model: &CompiledModel,
    dt: f64,
    state0: &[Vec<f32>],
    per_neuron: &[(&str, Vec<f32>)],
    inputs: &[Vec<[f32; 3]>],
) -> Run {
    let n = state0[0].len();
    let mut pop = model.population(n, dt).unwrap();
    for (v, values) in model.variables().iter().zip(state0) {
        pop.state_mut(&v.name).unwrap().copy_from_slice(values);
    }
    for (name, values) in per_neuron {
        pop.per_neuron_mut(name).unwrap().copy_from_slice(values);
    }
    let mut flags = vec![0u32; n * inputs.len()];
    for (t, input) in inputs.iter().enumerate() {
        let [e, i, c] = ports(input);
        let mut spikes = Vec::new();
        let tick = t as u32;
        pop.step(
            &TickInputs {
                excitatory: &e,
                inhibitory: &i,
                current: &c,
                tick,
                key: [1, 2],
                stream: 0,
            },
            &mut spikes,
        );
        for k in spikes {
            flags[t * n + k as usize] = 1;
        }
    }
    Run {
        state: model
            .variables()
            .iter()
            .map(|v| pop.state(&v.name).unwrap().to_vec())
            .collect(),
        counters: pop.refractory().to_vec(),
        spikes: flags,
    }
}

/// One model, random initial state around `v_range`, on both backends.
fn both(
    name: &str,
    per_neuron: &[(&str, Vec<f32>)],
    dt: f64,
    v_range: (f32, f32),
    inputs: &[Vec<[f32; 3]>],
) -> Option<(CompiledModel, Run, Run)> {
    let ctx = common::gpu()?;
    let names: Vec<&str> = per_neuron.iter().map(|p| p.0).collect();
    let model = compiled(name, &names);
    let n = inputs[0].len();
    let state0: Vec<Vec<f32>> = model
        .variables()
        .iter()
        .enumerate()
        .map(|(k, v)| {
            (0..n)
                .map(|i| {
                    if k == 0 {
                        v_range.0 + (v_range.1 - v_range.0) * unit(20, i as u32, 0)
                    } else {
                        v.initial as f32
                    }
                })
                .collect()
        })
        .collect();
    let q: Vec<Vec<f32>> = per_neuron.iter().map(|p| p.1.clone()).collect();
    let gpu = run_gpu(&ctx, &model, dt, &state0, &q, inputs);
    let cpu = run_cpu(&model, dt, &state0, per_neuron, inputs);
    Some((model, gpu, cpu))
}

fn assert_bit_identical(name: &str, model: &CompiledModel, gpu: &Run, cpu: &Run) {
    assert!(
        model.is_bit_exact(),
        "{name} should use only correctly rounded operations"
    );
    if let Some(i) = gpu.spikes.iter().zip(&cpu.spikes).position(|(a, b)| a != b) {
        let n = gpu.counters.len();
        panic!("{name}: spikes differ first at tick {} neuron {}", i / n, i % n);
    }
    for (v, (g, c)) in model.variables().iter().zip(gpu.state.iter().zip(&cpu.state)) {
        if let Some(k) = g.iter().zip(c).position(|(a, b)| a.to_bits() != b.to_bits()) {
            panic!(
                "{name}: {} of neuron {k} differs: gpu {} cpu {}",
                v.name, g[k], c[k]
            );
        }
    }
    assert_eq!(gpu.counters, cpu.counters, "{name}: refractory counters");
    let total: u32 = cpu.spikes.iter().sum();
    assert!(
        total > 50,
        "{name}: only {total} spikes, the test would prove little"
    );
    eprintln!("{name}: {total} spikes, identical on GPU and CPU");
}

#[test]
fn plus_minus_times_models_run_bit_for_bit_the_same_on_the_gpu_and_the_cpu() {
    let n = 512;
    let cuba = random_inputs(30, n, 1500, 0.08, 0.5, -0.5, 1.0);
    let Some((m, g, c)) = both("lif", &[], 0.1, (-60.0, -49.0), &cuba) else {
        return;
    };
    assert_bit_identical("lif", &m, &g, &c);
    let coba = random_inputs(31, n, 1500, 0.1, 6.0, -67.0, 150.0);
    let (m, g, c) = both("lif_cond", &[], 0.1, (-60.0, -50.0), &coba).unwrap();
    assert_bit_identical("lif_cond", &m, &g, &c);
    let abcd: Vec<(&str, Vec<f32>)> = [
        ("a", 0.02, 0.08),
        ("b", 0.2, 0.05),
        ("c", -65.0, 15.0),
        ("d", 8.0, -6.0),
    ]
    .into_iter()
    .map(|(p, base, spread)| (p, (0..n).map(|i| base + spread * unit(21, i as u32, 0)).collect()))
    .collect();
    let thalamic = random_inputs(32, n, 1000, 0.2, 2.5, -3.0, 9.0);
    let (m, g, c) = both("izhikevich", &abcd, 1.0, (-70.0, -60.0), &thalamic).unwrap();
    assert_bit_identical("izhikevich", &m, &g, &c);
    let qif = random_inputs(33, n, 1500, 0.05, 8.0, -8.0, 0.0);
    let (m, g, c) = both("qif", &[], 0.1, (-70.0, -50.0), &qif).unwrap();
    assert_bit_identical("qif", &m, &g, &c);
    let quiet = random_inputs(34, n, 3000, 0.0, 0.0, 0.0, 0.0);
    let (m, g, c) = both("hindmarsh_rose", &[], 0.05, (-1.8, 1.5), &quiet).unwrap();
    assert_bit_identical("hindmarsh_rose", &m, &g, &c);
}

#[test]
fn noise_models_draw_the_same_random_numbers_on_the_gpu_and_the_cpu() {
    let Some(ctx) = common::gpu() else { return };
    let def = spikegpu::equations::ModelDefinition::new("noisy")
        .equations("dv/dt = -(v - v_rest)/tau + sigma*sqrt(2/tau)*xi : mV\nx : 1")
        .update("x = rand() + randn()")
        .threshold("v > v_th")
        .reset("v = v_rest")
        .refractory("1 ms")
        .param("tau", "10 ms")
        .param("v_rest", "-60 mV")
        .param("sigma", "4 mV")
        .param("v_th", "-55 mV");
    let model = spikegpu::equations::compile(&def, &Default::default()).unwrap();
    let n = 256;
    let inputs = random_inputs(35, n, 2000, 0.0, 0.0, 0.0, 0.0);
    let state0 = vec![vec![-60.0f32; n], vec![0.0; n]];
    let gpu = run_gpu(&ctx, &model, 0.1, &state0, &[], &inputs);
    let cpu = run_cpu(&model, 0.1, &state0, &[], &inputs);
    assert_bit_identical("noisy", &model, &gpu, &cpu);
}

#[test]
fn exp_models_agree_within_the_stated_tolerance_on_the_gpu_and_the_cpu() {
    // AdEx evaluates exp() at run time: WGSL's exp on lavapipe and Rust's are not the same
    // function, so one step may differ by a few ulp. One tick from 2,000 random states:
    // relative difference at most 1e-5 (measured: see the printed maximum).
    let n = 2000;
    let inputs = random_inputs(36, n, 1, 0.3, 150.0, -150.0, 500.0);
    let Some((model, gpu, cpu)) = both("adex", &[], 0.1, (-75.0, -0.5), &inputs) else {
        return;
    };
    assert!(!model.is_bit_exact());
    let mut worst = 0.0f64;
    for (g, c) in gpu.state.iter().zip(&cpu.state) {
        for (a, b) in g.iter().zip(c) {
            let scale = f64::from(a.abs().max(b.abs())).max(1.0);
            worst = worst.max(f64::from(a - b).abs() / scale);
        }
    }
    eprintln!("adex: largest relative difference after one tick {worst:e}");
    assert!(worst <= 1e-5, "{worst:e}");
    // And 300 ms of the adapting pattern: spike counts per neuron within one.
    let n = 64;
    let steps = random_inputs(37, n, 3000, 0.0, 0.0, 0.0, 0.0)
        .into_iter()
        .map(|t| t.into_iter().map(|_| [0.0, 0.0, 500.0]).collect())
        .collect::<Vec<_>>();
    let (_, gpu, cpu) = both("adex", &[], 0.1, (-70.0, -60.0), &steps).unwrap();
    for k in 0..n {
        let count = |r: &Run| (0..steps.len()).map(|t| r.spikes[t * n + k]).sum::<u32>();
        let (g, c) = (count(&gpu), count(&cpu));
        assert!(g.abs_diff(c) <= 1, "neuron {k}: gpu {g} cpu {c} spikes");
        assert!(c >= 5, "neuron {k} spiked {c} times");
    }
}
