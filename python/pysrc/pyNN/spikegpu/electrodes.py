"""PyNN's current sources on spikegpu's current inputs.

A source is injected into whole populations or into some of their neurons (the engine's
current inputs take a neuron list). A current switched on at ``start`` acts from the step that
begins at ``start`` to the step that ends at ``stop``, as in pyNN.nest. Amplitudes are in nA
and converted per target cell type. Changing a source's parameters after time has advanced
replaces its engine inputs from the next step (``Simulator.set_current``); times stay
absolute (times already past only decide the present value), and the recorded current keeps
what was injected before the change.

``NoisyCurrentSource`` with a start, a stop or its own redraw interval is drawn here, one
value per interval and target neuron from ``rng_seed``, and handed over as step currents
(the engine's own noise is redrawn every step from t = 0 without end); such a source needs a
stop.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

import spikegpu

from ..common import Assembly, Population, PopulationView
from ..parameters import LazyArray, ParameterSpace, Sequence
from ..standardmodels import StandardCurrentSource, build_translations, electrodes
from .simulator import state

FOREVER_MS = 1e9

#: (population, neuron indices within it, or None for all of them)
Target = Tuple[Any, Optional[List[int]]]


def identity(*names: str):
    return build_translations(*[(n, n) for n in names])


def targets_of(cells) -> List[Target]:
    """The populations `cells` covers, each with the indices of the covered neurons (None
    when it covers the whole population)."""
    if isinstance(cells, Population):
        return [(cells, None)]
    if isinstance(cells, Assembly):
        return [t for member in cells.populations for t in targets_of(member)]
    ids = list(cells.all_cells) if isinstance(cells, PopulationView) else list(cells)
    by_parent: Dict[int, Any] = {}
    indices: Dict[int, List[int]] = {}
    for cell in ids:
        parent = cell.parent
        by_parent[id(parent)] = parent
        indices.setdefault(id(parent), []).append(int(parent.id_to_index(cell)))
    targets = []
    for key, parent in by_parent.items():
        chosen = sorted(set(indices[key]))
        targets.append((parent, None if len(chosen) == parent.size else chosen))
    return targets


class EngineCurrentSource(StandardCurrentSource):
    """Parameters kept in PyNN units; the engine inputs are written when the network is
    described, and replaced through ``Simulator.set_current`` when parameters change after
    time has advanced."""

    def __init__(self, **parameters):
        object.__setattr__(
            self, "parameter_space", ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        )
        if parameters:
            self.parameter_space.update(**parameters)
        self.parameter_space.evaluate(simplify=True)
        object.__setattr__(self, "targets", [])
        #: engine current input index -> (target population, neuron indices or None)
        object.__setattr__(self, "_inputs", {})
        object.__setattr__(self, "_recording", False)
        #: the current (nA) of the steps before the last change after time had advanced
        object.__setattr__(self, "_history", np.zeros(0))
        state.current_sources.append(self)

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        engine = state.engine
        running = engine is not None and engine.ticks > 0
        before = (self.parameter_space, self._history)
        if running:  # what was injected so far stays in the recorded current
            object.__setattr__(self, "_history", self.signal(np.arange(engine.ticks) * state.dt))
        values = {name: self._value(name) for name in self.parameter_space.keys()}
        values.update({name: parameters[name] for name in parameters.keys()})
        space = ParameterSpace(values, self.get_schema(), shape=(1,))
        space.evaluate(simplify=True)
        object.__setattr__(self, "parameter_space", space)
        try:
            self._normalise()
            if running:
                self._replace_engine_inputs(engine)
        except Exception:  # a refused change leaves the source as it was
            object.__setattr__(self, "parameter_space", before[0])
            object.__setattr__(self, "_history", before[1])
            raise
        if not running:
            state.engine = None  # rebuilt from the new parameters at the next run

    def _replace_engine_inputs(self, engine):
        """Gives the engine this source's inputs from the present parameters (next step on)."""
        updates = []
        for index, (pop, neurons) in self._inputs.items():
            entries = self.engine_inputs(pop, neurons)
            if len(entries) != 1 or entries[0][0] != neurons:
                raise spikegpu.EngineFeatureMissing(
                    "noise_interval",
                    f"changing a {type(self).__name__} after time has advanced between the engine's noise "
                    "(from 0, every step, no stop) and values drawn per neuron (start, stop or dt of its own)",
                )
            updates.append((index, entries[0][1]))
        for index, entry in updates:
            engine.set_current(index, **entry)

    def _normalise(self):
        """Checks and puts the parameters on the time grid (after every change)."""

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
        targets = targets_of(cells)
        for pop, _ in targets:
            if not pop.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
        state.structure_changed("a current source")
        self.targets.extend(targets)

    def _describe(self, net):
        """Adds the engine inputs to `net` (a new engine starts at t = 0: no history)."""
        self._inputs.clear()
        object.__setattr__(self, "_history", np.zeros(0))
        for pop, neurons in self.targets:
            for listed, entry in self.engine_inputs(pop, neurons):
                index = len(net.document.get("current", []))
                net.current(pop._engine_name, neurons=listed, **as_document(entry))
                self._inputs[index] = (pop, listed)

    def engine_inputs(self, pop, neurons: Optional[List[int]]) -> List[Tuple[Optional[List[int]], Dict[str, Any]]]:
        """(neuron list or None, ``Simulator.set_current`` keywords) of each engine input this
        source needs for `neurons` of `pop`: one, unless the values differ per neuron."""
        return [(neurons, self.engine_input(pop.celltype.current_scale(pop)))]

    def engine_input(self, scale: float) -> Dict[str, Any]:
        """The current entry (``Simulator.set_current`` keywords), amplitudes times `scale`."""
        raise NotImplementedError

    def schedule(self):
        """(times, amplitudes in nA) of a piecewise-constant source."""
        raise NotImplementedError

    def signal(self, grid: np.ndarray) -> np.ndarray:
        """The current (nA) acting in the step that starts at each time of `grid`: as it was
        for steps before the last change after time had advanced, from the parameters after."""
        current = self._signal(grid)
        ticks = np.round(grid / state.dt).astype(np.int64)
        past = ticks < self._history.size
        current[past] = self._history[ticks[past]]
        return current

    def _signal(self, grid: np.ndarray) -> np.ndarray:
        """The current (nA) the present parameters give at the step starts `grid`."""
        current = np.zeros(grid.size)
        times, amps = self.schedule()
        for t, a in zip(times, amps):
            current[grid >= t - state.dt / 2] = a
        return current

    def record(self):
        """Keeps the injected current for `get_data()` (it is known from the parameters)."""
        object.__setattr__(self, "_recording", True)

    def get_data(self):
        """The injected current (nA) on the time grid from 0 to now, as a neo AnalogSignal."""
        import neo
        import quantities as pq

        dt = state.dt
        steps = int(round(state.t / dt)) + 1
        current = self.signal(np.arange(steps) * dt)
        return neo.AnalogSignal(current, units="nA", t_start=0 * pq.ms, sampling_period=dt * pq.ms, name="i")


def as_document(entry: Dict[str, Any]) -> Dict[str, Any]:
    """``Simulator.set_current`` keywords as ``Network.current`` takes them (a frequency with
    its unit; no unbounded stop)."""
    doc = {k: v for k, v in entry.items() if v is not None}
    if "sine_frequency" in doc:
        doc["sine_frequency"] = f"{float(doc['sine_frequency'])!r} Hz"
    return doc


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
        self._normalise()

    def _normalise(self):
        times = np.asarray(self._value("times"), dtype=float)
        amps = np.asarray(self._value("amplitudes"), dtype=float)
        if times.size != amps.size:
            raise ValueError(f"StepCurrentSource: {times.size} times but {amps.size} amplitudes")
        if times.size and (times.min() < 0 or np.any(np.diff(times) <= 0)):
            raise ValueError("StepCurrentSource: times must be >= 0 and strictly increasing")
        times, amps = on_grid(times, amps)
        self.parameter_space["times"] = Sequence(times)
        self.parameter_space["amplitudes"] = Sequence(amps)
        self.parameter_space.evaluate(simplify=True)

    def schedule(self):
        return list(self._value("times")), list(self._value("amplitudes"))

    def engine_input(self, scale):
        times, amps = self.schedule()
        if not times:
            return {"dc": 0.0}
        return {"step_times": times, "step_amplitudes": [a * scale for a in amps]}


def on_grid(times: np.ndarray, amps: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Times rounded to the step; of several in one step the last amplitude is kept."""
    ticks = np.round(np.asarray(times, dtype=float) / state.dt).astype(np.int64)
    keep = np.append(ticks[1:] != ticks[:-1], True) if ticks.size else ticks.astype(bool)
    return ticks[keep] * state.dt, np.asarray(amps, dtype=float)[keep]


class NoisyCurrentSource(EngineCurrentSource, electrodes.NoisyCurrentSource):
    """Gaussian noise. From t = 0, redrawn every step and without end, it is the engine's
    noise (drawn from the seed, independent per neuron). With a start, a stop or a redraw
    interval ``dt`` of its own, each target neuron gets its own values drawn here from
    (rng_seed, source, population, neuron), one per interval from ``start`` until ``stop``
    (then 0), as a step current. A source of this second kind needs a stop."""

    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = identity("mean", "stdev", "start", "stop", "dt")

    def __init__(self, **parameters):
        parameters.pop("rng", None)
        super().__init__(**parameters)

    def _on_engine(self) -> bool:
        """Whether the engine's own noise is this source."""
        start, stop, step = self._value("start"), self._value("stop"), self._value("dt")
        return start <= 0 and stop >= FOREVER_MS and abs(step - state.dt) < 1e-9

    def engine_inputs(self, pop, neurons):
        scale = pop.celltype.current_scale(pop)
        if self._on_engine():
            entry = {"noise_mean": self._value("mean") * scale, "noise_std": self._value("stdev") * scale}
            return [(neurons, entry)]
        listed = range(pop.size) if neurons is None else neurons
        inputs = []
        for n in listed:
            times, amps = self.drawn(pop, n)
            inputs.append(([n], {"step_times": list(times), "step_amplitudes": [a * scale for a in amps]}))
        return inputs

    def drawn(self, pop, neuron: int) -> Tuple[np.ndarray, np.ndarray]:
        """(times, amplitudes in nA) of the values drawn for `neuron` of `pop`."""
        start, stop, step = self._value("start"), self._value("stop"), self._value("dt")
        if stop >= FOREVER_MS:
            raise spikegpu.EngineFeatureMissing(
                "noise_interval", f"NoisyCurrentSource(start={start}, dt={step}) without a stop"
            )
        if step < state.dt - 1e-9:
            raise ValueError(f"NoisyCurrentSource: dt = {step} ms is shorter than the time step ({state.dt} ms)")
        count = max(int(np.ceil((stop - start) / step - 1e-9)), 0)
        seed = [state.rng_seed, state.current_sources.index(self), state.populations.index(pop), int(neuron)]
        values = self._value("mean") + self._value("stdev") * np.random.default_rng(seed).standard_normal(count)
        times = np.append(start + np.arange(count) * step, stop)
        return on_grid(times, np.append(values, 0.0))

    def schedule(self):
        if self._on_engine() or not self.targets:
            return [0.0], [self._value("mean")]
        pop, neurons = self.targets[0]
        times, amps = self.drawn(pop, 0 if neurons is None else neurons[0])
        return list(times), list(amps)


class ACSource(EngineCurrentSource, electrodes.ACSource):
    """``offset + amplitude sin(2 pi frequency (t - start) + phase)`` from the step that
    begins at ``start`` (rounded to the step) to the step that ends at ``stop``; the engine
    computes it per step from the step's start time."""

    __doc__ = electrodes.ACSource.__doc__
    translations = identity(*electrodes.ACSource.default_parameters)

    def engine_input(self, scale):
        stop = self._value("stop")
        return {
            "sine_amplitude": self._value("amplitude") * scale,
            "sine_offset": self._value("offset") * scale,
            "sine_frequency": self._value("frequency"),
            "sine_phase": self._value("phase"),
            "sine_start": self._value("start"),
            "sine_stop": None if stop >= FOREVER_MS else stop,
        }

    def _signal(self, grid):
        dt = state.dt
        ticks = np.round(grid / dt).astype(np.int64)
        first = int(round(self._value("start") / dt))
        stop = self._value("stop")
        end = int(round(stop / dt)) if stop < FOREVER_MS else np.iinfo(np.int64).max
        on = (ticks >= first) & (ticks < end)
        phase = 2 * np.pi * self._value("frequency") * 1e-3 * (ticks - first) * dt + np.deg2rad(self._value("phase"))
        return np.where(on, self._value("offset") + self._value("amplitude") * np.sin(phase), 0.0)


__all__ = ["DCSource", "StepCurrentSource", "NoisyCurrentSource", "ACSource"]
