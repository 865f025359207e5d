//! User-defined neuron models from equations (src/equations): the built-in models written as
//! equations against the built-in updates, the generated WGSL on the GPU against the CPU
//! program, the language and its error messages.

mod builtins;
mod errors;
mod gpu;
mod language;

use spikegpu::equations::{CompileOptions, CompiledModel, ModelDefinition, compile, parse_model_file};
use spikegpu::rng::philox4x32_10;

/// The definition in `examples/models/neuron_models/<name>.toml`.
pub fn definition(name: &str) -> ModelDefinition {
    let path = format!(
        "{}/examples/models/neuron_models/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let mut models = parse_model_file(&text).unwrap();
    assert_eq!(models.len(), 1, "{path}");
    models.remove(0)
}

/// Compiles a shipped model, with some parameters per neuron.
pub fn compiled(name: &str, per_neuron: &[&str]) -> CompiledModel {
    let options = CompileOptions {
        per_neuron: per_neuron.iter().map(|s| s.to_string()).collect(),
        ..CompileOptions::default()
    };
    compile(&definition(name), &options).unwrap_or_else(|e| panic!("{e}"))
}

/// A uniform number in [0, 1) from Philox (so inputs are reproducible).
pub fn unit(seed: u32, a: u32, b: u32) -> f32 {
    (philox4x32_10([a, b, seed, 0], [11, 13])[0] >> 8) as f32 / 16_777_216.0
}

/// Per tick, per neuron: (excitatory, inhibitory, current) inputs. A neuron receives an
/// excitatory event with probability `p` (weight `we`, one or two of them), an inhibitory
/// one with probability `p / 2` (weight `wi`, negative), and a current in [0, `ic`).
pub fn random_inputs(
    seed: u32,
    n: usize,
    ticks: u32,
    p: f32,
    we: f32,
    wi: f32,
    ic: f32,
) -> Vec<Vec<[f32; 3]>> {
    (0..ticks)
        .map(|t| {
            (0..n as u32)
                .map(|i| {
                    let r = philox4x32_10([t, i, seed, 1], [3, 5]);
                    let u = |k: usize| (r[k] >> 8) as f32 / 16_777_216.0;
                    let e = if u(0) < p {
                        we * (1.0 + (u(1) < 0.3) as u32 as f32)
                    } else {
                        0.0
                    };
                    let inh = if u(2) < p / 2.0 { wi } else { 0.0 };
                    [e, inh, ic * u(3)]
                })
                .collect()
        })
        .collect()
}

/// The three ports of one tick as separate arrays.
pub fn ports(tick: &[[f32; 3]]) -> [Vec<f32>; 3] {
    [0, 1, 2].map(|k| tick.iter().map(|x| x[k]).collect())
}
