//! Connectivity generated on the GPU (src/generate.rs, src/gpu/generate.rs): the same rows
//! as the host plan for the same seed, nothing proportional to the synapses on the host.

mod common;

use spikegpu::compact::CompactSynapses;
use spikegpu::gpu::{GpuBackend, GpuOptions};
use spikegpu::plan::Plan;
use spikegpu::{Backend, SimOptions, Simulator, microcircuit};

/// The Potjans-Diesmann microcircuit at 5% of its neurons and in-degrees (55 fixed-total
/// projections, normal weights and delays): every row the GPU generates holds exactly the
/// targets, delays and fixed-point weights, in the same order, as the host plan's row.
#[test]
fn gpu_generated_connectivity_equals_the_host_plan_row_by_row() {
    check_rows(GpuOptions::default());
}

/// As above with the arrays split into 256 KiB chunks (about twenty bindings): rows cross
/// chunk boundaries and projections start inside chunks, at their 64-bit first positions.
#[test]
fn gpu_generated_connectivity_split_over_many_chunks_equals_the_host_plan() {
    check_rows(GpuOptions {
        max_chunk_bytes: Some(1 << 18),
        ..GpuOptions::default()
    });
}

/// With a provisional in-degree bound of the mean (zero standard deviations) real in-degrees
/// exceed it: the synapses are written again at the scale of the real in-degrees, which is
/// at least the default (wider) bound's, and the rows still equal the host plan's.
#[test]
fn an_exceeded_indegree_bound_rewrites_the_synapses_at_the_real_scale() {
    let tight = check_rows(GpuOptions {
        indegree_bound_sd: 0.0,
        ..GpuOptions::default()
    });
    let default = check_rows(GpuOptions::default());
    if let (Some(tight), Some(default)) = (tight, default) {
        assert!(tight.1, "the tight bound was exceeded");
        assert!(!default.1, "the default bound held");
        assert!(tight.0 >= default.0, "scales {} {}", tight.0, default.0);
    }
}

/// Checks every generated row against the host plan; returns the fixed-point scale and
/// whether the synapses were written twice.
fn check_rows(options: GpuOptions) -> Option<(f32, bool)> {
    let ctx = common::gpu()?;
    let net = microcircuit::microcircuit(7, 0.05, 0.05).unwrap();
    let host = Plan::new(&net).unwrap();
    let device_plan = Plan::for_device_generation(&net).unwrap();
    assert_eq!(device_plan.device_projections.len(), net.projections.len());
    assert_eq!(device_plan.synapse_count(), 0, "no synapse on the host");
    if let Some(chunk) = options.max_chunk_bytes {
        assert!(host.synapse_count() * 4 > 8 * chunk, "the words span many chunks");
    }
    let gpu = GpuBackend::with_context(ctx, &device_plan, options).unwrap();
    let scale = gpu.fixed_scale();
    let expected = CompactSynapses::encode_scaled(&host, &host.weights, scale).unwrap();
    let layout = CompactSynapses::encode_scaled(&device_plan, &device_plan.weights, scale).unwrap();
    let pulled = gpu.pull_compact().unwrap().expect("compact storage");
    assert_eq!(gpu.generated_synapses(), host.synapse_count());
    assert_eq!(
        pulled.projections, expected.projections,
        "projection table and first positions"
    );
    assert_eq!(layout.projections.len(), expected.projections.len());
    let (words, targets, row_ptr) = (&pulled.words, &pulled.targets, &pulled.row_ptr);
    let decode = |s: usize| {
        let word = words[s];
        let bits = expected.delay_bits;
        (
            (targets[s / 2] >> (16 * (s % 2))) & 0xffff,
            word & ((1 << bits) - 1),
            (word as i32) >> bits,
        )
    };
    let mut checked = 0u64;
    for (t, p) in expected.projections.iter().enumerate() {
        let next = expected
            .projections
            .get(t + 1)
            .map_or(expected.row_ptr.len(), |n| n.row_base as usize);
        let base = p.row_base as usize;
        let first = expected.first(t) as usize;
        for i in 0..next - base - 1 {
            let (a, b) = (
                first + expected.row_ptr[base + i] as usize,
                first + expected.row_ptr[base + i + 1] as usize,
            );
            let (c, d) = (
                first + row_ptr[base + i] as usize,
                first + row_ptr[base + i + 1] as usize,
            );
            assert_eq!(b - a, d - c, "projection {t} row {i}: length");
            for k in 0..b - a {
                assert_eq!(
                    expected.decode(a + k),
                    decode(c + k),
                    "projection {t} row {i} synapse {k}"
                );
            }
            checked += (b - a) as u64;
        }
    }
    assert_eq!(checked, host.synapse_count());
    let rerun = gpu.setup_times().generation_rerun;
    Some((scale, rerun))
}

/// A simulation on GPU-generated connectivity reruns bit-identically and fires like the one
/// on host-built connectivity (the same synapses; the fixed-point scale may differ by a
/// power of two because the bound uses each projection's largest weight).
#[test]
fn simulations_on_generated_connectivity_rerun_identically_and_match_host_built_rates() {
    let Some(_ctx) = common::gpu() else { return };
    let net = microcircuit::microcircuit(3, 0.05, 0.05).unwrap();
    let run = |generate_on_device| {
        let options = SimOptions {
            generate_on_device,
            ..SimOptions::default()
        };
        let mut sim = Simulator::with_options(&net, Backend::Gpu, options).unwrap();
        sim.run_ms(300.0).unwrap();
        (
            spikegpu::stats::spike_hash(sim.spike_records()),
            sim.counters().spikes,
            sim.synapse_count(),
        )
    };
    let (a, b, host) = (run(true), run(true), run(false));
    assert_eq!(a, b, "rerun");
    assert_eq!(a.2, host.2, "synapse count");
    let ratio = a.1 as f64 / host.1 as f64;
    assert!((ratio - 1.0).abs() < 0.1, "spikes {} vs {}", a.1, host.1);
    let err = Simulator::with_options(
        &net,
        Backend::Cpu,
        SimOptions {
            generate_on_device: true,
            ..SimOptions::default()
        },
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("generate_on_device"), "{err}");
}

/// The provisional bound's width is checked before anything is generated.
#[test]
fn a_bad_indegree_bound_is_refused_naming_the_option() {
    let Some(_ctx) = common::gpu() else { return };
    let net = microcircuit::microcircuit(7, 0.02, 0.02).unwrap();
    for bad in [f64::NAN, -1.0, f64::INFINITY] {
        let options = SimOptions {
            generate_on_device: true,
            gpu: GpuOptions {
                indegree_bound_sd: bad,
                ..GpuOptions::default()
            },
        };
        let err = Simulator::with_options(&net, Backend::Gpu, options)
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("indegree_bound_sd") && err.contains(">= 0"), "{err}");
    }
}
