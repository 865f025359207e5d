"""Recording for pyNN.spikegpu: spikes from the engine's spike records, state variables from
engine probes added when the engine is built (one per recorded variable, sampling the recorded
neurons at t = 0 and every sampling interval), converted to PyNN units."""

from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

from .. import recording
from . import simulator
from .simulator import state


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        #: PyNN variable -> (engine probe id, recorded neuron indices, engine->PyNN factor)
        self._probes: Dict[str, Tuple[int, np.ndarray, float]] = {}
        self._cleared_at = 0.0

    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval
        if variable.name != "spikes" and new_ids:
            if state.engine is not None and state.engine.ticks > 0:
                raise NotImplementedError(
                    f"pyNN.spikegpu records '{variable.name}' from the start of the simulation: call "
                    f"record() before run() (or after reset())"
                )
            state.engine = None

    def _attach(self, engine):
        """Adds the probes of the recorded variables to a newly built engine."""
        self._probes = {}
        self._cleared_at = 0.0
        for variable, ids in self.recorded.items():
            if variable.name == "spikes" or not ids:
                continue
            indices = np.sort(self.population.id_to_index(np.array(sorted(ids))))
            engine_var, factor = self.population.celltype.recorded_variables(self.population)[variable.name]
            probe = engine.add_probe(
                self.population._engine_name, engine_var, neurons=indices.tolist(), interval=self.sampling_interval
            )
            self._probes[variable.name] = (probe, indices, factor)

    def _spikes(self):
        """(ids, times) of every spike of the population, times at the end of their step."""
        engine = state.engine
        if engine is None:
            return np.array([], dtype=int), np.array([], dtype=float)
        times, neurons = engine.spikes(self.population._engine_name)
        # End of the step (see simulator.py), on the decimal grid: 179 x 0.1 + 0.1 is 18.000000000000004.
        times = np.round(times + state.dt, 9)
        keep = times > self._cleared_at + 1e-9
        return np.asarray(self.population.all_cells, dtype=int)[neurons[keep]], times[keep]

    def _get_spiketimes(self, ids, clear=False):
        id_array, times = self._spikes()
        mask = np.isin(id_array, np.asarray(list(ids), dtype=int))
        return id_array[mask], times[mask]

    def _get_all_signals(self, variable, ids, clear=False):
        engine = state.engine
        if engine is None or variable.name not in self._probes or len(ids) == 0:
            return np.zeros((0, len(ids))), None
        probe, indices, factor = self._probes[variable.name]
        times, values = engine.probe(probe)
        first = int(np.searchsorted(times, self._cleared_at - 1e-9))
        wanted = self.population.id_to_index(np.asarray(list(ids), dtype=int))
        columns = np.searchsorted(indices, wanted)
        return values[first:, columns].astype(float) * factor, None

    def _local_count(self, variable, filter_ids=None):
        id_array, _ = self._spikes()
        counts = dict(zip(*np.unique(id_array, return_counts=True)))
        return {int(i): int(counts.get(int(i), 0)) for i in self.filter_recorded(variable, filter_ids)}

    def _clear_simulator(self):
        self._cleared_at = state.t

    def _reset(self):
        self._probes = {}
