//! Reading and writing the weights of a projection, on both backends.

use crate::common;

use spikegpu::{
    Backend, Connectivity, InitialValue, LifParams, NetworkBuilder, NeuronModel, Receptor, Simulator,
    WeightDist, app::stats, networks,
};

#[test]
fn weights_come_back_with_their_pre_and_post_indices() {
    let mut b = NetworkBuilder::new(0.1, 3);
    let lif = || NeuronModel::Lif(LifParams::default());
    let a = b
        .population("a", 50, lif(), InitialValue::Constant(-60.0))
        .unwrap();
    let c = b
        .population("c", 40, lif(), InitialValue::Constant(-60.0))
        .unwrap();
    let w = WeightDist::Uniform { low: 0.5, high: 1.5 };
    let d = WeightDist::Constant(1.0);
    // Two projections leave `a`, so their synapses interleave in the merged rows.
    b.projection(
        a,
        c,
        Connectivity::FixedInDegree { k: 7, autapses: true },
        w,
        d,
        Receptor::Excitatory,
    )
    .unwrap();
    let second = b
        .projection(
            a,
            a,
            Connectivity::FixedOutDegree {
                k: 3,
                autapses: false,
            },
            w,
            d,
            Receptor::Excitatory,
        )
        .unwrap();
    let net = b.build().unwrap();
    let first = net.projection_ids()[0];
    let sim = Simulator::new(&net, Backend::Cpu).unwrap();
    let pw = sim.weights(first).unwrap();
    assert_eq!(pw.weights.len(), 40 * 7);
    let mut in_degree = [0u32; 40];
    pw.post.iter().for_each(|&j| in_degree[j as usize] += 1);
    assert!(
        in_degree.iter().all(|&k| k == 7),
        "fixed in-degree 7: {in_degree:?}"
    );
    assert!(pw.weights.iter().all(|&x| (0.5..1.5).contains(&x)));
    assert!(pw.pre.windows(2).all(|p| p[0] <= p[1]));
    let s = sim.weights(second).unwrap();
    assert_eq!(s.weights.len(), 50 * 3);
    assert!(s.pre.iter().zip(&s.post).all(|(i, j)| i != j));
    for (k, &i) in s.pre.iter().enumerate() {
        assert_eq!(k as u32 / 3, i, "out-degree 3 per row, rows in order");
    }
    let counts = stats::histogram(&pw.weights, 0.5, 1.5, 10);
    assert_eq!(counts.iter().sum::<u64>(), 280);
}

#[test]
fn changed_weights_act_identically_on_gpu_and_cpu() {
    let Some(_ctx) = common::gpu() else { return };
    let net = networks::cuba(9, 1.0).unwrap();
    let exc_exc = net.projection_ids()[0];
    let mut gpu = Simulator::new(&net, Backend::Gpu).unwrap();
    let mut cpu = Simulator::new(&net, Backend::Cpu).unwrap();
    assert_eq!(gpu.weights(exc_exc).unwrap(), cpu.weights(exc_exc).unwrap());
    gpu.run_ms(100.0).unwrap();
    cpu.run_ms(100.0).unwrap();
    let before = cpu.counters().spikes;
    // Stronger excitation from 100 ms on: both backends must follow it identically.
    let stronger: Vec<f32> = cpu
        .weights(exc_exc)
        .unwrap()
        .weights
        .iter()
        .map(|w| w * 1.3)
        .collect();
    gpu.set_weights(exc_exc, &stronger).unwrap();
    cpu.set_weights(exc_exc, &stronger).unwrap();
    assert_eq!(gpu.weights(exc_exc).unwrap().weights, stronger);
    gpu.run_ms(200.0).unwrap();
    cpu.run_ms(200.0).unwrap();
    assert_eq!(gpu.spike_records(), cpu.spike_records());
    let after = cpu.counters().spikes - before;
    assert!(
        after as f64 > 1.2 * before as f64 * 2.0,
        "stronger excitation raises the rate: {before} in 100 ms, {after} in 200 ms"
    );
}

#[test]
fn bad_weights_are_refused_with_the_reason() {
    let net = networks::cuba(9, 0.1).unwrap();
    let ids = net.projection_ids();
    let (exc, inh) = (ids[0], ids[1]);
    let mut sim = Simulator::new(&net, Backend::Cpu).unwrap();
    let n = sim.weights(exc).unwrap().weights.len();
    let err = |r: spikegpu::Result<()>| r.unwrap_err().to_string();
    let msg = err(sim.set_weights(exc, &vec![1.0; n + 1]));
    assert!(msg.contains("one per synapse"), "{msg}");
    let mut bad = vec![1.0; n];
    bad[3] = -1.0;
    let msg = err(sim.set_weights(exc, &bad));
    assert!(
        msg.contains("weights[3]") && msg.contains(">= 0 (excitatory)"),
        "{msg}"
    );
    let m = sim.weights(inh).unwrap().weights.len();
    let msg = err(sim.set_weights(inh, &vec![f32::NAN; m]));
    assert!(msg.contains("<= 0 (inhibitory)"), "{msg}");
    let msg = err(sim.set_weights(exc, &vec![1e9; n]));
    assert!(msg.contains("fixed-point scale"), "{msg}");
    let other = networks::cuba(9, 0.1).unwrap();
    let msg = err(sim.set_weights(other.projection_ids()[0], &vec![1.0; n]));
    assert!(msg.contains("does not belong to this simulation"), "{msg}");
    // The refused writes changed nothing.
    assert!(
        sim.weights(exc)
            .unwrap()
            .weights
            .iter()
            .all(|&w| (w - 1.62).abs() < 1e-6)
    );
}

/// Asynchronous snapshots: a snapshot requested at tick t holds the weights after t ticks
/// even when collected after the run has gone on and the weights have changed, in any
/// order; it equals a blocking read at the same tick of an identical run, on both backends;
/// a ticket is taken once.
#[test]
fn requested_weight_snapshots_hold_the_weights_of_their_tick() {
    let net = networks::brunel_stdp(4, 0.1).unwrap();
    let proj = *net
        .projection_ids()
        .iter()
        .find(|&&p| net.projections[p.index()].plasticity.is_some())
        .unwrap();
    let mut backends = vec![Backend::Cpu];
    if common::gpu().is_some() {
        backends.push(Backend::Gpu);
    }
    for backend in backends {
        // Reference: blocking reads at 200 and 400 ticks.
        let mut sim = Simulator::new(&net, backend).unwrap();
        sim.run_ticks(200).unwrap();
        let at_200 = sim.weights(proj).unwrap();
        sim.run_ticks(200).unwrap();
        let at_400 = sim.weights(proj).unwrap();
        assert_ne!(at_200.weights, at_400.weights, "the weights change meanwhile");

        let mut sim = Simulator::new(&net, backend).unwrap();
        sim.run_ticks(200).unwrap();
        let first = sim.request_weights(proj).unwrap();
        assert_eq!(first.tick, 200);
        sim.run_ticks(200).unwrap();
        let second = sim.request_weights(proj).unwrap();
        sim.run_ticks(300).unwrap();
        let mut late = None;
        for _ in 0..1000 {
            if let Some(w) = sim.try_take_weights(&second).unwrap() {
                late = Some(w);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let late = late.expect("the second snapshot arrives");
        assert_eq!(late, at_400, "{backend:?}: snapshot at 400");
        assert!(sim.try_take_weights(&second).is_err(), "a ticket is taken once");
        let early = sim.take_weights(first).unwrap();
        assert_eq!(early, at_200, "{backend:?}: snapshot at 200, collected last");
    }
}
