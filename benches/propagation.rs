//! Event-driven propagation: the same network (same synapse count) driven at a low and a high
//! rate. If propagation is event-driven, the time per tick grows with spikes x fan-out, not
//! with the number of synapses; the bench prints the synaptic events per iteration so that
//! (t_high - t_low) / (events_high - events_low) gives the marginal cost of one event.
//!
//! `cargo bench --bench propagation` (GPU rows need an adapter; lavapipe works).

use criterion::{Criterion, criterion_main};
use spikegpu::{
    Backend, Connectivity, InitialValue, LifParams, Network, NetworkBuilder, NeuronModel, Receptor,
    Simulator, WeightDist,
};

const NEURONS: u32 = 10_000;
const FAN_OUT: f64 = 200.0;
const TICKS: u64 = 100;

/// Each Poisson input spike alone drives its target over threshold, so each neuron fires at
/// about `rate_hz`; recurrent weights are tiny so the recurrent input does not change rates.
fn driven_network(rate_hz: f64) -> Network {
    let mut b = NetworkBuilder::new(0.1, 9);
    let lif = LifParams {
        tau_m_ms: 1.0,
        v_rest_mv: -65.0,
        v_reset_mv: -65.0,
        v_thresh_mv: -50.0,
        tau_syn_exc_ms: 0.2,
        refractory_ms: 0.0,
        ..LifParams::default()
    };
    let p = b
        .population("p", NEURONS, NeuronModel::Lif(lif), InitialValue::Constant(-65.0))
        .expect("population");
    b.projection(
        p,
        p,
        Connectivity::FixedProbability {
            p: FAN_OUT / f64::from(NEURONS),
            autapses: false,
        },
        WeightDist::Constant(1e-4),
        WeightDist::Normal {
            mean: 2.0,
            std: 1.0,
            low: 0.1,
            high: 5.0,
        },
        Receptor::Excitatory,
    )
    .expect("projection");
    b.poisson_input(p, rate_hz, 400.0, Receptor::Excitatory)
        .expect("input");
    b.build().expect("network")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("propagation");
    group.sample_size(10);
    for backend in [Backend::Cpu, Backend::Gpu] {
        for rate in [2.0, 50.0] {
            let net = driven_network(rate);
            let mut sim = match Simulator::new(&net, backend) {
                Ok(sim) => sim,
                Err(e) => {
                    eprintln!("{backend:?}: not run ({e})");
                    continue;
                }
            };
            sim.run_ticks(TICKS).expect("warm-up");
            let before = sim.counters();
            sim.run_ticks(TICKS).expect("probe");
            let after = sim.counters();
            eprintln!(
                "{backend:?} input {rate} Hz: {} synapses, {} spikes and {} synaptic events per {TICKS} ticks",
                sim.plan().synapse_count(),
                after.spikes - before.spikes,
                after.syn_events - before.syn_events
            );
            let name = format!("{}_input{rate}Hz_{TICKS}ticks", sim.backend_name());
            group.bench_function(name, |b| b.iter(|| sim.run_ticks(TICKS).expect("run")));
        }
    }
    group.finish();
}

// In a private module: the generated function needs no public docs.
mod group {
    criterion::criterion_group!(benches, super::bench);
}
use group::benches;
criterion_main!(benches);
