//! Runs CUBA on the GPU and on the CPU reference tick by tick and reports the first tick at
//! which spikes or neuron state differ (or that they never do).
//!
//! `cargo run --release --example compare_backends -- [seed] [duration_ms]`

use spikegpu::{Backend, Simulator, networks};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(42);
    let duration_ms: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1000.0);
    let net = networks::cuba(seed, 1.0)?;
    let mut gpu = Simulator::new(&net, Backend::Gpu)?;
    let mut cpu = Simulator::new(&net, Backend::Cpu)?;
    println!("adapter: {}", gpu.adapter_name());
    let ticks = (duration_ms / net.dt_ms).round() as u32;
    for t in 0..ticks {
        gpu.run_ticks(1)?;
        cpu.run_ticks(1)?;
        let (sg, sc) = (gpu.pull_state()?, cpu.pull_state()?);
        let state_diff = sg.iter().zip(&sc).position(|(a, b)| a != b);
        if gpu.spike_records() != cpu.spike_records() || state_diff.is_some() {
            println!("first difference at tick {t}");
            if let Some(i) = state_diff {
                println!("neuron {i}: gpu {:?}, cpu {:?}", sg[i], sc[i]);
            }
            return Ok(());
        }
    }
    println!(
        "identical for {ticks} ticks: {} spikes, state bit-equal every tick",
        cpu.spike_records().len()
    );
    Ok(())
}
