//! Izhikevich 2007, "Reinforcing a synapse": in a randomly firing network of 1,000 neurons,
//! rewarding every `n1 -> n2` firing pair after a random 1-3 s delay drives that one synapse
//! to the maximum weight while the others stay low.
//!
//! `cargo run --release --example distal_reward -- [minutes] [cpu|gpu|auto] [seed]`

use anyhow::Result;
use spikegpu::Backend;
use spikegpu::networks::reward::{DistalReward, W_MAX};

fn main() -> Result<()> {
    env_logger::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let minutes: f64 = args.first().map_or(Ok(30.0), |s| s.parse())?;
    let backend: Backend = args.get(1).map_or(Ok(Backend::Auto), |s| s.parse())?;
    let seed: u64 = args.get(2).map_or(Ok(1), |s| s.parse())?;
    let mut exp = DistalReward::new(seed, backend)?;
    println!(
        "distal reward (Izhikevich 2007) on {}: {minutes} min of network time",
        exp.simulator().adapter_name()
    );
    println!(
        "{:>8} {:>10} {:>12} {:>12} {:>10}",
        "minute", "rewards", "w(n1->n2)", "mean other", "wall s"
    );
    let t0 = std::time::Instant::now();
    let mut done = 0.0;
    while done < minutes {
        let step = (minutes - done).min(1.0);
        exp.run_ms(step * 60_000.0)?;
        done += step;
        let (w, others) = exp.weights()?;
        println!(
            "{done:>8.1} {:>10} {w:>12.3} {others:>12.3} {:>10.1}",
            exp.rewards,
            t0.elapsed().as_secs_f64()
        );
    }
    let weights = exp.all_weights()?;
    let k = exp.rewarded_index();
    let above = weights.iter().filter(|&&w| w >= weights[k]).count() - 1;
    let near_max = weights.iter().filter(|&&w| w > 0.9 * W_MAX).count();
    println!(
        "rewarded synapse: {:.3} mV; {above} of {} other synapses are as strong; {near_max} are above 0.9 w_max",
        weights[k],
        weights.len() - 1
    );
    Ok(())
}
