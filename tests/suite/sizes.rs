//! Device sizes computed without a GPU (src/plan/sizes): limits refused with the numbers
//! before any allocation, grids, chunk layouts and the buffer table; and, on a GPU, the
//! backend allocating exactly the table.

use crate::common;

use spikegpu::gpu::{GpuBackend, GpuOptions, SynapseFormat};
use spikegpu::plan::Plan;
use spikegpu::plan::compact::CompactSynapses;
use spikegpu::plan::sizes::{
    CONTROL_BYTES, CompactShape, DeviceBuffer, DeviceLimits, DeviceSizes, EMPTY_BINDING_BYTES,
    GRID_WORKGROUP, MAX_STORAGE_BINDINGS, SizeRequest, ThreadGrid,
};
use spikegpu::{
    Connectivity, Error, InitialValue, LifParams, NetworkBuilder, NeuronModel, Receptor, WeightDist, networks,
};

/// One LIF population of `n` neurons projecting onto itself.
fn recurrent(n: u32, connectivity: Connectivity) -> Plan {
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
        connectivity,
        WeightDist::Constant(0.1),
        WeightDist::Constant(1.0),
        Receptor::Excitatory,
    )
    .unwrap();
    Plan::new(&b.build().unwrap()).unwrap()
}

/// A device with room for the chunked stages (the WebGPU default allows 8 storage bindings).
fn device() -> DeviceLimits {
    DeviceLimits {
        max_storage_buffers_per_stage: 64,
        ..DeviceLimits::WEBGPU_DEFAULT
    }
}

fn wide() -> SizeRequest {
    SizeRequest::default()
}

fn compact(plan: &Plan, max_chunk_bytes: Option<u64>) -> SizeRequest {
    SizeRequest {
        max_chunk_bytes,
        compact: Some(CompactShape::of_plan(plan)),
        ..SizeRequest::default()
    }
}

fn limit_error(sizes: &DeviceSizes) -> (String, u64, u64) {
    match sizes.check("test device") {
        Err(Error::LimitExceeded { what, requested, max }) => (what, requested, max),
        other => panic!("expected a limit error, got {other:?}"),
    }
}

/// The shape computed from the plan's summaries is the shape of the encoded arrays, for
/// host-built networks and for one whose connectivity the GPU generates.
#[test]
fn the_compact_shape_of_a_plan_is_the_shape_of_its_encoded_arrays() {
    let generated = networks::microcircuit::microcircuit(7, 0.02, 0.02).unwrap();
    let plans = [
        Plan::new(&networks::cuba(3, 0.25).unwrap()).unwrap(),
        Plan::new(&networks::izhikevich(3, 0.25).unwrap()).unwrap(),
        recurrent(
            500,
            Connectivity::FixedInDegree {
                k: 20,
                autapses: true,
            },
        ),
        Plan::for_device_generation(&generated).unwrap(),
    ];
    for plan in &plans {
        // The shape does not depend on the scale; at 1 every weight fits.
        let encoded = CompactSynapses::encode_scaled(plan, &plan.weights, 1.0).unwrap();
        assert_eq!(CompactShape::of_plan(plan), CompactShape::of_encoded(&encoded));
    }
    assert!(plans[3].synapse_count() == 0 && CompactShape::of_plan(&plans[3]).device_synapses > 0);
}

/// The wide format keeps each synapse array in one binding: too many synapses are refused by
/// the sizes alone, naming the array, with its bytes and the limit.
#[test]
fn a_synapse_array_larger_than_a_binding_is_refused_without_a_gpu() {
    let plan = recurrent(
        300,
        Connectivity::FixedProbability {
            p: 1.0,
            autapses: true,
        },
    );
    let limits = DeviceLimits {
        max_storage_binding_bytes: 500_000,
        ..device()
    };
    let (what, requested, max) = limit_error(&DeviceSizes::new(&plan, limits, &wide()));
    assert_eq!(
        what,
        "GPU buffer 'synapses (target, delay, port)' (bytes) on 'test device'"
    );
    assert_eq!((requested, max), (90_000 * 8, 500_000));
    // Compact storage splits the same synapses over chunks: they fit.
    let sizes = DeviceSizes::new(&plan, limits, &compact(&plan, None));
    sizes.check("test device").unwrap();
    let c = sizes.compact.unwrap();
    assert_eq!(
        c.chunk_bytes,
        1 << 18,
        "the largest power of two within the binding limit"
    );
    assert_eq!(c.layout.word_chunks, 2, "360,000 bytes of words");
}

/// As tests/suite/gpu_limits.rs on a device: 200,000 synapses in 4 KiB chunks need 7 fixed
/// bindings, 196 word chunks and 66 target chunks (10-bit targets, 3 word chunks per target
/// chunk); the device's count is capped at 64.
#[test]
fn a_compact_network_needing_more_bindings_than_a_device_has_is_refused_without_a_gpu() {
    let plan = recurrent(
        1000,
        Connectivity::FixedInDegree {
            k: 200,
            autapses: true,
        },
    );
    let limits = DeviceLimits {
        max_storage_buffers_per_stage: 1 << 20,
        ..device()
    };
    let sizes = DeviceSizes::new(&plan, limits, &compact(&plan, Some(4096)));
    let c = sizes.compact.unwrap();
    assert_eq!((c.layout.word_chunks, c.layout.target_chunks), (196, 66));
    let (what, requested, max) = limit_error(&sizes);
    assert!(what.starts_with("storage bindings of the compact synapse arrays (200000 synapses"));
    assert!(
        what.contains("in chunks of 4096 bytes, plus 7) on 'test device'"),
        "{what}"
    );
    assert_eq!((requested, max), (7 + 196 + 66, u64::from(MAX_STORAGE_BINDINGS)));
    assert_eq!(sizes.parts(DeviceBuffer::CompactWords).len(), 196);
    assert_eq!(sizes.parts(DeviceBuffer::CompactTargets).len(), 66);
}

/// Grids are 2-D once a row of workgroups is full; a network needing more rows than a
/// dimension allows is refused.
#[test]
fn neuron_grids_wrap_into_rows_and_too_many_rows_are_refused() {
    let plan = recurrent(10_000, Connectivity::OneToOne);
    let limits = DeviceLimits {
        max_workgroups_per_dim: 7,
        ..device()
    };
    let sizes = DeviceSizes::new(&plan, limits, &wide());
    assert_eq!(sizes.grids.row_threads, 7 * GRID_WORKGROUP);
    assert_eq!(
        sizes.grids.of(ThreadGrid::Neurons),
        (7, 10_000u32.div_ceil(7 * GRID_WORKGROUP))
    );
    assert_eq!(
        sizes.grids.of(ThreadGrid::Poisson),
        (1, 1),
        "no Poisson input: one idle group"
    );
    sizes.check("test device").unwrap();
    let tiny = DeviceLimits {
        max_workgroups_per_dim: 5,
        ..device()
    };
    let (what, requested, max) = limit_error(&DeviceSizes::new(&plan, tiny, &wide()));
    assert_eq!(what, "neuron workgroups (2-D dispatch)");
    assert_eq!(
        (requested, max),
        (u64::from(10_000u32.div_ceil(GRID_WORKGROUP)), 25)
    );
}

/// The record ring holds at least one tick of spikes from every neuron, twice the neurons
/// (at least 65,536) by default, and never more than a binding holds.
#[test]
fn the_record_capacity_is_bounded_by_the_neurons_and_the_binding_limit() {
    let plan = recurrent(1000, Connectivity::OneToOne);
    let capacity = |record_capacity, max_binding: u64| {
        let limits = DeviceLimits {
            max_storage_binding_bytes: max_binding,
            ..device()
        };
        let request = SizeRequest {
            record_capacity,
            ..SizeRequest::default()
        };
        DeviceSizes::new(&plan, limits, &request).record_capacity
    };
    assert_eq!(capacity(None, 1 << 27), 65_536);
    assert_eq!(capacity(Some(10), 1 << 27), 1001);
    assert_eq!(capacity(Some(5000), 1 << 27), 5000);
    assert_eq!(capacity(None, 8 * 4000), 4000);
    let sizes = DeviceSizes::new(&plan, device(), &wide());
    assert_eq!(sizes.parts(DeviceBuffer::Records), &[65_536 * 8]);
    assert_eq!(
        sizes.parts(DeviceBuffer::Staging),
        // The control snapshot (96 bytes since ticks became 64-bit, padded) heads each copy.
        &[CONTROL_BYTES + 65_536 * 8, CONTROL_BYTES + 65_536 * 8]
    );
    assert_eq!(sizes.grown_record_capacity(65_536), 131_072);
    assert_eq!(sizes.grown_record_capacity(u32::MAX / 2), device().max_records());
}

/// The device bytes of a plan are the sum of its buffer table; empty arrays stand in as one
/// padded element; the wide format stores 12 bytes per synapse (16 with eligibility traces).
#[test]
fn device_bytes_are_the_sum_of_the_buffer_table() {
    let plan = Plan::new(&networks::cuba(3, 0.25).unwrap()).unwrap();
    let sizes = DeviceSizes::new(&plan, device(), &wide());
    let sum: u64 = sizes.buffers().iter().map(|b| b.bytes()).sum();
    assert_eq!(sizes.device_bytes(), sum);
    assert_eq!(sizes.parts(DeviceBuffer::Plastic), &[EMPTY_BINDING_BYTES]);
    assert_eq!(sizes.parts(DeviceBuffer::Synapses), &[plan.synapse_count() * 8]);
    assert_eq!(sizes.parts(DeviceBuffer::Weights), &[plan.synapse_count() * 4]);
    assert!(
        sizes.parts(DeviceBuffer::CompactWords).is_empty(),
        "no compact arrays"
    );
    let packed = DeviceSizes::new(&plan, device(), &compact(&plan, None));
    assert!(packed.device_bytes() < sizes.device_bytes());
    assert_eq!(packed.parts(DeviceBuffer::Synapses), &[EMPTY_BINDING_BYTES]);
    assert_eq!(
        packed.peak_setup_bytes(),
        packed.device_bytes(),
        "nothing generated"
    );
}

/// Connectivity generated on the GPU: thread counts of its passes and its transient buffers.
#[test]
fn generation_passes_are_sized_from_the_generated_projections() {
    let net = networks::microcircuit::microcircuit(7, 0.02, 0.02).unwrap();
    let plan = Plan::for_device_generation(&net).unwrap();
    let sizes = DeviceSizes::new(&plan, device(), &compact(&plan, None));
    let g = sizes.generation.expect("generated projections");
    let rows: u64 = plan
        .device_projections
        .iter()
        .map(|p| u64::from(p.pre_size))
        .sum();
    assert_eq!(
        (g.projections, g.row_threads),
        (plan.device_projections.len() as u64, rows)
    );
    assert_eq!(g.max_groups, 32_768, "65,535 rounded down to a power of two");
    assert_eq!(1u64 << g.row_group_bits(), rows.div_ceil(64).next_power_of_two());
    assert!(sizes.peak_setup_bytes() > sizes.device_bytes());
    sizes.check("test device").unwrap();
}

/// On a device: the backend allocates exactly the buffer table, and runs as many dispatches
/// per tick as the schedule has stages, for wide, compact, plastic and generated networks.
#[test]
fn the_gpu_backend_allocates_exactly_the_buffer_table() {
    let Some(ctx) = common::gpu() else { return };
    let generated = networks::microcircuit::microcircuit(7, 0.02, 0.02).unwrap();
    let cases = [
        (
            Plan::new(&networks::cuba(3, 0.25).unwrap()).unwrap(),
            SynapseFormat::Wide,
        ),
        (
            Plan::new(&networks::cuba(3, 0.25).unwrap()).unwrap(),
            SynapseFormat::Auto,
        ),
        (
            Plan::new(&networks::song_miller_abbott(3).unwrap()).unwrap(),
            SynapseFormat::Auto,
        ),
        (
            Plan::for_device_generation(&generated).unwrap(),
            SynapseFormat::Auto,
        ),
    ];
    let mut ctx = Some(ctx);
    for (plan, synapse_format) in &cases {
        let options = GpuOptions {
            synapse_format: *synapse_format,
            ..GpuOptions::default()
        };
        let gpu = GpuBackend::with_context(ctx.take().unwrap(), plan, options).unwrap();
        assert_eq!(
            gpu.device_bytes(),
            gpu.sizes().device_bytes(),
            "{synapse_format:?}"
        );
        let stages = spikegpu::sim::schedule::tick_schedule(plan).len() as u32;
        assert_eq!(gpu.counters().dispatches_per_tick, stages);
        ctx = common::gpu();
    }
}
