//! The GPU backend against the CPU reference on the software Vulkan adapter (lavapipe in CI).

use crate::common;

use spikegpu::gpu::GpuBackend;
use spikegpu::gpu::shaders::Dialect;
use spikegpu::rng::philox4x32_10;
use spikegpu::{
    Backend, Connectivity, InitialValue, LifParams, NetworkBuilder, NeuronModel, Receptor, SimOptions,
    Simulator, WeightDist, networks,
};

#[test]
fn wgsl_philox_matches_rust_and_the_random123_known_answers() {
    let Some(ctx) = common::gpu() else { return };
    let mut cases = vec![
        ([0u32; 4], [0u32; 2]),
        ([u32::MAX; 4], [u32::MAX; 2]),
        (
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0],
        ),
    ];
    for i in 0..200u32 {
        let x = i.wrapping_mul(0x9E37_79B9);
        cases.push(([x, i, x ^ 0xdead_beef, i << 7], [x.rotate_left(13), !i]));
    }
    // Both ways of writing the 32 x 32-bit high word (shaders::Dialect), whichever the device
    // would pick: lavapipe offers 64-bit integers, so CI runs both.
    let dialects = [Dialect::PORTABLE, Dialect::of(&ctx.device)];
    for dialect in dialects {
        let got = GpuBackend::philox_on_gpu(&ctx, &cases, dialect).unwrap();
        assert_eq!(got[0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
        assert_eq!(got[1], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
        assert_eq!(got[2], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
        for ((c, k), g) in cases.iter().zip(&got) {
            assert_eq!(
                philox4x32_10(*c, *k),
                *g,
                "{dialect:?}: counter {c:x?} key {k:x?}"
            );
        }
    }
    if ctx.summary.name.contains("llvmpipe") {
        assert!(
            dialects[1].int64,
            "lavapipe offers 64-bit shader integers: the int64 dialect must be tested"
        );
    }
}

/// `mulhi32` (the Philox products, row and target picks) in both dialects against u64
/// arithmetic, at the edges and on scattered pairs.
#[test]
fn wgsl_mulhi_matches_the_64_bit_product_in_every_dialect() {
    let Some(ctx) = common::gpu() else { return };
    let mut pairs = vec![
        (0, 0),
        (u32::MAX, u32::MAX),
        (u32::MAX, 1),
        (0xffff, 0x10001),
        (1 << 31, 2),
    ];
    for i in 0..500u32 {
        let a = i.wrapping_mul(0x9E37_79B9) ^ (i << 3);
        pairs.push((a, a.rotate_left(11) ^ 0x5bd1_e995));
        pairs.push((a, i * 7919));
    }
    for dialect in [Dialect::PORTABLE, Dialect::of(&ctx.device)] {
        let got = GpuBackend::mulhi_on_gpu(&ctx, &pairs, dialect).unwrap();
        for (&(a, b), &g) in pairs.iter().zip(&got) {
            let want = ((u64::from(a) * u64::from(b)) >> 32) as u32;
            assert_eq!(g, want, "{dialect:?}: mulhi32({a:#x}, {b:#x})");
        }
    }
}

/// A network whose input ring sees rounding in fixed point: normal weights, several delays,
/// both ports, Poisson drive.
fn ring_test_network() -> spikegpu::Network {
    let mut b = NetworkBuilder::new(0.1, 11);
    let lif = LifParams {
        v_rest_mv: -65.0,
        v_reset_mv: -65.0,
        ..LifParams::default()
    };
    let a = b
        .population(
            "a",
            700,
            NeuronModel::Lif(lif.clone()),
            InitialValue::Uniform {
                low: -65.0,
                high: -50.0,
            },
        )
        .unwrap();
    let c = b
        .population("c", 300, NeuronModel::Lif(lif), InitialValue::Constant(-60.0))
        .unwrap();
    let conn = Connectivity::FixedProbability {
        p: 0.1,
        autapses: false,
    };
    let delay = WeightDist::Normal {
        mean: 1.0,
        std: 0.5,
        low: 0.1,
        high: 2.5,
    };
    b.projection(
        a,
        c,
        conn.clone(),
        WeightDist::Normal {
            mean: 0.7,
            std: 0.3,
            low: 0.0,
            high: 2.0,
        },
        delay,
        Receptor::Excitatory,
    )
    .unwrap();
    b.projection(
        a,
        a,
        conn.clone(),
        WeightDist::Normal {
            mean: 0.3,
            std: 0.2,
            low: 0.0,
            high: 1.0,
        },
        delay,
        Receptor::Excitatory,
    )
    .unwrap();
    b.projection(
        c,
        a,
        conn,
        WeightDist::Normal {
            mean: -1.1,
            std: 0.4,
            low: -3.0,
            high: 0.0,
        },
        delay,
        Receptor::Inhibitory,
    )
    .unwrap();
    b.poisson_input(a, 20_000.0, 0.25, Receptor::Excitatory).unwrap();
    b.poisson_input(c, 15_000.0, 0.3, Receptor::Excitatory).unwrap();
    b.build().unwrap()
}

#[test]
fn fixed_point_input_accumulated_for_the_same_spikes_is_bit_identical() {
    let Some(_ctx) = common::gpu() else { return };
    let net = ring_test_network();
    let mut gpu = Simulator::new(&net, Backend::Gpu).unwrap();
    let mut cpu = Simulator::new(&net, Backend::Cpu).unwrap();
    let mut compared_nonzero = 0usize;
    for step in 0..20 {
        gpu.run_ticks(7).unwrap();
        cpu.run_ticks(7).unwrap();
        assert_eq!(
            gpu.spike_records(),
            cpu.spike_records(),
            "spikes differ by step {step}"
        );
        let (rg, rc) = (gpu.pull_input_ring().unwrap(), cpu.pull_input_ring().unwrap());
        assert_eq!(rg, rc, "input ring differs after {} ticks", (step + 1) * 7);
        compared_nonzero += rc.iter().filter(|&&x| x != 0).count();
    }
    assert!(
        compared_nonzero > 1000,
        "the ring should carry input ({compared_nonzero} non-zero entries)"
    );
    assert!(cpu.counters().spikes > 100, "the network should spike");
    assert_eq!(gpu.counters(), cpu.counters());
}

/// Horizon: the whole 1 s run (10,000 ticks). The LIF update uses only single, correctly
/// rounded f32 adds and multiplies in the same order on both backends (no fma, no division,
/// no transcendental), synaptic input is an integer sum, and the decay constants are computed
/// once on the host. On a driver that does not contract a*b+c into a fused multiply-add, as
/// lavapipe does not, nothing in the arithmetic can differ, so the chaotic CUBA network stays
/// identical spike for spike for as long as it runs. A driver that contracts would break this
/// within one tick; the statistics test covers that case.
#[test]
fn cuba_spike_trains_are_identical_on_gpu_and_cpu_for_one_second() {
    let Some(_ctx) = common::gpu() else { return };
    let net = networks::cuba(42, 1.0).unwrap();
    let mut gpu = Simulator::new(&net, Backend::Gpu).unwrap();
    let mut cpu = Simulator::new(&net, Backend::Cpu).unwrap();
    gpu.run_ms(1000.0).unwrap();
    cpu.run_ms(1000.0).unwrap();
    let (g, c) = (gpu.spike_records(), cpu.spike_records());
    assert!(
        c.len() > 15_000,
        "CUBA should fire about 5 Hz ({} spikes)",
        c.len()
    );
    if let Some(i) = g.iter().zip(c).position(|(a, b)| a != b) {
        panic!("first differing spike #{i}: gpu {:?} cpu {:?}", g[i], c[i]);
    }
    assert_eq!(g.len(), c.len());
    assert_eq!(gpu.counters(), cpu.counters());
    assert_eq!(
        gpu.pull_state().unwrap(),
        cpu.pull_state().unwrap(),
        "final state differs"
    );
}

fn gpu_hash(seed: u64, scale: f64, duration_ms: f64) -> (u64, u64) {
    let net = networks::cuba(seed, scale).unwrap();
    let mut sim = Simulator::new(&net, Backend::Gpu).unwrap();
    sim.run_ms(duration_ms).unwrap();
    (
        spikegpu::app::stats::spike_hash(sim.spike_records()),
        sim.counters().spikes,
    )
}

#[test]
fn same_seed_twice_gives_the_same_spike_hash_on_the_gpu_at_4000_neurons() {
    let Some(_ctx) = common::gpu() else { return };
    // 200 ms (2,000 ticks) is long enough: about 4,900 spikes and 390,000 synaptic events
    // (seeds 7 and 8) pass through every stage, and one differing atomic sum would change
    // every later spike.
    let (a, spikes) = gpu_hash(7, 1.0, 200.0);
    let (b, _) = gpu_hash(7, 1.0, 200.0);
    assert!(spikes > 3000, "{spikes}");
    assert_eq!(a, b);
    let (other, _) = gpu_hash(8, 1.0, 200.0);
    assert_ne!(a, other, "a different seed must give a different network");
}

#[test]
fn same_seed_twice_gives_the_same_spike_hash_on_the_gpu_at_100000_neurons() {
    let Some(_ctx) = common::gpu() else { return };
    // CUBA scaled by 25: 100,000 neurons, in-degree kept (8 million synapses). 20 ms (200
    // ticks) is enough: the size is the point, and the initial transient already sends about
    // 18,600 spikes and 1.5 million synaptic events through every stage (seed 3).
    let (a, spikes) = gpu_hash(3, 25.0, 20.0);
    let (b, _) = gpu_hash(3, 25.0, 20.0);
    assert!(spikes > 10_000, "{spikes}");
    assert_eq!(a, b);
}

/// A population in which every neuron fires every tick: rest far above threshold, tau_m much
/// shorter than dt, no refractory period.
fn always_firing(n: u32) -> spikegpu::Network {
    let mut b = NetworkBuilder::new(0.1, 1);
    let lif = LifParams {
        tau_m_ms: 0.01,
        v_rest_mv: 100.0,
        v_reset_mv: -60.0,
        v_thresh_mv: -50.0,
        refractory_ms: 0.0,
        ..LifParams::default()
    };
    let p = b
        .population("all", n, NeuronModel::Lif(lif), InitialValue::Constant(-60.0))
        .unwrap();
    b.projection(
        p,
        p,
        Connectivity::FixedProbability {
            p: 0.01,
            autapses: true,
        },
        WeightDist::Constant(0.1),
        WeightDist::Constant(0.3),
        Receptor::Excitatory,
    )
    .unwrap();
    b.build().unwrap()
}

fn assert_every_neuron_every_tick(records: &[spikegpu::sim::Spike], n: u32, ticks: u32) {
    assert_eq!(records.len() as u64, u64::from(n) * u64::from(ticks));
    for (i, r) in records.iter().enumerate() {
        let expected = ((i as u32 / n).into(), i as u32 % n);
        assert_eq!((r.tick, r.neuron), expected, "record {i}");
    }
}

#[test]
fn no_spike_is_lost_when_every_neuron_fires_every_tick() {
    let Some(_ctx) = common::gpu() else { return };
    let n = 1000;
    let net = always_firing(n);
    let mut cpu = Simulator::new(&net, Backend::Cpu).unwrap();
    cpu.run_ticks(1000).unwrap();
    assert_every_neuron_every_tick(cpu.spike_records(), n, 1000);

    // A record ring of 1.5 ticks' worth forces a halt, a drain and a resume almost every tick.
    let options = spikegpu::SimOptions {
        gpu: spikegpu::gpu::GpuOptions {
            ticks_per_batch: 64,
            record_capacity: Some(1500),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut gpu = Simulator::with_options(&net, Backend::Gpu, options).unwrap();
    gpu.run_ticks(1000).unwrap();
    assert_every_neuron_every_tick(gpu.spike_records(), n, 1000);
    let (counters, capacity) = gpu.gpu_details().unwrap();
    assert!(
        counters.halts > 0,
        "the halt-and-drain path must have been exercised"
    );
    assert!(capacity > 1500, "the ring should have grown after halts");
    assert_eq!(gpu.counters(), cpu.counters());
}

/// Compact synapse storage (4 bytes and 10 bits of target per synapse, split over many
/// bindings) delivers exactly what the wide format and the CPU deliver: the brunel network
/// (1.6e6 synapses at scale 0.1) for 300 ms gives one spike hash on the CPU, on the GPU in
/// the wide format, and on the GPU in compact chunks sized so the arrays need about ten
/// bindings each.
#[test]
fn compact_storage_split_over_bindings_gives_the_cpu_spike_trains() {
    use spikegpu::gpu::{GpuOptions, SynapseFormat};
    use spikegpu::plan::compact::CompactSynapses;
    let Some(ctx) = common::gpu() else { return };
    let net = spikegpu::networks::brunel(9, 0.1, 5.0, 2.0).unwrap();
    let plan = spikegpu::plan::Plan::new(&net).unwrap();
    let compact = CompactSynapses::encode(&plan, &plan.weights).unwrap();
    let budget = u64::from((spikegpu::gpu::max_storage_bindings(&ctx.limits) - 7) / 2);
    let chunk = (compact.words.len() as u64 * 4)
        .div_ceil(budget)
        .next_power_of_two();
    drop(ctx);
    let run = |backend, format, max_chunk_bytes| {
        let options = SimOptions {
            gpu: GpuOptions {
                synapse_format: format,
                max_chunk_bytes,
                ..GpuOptions::default()
            },
            ..SimOptions::default()
        };
        let mut sim = Simulator::with_options(&net, backend, options).unwrap();
        sim.run_ms(300.0).unwrap();
        (
            spikegpu::app::stats::spike_hash(sim.spike_records()),
            sim.bytes_per_synapse(),
        )
    };
    let cpu = run(Backend::Cpu, SynapseFormat::Auto, None);
    let wide = run(Backend::Gpu, SynapseFormat::Wide, None);
    let chunked = run(Backend::Gpu, SynapseFormat::Compact, Some(chunk));
    assert!(
        compact.words.len() as u64 * 4 > 4 * chunk,
        "the words span several chunks"
    );
    assert_eq!(cpu.0, wide.0, "wide format");
    assert_eq!(cpu.0, chunked.0, "compact format in {chunk}-byte chunks");
    assert_eq!(compact.target_bits, 10);
    assert!(
        wide.1 > 12.0 && chunked.1 > 5.25 && chunked.1 < 5.3,
        "bytes per synapse: wide {} compact {}",
        wide.1,
        chunked.1
    );
}

/// Compact storage past 16-bit targets: a population of 70,000 neurons (17-bit targets,
/// straddling words of the target stream) driven through a fixed-total projection fires
/// exactly as on the CPU, with host-built and with GPU-generated connectivity.
#[test]
fn compact_storage_with_17_bit_targets_gives_the_cpu_spike_trains() {
    use spikegpu::{Connectivity, InitialValue, LifParams, NetworkBuilder, NeuronModel, Receptor};
    let Some(ctx) = common::gpu() else { return };
    drop(ctx);
    let mut b = NetworkBuilder::new(0.1, 5);
    let lif = || NeuronModel::Lif(LifParams::default());
    let drive = b
        .population(
            "drive",
            500,
            lif(),
            InitialValue::Uniform {
                low: -70.0,
                high: -50.0,
            },
        )
        .unwrap();
    let wide = b
        .population(
            "wide",
            70_000,
            lif(),
            InitialValue::Uniform {
                low: -70.0,
                high: -50.0,
            },
        )
        .unwrap();
    b.poisson_input(drive, 2000.0, 5.0, Receptor::Excitatory).unwrap();
    b.projection(
        drive,
        wide,
        Connectivity::FixedTotal {
            n: 400_000,
            autapses: true,
        },
        WeightDist::Normal {
            mean: 8.0,
            std: 1.0,
            low: 0.0,
            high: 20.0,
        },
        WeightDist::Uniform { low: 0.5, high: 3.0 },
        Receptor::Excitatory,
    )
    .unwrap();
    let net = b.build().unwrap();
    let run = |backend, generate_on_device| {
        let options = SimOptions {
            generate_on_device,
            ..SimOptions::default()
        };
        let mut sim = Simulator::with_options(&net, backend, options).unwrap();
        // 20 ms: the drive fires from the first milliseconds, so thousands of spikes cross
        // the 17-bit targets (the count is printed and checked below).
        sim.run_ms(20.0).unwrap();
        // Neurons 500 and up are the wide population's.
        let wide_spikes = sim.spike_records().iter().filter(|r| r.neuron >= 500).count();
        (
            spikegpu::app::stats::spike_hash(sim.spike_records()),
            wide_spikes,
            sim.bytes_per_synapse(),
        )
    };
    let cpu = run(Backend::Cpu, false);
    let host_built = run(Backend::Gpu, false);
    let generated = run(Backend::Gpu, true);
    eprintln!("17-bit targets: {} spikes of the wide population in 20 ms", cpu.1);
    assert!(cpu.1 > 1000, "the wide population must fire: {} spikes", cpu.1);
    assert_eq!(cpu.0, host_built.0, "host-built compact");
    assert_eq!(cpu.0, generated.0, "GPU-generated compact");
    assert!(
        (host_built.2 - (4.0 + 17.0 / 8.0)).abs() < 0.01,
        "{} bytes per synapse",
        host_built.2
    );
}
