"""Build networks from Python.

`Network` assembles the document a TOML model file holds (``examples/models/*.toml``):
populations, projections, Poisson inputs, current sources, neuromodulators and recordings.
`Network.build()` hands it to the engine's model-file loader, so a network built here, loaded
from a file or built through PyNN is validated by the same code and refused with the same
messages (``ValueError``).

Quantities follow the model-file rules: a number is in the field's canonical unit (ms, mV, nS,
pA, pF, Hz; weights in the target model's unit), a string carries its unit (``"20 ms"``,
``"-67 nS"``, ``"5 kHz"``). Distributions are the dicts `uniform`, `normal` and `lognormal`
return.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _spikegpu

Quantity = Union[float, int, str]
Value = Union[Quantity, Dict[str, Any]]

__all__ = [
    "Network",
    "Population",
    "Projection",
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
    "ENCODER_KINDS",
]

# The kinds of `Network.encoder` (model files' `[[encoder]]` tables).
ENCODER_KINDS = ("rate", "latency", "delta", "receptive_field", "events")


def _rows(values: Any) -> List[List[Any]]:
    """A 2-D array-like (numpy array, nested lists) as a list of lists; a 1-D one as one row."""
    if hasattr(values, "tolist"):
        values = values.tolist()
    rows = [list(r) if hasattr(r, "__iter__") else r for r in values]
    if rows and not isinstance(rows[0], list):
        return [rows]
    return rows


def _events(events: Any) -> List[List[float]]:
    """(t_ms, x, y, polarity) rows from an (N, 4) array-like or a numpy structured array with
    fields t, x, y and p (or polarity)."""
    names = getattr(getattr(events, "dtype", None), "names", None)
    if names:
        pol = "p" if "p" in names else "polarity"
        columns = [events["t"], events["x"], events["y"], events[pol]]
        return [[float(t), int(x), int(y), int(p)] for t, x, y, p in zip(*columns)]
    return [list(e) for e in _rows(events)]


def _encoder_size(kind: str, keys: Mapping[str, Any]) -> int:
    """The number of neurons an encoder of `kind` with `keys` feeds (0 when the data is empty:
    the loader then refuses it naming the field)."""
    width = lambda rows: len(rows[0]) if rows else 0  # noqa: E731
    if kind in ("rate", "latency"):
        return width(keys.get("stimuli", []))
    if kind == "receptive_field":
        return width(keys.get("stimuli", [])) * int(keys.get("neurons", 0))
    if kind == "delta":
        return 2 * len(keys.get("signals", []))
    if kind == "events":
        return 2 * int(keys.get("width", 0)) * int(keys.get("height", 0))
    raise ValueError(f"encoder kind '{kind}' is not one of {', '.join(ENCODER_KINDS)}")


def uniform(low: Quantity, high: Quantity) -> Dict[str, Any]:
    """Uniform in ``[low, high)``."""
    return {"uniform": [low, high]}


def normal(
    mean: Quantity,
    std: Quantity,
    low: Optional[Quantity] = None,
    high: Optional[Quantity] = None,
    truncate: bool = False,
) -> Dict[str, Any]:
    """Normal, clipped to ``[low, high]`` (or redrawn there with ``truncate=True``)."""
    spec: Dict[str, Any] = {"mean": mean, "std": std}
    if low is not None:
        spec["low"] = low
    if high is not None:
        spec["high"] = high
    if truncate:
        spec["truncate"] = True
    return {"normal": spec}


def lognormal(mu: float, sigma: float, max: Quantity) -> Dict[str, Any]:
    """``sign(max) * exp(mu + sigma N(0, 1))``, at most ``|max|`` in magnitude."""
    return {"lognormal": {"mu": mu, "sigma": sigma, "max": max}}


def fixed_probability(p: float, autapses: bool = False) -> Dict[str, Any]:
    """Each pair independently with probability ``p``."""
    return {"rule": "fixed_probability", "p": p, "autapses": autapses}


def fixed_indegree(k: int, autapses: bool = False, multapses: bool = False) -> Dict[str, Any]:
    """Every target gets exactly ``k`` sources: distinct, or drawn with replacement with
    ``multapses=True`` (NEST's ``allow_multapses``)."""
    return {"rule": "fixed_indegree", "k": k, "autapses": autapses, "multapses": multapses}


def fixed_outdegree(k: int, autapses: bool = False, multapses: bool = False) -> Dict[str, Any]:
    """Every source gets exactly ``k`` targets: distinct, or drawn with replacement with
    ``multapses=True``."""
    return {"rule": "fixed_outdegree", "k": k, "autapses": autapses, "multapses": multapses}


def fixed_total(n: int, autapses: bool = False) -> Dict[str, Any]:
    """Exactly ``n`` synapses, pairs drawn with replacement."""
    return {"rule": "fixed_total", "n": n, "autapses": autapses}


def one_to_one() -> Dict[str, Any]:
    """Neuron ``i`` to neuron ``i``."""
    return {"rule": "one_to_one"}


def all_to_all(autapses: bool = False) -> Dict[str, Any]:
    """Every pair."""
    return {"rule": "all_to_all", "autapses": autapses}


def gaussian(p0: float, sigma: float, autapses: bool = False) -> Dict[str, Any]:
    """Each pair with probability ``p0 exp(-d^2 / (2 sigma^2))`` (populations need positions)."""
    return {"rule": "gaussian", "p0": p0, "sigma": sigma, "autapses": autapses}


def explicit(pre: Sequence[int], post: Sequence[int], weight: Sequence[float], delay: Sequence[float]) -> Dict[str, Any]:
    """The given connections: parallel sequences (numpy arrays welcome) of pre and post indices,
    weights (the target's unit) and delays (ms)."""
    import numpy as np

    pre_a, post_a = np.asarray(pre), np.asarray(post)
    w_a, d_a = np.broadcast_to(np.asarray(weight, dtype=float), pre_a.shape), np.broadcast_to(
        np.asarray(delay, dtype=float), pre_a.shape
    )
    if not (pre_a.shape == post_a.shape and pre_a.ndim == 1):
        raise ValueError(
            f"explicit connections: pre ({pre_a.shape}) and post ({post_a.shape}) must be one-dimensional and of one length"
        )
    columns = (pre_a.astype(np.int64).tolist(), post_a.astype(np.int64).tolist(), w_a.tolist(), d_a.tolist())
    return {"rule": "explicit", "connections": [list(row) for row in zip(*columns)]}


def stdp(
    w_max: Quantity,
    rule: str = "pair",
    w_min: Optional[Quantity] = None,
    tau_plus: Optional[Quantity] = None,
    tau_minus: Optional[Quantity] = None,
    a_plus: Optional[float] = None,
    a_minus: Optional[float] = None,
    pairing: Optional[str] = None,
    dependence: Optional[str] = None,
    mu: Optional[float] = None,
    dendritic_fraction: Optional[float] = None,
    modulation: Optional[Dict[str, Any]] = None,
    **more: Any,
) -> Dict[str, Any]:
    """A plasticity rule (`pair`, `triplet_visual_cortex`, `triplet_hippocampal`). Amplitudes
    are relative to ``w_max - w_min``; `pairing` is ``all_to_all`` or ``nearest``,
    `dependence` ``additive``, ``multiplicative`` or ``power_law`` (with `mu`). Further keys
    of the model-file table (``tau_x``, ``tau_y``, ``a3_plus``, ``a3_minus``) pass through."""
    spec: Dict[str, Any] = {"rule": rule, "w_max": w_max}
    optional = {
        "w_min": w_min,
        "tau_plus": tau_plus,
        "tau_minus": tau_minus,
        "a_plus": a_plus,
        "a_minus": a_minus,
        "pairing": pairing,
        "dependence": dependence,
        "mu": mu,
        "dendritic_fraction": dendritic_fraction,
        "modulation": modulation,
    }
    spec.update({k: v for k, v in optional.items() if v is not None})
    spec.update(more)
    return spec


def modulation(tau_eligibility: Quantity, interval: Optional[Quantity] = None, channel: str = "global") -> Dict[str, Any]:
    """Reward modulation of an STDP rule (Izhikevich 2007): changes go to an eligibility trace
    (time constant `tau_eligibility`) and move the weight every `interval` by trace x level of
    the neuromodulator `channel` (``"global"`` or a population name)."""
    spec: Dict[str, Any] = {"tau_eligibility": tau_eligibility, "channel": channel}
    if interval is not None:
        spec["interval"] = interval
    return spec


class Population:
    """A population of a `Network` under construction (its name, index and size)."""

    def __init__(self, network: "Network", index: int, name: str, size: int, model: str):
        self.network = network
        self.index = index
        self.name = name
        self.size = size
        self.model = model

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"<Population {self.index} '{self.name}': {self.size} {self.model}>"


class Projection:
    """A projection of a `Network` under construction; `index` is what `Simulator.weights`,
    `set_weights` and `delays` take."""

    def __init__(self, index: int, pre: Population, post: Population):
        self.index = index
        self.pre = pre
        self.post = post

    def __int__(self) -> int:
        return self.index

    def __index__(self) -> int:
        return self.index

    def __repr__(self) -> str:
        return f"<Projection {self.index}: {self.pre.name} -> {self.post.name}>"


PopulationRef = Union[Population, str]


class Network:
    """A network under construction: the document of a model file, built in Python.

    >>> net = Network(dt=0.1, seed=42)
    >>> exc = net.population("exc", 3200, "lif", params={"tau_m": "20 ms"}, init={"v": uniform(-60, -50)})
    >>> net.projection(exc, exc, fixed_probability(0.02), weight=1.62, delay=0.1)
    >>> model = net.build()
    """

    def __init__(
        self,
        dt: Quantity = 0.1,
        seed: int = 0,
        name: str = "network",
        duration: Optional[Quantity] = None,
        conventions: Optional[str] = None,
    ):
        """`conventions`: "spikegpu" (the default), "nest" or "brian2": the refractory count,
        threshold comparison, synaptic latency and spike stamp of that simulator (the README's
        table "Conventions"); the model file's top-level key of the same name."""
        self.document: Dict[str, Any] = {"name": name, "dt": dt, "seed": seed}
        if duration is not None:
            self.document["duration"] = duration
        if conventions is not None:
            self.document["conventions"] = conventions
        self._populations: List[Population] = []
        self._projections: List[Projection] = []

    def _name(self, pop: PopulationRef) -> str:
        if isinstance(pop, Population):
            if pop.network is not self:
                raise ValueError(f"population '{pop.name}' belongs to another network")
            return pop.name
        if isinstance(pop, str):
            return pop
        raise TypeError(f"a population is given as a Population or its name, not {type(pop).__name__}")

    def _population(self, pop: PopulationRef) -> Population:
        name = self._name(pop)
        for p in self._populations:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self._populations)
        raise ValueError(f"population '{name}' does not exist (defined: {known})")

    def population(
        self,
        name: str,
        size: int,
        model: str,
        params: Optional[Mapping[str, Value]] = None,
        init: Optional[Mapping[str, Value]] = None,
        preset: Optional[str] = None,
        spike_times: Optional[Sequence[Sequence[float]]] = None,
        per_neuron: Optional[Mapping[str, Any]] = None,
        izhikevich_abcd: Optional[Sequence[Sequence[float]]] = None,
        positions: Optional[Mapping[str, Any]] = None,
        heterogeneity: Optional[str] = None,
    ) -> Population:
        """Adds a population of `size` neurons of `model` (``lif``, ``lif_cond``,
        ``izhikevich``, ``adex``, ``hh``, ``spike_source``, ``poisson_source``) with
        `params` (see README: Model library), initial values `init` (``v``, ``u``/``w``,
        ``syn_e``, ``syn_i``: values or distributions), a named `preset` (Izhikevich RS...,
        AdEx tonic...), spike times per neuron (ms) for ``spike_source``, per-neuron
        ``threshold``/``bias`` (lists or distributions), Izhikevich (a, b, c, d) rows, and
        positions (``{"grid": [nx, ny], "spacing": s}`` or ``{"random": [x, y, z]}``)."""
        entry: Dict[str, Any] = {"name": name, "size": size, "model": model}
        optional = {
            "params": dict(params) if params else None,
            "init": dict(init) if init else None,
            "preset": preset,
            "spike_times_ms": spike_times,
            "per_neuron": dict(per_neuron) if per_neuron else None,
            "izhikevich_abcd": izhikevich_abcd,
            "positions": dict(positions) if positions else None,
            "heterogeneity": heterogeneity,
        }
        entry.update({k: v for k, v in optional.items() if v is not None})
        self.document.setdefault("population", []).append(entry)
        pop = Population(self, len(self._populations), name, size, model)
        self._populations.append(pop)
        self._renumber()
        return pop

    def projection(
        self,
        pre: PopulationRef,
        post: PopulationRef,
        connectivity: Mapping[str, Any],
        weight: Optional[Value] = None,
        delay: Optional[Value] = None,
        receptor: str = "excitatory",
        plasticity: Optional[Mapping[str, Any]] = None,
        procedural: bool = False,
        short_term: Optional[Mapping[str, Any]] = None,
        release_probability: Optional[Any] = None,
    ) -> Projection:
        """Adds synapses from `pre` to `post` by `connectivity` (`fixed_probability`, ...),
        with `weight` (the target's unit; negative for ``receptor="inhibitory"``) and `delay`
        (ms, at least one tick), values or distributions; optionally plastic (`stdp`) or
        procedural (rows regenerated per spike, nothing stored); `short_term` = {"u": U,
        "tau_rec": ..., "tau_facil": ...} for Tsodyks-Markram depression and facilitation
        (NEST's tsodyks2_synapse; the model file's `short_term` table); `release_probability`
        = p in [0, 1], or rows of them (one per pre-synaptic neuron, one value per post-synaptic
        neuron), for stochastic release: each synapse transmits each spike with its p, drawn
        independently (PyNN's SimpleStochasticSynapse)."""
        entry: Dict[str, Any] = {
            "pre": self._name(pre),
            "post": self._name(post),
            "connectivity": dict(connectivity),
            "receptor": receptor,
        }
        if weight is not None:
            entry["weight"] = weight
        if delay is not None:
            entry["delay"] = delay
        if plasticity is not None:
            entry["plasticity"] = dict(plasticity)
        if procedural:
            entry["procedural"] = True
        if short_term is not None:
            entry["short_term"] = dict(short_term)
        if release_probability is not None:
            # numpy arrays as nested lists (the document converter takes numpy scalars only).
            tolist = getattr(release_probability, "tolist", None)
            entry["release_probability"] = tolist() if tolist else release_probability
        self.document.setdefault("projection", []).append(entry)
        proj = Projection(len(self._projections), self._population(pre), self._population(post))
        self._projections.append(proj)
        return proj

    def poisson(
        self,
        target: PopulationRef,
        weight: Quantity,
        rate: Optional[Quantity] = None,
        schedule: Optional[Sequence[Sequence[Quantity]]] = None,
        receptor: str = "excitatory",
    ) -> None:
        """Adds independent Poisson trains onto every neuron of `target`: a constant `rate` or
        a `schedule` of (start, rate) pairs starting at 0."""
        entry: Dict[str, Any] = {"target": self._name(target), "weight": weight, "receptor": receptor}
        if rate is not None:
            entry["rate"] = rate
        if schedule is not None:
            entry["schedule"] = [list(s) for s in schedule]
        self.document.setdefault("poisson", []).append(entry)

    def current(
        self,
        target: PopulationRef,
        dc: Optional[Quantity] = None,
        step_times: Optional[Sequence[Quantity]] = None,
        step_amplitudes: Optional[Sequence[Quantity]] = None,
        noise_mean: Optional[Quantity] = None,
        noise_std: Optional[Quantity] = None,
        sine_amplitude: Optional[Quantity] = None,
        sine_offset: Optional[Quantity] = None,
        sine_frequency: Optional[Quantity] = None,
        sine_phase: Optional[float] = None,
        sine_start: Optional[Quantity] = None,
        sine_stop: Optional[Quantity] = None,
        neurons: Optional[Sequence[int]] = None,
    ) -> None:
        """Injects a current into every neuron of `target`, or into the listed `neurons` only
        (the model's current unit: mV for ``lif``, pA for ``lif_cond``, ``adex``, ``hh``):
        constant `dc`, piecewise constant steps, Gaussian noise redrawn every tick, or a sine
        ``sine_offset + sine_amplitude * sin(2 pi f (t - start) + phase)`` within
        ``[sine_start, sine_stop)`` (PyNN's ACSource; `sine_phase` in degrees)."""
        entry: Dict[str, Any] = {"target": self._name(target)}
        optional = {
            "dc": dc,
            "step_times": None if step_times is None else list(step_times),
            "step_amplitudes": None if step_amplitudes is None else list(step_amplitudes),
            "noise_mean": noise_mean,
            "noise_std": noise_std,
            "sine_amplitude": sine_amplitude,
            "sine_offset": sine_offset,
            "sine_frequency": sine_frequency,
            "sine_phase": sine_phase,
            "sine_start": sine_start,
            "sine_stop": sine_stop,
            "neurons": None if neurons is None else [int(i) for i in neurons],
        }
        entry.update({k: v for k, v in optional.items() if v is not None})
        self.document.setdefault("current", []).append(entry)

    def neuromodulator(
        self,
        channel: Union[PopulationRef, str] = "global",
        tau: Optional[Quantity] = None,
        baseline: float = 0.0,
        pulses: Optional[Sequence[Sequence[Any]]] = None,
    ) -> None:
        """Declares a neuromodulator channel (``"global"`` or a population's) relaxing to
        `baseline` with `tau` (never, if None), with optional timed (time, amount) pulses."""
        name = channel if channel == "global" else self._name(channel)
        entry: Dict[str, Any] = {"channel": name, "baseline": baseline}
        if tau is not None:
            entry["tau"] = tau
        if pulses is not None:
            entry["pulses"] = [list(p) for p in pulses]
        self.document.setdefault("neuromodulator", []).append(entry)

    def encoder(self, name: str, kind: str, **keys: Any) -> Population:
        """Adds a source population fed by an input encoder (the ``[[encoder]]`` table of model
        files; README: Input encoders). Arrays may be numpy arrays. Stimulus k is shown from
        ``start + k (present + rest)`` for ``present``. Keys per `kind`:

        - ``rate``: `stimuli` (one row of intensities in [0, 1] per stimulus), `max_rate`,
          `present`, `rest`, `start`: Poisson trains at max_rate x intensity, drawn on the
          device, the whole sequence without the host.
        - ``latency``: `stimuli`, `scale` (``linear`` with `t_max`, or ``log`` with `tau`),
          `threshold`, `present`, `rest`, `start`: one spike per neuron and stimulus.
        - ``delta``: `signals` (one row of samples per channel), `sample`, `threshold`,
          `start`: neuron 2c (ON) / 2c + 1 (OFF) fires per crossing of +/- threshold.
        - ``receptive_field``: `stimuli` (scalars), `neurons`, `low`, `high`, `field_width`,
          `max_rate`, `present`, `rest`, `start`: Gaussian fields per scalar.
        - ``events``: `width`, `height`, `events` ((N, 4) rows t_ms, x, y, polarity sorted by
          time, or a structured array with fields t, x, y, p), `start`: neuron
          (y width + x) 2 + p; same-tick events of a neuron merge into one spike.
        """
        entry: Dict[str, Any] = {"name": name, "kind": kind}
        for key, value in keys.items():
            if value is None:
                continue
            if key in ("stimuli", "signals"):
                value = _rows(value)
            elif key == "events":
                value = _events(value)
            entry[key] = value
        size = _encoder_size(kind, entry)
        self.document.setdefault("encoder", []).append(entry)
        pop = Population(self, len(self._populations), name, size, f"{kind} encoder")
        self._populations.append(pop)
        self._renumber()
        return pop

    def _renumber(self) -> None:
        """Sets each population's index to its place in the built network, where the encoders'
        populations follow the ``[[population]]`` tables."""
        ordered = sorted(self._populations, key=lambda p: p.model.endswith(" encoder"))
        for i, p in enumerate(ordered):
            p.index = i

    def record_spikes(self, populations: Sequence[PopulationRef]) -> None:
        """Keeps the spikes of these populations only (all are kept by default)."""
        self.document.setdefault("record", {})["spikes"] = [self._name(p) for p in populations]

    def probe(
        self,
        population: PopulationRef,
        variable: str,
        neurons: Sequence[int],
        interval: Quantity,
    ) -> int:
        """Records `variable` (``v``, ``u``, ``syn_e``, ``syn_i``) of `neurons` every
        `interval`; returns the probe's id for `Simulator.probe`."""
        state = self.document.setdefault("record", {}).setdefault("state", [])
        state.append(
            {
                "population": self._name(population),
                "variable": variable,
                "neurons": [int(n) for n in neurons],
                "interval": interval,
            }
        )
        return len(state) - 1

    @property
    def populations(self) -> List[Population]:
        """The populations added so far, in the built network's order (encoders last)."""
        return sorted(self._populations, key=lambda p: p.index)

    @property
    def projections(self) -> List[Projection]:
        """The projections added so far."""
        return list(self._projections)

    def to_toml(self) -> str:
        """The model file this network stands for (error positions refer to its lines)."""
        return _spikegpu.document_to_toml(self.document)

    def build(self, seed: Optional[int] = None) -> "_spikegpu.Model":
        """Validates the network with the engine's model-file loader and freezes it; `seed`
        overrides the network's. Raises ``ValueError`` with the engine's message."""
        return _spikegpu.from_document(self.document, seed=seed, origin="<network>")

    def neuron_model(
        self,
        name: str,
        equations: str,
        threshold: Optional[str] = None,
        reset: Optional[str] = None,
        refractory: Optional[Quantity] = None,
        method: Optional[Union[str, Mapping[str, str]]] = None,
        update: Optional[str] = None,
        params: Optional[Mapping[str, Quantity]] = None,
        inputs: Optional[Mapping[str, str]] = None,
        initial: Optional[Mapping[str, Quantity]] = None,
    ) -> str:
        """Declares a user-defined neuron model (a ``[[neuron_model]]`` table: equations in
        Brian2's notation, see docs/equations.md) and returns its name, which `population`
        then takes as its model."""
        entry: Dict[str, Any] = {"name": name, "equations": equations}
        optional = {
            "threshold": threshold,
            "reset": reset,
            "refractory": refractory,
            "method": method if method is None or isinstance(method, str) else dict(method),
            "update": update,
            "params": dict(params) if params else None,
            "inputs": dict(inputs) if inputs else None,
            "initial": dict(initial) if initial else None,
        }
        entry.update({k: v for k, v in optional.items() if v is not None})
        self.document.setdefault("neuron_model", []).append(entry)
        return name
