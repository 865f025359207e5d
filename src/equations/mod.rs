//! User-defined neuron models from equations, in Brian2's notation, compiled at load time to
//! a WGSL function and to a CPU program from one expression graph: no compiler installed,
//! any wgpu backend.
//!
//! ```
//! use spikegpu::equations::{CompileOptions, InputPort, ModelDefinition, TickInputs, compile};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let qif = ModelDefinition::new("qif")
//!     .equations(
//!         "dv/dt = (k * (v - v_rest) * (v - v_crit) + I_syn + I_ext) / tau : mV
//!          dI_syn/dt = -I_syn / tau_syn : mV",
//!     )
//!     .threshold("v > v_peak")
//!     .reset("v = v_reset")
//!     .refractory("2 ms")
//!     .method("euler")
//!     .param("tau", "10 ms")
//!     .param("k", "0.04 / mV")
//!     .param("v_rest", "-65 mV")
//!     .param("v_crit", "-50 mV")
//!     .param("v_peak", "30 mV")
//!     .param("v_reset", "-70 mV")
//!     .param("tau_syn", "5 ms")
//!     .param("I_ext", "20 mV")
//!     .input(InputPort::Excitatory, "I_syn")
//!     .initial("v", "-65 mV");
//! let model = compile(&qif, &CompileOptions::default())?;
//! assert!(model.wgsl().contains("fn eq_qif_update"));
//! let mut pop = model.population(100, 0.1)?;
//! let (zeros, mut spikes) = (vec![0.0; 100], Vec::new());
//! for tick in 0..1000 {
//!     let inputs = TickInputs { excitatory: &zeros, inhibitory: &[], current: &[], tick, key: [1, 2], stream: 0 };
//!     pop.step(&inputs, &mut spikes);
//! }
//! assert!(!spikes.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! The pipeline: [`definition`] (the model as written, also read from `[[neuron_model]]`
//! tables) -> parse (`lexer`, `parser`) -> `check` (names, units: `units`, `typing`) ->
//! `step` (the tick as a graph, `ir`, with the integration methods in `methods` and
//! `exact`) -> [`wgsl`] and the CPU program (`cpu_program`, `cpu_run`). The language is
//! documented in `docs/equations.md`.
//!
//! # Phase 2: how a compiled model plugs into the engine (proposal)
//!
//! - **State.** The fixed 32-byte `NeuronState` (v, u, w1, w2, syn_e, syn_i, refractory,
//!   aux) stays for the built-in models. A population with a user model gets its own
//!   storage buffer of `EqState_<name>` records (the generated struct: one f32 per state
//!   variable, then the refractory counter), sized `n x (4 k + 4)` bytes by the plan, and on
//!   the CPU a [`CpuPopulation`] (struct of arrays). `pull_state`/probes address variables
//!   by name through [`CompiledModel::variables`]; a probe of `v` reads field 0 of the
//!   record (GPU) or the `v` array (CPU). Checkpoints save the record bytes.
//! - **Parameters.** Population-wide parameters and everything derived from them on the
//!   host (propagators, `dt/C`, refractory ticks) fill the population's constant table
//!   ([`CompiledModel::constants_with`]), uploaded like `PopGpu::c` (an array sized by the
//!   model instead of 24). Parameters given per neuron (the existing per-neuron machinery,
//!   `per_neuron` in [`CompileOptions`]) become an `EqNeuron_<name>` buffer. A parameter in
//!   an exact propagator cannot vary per neuron (compile error naming it).
//! - **The stage.** One generated pipeline per user model (not a case in the shared
//!   `neuron_update` switch, which would force every model's bindings on every shader):
//!   `neuron_update_<name>` has the same bindings as `neuron_update` plus the model's state
//!   and per-neuron buffers, takes the tick's inputs from the ring (`in_e`, `in_i`,
//!   `in_c`) as today, calls the generated function and compacts spikes into the record
//!   ring exactly as `neuron_update.wgsl` does. It is dispatched over the population's range
//!   right after `neuron_update` in the same compute pass (one dispatch per user model per
//!   tick). The CPU twin calls [`CpuPopulation::step`] with the converted inputs. The model
//!   is compiled and naga-validated when the network is built; pipeline creation is counted
//!   in `SetupTimes` so `bench` reports the load time.
//! - **Inputs.** Receptor ports map to the model's targets as in the definition; weights are
//!   in the target's unit (checked against the projection's weight unit). `current` feeds a
//!   parameter (the bias) or a variable for the tick.
//! - **Refractoriness and delta inputs.** The counter semantics are the engine's (held for
//!   `round(t_ref/dt) - 1` ticks after the spiking tick; inputs to held variables
//!   discarded), selected by [`CompileOptions::inputs_while_refractory`] and
//!   [`InputTiming`].
//! - **`conventions = "nest" | "brian2"`** (network-wide) chooses these options and the
//!   engine's own switches: NEST: inputs after integration ([`InputTiming::AfterIntegration`],
//!   i.e. one tick later for current synapses), held for `t_ref/dt` ticks (the counter set
//!   to `ticks + 1`), spike stamped at the end of the step, threshold `>=` rewritten from
//!   `>` by the built-in models' definitions; Brian2: inputs after the threshold of the
//!   tick (delivered to the next tick's integration, equal to `AfterIntegration` one tick
//!   later), `t_ref/dt - 1` held ticks, `inputs_while_refractory = true` for `v += w`
//!   targets. The generated code takes these as compile options, so each convention is
//!   one compiled variant, not a runtime branch.

pub mod definition;
pub mod wgsl;

mod ast;
mod check;
mod compiled;
mod cpu_program;
mod cpu_run;
mod emit;
mod error;
mod exact;
mod expm;
mod host;
mod ir;
mod lexer;
mod linear;
mod methods;
mod names;
mod parser;
mod random;
mod step;
mod term;
mod typing;
mod units;

pub use compiled::{CompiledModel, CpuPopulation, ParamInfo, VariableInfo, compile};
pub use cpu_program::CpuProgram;
pub use cpu_run::{CHUNK, TickInputs};
pub use definition::{InputPort, MethodSpec, ModelDefinition, parse_model_file};
pub use error::EquationError;
pub use methods::Method;
pub use random::{WGSL_RANDOM, normal as random_normal, uniform as random_uniform};
pub use step::{CompileOptions, InputTiming};
pub use wgsl::WgslNames;
