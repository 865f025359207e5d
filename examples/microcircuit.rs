//! Runs the Potjans & Diesmann 2014 cortical microcircuit and prints each population's firing
//! rate next to the reference implementation's full-scale rate.
//!
//! `cargo run --release --example microcircuit -- [scale] [duration_ms] [backend] [scale_k] [transient_ms] [--generate-on-device] [--seed=N]`
//!
//! `scale` multiplies the neuron counts (default 0.1), `scale_k` the in-degrees (default: the
//! same as `scale`), with van Albada et al. 2015's compensation; `backend` is cpu, gpu or auto
//! (default cpu); rates are counted after `transient_ms` (default: 1000 ms when the run is
//! longer than 1 s, else none). `--generate-on-device` (anywhere) has the GPU generate the
//! connectivity: no host memory or upload per synapse; `--seed=N` (default 42).

use std::time::Instant;

use spikegpu::networks::microcircuit::{
    POPULATIONS, PUBLISHED_RATES_HZ, REFERENCE_RATES_HZ, microcircuit, population_rates_hz,
};
use spikegpu::{Backend, SimOptions, Simulator};

fn main() -> anyhow::Result<()> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let generate_on_device = all.iter().any(|a| a == "--generate-on-device");
    let seed: u64 = all
        .iter()
        .find_map(|a| a.strip_prefix("--seed="))
        .map(str::parse)
        .transpose()?
        .unwrap_or(42);
    let args: Vec<String> = all
        .into_iter()
        .filter(|a| a != "--generate-on-device" && !a.starts_with("--seed="))
        .collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let scale: f64 = arg(0).map(str::parse).transpose()?.unwrap_or(0.1);
    let duration_ms: f64 = arg(1).map(str::parse).transpose()?.unwrap_or(2000.0);
    let backend: Backend = arg(2)
        .unwrap_or("cpu")
        .parse()
        .map_err(|_| anyhow::anyhow!("backend must be cpu, gpu or auto"))?;
    let scale_k: f64 = arg(3).map(str::parse).transpose()?.unwrap_or(scale);
    let transient_ms: f64 = arg(4)
        .map(str::parse)
        .transpose()?
        .unwrap_or(if duration_ms > 1000.0 { 1000.0 } else { 0.0 });
    if !(duration_ms.is_finite() && transient_ms >= 0.0 && transient_ms < duration_ms) {
        anyhow::bail!("need 0 <= transient_ms ({transient_ms}) < duration_ms ({duration_ms})");
    }

    let t0 = Instant::now();
    let net = microcircuit(seed, scale, scale_k)?;
    let options = SimOptions {
        generate_on_device,
        ..SimOptions::default()
    };
    let mut sim = Simulator::with_options(&net, backend, options)?;
    let build_s = t0.elapsed().as_secs_f64();
    println!(
        "microcircuit scale_n {scale} scale_k {scale_k}: {} neurons, {} synapses, built in {build_s:.1} s on {}",
        net.neuron_count(),
        sim.synapse_count(),
        sim.adapter_name()
    );
    let t1 = Instant::now();
    sim.run_ms(duration_ms)?;
    let run_s = t1.elapsed().as_secs_f64();
    println!(
        "ran {duration_ms} ms in {run_s:.1} s (real-time factor {:.1}); rates over [{transient_ms}, {duration_ms}) ms:",
        run_s / (duration_ms * 1e-3)
    );
    let rates = population_rates_hz(&net, &sim, transient_ms, duration_ms)?;
    // ref: NEST's full_mean_rates; paper: the original publication's excitatory rates.
    println!(
        "{:<6} {:>9} {:>9} {:>8} {:>9} {:>8}",
        "pop", "rate_Hz", "ref_Hz", "diff_%", "paper_Hz", "diff_%"
    );
    for (i, (name, rate)) in POPULATIONS.iter().zip(rates).enumerate() {
        let reference = REFERENCE_RATES_HZ[i];
        let paper = PUBLISHED_RATES_HZ[i].map_or(format!("{:>9} {:>8}", "-", "-"), |p| {
            format!("{p:>9.3} {:>+8.1}", 100.0 * (rate - p) / p)
        });
        println!(
            "{name:<6} {rate:>9.3} {reference:>9.3} {:>+8.1} {paper}",
            100.0 * (rate - reference) / reference
        );
    }
    Ok(())
}
