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
    ("gen_common", include_str!("../../shaders/gen_common.wgsl")),
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
    stage!("propagate_compact", ["common"]),
    stage!("propagate_procedural", ["common", "philox"]),
    stage!("generate_counts", ["common", "philox", "gen_common"]),
    stage!("generate_indegree", ["common", "philox", "gen_common"]),
    stage!("generate_synapses", ["common", "philox", "gen_common"]),
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

/// How `propagate_compact` splits its synapse arrays over bindings: `word_chunks` bindings
/// of weight/delay words and `target_chunks` of target pairs, each chunk `2^chunk_shift`
/// words (the last may be shorter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkLayout {
    /// Bindings of weight/delay words.
    pub word_chunks: u32,
    /// Bindings of target pairs.
    pub target_chunks: u32,
    /// log2 of the words per chunk.
    pub chunk_shift: u32,
    /// Delay bits of each word.
    pub delay_bits: u32,
}

impl Default for ChunkLayout {
    fn default() -> Self {
        Self {
            word_chunks: 1,
            target_chunks: 1,
            chunk_shift: 31,
            delay_bits: 13,
        }
    }
}

/// First binding of the chunked arrays in `propagate_compact`.
pub const COMPACT_CHUNK_BINDING: u32 = 8;

/// First binding of the chunked arrays in `generate_synapses`.
pub const GENERATE_CHUNK_BINDING: u32 = 4;

/// The generated part of `propagate_compact`: delay constants, one binding per chunk, and the
/// accessors that pick a chunk.
pub fn compact_accessors(layout: &ChunkLayout) -> String {
    let src = format!(
        "const DELAY_BITS: u32 = {}u;\nconst DELAY_MASK: u32 = {}u;\n",
        layout.delay_bits,
        (1u64 << layout.delay_bits) - 1
    );
    src + &chunk_accessors(layout, false)
}

/// Full source of `generate_synapses` for a chunk layout (writable chunks).
pub fn generate_synapses_source(layout: &ChunkLayout) -> String {
    let mut src = assembled_static(&stage("generate_synapses"));
    src.push('\n');
    src.push_str(&chunk_accessors(layout, true));
    src
}

/// One binding per chunk and the accessors that pick a chunk: `load_word` / `load_target`,
/// or (`write`) `store_word` / `or_target` (atomic: two rows may share a word of targets).
fn chunk_accessors(layout: &ChunkLayout, write: bool) -> String {
    use std::fmt::Write;
    let mut src = String::new();
    let mut binding = if write {
        GENERATE_CHUNK_BINDING
    } else {
        COMPACT_CHUNK_BINDING
    };
    let mask = ((1u64 << layout.chunk_shift) - 1) as u32;
    let shift = layout.chunk_shift;
    for (name, count) in [("words", layout.word_chunks), ("targets", layout.target_chunks)] {
        let access = if write { "read_write" } else { "read" };
        let elem = if write && name == "targets" {
            "array<atomic<u32>>"
        } else {
            "array<u32>"
        };
        for c in 0..count {
            let _ = writeln!(
                src,
                "@group(0) @binding({binding}) var<storage, {access}> {name}_{c}: {elem};"
            );
            binding += 1;
        }
        let (head, body, tail) = match (write, name) {
            (false, "words") => (
                "fn load_word(index: u32) -> u32 {\n    var value = 0u;",
                "value = {a}[i];",
                "    return value;\n}",
            ),
            (false, _) => (
                "fn load_target(index: u32) -> u32 {\n    var value = 0u;",
                "value = {a}[i];",
                "    return value;\n}",
            ),
            (true, "words") => ("fn store_word(index: u32, value: u32) {", "{a}[i] = value;", "}"),
            (true, _) => (
                "fn or_target(index: u32, value: u32) {",
                "atomicOr(&{a}[i], value);",
                "}",
            ),
        };
        let _ = writeln!(
            src,
            "{head}\n    let i = index & {mask}u;\n    switch (index >> {shift}u) {{"
        );
        for c in 0..count {
            let label = if c + 1 == count {
                "default".to_string()
            } else {
                format!("case {c}u")
            };
            let b = body.replace("{a}", &format!("{name}_{c}"));
            let _ = writeln!(src, "        {label}: {{ {b} }}");
        }
        let _ = writeln!(src, "    }}\n{tail}");
    }
    src
}

/// Full source of `propagate_compact` for a chunk layout.
pub fn propagate_compact_source(layout: &ChunkLayout) -> String {
    let mut src = assembled_static(&stage("propagate_compact"));
    src.push('\n');
    src.push_str(&compact_accessors(layout));
    src
}

/// Full source of a stage as compiled: its includes in order, then the stage (generated
/// stages with their default layout).
pub fn assembled_source(stage: &Stage) -> String {
    match stage.name {
        "propagate_compact" => propagate_compact_source(&ChunkLayout::default()),
        "generate_synapses" => generate_synapses_source(&ChunkLayout::default()),
        _ => assembled_static(stage),
    }
}

fn assembled_static(stage: &Stage) -> String {
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
    validate_source(stage.name, &assembled_source(stage))
}

/// Parses and validates the source of stage `name` (see [`validate`]).
pub fn validate_source(name: &str, src: &str) -> Result<naga::Module, String> {
    let stage = Stage {
        name: stage(name).name,
        includes: &[],
        source: "",
    };
    let src = src.to_string();
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
