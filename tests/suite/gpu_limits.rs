//! Networks that do not fit the device fail before any allocation, with the numbers.

use crate::common;

use spikegpu::gpu::{GpuBackend, GpuOptions, SynapseFormat};
use spikegpu::plan::Plan;
use spikegpu::{
    Connectivity, Error, InitialValue, LifParams, NetworkBuilder, NeuronModel, Receptor, WeightDist,
};

/// The wide format keeps each synapse array in one binding.
#[test]
fn a_synapse_array_larger_than_a_storage_binding_is_refused_with_the_numbers() {
    let Some(ctx) = common::gpu() else { return };
    let max = ctx
        .limits
        .max_storage_buffer_binding_size
        .min(ctx.limits.max_buffer_size);
    // All-to-all with enough neurons that 8 bytes per synapse exceed the binding limit.
    let n = ((max / 8) as f64).sqrt().ceil() as u32 + 1;
    if u64::from(n) * u64::from(n) > 400_000_000 {
        eprintln!("adapter binding limit {max} too large for a quick over-size test; skipping");
        return;
    }
    let mut b = NetworkBuilder::new(0.1, 1);
    let p = b
        .population(
            "p",
            n,
            NeuronModel::Lif(LifParams::default()),
            InitialValue::Constant(-60.0),
        )
        .unwrap();
    b.projection(
        p,
        p,
        Connectivity::FixedProbability {
            p: 1.0,
            autapses: true,
        },
        WeightDist::Constant(0.001),
        WeightDist::Constant(0.1),
        Receptor::Excitatory,
    )
    .unwrap();
    let plan = Plan::new(&b.build().unwrap()).unwrap();
    let wide = GpuOptions {
        synapse_format: SynapseFormat::Wide,
        ..GpuOptions::default()
    };
    let err = GpuBackend::with_context(ctx, &plan, wide)
        .err()
        .expect("must not fit");
    let Error::LimitExceeded {
        what,
        requested,
        max: m,
    } = &err
    else {
        panic!("{err}")
    };
    assert!(what.contains("synapses"), "{err}");
    assert_eq!(*requested, plan.synapse_count() * 8);
    assert_eq!(*m, max);
    assert!(err.to_string().contains(&requested.to_string()), "{err}");
}

/// Compact storage splits its arrays over bindings; a network needing more bindings than the
/// device has is refused before allocation, with the numbers (chunks limited to 4 KiB here
/// so that a small network needs too many).
#[test]
fn a_compact_network_needing_more_bindings_than_the_device_has_is_refused() {
    let Some(ctx) = common::gpu() else { return };
    let allowed = spikegpu::gpu::max_storage_bindings(&ctx.limits);
    let mut b = NetworkBuilder::new(0.1, 1);
    let p = b
        .population(
            "p",
            1000,
            NeuronModel::Lif(LifParams::default()),
            InitialValue::Constant(-60.0),
        )
        .unwrap();
    b.projection(
        p,
        p,
        Connectivity::FixedInDegree {
            k: 200,
            autapses: true,
        },
        WeightDist::Constant(0.1),
        WeightDist::Constant(1.0),
        Receptor::Excitatory,
    )
    .unwrap();
    let plan = Plan::new(&b.build().unwrap()).unwrap();
    // 200,000 words of 4 bytes in 4 KiB chunks: 196 bindings. 10-bit targets (1,000
    // neurons): 62,500 words, a chunk of them holds the targets of 3 word chunks (960 words):
    // 66 bindings.
    let options = GpuOptions {
        synapse_format: SynapseFormat::Compact,
        max_chunk_bytes: Some(4096),
        ..GpuOptions::default()
    };
    let err = GpuBackend::with_context(ctx, &plan, options)
        .err()
        .expect("must not fit");
    let Error::LimitExceeded { what, requested, max } = &err else {
        panic!("{err}")
    };
    assert!(
        what.contains("storage bindings") && what.contains("4096"),
        "{err}"
    );
    assert_eq!(*requested, 7 + 196 + 66);
    assert_eq!(*max, u64::from(allowed));
}

/// Row pointers are 32-bit and relative to their projection; a projection's first synapse
/// has a 64-bit position. `chunk_position.wgsl` finds (chunk, index) with 32-bit integers
/// only: it must agree with 64-bit arithmetic (and with its host mirror) for positions past
/// 2^32 synapses, at every chunk size a device may choose, including the largest relative
/// index a projection can have.
#[test]
fn chunk_positions_past_2_pow_32_synapses_agree_with_64_bit_arithmetic() {
    let Some(ctx) = common::gpu() else { return };
    let mut cases = Vec::new();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for shift in [1u32, 2, 10, 25, 28, 29, 30, 31] {
        for first in [
            0u64,
            1,
            (1 << 32) - 1,
            1 << 32,
            (1 << 32) + 5,
            3 << 33,
            (1 << 40) - 3,
        ] {
            for r in [0u32, 1, (1 << shift) - 1, 1 << shift, u32::MAX - 1, u32::MAX] {
                cases.push((first, r, shift));
            }
        }
        for _ in 0..200 {
            cases.push((next() >> 20, next() as u32, shift));
        }
    }
    // Chunk numbers fit 32 bits (a device binds at most a few dozen chunks).
    cases.retain(|&(first, r, shift)| (first + u64::from(r)) >> shift <= u64::from(u32::MAX));
    assert!(cases.len() > 1000);
    let got = spikegpu::gpu::GpuBackend::chunk_positions_on_gpu(&ctx, &cases).unwrap();
    assert_eq!(got.len(), cases.len());
    for (&(first, r, shift), &(chunk, within)) in cases.iter().zip(&got) {
        let position = first + u64::from(r);
        let expected = ((position >> shift) as u32, (position & ((1 << shift) - 1)) as u32);
        assert_eq!((chunk, within), expected, "first {first} r {r} shift {shift}");
        assert_eq!(
            spikegpu::plan::compact::chunk_position(spikegpu::plan::compact::split(first), r, shift),
            expected,
            "host mirror: first {first} r {r} shift {shift}"
        );
    }
}
