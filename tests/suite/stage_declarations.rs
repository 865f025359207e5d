//! The stage declarations (src/gpu/stages.rs) against the WGSL, read by naga: no GPU needed.
//! Bind group layouts, bind groups and dispatches are made from the declarations alone, so a
//! declaration that drifts from its shader must fail here rather than in wgpu's validation.

use std::collections::BTreeMap;

use spikegpu::gpu::shaders::{self, ChunkLayout, Dialect, STAGES};
use spikegpu::gpu::stages::{self, Access, DECLARATIONS, DispatchRule, StageDecl};
use spikegpu::plan::sizes::{
    COMPACT_FIXED_STORAGE_BINDINGS, GENERATION_FIXED_STORAGE_BINDINGS, GENERATION_WORKGROUP, GRID_WORKGROUP,
};
use spikegpu::sim::schedule::TickStage;

/// Chunk layouts the chunked stages are checked for: one chunk, and several of each kind.
const LAYOUTS: [ChunkLayout; 3] = [
    ChunkLayout {
        word_chunks: 1,
        target_chunks: 1,
        chunk_shift: 31,
        delay_bits: 13,
        target_bits: 16,
    },
    ChunkLayout {
        word_chunks: 3,
        target_chunks: 2,
        chunk_shift: 20,
        delay_bits: 7,
        target_bits: 15,
    },
    ChunkLayout {
        word_chunks: 16,
        target_chunks: 8,
        chunk_shift: 25,
        delay_bits: 1,
        target_bits: 1,
    },
];

/// (group, binding) -> (variable name, access), as naga reads them from a module.
type BindingList = BTreeMap<(u32, u32), (String, Access)>;

fn wgsl_bindings(module: &naga::Module) -> Result<BindingList, String> {
    let mut out = BindingList::new();
    for (_, var) in module.global_variables.iter() {
        let Some(binding) = &var.binding else { continue };
        let name = var.name.clone().unwrap_or_default();
        let access = match var.space {
            naga::AddressSpace::Uniform => Access::Uniform,
            naga::AddressSpace::Storage { access } if access.contains(naga::StorageAccess::STORE) => {
                Access::ReadWrite
            }
            naga::AddressSpace::Storage { .. } => Access::Read,
            other => return Err(format!("'{name}' is bound in address space {other:?}")),
        };
        out.insert((binding.group, binding.binding), (name, access));
    }
    Ok(out)
}

fn declared_bindings(decl: &StageDecl, layout: Option<&ChunkLayout>) -> BindingList {
    decl.slots(layout)
        .into_iter()
        .map(|slot| ((0, slot.index), (slot.name, slot.access)))
        .collect()
}

fn describe(entry: Option<&(String, Access)>) -> String {
    match entry {
        Some((name, access)) => format!("var<{}> {name}", access.wgsl()),
        None => "nothing".into(),
    }
}

/// Every difference between a declaration and its WGSL, one line each, naming the stage,
/// the dialect, the chunk layout and the binding.
fn binding_differences(decl: &StageDecl, layout: Option<&ChunkLayout>, dialect: Dialect) -> Vec<String> {
    let where_ = match layout {
        Some(l) => format!("{dialect:?}, {} + {} chunks", l.word_chunks, l.target_chunks),
        None => format!("{dialect:?}"),
    };
    let source = shaders::stage_source(decl.name, layout, dialect);
    let module = match shaders::validate_source(decl.name, &source, dialect) {
        Ok(module) => module,
        Err(e) => return vec![e],
    };
    let wgsl = match wgsl_bindings(&module) {
        Ok(list) => list,
        Err(e) => return vec![format!("stage '{}' ({where_}): {e}", decl.name)],
    };
    let declared = declared_bindings(decl, layout);
    let mut keys: Vec<_> = wgsl.keys().chain(declared.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter(|key| wgsl.get(key) != declared.get(key))
        .map(|(group, binding)| {
            format!(
                "stage '{}' ({where_}), @group({group}) @binding({binding}): declared {}, WGSL has {}",
                decl.name,
                describe(declared.get(&(group, binding))),
                describe(wgsl.get(&(group, binding))),
            )
        })
        .collect()
}

/// All differences of every declaration, in every dialect (and chunk layout).
fn all_binding_differences(declarations: &[StageDecl]) -> Vec<String> {
    let mut failures = Vec::new();
    for decl in declarations {
        for dialect in Dialect::ALL {
            if decl.chunks.is_some() {
                for layout in &LAYOUTS {
                    failures.extend(binding_differences(decl, Some(layout), dialect));
                }
            } else {
                failures.extend(binding_differences(decl, None, dialect));
            }
        }
    }
    failures
}

#[test]
fn every_stage_declaration_has_exactly_the_bindings_of_its_wgsl() {
    let failures = all_binding_differences(DECLARATIONS);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The comparison itself can fail: a declaration with one binding's access changed, and one
/// with a binding missing, are each reported by stage and binding.
#[test]
fn a_declaration_that_differs_from_its_wgsl_is_reported_by_stage_and_binding() {
    let original = stages::declaration("poisson_input").unwrap();
    let mut bindings = original.bindings.to_vec();
    bindings[3].access = Access::ReadWrite;
    let wrong_access = StageDecl {
        bindings: Box::leak(bindings.into_boxed_slice()),
        ..*original
    };
    let failures = all_binding_differences(&[wrong_access]);
    assert_eq!(failures.len(), Dialect::ALL.len(), "{failures:?}");
    assert!(
        failures[0].contains("stage 'poisson_input'")
            && failures[0].contains("@binding(3)")
            && failures[0].contains("declared var<storage, read_write> poisson_cdf")
            && failures[0].contains("WGSL has var<storage, read> poisson_cdf"),
        "{}",
        failures[0]
    );
    let compact = stages::declaration("propagate_compact").unwrap();
    let missing = StageDecl {
        bindings: &compact.bindings[..compact.bindings.len() - 1],
        ..*compact
    };
    let failures = all_binding_differences(&[missing]);
    assert!(!failures.is_empty());
    assert!(
        failures
            .iter()
            .all(|f| f.contains("@binding(7): declared nothing, WGSL has var<storage, read_write> ring")),
        "{failures:?}"
    );
}

/// The workgroup size a stage is dispatched with is the one its entry point declares (an
/// `override` is read at its default, which the engine does not change).
#[test]
fn every_stage_declaration_has_the_workgroup_size_of_its_entry_point() {
    for decl in DECLARATIONS {
        let source = shaders::stage_source(decl.name, None, Dialect::PORTABLE);
        let module = shaders::validate_source(decl.name, &source, Dialect::PORTABLE).unwrap();
        let entry = module.entry_points.iter().find(|e| e.name == decl.name).unwrap();
        let x = match entry.workgroup_size_overrides.and_then(|o| o[0]) {
            Some(expr) => override_default(&module, expr),
            None => entry.workgroup_size[0],
        };
        assert_eq!(x, decl.workgroup_size, "workgroup size of {}", decl.name);
        assert_eq!(
            &entry.workgroup_size[1..],
            &[1, 1],
            "{} is one-dimensional",
            decl.name
        );
    }
}

/// The default value of the override an expression names.
fn override_default(module: &naga::Module, expr: naga::Handle<naga::Expression>) -> u32 {
    let naga::Expression::Override(handle) = module.global_expressions[expr] else {
        panic!(
            "workgroup size is not an override: {:?}",
            module.global_expressions[expr]
        );
    };
    let init = module.overrides[handle].init.expect("override has a default");
    match module.global_expressions[init] {
        naga::Expression::Literal(naga::Literal::U32(v)) => v,
        ref other => panic!("override default is not a u32 literal: {other:?}"),
    }
}

/// Stages on a thread grid share the grid's workgroup size (the shaders compute their thread
/// index from `params.row_threads`); the generation passes theirs.
#[test]
fn grid_and_generation_stages_use_the_workgroup_size_their_grids_assume() {
    for decl in DECLARATIONS {
        match decl.dispatch {
            DispatchRule::Grid(_) => assert_eq!(decl.workgroup_size, GRID_WORKGROUP, "{}", decl.name),
            DispatchRule::GenerationChunks | DispatchRule::GenerationRows => {
                assert_eq!(decl.workgroup_size, GENERATION_WORKGROUP, "{}", decl.name)
            }
            _ => {}
        }
    }
}

#[test]
fn every_shader_stage_has_one_declaration_and_every_declaration_a_shader() {
    let mut sources: Vec<_> = STAGES.iter().map(|s| s.name).collect();
    let mut declared: Vec<_> = DECLARATIONS.iter().map(|d| d.name).collect();
    sources.sort_unstable();
    declared.sort_unstable();
    assert_eq!(sources, declared);
}

/// A tick stage runs as the declaration of its own name (`propagate` as `propagate_compact`
/// over compact synapses, as `propagate_short_term` with Tsodyks-Markram synapses), and each
/// binding of a declaration is at a distinct index.
#[test]
fn every_tick_stage_runs_as_the_declaration_named_after_it() {
    for stage in TickStage::ALL {
        assert_eq!(stages::tick_declaration(stage, false, false).name, stage.name());
        let compact = stages::tick_declaration(stage, true, false).name;
        let short_term = stages::tick_declaration(stage, false, true).name;
        if stage == TickStage::Propagate {
            assert_eq!(compact, "propagate_compact");
            assert_eq!(short_term, "propagate_short_term");
        } else {
            assert_eq!(compact, stage.name());
            assert_eq!(short_term, stage.name());
        }
    }
    for decl in DECLARATIONS {
        let slots = decl.slots(Some(&LAYOUTS[1]));
        let mut indices: Vec<_> = slots.iter().map(|s| s.index).collect();
        indices.sort_unstable();
        indices.dedup();
        assert_eq!(
            indices.len(),
            slots.len(),
            "{}: a binding index is used twice",
            decl.name
        );
    }
}

/// The binding counts the sizes check against the device's limit are the declarations'.
#[test]
fn the_sizes_count_the_fixed_bindings_the_chunked_stages_declare() {
    let compact = stages::declaration("propagate_compact").unwrap();
    assert_eq!(compact.fixed_storage_bindings(), COMPACT_FIXED_STORAGE_BINDINGS);
    let generate = stages::declaration("generate_synapses").unwrap();
    assert_eq!(
        generate.fixed_storage_bindings(),
        GENERATION_FIXED_STORAGE_BINDINGS
    );
}
