//! WGSL sources. Each stage lives in its own file under `shaders/`, with its entry point named
//! after the stage; shared declarations (`common.wgsl`), the generator (`philox.wgsl`) and the
//! neuron models (`neurons::wgsl`: constants generated from their tables, then
//! `shaders/models/*.wgsl`) are prepended as each stage lists them. The whole
//! "preprocessor" is concatenation in the listed order, so what naga validates in the tests is
//! exactly what the device compiles.

/// Shared files a stage may include, by file stem.
const SHARED: &[(&str, &str)] = &[
    ("common", include_str!("../../shaders/shared/common.wgsl")),
    ("mulhi", include_str!("../../shaders/shared/mulhi.wgsl")),
    (
        "mulhi_int64",
        include_str!("../../shaders/shared/mulhi_int64.wgsl"),
    ),
    ("philox", include_str!("../../shaders/shared/philox.wgsl")),
    (
        "stdp_common",
        include_str!("../../shaders/shared/stdp_common.wgsl"),
    ),
    (
        "gen_common",
        include_str!("../../shaders/generation/gen_common.wgsl"),
    ),
    (
        "chunk_position",
        include_str!("../../shaders/shared/chunk_position.wgsl"),
    ),
    ("spike_walk", include_str!("../../shaders/shared/spike_walk.wgsl")),
    (
        "compact_row",
        include_str!("../../shaders/shared/compact_row.wgsl"),
    ),
    ("tick", include_str!("../../shaders/shared/tick.wgsl")),
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
    ($folder:literal / $name:literal, [$($inc:literal),*]) => {
        Stage {
            name: $name,
            includes: &[$($inc),*],
            source: include_str!(concat!("../../shaders/", $folder, "/", $name, ".wgsl")),
        }
    };
}

/// Every stage the engine uses, in tick order, then the test-only stages.
pub const STAGES: &[Stage] = &[
    stage!("stages" / "batch_begin", ["common"]),
    stage!("stages" / "poisson_input", ["common", "tick", "mulhi", "philox"]),
    stage!("stages" / "current_input", ["common", "tick", "mulhi", "philox"]),
    stage!(
        "stages" / "neuron_update",
        ["common", "tick", "mulhi", "philox", "neuron_models"]
    ),
    stage!("stages" / "prepare_propagate", ["common", "tick"]),
    stage!("stages" / "propagate", ["common", "spike_walk"]),
    stage!("stages" / "propagate_short_term", ["common", "spike_walk"]),
    stage!(
        "stages" / "propagate_stochastic",
        ["common", "spike_walk", "mulhi", "philox"]
    ),
    stage!(
        "stages" / "propagate_compact",
        ["common", "spike_walk", "chunk_position", "compact_row"]
    ),
    stage!(
        "stages" / "propagate_procedural",
        ["common", "spike_walk", "mulhi", "philox"]
    ),
    stage!(
        "generation" / "generate_counts",
        ["common", "mulhi", "philox", "gen_common"]
    ),
    stage!(
        "generation" / "generate_synapses",
        ["common", "mulhi", "philox", "gen_common", "chunk_position"]
    ),
    stage!("stages" / "stdp_traces", ["common", "tick"]),
    stage!("stages" / "stdp_pre", ["common", "tick", "stdp_common"]),
    stage!("stages" / "stdp_post", ["common", "tick", "stdp_common"]),
    stage!("stages" / "modulated_update", ["common"]),
    stage!("stages" / "tick_end", ["common", "tick"]),
    stage!("stages" / "deliver", ["common"]),
    stage!(
        "stages" / "deliver_compact",
        ["common", "chunk_position", "compact_row"]
    ),
    stage!("checks" / "rng_check", ["mulhi", "philox"]),
    stage!("checks" / "position_check", ["chunk_position"]),
];

/// Optional shader capabilities of the device that change how a shared helper is written,
/// never what it computes: every dialect gives bit-identical results (tested on the GPU).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dialect {
    /// 64-bit integers (wgpu's `SHADER_INT64`): `mulhi32` is one widening product
    /// (`mulhi_int64.wgsl`) instead of four 16-bit ones (`mulhi.wgsl`).
    pub int64: bool,
}

impl Dialect {
    /// What any WebGPU adapter runs.
    pub const PORTABLE: Dialect = Dialect { int64: false };
    /// Every dialect, for validation.
    pub const ALL: [Dialect; 2] = [Dialect::PORTABLE, Dialect { int64: true }];

    /// The dialect of an opened device (see `GpuContext`, which enables what helps).
    pub fn of(device: &wgpu::Device) -> Self {
        Self {
            int64: device.features().contains(wgpu::Features::SHADER_INT64),
        }
    }

    /// The naga capabilities the dialect's sources need.
    pub fn capabilities(self) -> naga::valid::Capabilities {
        if self.int64 {
            naga::valid::Capabilities::SHADER_INT64
        } else {
            naga::valid::Capabilities::empty()
        }
    }

    /// The shared file this dialect includes for `stem`.
    fn file_for(self, stem: &str) -> &str {
        match stem {
            "mulhi" if self.int64 => "mulhi_int64",
            other => other,
        }
    }
}

/// Stems of the shared (non-stage) files, the neuron models' included.
pub fn shared_files() -> impl Iterator<Item = &'static str> {
    let models = crate::neurons::BUILTIN.iter().map(|m| m.name.as_ref());
    SHARED.iter().map(|(name, _)| *name).chain(models)
}

/// The stage called `name`.
pub fn stage(name: &str) -> Stage {
    *STAGES
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no shader stage named {name}"))
}

pub use crate::plan::sizes::ChunkLayout;

/// First binding of the chunked arrays in `propagate_compact`.
pub const COMPACT_CHUNK_BINDING: u32 = 8;

/// First binding of the chunked arrays in `deliver_compact`.
pub const DELIVER_COMPACT_CHUNK_BINDING: u32 = 6;

/// First binding of the chunked arrays in `generate_synapses`.
pub const GENERATE_CHUNK_BINDING: u32 = 5;

/// Full source of `propagate_compact` for a chunk layout: the stage, then its constants,
/// one binding per chunk and `deliver_segment`, which walks a run of synapses inside one
/// chunk. The switch on the chunk sits outside the loop, so a software driver that runs
/// every case under a lane mask pays for it once per run, not once per synapse.
pub fn propagate_compact_source(layout: &ChunkLayout, dialect: Dialect) -> String {
    compact_walk_source("propagate_compact", layout, COMPACT_CHUNK_BINDING, dialect)
}

/// Full source of a rank's `deliver_compact` for a chunk layout: as
/// [`propagate_compact_source`], the same `deliver_segment` walking the same arrays.
pub fn deliver_compact_source(layout: &ChunkLayout, dialect: Dialect) -> String {
    compact_walk_source("deliver_compact", layout, DELIVER_COMPACT_CHUNK_BINDING, dialect)
}

/// A stage that walks compact rows (`name`, its chunks bound from `first`), with the
/// generated `deliver_segment` calling the stage's own `deliver`.
fn compact_walk_source(name: &str, layout: &ChunkLayout, first: u32, dialect: Dialect) -> String {
    let mut src = chunked_stage(name, layout, first, false, dialect);
    src.push_str(&chunk_switch(
        layout,
        "fn deliver_segment(chunk: u32, within: u32, len: u32, lid: u32, now_slot: u32, proj: CompactProjection)",
        "for (var i = within + lid; i < within + len; i += WORKGROUP_SIZE) { \
         let bit = (i & 31u) * TARGET_BITS; \
         let at = region + (i >> 5u) * TARGET_BITS + (bit >> 5u); \
         let shift = bit & 31u; \
         var local = targets_{t}[at] >> shift; \
         if (shift + TARGET_BITS > 32u) { local |= targets_{t}[at + 1u] << (32u - shift); } \
         deliver(now_slot, proj, words_{w}[i], local & TARGET_MASK); }",
    ));
    src
}

/// Full source of `generate_synapses` for a chunk layout: as `propagate_compact_source`,
/// with writable chunks and `write_segment`, which writes a run of a row's synapses inside
/// one chunk. Its targets are gathered into words of the bit stream and OR-ed into the zeroed
/// array as each fills: the first and last word of a run may hold targets of the
/// neighbouring rows, and OR makes the result independent of the order rows run in.
pub fn generate_synapses_source(layout: &ChunkLayout, dialect: Dialect) -> String {
    let mut src = chunked_stage("generate_synapses", layout, GENERATE_CHUNK_BINDING, true, dialect);
    src.push_str(&chunk_switch(
        layout,
        "fn write_segment(p: GenProjection, row: u32, s0: u32, chunk: u32, within: u32, len: u32)",
        "let first_bit = (within & 31u) * TARGET_BITS; \
         var at = region + (within >> 5u) * TARGET_BITS + (first_bit >> 5u); \
         var filled = first_bit & 31u; \
         var gathered = 0u; \
         for (var i = 0u; i < len; i++) { \
         let a = gen_synapse(p, row, s0 + i); \
         words_{w}[within + i] = a.x; \
         count_target(p, a.y); \
         gathered |= a.y << filled; \
         filled += TARGET_BITS; \
         if (filled >= 32u) { \
         atomicOr(&targets_{t}[at], gathered); \
         at += 1u; filled -= 32u; \
         gathered = select(0u, a.y >> (TARGET_BITS - filled), filled != 0u); } } \
         if (filled != 0u) { atomicOr(&targets_{t}[at], gathered); }",
    ));
    src
}

/// A chunked stage's own source, then its layout constants and one binding per chunk from
/// binding `first` (writable where `write`).
fn chunked_stage(name: &str, layout: &ChunkLayout, first: u32, write: bool, dialect: Dialect) -> String {
    let mut src = assembled_static(&stage(name), dialect);
    src.push_str(&format!(
        "\nconst DELAY_BITS: u32 = {}u;\nconst DELAY_MASK: u32 = {}u;\nconst CHUNK_SHIFT: u32 = {}u;\n\
         const TARGET_BITS: u32 = {}u;\nconst TARGET_MASK: u32 = {}u;\n\
         // Word chunks sharing a chunk of targets, and the words of targets of each.\n\
         const TARGET_SPAN: u32 = {}u;\nconst REGION_WORDS: u32 = {}u;\n",
        layout.delay_bits,
        (1u64 << layout.delay_bits) - 1,
        layout.chunk_shift,
        layout.target_bits,
        crate::plan::compact::target_mask(layout.target_bits),
        crate::plan::compact::target_chunk_span(layout.target_bits),
        u64::from(layout.target_bits) << (layout.chunk_shift - 5)
    ));
    src.push_str(&chunk_bindings(layout, first, write));
    src
}

/// One binding per chunk: `words_c`, then `targets_c`.
fn chunk_bindings(layout: &ChunkLayout, first: u32, write: bool) -> String {
    use std::fmt::Write;
    let mut src = String::new();
    let (access, targets) = if write {
        // Words of targets may be shared by neighbouring rows (see generate_synapses_source).
        ("read_write", "array<atomic<u32>>")
    } else {
        ("read", "array<u32>")
    };
    let mut binding = first;
    for (name, count, elem) in [
        ("words", layout.word_chunks, "array<u32>"),
        ("targets", layout.target_chunks, targets),
    ] {
        for c in 0..count {
            let _ = writeln!(
                src,
                "@group(0) @binding({binding}) var<storage, {access}> {name}_{c}: {elem};"
            );
            binding += 1;
        }
    }
    src
}

/// `head` with a body that switches on `chunk` and runs `run` with `{w}` / `{t}` replaced
/// by the word and target chunk (`region`: the first word of the word chunk's targets in its
/// target chunk).
fn chunk_switch(layout: &ChunkLayout, head: &str, run: &str) -> String {
    use std::fmt::Write;
    let span = crate::plan::compact::target_chunk_span(layout.target_bits);
    let mut src =
        format!("{head} {{\n    let region = (chunk % TARGET_SPAN) * REGION_WORDS;\n    switch (chunk) {{\n");
    for c in 0..layout.word_chunks {
        let label = if c + 1 == layout.word_chunks {
            "default".to_string()
        } else {
            format!("case {c}u")
        };
        let body = run
            .replace("{w}", &c.to_string())
            .replace("{t}", &(c / span).to_string());
        let _ = writeln!(src, "        {label}: {{ {body} }}");
    }
    src.push_str("    }\n}\n");
    src
}

/// Full source of stage `name` as compiled in `dialect`, the chunked stages generated for
/// `chunks` (their default layout if `None`).
pub fn stage_source(name: &str, chunks: Option<&ChunkLayout>, dialect: Dialect) -> String {
    let layout = chunks.copied().unwrap_or_default();
    match name {
        "propagate_compact" => propagate_compact_source(&layout, dialect),
        "deliver_compact" => deliver_compact_source(&layout, dialect),
        "generate_synapses" => generate_synapses_source(&layout, dialect),
        _ => assembled_static(&stage(name), dialect),
    }
}

/// Full source of a stage as compiled in `dialect`: its includes in order, then the stage
/// (generated stages with their default layout).
pub fn assembled_source(stage: &Stage, dialect: Dialect) -> String {
    stage_source(stage.name, None, dialect)
}

fn assembled_static(stage: &Stage, dialect: Dialect) -> String {
    let mut src = String::new();
    for inc in stage.includes {
        let file = dialect.file_for(inc);
        if file == crate::neurons::wgsl::INCLUDE {
            // Generated from the neuron models' tables: their constants, then their sources.
            src.push_str(&crate::neurons::wgsl::builtin_source());
            src.push('\n');
            continue;
        }
        let (_, text) = SHARED
            .iter()
            .find(|(n, _)| *n == file)
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

/// Parses and validates a stage with naga in every dialect, the portable one with no optional
/// capability: the engine must run on any WebGPU-level adapter.
pub fn validate(stage: &Stage) -> Result<(), String> {
    for dialect in Dialect::ALL {
        validate_source(stage.name, &assembled_source(stage, dialect), dialect)?;
    }
    Ok(())
}

/// Parses and validates the source of stage `name` with the capabilities of `dialect` alone.
pub fn validate_source(name: &str, src: &str, dialect: Dialect) -> Result<naga::Module, String> {
    let stage = Stage {
        name: stage(name).name,
        includes: &[],
        source: "",
    };
    let src = src.to_string();
    let module = naga::front::wgsl::parse_str(&src)
        .map_err(|e| format!("{} ({dialect:?}): {}", stage.name, e.emit_to_string(&src)))?;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), dialect.capabilities())
        .validate(&module)
        .map_err(|e| format!("{} ({dialect:?}): {}", stage.name, e.emit_to_string(&src)))?;
    if !module.entry_points.iter().any(|e| e.name == stage.name) {
        return Err(format!("{}: no entry point named after the stage", stage.name));
    }
    Ok(module)
}
