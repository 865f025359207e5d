"""spikegpu: spiking neural networks on any GPU through wgpu compute shaders, with a CPU
reference backend that computes the same spikes bit for bit.

Quick start::

    import spikegpu
    sim = spikegpu.Simulator(spikegpu.load("examples/models/cuba.toml"), backend="cpu")
    sim.run(1000.0)
    times, neurons = sim.spikes("exc")
    spikegpu.raster(sim, "raster.png")

Networks come from model files (`load`, `loads`) or are built in Python (`Network`); both go
through the engine's model-file loader, so invalid input raises ``ValueError`` with the
engine's message. `Simulator` runs a model on ``"gpu"``, ``"cpu"`` or ``"auto"``; `run(ms)`
releases the GIL and can be called again to continue. The PyNN backend is ``pyNN.spikegpu``.
"""

from __future__ import annotations

from typing import Optional

from ._spikegpu import (
    GpuError,
    InternalError,
    Model,
    NoAdapterError,
    __version__,
    devices,
    document_to_toml,
    from_document,
    load,
    loads,
    spike_hash,
)
from ._spikegpu import Simulator as _EngineSimulator
from .network import (
    Network,
    Population,
    Projection,
    all_to_all,
    explicit,
    fixed_indegree,
    fixed_outdegree,
    fixed_probability,
    fixed_total,
    gaussian,
    lognormal,
    modulation,
    normal,
    one_to_one,
    stdp,
    uniform,
)
from .engine_needs import EngineFeatureMissing

__all__ = [
    "Simulator",
    "Model",
    "Network",
    "Population",
    "Projection",
    "load",
    "loads",
    "from_document",
    "document_to_toml",
    "devices",
    "spike_hash",
    "raster",
    "uniform",
    "normal",
    "lognormal",
    "fixed_probability",
    "fixed_indegree",
    "fixed_outdegree",
    "fixed_total",
    "one_to_one",
    "all_to_all",
    "gaussian",
    "explicit",
    "stdp",
    "modulation",
    "NoAdapterError",
    "GpuError",
    "InternalError",
    "EngineFeatureMissing",
    "__version__",
]


class Simulator(_EngineSimulator):
    """A model instantiated on a backend: ``Simulator(model, backend="auto"|"gpu"|"cpu",
    progress=False, threads=None)``. `model` is a `Model` (from `load`, `loads`,
    `Network.build`) or a `Network` (built here). `threads`: the CPU backend's threads (1 to
    1024; default one per free core, at most SPIKEGPU_THREADS, fewer for small networks); the
    results do not depend on it.

    ``run(ms)`` advances the simulation (GIL released, Ctrl-C stops it) and may be called
    again to continue. Results: ``spikes(pop)`` -> (times_ms, neurons), ``probe(id)`` ->
    (times_ms, values[samples, neurons]), ``weights(proj)`` -> (pre, post, w),
    ``state(pop, var)``, ``spike_records()``, ``spike_hash()``. Between runs, each from the
    next tick: ``set_weights``, ``set_delays``, ``set_current``, ``set_poisson_rate``,
    ``set_state`` (v, u, syn_e, syn_i), ``set_spike_times`` (spike sources),
    ``set_source_rates`` (Poisson sources), ``set_modulator``/``add_modulator``,
    ``add_probe``.
    """

    def __new__(cls, model, backend: str = "auto", progress: bool = False, threads: Optional[int] = None):
        if isinstance(model, Network):
            model = model.build()
        return super().__new__(cls, model, backend, progress, threads)


def raster(sim: _EngineSimulator, path: str, title: Optional[str] = None, size=(1200, 800)) -> None:
    """Writes the recorded spikes of `sim` as a raster PNG at `path` (population colours, rates
    below), drawn by the engine as `spikegpu run` draws it; no plotting library needed."""
    sim.raster(path, title, size)


# NIR interchange (needs the `nir` package only when used): spikegpu.nir.load / save.
from . import nir  # noqa: E402
