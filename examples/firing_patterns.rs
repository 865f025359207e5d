//! Single-neuron firing patterns: the Izhikevich 2003 parameter sets under a step current of
//! 10 (the paper's Fig. 2 protocol) and the AdEx sets of Naud et al. 2008 under their step
//! currents, with spike counts and the first and last inter-spike intervals.
//!
//! `cargo run --release --example firing_patterns [gpu|cpu]`

use spikegpu::{
    AdExPattern, Backend, CurrentSource, InitialValue, IzhikevichType, NetworkBuilder, NeuronModel, Simulator,
};

/// Spike times (ms) of one neuron of `model` under a current step of `amplitude` from 100 ms on.
fn spike_times(model: NeuronModel, v0: f64, amplitude: f64, backend: Backend) -> anyhow::Result<Vec<f64>> {
    step_response(model, v0, &[100.0], &[amplitude], backend)
}

/// Spike times (ms) over 1.1 s of one neuron of `model` under a step current.
fn step_response(
    model: NeuronModel,
    v0: f64,
    times_ms: &[f64],
    amplitudes: &[f64],
    backend: Backend,
) -> anyhow::Result<Vec<f64>> {
    let mut b = NetworkBuilder::new(0.1, 1);
    let p = b.population("n", 1, model, InitialValue::Constant(v0))?;
    b.current_input(
        p,
        CurrentSource::Step {
            times_ms: times_ms.to_vec(),
            amplitudes: amplitudes.to_vec(),
        },
    )?;
    let net = b.build()?;
    let mut sim = Simulator::new(&net, backend)?;
    sim.run_ms(1100.0)?;
    Ok(sim.spikes(p)?.times_ms)
}

fn describe(name: &str, t: &[f64]) {
    let isi: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    let fmt = |v: &[f64]| v.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(" ");
    println!(
        "{name:<16} {:>4} spikes  first ISIs [{}]  last ISI {}",
        t.len(),
        fmt(&isi[..isi.len().min(5)]),
        isi.last().map_or("-".into(), |x| format!("{x:.1}"))
    );
}

fn main() -> anyhow::Result<()> {
    let backend = match std::env::args().nth(1).as_deref() {
        Some("gpu") => Backend::Gpu,
        _ => Backend::Cpu,
    };
    println!("Izhikevich 2003, I = 10 from 100 ms, 1 s:");
    for ty in IzhikevichType::ALL {
        describe(
            ty.short_name(),
            &spike_times(NeuronModel::Izhikevich(ty.params()), -65.0, 10.0, backend)?,
        );
    }
    println!("Izhikevich 2003, rebound: I = -15 from 100 to 300 ms, spikes after release:");
    for ty in IzhikevichType::ALL {
        let t = step_response(
            NeuronModel::Izhikevich(ty.params()),
            -65.0,
            &[100.0, 300.0],
            &[-15.0, 0.0],
            backend,
        )?;
        let rebound: Vec<String> = t.iter().map(|x| format!("{x:.1}")).collect();
        println!("{:<16} spikes at [{}] ms", ty.short_name(), rebound.join(" "));
    }
    println!("AdEx, Naud et al. 2008 (step current of the paper from 100 ms, 1 s):");
    for pattern in [
        AdExPattern::Tonic,
        AdExPattern::Adapting,
        AdExPattern::InitialBurst,
        AdExPattern::Bursting,
    ] {
        let (params, current) = pattern.params();
        let v0 = params.e_leak_mv;
        describe(
            &format!("{pattern:?}"),
            &spike_times(NeuronModel::AdEx(params), v0, current, backend)?,
        );
    }
    Ok(())
}
