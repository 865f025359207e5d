//! WGSL sources. Each stage lives in its own file under `shaders/`, with its entry point named
//! after the stage; shared declarations come from `common.wgsl` and, for stages that draw
//! random numbers, `philox.wgsl`. The whole "preprocessor" is concatenation in the order
//! listed here, so what naga validates in the tests is exactly what the device compiles.

const COMMON: &str = include_str!("../../shaders/common.wgsl");
const PHILOX: &str = include_str!("../../shaders/philox.wgsl");

/// A compute stage: its name (also the file stem, the entry point and the wgpu label suffix),
/// the shared files it needs, and its own source.
#[derive(Clone, Copy, Debug)]
pub struct Stage {
    /// Stage and entry-point name.
    pub name: &'static str,
    /// Whether `philox.wgsl` is prepended.
    pub needs_rng: bool,
    /// Whether `common.wgsl` is prepended.
    pub needs_common: bool,
    /// The stage's own file.
    pub source: &'static str,
}

macro_rules! stage {
    ($name:literal, $common:expr, $rng:expr) => {
        Stage {
            name: $name,
            needs_common: $common,
            needs_rng: $rng,
            source: include_str!(concat!("../../shaders/", $name, ".wgsl")),
        }
    };
}

/// Every stage the engine uses, in tick order, then the test-only stage.
pub const STAGES: &[Stage] = &[
    stage!("batch_begin", true, false),
    stage!("poisson_input", true, true),
    stage!("neuron_update", true, false),
    stage!("prepare_propagate", true, false),
    stage!("propagate", true, false),
    stage!("tick_end", true, false),
    stage!("rng_check", false, true),
];

/// The stage called `name`.
pub fn stage(name: &str) -> Stage {
    *STAGES
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no shader stage named {name}"))
}

/// Full source of a stage as compiled: shared files first, then the stage.
pub fn assembled_source(stage: &Stage) -> String {
    let mut src = String::new();
    if stage.needs_common {
        src.push_str(COMMON);
        src.push('\n');
    }
    if stage.needs_rng {
        src.push_str(PHILOX);
        src.push('\n');
    }
    src.push_str(stage.source);
    src
}

/// The shared declarations alone (used by the layout test).
pub fn common_source() -> &'static str {
    COMMON
}

/// Parses and validates a stage with naga, with no optional capability: the engine must run
/// on any WebGPU-level adapter.
pub fn validate(stage: &Stage) -> Result<naga::Module, String> {
    let src = assembled_source(stage);
    let module = naga::front::wgsl::parse_str(&src)
        .map_err(|e| format!("{}: {}", stage.name, e.emit_to_string(&src)))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .map_err(|e| format!("{}: {}", stage.name, e.emit_to_string(&src)))?;
    if !module.entry_points.iter().any(|e| e.name == stage.name) {
        return Err(format!("{}: no entry point named after the stage", stage.name));
    }
    Ok(module)
}
