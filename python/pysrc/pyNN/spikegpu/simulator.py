"""The state of a pyNN.spikegpu simulation: the PyNN objects created since setup(), and the
engine simulator built from them.

The network is handed to spikegpu as one model-file document when it is first needed (the
first run(), or a query of connections), through the same loader as ``spikegpu.load``.
Structure or parameters changed before the first run rebuild it; after time has advanced the
engine cannot take such changes yet (see python/ENGINE_NEEDS.md) and says so.

Time conventions (NEST's grid-based models, to which PyNN's tests refer):
- the engine's tick ``k`` covers ``[k dt, (k+1) dt)``; a spike in tick ``k`` is reported at
  ``(k + 1) dt`` (the end of the step, as NEST does), and a spike-source time ``t`` is emitted
  in tick ``t/dt - 1``;
- a spike reaches exponential, alpha and conductance synapses one tick after NEST's delay
  (the engine adds its input before the step's integration, NEST after it), so those
  projections get ``delay + dt`` in the engine; delta synapses (IF_curr_delta, Izhikevich)
  act in the step itself and keep ``delay``;
- NEST holds ``v`` for ``tau_refrac/dt`` steps after the spike step, the engine for
  ``refractory/dt - 1``: the engine gets ``tau_refrac + dt``.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

import spikegpu

from ..common import IDMixin
from ..common.control import BaseState

name = "spikegpu"


class ID(int, IDMixin):
    """A cell's global id."""

    def __init__(self, n):
        int.__init__(n)
        IDMixin.__init__(self)


class State(BaseState):
    """Everything created since setup(), and the engine simulator once built."""

    def __init__(self):
        super().__init__()
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.fixed_min_delay = None
        self.max_delay = 10.0
        self.rng_seed = 42
        self.backend = os.environ.get("SPIKEGPU_BACKEND", "auto")
        #: the CPU backend's threads (setup(threads=...)); None: the engine's default
        self.threads = None
        self.clear()

    # -- lifetime -------------------------------------------------------------------------
    def clear(self):
        """Forgets every object (setup() starts a new network)."""
        self.recorders = set()
        self.populations: List[Any] = []
        self.projections: List[Any] = []
        self.current_sources: List[Any] = []
        self.id_counter = 0
        self.segment_counter = -1
        self.engine: Optional[spikegpu.Simulator] = None
        self.model = None
        #: end (ms) of the trains drawn for SpikeSourcePoisson populations the engine cannot
        #: run itself; whether any population needs such trains
        self.horizon = 0.0
        self.drawn_sources = False
        self.reset()

    def reset(self):
        """Back to t = 0: the engine is rebuilt from the same description and seed at the next
        run, which gives the same connectivity and initial state."""
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1
        self.engine = None

    # -- changes --------------------------------------------------------------------------
    def changed(self, feature: str, what: str):
        """A change to the description: before time advances it is applied by rebuilding;
        afterwards the engine would need `feature` (an EngineFeatureMissing key)."""
        if self.engine is not None and self.engine.ticks > 0:
            raise spikegpu.EngineFeatureMissing(feature, f"{what} after time has advanced (t = {self.t} ms)")
        self.engine = None

    def structure_changed(self, what: str):
        """A population, projection or current source added: allowed before the first run (or
        after reset())."""
        if self.engine is not None and self.engine.ticks > 0:
            raise NotImplementedError(
                f"pyNN.spikegpu cannot add {what} once the simulation has advanced "
                f"(t = {self.t} ms): build the whole network first, or call reset()"
            )
        self.engine = None

    # -- the engine -----------------------------------------------------------------------
    def document(self) -> spikegpu.Network:
        """The model-file description of everything created so far."""
        net = spikegpu.Network(dt=self.dt, seed=self.rng_seed, name="pyNN.spikegpu")
        for population in self.populations:
            population._describe(net)
        for projection in self.projections:
            projection._describe(net)
        for source in self.current_sources:
            source._describe(net)
        return net

    @property
    def min_delay(self) -> float:
        """setup()'s min_delay, or with min_delay='auto' the smallest delay of any projection
        (dt when there is none)."""
        if self.fixed_min_delay is not None:
            return self.fixed_min_delay
        delays = [p._min_delay() for p in self.projections]
        return min([d for d in delays if d is not None], default=self.dt)

    def build(self) -> spikegpu.Simulator:
        """The engine simulator, built from the description if needed."""
        if self.engine is None:
            self.drawn_sources = False
            net = self.document()
            self.model = net.build()
            engine = spikegpu.Simulator(self.model, backend=self.backend, threads=self.threads)
            for projection in self.projections:
                projection._after_build(engine)
            for recorder in self.recorders:
                recorder._attach(engine)
            self.engine = engine
        return self.engine

    def run(self, simtime: float):
        self.run_until(self.t + simtime)

    def run_until(self, tstop: float):
        if self.drawn_sources and tstop > self.horizon + 1e-9:
            self.changed("source_rates_per_neuron", f"running SpikeSourcePoisson trains drawn up to {self.horizon} ms further")
        self.horizon = max(self.horizon, tstop)
        engine = self.build()
        ticks = int(round(tstop / self.dt)) - engine.ticks
        if ticks > 0:
            engine.run(ticks * self.dt)
        self.t = engine.ticks * self.dt
        self.running = True

    # -- engine population names ------------------------------------------------------------
    def engine_name(self, population) -> str:
        """A unique engine name for a population (its label, disambiguated)."""
        label = population.label
        same = [p for p in self.populations if p.label == label]
        if len(same) <= 1:
            return label
        return f"{label} ({self.populations.index(population)})"


state = State()

