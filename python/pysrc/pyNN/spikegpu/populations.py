"""Population, PopulationView and Assembly for pyNN.spikegpu.

A Population holds its parameters and initial values in PyNN units; it becomes one engine
population when the network is described (cells.py converts the units). Changing parameters
or initial values before the first run rebuilds the engine; afterwards the engine would need
to accept such changes (ENGINE_NEEDS.md), which it does for spike times, Poisson source
rates and initialize() of the recorded variables (from the next step).
"""

from __future__ import annotations

import numpy as np

import spikegpu

from .. import common, errors
from ..parameters import ParameterSpace, simplify
from ..standardmodels import StandardCellType
from . import simulator
from .recording import Recorder
from .simulator import state
from .translate import evaluated


def _advanced() -> bool:
    """Whether the engine has run (changes then go to it between runs, or are refused)."""
    return state.engine is not None and state.engine.ticks > 0


def _set_after_run(population, feature: str, what: str, apply):
    """A parameter change after time has advanced: spike times and Poisson source rates go to
    the engine from the next step (`apply` updates the stored parameters first); any other
    change raises EngineFeatureMissing(`feature`)."""
    if feature not in ("set_spike_times", "set_source_rates"):
        state.changed(feature, what)
    apply()
    engine, name = state.engine, population._engine_name
    if feature == "set_spike_times":
        # Engine times (the step before each PyNN time); those already past cannot be emitted.
        now = engine.ticks
        trains = population.celltype.engine_entry(population)["spike_times"]
        engine.set_spike_times(name, [[t for t in train if round(t / state.dt) >= now] for train in trains])
        return
    rates, starts, durations = (
        evaluated(population._parameters[key], population.size).astype(float) for key in ("rate", "start", "duration")
    )
    built = dict((p[0], p[2]) for p in engine.model.populations).get(name)
    if built != "poisson_source" or np.any(starts != 0.0) or np.any(durations < 1e9):
        raise spikegpu.EngineFeatureMissing(
            "source_rates_per_neuron", f"{what}: SpikeSourcePoisson with a start or duration, after time has advanced"
        )
    engine.set_source_rates(name, rates.tolist())


def _initialize_after_run(population, variable: str, values, mask=None):
    """initialize() after time has advanced: the engine's state from the next step
    (`Simulator.set_state`) for the variables it records (v; u; conductances)."""
    entry = population.celltype.recorded_variables(population).get(variable)
    built = dict((p[0], p[2]) for p in state.engine.model.populations).get(population._engine_name)
    if entry is None or built not in ("lif", "lif_cond", "izhikevich", "adex", "hh"):
        # The engine sets built-in models' state; user-defined ones (cells.py's generated
        # NEST models) not yet.
        raise spikegpu.EngineFeatureMissing(
            "set_state", f"initializing '{variable}' of '{population.label}' after time has advanced"
        )
    engine_variable, scale = entry
    engine, name = state.engine, population._engine_name
    current = np.asarray(engine.state(name, engine_variable), dtype=float)
    new = np.asarray(values, dtype=float) / scale
    if mask is None:
        current[:] = new
    else:
        current[mask] = new
    engine.set_state(name, engine_variable, current)


class Assembly(common.Assembly):
    __doc__ = common.Assembly.__doc__
    _simulator = simulator


class PopulationView(common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _assembly_class = Assembly
    _simulator = simulator

    def _get_parameters(self, *names):
        values = {}
        for name in names:
            value = self.parent._parameters[name]
            if isinstance(value, np.ndarray):
                value = value[self.mask]
            values[name] = simplify(value)
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        def apply():
            parameter_space.evaluate(simplify=False)
            for name, value in parameter_space.items():
                self.parent._parameters[name][self.mask] = value

        what = f"setting parameters of '{self.parent.label}'"
        if _advanced():
            _set_after_run(self.parent, self.celltype.parameter_feature, what, apply)
            return
        state.changed(self.celltype.parameter_feature, what)
        apply()

    def _set_initial_value_array(self, variable, initial_values):
        initial_values.shape = (self.size,)
        values = np.asarray(initial_values.evaluate(simplify=False), dtype=float)
        if _advanced():
            _initialize_after_run(self.parent, variable, values, self.mask)
        else:
            state.changed("set_state", f"initializing '{variable}' of '{self.parent.label}'")
        parent = self.parent
        current = parent.initial_values.get(variable)
        full = (
            np.asarray(current.evaluate(simplify=False), dtype=float).copy()
            if current is not None
            else np.zeros(parent.size)
        )
        full[self.mask] = values
        parent._store_initial(variable, full)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def initialize(self, **initial_values):
        for variable, value in initial_values.items():
            from ..parameters import LazyArray

            self._set_initial_value_array(variable, LazyArray(value, shape=(self.size,), dtype=float))


class Population(common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        state.structure_changed("a population")
        first = state.id_counter
        self.all_cells = np.array([simulator.ID(i) for i in range(first, first + self.size)], dtype=simulator.ID)
        self._mask_local = np.ones(self.size, dtype=bool)
        for cell in self.all_cells:
            cell.parent = self
        state.id_counter += self.size
        if isinstance(self.celltype, StandardCellType):
            space = self.celltype.native_parameters
        else:
            space = self.celltype.parameter_space
        space.shape = (self.size,)
        space.evaluate(simplify=False)
        self._parameters = space.as_dict()
        self._check()
        state.populations.append(self)

    def _check(self):
        check = getattr(self.celltype, "check", None)
        if check is not None:
            check(self)

    @property
    def _engine_name(self) -> str:
        return state.engine_name(self)

    def _store_initial(self, variable, values):
        from ..parameters import LazyArray

        self.initial_values[variable] = LazyArray(values, shape=(self.size,), dtype=float)

    def _set_initial_value_array(self, variable, initial_values):
        if getattr(self, "_parameters", None) is not None and state.engine is not None:
            if _advanced():
                initial_values.shape = (self.size,)
                _initialize_after_run(self, variable, initial_values.evaluate(simplify=False))
            else:
                state.changed("set_state", f"initializing '{variable}' of '{self.label}'")

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_parameters(self, *names):
        values = {name: simplify(self._parameters[name]) for name in names}
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        def apply():
            parameter_space.evaluate(simplify=False)
            for name, value in parameter_space.items():
                self._parameters[name] = value
            self._check()

        what = f"setting parameters of '{self.label}'"
        if _advanced():
            _set_after_run(self, self.celltype.parameter_feature, what, apply)
            return
        state.changed(self.celltype.parameter_feature, what)
        apply()

    def _describe(self, net):
        """Adds this population to the engine description `net`."""
        entry = self.celltype.engine_entry(self)
        model = entry.pop("model")
        definition = entry.pop("neuron_model", None)
        if definition is not None and all(d["name"] != model for d in net.document.get("neuron_model", [])):
            net.neuron_model(**definition)
        net.population(self._engine_name, self.size, model, **entry)
        bias = getattr(self.celltype, "bias_currents", None)
        for amplitude, neurons in bias(self) if bias is not None else []:
            net.current(self._engine_name, dc=amplitude, neurons=neurons)

    def can_record(self, variable, location=None):
        if variable == "spikes":
            return True
        return variable in getattr(self.celltype, "engine_variables", {})


__all__ = ["Population", "PopulationView", "Assembly", "errors"]
