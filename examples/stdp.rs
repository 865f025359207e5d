//! Song, Miller & Abbott 2000: 1,000 Poisson inputs onto one neuron through additive STDP.
//! Prints the weight histogram every 20 s of biological time and writes the final one as a
//! PNG (initial vs final).
//!
//! `cargo run --release --example stdp [seconds] [gpu|cpu]`

use spikegpu::app::{plots, stats};
use spikegpu::{Backend, Simulator, networks};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(100.0);
    let backend = match args.next().as_deref() {
        Some("gpu") => Backend::Gpu,
        _ => Backend::Cpu,
    };
    let net = networks::song_miller_abbott(3)?;
    let proj = net.projection_ids()[0];
    let mut sim = Simulator::new(&net, backend)?;
    let g_max = 0.1;
    let initial = sim.weights(proj)?.weights;
    let bar = |counts: &[u64]| {
        counts
            .iter()
            .map(|c| format!("{c:4}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "weights / g_max in 10 bins from 0 to 1, on {}",
        sim.adapter_name()
    );
    println!("   0 s: {}", bar(&stats::histogram(&initial, 0.0, g_max, 10)));
    let mut t = 0.0;
    while t < seconds {
        let step = 20.0f64.min(seconds - t);
        sim.run_ms(step * 1e3)?;
        t += step;
        let w = sim.weights(proj)?.weights;
        println!("{t:4.0} s: {}", bar(&stats::histogram(&w, 0.0, g_max, 10)));
    }
    let rate = sim.spikes(net.population("neuron").unwrap())?.times_ms.len() as f64 / seconds;
    println!("output rate {rate:.1} Hz");
    let path = std::path::Path::new("stdp-weights.png");
    plots::weights_png(
        path,
        "Song, Miller & Abbott 2000: weights / g_max",
        &initial,
        &sim.weights(proj)?.weights,
        g_max,
    )?;
    println!("wrote {}", path.display());
    Ok(())
}
