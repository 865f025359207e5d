"""setup, run, reset and end for pyNN.spikegpu."""

from __future__ import annotations

import warnings

import spikegpu

from .. import common
from ..common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from ..recording import get_io
from . import simulator


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Starts a new network. Besides PyNN's arguments: `rng_seed` (default 42, as pyNN.nest)
    seeds everything the engine draws (connectivity, initial values, Poisson trains), and
    `backend` (``"auto"``, ``"gpu"``, ``"cpu"``; default the environment variable
    SPIKEGPU_BACKEND, else ``"auto"``) picks the engine backend, and `threads` (as
    pyNN.nest's) the CPU backend's thread count (default: one per free core, at most
    SPIKEGPU_THREADS). Other extra arguments are accepted and ignored. `spike_precision` is "on_grid" (the default
    here) or "off_grid": the engine is time-driven, so with "off_grid" spike times stay on
    the grid of `timestep` (off by less than one step from NEST's precise `*_ps` models) and
    a warning says so, as pyNN.brian2 runs such scripts on its grid."""
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    precision = extra_params.get("spike_precision", "on_grid")
    if precision not in ("on_grid", "off_grid"):
        raise ValueError(f"spike_precision = {precision!r}: must be 'on_grid' or 'off_grid'")
    if precision == "off_grid":
        warnings.warn(
            f"setup(spike_precision='off_grid'): spikegpu is time-driven, so spike times stay on "
            f"the grid of timestep = {timestep} ms (precise spike timing is not built)",
            stacklevel=2,
        )
    common.setup(timestep, min_delay, **extra_params)
    state = simulator.state
    state.clear()
    state.dt = float(timestep)
    state.fixed_min_delay = None if min_delay == "auto" else float(min_delay)
    state.max_delay = 4096 * state.dt if max_delay == "auto" else float(max_delay)
    state.rng_seed = int(extra_params.get("rng_seed", 42))
    if "backend" in extra_params:
        state.backend = extra_params["backend"]
    state.threads = extra_params.get("threads")
    return rank()


def end(compatible_output=True):
    """Writes the data asked for with record(..., to_file=...); the recorded data stay
    readable until the next setup()."""
    state = simulator.state
    for population, variables, filename in state.write_on_end:
        population.write_data(get_io(filename), variables)
    state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = common.build_state_queries(
    simulator
)
