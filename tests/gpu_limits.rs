//! Networks that do not fit the device fail before any allocation, with the numbers.

mod common;

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
    // 200,000 words of 4 bytes and 100,000 target pairs in 4 KiB chunks: 196 + 98 bindings.
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
    assert_eq!(*requested, 7 + 196 + 98);
    assert_eq!(*max, u64::from(allowed));
}
