"""Projection for pyNN.spikegpu.

Between two whole Populations, the connectors the engine has (all-to-all, one-to-one, fixed
probability, fixed number pre/post without replacement, fixed total number with replacement)
with weights and delays that are constants or bounded distributions the engine draws (uniform,
normal_clipped, normal_clipped_to_boundary) become an engine connectivity rule: the engine
draws the synapses from rng_seed. Everything else (views, assemblies, other connectors,
per-connection expressions) is drawn by PyNN's own connector code into an explicit list, one
engine projection per pair of populations involved.

Weights and delays are converted at the boundary: weights by the target cell type's factor
(cells.py), delays by its shift (simulator.py). A TsodyksMarkramSynapse becomes the engine
projection's `short_term` table: one U per projection, or per synapse (explicit connections
then, with U in their order); tau_rec and tau_facil are one value per projection.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

import spikegpu

from .. import common
from ..connectors import (
    AllToAllConnector,
    FixedNumberPostConnector,
    FixedNumberPreConnector,
    FixedProbabilityConnector,
    FixedTotalNumberConnector,
    OneToOneConnector,
)
from ..core import IndexBasedExpression
from ..parameters import LazyArray
from ..random import RandomDistribution
from ..space import Space
from . import simulator
from .populations import Population
from .simulator import state
from .synapses import SimpleStochasticSynapse, STDPMechanism, StaticSynapse, TsodyksMarkramSynapse
from .translate import distribution, homogeneous


def constant_or_distribution(lazy: LazyArray, scale: float, shift: float):
    """A synapse parameter as an engine value: a number or a distribution (times `scale`, plus
    `shift`), or None when the engine cannot draw it itself."""
    if lazy.operations or callable(lazy.base_value) and not isinstance(lazy.base_value, RandomDistribution):
        return None
    base = lazy.base_value
    if isinstance(base, RandomDistribution):
        # Weights and delays need bounds the engine can check (signs, at least one tick).
        if base.name == "normal":
            return None
        dist = distribution(base, scale)
        return None if dist is None else shifted(dist, shift)
    if np.isscalar(base):
        return float(base) * scale + shift
    return None


def shifted(dist: Dict[str, Any], shift: float) -> Dict[str, Any]:
    if shift == 0.0:
        return dist
    if "uniform" in dist:
        low, high = dist["uniform"]
        return {"uniform": [low + shift, high + shift]}
    spec = dict(dist["normal"])
    spec["mean"] += shift
    for bound in ("low", "high"):
        if bound in spec:
            spec[bound] += shift
    return {"normal": spec}


def engine_rule(connector, same: bool) -> Optional[Dict[str, Any]]:
    """The engine connectivity rule equal to a PyNN connector, or None."""
    kind = type(connector)
    autapses = getattr(connector, "allow_self_connections", True)
    if autapses not in (True, False):
        return None
    autapses = bool(autapses) or not same
    if kind is AllToAllConnector:
        return spikegpu.all_to_all(autapses)
    if kind is OneToOneConnector:
        return spikegpu.one_to_one()
    if kind is FixedProbabilityConnector:
        return spikegpu.fixed_probability(connector.p_connect, autapses)
    n = getattr(connector, "n", None)
    if not isinstance(n, (int, np.integer)):
        return None
    if kind is FixedNumberPreConnector and not connector.with_replacement:
        return spikegpu.fixed_indegree(int(n), autapses)
    if kind is FixedNumberPostConnector and not connector.with_replacement:
        return spikegpu.fixed_outdegree(int(n), autapses)
    if kind is FixedTotalNumberConnector and connector.with_replacement:
        return spikegpu.fixed_total(int(n), autapses)
    return None


def population_and_index(cells) -> Tuple[List[Any], np.ndarray, np.ndarray]:
    """For an array of cell ids: the populations involved, and per cell the index of its
    population in that list and its index within the population."""
    pops: List[Any] = []
    which = np.empty(len(cells), dtype=np.int64)
    local = np.empty(len(cells), dtype=np.int64)
    ids = np.asarray(cells, dtype=np.int64)
    for p in state.populations:
        first = int(p.first_id)
        inside = (ids >= first) & (ids < first + p.size)
        if inside.any():
            which[inside] = len(pops)
            local[inside] = ids[inside] - first
            pops.append(p)
    return pops, which, local


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(
        self,
        presynaptic_population,
        postsynaptic_population,
        connector,
        synapse_type=None,
        source=None,
        receptor_type=None,
        space=Space(),
        label=None,
    ):
        super().__init__(
            presynaptic_population, postsynaptic_population, connector, synapse_type, source, receptor_type, space, label
        )
        if self.receptor_type not in ("excitatory", "inhibitory"):
            raise spikegpu.EngineFeatureMissing("stdp_other", f"receptor type '{self.receptor_type}'")
        state.structure_changed("a projection")
        self._fast = self._fast_rule() is not None
        self._explicit: Dict[str, List[np.ndarray]] = {
            "pre": [],
            "post": [],
            "weight": [],
            "delay": [],
            "p": [],
            "U": [],
        }
        if not self._fast:
            connector.connect(self)
        elif connector.callback is not None:
            connector.callback(1.0)
        self._engine_indices: List[int] = []
        self._engine_groups: List[Tuple[Any, Any]] = []
        # Per engine projection, its release probability as passed (None: static).
        self._engine_release: List[Any] = []
        self._fast_release = self._fast_release_values() if self._fast else None
        self._weight_override: Optional[np.ndarray] = None
        self._delay_override: Optional[np.ndarray] = None
        # Per engine projection, U of its synapses in the engine's order (TsodyksMarkram).
        self._engine_u: List[np.ndarray] = []
        # tau_rec and tau_facil set after creation (homogeneous).
        self._tm_override: Dict[str, float] = {}
        state.projections.append(self)

    # -- description -------------------------------------------------------------------------
    def _synapse_values(self) -> Dict[str, LazyArray]:
        space = self.synapse_type.native_parameters
        space.shape = (self.pre.size, self.post.size)
        return dict(space.items())

    def _post_cells(self):
        """The target populations of this projection (one unless post is an assembly)."""
        return population_and_index(self.post.all_cells)[0]

    def _fast_rule(self) -> Optional[Dict[str, Any]]:
        """The engine rule and synapse values, if this projection fits one."""
        if not (isinstance(self.pre, Population) and isinstance(self.post, Population)):
            return None
        rule = engine_rule(self._connector, self.pre is self.post)
        if rule is None:
            return None
        values = self._synapse_values()
        celltype = self.post.celltype
        weight = constant_or_distribution(values["weight"], celltype.weight_scale(self.post, self.receptor_type), 0.0)
        delay = constant_or_distribution(values["delay"], 1.0, celltype.delay_shift())
        if weight is None or delay is None:
            return None
        if self._is_tsodyks_markram() and not isinstance(constant_or_distribution(values["U"], 1.0, 0.0), float):
            return None
        return {"connectivity": rule, "weight": weight, "delay": delay}

    def _is_tsodyks_markram(self) -> bool:
        return isinstance(self.synapse_type, TsodyksMarkramSynapse)

    def _time_constants(self) -> Dict[str, float]:
        """tau_rec and tau_facil (ms) of a TsodyksMarkram projection: one value each."""
        out = {}
        values = self._synapse_values()
        for name in ("tau_rec", "tau_facil"):
            if name in self._tm_override:
                out[name] = self._tm_override[name]
                continue
            v = homogeneous(values[name].evaluate(simplify=False))
            if v is None:
                raise spikegpu.EngineFeatureMissing("synapse_params", f"per-connection values of '{name}'")
            out[name] = v
        return out

    def _short_term(self, u) -> Optional[Dict[str, Any]]:
        """The engine's short_term table for U `u` (a number, or one per connection)."""
        if not self._is_tsodyks_markram():
            return None
        if not np.isscalar(u):
            arr = np.asarray(u, dtype=float)
            single = homogeneous(arr)
            u = single if single is not None else [float(x) for x in arr]
        return {"u": u, **self._time_constants()}

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index, location_selector=None, **parameters):
        """Called by PyNN's connector code: connections onto one target, in PyNN units."""
        pre = np.atleast_1d(np.asarray(presynaptic_indices, dtype=np.int64))
        n = pre.size
        self._explicit["pre"].append(pre)
        self._explicit["post"].append(np.full(n, int(postsynaptic_index), dtype=np.int64))
        self._explicit["weight"].append(np.broadcast_to(np.asarray(parameters["weight"], dtype=float), (n,)))
        self._explicit["delay"].append(np.broadcast_to(np.asarray(parameters["delay"], dtype=float), (n,)))
        if self._stochastic():
            self._explicit["p"].append(np.broadcast_to(np.asarray(parameters["p"], dtype=float), (n,)))
        if self._is_tsodyks_markram():
            self._explicit["U"].append(np.broadcast_to(np.asarray(parameters["U"], dtype=float), (n,)))
        for name, value in parameters.items():
            if name not in ("weight", "delay", "p", "U") and homogeneous(value) is None:
                raise spikegpu.EngineFeatureMissing("synapse_params", f"per-connection values of '{name}'")

    def _stochastic(self) -> bool:
        return isinstance(self.synapse_type, SimpleStochasticSynapse)

    def _fast_release_values(self):
        """p of a fast projection, drawn once: a number, or a (pre, post) matrix."""
        if not self._stochastic():
            return None
        values = np.asarray(self._synapse_values()["p"].evaluate(simplify=False), dtype=float)
        single = homogeneous(values)
        return single if single is not None else values.reshape(self.pre.size, self.post.size)

    def _explicit_release(self, p: np.ndarray, pre: np.ndarray, post: np.ndarray, shape):
        """p of explicit connections (local indices) as the engine takes it: a number, or a
        (pre, post) matrix; repeated pairs must agree."""
        single = homogeneous(p)
        if single is not None or p.size == 0:
            return single if single is not None else 1.0
        matrix = np.full(shape, np.nan)
        matrix[pre, post] = p
        if not np.array_equal(matrix[pre, post], p):
            raise spikegpu.EngineFeatureMissing("synapse_params", "different p on connections between one pair of neurons")
        return np.nan_to_num(matrix, nan=1.0)

    def _plasticity(self, post) -> Optional[Dict[str, Any]]:
        if not isinstance(self.synapse_type, STDPMechanism):
            return None
        if self.receptor_type != "excitatory":
            raise spikegpu.EngineFeatureMissing("stdp_inhibitory", "an STDP projection onto an inhibitory receptor")
        params = {}
        for name, lazy in self._synapse_values().items():
            if name in ("weight", "delay"):
                continue
            v = homogeneous(lazy.evaluate(simplify=False))
            if v is None:
                raise spikegpu.EngineFeatureMissing("synapse_params", f"per-connection values of '{name}'")
            params[name] = v
        scale = post.celltype.weight_scale(post, "excitatory")
        return self.synapse_type.engine_rule(params, scale)

    def _describe(self, net):
        """Adds the engine projections of this projection to `net`."""
        self._engine_indices, self._engine_groups, self._engine_release, self._engine_u = [], [], [], []
        if self._fast:
            rule = self._fast_rule()
            assert rule is not None, "the rule depends only on the connector and the synapse type"
            proj = net.projection(
                self.pre._engine_name,
                self.post._engine_name,
                rule["connectivity"],
                weight=rule["weight"],
                delay=rule["delay"],
                receptor=self.receptor_type,
                plasticity=self._plasticity(self.post),
                release_probability=self._fast_release,
                short_term=self._short_term(float(self._synapse_values()["U"].base_value))
                if self._is_tsodyks_markram()
                else None,
            )
            self._engine_indices.append(proj.index)
            self._engine_groups.append((self.pre, self.post))
            self._engine_release.append(self._fast_release)
            return
        self._describe_explicit(net)

    def _describe_explicit(self, net):
        pre = np.concatenate(self._explicit["pre"]) if self._explicit["pre"] else np.zeros(0, dtype=np.int64)
        post = np.concatenate(self._explicit["post"]) if self._explicit["post"] else np.zeros(0, dtype=np.int64)
        weight = np.concatenate(self._explicit["weight"]) if self._explicit["weight"] else np.zeros(0)
        delay = np.concatenate(self._explicit["delay"]) if self._explicit["delay"] else np.zeros(0)
        p = np.concatenate(self._explicit["p"]) if self._explicit.get("p") else None
        u = np.concatenate(self._explicit["U"]) if self._explicit.get("U") else np.zeros(pre.size)
        pre_pops, pre_which, pre_local = population_and_index(np.asarray(self.pre.all_cells)[pre])
        post_pops, post_which, post_local = population_and_index(np.asarray(self.post.all_cells)[post])
        for a, source in enumerate(pre_pops):
            for b, target in enumerate(post_pops):
                sel = (pre_which == a) & (post_which == b)
                if not sel.any():
                    continue
                celltype = target.celltype
                w = weight[sel] * celltype.weight_scale(target, self.receptor_type)
                d = delay[sel] + celltype.delay_shift()
                release = None
                if p is not None:
                    release = self._explicit_release(
                        p[sel], pre_local[sel], post_local[sel], (source.size, target.size)
                    )
                proj = net.projection(
                    source._engine_name,
                    target._engine_name,
                    spikegpu.explicit(pre_local[sel], post_local[sel], w, d),
                    receptor=self.receptor_type,
                    plasticity=self._plasticity(target),
                    release_probability=release,
                    short_term=self._short_term(u[sel]),
                )
                self._engine_indices.append(proj.index)
                self._engine_groups.append((source, target))
                self._engine_release.append(release)
                # The engine lists explicit connections sorted (stably) by (pre, post).
                self._engine_u.append(u[sel][np.lexsort((post_local[sel], pre_local[sel]))])

    def _after_build(self, engine):
        if self._weight_override is not None:
            self._push_weights(engine, self._weight_override)
        if self._delay_override is not None:
            self._push_delays(engine, self._delay_override)

    def _min_delay(self) -> Optional[float]:
        """The smallest delay (PyNN units) of this projection, if known without building."""
        if not self._fast:
            delays = [d.min() for d in self._explicit["delay"] if d.size]
            return float(min(delays)) if delays else None
        lazy = self._synapse_values()["delay"]
        base = lazy.base_value
        if isinstance(base, RandomDistribution):
            p = base.parameters
            return float(p.get("low", p.get("mu", 0.0)))
        return float(base) if np.isscalar(base) else None

    # -- reading and writing synapses ------------------------------------------------------
    @property
    def connections(self):
        """The connections, each with its pre/post indices, weight and delay (PyNN units);
        a connection's weight can be set."""
        synapses = self._synapses()
        return [Connection(self, i, synapses) for i in range(synapses["pre"].size)]

    def _synapses(self) -> Dict[str, np.ndarray]:
        """Every synapse as arrays in PyNN units and indices relative to pre and post."""
        engine = state.build()
        pre_lookup = lookup(self.pre.all_cells)
        post_lookup = lookup(self.post.all_cells)
        parts: Dict[str, List[np.ndarray]] = {"pre": [], "post": [], "weight": [], "delay": []}
        if self._stochastic():
            parts["p"] = []
        if self._is_tsodyks_markram():
            parts["U"] = []
        for g, (index, (source, target), release) in enumerate(
            zip(self._engine_indices, self._engine_groups, self._engine_release)
        ):
            pre, post, w = engine.weights(index)
            if "p" in parts:
                matrix = np.asarray(release, dtype=float)
                parts["p"].append(np.full(pre.size, float(release)) if matrix.ndim == 0 else matrix[pre, post])
            delays = engine.delays(index)
            celltype = target.celltype
            parts["pre"].append(pre_lookup[np.asarray(source.all_cells, dtype=np.int64)[pre]])
            parts["post"].append(post_lookup[np.asarray(target.all_cells, dtype=np.int64)[post]])
            parts["weight"].append(w.astype(float) / celltype.weight_scale(target, self.receptor_type))
            parts["delay"].append(np.round((delays - celltype.delay_shift()) / state.dt) * state.dt)
            if "U" in parts:
                u = self._engine_u[g] if self._engine_u else self._synapse_values()["U"].base_value
                parts["U"].append(np.broadcast_to(np.asarray(u, dtype=float), pre.shape).copy())
        out = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
        if self._weight_override is not None and not isinstance(self.synapse_type, STDPMechanism):
            # Static weights stay as set (the engine holds them in float32).
            out["weight"] = np.asarray(self._weight_override, dtype=float).copy()
        return out

    def __len__(self):
        return int(self._synapses()["pre"].size)

    def _attribute(self, synapses, name: str) -> np.ndarray:
        key = {"presynaptic_index": "pre", "postsynaptic_index": "post", "weights": "weight", "delays": "delay"}
        name = key.get(name, name)
        if name in synapses:
            return synapses[name]
        if name in self._tm_override:
            return np.full(synapses["pre"].size, self._tm_override[name])
        lazy = self._synapse_values().get(name)
        if lazy is None:
            raise ValueError(f"projection '{self.label}' has no attribute '{name}'")
        return np.full(synapses["pre"].size, homogeneous(lazy.evaluate(simplify=False)))

    def _get_attributes_as_list(self, names):
        synapses = self._synapses()
        columns = [self._attribute(synapses, n) for n in names]
        ints = {"presynaptic_index", "postsynaptic_index"}
        rows = zip(*[c.astype(int) if n in ints else c for n, c in zip(names, columns)])
        return [tuple(x.item() for x in row) for row in rows]

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        synapses = self._synapses()
        combine = common.Projection.MULTI_SYNAPSE_OPERATIONS[multiple_synapses]
        pre, post = synapses["pre"].astype(int), synapses["post"].astype(int)
        out = []
        for name in names:
            values = self._attribute(synapses, name)
            matrix = np.full((self.pre.size, self.post.size), np.nan)
            for i, j, v in zip(pre, post, values):
                matrix[i, j] = v if np.isnan(matrix[i, j]) else combine(matrix[i, j], v)
            out.append(matrix)
        return out

    def _set_attributes(self, parameter_space):
        names = set(parameter_space.keys())
        settable = {"weight", "delay"}
        if self._stochastic():
            settable |= {"p"}
        if self._is_tsodyks_markram():
            settable |= {"U", "tau_rec", "tau_facil"}
        if names - settable:
            raise spikegpu.EngineFeatureMissing(
                "synapse_params", f"setting {', '.join(sorted(names - settable))} of existing connections"
            )
        synapses = self._synapses()
        pre, post = synapses["pre"].astype(int), synapses["post"].astype(int)
        values = {}
        for name in names:
            lazy = parameter_space[name]
            if isinstance(lazy.base_value, IndexBasedExpression):
                lazy.base_value.projection = self
            lazy.shape = (self.pre.size, self.post.size)
            if lazy.is_homogeneous:
                values[name] = np.full(pre.size, float(lazy.evaluate(simplify=True)))
            else:
                # Pairwise (lazy[pre, post] would index the outer product).
                values[name] = np.asarray(lazy.evaluate(simplify=False), dtype=float)[pre, post] if pre.size else np.zeros(0)
        if "weight" in values:
            self._set_weights(values["weight"])
        if "delay" in values:
            self._set_delays(values["delay"])
        if "p" in values:
            self._set_release(values["p"])
        if names & {"U", "tau_rec", "tau_facil"}:
            self._set_short_term(values)

    def _set_release(self, p: np.ndarray):
        """New release probabilities (in the order of `connections`): before time advances the
        projection is described again with them, as explicit connections; afterwards the
        engine has no setter for them (EngineFeatureMissing 'synapse_params')."""
        p = np.asarray(p, dtype=float)
        if np.any(~((p >= 0.0) & (p <= 1.0))):
            raise ValueError(f"p of '{self.label}' must be a probability in [0, 1]")
        synapses = self._synapses()
        state.changed("synapse_params", f"setting p of '{self.label}'")
        synapses["p"] = p
        self._describe_again(synapses, synapses["delay"], synapses.get("U"))

    def _set_weights(self, weights: np.ndarray):
        """New weights (PyNN units, in the order of `connections`), from the next step. Before
        time advances, weights beyond the fixed-point range chosen at build describe the
        projection again with them (the range is chosen anew)."""
        engine = state.build()
        try:
            self._push_weights(engine, weights)
        except ValueError:
            if engine.ticks > 0:
                raise
            synapses = self._synapses()
            synapses["weight"] = np.asarray(weights, dtype=float)
            self._describe_again(synapses, synapses["delay"], synapses.get("U"))
            self._weight_override = None
            state.changed("synapse_params", f"setting weights of '{self.label}'")
            return
        self._weight_override = weights

    def _set_short_term(self, values: Dict[str, np.ndarray]):
        """New Tsodyks-Markram parameters (U per connection, in the order of `connections`;
        tau_rec and tau_facil one value each). Before time advances the projection is
        described again with them, as explicit connections; afterwards the engine cannot
        change them (EngineFeatureMissing 'synapse_params')."""
        for name in ("tau_rec", "tau_facil"):
            if name in values:
                v = homogeneous(values[name])
                if v is None:
                    raise spikegpu.EngineFeatureMissing("synapse_params", f"per-connection values of '{name}'")
        synapses = self._synapses()
        state.changed("synapse_params", f"setting Tsodyks-Markram parameters of '{self.label}'")
        for name in ("tau_rec", "tau_facil"):
            if name in values:
                self._tm_override[name] = homogeneous(values[name])
        self._describe_again(synapses, synapses["delay"], values.get("U", synapses["U"]))

    def _describe_again(self, synapses: Dict[str, np.ndarray], delays: np.ndarray, u: Optional[np.ndarray]):
        """Describes the projection again as the explicit connections `synapses` with `delays`
        and U `u` (the engine is rebuilt before it is next used)."""
        self._fast = False
        self._explicit = {
            "pre": [synapses["pre"].astype(np.int64)],
            "post": [synapses["post"].astype(np.int64)],
            "weight": [synapses["weight"]],
            "delay": [np.asarray(delays, dtype=float)],
            "p": [np.asarray(synapses["p"], dtype=float)] if "p" in synapses else [],
            "U": [np.asarray(u, dtype=float)] if u is not None else [],
        }
        self._delay_override = None

    def _push_weights(self, engine, weights: np.ndarray):
        start = 0
        for index, (_, target) in zip(self._engine_indices, self._engine_groups):
            count = engine.weights(index)[2].size
            scale = target.celltype.weight_scale(target, self.receptor_type)
            engine.set_weights(index, weights[start : start + count] * scale)
            start += count

    def _set_delays(self, delays: np.ndarray):
        """New delays (PyNN units, in the order of `connections`). Before time advances the
        projection is described again with them, as explicit connections (those drawn), so
        that the engine's delay ring is built for them; afterwards the engine takes them from
        the next step (`Simulator.set_delays`), within the ring built for the longest delay
        at the start (a longer one raises ValueError naming the limit)."""
        delays = np.asarray(delays, dtype=float)
        if np.any(delays < state.dt - 1e-9):
            raise ValueError(f"delays of '{self.label}' must be at least the time step {state.dt} ms")
        engine = state.build()
        if engine.ticks == 0:
            synapses = self._synapses()
            self._describe_again(synapses, delays, synapses.get("U"))
            state.changed("synapse_params", f"setting delays of '{self.label}'")
            return
        self._push_delays(engine, delays)
        self._delay_override = delays

    def _push_delays(self, engine, delays: np.ndarray):
        start = 0
        for index, (_, target) in zip(self._engine_indices, self._engine_groups):
            count = engine.delays(index).size
            engine.set_delays(index, delays[start : start + count] + target.celltype.delay_shift())
            start += count


class Connection(common.Connection):
    """One synapse of a Projection (a snapshot of its values; setting `weight` writes it)."""

    def __init__(self, projection, index, synapses):
        self.projection = projection
        self.index = index
        self.presynaptic_index = int(synapses["pre"][index])
        self.postsynaptic_index = int(synapses["post"][index])
        self._weight = float(synapses["weight"][index])
        self._delay = float(synapses["delay"][index])

    @property
    def weight(self):
        return self._weight

    @weight.setter
    def weight(self, value):
        synapses = self.projection._synapses()
        weights = synapses["weight"].copy()
        weights[self.index] = value
        self.projection._weight_override = weights
        self.projection._push_weights(state.build(), weights)
        self._weight = float(value)

    @property
    def delay(self):
        return self._delay

    @delay.setter
    def delay(self, value):
        delays = self.projection._synapses()["delay"].copy()
        delays[self.index] = value
        self.projection._set_delays(delays)
        self._delay = float(value)

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


def lookup(cells) -> np.ndarray:
    """Global id -> position in `cells` (-1 elsewhere)."""
    ids = np.asarray(cells, dtype=np.int64)
    table = np.full(int(ids.max()) + 1 if ids.size else 1, -1, dtype=np.int64)
    table[ids] = np.arange(ids.size)
    return table


__all__ = ["Projection"]
