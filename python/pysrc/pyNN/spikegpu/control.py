"""setup, run, reset and end for pyNN.spikegpu."""

from __future__ import annotations

import spikegpu

from .. import common
from ..common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from ..recording import get_io
from . import simulator


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Starts a new network. Besides PyNN's arguments: `rng_seed` (default 42, as pyNN.nest)
    seeds everything the engine draws (connectivity, initial values, Poisson trains), and
    `backend` (``"auto"``, ``"gpu"``, ``"cpu"``; default the environment variable
    SPIKEGPU_BACKEND, else ``"auto"``) picks the engine backend. Other extra arguments
    (threads, ...) are accepted and ignored; spike_precision must be "on_grid" (the
    default here)."""
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    if extra_params.get("spike_precision", "on_grid") != "on_grid":
        raise spikegpu.EngineFeatureMissing(
            "off_grid", f"setup(spike_precision={extra_params['spike_precision']!r}): spike times are on the time grid"
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
