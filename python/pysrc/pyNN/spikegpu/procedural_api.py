"""PyNN's procedural API (create, connect, record) for pyNN.spikegpu."""

from .. import common
from ..connectors import FixedProbabilityConnector
from . import simulator
from .populations import Population
from .projections import Projection
from .synapses import StaticSynapse

create = common.build_create(Population)
connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)
record = common.build_record(simulator)


def record_v(source, filename):
    return record(["v"], source, filename)


def record_gsyn(source, filename):
    return record(["gsyn_exc", "gsyn_inh"], source, filename)
