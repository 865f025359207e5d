//! Networks that do not fit the device fail before any allocation, with the numbers.

mod common;

use spikegpu::gpu::{GpuBackend, GpuOptions};
use spikegpu::plan::Plan;
use spikegpu::{
    Connectivity, Error, InitialValue, LifParams, NetworkBuilder, NeuronModel, Receptor, WeightDist,
};

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
    let err = GpuBackend::with_context(ctx, &plan, GpuOptions::default())
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
