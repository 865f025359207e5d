//! The Potjans & Diesmann 2014 cortical microcircuit (Cereb. Cortex 24:785): 77,169
//! current-based LIF neurons in eight populations (excitatory and inhibitory in layers 2/3, 4,
//! 5 and 6) under 1 mm^2 of early sensory cortex, about 3e8 synapses, Poisson background, dt
//! 0.1 ms; with the downscaling of van Albada, Helias & Diesmann 2015 (PLoS Comput. Biol.
//! 11:e1004490).
//!
//! Facts used (Potjans & Diesmann 2014, Tables 4 and 5, as in the NEST example
//! `Potjans_2014` whose `full_mean_rates` are the reference rates below):
//!
//! - neurons `iaf_psc_exp`: C 250 pF, tau_m 10 ms, tau_syn 0.5 ms (both ports), refractory
//!   2 ms (held as NEST holds it, see [`NEST_REFRACTORY_MS`]), E_L = V_reset = -65 mV, V_th -50 mV; initial V normal(-58, 10) mV for every
//!   population (the 2014 reference; newer NEST examples draw population-specific
//!   "optimized" initial potentials instead);
//! - synapses per projection `K = ln(1 - C) / ln(1 - 1 / (N_pre N_post))`, drawn as a fixed
//!   total number of (pre, post) pairs with replacement (multapses and autapses allowed, NEST's
//!   `fixed_total_number`); zero-probability projections are left out;
//! - PSC amplitude 87.8 pA (0.15 mV PSP), relative sd 0.1, inhibitory g = -4, L4e -> L2/3e
//!   doubled; normal, truncated at 0 to keep the sign;
//! - delays normal, excitatory 1.5 +/- 0.75 ms, inhibitory 0.75 +/- 0.375 ms, truncated below
//!   at dt and above at mean + 10 sd (never reached in practice: p < 1e-23 per synapse; the
//!   bound only keeps the delay range finite). Truncated as the reference's `normal_clipped`
//!   distribution is: NEST draws a value outside the bounds again
//!   (`ClippedRedrawContinuousRandomDev`), so no delay piles up at dt. Clipping instead would
//!   put 3.1% of the excitatory and 4.2% of the inhibitory delays at dt;
//! - background: independent Poisson trains at 8 Hz per external synapse, in-degrees
//!   [`K_EXT`], weight 87.8 pA, onto the excitatory port.
//!
//! Our current-based LIF works in voltage units (`tau_m dv/dt = -(v - v_rest) + I`, `I` in
//! mV), so a current `x` pA enters as `x * tau_m / C_m` = `x * 0.04` mV: 87.8 pA is 3.512 mV.
//! The propagator is exact, as NEST's. A spike arriving in tick `t` moves `v` at the end of
//! tick `t` here, one tick earlier than in NEST's `iaf_psc_exp` (which adds it to the current
//! after propagating `v`), so every delay gets one tick more than drawn ([`NEST_LATENCY_MS`]):
//! the network then has the reference's spike-to-membrane latencies exactly.
//!
//! Downscaling (van Albada et al. 2015, as in the NEST example): `scale_n` multiplies the
//! population sizes, `scale_k` the in-degrees (recurrent and external). The synapse count of
//! each projection is `round(K_full * scale_n * scale_k)`, so the in-degree is `scale_k`
//! times the full-scale one whatever `scale_n`. Weights (recurrent and external) are divided by
//! `sqrt(scale_k)`, which keeps the input variance, and each population gets a DC current
//! `tau_syn (1 - sqrt(scale_k)) (sum_s J_ts K_ts nu_s + J_ext K_ext nu_bg)` restoring the mean
//! input, computed from the full-scale in-degrees `K_ts` and the reference rates `nu_s`
//! ([`REFERENCE_RATES_HZ`]). At `scale_k = 1` there is no DC input.

use crate::error::{Result, invalid};
use crate::model::{
    Connectivity, CurrentSource, InitialValue, Network, NetworkBuilder, Receptor, WeightDist,
};
use crate::neurons::{CurrentSynapse, LifParams, NeuronModel};

/// Population names, in the order of every table of this module.
pub const POPULATIONS: [&str; 8] = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"];

/// Full-scale population sizes (Potjans & Diesmann 2014, Table 5): 77,169 neurons.
pub const FULL_SIZES: [u32; 8] = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948];

/// Connection probabilities, `CONNECTION_PROBABILITY[target][source]` (Potjans & Diesmann
/// 2014, Table 5).
pub const CONNECTION_PROBABILITY: [[f64; 8]; 8] = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443],
];

/// External (background) in-degrees per population (Potjans & Diesmann 2014, Table 5).
pub const K_EXT: [f64; 8] = [1600.0, 1500.0, 2100.0, 1900.0, 2000.0, 1900.0, 2900.0, 2100.0];

/// Rate of each background input (Hz).
pub const BACKGROUND_RATE_HZ: f64 = 8.0;

/// Full-scale firing rates (Hz) of the reference implementation, in [`POPULATIONS`] order:
/// `full_mean_rates` of NEST's `Potjans_2014` example (the rates shared/DESIGN.md quotes,
/// L2/3e 0.97 ... L6i 7.52 Hz). They set the DC compensation of downscaled networks and are
/// what the full-scale network is validated against.
pub const REFERENCE_RATES_HZ: [f64; 8] = [0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523];

/// The full-scale excitatory rates (Hz) of the original publication's NEST simulation
/// (Potjans & Diesmann 2014), in [`POPULATIONS`] order, inhibitory ones not given: as
/// tabulated by Romaro et al. 2021 (Neural Comput. 33:1993, Table A.1, row "NEST trial"),
/// whose own full-scale reimplementation gave 0.90, 2.80, 4.39, 5.70, 6.80, 8.22, 1.14 and
/// 7.60 Hz. A second published reference beside [`REFERENCE_RATES_HZ`]: the two differ by
/// up to 13% (L2/3e 0.86 against 0.971 Hz; L6e 1.09 against 0.991 Hz), which bounds how
/// closely any one run can be asked to match either.
pub const PUBLISHED_RATES_HZ: [Option<f64>; 8] = [
    Some(0.86),
    None,
    Some(4.45),
    None,
    Some(7.59),
    None,
    Some(1.09),
    None,
];

/// Membrane capacitance (pF).
pub const C_M_PF: f64 = 250.0;
/// Membrane time constant (ms).
pub const TAU_M_MS: f64 = 10.0;
/// Synaptic time constant of both ports (ms).
pub const TAU_SYN_MS: f64 = 0.5;
/// Mean excitatory PSC amplitude (pA).
pub const PSC_PA: f64 = 87.8;

/// [`PSC_PA`] in the voltage units of [`LifParams`]: 87.8 pA x 10 ms / 250 pF, written as the
/// decimal value the model file uses.
pub const W_EXC_MV: f64 = 3.512;
/// Standard deviation of excitatory weights: 0.1 of the mean (mV).
pub const W_EXC_SD_MV: f64 = 0.3512;
/// Mean inhibitory weight, g = -4 times the excitatory one (mV).
pub const W_INH_MV: f64 = -14.048;
/// Standard deviation of inhibitory weights (mV).
pub const W_INH_SD_MV: f64 = 1.4048;
/// Mean L4e -> L2/3e weight, twice the excitatory one (mV).
pub const W_L4E_L23E_MV: f64 = 7.024;
/// Standard deviation of the L4e -> L2/3e weights (mV).
pub const W_L4E_L23E_SD_MV: f64 = 0.7024;

/// Mean and sd of excitatory delays (ms).
pub const DELAY_EXC_MS: (f64, f64) = (1.5, 0.75);
/// Mean and sd of inhibitory delays (ms).
pub const DELAY_INH_MS: (f64, f64) = (0.75, 0.375);

/// Time step (ms).
pub const DT_MS: f64 = 0.1;

/// Added to every drawn delay (ms): one tick, so that a spike reaches the target's membrane
/// as many ticks after it was emitted as in the reference implementation. NEST's
/// `iaf_psc_exp` adds an arriving spike to its current after propagating `v`, so `v` moves
/// one step after the delay; ours adds it before integration (see the README's tick
/// semantics), so the published delay plus one tick gives the same latency, tick for tick
/// (and the lower clip dt becomes 2 dt). At full scale this moved L2/3e from -16% to -8% of
/// its reference rate (BENCHMARKS.md).
pub const NEST_LATENCY_MS: f64 = DT_MS;

/// Refractory period given to our LIF (ms) so that `v` is held at reset for as many ticks as
/// NEST's `iaf_psc_exp` holds it with the published 2 ms: NEST skips the update of `v` in the
/// `t_ref / dt` = 20 steps after a spike, our LIF (Brian2's convention) in `t_ref / dt - 1`,
/// so one tick more gives NEST's 20 (tests/suite/microcircuit.rs counts them).
pub const NEST_REFRACTORY_MS: f64 = 2.0 + DT_MS;

/// Whether population `pop` (an index into [`POPULATIONS`]) is excitatory.
fn excitatory(pop: usize) -> bool {
    pop.is_multiple_of(2)
}

/// Checks a scale factor: finite and in (0, 1].
fn check_scale(field: &str, scale: f64) -> Result<()> {
    if scale.is_finite() && scale > 0.0 && scale <= 1.0 {
        Ok(())
    } else {
        Err(invalid(
            field,
            scale,
            "must be finite and in (0, 1] (the microcircuit is defined at full scale and only downscaled)",
        ))
    }
}

/// Full-scale synapse count of projection `source -> target`:
/// `ln(1 - C) / ln(1 - 1 / (N_pre N_post))` (Potjans & Diesmann 2014, Eq. 1), not rounded.
pub fn full_synapse_count(target: usize, source: usize) -> f64 {
    let c = CONNECTION_PROBABILITY[target][source];
    let pairs = f64::from(FULL_SIZES[target]) * f64::from(FULL_SIZES[source]);
    (-c).ln_1p() / (-1.0 / pairs).ln_1p()
}

/// Population sizes at `scale_n`: `round(N * scale_n)`, at least one neuron each.
pub fn sizes(scale_n: f64) -> Result<[u32; 8]> {
    check_scale("scale_n", scale_n)?;
    Ok(FULL_SIZES.map(|n| (f64::from(n) * scale_n).round().max(1.0) as u32))
}

/// Synapse counts `[target][source]` at the given scales: `round(K_full * scale_n * scale_k)`
/// (the in-degree is `scale_k` times the full-scale one).
pub fn synapse_counts(scale_n: f64, scale_k: f64) -> Result<[[u64; 8]; 8]> {
    check_scale("scale_n", scale_n)?;
    check_scale("scale_k", scale_k)?;
    let mut out = [[0u64; 8]; 8];
    for (t, row) in out.iter_mut().enumerate() {
        for (s, n) in row.iter_mut().enumerate() {
            *n = (full_synapse_count(t, s) * scale_n * scale_k).round() as u64;
        }
    }
    Ok(out)
}

/// Mean weight (mV) of projection `source -> target` at full scale.
pub fn mean_weight_mv(target: usize, source: usize) -> f64 {
    if target == 0 && source == 2 {
        W_L4E_L23E_MV
    } else if excitatory(source) {
        W_EXC_MV
    } else {
        W_INH_MV
    }
}

/// Standard deviation of the weights (mV) of projection `source -> target` at full scale.
fn weight_sd_mv(target: usize, source: usize) -> f64 {
    if target == 0 && source == 2 {
        W_L4E_L23E_SD_MV
    } else if excitatory(source) {
        W_EXC_SD_MV
    } else {
        W_INH_SD_MV
    }
}

/// DC input per population (mV, the LIF's current unit) that restores the mean input lost by
/// scaling the in-degrees with `scale_k` (van Albada et al. 2015, Eq. 11; zero at
/// `scale_k = 1`): `tau_syn (1 - sqrt(scale_k)) (sum_s J_ts K_ts nu_s + J_ext K_ext nu_bg)`,
/// with the full-scale in-degrees `K_ts`, weights `J` and reference rates `nu`.
pub fn dc_compensation_mv(scale_k: f64) -> Result<[f64; 8]> {
    check_scale("scale_k", scale_k)?;
    let missing = 1.0 - scale_k.sqrt();
    Ok(std::array::from_fn(|t| {
        let recurrent: f64 = (0..8)
            .map(|s| {
                let indegree = full_synapse_count(t, s) / f64::from(FULL_SIZES[t]);
                mean_weight_mv(t, s) * indegree * REFERENCE_RATES_HZ[s]
            })
            .sum();
        let external = W_EXC_MV * K_EXT[t] * BACKGROUND_RATE_HZ;
        1e-3 * TAU_SYN_MS * missing * (recurrent + external)
    }))
}

/// The neuron of every population: `iaf_psc_exp` with the microcircuit's parameters.
pub fn neuron() -> LifParams {
    LifParams {
        tau_m_ms: TAU_M_MS,
        v_rest_mv: -65.0,
        v_reset_mv: -65.0,
        v_thresh_mv: -50.0,
        tau_syn_exc_ms: TAU_SYN_MS,
        tau_syn_inh_ms: TAU_SYN_MS,
        refractory_ms: NEST_REFRACTORY_MS,
        synapse: CurrentSynapse::Exponential,
        ..LifParams::default()
    }
}

/// The Potjans & Diesmann 2014 microcircuit with `scale_n` times the neurons and `scale_k`
/// times the in-degrees (both in (0, 1]; 1 and 1 is the published network), compensated as
/// van Albada et al. 2015 prescribe (see the module documentation). Populations are named as
/// in [`POPULATIONS`]; projections are added target by target, sources in the same order,
/// then the Poisson background of each population, then the DC compensation (if any).
pub fn microcircuit(seed: u64, scale_n: f64, scale_k: f64) -> Result<Network> {
    let sizes = sizes(scale_n)?;
    let counts = synapse_counts(scale_n, scale_k)?;
    let dc = dc_compensation_mv(scale_k)?;
    let w_scale = 1.0 / scale_k.sqrt();
    let mut b = NetworkBuilder::new(DT_MS, seed);
    let v0 = InitialValue::Normal {
        mean: -58.0,
        std: 10.0,
    };
    let mut ids = Vec::with_capacity(8);
    for (name, &size) in POPULATIONS.iter().zip(&sizes) {
        ids.push(b.population(name, size, NeuronModel::Lif(neuron()), v0.clone())?);
    }
    for t in 0..8 {
        for s in 0..8 {
            let n = counts[t][s];
            if n == 0 {
                continue;
            }
            let (mean, std) = (mean_weight_mv(t, s) * w_scale, weight_sd_mv(t, s) * w_scale);
            let (weight, (d_mean, d_sd), receptor) = if excitatory(s) {
                (
                    WeightDist::TruncatedNormal {
                        mean,
                        std,
                        low: 0.0,
                        high: f64::MAX,
                    },
                    DELAY_EXC_MS,
                    Receptor::Excitatory,
                )
            } else {
                (
                    WeightDist::TruncatedNormal {
                        mean,
                        std,
                        low: f64::MIN,
                        high: 0.0,
                    },
                    DELAY_INH_MS,
                    Receptor::Inhibitory,
                )
            };
            let delay = WeightDist::TruncatedNormal {
                mean: d_mean + NEST_LATENCY_MS,
                std: d_sd,
                low: DT_MS + NEST_LATENCY_MS,
                high: d_mean + 10.0 * d_sd + NEST_LATENCY_MS,
            };
            b.projection(
                ids[s],
                ids[t],
                Connectivity::FixedTotal { n, autapses: true },
                weight,
                delay,
                receptor,
            )?;
        }
    }
    for t in 0..8 {
        let k_ext = (K_EXT[t] * scale_k).round();
        b.poisson_input(
            ids[t],
            BACKGROUND_RATE_HZ * k_ext,
            W_EXC_MV * w_scale,
            Receptor::Excitatory,
        )?;
    }
    for t in 0..8 {
        if dc[t] != 0.0 {
            b.current_input(ids[t], CurrentSource::Dc { amplitude: dc[t] })?;
        }
    }
    b.build()
}

/// Per-population firing rates (Hz) of a microcircuit run between `from_ms` and `to_ms`, in
/// [`POPULATIONS`] order, from the spike trains of `sim` (spikes at `t` with
/// `from_ms <= t < to_ms` count).
pub fn population_rates_hz(
    net: &Network,
    sim: &crate::sim::Simulator,
    from_ms: f64,
    to_ms: f64,
) -> Result<[f64; 8]> {
    if !(from_ms.is_finite() && to_ms.is_finite() && from_ms >= 0.0 && to_ms > from_ms) {
        return Err(invalid(
            "rate window",
            format!("[{from_ms}, {to_ms}) ms"),
            "must satisfy 0 <= from < to, both finite",
        ));
    }
    let mut rates = [0.0; 8];
    for (i, name) in POPULATIONS.iter().enumerate() {
        let pop = net.population(name).ok_or_else(|| {
            invalid(
                "network",
                "without population ".to_string() + name,
                "must be a microcircuit (populations L23E ... L6I)",
            )
        })?;
        let train = sim.spikes(pop)?;
        let count = train
            .times_ms
            .iter()
            .filter(|&&t| t >= from_ms && t < to_ms)
            .count();
        let size = net.populations[pop.index()].size;
        rates[i] = count as f64 / f64::from(size) / ((to_ms - from_ms) * 1e-3);
    }
    Ok(rates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_in_millivolts_are_the_published_currents_times_tau_m_over_c_m() {
        let r = TAU_M_MS / C_M_PF;
        assert!((W_EXC_MV - PSC_PA * r).abs() < 1e-12);
        assert!((W_EXC_SD_MV - 0.1 * W_EXC_MV).abs() < 1e-12);
        assert!((W_INH_MV + 4.0 * W_EXC_MV).abs() < 1e-12);
        assert!((W_INH_SD_MV - 0.4 * W_EXC_MV).abs() < 1e-12);
        assert!((W_L4E_L23E_MV - 2.0 * W_EXC_MV).abs() < 1e-12);
        assert!((W_L4E_L23E_SD_MV - 0.2 * W_EXC_MV).abs() < 1e-12);
    }

    #[test]
    fn full_scale_counts_match_the_published_totals() {
        assert_eq!(FULL_SIZES.iter().sum::<u32>(), 77_169);
        let total: u64 = synapse_counts(1.0, 1.0).unwrap().iter().flatten().sum();
        // Potjans & Diesmann 2014: "about 0.3 billion synapses".
        assert!((2.9e8..3.1e8).contains(&(total as f64)), "{total}");
        // C = 1 - (1 - 1/(N_pre N_post))^K inverts the count.
        let k = full_synapse_count(0, 0);
        let pairs = 20683.0f64 * 20683.0;
        let c = -(k * (-1.0 / pairs).ln_1p()).exp_m1();
        assert!((c - 0.1009).abs() < 1e-9, "{c}");
    }

    #[test]
    fn dc_compensation_vanishes_at_full_scale_and_grows_as_in_degrees_shrink() {
        assert_eq!(dc_compensation_mv(1.0).unwrap(), [0.0; 8]);
        let a = dc_compensation_mv(0.5).unwrap();
        let b = dc_compensation_mv(0.1).unwrap();
        for t in 0..8 {
            assert!(b[t] > a[t], "{t}: {} vs {}", b[t], a[t]);
        }
        // L2/3e by hand: the external part alone is 0.5 ms * 3.512 mV * 1600 * 8 Hz * 1e-3.
        let ext = 1e-3 * 0.5 * 3.512 * 1600.0 * 8.0;
        assert!(b[0] > 0.0 && b[0] < (1.0 - 0.1f64.sqrt()) * ext, "{}", b[0]);
    }
}
