//! Connectivity generated on the GPU (src/generate.rs, src/gpu/generate.rs): the same rows
//! as the host plan for the same seed, nothing proportional to the synapses on the host.

use crate::common;

use spikegpu::gpu::{GpuBackend, GpuOptions};
use spikegpu::networks::microcircuit;
use spikegpu::plan::Plan;
use spikegpu::plan::compact::CompactSynapses;
use spikegpu::{Backend, SimOptions, Simulator};

/// The Potjans-Diesmann microcircuit at 5% of its neurons and in-degrees (55 fixed-total
/// projections, normal weights and delays): every row the GPU generates holds exactly the
/// targets, delays and fixed-point weights, in the same order, as the host plan's row.
#[test]
fn gpu_generated_connectivity_equals_the_host_plan_row_by_row() {
    check_rows(&small_microcircuit(), GpuOptions::default());
}

/// As above with the arrays split into 256 KiB chunks (about twenty bindings): rows cross
/// chunk boundaries and projections start inside chunks, at their 64-bit first positions.
#[test]
fn gpu_generated_connectivity_split_over_many_chunks_equals_the_host_plan() {
    check_rows(
        &small_microcircuit(),
        GpuOptions {
            max_chunk_bytes: Some(1 << 18),
            ..GpuOptions::default()
        },
    );
}

/// As above on a device limited to 7 workgroups per grid dimension: every pass runs on a 2-D
/// grid (4 wide: generation rounds the width down to a power of two), which the row passes
/// walk in bit-reversed workgroup order. Each row is written, and its targets counted, once:
/// doubled in-degrees would exceed the provisional bound and force a second pass.
#[test]
fn gpu_generated_connectivity_on_a_2d_grid_equals_the_host_plan() {
    let Some(mut ctx) = common::gpu() else { return };
    ctx.limits.max_compute_workgroups_per_dimension = 7;
    let (_, rerun) = check_rows_on(ctx, &small_microcircuit(), GpuOptions::default());
    assert!(!rerun, "in-degrees counted twice");
}

/// A post population of 70,000 neurons needs 17-bit targets, which straddle words of the
/// target stream: the generated rows (200,000 synapses) and the host-built one-to-one rows
/// still equal the host plan's.
#[test]
fn gpu_generated_connectivity_with_17_bit_targets_equals_the_host_plan() {
    let net = fixed_total_network(13, 70_000, 200_000, 60.0, Some(0.5));
    let plan = Plan::for_device_generation(&net).unwrap();
    let c = CompactSynapses::encode(&plan, &plan.weights).unwrap();
    assert_eq!(c.target_bits, 17);
    check_rows(&net, GpuOptions::default());
}

fn small_microcircuit() -> spikegpu::Network {
    let net = microcircuit::microcircuit(7, 0.05, 0.05).unwrap();
    let device_plan = Plan::for_device_generation(&net).unwrap();
    assert_eq!(device_plan.device_projections.len(), net.projections.len());
    assert_eq!(device_plan.synapse_count(), 0, "no synapse on the host");
    net
}

/// A network mixing host-built synapses (one-to-one, weight 0.5) with GPU-generated ones
/// (fixed total, 30 per target on average, weight 60). The fixed-point scale is the largest
/// power of two (at most 2^20) at which `sum |w| * scale` fits i32 for every target:
/// - a provisional bound of the mean (zero standard deviations, 31 synapses) allows 2^20;
///   the real in-degrees reach 35 or more (a Poisson(30) tail over 1000 targets), which needs
///   2^19, so the generated synapses are written again at 2^19 and the host-built ones
///   re-encoded;
/// - the default bound (mean + 8 sd = 75 synapses) gives 2^18 at once, nothing written twice.
///
/// Either way every row, host-built or generated, equals the host plan's at the final scale.
#[test]
fn an_exceeded_indegree_bound_rewrites_the_synapses_at_the_real_scale() {
    let net = fixed_total_network(11, 1000, 30_000, 60.0, Some(0.5));
    let tight = check_rows(
        &net,
        GpuOptions {
            indegree_bound_sd: 0.0,
            ..GpuOptions::default()
        },
    );
    let default = check_rows(&net, GpuOptions::default());
    if let (Some(tight), Some(default)) = (tight, default) {
        assert!(tight.1, "the tight bound was exceeded and the scale fell");
        assert!(!default.1, "the default bound held");
        assert_eq!((tight.0, default.0), (524_288.0, 262_144.0), "final scales");
    }
}

/// Two LIF populations of `size` joined by a fixed-total projection of `n` synapses of
/// `weight` (generated on the GPU) and, with `one_to_one`, a one-to-one projection of that
/// weight (host-built); 1 ms delays.
fn fixed_total_network(
    seed: u64,
    size: u32,
    n: u64,
    weight: f64,
    one_to_one: Option<f64>,
) -> spikegpu::Network {
    use spikegpu::{
        Connectivity, InitialValue, LifParams, NetworkBuilder, NeuronModel, Receptor, WeightDist,
    };
    let mut b = NetworkBuilder::new(0.1, seed);
    let lif = || NeuronModel::Lif(LifParams::default());
    let a = b
        .population("a", size, lif(), InitialValue::Constant(-65.0))
        .unwrap();
    let post = b
        .population("b", size, lif(), InitialValue::Constant(-65.0))
        .unwrap();
    let mut project = |connectivity, w| {
        b.projection(
            a,
            post,
            connectivity,
            WeightDist::Constant(w),
            WeightDist::Constant(1.0),
            Receptor::Excitatory,
        )
        .unwrap();
    };
    if let Some(w) = one_to_one {
        project(Connectivity::OneToOne, w);
    }
    project(Connectivity::FixedTotal { n, autapses: true }, weight);
    b.build().unwrap()
}

/// Checks every row (host-built and GPU-generated) of `net` with connectivity generated on
/// the device against the host plan; returns the fixed-point scale and whether the
/// synapses were written twice.
fn check_rows(net: &spikegpu::Network, options: GpuOptions) -> Option<(f32, bool)> {
    Some(check_rows_on(common::gpu()?, net, options))
}

/// `check_rows` on an opened device.
fn check_rows_on(
    ctx: spikegpu::gpu::GpuContext,
    net: &spikegpu::Network,
    options: GpuOptions,
) -> (f32, bool) {
    let host = Plan::new(net).unwrap();
    let device_plan = Plan::for_device_generation(net).unwrap();
    if let Some(chunk) = options.max_chunk_bytes {
        assert!(host.synapse_count() * 4 > 8 * chunk, "the words span many chunks");
    }
    let gpu = GpuBackend::with_context(ctx, &device_plan, options).unwrap();
    let scale = gpu.fixed_scale();
    let expected = CompactSynapses::encode_scaled(&host, &host.weights, scale).unwrap();
    let layout = CompactSynapses::encode_scaled(&device_plan, &device_plan.weights, scale).unwrap();
    let pulled = gpu.pull_compact().unwrap().expect("compact storage");
    assert_eq!(
        gpu.generated_synapses(),
        host.synapse_count() - device_plan.synapse_count()
    );
    // The same table; generated synapses start at a multiple of GENERATED_ALIGN after the
    // host-built ones, so first positions may differ by that padding.
    let without_first = |t: &[spikegpu::plan::layout::CompactProjection]| {
        t.iter()
            .map(|p| (p.pre_start, p.post_start, p.port, p.row_base))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        without_first(&pulled.projections),
        without_first(&expected.projections),
        "projection table"
    );
    let position =
        |p: &spikegpu::plan::layout::CompactProjection| u64::from(p.first[0]) | (u64::from(p.first[1]) << 32);
    assert_eq!(layout.projections.len(), expected.projections.len());
    let (words, targets, row_ptr) = (&pulled.words, &pulled.targets, &pulled.row_ptr);
    assert_eq!(pulled.target_bits, expected.target_bits);
    let decode = |s: usize| {
        let word = words[s];
        let bits = expected.delay_bits;
        (
            spikegpu::plan::compact::target_at(targets, pulled.target_bits, s as u64),
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
        let got_first = position(&pulled.projections[t]) as usize;
        assert!(got_first >= first && got_first - first < spikegpu::plan::compact::GENERATED_ALIGN);
        for i in 0..next - base - 1 {
            let (a, b) = (
                first + expected.row_ptr[base + i] as usize,
                first + expected.row_ptr[base + i + 1] as usize,
            );
            let (c, d) = (
                got_first + row_ptr[base + i] as usize,
                got_first + row_ptr[base + i + 1] as usize,
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
    (scale, rerun)
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
            spikegpu::app::stats::spike_hash(sim.spike_records()),
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
            ..SimOptions::default()
        };
        let err = Simulator::with_options(&net, Backend::Gpu, options)
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("indegree_bound_sd") && err.contains(">= 0"), "{err}");
    }
}

/// Truncated normal delays (the microcircuit's, NEST's `normal_clipped`): a value below the
/// bound is drawn again, so none piles up at the bound (clipping would put Phi(-1.87) = 3.1%
/// there), and the mean is the truncated normal's, `mu + sigma phi(alpha) / (1 - Phi(alpha))`
/// (Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions 1, ch. 13), here
/// 1.5 + 0.75 * 0.0699 / 0.969 = 1.5541 ms; the host plan and the GPU share these draws
/// (`gpu_generated_connectivity_equals_the_host_plan_row_by_row`).
#[test]
fn truncated_normal_draws_are_redrawn_not_clipped_and_have_the_truncated_mean() {
    use spikegpu::WeightDist;
    use spikegpu::plan::fixed_total::{GenDist, fixed_total_synapse};
    let delay = GenDist::of(&WeightDist::TruncatedNormal {
        mean: 1.5,
        std: 0.75,
        low: 0.1,
        high: 9.0,
    })
    .unwrap();
    let weight = GenDist::of(&WeightDist::Constant(1.0)).unwrap();
    // inv_dt 1000: delays in microsecond ticks, fine enough to see the bound.
    let (mut sum, mut n, mut at_bound, mut below) = (0.0f64, 0u32, 0u32, 0u32);
    for row in 0..400u32 {
        for t in 0..500u32 {
            let (_, _, ticks) =
                fixed_total_synapse([3, 4], 77, row, t, 1000, false, (&weight, &delay, 1000.0));
            let ms = f64::from(ticks) / 1000.0;
            sum += ms;
            n += 1;
            at_bound += u32::from(ticks == 100);
            below += u32::from(ticks < 100);
        }
    }
    let mean = sum / f64::from(n);
    assert_eq!(below, 0, "no delay below the bound");
    assert!(
        f64::from(at_bound) / f64::from(n) < 0.001,
        "{at_bound} of {n} at the bound"
    );
    assert!((mean - 1.5541).abs() < 0.005, "mean {mean}");
}

/// The host sampler of the other connectivity rules truncates the same way: fixed-probability
/// weights from a normal truncated at 1.5 sd below the mean stay above the bound with none
/// piled up at it, with the truncated mean `mu + sigma phi(-1.5) / (1 - Phi(-1.5))`
/// = 1 + 0.2 * 0.1295 / 0.9332 = 1.02776.
#[test]
fn host_sampled_truncated_normal_weights_have_the_truncated_mean() {
    use spikegpu::{
        Connectivity, InitialValue, LifParams, NetworkBuilder, NeuronModel, Receptor, WeightDist,
    };
    let mut b = NetworkBuilder::new(0.1, 5);
    let a = b
        .population(
            "a",
            2000,
            NeuronModel::Lif(LifParams::default()),
            InitialValue::Constant(-65.0),
        )
        .unwrap();
    b.projection(
        a,
        a,
        Connectivity::FixedProbability {
            p: 0.1,
            autapses: false,
        },
        WeightDist::TruncatedNormal {
            mean: 1.0,
            std: 0.2,
            low: 0.7,
            high: f64::MAX,
        },
        WeightDist::Constant(1.0),
        Receptor::Excitatory,
    )
    .unwrap();
    let plan = Plan::new(&b.build().unwrap()).unwrap();
    let w = &plan.weights;
    assert!(w.len() > 300_000);
    let min = w.iter().copied().fold(f32::MAX, f32::min);
    let at_bound = w.iter().filter(|&&x| x == 0.7).count();
    let mean = w.iter().map(|&x| f64::from(x)).sum::<f64>() / w.len() as f64;
    assert!(min >= 0.7 && at_bound == 0, "min {min}, {at_bound} at the bound");
    assert!((mean - 1.02776).abs() < 0.002, "mean {mean}");
}

/// Weights too large for the in-degree bound's scale beside the delay bits (400 mV at 2^20
/// needs 29 bits; a 1 ms delay leaves 28) are represented at a smaller scale instead of being
/// refused: the rows still equal the host plan's at the scale the GPU chose.
#[test]
fn large_generated_weights_lower_the_scale_instead_of_failing() {
    let net = fixed_total_network(3, 500, 1000, 400.0, None);
    if let Some((scale, rerun)) = check_rows(&net, GpuOptions::default()) {
        assert!(!rerun);
        assert!(scale <= 262_144.0, "scale {scale}");
    }
}
