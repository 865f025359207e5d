//! One tick of a model as a graph, in the engine's order:
//! 1. the refractory state (counter decremented, or the condition tested on the old state);
//! 2. spike and current inputs added to their targets (or after integration, see
//!    [`InputTiming`]);
//! 3. integration of the differential equations, then the `update` statements;
//! 4. variables marked `(unless refractory)` held while refractory;
//! 5. threshold (only outside the refractory period), then the reset statements on a spike.

use super::check::{Checked, InputRoute, InputTarget, Refractory, StateKind};
use super::definition::{InputPort, MethodSpec};
use super::emit::{Emitter, Env};
use super::error::EquationError;
use super::exact::ExactGroup;
use super::ir::{Graph, Host, Node, NodeId};
use super::methods::{Method, requested_methods};

/// When spike inputs enter their target variables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputTiming {
    /// Before integration: a weight arriving in tick `t` already acts during `t` (the
    /// engine's current exponential and alpha synapses).
    #[default]
    BeforeIntegration,
    /// After integration, before the threshold (NEST's order; the engine's delta synapses).
    AfterIntegration,
}

/// Choices made when a model is compiled for a population.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompileOptions {
    /// Parameters that vary per neuron (read from per-neuron arrays); the others are
    /// population constants folded on the host.
    pub per_neuron: Vec<String>,
    /// When spike inputs are added.
    pub input_timing: InputTiming,
    /// Whether inputs to a variable held while refractory still change it (Brian2's
    /// `on_pre: v += w`); by default they are discarded (NEST, and the built-in models).
    pub inputs_while_refractory: bool,
}

/// How the refractory counter evolves, for the code generators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefractoryIr {
    /// No refractoriness.
    None,
    /// A duration: on a spike the counter becomes `ticks` (an f32 node holding an integer).
    Duration { ticks: NodeId },
    /// A condition: on a spike the counter becomes 1, and 0 once the condition fails.
    Condition,
}

/// The tick of a model.
pub(crate) struct Step {
    pub graph: Graph,
    /// New value of each state variable.
    pub outputs: Vec<NodeId>,
    /// Whether the neuron spiked (a condition).
    pub spiked: NodeId,
    /// The not-refractory node (read by the counter update).
    pub not_refractory: NodeId,
    pub refractory: RefractoryIr,
    pub exact_groups: Vec<ExactGroup>,
    /// Method of each state variable (`None`: no differential equation).
    pub methods: Vec<Option<Method>>,
    /// Per parameter: its index among the per-neuron parameters, if it is one.
    pub per_neuron: Vec<Option<u16>>,
}

type Result<T> = std::result::Result<T, EquationError>;

/// Builds the tick of `checked`.
pub(crate) fn build(checked: &Checked, spec: &MethodSpec, options: &CompileOptions) -> Result<Step> {
    let mut e = Emitter::new(checked);
    let per_neuron = per_neuron_params(checked, options, &mut e)?;
    let states: Vec<NodeId> = (0..checked.states.len())
        .map(|i| e.graph.node(Node::State(i as u16)))
        .collect();
    let tick = e.graph.node(Node::Tick);
    let dt = e.graph.host_expr(Host::Dt);
    let dt = e.graph.host(dt);
    let time = e.graph.mul(dt, tick);
    let mut env = Env {
        states: states.clone(),
        time,
        not_refractory: e.graph.node(Node::Bool(true)),
    };
    let refractory = match &checked.refractory {
        None => RefractoryIr::None,
        Some(Refractory::Duration(d)) => {
            env.not_refractory = e.graph.node(Node::NotRefractory(None));
            RefractoryIr::Duration {
                ticks: refractory_ticks(&mut e, d, &env)?,
            }
        }
        Some(Refractory::Condition(c)) => {
            let c = e.emit(c, &env)?;
            env.not_refractory = e.graph.node(Node::NotRefractory(Some(c)));
            RefractoryIr::Condition
        }
    };
    let sums = input_sums(&mut e, &checked.inputs);
    let before = options.input_timing == InputTiming::BeforeIntegration;
    for &(target, subtract, sum) in &sums {
        match target {
            InputTarget::Param(p) => {
                let base = param_value(&mut e, p);
                let value = combine(&mut e.graph, base, sum, subtract);
                e.runtime_params[p] = Some(value);
            }
            InputTarget::State(s) if before => {
                env.states[s] = combine(&mut e.graph, env.states[s], sum, subtract)
            }
            InputTarget::State(_) => {}
        }
    }
    let start = env.clone();
    let methods = integrate(&mut e, checked, spec, &mut env)?;
    for st in &checked.update {
        env.states[st.target] = e.emit(&st.value, &env)?;
    }
    for (s, var) in checked.states.iter().enumerate() {
        let held = if options.inputs_while_refractory {
            start.states[s]
        } else {
            states[s]
        };
        if var.unless_refractory {
            env.states[s] = e.graph.select(env.not_refractory, env.states[s], held);
        }
    }
    if !before {
        for &(target, subtract, sum) in &sums {
            if let InputTarget::State(s) = target {
                let added = combine(&mut e.graph, env.states[s], sum, subtract);
                let keep = checked.states[s].unless_refractory && !options.inputs_while_refractory;
                env.states[s] = if keep {
                    e.graph.select(env.not_refractory, added, env.states[s])
                } else {
                    added
                };
            }
        }
    }
    let spiked = match &checked.threshold {
        None => e.graph.node(Node::Bool(false)),
        Some(t) => {
            let cond = e.emit(t, &env)?;
            e.graph.and(env.not_refractory, cond)
        }
    };
    let mut after_reset = env.clone();
    for st in &checked.reset {
        after_reset.states[st.target] = e.emit(&st.value, &after_reset)?;
    }
    let outputs = (0..checked.states.len())
        .map(|s| e.graph.select(spiked, after_reset.states[s], env.states[s]))
        .collect();
    Ok(Step {
        outputs,
        spiked,
        not_refractory: env.not_refractory,
        refractory,
        exact_groups: std::mem::take(&mut e.exact_groups),
        methods,
        per_neuron,
        graph: e.graph,
    })
}

fn per_neuron_params(
    checked: &Checked,
    options: &CompileOptions,
    e: &mut Emitter,
) -> Result<Vec<Option<u16>>> {
    let mut out = vec![None; checked.params.len()];
    for (k, name) in options.per_neuron.iter().enumerate() {
        let Some(p) = checked.params.iter().position(|p| p.name == *name) else {
            return Err(checked
                .sources
                .field_error("per_neuron", format!("`{name}` is not a parameter of the model")));
        };
        out[p] = Some(k as u16);
        e.runtime_params[p] = Some(e.graph.node(Node::Param(k as u16)));
    }
    Ok(out)
}

/// The value of parameter `p` before inputs: the per-neuron node or the host constant.
fn param_value(e: &mut Emitter, p: usize) -> NodeId {
    match e.runtime_params[p] {
        Some(n) => n,
        None => {
            let h = e.graph.host_expr(Host::Param(p as u16));
            e.graph.host(h)
        }
    }
}

/// `base + sum` or `base - sum`.
fn combine(g: &mut Graph, base: NodeId, sum: NodeId, subtract: bool) -> NodeId {
    if subtract {
        g.sub(base, sum)
    } else {
        g.add(base, sum)
    }
}

/// Per target, the sum of its ports' inputs in port order (excitatory, inhibitory, current),
/// and whether the sum is subtracted. A port subtracted among added ones enters negated.
fn input_sums(e: &mut Emitter, routes: &[InputRoute]) -> Vec<(InputTarget, bool, NodeId)> {
    let mut targets: Vec<InputTarget> = Vec::new();
    for r in routes {
        if !targets.contains(&r.target) {
            targets.push(r.target);
        }
    }
    targets
        .into_iter()
        .map(|target| {
            let mine: Vec<&InputRoute> = routes.iter().filter(|r| r.target == target).collect();
            let subtract = mine[0].subtract;
            let input = |g: &mut Graph, port: InputPort| g.node(Node::Input(port));
            let mut sum = input(&mut e.graph, mine[0].port);
            for r in &mine[1..] {
                let x = input(&mut e.graph, r.port);
                sum = combine(&mut e.graph, sum, x, r.subtract != subtract);
            }
            (target, subtract, sum)
        })
        .collect()
}

/// Refractory ticks: `round(d / dt)` on the host when `d` is population-wide, else on the
/// device as `round(d / dt)`; either plus the conventions' extra held tick.
fn refractory_ticks(e: &mut Emitter, d: &super::term::Term, env: &Env) -> Result<NodeId> {
    if e.is_host(d) {
        let h = e.host_of(d)?;
        let ticks = e.graph.host_expr(Host::Ticks(h));
        return Ok(e.graph.host(ticks));
    }
    let d = e.emit(d, env)?;
    let dt = e.graph.host_expr(Host::Dt);
    let dt = e.graph.host(dt);
    let ratio = e.graph.div(d, dt);
    let ticks = e.graph.node(Node::Round(ratio));
    let extra = e.graph.host_expr(Host::HeldExtra);
    let extra = e.graph.host(extra);
    Ok(e.graph.add(ticks, extra))
}

/// Integrates every differential equation by its method; returns the methods used.
fn integrate(
    e: &mut Emitter,
    checked: &Checked,
    spec: &MethodSpec,
    env: &mut Env,
) -> Result<Vec<Option<Method>>> {
    let mut methods = requested_methods(checked, spec)?;
    let start = env.clone();
    let automatic: Vec<usize> = (0..checked.states.len())
        .filter(|&i| methods[i].is_none() && matches!(checked.states[i].kind, StateKind::Differential(_)))
        .collect();
    if !automatic.is_empty() {
        let chosen = if e.exact(&automatic, &start).is_ok() {
            e.exact_groups.pop();
            Method::Exact
        } else {
            Method::Euler
        };
        for &i in &automatic {
            methods[i] = Some(chosen);
        }
    }
    for method in Method::ALL {
        let vars: Vec<usize> = (0..methods.len())
            .filter(|&i| methods[i] == Some(method))
            .collect();
        if vars.is_empty() {
            continue;
        }
        let values = match method {
            Method::Euler => e.euler(&vars, &start)?,
            Method::Rk2 => e.rk2(&vars, &start)?,
            Method::Rk4 => e.rk4(&vars, &start)?,
            Method::ExponentialEuler => e.exponential_euler(&vars, &start)?,
            Method::Exact => e.exact(&vars, &start)?,
        };
        for (&i, v) in vars.iter().zip(values) {
            env.states[i] = v;
        }
    }
    Ok(methods)
}
