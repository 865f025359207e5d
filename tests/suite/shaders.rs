//! Shader validation and Rust/WGSL layout contracts. No GPU needed.

use spikegpu::gpu::shaders::{self, STAGES};
use spikegpu::plan::fixed_total::{GenDist, GenProjection};
use spikegpu::plan::layout::{
    CompactProjection, Control, CurrentGpu, CurrentStep, GenParams, NeuronState, PlasticGpu, PoissonGpu,
    PoissonSegment, PopGpu, ProceduralGpu, SimParams, SpikeRecord, Synapse,
};

#[test]
fn every_shader_stage_validates_with_naga_without_optional_capabilities() {
    let mut failures = Vec::new();
    for stage in STAGES {
        if let Err(e) = shaders::validate(stage) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The portable dialect must not use 64-bit integers: naga refuses them without the
/// capability, so this fails if an `int64`-only helper leaks into it.
#[test]
fn only_the_int64_dialect_uses_64_bit_integers() {
    use spikegpu::gpu::shaders::{Dialect, assembled_source, stage};
    let portable = assembled_source(&stage("rng_check"), Dialect::PORTABLE);
    let wide = assembled_source(&stage("rng_check"), Dialect { int64: true });
    assert!(!portable.contains("u64"));
    assert!(wide.contains("u64("));
    assert!(shaders::validate_source("rng_check", &wide, Dialect::PORTABLE).is_err());
}

#[test]
fn every_wgsl_file_in_the_shaders_folders_is_a_known_stage_or_shared_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut files = 0;
    for folder in std::fs::read_dir(root).unwrap() {
        let folder = folder.unwrap().path();
        assert!(
            folder.is_dir(),
            "{} sits outside the shader folders",
            folder.display()
        );
        for entry in std::fs::read_dir(&folder).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let stem = name.trim_end_matches(".wgsl");
            let model = format!("model_{stem}");
            assert!(
                shaders::shared_files().any(|f| f == stem || f == model)
                    || STAGES.iter().any(|s| s.name == stem)
                    || stem == spikegpu::gpu::equation_pipeline::ENTRY,
                "{name} is neither a stage nor a shared file"
            );
            files += 1;
        }
    }
    assert!(files >= 30, "only {files} WGSL files found");
}

/// Size and member offsets of a WGSL struct as naga lays it out.
fn wgsl_layout(name: &str) -> (u32, Vec<(String, u32)>) {
    let module = naga::front::wgsl::parse_str(shaders::common_source()).unwrap();
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).unwrap();
    for (handle, ty) in module.types.iter() {
        if ty.name.as_deref() == Some(name) {
            if let naga::TypeInner::Struct { members, span } = &ty.inner {
                let m = members
                    .iter()
                    .map(|m| (m.name.clone().unwrap(), m.offset))
                    .collect();
                assert_eq!(layouter[handle].size, *span);
                return (*span, m);
            }
        }
    }
    panic!("struct {name} not found in common.wgsl");
}

macro_rules! check_layout {
    ($ty:ty, $name:literal, [$($field:ident),* $(,)?]) => {{
        let (size, members) = wgsl_layout($name);
        assert_eq!(size as usize, std::mem::size_of::<$ty>(), "size of {}", $name);
        let rust: Vec<(String, u32)> = vec![$((stringify!($field).to_string(), std::mem::offset_of!($ty, $field) as u32)),*];
        assert_eq!(members, rust, "members of {}", $name);
    }};
}

#[test]
#[rustfmt::skip]
fn rust_and_wgsl_structs_have_identical_layouts() {
    check_layout!(SimParams, "SimParams", [
        n_neurons, n_pops, ring_slots, n_poisson, poisson_threads, seed_lo, seed_hi,
        record_capacity, fixed_scale, fixed_inv_scale, row_threads, max_groups_x, n_current,
        current_threads, n_plastic, hist_len, stdp_lag, trace_threads,
        modulation_interval, n_synapses, n_procedural, input_seed_lo, input_seed_hi,
        input_first, input_stride, _pad2, _pad3
    ]);
    check_layout!(Control, "Control", [
        tick, tick_hi, end_tick, end_tick_hi, halted, spike_count, record_head, tick_events,
        spikes_lo, spikes_hi, events_lo, events_hi, halts, ring_slot, hist_slot, modulation_phase,
        fault_neuron, fault_field, fault_tick, fault_tick_hi, fault_stops, _pad0, _pad1, _pad2
    ]);
    check_layout!(PopGpu, "PopGpu", [start, size, refractory_ticks, model, c, input_lag]);
    check_layout!(NeuronState, "NeuronState", [v, u, w1, w2, syn_e, syn_i, refractory, aux]);
    check_layout!(Synapse, "Synapse", [post, delay_port]);
    check_layout!(PoissonGpu, "PoissonGpu", [
        target_start, target_count, thread_start, port, weight_fixed, seg_offset, seg_count, stream
    ]);
    check_layout!(PoissonSegment, "PoissonSegment", [start_tick, cdf_offset, cdf_len, _pad]);
    check_layout!(CurrentGpu, "CurrentGpu", [
        target_start, target_count, thread_start, kind, a0, a1, step_offset, step_count, stream,
        phase_step, phase0, local_offset
    ]);
    check_layout!(CurrentStep, "CurrentStep", [tick, amplitude]);
    check_layout!(PlasticGpu, "PlasticGpu", [
        pre_start, pre_size, post_start, post_size, pre_trace, post_trace, thread_start, flags,
        decay_plus, decay_minus, decay_x, decay_y, a2_plus, a3_plus, a2_minus, a3_minus, w_min,
        w_max, inv_span, mu, channel, decay_eligibility, interval_s
    ]);
    check_layout!(SpikeRecord, "SpikeRecord", [tick, neuron]);
    check_layout!(ProceduralGpu, "ProceduralGpu", [
        pre_start, pre_size, post_start, post_size, port, delay, weight_fixed, threshold, all,
        stream, skip_self, _pad
    ]);
    check_layout!(GenParams, "GenParams", [
        n_gen, chunk_threads, row_threads, stride, seed_lo, seed_hi, fixed_scale, delay_bits,
        row_group_bits, _pad0, _pad1, _pad2
    ]);
    check_layout!(GenDist, "GenDist", [kind, a, b, lo, hi]);
    check_layout!(GenProjection, "GenProjection", [
        pre_start, pre_size, post_start, post_size, port, n_total, skip_self, stream,
        count_stream, inv_dt, chunk_thread, row_thread, count_base, row_base, indegree_base, _pad,
        weight, delay, first
    ]);
    check_layout!(CompactProjection, "CompactProjection", [pre_start, post_start, port, row_base, first]);
}

/// `propagate_compact` and `generate_synapses` are generated for each chunk layout: they
/// validate for one chunk and for several, with different chunk sizes, delay and target
/// widths (a chunk of targets serving one to 32 word chunks).
#[test]
fn chunked_stages_validate_for_every_chunk_layout_shape() {
    use spikegpu::gpu::shaders::{
        ChunkLayout, Dialect, generate_synapses_source, propagate_compact_source, validate_source,
    };
    for (word_chunks, target_chunks, chunk_shift, delay_bits, target_bits) in [
        (1, 1, 31, 13, 16),
        (3, 2, 20, 7, 15),
        (16, 8, 25, 1, 1),
        (2, 1, 10, 12, 11),
        (3, 3, 5, 6, 32),
        (4, 4, 26, 4, 17),
    ] {
        let layout = ChunkLayout {
            word_chunks,
            target_chunks,
            chunk_shift,
            delay_bits,
            target_bits,
        };
        for dialect in Dialect::ALL {
            validate_source(
                "propagate_compact",
                &propagate_compact_source(&layout, dialect),
                dialect,
            )
            .unwrap();
            validate_source(
                "generate_synapses",
                &generate_synapses_source(&layout, dialect),
                dialect,
            )
            .unwrap();
        }
        // One binding per chunk: read-only for propagation, writable for generation.
        for (src, access) in [
            (propagate_compact_source(&layout, Dialect::PORTABLE), "read"),
            (generate_synapses_source(&layout, Dialect::PORTABLE), "read_write"),
        ] {
            for (array, chunks) in [("words", word_chunks), ("targets", target_chunks)] {
                let binding = format!("var<storage, {access}> {array}_");
                assert_eq!(src.matches(&binding).count(), chunks as usize, "{binding}");
            }
        }
    }
}
