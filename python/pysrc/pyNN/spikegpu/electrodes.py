"""PyNN's current sources on spikegpu's current inputs.

A source is injected into whole populations (the engine's current inputs target a population;
injecting into some of its neurons needs an engine feature, see ENGINE_NEEDS.md). A current
switched on at ``start`` acts from the step that begins at ``start`` to the step that ends at
``stop``, as in pyNN.nest. Amplitudes are in nA and converted per target cell type.
"""

from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

import spikegpu

from ..common import Assembly, Population, PopulationView
from ..parameters import LazyArray, ParameterSpace, Sequence
from ..standardmodels import StandardCurrentSource, build_translations, electrodes
from .simulator import state

FOREVER_MS = 1e9


def identity(*names: str):
    return build_translations(*[(n, n) for n in names])


def whole_populations(cells) -> List[Any]:
    """The populations `cells` covers entirely; a partial cover needs an engine feature."""
    if isinstance(cells, Population):
        return [cells]
    if isinstance(cells, Assembly):
        return [p for member in cells.populations for p in whole_populations(member)]
    if isinstance(cells, PopulationView):
        ids = list(cells.all_cells)
    else:
        ids = list(cells)
    by_parent: Dict[int, Any] = {}
    count: Dict[int, int] = {}
    for cell in ids:
        parent = cell.parent
        by_parent[id(parent)] = parent
        count[id(parent)] = count.get(id(parent), 0) + 1
    partial = [p for key, p in by_parent.items() if count[key] != p.size]
    if partial:
        raise spikegpu.EngineFeatureMissing(
            "current_subset", f"a current source injected into {count[id(partial[0])]} of the {partial[0].size} cells of '{partial[0].label}'"
        )
    return list(by_parent.values())


class EngineCurrentSource(StandardCurrentSource):
    """Parameters kept in PyNN units; the engine inputs are written when the network is
    described."""

    def __init__(self, **parameters):
        object.__setattr__(
            self, "parameter_space", ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        )
        if parameters:
            self.parameter_space.update(**parameters)
        self.parameter_space.evaluate(simplify=True)
        object.__setattr__(self, "targets", [])
        object.__setattr__(self, "_recording", False)
        state.current_sources.append(self)

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        state.changed("set_current", f"changing the parameters of a {type(self).__name__}")
        self.parameter_space.update(**parameters)
        self.parameter_space.evaluate(simplify=True)

    def get_native_parameters(self):
        return ParameterSpace({name: self._value(name) for name in self.parameter_space.keys()})

    def _value(self, name: str):
        v = self.parameter_space[name]
        if isinstance(v, LazyArray):
            v = v.evaluate(simplify=True)
        if isinstance(v, Sequence):
            return np.asarray(v.value, dtype=float)
        return v

    def inject_into(self, cells):
        populations = whole_populations(cells)
        for pop in populations:
            if not pop.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
        state.structure_changed("a current source")
        self.targets.extend(populations)

    def _describe(self, net):
        for pop in self.targets:
            scale = pop.celltype.current_scale(pop)
            net.current(pop._engine_name, **self.engine_input(scale))

    def engine_input(self, scale: float) -> Dict[str, Any]:
        """The model-file current entry, amplitudes times `scale`."""
        raise NotImplementedError

    def schedule(self):
        """(times, amplitudes in nA) of a piecewise-constant source."""
        raise NotImplementedError

    def record(self):
        """Keeps the injected current for `get_data()` (it is known from the parameters)."""
        object.__setattr__(self, "_recording", True)

    def get_data(self):
        """The injected current (nA) on the time grid from 0 to now, as a neo AnalogSignal."""
        import neo
        import quantities as pq

        dt = state.dt
        steps = int(round(state.t / dt)) + 1
        grid = np.arange(steps) * dt
        times, amps = self.schedule()
        current = np.zeros(steps)
        for t, a in zip(times, amps):
            current[grid >= t - dt / 2] = a
        return neo.AnalogSignal(current, units="nA", t_start=0 * pq.ms, sampling_period=dt * pq.ms, name="i")


def dc_schedule(amplitude, start, stop):
    if stop >= FOREVER_MS:
        return [start], [amplitude]
    return [start, stop], [amplitude, 0.0]


class DCSource(EngineCurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = identity("amplitude", "start", "stop")

    def schedule(self):
        return dc_schedule(self._value("amplitude"), self._value("start"), self._value("stop"))

    def engine_input(self, scale):
        times, amps = self.schedule()
        if times == [0.0] and len(amps) == 1:
            return {"dc": amps[0] * scale}
        return {"step_times": list(times), "step_amplitudes": [a * scale for a in amps]}


class StepCurrentSource(EngineCurrentSource, electrodes.StepCurrentSource):
    """Times are checked (>= 0, increasing) and put on the time grid when given; a later
    amplitude in the same step replaces an earlier one (as pyNN.nest does)."""

    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = identity("amplitudes", "times")

    def __init__(self, **parameters):
        super().__init__(**parameters)
        self._on_grid()

    def set_native_parameters(self, parameters):
        super().set_native_parameters(parameters)
        self._on_grid()

    def _on_grid(self):
        times = np.asarray(self._value("times"), dtype=float)
        amps = np.asarray(self._value("amplitudes"), dtype=float)
        if times.size != amps.size:
            raise ValueError(f"StepCurrentSource: {times.size} times but {amps.size} amplitudes")
        if times.size and (times.min() < 0 or np.any(np.diff(times) <= 0)):
            raise ValueError("StepCurrentSource: times must be >= 0 and strictly increasing")
        ticks = np.round(times / state.dt).astype(np.int64)
        keep = np.append(ticks[1:] != ticks[:-1], True) if ticks.size else ticks.astype(bool)
        self.parameter_space["times"] = Sequence(ticks[keep] * state.dt)
        self.parameter_space["amplitudes"] = Sequence(amps[keep])
        self.parameter_space.evaluate(simplify=True)

    def schedule(self):
        return list(self._value("times")), list(self._value("amplitudes"))

    def engine_input(self, scale):
        times, amps = self.schedule()
        if not times:
            return {"dc": 0.0}
        return {"step_times": times, "step_amplitudes": [a * scale for a in amps]}


class NoisyCurrentSource(EngineCurrentSource, electrodes.NoisyCurrentSource):
    """Gaussian noise redrawn every step (the engine draws it from the seed). The engine's
    noise has no start, stop or redraw interval of its own yet."""

    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = identity("mean", "stdev", "start", "stop", "dt")

    def __init__(self, **parameters):
        parameters.pop("rng", None)
        super().__init__(**parameters)

    def engine_input(self, scale):
        start, stop, step = self._value("start"), self._value("stop"), self._value("dt")
        if start > 0 or stop < FOREVER_MS or abs(step - state.dt) > 1e-9:
            raise spikegpu.EngineFeatureMissing(
                "noise_interval", f"NoisyCurrentSource(start={start}, stop={stop}, dt={step})"
            )
        return {"noise_mean": self._value("mean") * scale, "noise_std": self._value("stdev") * scale}

    def schedule(self):
        return [0.0], [self._value("mean")]


class ACSource(electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = identity(*electrodes.ACSource.default_parameters)

    def __init__(self, **parameters):
        raise spikegpu.EngineFeatureMissing("ac_source", "the PyNN current source ACSource")


__all__ = ["DCSource", "StepCurrentSource", "NoisyCurrentSource", "ACSource"]
