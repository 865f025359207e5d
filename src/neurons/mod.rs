//! Neuron models: parameters (with units in the names), named published parameter sets,
//! validation, and the per-population constant table both backends integrate with.
//!
//! Each model's update lives in `shaders/model_<name>.wgsl` and, operation for operation, in
//! `cpu::update_neuron`; the constants are computed here once, in f64, then rounded to f32.

use crate::error::{Result, check_finite, check_non_negative, check_positive, invalid};

/// Number of f32 constants per population.
pub const POP_CONSTANTS: usize = 24;

/// Model ids shared with WGSL (`model` field of `PopGpu`).
pub mod model_id {
    /// LIF with current synapses (delta, exponential or alpha).
    pub const LIF: u32 = 0;
    /// LIF with exponential conductance synapses.
    pub const LIF_COND: u32 = 1;
    /// Izhikevich 2003.
    pub const IZHIKEVICH: u32 = 2;
    /// Adaptive exponential integrate-and-fire.
    pub const ADEX: u32 = 3;
    /// Hodgkin-Huxley, Traub-Miles type.
    pub const HH: u32 = 4;
    /// Spike source array.
    pub const SPIKE_SOURCE: u32 = 5;
    /// Poisson spike source.
    pub const POISSON_SOURCE: u32 = 6;
}

/// Synapse kind of the current-based LIF (both ports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CurrentSynapse {
    /// The weight (mV) jumps the membrane directly; discarded while refractory.
    Delta,
    /// The weight (mV) jumps a current that decays with `tau_syn`.
    #[default]
    Exponential,
    /// Alpha-shaped current `w * (t/tau) * e^(1 - t/tau)`: peaks at `w` (mV) after `tau_syn`.
    Alpha,
}

/// Leaky integrate-and-fire with current synapses, in voltage units (Brian2's CUBA form):
/// `dv/dt = (I_e + I_i + I_ext - (v - v_rest)) / tau_m`; spike when `v > v_thresh`, then
/// `v = v_reset`, clamped for `refractory_ms` while currents keep decaying. Integrated exactly
/// (the propagator matrix of the linear system is computed in f64).
#[derive(Clone, Debug, PartialEq)]
pub struct LifParams {
    /// Membrane time constant (ms), > 0.
    pub tau_m_ms: f64,
    /// Resting potential (mV).
    pub v_rest_mv: f64,
    /// Reset potential (mV), below threshold.
    pub v_reset_mv: f64,
    /// Threshold (mV).
    pub v_thresh_mv: f64,
    /// Excitatory synaptic time constant (ms), > 0 (unused for delta synapses).
    pub tau_syn_exc_ms: f64,
    /// Inhibitory synaptic time constant (ms), > 0 (unused for delta synapses).
    pub tau_syn_inh_ms: f64,
    /// Refractory period (ms), >= 0.
    pub refractory_ms: f64,
    /// Shape of the synaptic current.
    pub synapse: CurrentSynapse,
    /// Delta synapses only: whether input arriving during the refractory period still moves
    /// `v` (Brian2's `on_pre: v += w` semantics) or is discarded (NEST `iaf_psc_delta`'s
    /// default, and ours).
    pub delta_input_while_refractory: bool,
    /// Adaptive threshold (homeostasis, Diehl & Cook 2015): each spike raises the neuron's
    /// threshold by this much (mV, >= 0; 0 disables it).
    pub threshold_adaptation_mv: f64,
    /// Decay time constant of the threshold adaptation (ms), > 0.
    pub tau_threshold_ms: f64,
}

impl Default for LifParams {
    /// The Vogels & Abbott 2005 CUBA neuron as in Brian2's example.
    fn default() -> Self {
        Self {
            tau_m_ms: 20.0,
            v_rest_mv: -49.0,
            v_reset_mv: -60.0,
            v_thresh_mv: -50.0,
            tau_syn_exc_ms: 5.0,
            tau_syn_inh_ms: 10.0,
            refractory_ms: 5.0,
            synapse: CurrentSynapse::Exponential,
            delta_input_while_refractory: false,
            threshold_adaptation_mv: 0.0,
            tau_threshold_ms: 1e7,
        }
    }
}

/// Leaky integrate-and-fire with exponential conductance synapses (Vogels & Abbott 2005 COBA,
/// Brette et al. 2007 benchmark 1): `C dv/dt = g_L (E_L - v) + g_e (E_e - v) + g_i (E_i - v)
/// + I_ext`, conductances in nS decaying with their time constants. Forward Euler for `v` (as
/// the benchmark's reference scripts), exact decay for the conductances. Inhibitory weights are
/// given negative (the receptor convention) and add their magnitude to `g_i`.
#[derive(Clone, Debug, PartialEq)]
pub struct LifCondParams {
    /// Membrane capacitance (pF), > 0.
    pub c_m_pf: f64,
    /// Leak conductance (nS), > 0.
    pub g_leak_ns: f64,
    /// Leak reversal potential (mV).
    pub e_leak_mv: f64,
    /// Reset potential (mV).
    pub v_reset_mv: f64,
    /// Threshold (mV).
    pub v_thresh_mv: f64,
    /// Excitatory reversal potential (mV).
    pub e_exc_mv: f64,
    /// Inhibitory reversal potential (mV).
    pub e_inh_mv: f64,
    /// Excitatory conductance decay (ms), > 0.
    pub tau_syn_exc_ms: f64,
    /// Inhibitory conductance decay (ms), > 0.
    pub tau_syn_inh_ms: f64,
    /// Refractory period (ms), >= 0.
    pub refractory_ms: f64,
    /// Adaptive threshold: raise per spike (mV, >= 0; 0 disables it), as in Diehl & Cook 2015.
    pub threshold_adaptation_mv: f64,
    /// Decay time constant of the threshold adaptation (ms), > 0.
    pub tau_threshold_ms: f64,
}

impl Default for LifCondParams {
    /// Brette et al. 2007 benchmark 1.
    fn default() -> Self {
        Self {
            c_m_pf: 200.0,
            g_leak_ns: 10.0,
            e_leak_mv: -60.0,
            v_reset_mv: -60.0,
            v_thresh_mv: -50.0,
            e_exc_mv: 0.0,
            e_inh_mv: -80.0,
            tau_syn_exc_ms: 5.0,
            tau_syn_inh_ms: 10.0,
            refractory_ms: 5.0,
            threshold_adaptation_mv: 0.0,
            tau_threshold_ms: 1e7,
        }
    }
}

/// Izhikevich 2003: `v' = 0.04 v^2 + 5 v + 140 - u + I`, `u' = a (b v - u)`; when `v >= v_peak`:
/// `v = c`, `u += d`. `v` is integrated in two half steps per tick, as in the paper's code; `I`
/// is the sum of the synaptic weights and injected currents arriving in the tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IzhikevichParams {
    /// Recovery time scale (1/ms).
    pub a: f64,
    /// Recovery sensitivity.
    pub b: f64,
    /// Reset potential (mV).
    pub c_mv: f64,
    /// Recovery jump after a spike.
    pub d: f64,
    /// Spike cut-off (mV); the paper uses 30.
    pub v_peak_mv: f64,
}

/// The named parameter sets of Izhikevich 2003, Fig. 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IzhikevichType {
    /// Regular spiking (cortical excitatory, adapting).
    RegularSpiking,
    /// Intrinsically bursting.
    IntrinsicallyBursting,
    /// Chattering.
    Chattering,
    /// Fast spiking (inhibitory, no adaptation).
    FastSpiking,
    /// Low-threshold spiking.
    LowThresholdSpiking,
    /// Thalamo-cortical.
    ThalamoCortical,
    /// Resonator.
    Resonator,
}

impl IzhikevichType {
    /// All named types.
    pub const ALL: [IzhikevichType; 7] = [
        Self::RegularSpiking,
        Self::IntrinsicallyBursting,
        Self::Chattering,
        Self::FastSpiking,
        Self::LowThresholdSpiking,
        Self::ThalamoCortical,
        Self::Resonator,
    ];

    /// The paper's (a, b, c, d).
    pub fn params(self) -> IzhikevichParams {
        let (a, b, c, d) = match self {
            Self::RegularSpiking => (0.02, 0.2, -65.0, 8.0),
            Self::IntrinsicallyBursting => (0.02, 0.2, -55.0, 4.0),
            Self::Chattering => (0.02, 0.2, -50.0, 2.0),
            Self::FastSpiking => (0.1, 0.2, -65.0, 2.0),
            Self::LowThresholdSpiking => (0.02, 0.25, -65.0, 2.0),
            Self::ThalamoCortical => (0.02, 0.25, -65.0, 0.05),
            Self::Resonator => (0.1, 0.26, -65.0, 2.0),
        };
        IzhikevichParams {
            a,
            b,
            c_mv: c,
            d,
            v_peak_mv: 30.0,
        }
    }

    /// Short name (RS, IB, CH, FS, LTS, TC, RZ).
    pub fn short_name(self) -> &'static str {
        match self {
            Self::RegularSpiking => "RS",
            Self::IntrinsicallyBursting => "IB",
            Self::Chattering => "CH",
            Self::FastSpiking => "FS",
            Self::LowThresholdSpiking => "LTS",
            Self::ThalamoCortical => "TC",
            Self::Resonator => "RZ",
        }
    }
}

impl Default for IzhikevichParams {
    fn default() -> Self {
        IzhikevichType::RegularSpiking.params()
    }
}

/// Adaptive exponential integrate-and-fire (Brette & Gerstner 2005):
/// `C v' = -g_L (v - E_L) + g_L D_T exp((v - V_T)/D_T) - w + I`, `tau_w w' = a (v - E_L) - w`;
/// at `v > v_peak`: `v = v_reset`, `w += b`. Synaptic currents (pA) are exponential.
///
/// Integration: forward Euler at the simulation step, with the exponent capped at
/// `(v_peak - V_T)/D_T`. The cap keeps the upswing finite (it only acts above `v_peak`, where
/// the spike is registered anyway), and the remaining dynamics have time constants of
/// `C/g_L` (>= 5 ms for the published sets) and `tau_w`, which Euler at 0.1 ms follows stably.
#[derive(Clone, Debug, PartialEq)]
pub struct AdExParams {
    /// Membrane capacitance (pF), > 0.
    pub c_m_pf: f64,
    /// Leak conductance (nS), > 0.
    pub g_leak_ns: f64,
    /// Leak reversal (mV).
    pub e_leak_mv: f64,
    /// Exponential threshold V_T (mV).
    pub v_t_mv: f64,
    /// Slope factor D_T (mV), > 0.
    pub delta_t_mv: f64,
    /// Subthreshold adaptation (nS).
    pub a_ns: f64,
    /// Adaptation time constant (ms), > 0.
    pub tau_w_ms: f64,
    /// Spike-triggered adaptation (pA).
    pub b_pa: f64,
    /// Reset (mV).
    pub v_reset_mv: f64,
    /// Spike detection (mV), above V_T.
    pub v_peak_mv: f64,
    /// Refractory period (ms), >= 0.
    pub refractory_ms: f64,
    /// Excitatory current decay (ms), > 0.
    pub tau_syn_exc_ms: f64,
    /// Inhibitory current decay (ms), > 0.
    pub tau_syn_inh_ms: f64,
}

/// Firing patterns of Naud, Marcille, Clopath & Gerstner 2008 (Table 1), with the step current
/// the paper applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdExPattern {
    /// Tonic spiking.
    Tonic,
    /// Adapting.
    Adapting,
    /// Initial burst.
    InitialBurst,
    /// Regular bursting.
    Bursting,
}

impl AdExPattern {
    /// Parameters and the step current (pA) of the pattern.
    pub fn params(self) -> (AdExParams, f64) {
        // (C pF, gL nS, EL mV, VT mV, DT mV, a nS, tau_w ms, b pA, Vr mV, I pA)
        let (c, gl, el, vt, dt, a, tw, b, vr, i) = match self {
            Self::Tonic => (200.0, 10.0, -70.0, -50.0, 2.0, 2.0, 30.0, 0.0, -58.0, 500.0),
            Self::Adapting => (200.0, 12.0, -70.0, -50.0, 2.0, 2.0, 300.0, 60.0, -58.0, 500.0),
            Self::InitialBurst => (130.0, 18.0, -58.0, -50.0, 2.0, 4.0, 150.0, 120.0, -50.0, 400.0),
            Self::Bursting => (200.0, 10.0, -58.0, -50.0, 2.0, 2.0, 120.0, 100.0, -46.0, 210.0),
        };
        (
            AdExParams {
                c_m_pf: c,
                g_leak_ns: gl,
                e_leak_mv: el,
                v_t_mv: vt,
                delta_t_mv: dt,
                a_ns: a,
                tau_w_ms: tw,
                b_pa: b,
                v_reset_mv: vr,
                v_peak_mv: 0.0,
                refractory_ms: 0.0,
                tau_syn_exc_ms: 5.0,
                tau_syn_inh_ms: 10.0,
            },
            i,
        )
    }
}

impl Default for AdExParams {
    fn default() -> Self {
        AdExPattern::Tonic.params().0
    }
}

/// Hodgkin-Huxley neuron of Traub-Miles type with exponential conductance synapses, as in
/// Brette et al. 2007 benchmark 3 (Brian2's `COBAHH` example): a 20,000 um^2 patch, so
/// C = 200 pF, g_L = 10 nS, g_Na = 20 uS, g_Kd = 6 uS. Integrated by exponential Euler (each
/// variable relaxes exactly toward its instantaneous steady state over the step). A spike is
/// an upward crossing of `v_spike_mv` outside the refractory window; `v` is not reset.
#[derive(Clone, Debug, PartialEq)]
pub struct HhParams {
    /// Membrane capacitance (pF).
    pub c_m_pf: f64,
    /// Leak conductance (nS).
    pub g_leak_ns: f64,
    /// Leak reversal (mV).
    pub e_leak_mv: f64,
    /// Sodium conductance (nS).
    pub g_na_ns: f64,
    /// Sodium reversal (mV).
    pub e_na_mv: f64,
    /// Delayed-rectifier potassium conductance (nS).
    pub g_kd_ns: f64,
    /// Potassium reversal (mV).
    pub e_k_mv: f64,
    /// Traub-Miles threshold shift V_T (mV).
    pub v_t_mv: f64,
    /// Excitatory reversal (mV).
    pub e_exc_mv: f64,
    /// Inhibitory reversal (mV).
    pub e_inh_mv: f64,
    /// Excitatory conductance decay (ms).
    pub tau_syn_exc_ms: f64,
    /// Inhibitory conductance decay (ms).
    pub tau_syn_inh_ms: f64,
    /// Spike detection level (mV).
    pub v_spike_mv: f64,
    /// Window after a spike in which no new spike is registered (ms).
    pub refractory_ms: f64,
}

impl Default for HhParams {
    fn default() -> Self {
        Self {
            c_m_pf: 200.0,
            g_leak_ns: 10.0,
            e_leak_mv: -60.0,
            g_na_ns: 20_000.0,
            e_na_mv: 50.0,
            g_kd_ns: 6_000.0,
            e_k_mv: -90.0,
            v_t_mv: -63.0,
            e_exc_mv: 0.0,
            e_inh_mv: -80.0,
            tau_syn_exc_ms: 5.0,
            tau_syn_inh_ms: 10.0,
            v_spike_mv: -20.0,
            refractory_ms: 3.0,
        }
    }
}

/// The neuron model of a population.
#[derive(Clone, Debug, PartialEq)]
pub enum NeuronModel {
    /// LIF with current synapses (CUBA, Brunel).
    Lif(LifParams),
    /// LIF with conductance synapses (COBA).
    LifCond(LifCondParams),
    /// Izhikevich 2003; per-neuron (a, b, c, d) may be set with
    /// `NetworkBuilder::izhikevich_per_neuron`.
    Izhikevich(IzhikevichParams),
    /// Adaptive exponential integrate-and-fire.
    AdEx(AdExParams),
    /// Traub-Miles Hodgkin-Huxley.
    HodgkinHuxley(HhParams),
    /// Spike source array: neuron `i` emits a spike at each of `spike_times_ms[i]` (rounded to
    /// ticks); the population size is the number of lists.
    SpikeSource {
        /// Spike times per neuron (ms), each list strictly increasing, >= 0.
        spike_times_ms: Vec<Vec<f64>>,
    },
    /// Independent Poisson spike trains, one per neuron, usable as the pre-synaptic side of
    /// projections (plastic ones too). At most one spike per tick: each tick fires with
    /// probability `rate_hz * dt`, compared as an integer against one Philox word.
    PoissonSource {
        /// Rate (Hz), with rate x dt <= 1.
        rate_hz: f64,
    },
}

/// Per-population constants as uploaded (see the slot lists in each `model_*.wgsl`).
pub type PopConstants = [f32; POP_CONSTANTS];

impl NeuronModel {
    /// Model id used by the shaders.
    pub fn id(&self) -> u32 {
        match self {
            NeuronModel::Lif(_) => model_id::LIF,
            NeuronModel::LifCond(_) => model_id::LIF_COND,
            NeuronModel::Izhikevich(_) => model_id::IZHIKEVICH,
            NeuronModel::AdEx(_) => model_id::ADEX,
            NeuronModel::HodgkinHuxley(_) => model_id::HH,
            NeuronModel::SpikeSource { .. } => model_id::SPIKE_SOURCE,
            NeuronModel::PoissonSource { .. } => model_id::POISSON_SOURCE,
        }
    }

    /// Whether spikes arriving at the inhibitory port add their magnitude to a conductance.
    pub fn conductance_based(&self) -> bool {
        matches!(self, NeuronModel::LifCond(_) | NeuronModel::HodgkinHuxley(_))
    }

    /// Refractory period (ms).
    pub fn refractory_ms(&self) -> f64 {
        match self {
            NeuronModel::Lif(p) => p.refractory_ms,
            NeuronModel::LifCond(p) => p.refractory_ms,
            NeuronModel::AdEx(p) => p.refractory_ms,
            NeuronModel::HodgkinHuxley(p) => p.refractory_ms,
            NeuronModel::Izhikevich(_)
            | NeuronModel::SpikeSource { .. }
            | NeuronModel::PoissonSource { .. } => 0.0,
        }
    }

    /// Reset potential (mV) of the models that reset.
    pub fn reset_mv(&self) -> Option<f64> {
        match self {
            NeuronModel::Lif(p) => Some(p.v_reset_mv),
            NeuronModel::LifCond(p) => Some(p.v_reset_mv),
            NeuronModel::AdEx(p) => Some(p.v_reset_mv),
            _ => None,
        }
    }

    /// The spike threshold the per-neuron parameter table starts from (mV).
    pub fn threshold_mv(&self) -> Option<f64> {
        match self {
            NeuronModel::Lif(p) => Some(p.v_thresh_mv),
            NeuronModel::LifCond(p) => Some(p.v_thresh_mv),
            NeuronModel::AdEx(p) => Some(p.v_peak_mv),
            NeuronModel::HodgkinHuxley(p) => Some(p.v_spike_mv),
            _ => None,
        }
    }

    /// Checks every parameter; `owner` prefixes field names in errors.
    pub fn validate(&self, owner: &str) -> Result<()> {
        let f = |name: &str| format!("{owner}.{name}");
        let below = |lo: (&str, f64), hi: (&str, f64)| {
            if lo.1 >= hi.1 {
                Err(invalid(
                    f(lo.0),
                    lo.1,
                    &format!("must be below {} = {}", hi.0, hi.1),
                ))
            } else {
                Ok(())
            }
        };
        match self {
            NeuronModel::Lif(p) => {
                check_positive(|| f("tau_m_ms"), p.tau_m_ms)?;
                check_positive(|| f("tau_syn_exc_ms"), p.tau_syn_exc_ms)?;
                check_positive(|| f("tau_syn_inh_ms"), p.tau_syn_inh_ms)?;
                check_non_negative(|| f("refractory_ms"), p.refractory_ms)?;
                check_finite(|| f("v_rest_mv"), p.v_rest_mv)?;
                check_finite(|| f("v_reset_mv"), p.v_reset_mv)?;
                check_finite(|| f("v_thresh_mv"), p.v_thresh_mv)?;
                check_non_negative(|| f("threshold_adaptation_mv"), p.threshold_adaptation_mv)?;
                check_positive(|| f("tau_threshold_ms"), p.tau_threshold_ms)?;
                below(("v_reset_mv", p.v_reset_mv), ("v_thresh_mv", p.v_thresh_mv))
            }
            NeuronModel::LifCond(p) => {
                check_non_negative(|| f("threshold_adaptation_mv"), p.threshold_adaptation_mv)?;
                check_positive(|| f("tau_threshold_ms"), p.tau_threshold_ms)?;
                check_positive(|| f("c_m_pf"), p.c_m_pf)?;
                check_positive(|| f("g_leak_ns"), p.g_leak_ns)?;
                check_positive(|| f("tau_syn_exc_ms"), p.tau_syn_exc_ms)?;
                check_positive(|| f("tau_syn_inh_ms"), p.tau_syn_inh_ms)?;
                check_non_negative(|| f("refractory_ms"), p.refractory_ms)?;
                for (n, v) in [
                    ("e_leak_mv", p.e_leak_mv),
                    ("v_reset_mv", p.v_reset_mv),
                    ("v_thresh_mv", p.v_thresh_mv),
                    ("e_exc_mv", p.e_exc_mv),
                    ("e_inh_mv", p.e_inh_mv),
                ] {
                    check_finite(|| f(n), v)?;
                }
                below(("v_reset_mv", p.v_reset_mv), ("v_thresh_mv", p.v_thresh_mv))?;
                below(("e_inh_mv", p.e_inh_mv), ("e_exc_mv", p.e_exc_mv))
            }
            NeuronModel::Izhikevich(p) => {
                for (n, v) in [
                    ("a", p.a),
                    ("b", p.b),
                    ("c_mv", p.c_mv),
                    ("d", p.d),
                    ("v_peak_mv", p.v_peak_mv),
                ] {
                    check_finite(|| f(n), v)?;
                }
                check_positive(|| f("a"), p.a)?;
                below(("c_mv", p.c_mv), ("v_peak_mv", p.v_peak_mv))
            }
            NeuronModel::AdEx(p) => {
                check_positive(|| f("c_m_pf"), p.c_m_pf)?;
                check_positive(|| f("g_leak_ns"), p.g_leak_ns)?;
                check_positive(|| f("delta_t_mv"), p.delta_t_mv)?;
                check_positive(|| f("tau_w_ms"), p.tau_w_ms)?;
                check_positive(|| f("tau_syn_exc_ms"), p.tau_syn_exc_ms)?;
                check_positive(|| f("tau_syn_inh_ms"), p.tau_syn_inh_ms)?;
                check_non_negative(|| f("refractory_ms"), p.refractory_ms)?;
                for (n, v) in [
                    ("e_leak_mv", p.e_leak_mv),
                    ("v_t_mv", p.v_t_mv),
                    ("a_ns", p.a_ns),
                    ("b_pa", p.b_pa),
                    ("v_reset_mv", p.v_reset_mv),
                    ("v_peak_mv", p.v_peak_mv),
                ] {
                    check_finite(|| f(n), v)?;
                }
                below(("v_t_mv", p.v_t_mv), ("v_peak_mv", p.v_peak_mv))?;
                below(("v_reset_mv", p.v_reset_mv), ("v_peak_mv", p.v_peak_mv))
            }
            NeuronModel::HodgkinHuxley(p) => {
                check_positive(|| f("c_m_pf"), p.c_m_pf)?;
                check_positive(|| f("g_leak_ns"), p.g_leak_ns)?;
                check_non_negative(|| f("g_na_ns"), p.g_na_ns)?;
                check_non_negative(|| f("g_kd_ns"), p.g_kd_ns)?;
                check_positive(|| f("tau_syn_exc_ms"), p.tau_syn_exc_ms)?;
                check_positive(|| f("tau_syn_inh_ms"), p.tau_syn_inh_ms)?;
                check_non_negative(|| f("refractory_ms"), p.refractory_ms)?;
                for (n, v) in [
                    ("e_leak_mv", p.e_leak_mv),
                    ("e_na_mv", p.e_na_mv),
                    ("e_k_mv", p.e_k_mv),
                    ("v_t_mv", p.v_t_mv),
                    ("e_exc_mv", p.e_exc_mv),
                    ("e_inh_mv", p.e_inh_mv),
                    ("v_spike_mv", p.v_spike_mv),
                ] {
                    check_finite(|| f(n), v)?;
                }
                below(("e_inh_mv", p.e_inh_mv), ("e_exc_mv", p.e_exc_mv))
            }
            NeuronModel::PoissonSource { rate_hz } => check_non_negative(|| f("rate_hz"), *rate_hz),
            NeuronModel::SpikeSource { spike_times_ms } => {
                for (i, times) in spike_times_ms.iter().enumerate() {
                    let mut last = f64::NEG_INFINITY;
                    for (k, &t) in times.iter().enumerate() {
                        let field = || format!("{owner}.spike_times_ms[{i}][{k}]");
                        check_non_negative(field, t)?;
                        if t <= last {
                            return Err(invalid(
                                field(),
                                t,
                                &format!("spike times must be strictly increasing (previous {last})"),
                            ));
                        }
                        last = t;
                    }
                }
                Ok(())
            }
        }
    }

    /// Per-population constants for time step `dt` (ms).
    pub fn constants(&self, dt: f64) -> PopConstants {
        let mut c = [0.0f64; POP_CONSTANTS];
        match self {
            NeuronModel::Lif(p) => {
                // State x = (v - v_rest, I_e, y_e, I_i, y_i); exact propagator exp(A dt).
                let mut a = [[0.0f64; 5]; 5];
                let tm = p.tau_m_ms;
                a[0][0] = -1.0 / tm;
                a[0][1] = 1.0 / tm;
                a[0][3] = 1.0 / tm;
                for (i, ts) in [(1usize, p.tau_syn_exc_ms), (3usize, p.tau_syn_inh_ms)] {
                    a[i][i] = -1.0 / ts;
                    a[i][i + 1] = 1.0 / ts;
                    a[i + 1][i + 1] = -1.0 / ts;
                }
                let e = expm5(a, dt);
                c[0] = p.v_rest_mv;
                c[1] = p.v_reset_mv;
                c[2] = p.v_thresh_mv;
                c[3] = e[0][0];
                c[4] = e[0][1];
                c[5] = e[0][2];
                c[6] = e[0][3];
                c[7] = e[0][4];
                c[8] = e[1][1];
                c[9] = e[1][2];
                c[10] = e[2][2];
                c[11] = e[3][3];
                c[12] = e[3][4];
                c[13] = e[4][4];
                // Jump of y per unit weight (I' = (y - I)/tau, y' = -y/tau): with y0 = e*w the
                // alpha current y0 (t/tau) e^(-t/tau) peaks at w when t = tau.
                let (je, ji, delta) = match p.synapse {
                    CurrentSynapse::Alpha => (std::f64::consts::E, std::f64::consts::E, 0.0),
                    CurrentSynapse::Exponential | CurrentSynapse::Delta => (0.0, 0.0, 0.0),
                };
                c[14] = je;
                c[15] = ji;
                c[16] = 1.0 - e[0][0]; // constant current input -> v
                c[17] = match p.synapse {
                    CurrentSynapse::Delta => 1.0,
                    _ => delta,
                };
                c[18] = match p.synapse {
                    CurrentSynapse::Exponential => 1.0,
                    _ => 0.0,
                };
                c[19] = if p.delta_input_while_refractory { 1.0 } else { 0.0 };
                c[20] = p.threshold_adaptation_mv;
                c[21] = (-dt / p.tau_threshold_ms).exp();
            }
            NeuronModel::LifCond(p) => {
                c[0] = p.e_leak_mv;
                c[1] = p.v_reset_mv;
                c[2] = p.v_thresh_mv;
                c[3] = dt / p.c_m_pf;
                c[4] = p.g_leak_ns;
                c[5] = p.e_exc_mv;
                c[6] = p.e_inh_mv;
                c[7] = (-dt / p.tau_syn_exc_ms).exp();
                c[8] = (-dt / p.tau_syn_inh_ms).exp();
                c[9] = p.threshold_adaptation_mv;
                c[10] = (-dt / p.tau_threshold_ms).exp();
            }
            NeuronModel::Izhikevich(p) => {
                c[0] = p.v_peak_mv;
                c[1] = 0.5 * dt;
                c[2] = dt;
            }
            NeuronModel::AdEx(p) => {
                c[0] = p.e_leak_mv;
                c[1] = p.v_reset_mv;
                c[2] = p.v_peak_mv;
                c[3] = dt / p.c_m_pf;
                c[4] = p.g_leak_ns;
                c[5] = p.delta_t_mv;
                c[6] = p.v_t_mv;
                c[7] = 1.0 / p.delta_t_mv;
                c[8] = (p.v_peak_mv - p.v_t_mv) / p.delta_t_mv;
                c[9] = p.a_ns;
                c[10] = dt / p.tau_w_ms;
                c[11] = p.b_pa;
                c[12] = (-dt / p.tau_syn_exc_ms).exp();
                c[13] = (-dt / p.tau_syn_inh_ms).exp();
            }
            NeuronModel::HodgkinHuxley(p) => {
                c[0] = p.e_leak_mv;
                c[1] = p.g_leak_ns;
                c[2] = p.e_na_mv;
                c[3] = p.g_na_ns;
                c[4] = p.e_k_mv;
                c[5] = p.g_kd_ns;
                c[6] = p.v_t_mv;
                c[7] = 1.0 / p.c_m_pf;
                c[8] = p.e_exc_mv;
                c[9] = p.e_inh_mv;
                c[10] = p.v_spike_mv;
                c[11] = (-dt / p.tau_syn_exc_ms).exp();
                c[12] = (-dt / p.tau_syn_inh_ms).exp();
                c[13] = dt;
            }
            NeuronModel::SpikeSource { .. } | NeuronModel::PoissonSource { .. } => {}
        }
        c.map(|x| x as f32)
    }
}

/// exp(A t) for a 5x5 matrix: scaling and squaring with a 20-term Taylor series, in f64.
fn expm5(a: [[f64; 5]; 5], t: f64) -> [[f64; 5]; 5] {
    let norm = a.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs())) * t * 5.0;
    let squarings = if norm > 0.5 {
        (norm / 0.5).log2().ceil() as i32
    } else {
        0
    };
    let h = t / f64::from(1 << squarings);
    let mul = |x: &[[f64; 5]; 5], y: &[[f64; 5]; 5]| {
        let mut r = [[0.0; 5]; 5];
        for i in 0..5 {
            for j in 0..5 {
                r[i][j] = (0..5).map(|k| x[i][k] * y[k][j]).sum();
            }
        }
        r
    };
    let mut ah = a;
    ah.iter_mut().flatten().for_each(|x| *x *= h);
    let mut result = [[0.0; 5]; 5];
    let mut term = [[0.0; 5]; 5];
    for i in 0..5 {
        result[i][i] = 1.0;
        term[i][i] = 1.0;
    }
    for k in 1..=20 {
        term = mul(&term, &ah);
        term.iter_mut().flatten().for_each(|x| *x /= f64::from(k));
        for i in 0..5 {
            for j in 0..5 {
                result[i][j] += term[i][j];
            }
        }
    }
    for _ in 0..squarings {
        result = mul(&result, &result);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lif_propagators_match_the_closed_form() {
        let dt = 0.1;
        let p = LifParams::default();
        let c = NeuronModel::Lif(p.clone()).constants(dt);
        let pm = (-dt / p.tau_m_ms).exp();
        let te = p.tau_syn_exc_ms;
        let coupling = te / (te - p.tau_m_ms) * ((-dt / te).exp() - pm);
        assert!((f64::from(c[3]) - pm).abs() < 1e-7);
        assert!(
            (f64::from(c[4]) - coupling).abs() < 1e-7,
            "{} vs {coupling}",
            c[4]
        );
        assert!((f64::from(c[8]) - (-dt / te).exp()).abs() < 1e-7);
        // Alpha: y -> I over one step is (dt/tau) e^{-dt/tau}.
        assert!((f64::from(c[9]) - dt / te * (-dt / te).exp()).abs() < 1e-7);
    }

    #[test]
    fn equal_membrane_and_synaptic_time_constants_are_handled() {
        let p = LifParams {
            tau_syn_exc_ms: 20.0,
            ..LifParams::default()
        };
        let c = NeuronModel::Lif(p).constants(0.1);
        let expected = 0.1 / 20.0 * (-0.1f64 / 20.0).exp();
        assert!((f64::from(c[4]) - expected).abs() < 1e-8);
    }
}
