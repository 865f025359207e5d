//! Procedural projections: rows regenerated from the seed on every spike, nothing stored.

use crate::common;

use spikegpu::plan::{Plan, procedural_row};
use spikegpu::{
    Backend, Connectivity, InitialValue, LifParams, Network, NetworkBuilder, NeuronModel, Receptor,
    Simulator, StdpParams, WeightDist, networks,
};

/// CUBA (Brette et al. 2007) with every projection procedural.
fn procedural_cuba(seed: u64) -> Network {
    let net = networks::cuba(seed, 1.0).unwrap();
    let ids = net.projection_ids();
    let mut b = NetworkBuilder::from_network(net);
    for id in ids {
        b.procedural(id).unwrap();
    }
    b.build().unwrap()
}

/// The same spikes on GPU and CPU for 500 ms, and the same again on a second GPU run.
#[test]
fn procedural_cuba_is_bit_identical_on_gpu_and_cpu() {
    let Some(_ctx) = common::gpu() else { return };
    let net = procedural_cuba(5);
    let run = |backend| {
        let mut sim = Simulator::new(&net, backend).unwrap();
        sim.run_ms(500.0).unwrap();
        let c = sim.counters();
        (
            spikegpu::app::stats::spike_hash(sim.spike_records()),
            c.spikes,
            c.syn_events,
        )
    };
    let cpu = run(Backend::Cpu);
    assert!(cpu.1 > 1000, "the network fires: {} spikes", cpu.1);
    assert_eq!(run(Backend::Gpu), cpu, "GPU against CPU");
}

/// Rows are binomial(N_post, p) (autapses excluded where asked), and the procedural CUBA
/// fires like the stored one (Brette et al. 2007 CUBA: the stored network's rate over seeds
/// is 5.65 +/- 0.19 Hz in Brian2; the two are different draws of the same random graph).
#[test]
fn procedural_rows_have_the_rule_statistics_and_the_network_its_rate() {
    let net = procedural_cuba(2);
    let plan = Plan::new(&net).unwrap();
    assert_eq!(plan.synapse_count(), 0, "nothing stored");
    assert_eq!(plan.procedural.len(), 4);
    let p = plan.procedural[0];
    let (mut sum, mut sum2, mut selfs) = (0.0, 0.0, 0);
    for row in 0..p.pre_size {
        let mut count = 0u32;
        procedural_row(plan.key, &p, row, |j| {
            count += 1;
            selfs += u32::from(j == row && p.skip_self == 1);
        });
        sum += f64::from(count);
        sum2 += f64::from(count) * f64::from(count);
    }
    let n = f64::from(p.pre_size);
    let (mean, var) = (sum / n, sum2 / n - (sum / n).powi(2));
    let prob = 0.02;
    let (m0, v0) = (
        f64::from(p.post_size - p.skip_self) * prob,
        f64::from(p.post_size) * prob * (1.0 - prob),
    );
    assert!(
        (mean - m0).abs() < 4.0 * (v0 / n).sqrt(),
        "row mean {mean} vs {m0}"
    );
    assert!((var / v0 - 1.0).abs() < 0.1, "row variance {var} vs {v0}");
    assert_eq!(selfs, 0, "no autapse");

    let rate = |net: &Network| {
        let mut sim = Simulator::new(net, Backend::Cpu).unwrap();
        sim.run_ms(1000.0).unwrap();
        sim.counters().spikes as f64 / 4000.0
    };
    let (stored, regenerated) = (rate(&networks::cuba(2, 1.0).unwrap()), rate(&net));
    assert!(
        (regenerated / stored - 1.0).abs() < 0.15,
        "procedural {regenerated} Hz vs stored {stored} Hz"
    );
}

/// 0 bytes per synapse: the device holds no synapse array for procedural projections.
#[test]
fn procedural_projections_take_no_device_memory_per_synapse() {
    let Some(_ctx) = common::gpu() else { return };
    let stored = Simulator::new(&networks::cuba(2, 1.0).unwrap(), Backend::Gpu).unwrap();
    let procedural = Simulator::new(&procedural_cuba(2), Backend::Gpu).unwrap();
    let synapses = stored.plan().synapse_count();
    // The stored network keeps a word and a 12-bit target per synapse (3,200 neurons at most
    // per population), and row pointers.
    let bits = spikegpu::plan::compact::target_bits(stored.plan());
    assert_eq!(bits, 12);
    let saved = stored.device_bytes().unwrap() as f64 - procedural.device_bytes().unwrap() as f64;
    assert!(
        saved >= (4.0 + f64::from(bits) / 8.0) * synapses as f64,
        "stored {} B, procedural {} B, {synapses} synapses",
        stored.device_bytes().unwrap(),
        procedural.device_bytes().unwrap()
    );
    assert_eq!(procedural.bytes_per_synapse(), 0.0);
}

#[test]
fn only_static_fixed_probability_projections_with_constant_weight_and_delay_can_be_procedural() {
    let mut b = NetworkBuilder::new(0.1, 1);
    let a = b
        .population(
            "a",
            100,
            NeuronModel::Lif(LifParams::default()),
            InitialValue::Constant(-60.0),
        )
        .unwrap();
    let mut add = |conn, w, d| b.projection(a, a, conn, w, d, Receptor::Excitatory).unwrap();
    let fp = Connectivity::FixedProbability {
        p: 0.1,
        autapses: false,
    };
    let indegree = add(
        Connectivity::FixedInDegree {
            k: 5,
            autapses: false,
        },
        WeightDist::Constant(0.1),
        WeightDist::Constant(1.0),
    );
    let normal = add(
        fp.clone(),
        WeightDist::Normal {
            mean: 0.1,
            std: 0.01,
            low: 0.0,
            high: 1.0,
        },
        WeightDist::Constant(1.0),
    );
    let spread = add(
        fp.clone(),
        WeightDist::Constant(0.1),
        WeightDist::Uniform { low: 1.0, high: 2.0 },
    );
    let plastic = add(fp.clone(), WeightDist::Constant(0.1), WeightDist::Constant(1.0));
    let ok = add(fp, WeightDist::Constant(0.1), WeightDist::Constant(1.0));
    let msg = |r: spikegpu::Result<()>| r.unwrap_err().to_string();
    assert!(msg(b.procedural(indegree)).contains("FixedProbability"));
    assert!(msg(b.procedural(normal)).contains("constant weight"));
    assert!(msg(b.procedural(spread)).contains("constant delay"));
    b.plasticity(plastic, StdpParams::pair(20.0, 20.0, 0.01, 0.01, 0.0, 1.0))
        .unwrap();
    assert!(msg(b.procedural(plastic)).contains("cannot be procedural"));
    b.procedural(ok).unwrap();
    assert!(
        msg(b.plasticity(ok, StdpParams::pair(20.0, 20.0, 0.01, 0.01, 0.0, 1.0)))
            .contains("cannot be plastic")
    );
    let net = b.build().unwrap();
    let sim = Simulator::new(&net, Backend::Cpu).unwrap();
    let err = sim.weights(ok).unwrap_err().to_string();
    assert!(
        err.contains("procedural") && err.contains("stores no synapses"),
        "{err}"
    );
}
