"""pyNN.spikegpu: the PyNN 0.13 API on spikegpu.

Shipped in the ``spikegpu`` wheel as ``pyNN/spikegpu/`` (without ``pyNN/__init__.py``): installed
into the environment that holds PyNN, it becomes a subpackage of PyNN, so
``import pyNN.spikegpu as sim`` works like ``import pyNN.nest as sim``.

The network is described to spikegpu's engine when it is first run (see simulator.py for the
time conventions, cells.py for the cell types and units, projections.py for connectors).
What the engine cannot do yet raises ``spikegpu.EngineFeatureMissing`` (a
``NotImplementedError``) naming the missing engine function (python/ENGINE_NEEDS.md).
"""

from .. import errors, random, space  # noqa: F401
from ..connectors import *  # noqa: F401,F403
from ..network import Network  # noqa: F401
from ..random import GSLRNG, NumpyRNG, RandomDistribution  # noqa: F401
from ..recording import *  # noqa: F401,F403
from ..space import Space  # noqa: F401
from ..standardmodels import StandardCellType
from .cells import *  # noqa: F401,F403
from .control import (  # noqa: F401
    end,
    get_current_time,
    get_max_delay,
    get_min_delay,
    get_time_step,
    initialize,
    num_processes,
    rank,
    reset,
    run,
    run_for,
    run_until,
    setup,
)
from .electrodes import *  # noqa: F401,F403
from .populations import Assembly, Population, PopulationView  # noqa: F401
from .translate import NativeRNG  # noqa: F401
from .procedural_api import connect, create, record, record_gsyn, record_v  # noqa: F401
from .projections import Projection  # noqa: F401
from .synapses import *  # noqa: F401,F403


def list_standard_models():
    """The standard cell types that run on spikegpu's engine."""
    usable = []
    for obj in list(globals().values()):
        if isinstance(obj, type) and issubclass(obj, StandardCellType) and obj is not StandardCellType:
            try:
                obj()
            except NotImplementedError:
                continue
            usable.append(obj.__name__)
    return usable
