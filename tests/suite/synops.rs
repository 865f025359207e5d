//! The SynOps and sparsity figures of `bench` and `run` summaries
//! (`spikegpu::app::sparsity`) agree with counts made here from the recorded spikes and the
//! connectivity read back through the weights API, on both backends.

use spikegpu::app::bench;
use spikegpu::app::sparsity::Sparsity;
use spikegpu::model::Network;
use spikegpu::{Backend, Simulator, networks};

/// Runs `net` for `ms` on `backend` and returns its report's figures and the ones counted
/// here: SynOps as the sum of out-degrees over every recorded spike, activation sparsity
/// from the spike count, connection density from the synapses read back.
fn figures_and_counts(net: &Network, backend: Backend, ms: f64) -> (Sparsity, Sparsity) {
    let mut sim = Simulator::new(net, backend).unwrap();
    sim.run_ms(ms).unwrap();
    let report = bench::report("cuba", net, &sim, 0.0, 1.0);
    let n = net.neuron_count();
    let mut out_degree = vec![0u64; n as usize];
    let (mut synapses, mut pairs) = (0u64, 0u64);
    for (k, proj) in net.projection_ids().into_iter().enumerate() {
        let p = &net.projections[k];
        let pre_start: u32 = net.populations[..p.pre.index()].iter().map(|q| q.size).sum();
        let w = sim.weights(proj).unwrap();
        for &pre in &w.pre {
            out_degree[(pre_start + pre) as usize] += 1;
        }
        synapses += w.pre.len() as u64;
        pairs +=
            u64::from(net.populations[p.pre.index()].size) * u64::from(net.populations[p.post.index()].size);
    }
    let spikes = sim.spike_records();
    let ticks = sim.ticks();
    let density = synapses as f64 / pairs as f64;
    let counted = Sparsity {
        synops: spikes.iter().map(|s| out_degree[s.neuron as usize]).sum(),
        synops_per_bio_s: 0.0,
        neuron_updates: n * ticks,
        activation_sparsity: Some(1.0 - spikes.len() as f64 / (n * ticks) as f64),
        connection_sparsity: Some(1.0 - density),
        connection_density: Some(density),
        footprint_bytes: 0,
    };
    (report.sparsity, counted)
}

fn assert_agree(reported: &Sparsity, counted: &Sparsity, ms: f64) {
    assert!(counted.synops > 10_000, "a run with traffic: {}", counted.synops);
    assert_eq!(
        reported.synops, counted.synops,
        "SynOps = sum of out-degrees of the spikes"
    );
    assert_eq!(reported.neuron_updates, counted.neuron_updates);
    assert_eq!(reported.activation_sparsity, counted.activation_sparsity);
    assert_eq!(reported.connection_density, counted.connection_density);
    assert_eq!(reported.connection_sparsity, counted.connection_sparsity);
    let per_s = counted.synops as f64 / (ms * 1e-3);
    assert!((reported.synops_per_bio_s - per_s).abs() <= 1e-9 * per_s);
    let a = reported.activation_sparsity.unwrap();
    assert!(a > 0.9 && a < 1.0, "activation sparsity {a}");
    // At least the synapses and their weights (8 + 4 bytes each in the wide format).
    let synapses = (counted.connection_density.unwrap() * 400.0 * 400.0).round() as u64;
    assert!(
        reported.footprint_bytes >= 12 * synapses,
        "{} bytes",
        reported.footprint_bytes
    );
}

#[test]
fn synops_and_sparsity_of_a_bench_report_match_the_spikes_and_the_connectivity() {
    let net = networks::cuba(4, 0.1).unwrap();
    let (reported, counted) = figures_and_counts(&net, Backend::Cpu, 200.0);
    assert_agree(&reported, &counted, 200.0);
    let d = counted.connection_density.unwrap();
    assert!(
        (d - 0.2).abs() < 0.01,
        "CUBA at scale 0.1 connects with p = 0.2: {d}"
    );
    let report = bench::report(
        "cuba",
        &net,
        &Simulator::new(&net, Backend::Cpu).unwrap(),
        0.0,
        1.0,
    );
    let json = report.to_json();
    for key in [
        "\"synops\":",
        "\"synops_per_bio_s\":",
        "\"neuron_updates\":",
        "\"activation_sparsity\":",
        "\"connection_sparsity\":",
        "\"footprint_bytes\":",
    ] {
        assert!(json.contains(key), "{key} in {json}");
    }
    assert!(bench::table(&[report]).contains("SynOps 0 "));
}

#[test]
fn synops_and_sparsity_on_the_gpu_match_its_spikes_and_the_cpu() {
    let Some(_ctx) = crate::common::gpu() else { return };
    let net = networks::cuba(4, 0.1).unwrap();
    let (reported, counted) = figures_and_counts(&net, Backend::Gpu, 100.0);
    assert_agree(&reported, &counted, 100.0);
    let (cpu, _) = figures_and_counts(&net, Backend::Cpu, 100.0);
    assert_eq!(
        reported, cpu,
        "CUBA's spikes are equal on both backends, so are the figures"
    );
}
