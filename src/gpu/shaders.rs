//! WGSL sources. Each stage lives in its own file under `shaders/`, with its entry point named
//! after the stage; shared declarations (`common.wgsl`), the generator (`philox.wgsl`) and the
//! neuron models (`model_*.wgsl`) are prepended as each stage lists them. The whole
//! "preprocessor" is concatenation in the listed order, so what naga validates in the tests is
//! exactly what the device compiles.

/// Shared files a stage may include, by file stem.
const SHARED: &[(&str, &str)] = &[
    ("common", include_str!("../../shaders/common.wgsl")),
    ("philox", include_str!("../../shaders/philox.wgsl")),
    ("model_lif", include_str!("../../shaders/model_lif.wgsl")),
    (
        "model_lif_cond",
        include_str!("../../shaders/model_lif_cond.wgsl"),
    ),
    (
        "model_izhikevich",
        include_str!("../../shaders/model_izhikevich.wgsl"),
    ),
    ("model_adex", include_str!("../../shaders/model_adex.wgsl")),
    ("model_hh", include_str!("../../shaders/model_hh.wgsl")),
    (
        "model_spike_source",
        include_str!("../../shaders/model_spike_source.wgsl"),
    ),
    (
        "model_poisson_source",
        include_str!("../../shaders/model_poisson_source.wgsl"),
    ),
    ("stdp_common", include_str!("../../shaders/stdp_common.wgsl")),
];

/// A compute stage: its name (also the file stem, the entry point and the wgpu label suffix),
/// the shared files it needs, and its own source.
#[derive(Clone, Copy, Debug)]
pub struct Stage {
    /// Stage and entry-point name.
    pub name: &'static str,
    /// Stems of the shared files prepended, in order.
    pub includes: &'static [&'static str],
    /// The stage's own file.
    pub source: &'static str,
}

macro_rules! stage {
    ($name:literal, [$($inc:literal),*]) => {
        Stage {
            name: $name,
            includes: &[$($inc),*],
            source: include_str!(concat!("../../shaders/", $name, ".wgsl")),
        }
    };
}

/// Every stage the engine uses, in tick order, then the test-only stage.
pub const STAGES: &[Stage] = &[
    stage!("batch_begin", ["common"]),
    stage!("poisson_input", ["common", "philox"]),
    stage!("current_input", ["common", "philox"]),
    stage!(
        "neuron_update",
        [
            "common",
            "model_lif",
            "model_lif_cond",
            "model_izhikevich",
            "model_adex",
            "model_hh",
            "model_spike_source",
            "philox",
            "model_poisson_source"
        ]
    ),
    stage!("prepare_propagate", ["common"]),
    stage!("propagate", ["common"]),
    stage!("stdp_traces", ["common"]),
    stage!("stdp_pre", ["common", "stdp_common"]),
    stage!("stdp_post", ["common", "stdp_common"]),
    stage!("modulated_update", ["common"]),
    stage!("tick_end", ["common"]),
    stage!("rng_check", ["philox"]),
];

/// Stems of the shared (non-stage) files.
pub fn shared_files() -> impl Iterator<Item = &'static str> {
    SHARED.iter().map(|(name, _)| *name)
}

/// The stage called `name`.
pub fn stage(name: &str) -> Stage {
    *STAGES
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no shader stage named {name}"))
}

/// Full source of a stage as compiled: its includes in order, then the stage.
pub fn assembled_source(stage: &Stage) -> String {
    let mut src = String::new();
    for inc in stage.includes {
        let (_, text) = SHARED
            .iter()
            .find(|(n, _)| n == inc)
            .unwrap_or_else(|| panic!("no shared file {inc}"));
        src.push_str(text);
        src.push('\n');
    }
    src.push_str(stage.source);
    src
}

/// The shared declarations alone (used by the layout test).
pub fn common_source() -> &'static str {
    SHARED[0].1
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
