//! The WGSL the `neuron_update` stage includes for the neuron models: named constants generated
//! from the Rust tables (model ids and constant slots), then each model's own source.

use std::fmt::Write;

use super::{BUILTIN, ModelSpec, SlotSpec};

/// The name under which a stage includes [`builtin_source`] (see `gpu::shaders`).
pub const INCLUDE: &str = "neuron_models";

/// The WGSL name of a model's id: `MODEL_LIF`.
pub fn id_name(model: &ModelSpec) -> String {
    format!("MODEL_{}", model.wgsl_prefix())
}

/// The WGSL name of one of a model's constant slots: `LIF_V_REST`.
pub fn slot_name(model: &ModelSpec, slot: &SlotSpec) -> String {
    format!("{}_{}", model.wgsl_prefix(), slot.name)
}

/// One `const MODEL_<NAME>: u32` per model, then one `const <MODEL>_<SLOT>: u32` per slot,
/// each with its meaning.
pub fn constants(models: &[&ModelSpec]) -> String {
    let mut src =
        String::from("// Generated from the tables in src/neurons: model ids and constant slots.\n");
    for m in models {
        let _ = writeln!(src, "const {}: u32 = {}u; // {}", id_name(m), m.id, m.summary);
    }
    for m in models {
        for (i, slot) in m.slots.iter().enumerate() {
            let _ = writeln!(
                src,
                "const {}: u32 = {i}u; // {}",
                slot_name(m, slot),
                slot.doc.trim()
            );
        }
    }
    src
}

/// The constants of `models`, then each model's source.
pub fn source(models: &[&ModelSpec]) -> String {
    let mut src = constants(models);
    for m in models {
        src.push('\n');
        src.push_str(&m.wgsl);
    }
    src
}

/// [`source`] of the built-in models.
pub fn builtin_source() -> String {
    source(&BUILTIN)
}
