"""PyNN's standard cell types on spikegpu's neuron models.

Each type keeps PyNN's parameter names and units (identity translations) and says how a
population of it becomes a model-file population: the engine parameters (ms, mV, nS, pA, pF),
the factor that takes PyNN weights (nA or uS) and currents (nA) to the engine's units, the
extra delay its synapses need (see simulator.py) and which engine variable each PyNN
recordable reads.

| PyNN                     | engine            | weights                | currents  |
| ------------------------ | ----------------- | ---------------------- | --------- |
| IF_curr_exp / _alpha     | lif (exp / alpha) | w tau_m / cm (mV)      | R I (mV)  |
| IF_curr_delta            | lif (delta)       | w (mV jump)            | R I (mV)  |
| IF_cond_exp              | lif_cond          | 1000 w nS (inh. < 0)   | 1000 I pA |
| Izhikevich               | izhikevich        | w / dt (a jump of w)   | 1000 I    |
| HH_cond_exp              | hh                | 1000 w nS (inh. < 0)   | 1000 I pA |
| IF_cond_alpha, IF_cond_exp_gsfa_grr | equation model | 1000 w nS (inh. < 0) | 1000 I pA |
| EIF_cond_exp/alpha_isfa_ista | equation model | 1000 w nS (inh. < 0)  | 1000 I pA |
| IF_curr_exp / _alpha, parameters differing between neurons (not only v_thresh, i_offset) | equation twin | 1000 w pA | 1000 I pA |
| IF_cond_exp, parameters differing between neurons | equation twin (lif_cond's equations) | 1000 w nS (inh. < 0) | 1000 I pA |
| SpikeSourceArray         | spike_source      |                        |           |
| SpikeSourcePoisson       | poisson_source    |                        |           |
| SpikeSourceGamma, ...Refractory | spike_source (drawn here) |          |           |
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

import numpy as np

import spikegpu

from .. import errors
from ..parameters import Sequence
from ..standardmodels import build_translations, cells, receptors
from .simulator import state
from .translate import evaluated, homogeneous, initial_value


def identity(*names: str):
    """PyNN names and units pass through; the engine conversion happens in `engine_entry`."""
    return build_translations(*[(n, n) for n in names])


class EngineCell:
    """What a standard cell type needs to become an engine population."""

    #: PyNN recordable -> (engine variable, factor from engine to PyNN units)
    engine_variables: Dict[str, Tuple[str, float]] = {}
    #: whether synaptic input acts in the step it arrives (delta-like): no extra delay
    delta_input = False
    #: the engine feature that changing parameters after time has advanced needs
    parameter_feature = "set_neuron_params"

    def engine_entry(self, pop) -> Dict[str, Any]:
        """The model-file population entry (without name and size)."""
        raise NotImplementedError(f"{type(self).__name__} has no engine description")

    def weight_scale(self, pop, receptor: str) -> float:
        """Factor from PyNN weights to the engine's weights onto `pop` via `receptor`."""
        return 1.0

    def current_scale(self, pop) -> float:
        """Factor from nA to the engine's current unit for `pop`."""
        return 1000.0

    def delay_shift(self) -> float:
        """What the engine adds to PyNN delays for synapses onto this type (ms)."""
        return 0.0 if self.delta_input else state.dt

    def recorded_variables(self, pop) -> Dict[str, Tuple[str, float]]:
        """`engine_variables` of the model `pop` runs on."""
        return self.engine_variables


class TwinnedCell(EngineCell):
    """A type whose built-in engine model takes per-neuron values of the threshold and bias
    only: a population whose other parameters differ between neurons runs on `twin`, the
    model's definition as equations (an EquationCell) with per-neuron values; a homogeneous
    one keeps the built-in model (the same spikes as before)."""

    #: the equation-defined twin (set below, once the twin classes exist)
    twin: Any = None
    #: the parameters the built-in model takes per neuron
    builtin_per_neuron = ("v_thresh", "i_offset")

    def uses_twin(self, pop) -> bool:
        """Whether `pop` has parameters the built-in model cannot take per neuron."""
        if self.twin is None:  # the built-in model refuses them, naming the parameter
            return False
        names = [n for n in self.default_parameters if n not in self.builtin_per_neuron]
        return bool(differing(pop, names))

    def builtin_entry(self, pop) -> Dict[str, Any]:
        raise NotImplementedError

    def engine_entry(self, pop):
        return self.twin.engine_entry(pop) if self.uses_twin(pop) else self.builtin_entry(pop)

    def recorded_variables(self, pop):
        return self.twin.engine_variables if self.uses_twin(pop) else self.engine_variables


def value(pop, name: str, scale: float = 1.0) -> float:
    """Parameter `name` of `pop` (times `scale`), which must be the same for every neuron."""
    v = homogeneous(evaluated(pop._parameters[name], pop.size), scale)
    if v is None:
        raise spikegpu.EngineFeatureMissing(
            "per_neuron_params", f"{pop.celltype.__class__.__name__} parameter '{name}' differs between neurons"
        )
    return v


def differing(pop, names) -> list:
    """The parameters among `names` whose values differ between the neurons of `pop`."""
    return [n for n in names if homogeneous(evaluated(pop._parameters[n], pop.size)) is None]


def per_neuron_or_value(pop, name: str, scale: float = 1.0):
    """A number if homogeneous, else the list of values (for threshold and bias)."""
    values = evaluated(pop._parameters[name], pop.size).astype(float) * scale
    v = homogeneous(values)
    return v if v is not None else [float(x) for x in values]


def initial(pop, variable: str, scale: float = 1.0):
    """The engine form of `variable`'s initial value."""
    lazy = pop.initial_values.get(variable)
    if lazy is None:
        return None
    return initial_value(lazy, scale)


def add_init(entry: Dict[str, Any], key: str, v):
    if v is not None:
        entry.setdefault("init", {})[key] = v


def add_threshold_and_bias(entry, pop, threshold_key: str, threshold, bias):
    """Puts a threshold and bias either into params (homogeneous) or per_neuron (lists)."""
    if isinstance(threshold, list):
        entry.setdefault("per_neuron", {})["threshold"] = threshold
    else:
        entry["params"][threshold_key] = threshold
    if isinstance(bias, list) or bias != 0.0:
        entry.setdefault("per_neuron", {})["bias"] = bias if isinstance(bias, list) else [bias] * pop.size


class CurrentLif(TwinnedCell):
    """Shared by the IF_curr_* types: the engine's LIF in voltage units (R = tau_m / cm), or
    with parameters that differ between neurons its twin in current units (pA, pF)."""

    synapse = "exponential"
    engine_variables = {"v": ("v", 1.0)}

    def resistance(self, pop) -> float:
        return value(pop, "tau_m") / value(pop, "cm")

    def builtin_entry(self, pop):
        r = self.resistance(pop)
        params = {
            "tau_m": value(pop, "tau_m"),
            "v_rest": value(pop, "v_rest"),
            "v_reset": value(pop, "v_reset"),
            "refractory": value(pop, "tau_refrac") + state.dt,
            "synapse": self.synapse,
        }
        if self.synapse != "delta":
            params["tau_syn_exc"] = value(pop, "tau_syn_E")
            params["tau_syn_inh"] = value(pop, "tau_syn_I")
        entry: Dict[str, Any] = {"model": "lif", "params": params}
        threshold = per_neuron_or_value(pop, "v_thresh")
        bias = per_neuron_or_value(pop, "i_offset", r)
        add_threshold_and_bias(entry, pop, "v_thresh", threshold, bias)
        add_init(entry, "v", initial(pop, "v"))
        add_init(entry, "syn_e", initial(pop, "isyn_exc", r))
        add_init(entry, "syn_i", initial(pop, "isyn_inh", r))
        return entry

    def weight_scale(self, pop, receptor):
        if self.synapse == "delta":
            return 1.0
        return 1000.0 if self.uses_twin(pop) else self.resistance(pop)

    def current_scale(self, pop):
        return 1000.0 if self.uses_twin(pop) else self.resistance(pop)


class IF_curr_exp(CurrentLif, cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = identity(*cells.IF_curr_exp.default_parameters)


class IF_curr_alpha(CurrentLif, cells.IF_curr_alpha):
    __doc__ = cells.IF_curr_alpha.__doc__
    translations = identity(*cells.IF_curr_alpha.default_parameters)
    synapse = "alpha"


class IF_curr_delta(CurrentLif, cells.IF_curr_delta):
    __doc__ = cells.IF_curr_delta.__doc__
    translations = identity(*cells.IF_curr_delta.default_parameters)
    synapse = "delta"
    delta_input = True


class ConductanceCell(EngineCell):
    """Conductances in uS (PyNN) against nS (engine); inhibitory weights enter negative."""

    engine_variables = {"v": ("v", 1.0), "gsyn_exc": ("syn_e", 1e-3), "gsyn_inh": ("syn_i", 1e-3)}

    def weight_scale(self, pop, receptor):
        return -1000.0 if receptor == "inhibitory" else 1000.0

    def add_conductance_init(self, entry, pop):
        add_init(entry, "v", initial(pop, "v"))
        add_init(entry, "syn_e", initial(pop, "gsyn_exc", 1000.0))
        add_init(entry, "syn_i", initial(pop, "gsyn_inh", 1000.0))


class IF_cond_exp(TwinnedCell, ConductanceCell, cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    translations = identity(*cells.IF_cond_exp.default_parameters)

    def builtin_entry(self, pop):
        cm = value(pop, "cm", 1000.0)
        params = {
            "c_m": cm,
            "g_leak": cm / value(pop, "tau_m"),
            "e_leak": value(pop, "v_rest"),
            "v_reset": value(pop, "v_reset"),
            "e_exc": value(pop, "e_rev_E"),
            "e_inh": value(pop, "e_rev_I"),
            "tau_syn_exc": value(pop, "tau_syn_E"),
            "tau_syn_inh": value(pop, "tau_syn_I"),
            "refractory": value(pop, "tau_refrac") + state.dt,
        }
        entry: Dict[str, Any] = {"model": "lif_cond", "params": params}
        threshold = per_neuron_or_value(pop, "v_thresh")
        bias = per_neuron_or_value(pop, "i_offset", 1000.0)
        add_threshold_and_bias(entry, pop, "v_thresh", threshold, bias)
        self.add_conductance_init(entry, pop)
        return entry


def quantity(x: float, unit: str) -> str:
    """A model-file quantity string (full precision)."""
    return f"{float(x)!r} {unit}"


class EquationCell(ConductanceCell):
    """A conductance-based type the engine runs as a user-defined neuron model: the equations
    are NEST's (rk4, dt-fixed, where NEST integrates with adaptive Runge-Kutta-Fehlberg);
    parameters that differ between neurons become per-neuron values of the model.

    Engine units: mV, ms, pA, nS, pF. `parameters` maps each engine parameter to its PyNN
    name and the factor from PyNN's unit; `variables` each PyNN state variable to the model
    variable, its unit and that factor. The first variables of a model are mirrored into the
    engine's probe fields in declaration order (v, u, w1, w2, ...), which `engine_variables`
    names."""

    model_name = ""
    equations = ""
    threshold = ""
    reset = "v = v_reset"
    #: engine parameter -> (PyNN parameter or None for a derived value, unit, factor)
    parameters: Dict[str, Tuple[Any, str, float]] = {}
    #: PyNN state variable -> (model variable, unit, factor)
    variables: Dict[str, Tuple[str, str, float]] = {}
    inputs = {"excitatory": "g_e", "inhibitory": "-g_i", "current": "I_e"}

    def variant(self, pop) -> Tuple[str, str, str]:
        """(model name, equations, threshold) for `pop`."""
        return self.model_name, self.equations, self.threshold

    def engine_values(self, pop) -> Dict[str, np.ndarray]:
        """Every engine parameter's per-neuron values (engine units)."""
        values = {}
        for name, (pynn, _unit, factor) in self.parameters.items():
            if pynn is not None:
                values[name] = evaluated(pop._parameters[pynn], pop.size).astype(float) * factor
        if "g_L" in self.parameters:
            values["g_L"] = values["C"] / evaluated(pop._parameters["tau_m"], pop.size).astype(float)
        values["t_ref"] = evaluated(pop._parameters["tau_refrac"], pop.size).astype(float) + state.dt
        return values

    def method(self, per_neuron) -> Any:
        """The integration method, given the parameters that vary per neuron."""
        return "rk4"

    def definition(
        self, name: str, equations: str, threshold: str, values: Dict[str, np.ndarray], method: Any = "rk4"
    ) -> Dict[str, Any]:
        """The model definition, its parameters' defaults from the first neuron of `values`
        (each population gives its own values)."""
        defaults = {k: quantity(v[0], self.parameters[k][1]) for k, v in values.items()}
        return {
            "name": name,
            "equations": equations,
            "threshold": threshold,
            "reset": self.reset,
            "refractory": "t_ref",
            "method": method,
            "params": defaults,
            "inputs": dict(self.inputs),
            "initial": {"v": "E_L"},
        }

    def engine_entry(self, pop):
        name, equations, threshold = self.variant(pop)
        params: Dict[str, Any] = {}
        per_neuron: Dict[str, Any] = {}
        engine_values = self.engine_values(pop)
        for key, values in engine_values.items():
            v = homogeneous(values)
            if v is None:
                per_neuron[key] = [float(x) for x in values]
            else:
                params[key] = quantity(v, self.parameters[key][1])
        init: Dict[str, Any] = {}
        for pynn, (var, unit, factor) in self.variables.items():
            lazy = pop.initial_values.get(pynn)
            if lazy is None:
                continue
            values = np.ravel(np.asarray(lazy.evaluate(simplify=False), dtype=float)) * factor
            v = homogeneous(np.broadcast_to(values, (pop.size,)))
            if v is None:
                per_neuron[var] = [float(x) for x in np.broadcast_to(values, (pop.size,))]
            else:
                init[var] = quantity(v, unit)
        method = self.method(per_neuron)
        if method != self.method({}):  # each definition has one method
            name += "_" + (method if isinstance(method, str) else "mixed")
        entry: Dict[str, Any] = {
            "model": name,
            "neuron_model": self.definition(name, equations, threshold, engine_values, method),
            "params": params,
        }
        if per_neuron:
            entry["per_neuron"] = per_neuron
        if init:
            entry["init"] = init
        return entry


#: the parameters every conductance type of this kind shares: engine name -> (PyNN, unit, factor)
COND_PARAMETERS = {
    "C": ("cm", "pF", 1000.0),
    "g_L": (None, "nS", 1.0),
    "E_L": ("v_rest", "mV", 1.0),
    "v_reset": ("v_reset", "mV", 1.0),
    "t_ref": (None, "ms", 1.0),
    "E_e": ("e_rev_E", "mV", 1.0),
    "E_i": ("e_rev_I", "mV", 1.0),
    "tau_e": ("tau_syn_E", "ms", 1.0),
    "tau_i": ("tau_syn_I", "ms", 1.0),
    "I_e": ("i_offset", "pA", 1000.0),
}

#: alpha conductances (NEST's iaf_cond_alpha and aeif_cond_alpha): a spike of weight w adds w
#: to x, and g = (e w / tau) t exp(-t / tau) peaks at w after tau
ALPHA_CONDUCTANCES = """
dg_e/dt = (e * x_e - g_e) / tau_e : nS
dg_i/dt = (e * x_i - g_i) / tau_i : nS
dx_e/dt = -x_e / tau_e : nS
dx_i/dt = -x_i / tau_i : nS
"""

# The conductance LIF's membrane equation (exponential or alpha conductances follow), and
# what it records, for PyNN and in the engine's state fields.
COND_LIF_V = "dv/dt = (g_L * (E_L - v) + g_e * (E_e - v) + g_i * (E_i - v) + I_e) / C : mV (unless refractory)"
COND_LIF_VARIABLES = {"v": ("v", "mV", 1.0), "gsyn_exc": ("g_e", "nS", 1000.0), "gsyn_inh": ("g_i", "nS", 1000.0)}
COND_LIF_ENGINE_VARIABLES = {"v": ("v", 1.0), "gsyn_exc": ("u", 1e-3), "gsyn_inh": ("w1", 1e-3)}

EXP_CONDUCTANCES = """
dg_e/dt = -g_e / tau_e : nS
dg_i/dt = -g_i / tau_i : nS
"""

ALPHA_INPUTS = {"excitatory": "x_e", "inhibitory": "-x_i", "current": "I_e"}


class CurrentLifTwin(EquationCell):
    """IF_curr_exp with parameters that differ between neurons: the LIF with exponential
    synaptic currents as equations in current units (NEST's iaf_psc_exp; weights and currents
    in pA, so they need no per-neuron resistance). The built-in's comparison (`v > V_th`) and
    refractory count; integrated exactly while tau_m, cm and the synaptic time constants are
    the same for every neuron, else with rk4 (NEST integrates each neuron exactly)."""

    model_name = "pynn_iaf_psc_exp"
    membrane = "dv/dt = (E_L - v) / tau_m + (I_exc + I_inh + I_e) / C : mV (unless refractory)\n"
    currents = "dI_exc/dt = -I_exc / tau_e : pA\ndI_inh/dt = -I_inh / tau_i : pA\n"
    threshold = "v > V_th"
    inputs = {"excitatory": "I_exc", "inhibitory": "I_inh", "current": "I_e"}
    parameters = {
        "C": ("cm", "pF", 1000.0),
        "tau_m": ("tau_m", "ms", 1.0),
        "E_L": ("v_rest", "mV", 1.0),
        "v_reset": ("v_reset", "mV", 1.0),
        "V_th": ("v_thresh", "mV", 1.0),
        "t_ref": (None, "ms", 1.0),
        "tau_e": ("tau_syn_E", "ms", 1.0),
        "tau_i": ("tau_syn_I", "ms", 1.0),
        "I_e": ("i_offset", "pA", 1000.0),
    }
    variables = {"v": ("v", "mV", 1.0), "isyn_exc": ("I_exc", "pA", 1000.0), "isyn_inh": ("I_inh", "pA", 1000.0)}
    engine_variables = {"v": ("v", 1.0)}
    #: parameters in the coefficients of the linear system (exact needs them host-known)
    coefficients = ("C", "tau_m", "tau_e", "tau_i")

    def variant(self, pop):
        return self.model_name, self.membrane + self.currents, self.threshold

    def method(self, per_neuron):
        return "rk4" if any(k in per_neuron for k in self.coefficients) else "exact"


class CurrentLifAlphaTwin(CurrentLifTwin):
    """IF_curr_alpha with parameters that differ between neurons (NEST's iaf_psc_alpha in
    current units): a spike of weight w adds w to x, and I = (e w / tau) t exp(-t / tau)
    peaks at w after tau."""

    model_name = "pynn_iaf_psc_alpha"
    currents = (
        "dI_exc/dt = (e * x_e - I_exc) / tau_e : pA\ndI_inh/dt = (e * x_i - I_inh) / tau_i : pA\n"
        "dx_e/dt = -x_e / tau_e : pA\ndx_i/dt = -x_i / tau_i : pA\n"
    )
    inputs = {"excitatory": "x_e", "inhibitory": "x_i", "current": "I_e"}


class CondLifTwin(EquationCell):
    """IF_cond_exp with parameters that differ between neurons: the built-in conductance LIF
    as equations (examples/models/neuron_models/lif_cond.toml: forward Euler for v, exact
    decay for the conductances, the built-in's comparison and refractory count)."""

    model_name = "pynn_lif_cond"
    equations = COND_LIF_V + EXP_CONDUCTANCES
    threshold = "v > V_th"
    parameters = dict(COND_PARAMETERS, V_th=("v_thresh", "mV", 1.0))
    variables = COND_LIF_VARIABLES
    engine_variables = COND_LIF_ENGINE_VARIABLES

    def method(self, per_neuron):
        return {"v": "euler", "g_e": "exponential_euler", "g_i": "exponential_euler"}


class IF_cond_alpha(EquationCell, cells.IF_cond_alpha):
    """NEST's iaf_cond_alpha as a user-defined engine model (rk4): alpha-shaped conductances
    peaking at the weight tau_syn after the spike, v held at v_reset for tau_refrac."""

    __doc__ = cells.IF_cond_alpha.__doc__
    translations = identity(*cells.IF_cond_alpha.default_parameters)
    model_name = "pynn_iaf_cond_alpha"
    equations = COND_LIF_V + ALPHA_CONDUCTANCES
    threshold = "v >= V_th"
    parameters = dict(COND_PARAMETERS, V_th=("v_thresh", "mV", 1.0))
    variables = COND_LIF_VARIABLES
    engine_variables = COND_LIF_ENGINE_VARIABLES
    inputs = ALPHA_INPUTS


class IF_cond_exp_gsfa_grr(EquationCell, cells.IF_cond_exp_gsfa_grr):
    """NEST's iaf_cond_exp_sfa_rr as a user-defined engine model (rk4): exponential synaptic
    conductances, and two conductances that each spike increases, spike-frequency adaptation
    (q_sfa, tau_sfa, e_rev_sfa) and relative refractoriness (q_rr, tau_rr, e_rev_rr)."""

    __doc__ = cells.IF_cond_exp_gsfa_grr.__doc__
    translations = identity(*cells.IF_cond_exp_gsfa_grr.default_parameters)
    model_name = "pynn_iaf_cond_exp_sfa_rr"
    equations = (
        "dv/dt = (g_L * (E_L - v) + g_e * (E_e - v) + g_i * (E_i - v) + g_s * (E_s - v) + g_r * (E_r - v)"
        " + I_e) / C : mV (unless refractory)"
        + EXP_CONDUCTANCES
        + "dg_s/dt = -g_s / tau_s : nS\ndg_r/dt = -g_r / tau_r : nS\n"
    )
    threshold = "v >= V_th"
    reset = "v = v_reset; g_s += q_s; g_r += q_r"
    parameters = dict(
        COND_PARAMETERS,
        V_th=("v_thresh", "mV", 1.0),
        tau_s=("tau_sfa", "ms", 1.0),
        E_s=("e_rev_sfa", "mV", 1.0),
        q_s=("q_sfa", "nS", 1.0),
        tau_r=("tau_rr", "ms", 1.0),
        E_r=("e_rev_rr", "mV", 1.0),
        q_r=("q_rr", "nS", 1.0),
    )
    variables = {
        "v": ("v", "mV", 1.0),
        "gsyn_exc": ("g_e", "nS", 1000.0),
        "gsyn_inh": ("g_i", "nS", 1000.0),
        "g_s": ("g_s", "nS", 1.0),
        "g_r": ("g_r", "nS", 1.0),
    }
    engine_variables = {
        "v": ("v", 1.0),
        "gsyn_exc": ("u", 1e-3),
        "gsyn_inh": ("w1", 1e-3),
        "g_s": ("w2", 1.0),
        "g_r": ("syn_e", 1.0),
    }


#: NEST's aeif_cond_*: the exponential and adaptation currents see v capped at V_peak
AEIF_MEMBRANE = (
    "dv/dt = (g_L * (E_L - v) + g_L * D_T * exp((min(v, V_peak) - V_T) / D_T)"
    " + g_e * (E_e - v) + g_i * (E_i - v) - w + I_e) / C : mV (unless refractory)\n"
    "dw/dt = (a * (min(v, V_peak) - E_L) - w) / tau_w : pA"
)
#: with delta_T = 0 NEST drops the exponential term and detects spikes at V_th
AEIF_MEMBRANE_LINEAR = (
    "dv/dt = (g_L * (E_L - v) + g_e * (E_e - v) + g_i * (E_i - v) - w + I_e) / C : mV (unless refractory)\n"
    "dw/dt = (a * (v - E_L) - w) / tau_w : pA"
)


class AdExCond(EquationCell):
    """NEST's aeif_cond_exp / aeif_cond_alpha (Brette and Gerstner 2005) as a user-defined
    engine model (rk4): spikes at v_spike (V_peak), reset to v_reset and w += b, v held for
    tau_refrac; with delta_T = 0 the exponential term is dropped and spikes are detected at
    v_thresh, as NEST does."""

    conductances = EXP_CONDUCTANCES
    reset = "v = v_reset; w += b"
    parameters = dict(
        COND_PARAMETERS,
        V_T=("v_thresh", "mV", 1.0),
        V_peak=("v_spike", "mV", 1.0),
        D_T=("delta_T", "mV", 1.0),
        a=("a", "nS", 1.0),
        b=("b", "pA", 1000.0),
        tau_w=("tau_w", "ms", 1.0),
    )
    variables = {
        "v": ("v", "mV", 1.0),
        "w": ("w", "pA", 1000.0),
        "gsyn_exc": ("g_e", "nS", 1000.0),
        "gsyn_inh": ("g_i", "nS", 1000.0),
    }
    engine_variables = {"v": ("v", 1.0), "w": ("u", 1e-3), "gsyn_exc": ("w1", 1e-3), "gsyn_inh": ("w2", 1e-3)}

    def variant(self, pop):
        delta_t = evaluated(pop._parameters["delta_T"], pop.size).astype(float)
        if np.all(delta_t > 0):
            return self.model_name, AEIF_MEMBRANE + "\n" + self.conductances, "v >= V_peak"
        if np.all(delta_t == 0):
            return self.model_name + "_linear", AEIF_MEMBRANE_LINEAR + "\n" + self.conductances, "v >= V_T"
        raise errors.InvalidParameterValueError(
            f"{type(self).__name__} '{pop.label}': delta_T must be > 0 for every neuron or 0 for every neuron"
        )


class EIF_cond_exp_isfa_ista(AdExCond, cells.EIF_cond_exp_isfa_ista):
    __doc__ = cells.EIF_cond_exp_isfa_ista.__doc__
    translations = identity(*cells.EIF_cond_exp_isfa_ista.default_parameters)
    model_name = "pynn_aeif_cond_exp"


class EIF_cond_alpha_isfa_ista(AdExCond, cells.EIF_cond_alpha_isfa_ista):
    __doc__ = cells.EIF_cond_alpha_isfa_ista.__doc__
    translations = identity(*cells.EIF_cond_alpha_isfa_ista.default_parameters)
    model_name = "pynn_aeif_cond_alpha"
    conductances = ALPHA_CONDUCTANCES
    inputs = ALPHA_INPUTS


IF_curr_exp.twin = CurrentLifTwin()
IF_curr_alpha.twin = CurrentLifAlphaTwin()
IF_cond_exp.twin = CondLifTwin()


class HH_cond_exp(ConductanceCell, cells.HH_cond_exp):
    """Traub-Miles Hodgkin-Huxley (NEST's hh_cond_exp_traub): a spike is registered when v
    crosses v_offset + 30 mV, with NEST's 2 ms refractory window. The gating variables start
    at the engine's values (h, m, n initial values other than PyNN's defaults are refused)."""

    translations = identity(*cells.HH_cond_exp.default_parameters)

    def engine_entry(self, pop):
        v_t = value(pop, "v_offset")
        params = {
            "c_m": value(pop, "cm", 1000.0),
            "g_leak": value(pop, "g_leak", 1000.0),
            "e_leak": value(pop, "e_rev_leak"),
            "g_na": value(pop, "gbar_Na", 1000.0),
            "e_na": value(pop, "e_rev_Na"),
            "g_kd": value(pop, "gbar_K", 1000.0),
            "e_k": value(pop, "e_rev_K"),
            "v_t": v_t,
            "e_exc": value(pop, "e_rev_E"),
            "e_inh": value(pop, "e_rev_I"),
            "tau_syn_exc": value(pop, "tau_syn_E"),
            "tau_syn_inh": value(pop, "tau_syn_I"),
            "v_spike": v_t + 30.0,
            "refractory": 2.0 + state.dt,
        }
        for gate in ("h", "m", "n"):
            lazy = pop.initial_values.get(gate)
            if lazy is not None and initial_value(lazy) != cells.HH_cond_exp.default_initial_values[gate]:
                raise spikegpu.EngineFeatureMissing(
                    "set_state", f"HH_cond_exp initial value of '{gate}' (the engine starts the gates itself)"
                )
        entry: Dict[str, Any] = {"model": "hh", "params": params}
        bias = per_neuron_or_value(pop, "i_offset", 1000.0)
        if isinstance(bias, list) or bias != 0.0:
            entry["per_neuron"] = {"bias": bias if isinstance(bias, list) else [bias] * pop.size}
        self.add_conductance_init(entry, pop)
        return entry


class Izhikevich(EngineCell, cells.Izhikevich):
    """Izhikevich 2003 with delta synapses: a weight w moves v by w mV (the engine adds w/dt as
    a current for one step); i_offset in nA enters the equation times 1000, as in NEST."""

    __doc__ = cells.Izhikevich.__doc__
    translations = identity(*cells.Izhikevich.default_parameters)
    engine_variables = {"v": ("v", 1.0), "u": ("u", 1.0)}
    delta_input = True

    def engine_entry(self, pop):
        abcd = [evaluated(pop._parameters[k], pop.size).astype(float) for k in ("a", "b", "c", "d")]
        entry: Dict[str, Any] = {"model": "izhikevich", "params": {"v_peak": 30.0}}
        if all(homogeneous(x) is not None for x in abcd):
            entry["params"].update({k: float(x[0]) for k, x in zip("abcd", abcd)})
        else:
            entry["izhikevich_abcd"] = np.column_stack(abcd).tolist()
        add_init(entry, "v", initial(pop, "v"))
        add_init(entry, "u", initial(pop, "u"))
        return entry

    def bias_currents(self, pop):
        """i_offset as engine DC sources, [(amplitude, neurons or None for all)]: one onto the
        population, or where the values differ between neurons one per value onto the neurons
        that have it (the engine's Izhikevich takes per-neuron currents from current sources)."""
        values = evaluated(pop._parameters["i_offset"], pop.size).astype(float) * 1000.0
        v = homogeneous(values)
        if v is not None:
            return [(v, None)] if v != 0.0 else []
        return [(float(a), np.nonzero(values == a)[0].tolist()) for a in np.unique(values) if a != 0.0]

    def weight_scale(self, pop, receptor):
        return 1.0 / state.dt


class SpikeSourceArray(EngineCell, cells.SpikeSourceArray):
    """Spike times per neuron (ms, at least one time step): each is emitted in the step that
    ends at it, as NEST's spike_generator does (see simulator.py)."""

    __doc__ = cells.SpikeSourceArray.__doc__
    translations = identity("spike_times")
    parameter_feature = "set_spike_times"

    def check(self, pop):
        """PyNN refuses spike times that do not increase."""
        for i, seq in enumerate(evaluated(pop._parameters["spike_times"], pop.size)):
            t = np.asarray(seq.value if isinstance(seq, Sequence) else seq, dtype=float).ravel()
            if t.size > 1 and np.any(np.diff(t) <= 0):
                raise errors.InvalidParameterValueError(
                    f"SpikeSourceArray '{pop.label}' neuron {i}: spike times must increase ({t.tolist()})"
                )

    def engine_entry(self, pop):
        dt = state.dt
        times = []
        for i, seq in enumerate(evaluated(pop._parameters["spike_times"], pop.size)):
            t = np.asarray(seq.value if isinstance(seq, Sequence) else seq, dtype=float).ravel()
            if t.size and t.min() < dt - 1e-9:
                raise ValueError(
                    f"SpikeSourceArray '{pop.label}' neuron {i}: spike time {t.min()} ms is before the "
                    f"first time step ends ({dt} ms); PyNN (as NEST) needs spike times >= dt"
                )
            ticks = np.unique(np.round(t / dt).astype(np.int64))
            times.append([float(k - 1) * dt for k in ticks])
        return {"model": "spike_source", "spike_times": times}


class SpikeSourcePoisson(EngineCell, cells.SpikeSourcePoisson):
    """Poisson trains. A homogeneous rate from t = 0 with no end runs on the engine's
    PoissonSource (at most one spike per step); per-neuron rates or start/duration windows
    are drawn here from rng_seed and emitted as spike arrays, until the engine has them
    (ENGINE_NEEDS.md: PoissonSource with per-neuron rates and start/stop)."""

    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = identity(*cells.SpikeSourcePoisson.default_parameters)
    parameter_feature = "set_source_rates"

    def engine_entry(self, pop):
        rates = evaluated(pop._parameters["rate"], pop.size).astype(float)
        starts = evaluated(pop._parameters["start"], pop.size).astype(float)
        durations = evaluated(pop._parameters["duration"], pop.size).astype(float)
        if homogeneous(rates) is not None and np.all(starts == 0.0) and np.all(durations >= 1e9):
            return {"model": "poisson_source", "params": {"rate": float(rates[0])}}
        state.drawn_sources = True
        return {"model": "spike_source", "spike_times": poisson_trains(pop, rates, starts, durations)}


def poisson_trains(pop, rates, starts, durations):
    """Poisson spike times per neuron within [start, start + duration) and before the end of
    the run that builds the engine (`state.horizon`), at most one per step, drawn from
    (rng_seed, population index): the engine times of SpikeSourceArray."""
    dt = state.dt
    seed = [state.rng_seed, state.populations.index(pop)]
    rng = np.random.default_rng(seed)
    trains = []
    for rate, start, duration in zip(rates, starts, durations):
        first = max(int(np.ceil(start / dt)), 1)
        last = int(np.floor(min(start + duration, state.horizon) / dt + 1e-9)) + 1
        steps = max(last - first, 0)
        p = min(rate * dt * 1e-3, 1.0)
        fired = np.nonzero(rng.random(steps) < p)[0] + first
        trains.append([float(k - 1) * dt for k in fired])
    return trains


def drawn_trains(pop, starts, durations, intervals):
    """Spike times per neuron of a renewal process whose intervals (ms) `intervals(rng, i, n)`
    draws (n of them for neuron i), from `start` within [start, start + duration) and before
    the end of the run that builds the engine (`state.horizon`), drawn from (rng_seed,
    population index). Each spike is emitted in the step that contains it (reported at the
    step's end, as NEST's on-grid generators); several in one step count once."""
    dt = state.dt
    rng = np.random.default_rng([state.rng_seed, state.populations.index(pop)])
    trains = []
    for i, (start, duration) in enumerate(zip(starts, durations)):
        end = min(start + duration, state.horizon)
        times: list = []
        t = start
        while t < end:
            chunk = t + np.cumsum(intervals(rng, i, 256))
            times.extend(chunk[chunk < end])
            t = chunk[-1]
        ticks = np.unique(np.maximum(np.ceil(np.asarray(times) / dt - 1e-9), 1).astype(np.int64))
        trains.append([float(k - 1) * dt for k in ticks])
    return trains


class DrawnSource(EngineCell):
    """A spike source whose trains pyNN.spikegpu draws (the engine runs them as spike arrays);
    running past the end of the run that built the engine needs new trains
    (``source_rates_per_neuron``, as per-neuron Poisson rates)."""

    parameter_feature = "set_spike_times"

    def intervals(self, pop):
        """A function (rng, neuron, n) -> n inter-spike intervals (ms)."""
        raise NotImplementedError

    def engine_entry(self, pop):
        starts = evaluated(pop._parameters["start"], pop.size).astype(float)
        durations = evaluated(pop._parameters["duration"], pop.size).astype(float)
        state.drawn_sources = True
        return {"model": "spike_source", "spike_times": drawn_trains(pop, starts, durations, self.intervals(pop))}


class SpikeSourceGamma(DrawnSource, cells.SpikeSourceGamma):
    """Gamma-distributed inter-spike intervals (shape alpha, rate beta in Hz: mean alpha/beta),
    drawn by pyNN.spikegpu from rng_seed."""

    __doc__ = cells.SpikeSourceGamma.__doc__
    translations = identity(*cells.SpikeSourceGamma.default_parameters)

    def intervals(self, pop):
        alpha = evaluated(pop._parameters["alpha"], pop.size).astype(float)
        beta = evaluated(pop._parameters["beta"], pop.size).astype(float)
        if np.any(alpha <= 0) or np.any(beta <= 0):
            raise errors.InvalidParameterValueError(f"SpikeSourceGamma '{pop.label}': alpha and beta must be > 0")
        return lambda rng, i, n: rng.gamma(alpha[i], 1000.0 / beta[i], n)


class SpikeSourcePoissonRefractory(DrawnSource, cells.SpikeSourcePoissonRefractory):
    """Poisson trains with a dead time: intervals tau_refrac + exponential, the mean rate
    `rate` (NEST's poisson_generator_ps with dead_time), drawn by pyNN.spikegpu from rng_seed."""

    __doc__ = cells.SpikeSourcePoissonRefractory.__doc__
    translations = identity(*cells.SpikeSourcePoissonRefractory.default_parameters)

    def intervals(self, pop):
        rate = evaluated(pop._parameters["rate"], pop.size).astype(float)
        dead = evaluated(pop._parameters["tau_refrac"], pop.size).astype(float)
        if np.any(rate <= 0) or np.any(dead < 0) or np.any(dead * rate >= 1000.0):
            raise errors.InvalidParameterValueError(
                f"SpikeSourcePoissonRefractory '{pop.label}': need rate > 0, tau_refrac >= 0 and tau_refrac < 1000/rate"
            )
        return lambda rng, i, n: dead[i] + rng.exponential(1000.0 / rate[i] - dead[i], n)


def _missing(base, key: str):
    """A standard cell type the engine has no model for: refused on creation with the need."""

    class Missing(base):
        __doc__ = base.__doc__
        translations = identity(*base.default_parameters)

        def __init__(self, **parameters):
            raise spikegpu.EngineFeatureMissing(key, f"the PyNN cell type {base.__name__}")

    Missing.__name__ = base.__name__
    Missing.__qualname__ = base.__name__
    return Missing


IF_facets_hardware1 = _missing(cells.IF_facets_hardware1, "other_models")
GIF_cond_exp = _missing(cells.GIF_cond_exp, "other_models")
SpikeSourceInhGamma = _missing(cells.SpikeSourceInhGamma, "other_models")
# PyNN 0.13's composed cell types: a PointNeuron of a neuron component and post-synaptic
# response components; each component refuses on creation (scripts create them first).
PointNeuron = _missing(cells.PointNeuron, "composed_cell_types")
LIF = _missing(cells.LIF, "composed_cell_types")
AdExp = _missing(cells.AdExp, "composed_cell_types")
CurrExpPostSynapticResponse = _missing(receptors.CurrExpPostSynapticResponse, "composed_cell_types")
CondExpPostSynapticResponse = _missing(receptors.CondExpPostSynapticResponse, "composed_cell_types")
CondAlphaPostSynapticResponse = _missing(receptors.CondAlphaPostSynapticResponse, "composed_cell_types")
CondBetaPostSynapticResponse = _missing(receptors.CondBetaPostSynapticResponse, "composed_cell_types")

__all__ = [
    "IF_curr_exp",
    "IF_curr_alpha",
    "IF_curr_delta",
    "IF_cond_exp",
    "IF_cond_alpha",
    "HH_cond_exp",
    "Izhikevich",
    "EIF_cond_exp_isfa_ista",
    "EIF_cond_alpha_isfa_ista",
    "SpikeSourceArray",
    "SpikeSourcePoisson",
    "IF_cond_exp_gsfa_grr",
    "IF_facets_hardware1",
    "GIF_cond_exp",
    "SpikeSourceGamma",
    "SpikeSourceInhGamma",
    "SpikeSourcePoissonRefractory",
    "PointNeuron",
    "LIF",
    "AdExp",
    "CurrExpPostSynapticResponse",
    "CondExpPostSynapticResponse",
    "CondAlphaPostSynapticResponse",
    "CondBetaPostSynapticResponse",
]
