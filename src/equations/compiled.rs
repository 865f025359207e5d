//! A compiled model: its variables and parameters, the generated WGSL, the CPU program, and
//! the host constants for a time step; and [`CpuPopulation`], which runs the CPU program.

use std::collections::HashMap;

use super::check::{Checked, check};
use super::cpu_program::{CpuProgram, lower};
use super::cpu_run::{CHUNK, ChunkData, TickInputs};
use super::definition::ModelDefinition;
use super::error::EquationError;
use super::exact::ExactGroup;
use super::host::{HostEval, render};
use super::ir::{Host, HostId, Node};
use super::methods::Method;
use super::step::{CompileOptions, RefractoryIr, Step, build};
use super::wgsl::{WgslContext, WgslNames, generate};

/// A state variable of a compiled model.
#[derive(Clone, Debug, PartialEq)]
pub struct VariableInfo {
    /// Name.
    pub name: String,
    /// Unit (SI form of its dimension); values are held in the canonical unit.
    pub unit: String,
    /// Its integration method (`None`: no differential equation).
    pub method: Option<Method>,
    /// Initial value, canonical units.
    pub initial: f64,
}

/// A parameter of a compiled model.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamInfo {
    /// Name.
    pub name: String,
    /// Unit (SI form of its dimension).
    pub unit: String,
    /// Value given in the definition, canonical units.
    pub value: f64,
    /// Index among the per-neuron parameters, if it is one.
    pub per_neuron: Option<usize>,
}

/// A model ready to run: generated WGSL and CPU program from one graph.
#[derive(Clone, Debug)]
pub struct CompiledModel {
    name: String,
    variables: Vec<VariableInfo>,
    params: Vec<ParamInfo>,
    hosts: Vec<Host>,
    slots: Vec<HostId>,
    slot_docs: Vec<String>,
    exact_groups: Vec<ExactGroup>,
    wgsl: String,
    wgsl_names: WgslNames,
    cpu: CpuProgram,
    bit_exact: bool,
    /// Seconds [`compile`] took (parse, unit check, code generation).
    compile_s: f64,
}

/// Compiles a definition for a population with the given options.
pub fn compile(def: &ModelDefinition, options: &CompileOptions) -> Result<CompiledModel, EquationError> {
    let t0 = std::time::Instant::now();
    let checked = check(def)?;
    let step = build(&checked, &def.method, options)?;
    let mut model = assemble(&checked, &step, options);
    model.compile_s = t0.elapsed().as_secs_f64();
    Ok(model)
}

/// Which nodes are needed: the outputs, the spike condition, the refractory state and
/// counter, and everything they read.
fn liveness(step: &Step) -> Vec<bool> {
    let mut live = vec![false; step.graph.nodes.len()];
    let mut stack: Vec<u32> = step.outputs.clone();
    stack.push(step.spiked);
    if step.refractory != RefractoryIr::None {
        stack.push(step.not_refractory);
    }
    if let RefractoryIr::Duration { ticks } = step.refractory {
        stack.push(ticks);
    }
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut live[n as usize], true) {
            continue;
        }
        step.graph.nodes[n as usize].for_each_operand(|a| stack.push(a));
    }
    live
}

fn assemble(checked: &Checked, step: &Step, options: &CompileOptions) -> CompiledModel {
    let live = liveness(step);
    let mut slots: Vec<HostId> = Vec::new();
    let mut slot_of: HashMap<u32, u16> = HashMap::new();
    for (id, node) in step.graph.nodes.iter().enumerate() {
        if let (true, Node::Host(h)) = (live[id], node)
            && !slot_of.contains_key(h)
        {
            slot_of.insert(*h, slots.len() as u16);
            slots.push(*h);
        }
    }
    let param_names: Vec<String> = checked.params.iter().map(|p| p.name.clone()).collect();
    let state_names: Vec<String> = checked.states.iter().map(|s| s.name.clone()).collect();
    let hosts = step.graph.hosts.clone();
    let slot_docs: Vec<String> = slots.iter().map(|&h| render(&hosts, h, &param_names)).collect();
    let per_neuron_names = options.per_neuron.clone();
    let wgsl_names = WgslNames::new(&checked.name, !per_neuron_names.is_empty(), slots.len());
    let cx = WgslContext {
        names: &wgsl_names,
        model: &checked.name,
        state_names: &state_names,
        per_neuron_names: &per_neuron_names,
        slot_of: &slot_of,
        slot_docs: &slot_docs,
    };
    let wgsl = generate(step, &live, &cx);
    let cpu = lower(step, &live, &slot_of, per_neuron_names.len());
    let bit_exact = step
        .graph
        .nodes
        .iter()
        .enumerate()
        .all(|(id, n)| !live[id] || exact_node(n));
    CompiledModel {
        name: checked.name.clone(),
        variables: checked
            .states
            .iter()
            .zip(&step.methods)
            .map(|(s, m)| VariableInfo {
                name: s.name.clone(),
                unit: s.dim.to_string(),
                method: *m,
                initial: s.initial,
            })
            .collect(),
        params: checked
            .params
            .iter()
            .zip(&step.per_neuron)
            .map(|(p, k)| ParamInfo {
                name: p.name.clone(),
                unit: p.dim.to_string(),
                value: p.value,
                per_neuron: k.map(usize::from),
            })
            .collect(),
        hosts,
        slots,
        slot_docs,
        exact_groups: step.exact_groups.clone(),
        wgsl,
        wgsl_names,
        cpu,
        bit_exact,
        compile_s: 0.0,
    }
}

/// Whether a node is computed identically (correctly rounded) by WGSL and Rust.
fn exact_node(n: &Node) -> bool {
    match n {
        Node::Bin(op, ..) => *op != super::term::Arith::Div,
        Node::Func(f, ..) => f.exact(),
        Node::Pow(..) => false,
        _ => true,
    }
}

impl CompiledModel {
    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// State variables, in declaration order (the order of the WGSL struct's fields).
    pub fn variables(&self) -> &[VariableInfo] {
        &self.variables
    }

    /// Parameters.
    pub fn params(&self) -> &[ParamInfo] {
        &self.params
    }

    /// The generated WGSL (structs and update function; see [`super::wgsl::support_source`]
    /// for the helpers it calls).
    pub fn wgsl(&self) -> &str {
        &self.wgsl
    }

    /// Names of the generated WGSL items.
    pub fn wgsl_names(&self) -> &WgslNames {
        &self.wgsl_names
    }

    /// The CPU program.
    pub fn cpu_program(&self) -> &CpuProgram {
        &self.cpu
    }

    /// What each constant slot holds, as text.
    pub fn constant_docs(&self) -> &[String] {
        &self.slot_docs
    }

    /// Seconds compiling the definition took (parse, unit check, code generation).
    pub fn compile_seconds(&self) -> f64 {
        self.compile_s
    }

    /// Whether every operation is correctly rounded on both backends (`+ - *`, comparisons,
    /// `min`, `max`, `abs`, `floor`, `ceil`, selections, the random draws), so that the GPU
    /// and the CPU agree bit for bit.
    pub fn is_bit_exact(&self) -> bool {
        self.bit_exact
    }

    /// The constant table for time step `dt_ms`, with the definition's parameter values.
    pub fn constants(&self, dt_ms: f64) -> Result<Vec<f32>, EquationError> {
        self.constants_with(dt_ms, &[])
    }

    /// The constant table for time step `dt_ms`, with some parameters (canonical units)
    /// replaced.
    pub fn constants_with(&self, dt_ms: f64, overrides: &[(&str, f64)]) -> Result<Vec<f32>, EquationError> {
        self.constant_table(dt_ms, overrides, 0)
    }

    /// The constant table for time step `dt_ms` with `extra` ticks added to the refractory
    /// count (1 under NEST's conventions, which hold `t_ref/dt` ticks after the spiking
    /// tick where spikegpu's own hold `t_ref/dt - 1`).
    pub fn constants_held(&self, dt_ms: f64, extra: u32) -> Result<Vec<f32>, EquationError> {
        self.constant_table(dt_ms, &[], extra)
    }

    fn constant_table(
        &self,
        dt_ms: f64,
        overrides: &[(&str, f64)],
        extra: u32,
    ) -> Result<Vec<f32>, EquationError> {
        let error = |field: &str, message: String| EquationError {
            model: self.name.clone(),
            field: field.to_string(),
            text: String::new(),
            span: None,
            message,
        };
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(error("dt", format!("dt = {dt_ms} ms must be finite and > 0")));
        }
        let mut values: Vec<f64> = self.params.iter().map(|p| p.value).collect();
        for (name, v) in overrides {
            let Some(i) = self.params.iter().position(|p| p.name == *name) else {
                return Err(error(
                    &format!("params.{name}"),
                    "not a parameter of the model".into(),
                ));
            };
            values[i] = *v;
        }
        let mut eval = HostEval::new(&self.hosts, &self.exact_groups, &values, dt_ms).with_held_extra(extra);
        let mut out = Vec::with_capacity(self.slots.len());
        for (k, &h) in self.slots.iter().enumerate() {
            let v = eval.value(h);
            let ticks = matches!(self.hosts[h as usize], Host::Ticks(_));
            if !v.is_finite() || (ticks && !(0.0..=16_777_216.0).contains(&v)) {
                return Err(error(
                    "params",
                    format!(
                        "constant c[{k}] = {} is {v} for dt = {dt_ms} ms: check the parameters",
                        self.slot_docs[k]
                    ),
                ));
            }
            out.push(v as f32);
        }
        Ok(out)
    }

    /// A CPU population of `n` neurons at the initial values, with the definition's
    /// parameters (per-neuron ones start at that value too) and time step `dt_ms`.
    pub fn population(&self, n: usize, dt_ms: f64) -> Result<CpuPopulation, EquationError> {
        let constants = self.constants(dt_ms)?;
        let mut per_neuron = vec![Vec::new(); self.cpu.n_per_neuron];
        for p in &self.params {
            if let Some(k) = p.per_neuron {
                per_neuron[k] = vec![p.value as f32; n];
            }
        }
        Ok(CpuPopulation {
            program: self.cpu.clone(),
            names: self.variables.iter().map(|v| v.name.clone()).collect(),
            param_names: self
                .params
                .iter()
                .filter(|p| p.per_neuron.is_some())
                .map(|p| p.name.clone())
                .collect(),
            n,
            state: self.variables.iter().map(|v| vec![v.initial as f32; n]).collect(),
            counter: vec![0; n],
            per_neuron,
            constants,
            regs: vec![0.0; self.cpu.n_regs.max(1) * CHUNK],
            counter_next: vec![0; CHUNK],
            first_neuron: 0,
            neuron_stride: 1,
        })
    }
}

/// A population integrated by a model's CPU program.
pub struct CpuPopulation {
    program: CpuProgram,
    names: Vec<String>,
    param_names: Vec<String>,
    n: usize,
    state: Vec<Vec<f32>>,
    counter: Vec<u32>,
    per_neuron: Vec<Vec<f32>>,
    constants: Vec<f32>,
    regs: Vec<f32>,
    counter_next: Vec<u32>,
    first_neuron: u32,
    neuron_stride: u32,
}

impl CpuPopulation {
    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Values of state variable `name`.
    pub fn state(&self, name: &str) -> Option<&[f32]> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(&self.state[i])
    }

    /// Mutable values of state variable `name`.
    pub fn state_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(&mut self.state[i])
    }

    /// Mutable values of per-neuron parameter `name`.
    pub fn per_neuron_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        let i = self.param_names.iter().position(|n| n == name)?;
        Some(&mut self.per_neuron[i])
    }

    /// The refractory counters (ticks left, or 1 while a refractory condition holds).
    pub fn refractory(&self) -> &[u32] {
        &self.counter
    }

    /// Mutable refractory counters (a checkpoint being resumed sets them).
    pub fn refractory_mut(&mut self) -> &mut [u32] {
        &mut self.counter
    }

    /// Makes these neurons draw the random numbers of neurons `first..` of a larger
    /// population, so that a slice of one (a thread's share) runs exactly as the whole does.
    pub fn set_first_neuron(&mut self, first: u32) {
        self.first_neuron = first;
    }

    /// Makes neuron `k` draw the random numbers of neuron `first + k stride` of a larger
    /// population (a rank's share of a distributed run is every `ranks`-th neuron).
    pub fn set_neuron_stride(&mut self, stride: u32) {
        self.neuron_stride = stride;
    }

    /// The constant table in use.
    pub fn constants(&self) -> &[f32] {
        &self.constants
    }

    /// Replaces the constant table (one of the same model's, e.g.
    /// [`CompiledModel::constants_held`]'s).
    ///
    /// # Panics
    ///
    /// If `constants` is not as long as the table in use.
    pub fn set_constants(&mut self, constants: &[f32]) {
        self.constants.copy_from_slice(constants);
    }

    /// Advances every neuron by one tick; appends the indices of the neurons that spiked,
    /// in ascending order.
    ///
    /// # Panics
    ///
    /// If an input the model reads does not hold one value per neuron (a caller's bug: the
    /// engine sizes them from the population).
    pub fn step(&mut self, inputs: &TickInputs, spikes: &mut Vec<u32>) {
        for &p in &self.program.ports {
            let len = match p {
                super::InputPort::Excitatory => inputs.excitatory.len(),
                super::InputPort::Inhibitory => inputs.inhibitory.len(),
                super::InputPort::Current => inputs.current.len(),
            };
            assert_eq!(len, self.n, "input {} must hold one value per neuron", p.key());
        }
        let mut start = 0;
        while start < self.n {
            let len = CHUNK.min(self.n - start);
            let data = ChunkData {
                state: &self.state,
                per_neuron: &self.per_neuron,
                constants: &self.constants,
                inputs,
                counter: &self.counter,
                start,
                len,
                first_neuron: self.first_neuron,
                neuron_stride: self.neuron_stride,
            };
            self.program
                .run_chunk(&data, &mut self.regs, &mut self.counter_next);
            let data = ChunkData {
                state: &[],
                per_neuron: &self.per_neuron,
                constants: &self.constants,
                inputs,
                counter: &[],
                start,
                len,
                first_neuron: self.first_neuron,
                neuron_stride: self.neuron_stride,
            };
            self.program.finish_chunk(
                &data,
                &self.regs,
                &self.counter_next,
                &mut self.state,
                &mut self.counter,
                spikes,
            );
            start += len;
        }
    }
}
