//! Plasticity phase: each plastic projection's constants and trace layout, the transpose index
//! its post-synaptic walks use, and the neuromodulator channels.

use crate::model::Network;
use crate::model::plasticity::{ModulatorChannel, Pairing, StdpParams, WeightDependence};
use crate::plan::PopulationPlan;
use crate::plan::csr::MergedCsr;
use crate::plan::layout::{PlasticGpu, PopGpu};

/// Index of a neuromodulator channel in the plan's channel arrays.
pub fn channel_index(channel: ModulatorChannel) -> u32 {
    match channel {
        ModulatorChannel::Global => 0,
        ModulatorChannel::Population(p) => 1 + p.index() as u32,
    }
}

/// The plastic projections' tables and the history lengths they share.
pub(super) struct StdpTables {
    /// Plastic projections, in order of their 1-based ids.
    pub projections: Vec<PlasticGpu>,
    pub hist_len: u32,
    pub stdp_lag: u32,
    pub trace_len: u32,
    pub modulation_interval: u32,
}

/// Tables of every plastic projection. Traces and histories are long enough that every event
/// of tick t - lag finds the traces it needs (up to lag + largest delay + 1 ticks back).
/// `pre_pops` and `post_pops` are the same populations but on a rank of a distributed run,
/// whose pre-synaptic traces are kept by global neuron and post-synaptic ones by local.
pub(super) fn stdp_tables(
    net: &Network,
    pre_pops: &[PopulationPlan],
    post_pops: &[PopulationPlan],
    max_delay: u32,
) -> StdpTables {
    let mut tables = StdpTables {
        projections: Vec::new(),
        hist_len: 0,
        stdp_lag: 0,
        trace_len: 0,
        modulation_interval: 0,
    };
    let mut trace_threads = 0u32;
    for proj in &net.projections {
        let Some(rule) = &proj.plasticity else { continue };
        let (pre, post) = (&pre_pops[proj.pre.index].gpu, &post_pops[proj.post.index].gpu);
        let mut p = plastic_constants(rule, pre, post, net.dt_ms);
        p.thread_start = trace_threads;
        if let Some(m) = &rule.modulation {
            let ticks = (m.update_interval_ms / net.dt_ms).round();
            p.flags |= 8;
            p.channel = channel_index(m.channel);
            p.decay_eligibility = (-ticks * net.dt_ms / m.tau_eligibility_ms).exp() as f32;
            p.interval_s = (ticks * net.dt_ms * 1e-3) as f32;
            tables.modulation_interval = ticks as u32;
        }
        tables.projections.push(p);
        trace_threads += pre.size + post.size;
    }
    (tables.hist_len, tables.stdp_lag, tables.trace_len) = lay_out_traces(&mut tables.projections, max_delay);
    tables
}

/// Places every plastic projection's trace histories for a largest delay of `max_delay`
/// ticks; returns (history length, plasticity lag, trace words in all).
pub(super) fn lay_out_traces(projections: &mut [PlasticGpu], max_delay: u32) -> (u32, u32, u32) {
    let hist_len = 2 * max_delay + 2;
    let mut trace_len = 0;
    for p in projections {
        p.pre_trace = trace_len;
        p.post_trace = trace_len + 2 * hist_len * p.pre_size;
        trace_len += 2 * hist_len * (p.pre_size + p.post_size);
    }
    (hist_len, max_delay, trace_len)
}

/// The rule's constants at time step `dt` (decays per tick, amplitudes scaled by the weight
/// span); the trace layout is filled in by the caller.
fn plastic_constants(rule: &StdpParams, pre: &PopGpu, post: &PopGpu, dt: f64) -> PlasticGpu {
    let span = rule.w_max - rule.w_min;
    let decay = |tau: f64| (-dt / tau).exp() as f32;
    let (dependence, mu) = match rule.dependence {
        WeightDependence::Additive => (0, 0.0),
        WeightDependence::Multiplicative => (1, 1.0),
        WeightDependence::PowerLaw { mu } => (2, mu),
    };
    PlasticGpu {
        pre_start: pre.start,
        pre_size: pre.size,
        post_start: post.start,
        post_size: post.size,
        pre_trace: 0,
        post_trace: 0,
        thread_start: 0,
        flags: u32::from(rule.pairing == Pairing::Nearest) | (dependence << 1),
        decay_plus: decay(rule.tau_plus_ms),
        decay_minus: decay(rule.tau_minus_ms),
        decay_x: decay(rule.tau_x_ms),
        decay_y: decay(rule.tau_y_ms),
        a2_plus: (rule.a2_plus * span) as f32,
        a3_plus: (rule.a3_plus * span) as f32,
        a2_minus: (rule.a2_minus * span) as f32,
        a3_minus: (rule.a3_minus * span) as f32,
        w_min: rule.w_min as f32,
        w_max: rule.w_max as f32,
        inv_span: (1.0 / span) as f32,
        mu: mu as f32,
        channel: 0,
        decay_eligibility: 1.0,
        interval_s: 0.0,
    }
}

/// The transpose index of the plastic synapses: column pointers per global post neuron, and
/// per entry (synapse index, pre neuron, delay word), by post neuron then synapse. Empty
/// columns when nothing is plastic.
pub(super) fn transpose(csr: &MergedCsr, n_neurons: u32, any_plastic: bool) -> (Vec<u32>, Vec<[u32; 3]>) {
    let mut col_ptr = vec![0u32; n_neurons as usize + 1];
    if !any_plastic {
        return (col_ptr, Vec::new());
    }
    for s in csr.synapses.iter().filter(|s| s.plastic() > 0) {
        col_ptr[s.post as usize + 1] += 1;
    }
    for i in 0..n_neurons as usize {
        col_ptr[i + 1] += col_ptr[i];
    }
    let mut fill = col_ptr.clone();
    let mut col_entries = vec![[0u32; 3]; col_ptr[n_neurons as usize] as usize];
    // Rows by global pre neuron: more rows than neurons on a rank of a distributed run.
    for pre in 0..csr.row_ptr.len() as u32 - 1 {
        for idx in csr.row_ptr[pre as usize]..csr.row_ptr[pre as usize + 1] {
            let s = csr.synapses[idx as usize];
            if s.plastic() > 0 {
                col_entries[fill[s.post as usize] as usize] = [idx, pre, s.delay_port];
                fill[s.post as usize] += 1;
            }
        }
    }
    (col_ptr, col_entries)
}

/// The channel arrays: levels (starting at the baselines), baselines, and decays over one
/// update interval of `interval` ticks.
pub(super) fn modulators(net: &Network, interval: u32) -> Vec<f32> {
    let n = net.populations.len() + 1;
    let mut baseline = vec![0.0f32; n];
    let mut decay = vec![1.0f32; n];
    for (channel, m) in &net.neuromodulators {
        let i = channel_index(*channel) as usize;
        baseline[i] = m.baseline as f32;
        decay[i] = (-f64::from(interval) * net.dt_ms / m.tau_ms).exp() as f32;
    }
    [baseline.clone(), baseline, decay].concat()
}
