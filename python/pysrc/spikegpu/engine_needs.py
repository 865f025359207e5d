"""Capabilities the Python API and the PyNN backend need from the engine that it does not
have yet. Each raises `EngineFeatureMissing` (a ``NotImplementedError``) naming the missing
engine function; python/ENGINE_NEEDS.md gives the Rust signatures and semantics."""

from __future__ import annotations

from typing import Dict

#: key -> (the Rust API that would provide it, what it is for)
NEEDS: Dict[str, str] = {
    "set_current": "Simulator::set_current(input, CurrentSource): change a current source between runs",
    "set_state": "Simulator::set_state for variables beyond v, u, syn_e and syn_i (HH gates) between runs",
    "set_neuron_params": "Simulator::set_neuron_param(pop, NeuronParam, PerNeuron): change neuron parameters between runs",
    "current_subset": "NetworkBuilder::current_input_to(pop, neurons: Vec<u32>, source): a current source injected into some neurons of a population",
    "per_neuron_params": "per-neuron values of model parameters other than the threshold and bias (tau_m, c_m, v_reset, ...) in built-in models that have no equation-defined twin in pyNN.spikegpu (IF_curr_delta, HH_cond_exp)",
    "composed_cell_types": "PyNN 0.13's composed cell types (PointNeuron of a LIF or AdExp component with post-synaptic response components such as CondExpPostSynapticResponse), for example as user-defined equations",
    "source_rates_per_neuron": "NeuronModel::PoissonSource with per-neuron rates and start/stop times",
    "cond_alpha": "LifCond with alpha-shaped conductances (PyNN IF_cond_alpha)",
    "adex_cond": "AdEx with exponential or alpha conductance synapses (PyNN EIF_cond_exp_isfa_ista, EIF_cond_alpha_isfa_ista)",
    "ac_source": "CurrentSource::Sine {amplitude, frequency_hz, phase, offset, start, stop} (PyNN ACSource)",
    "noise_interval": "CurrentSource::Noise with its own redraw interval and start/stop (PyNN NoisyCurrentSource dt, start, stop)",
    "probes_on_device": "Simulator::add_probe(pop, StateVar, neurons, interval_ticks): state recorded on the device and streamed, instead of a host round trip per sample",
    "stdp_other": "further STDP rules of PyNN (Vogels-Sprekeler, Gutig, van Rossum multiplicative, Tsodyks-Markram short-term plasticity)",
    "other_models": "further neuron, source and synapse models (PyNN's gamma sources, IF_cond_exp_gsfa_grr, GIF_cond_exp, stochastic Tsodyks-Markram, multi-quantal and electrical synapses), for example through user-defined equations",
    "synapse_params": "per-synapse plasticity parameters of existing synapses, and delays of plastic projections changed between runs",
    "off_grid": "spike times off the time grid (NEST's precise spike timing, PyNN spike_precision='off_grid')",
    "stdp_inhibitory": "plastic inhibitory projections",
    "synapse_multiple": "several weights/delays per pre-post pair in one projection with plasticity (multapses with STDP)",
}


class EngineFeatureMissing(NotImplementedError):
    """Raised where spikegpu's engine lacks what the call needs; the message names the missing
    engine API (see python/ENGINE_NEEDS.md)."""

    def __init__(self, key: str, detail: str = ""):
        need = NEEDS.get(key, key)
        text = f"spikegpu's engine does not support this yet: it needs {need}"
        if detail:
            text = f"{detail}: {text}"
        super().__init__(text + " (python/ENGINE_NEEDS.md)")
        self.key = key
