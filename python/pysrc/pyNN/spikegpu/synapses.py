"""PyNN's synapse types on spikegpu: static synapses, stochastic release, Tsodyks-Markram short-term
plasticity and pair-based STDP (all-to-all pairing, additive or multiplicative weight dependence), with
PyNN's parameter names and units.

TsodyksMarkramSynapse runs on the engine's Tsodyks-Markram synapse, which follows NEST's
``tsodyks2_synapse``: at each presynaptic spike, ``h`` after the previous one, ``x`` recovers
towards 1 with ``tau_rec`` (after the previous spike used ``u x`` of it), ``u`` decays towards
0 with ``tau_facil`` and jumps by ``U (1 - u)``, and the spike delivers ``weight u x``.
pyNN.nest uses NEST's ``tsodyks_synapse`` instead (and pyNN.brian2 the same three-state
model), in which the resources a spike uses stay active for ``tau_psc`` (pyNN.nest sets it to
the target's ``tau_syn``) before they start to recover; the two agree when ``tau_psc`` is
much shorter than ``tau_rec`` and differ by about ``tau_psc / tau_rec`` of the depleted part
otherwise (measured in ``tests/test_pynn_tsodyks.py``). ``U`` may differ between synapses;
``tau_rec`` and ``tau_facil`` are one value per projection.

STDP amplitudes follow NEST's stdp_synapse, which PyNN's tests refer to: additive changes are
``A_plus w_max`` and ``A_minus w_max`` times the traces, multiplicative ones ``A_plus (w_max -
w)`` and ``A_minus (w - w_min)``. The engine scales its amplitudes by ``w_max - w_min``, so
additive amplitudes are converted by ``w_max / (w_max - w_min)``.
"""

from __future__ import annotations

from typing import Any, Dict

import spikegpu

from ..standardmodels import build_translations, synapses


def identity(*names: str):
    return build_translations(*[(n, n) for n in names])


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = identity("weight", "delay")

    def _get_minimum_delay(self):
        from .simulator import state

        return state.min_delay


class TsodyksMarkramSynapse(synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    translations = identity("weight", "delay", "U", "tau_rec", "tau_facil")

    def _get_minimum_delay(self):
        from .simulator import state

        return state.min_delay


class STDPMechanism(synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = identity("weight", "delay", "dendritic_delay_fraction")

    def _get_minimum_delay(self):
        from .simulator import state

        return state.min_delay

    def engine_rule(self, params: Dict[str, float], weight_scale: float) -> Dict[str, Any]:
        """The model-file plasticity table for PyNN parameter values `params` (homogeneous),
        weights scaled to the engine's unit by `weight_scale` (> 0)."""
        timing, dependence = self.timing_dependence, self.weight_dependence
        if not isinstance(timing, SpikePairRule):
            raise spikegpu.EngineFeatureMissing("stdp_other", f"the timing dependence {type(timing).__name__}")
        w_min, w_max = params["w_min"], params["w_max"]
        if isinstance(dependence, AdditiveWeightDependence):
            kind, amplitude = "additive", (w_max / (w_max - w_min) if w_max > w_min else 1.0)
        elif isinstance(dependence, MultiplicativeWeightDependence):
            kind, amplitude = "multiplicative", 1.0
        else:
            raise spikegpu.EngineFeatureMissing("stdp_other", f"the weight dependence {type(dependence).__name__}")
        return spikegpu.stdp(
            w_max=w_max * weight_scale,
            w_min=w_min * weight_scale,
            tau_plus=params["tau_plus"],
            tau_minus=params["tau_minus"],
            a_plus=params["A_plus"] * amplitude,
            a_minus=params["A_minus"] * amplitude,
            pairing="all_to_all",
            dependence=kind,
            dendritic_fraction=float(params.get("dendritic_delay_fraction", 1.0)),
        )


class SimpleStochasticSynapse(synapses.SimpleStochasticSynapse):
    """Each spike is transmitted by each synapse with probability `p`, drawn independently
    (the engine's stochastic release: one Philox word per spike and synapse, so the GPU and
    the CPU draw alike); `p` may differ per connection."""

    translations = identity("weight", "delay", "p")

    def _get_minimum_delay(self):
        from .simulator import state

        return state.min_delay


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = identity("w_min", "w_max")


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = identity("w_min", "w_max")


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = identity("tau_plus", "tau_minus", "A_plus", "A_minus")


def _missing(base, key: str):
    """A synapse type the engine cannot run: refused on creation, naming the need."""

    class Missing(base):
        __doc__ = base.__doc__
        translations = identity(*base.default_parameters)

        def __init__(self, *args, **kwargs):
            raise spikegpu.EngineFeatureMissing(key, f"the PyNN synapse type {base.__name__}")

    Missing.__name__ = base.__name__
    Missing.__qualname__ = base.__name__
    return Missing


AdditivePotentiationMultiplicativeDepression = _missing(
    synapses.AdditivePotentiationMultiplicativeDepression, "stdp_other"
)
GutigWeightDependence = _missing(synapses.GutigWeightDependence, "stdp_other")
Vogels2011Rule = _missing(synapses.Vogels2011Rule, "stdp_other")
StochasticTsodyksMarkramSynapse = _missing(synapses.StochasticTsodyksMarkramSynapse, "other_models")
MultiQuantalSynapse = _missing(synapses.MultiQuantalSynapse, "other_models")
ElectricalSynapse = _missing(synapses.ElectricalSynapse, "other_models")

__all__ = [
    "StaticSynapse",
    "STDPMechanism",
    "AdditiveWeightDependence",
    "MultiplicativeWeightDependence",
    "SpikePairRule",
    "TsodyksMarkramSynapse",
    "AdditivePotentiationMultiplicativeDepression",
    "GutigWeightDependence",
    "Vogels2011Rule",
    "SimpleStochasticSynapse",
    "StochasticTsodyksMarkramSynapse",
    "MultiQuantalSynapse",
    "ElectricalSynapse",
]
