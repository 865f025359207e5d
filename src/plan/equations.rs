//! Equations phase: the populations of user-defined models ([`crate::equations`]), each with
//! its compiled model, constant table, initial values and per-neuron parameters.

use std::sync::Arc;

use crate::equations::CompiledModel;
use crate::error::{Error, Result, invalid};
use crate::model::{Network, NeuronModel, Population, StateVar};
use crate::neurons::EquationNeuron;
use crate::neurons::equation::MIRRORED_FIELDS;
use crate::plan::layout::NeuronState;

/// One population of a user-defined model, as both backends start it.
#[derive(Clone, Debug)]
pub struct EquationPlan {
    /// Population index.
    pub population: usize,
    /// First global neuron index.
    pub start: u32,
    /// Number of neurons.
    pub size: u32,
    /// The compiled model.
    pub model: Arc<CompiledModel>,
    /// Its constant table for the network's time step.
    pub constants: Vec<f32>,
    /// Initial value of every state variable, per neuron (canonical units), in the order of
    /// [`CompiledModel::variables`].
    pub initial: Vec<Vec<f32>>,
    /// Values of the per-neuron parameters, in their order in the compiled model.
    pub per_neuron: Vec<Vec<f32>>,
    /// Philox stream of the model's random numbers (`xi`, `rand()`, `randn()`).
    pub stream: u32,
    /// Neuron `k` of these draws the random numbers of neuron `draw_first + k draw_stride`
    /// of the whole population: (0, 1) in one process, (rank, ranks) on a rank.
    pub draw_first: u32,
    /// See `draw_first`.
    pub draw_stride: u32,
    /// Ticks by which the population reads its input ring late (`PopGpu::input_lag`).
    pub input_lag: u32,
}

/// Seconds spent compiling the models of `plans` (once per model, however many populations
/// share it).
pub fn compile_seconds(plans: &[EquationPlan]) -> f64 {
    let mut seen: Vec<*const CompiledModel> = Vec::new();
    let mut total = 0.0;
    for eq in plans {
        let model = Arc::as_ptr(&eq.model);
        if !seen.contains(&model) {
            seen.push(model);
            total += eq.model.compile_seconds();
        }
    }
    total
}

/// Philox stream of equation population `p`'s random numbers.
pub const fn random_stream(p: u32) -> u32 {
    crate::rng::stream::MODEL + 0x0400_0000 + p
}

/// Plans every equation population and writes its initial values into the mirrored
/// `NeuronState` fields of `initial_state`.
pub(super) fn plan_equations(net: &Network, initial_state: &mut [NeuronState]) -> Result<Vec<EquationPlan>> {
    let mut plans = Vec::new();
    let mut start = 0u32;
    for (pi, pop) in net.populations.iter().enumerate() {
        if let NeuronModel::Equation(eq) = &pop.model {
            let range = start as usize..(start + pop.size) as usize;
            // NEST holds one tick more after a spike (`Conventions::refractory_count`).
            let held_extra = net.conventions.refractory_count(1) - 1;
            let mut plan = plan_one(eq, pi, start, pop.size, (net.dt_ms, held_extra), &pop.name)?;
            plan.input_lag = net.conventions.input_lag(&pop.model);
            drawn_initial_values(pop, eq, &initial_state[range.clone()], &mut plan.initial);
            mirror(&plan.initial, &mut initial_state[range]);
            plans.push(plan);
        }
        start += pop.size;
    }
    Ok(plans)
}

fn plan_one(
    eq: &EquationNeuron,
    pi: usize,
    start: u32,
    size: u32,
    (dt, held_extra): (f64, u32),
    name: &str,
) -> Result<EquationPlan> {
    let model = eq.compiled().clone();
    let constants = model
        .constants_held(dt, held_extra)
        .map_err(|e| Error::InvalidNetwork(format!("population '{name}': {e}")))?;
    let n = size as usize;
    let check_len = |what: &str, values: &[f64]| {
        if values.len() == n {
            Ok(())
        } else {
            Err(invalid(
                format!("population '{name}'.per_neuron.{what}"),
                format!("{} values", values.len()),
                &format!("must have one per neuron ({size})"),
            ))
        }
    };
    let mut initial = Vec::with_capacity(model.variables().len());
    for var in model.variables() {
        match eq.initial_values().iter().find(|(v, _)| *v == var.name) {
            Some((_, values)) => {
                check_len(&var.name, values)?;
                initial.push(values.iter().map(|&x| x as f32).collect());
            }
            None => initial.push(vec![var.initial as f32; n]),
        }
    }
    let mut per_neuron = vec![Vec::new(); model.cpu_program().n_per_neuron];
    for p in model.params() {
        if let Some(k) = p.per_neuron {
            per_neuron[k] = match eq.per_neuron_values().iter().find(|(q, _)| *q == p.name) {
                Some((_, values)) => {
                    check_len(&p.name, values)?;
                    values.iter().map(|&x| x as f32).collect()
                }
                None => vec![p.value as f32; n],
            };
        }
    }
    Ok(EquationPlan {
        population: pi,
        start,
        size,
        model,
        constants,
        initial,
        per_neuron,
        stream: random_stream(pi as u32),
        draw_first: 0,
        draw_stride: 1,
        input_lag: 0,
    })
}

/// The population's initial values (`v` always, the others where it sets them), drawn per
/// neuron as for the built-in models, set the variables of the same names (`v`; `u` or `w`;
/// `syn_e` or `g_e`; `syn_i` or `g_i`), unless the model gives them per neuron.
fn drawn_initial_values(
    pop: &Population,
    eq: &EquationNeuron,
    drawn: &[NeuronState],
    initial: &mut [Vec<f32>],
) {
    let vars = eq.compiled().variables();
    for (var, _) in &pop.initial {
        let (names, field): (&[&str], fn(&NeuronState) -> f32) = match var {
            StateVar::V => (&["v"], |s| s.v),
            StateVar::U => (&["u", "w"], |s| s.u),
            StateVar::SynExc => (&["syn_e", "g_e"], |s| s.syn_e),
            StateVar::SynInh => (&["syn_i", "g_i"], |s| s.syn_i),
        };
        let Some(k) = vars.iter().position(|v| names.contains(&v.name.as_str())) else {
            continue;
        };
        if eq.initial_values().iter().any(|(n, _)| *n == vars[k].name) {
            continue;
        }
        for (x, s) in initial[k].iter_mut().zip(drawn) {
            *x = field(s);
        }
    }
}

/// Copies the first variables into `v, u, w1, w2, syn_e, syn_i` of each neuron's state.
pub fn mirror(values: &[Vec<f32>], state: &mut [NeuronState]) {
    for (k, var) in values.iter().enumerate().take(MIRRORED_FIELDS.len()) {
        for (s, &x) in state.iter_mut().zip(var) {
            *mirrored_field(s, k) = x;
        }
    }
}

/// Field `k` of [`MIRRORED_FIELDS`].
pub fn mirrored_field(s: &mut NeuronState, k: usize) -> &mut f32 {
    match k {
        0 => &mut s.v,
        1 => &mut s.u,
        2 => &mut s.w1,
        3 => &mut s.w2,
        4 => &mut s.syn_e,
        _ => &mut s.syn_i,
    }
}
