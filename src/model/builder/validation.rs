//! Checks of the network as a whole, run by [`NetworkBuilder::build`] once every piece is in:
//! the time step and neuron count, delays against the time step, one reward-update interval,
//! and the populations' times on the tick grid.

use crate::error::{Error, Result, check_positive, invalid};
use crate::model::builder::NetworkBuilder;
use crate::model::{Connectivity, Network, NeuronModel, Population};

/// Largest delay, in ticks, that the input ring supports.
pub const MAX_DELAY_TICKS: u32 = 4096;

impl NetworkBuilder {
    /// Validates the network as a whole and freezes it.
    pub fn build(self) -> Result<Network> {
        let net = self.net;
        check_size(&net)?;
        check_delays(&net)?;
        check_modulation_interval(&net)?;
        super::stochastic::check_release(&net)?;
        for (i, pop) in net.populations.iter().enumerate() {
            check_population_timing(i, pop, net.dt_ms)?;
        }
        Ok(net)
    }
}

/// A positive time step, at least one population, and neuron indices that fit in 31 bits.
fn check_size(net: &Network) -> Result<()> {
    check_positive(|| "network.dt_ms".into(), net.dt_ms)?;
    if net.populations.is_empty() {
        return Err(Error::InvalidNetwork(
            "the network has no population; add one with NetworkBuilder::population".into(),
        ));
    }
    let total = net.neuron_count();
    if total > u64::from(u32::MAX / 2) {
        return Err(Error::LimitExceeded {
            what: "total neuron count".into(),
            requested: total,
            max: u64::from(u32::MAX / 2),
        });
    }
    Ok(())
}

/// Every delay rounds to at least one tick and at most [`MAX_DELAY_TICKS`] at the time step.
fn check_delays(net: &Network) -> Result<()> {
    let dt = net.dt_ms;
    let check_delay = |field: String, low: f64, high: f64| -> Result<()> {
        if (low / dt).round() < 1.0 {
            return Err(invalid(
                field,
                low,
                &format!(
                    "every delay must round to at least one tick (>= {} ms at dt = {dt} ms)",
                    0.5 * dt
                ),
            ));
        }
        if (high / dt).round() > f64::from(MAX_DELAY_TICKS) {
            return Err(invalid(
                field,
                high,
                &format!(
                    "delays are limited to {MAX_DELAY_TICKS} ticks ({} ms at dt = {dt} ms)",
                    f64::from(MAX_DELAY_TICKS) * dt
                ),
            ));
        }
        Ok(())
    };
    for (i, proj) in net.projections.iter().enumerate() {
        if let Connectivity::Explicit(list) = &proj.connectivity {
            for (k, c) in list.iter().enumerate() {
                check_delay(
                    format!("projection {i}.connections[{k}].delay_ms"),
                    c.delay_ms,
                    c.delay_ms,
                )?;
            }
        } else {
            let (low, high) = proj.delay_ms.range();
            check_delay(format!("projection {i}.delay_ms"), low, high)?;
        }
    }
    Ok(())
}

/// Reward-modulated projections update their weights together, so they share one update
/// interval, of 1 to 1e6 ticks.
fn check_modulation_interval(net: &Network) -> Result<()> {
    let dt = net.dt_ms;
    let mut interval: Option<(usize, f64)> = None;
    for (i, proj) in net.projections.iter().enumerate() {
        let Some(m) = proj.plasticity.as_ref().and_then(|r| r.modulation) else {
            continue;
        };
        let field = format!("projection {i} plasticity.modulation.update_interval_ms");
        let ticks = (m.update_interval_ms / dt).round();
        if !(1.0..=1e6).contains(&ticks) {
            return Err(invalid(
                field,
                m.update_interval_ms,
                &format!(
                    "must round to 1..=1e6 steps ({} ms to {} ms at dt = {dt} ms)",
                    0.5 * dt,
                    1e6 * dt
                ),
            ));
        }
        match interval {
            Some((first, t)) if t != ticks => {
                return Err(invalid(
                    field,
                    m.update_interval_ms,
                    &format!(
                        "every reward-modulated projection must use one update interval: projection {first} uses {} ms",
                        t * dt
                    ),
                ));
            }
            _ => interval = Some((i, ticks)),
        }
    }
    Ok(())
}

/// Times of population `i` on the tick grid: a refractory period the tick counter can hold, a
/// Poisson source that fires at most once per tick, and spike times in distinct ticks within
/// the 32-bit counter.
fn check_population_timing(i: usize, pop: &Population, dt: f64) -> Result<()> {
    let ticks = (pop.model.refractory_ms() / dt).round();
    if ticks > f64::from(u32::MAX / 2) {
        return Err(invalid(
            format!("population {i} '{}'.refractory_ms", pop.name),
            pop.model.refractory_ms(),
            "is too long for the time step",
        ));
    }
    if let NeuronModel::PoissonSource { rate_hz } = pop.model {
        if rate_hz * dt * 1e-3 > 1.0 {
            return Err(invalid(
                format!("population '{}'.rate_hz", pop.name),
                rate_hz,
                &format!(
                    "a Poisson source fires at most once per tick: at most {} Hz at dt = {dt} ms",
                    1e3 / dt
                ),
            ));
        }
    }
    if let NeuronModel::SpikeSource { spike_times_ms } = &pop.model {
        check_spike_ticks(pop, spike_times_ms, dt)?;
    }
    if let NeuronModel::PoissonSequence(seq) = &pop.model {
        check_sequence_ticks(pop, seq, dt)?;
    }
    Ok(())
}

/// A Poisson sequence's windows are at least one tick long, its rates fire at most once per
/// tick, and its last window ends within the 32-bit tick counter of the device table.
fn check_sequence_ticks(
    pop: &Population,
    seq: &crate::neurons::PoissonSequenceParams,
    dt: f64,
) -> Result<()> {
    let owner = format!("population '{}'", pop.name);
    if (seq.present_ms / dt).round() < 1.0 {
        return Err(invalid(
            format!("{owner}.present_ms"),
            seq.present_ms,
            &format!("must be at least one tick ({dt} ms)"),
        ));
    }
    let ticks = |ms: f64| (ms / dt).round();
    let end = ticks(seq.start_ms) + (ticks(seq.present_ms) + ticks(seq.rest_ms)) * seq.rates_hz.len() as f64;
    if end > crate::limits::MAX_SCHEDULE_TICK as f64 {
        return Err(invalid(
            format!("{owner}.rates_hz"),
            format!("{} stimuli ending at tick {end}", seq.rates_hz.len()),
            &format!(
                "the sequence must end by tick {} (the device table holds 32-bit ticks)",
                crate::limits::MAX_SCHEDULE_TICK
            ),
        ));
    }
    let words = seq.rates_hz.len() as f64 * f64::from(pop.size);
    if words > f64::from(u32::MAX / 2) {
        return Err(Error::LimitExceeded {
            what: format!("{owner}'s rate table (stimuli x neurons)"),
            requested: words as u64,
            max: u64::from(u32::MAX / 2),
        });
    }
    for (k, row) in seq.rates_hz.iter().enumerate() {
        if let Some(i) = row.iter().position(|r| r * dt * 1e-3 > 1.0) {
            return Err(invalid(
                format!("{owner}.rates_hz[{k}][{i}]"),
                row[i],
                &format!(
                    "a Poisson source fires at most once per tick: at most {} Hz at dt = {dt} ms",
                    1e3 / dt
                ),
            ));
        }
    }
    Ok(())
}

/// A spike source's times fit the 32-bit tick counter, and no neuron has two in one tick.
fn check_spike_ticks(pop: &Population, spike_times_ms: &[Vec<f64>], dt: f64) -> Result<()> {
    for (n, times) in spike_times_ms.iter().enumerate() {
        let mut last = None;
        for &t in times {
            let tick = (t / dt).round();
            if tick > f64::from(u32::MAX / 2) {
                return Err(invalid(
                    format!("population '{}'.spike_times_ms[{n}]", pop.name),
                    t,
                    "is beyond the 32-bit tick counter",
                ));
            }
            if last == Some(tick) {
                return Err(invalid(
                    format!("population '{}'.spike_times_ms[{n}]", pop.name),
                    t,
                    &format!("two spikes of one neuron fall in the same {dt} ms tick"),
                ));
            }
            last = Some(tick);
        }
    }
    Ok(())
}
