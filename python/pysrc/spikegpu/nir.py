"""NIR interchange: `load` turns a NIR graph (the ``nir`` package, 1.0) into a spikegpu
network, `save` writes one back.

``net = spikegpu.nir.load(graph_or_path, dt=1e-3)`` returns a `NirNetwork`, a `Network`
whose populations are the graph's neuron nodes and whose explicit projections are the linear
maps between them. ``net.run({"input": spikes})`` runs it and returns each Output's values;
``spikegpu.Simulator(net)`` works as for any network.

Nodes:

- ``Input`` -> a ``spike_source`` population; its spikes (0/1 arrays ``[T, *shape]``) are
  given to `NirNetwork.run` or `NirNetwork.set_inputs`.
- ``LIF``, ``CubaLIF``, ``IF``, ``LI``, ``CubaLI``, ``I`` (Integrator), ``Threshold`` -> one population
  each, of a user-defined equation model (``nir_lif``, ...) with the node's parameters; array
  parameters that differ between neurons are per-neuron parameters of that one population.
- ``Linear``, ``Affine``, ``Scale``, ``Flatten`` (C order), ``Delay``, ``Conv1d``, ``Conv2d``,
  ``SumPool2d``, ``AvgPool2d`` -> composed, along every path between two neuron nodes, into
  one sparse matrix per delay: explicit connections (convolutions and pooling are expanded,
  as PyTorch defines them); an Affine or convolution bias becomes a
  constant input of the target neurons (the per-neuron parameter ``bias``).
- ``Output`` -> the spikes of the neuron node feeding it, or the state ``v`` (every tick) of
  the ``LI``, ``CubaLI`` or ``I`` node feeding it.

A nested ``NIRGraph`` node (snnTorch exports its recurrent layers so) is inlined: its node
``b`` becomes ``<graph>.b``. Any other node raises `UnsupportedNode` naming the node and
its type.

Time steps and the engine's tick semantics (the adaptations):

- NIR's equations are continuous; spikegpu integrates them by forward Euler with the step
  `dt` (in NIR's time unit, seconds by convention; one engine tick, ``dt * 1000`` ms). A
  tick adds the input x (the weighted spikes arriving plus the bias) and updates
  LIF/LI ``v += dt/tau * (v_leak - v + r*x)``; IF/I ``v += dt*r*x``; CubaLIF/CubaLI first
  ``I += dt/tau_syn * (w_in*x - I)``, then ``v += dt/tau_mem * (v_leak - v + r*I)`` with the
  new ``I`` (snnTorch's order: its export sets ``w_in = tau_syn/dt``, ``r = tau_mem/dt``, so
  that this reproduces its discrete neuron); Threshold ``v = x``. A spike is ``v > v_threshold``,
  after which ``v = v_reset`` in the same tick. A spike counts as 1 in x (not as a Dirac
  impulse of area 1). The state starts at 0.
- Every edge from a spiking node to a neuron takes one tick (the engine's minimum delay): a
  spike emitted in tick t is input in tick t+1, also along feed-forward edges (so an L-layer
  network answers L ticks after its input, and a recurrent edge also takes one tick). A NIR
  ``Delay`` adds ``round(delay/dt)`` ticks to that (it must be a multiple of dt).
- Edges carry spikes only: the graded output of ``LI``, ``CubaLI`` and ``I`` nodes can feed an Output
  only; feeding it into another node is refused, as is an Output fed through a linear node.
- Weights are stored in the engine's fixed-point format: ``round(f32(w) * 2^k) / 2^k`` with
  the largest k <= 20 at which no neuron's summed |w| can overflow 32 bits (k = 20, a
  resolution of 9.5e-7, for summed |w| below 2047 per neuron).

`save` writes a `NirNetwork` (its current document) as a graph with flat (1-D) nodes: its
populations, one ``Linear`` (an ``Affine`` where the target has a bias) per pair of
populations and delay, followed by a ``Delay`` where the delay exceeds one tick, and the
Output nodes; loading it gives back the same populations, connections and spikes.
Convolutions are written as their expanded matrices.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Tuple

import numpy as np

from .network import Network, explicit

__all__ = ["load", "save", "NirNetwork", "UnsupportedNode"]


class UnsupportedNode(ValueError):
    """A NIR node (or a use of one) that spikegpu cannot run."""


# NIR type -> (equation model, its parameters named as the NIR node's fields).
_NEURONS: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    "LIF": ("nir_lif", ("tau", "r", "v_leak", "v_threshold", "v_reset")),
    "CubaLIF": ("nir_cubalif", ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in")),
    "IF": ("nir_if", ("r", "v_threshold", "v_reset")),
    "LI": ("nir_li", ("tau", "r", "v_leak")),
    "CubaLI": ("nir_cubali", ("tau_syn", "tau_mem", "r", "v_leak", "w_in")),
    "I": ("nir_integrator", ("r",)),
    "Threshold": ("nir_threshold", ("threshold",)),
}
_GRADED = ("LI", "CubaLI", "I")
_TRANSFORMS = ("Linear", "Affine", "Scale", "Flatten", "Delay", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d")
_PUBLIC = ("Input", "Output") + tuple(_NEURONS) + _TRANSFORMS
_SUPPORTED = _PUBLIC + ("_Passage",)

_LEAKY = "v = v + dt_nir/{tau}*(v_leak - v + r*{x})"
_CUBA = "I_syn = I_syn + dt_nir/tau_syn*(w_in*(x_in + bias) - I_syn)\n" + _LEAKY.format(tau="tau_mem", x="I_syn")
# The update statements of each model (Euler, see the module's docstring).
_UPDATES = {
    "nir_lif": _LEAKY.format(tau="tau", x="(x_in + bias)"),
    "nir_li": _LEAKY.format(tau="tau", x="(x_in + bias)"),
    "nir_cubalif": _CUBA,
    "nir_cubali": _CUBA,
    "nir_if": "v = v + dt_nir*r*(x_in + bias)",
    "nir_integrator": "v = v + dt_nir*r*(x_in + bias)",
    "nir_threshold": "v = x_in + bias",
}
_THRESHOLDS = {
    "nir_lif": "v > v_threshold",
    "nir_cubalif": "v > v_threshold",
    "nir_if": "v > v_threshold",
    "nir_threshold": "v > threshold",
}


def _declare_model(net: Network, model: str, fields: Tuple[str, ...], dt: float) -> None:
    """Declares NIR neuron model `model` (dimensionless; dt in NIR's unit) in `net`."""
    threshold = _THRESHOLDS.get(model)
    net.neuron_model(
        model,
        equations="v : 1\nI_syn : 1" if model.startswith("nir_cuba") else "v : 1",
        update=_UPDATES[model],
        threshold=threshold,
        reset="v = v_reset" if "v_reset" in fields else None,
        # Placeholders: every population sets each of the node's fields.
        params={"dt_nir": dt, **{f: 1.0 for f in fields}, "bias": 0.0, "x_in": 0.0},
        inputs={"excitatory": "x_in", "inhibitory": "x_in"},
    )


# A drive: what reaches a node, as {(source population, extra delay in ticks): sparse matrix
# [n_out, n_source]} and a constant bias [n_out].
Drive = Tuple[Dict[Tuple[str, int], Any], np.ndarray]


def _size(name: str, node: Any, key: str = "output") -> int:
    types = node.output_type if key == "output" else node.input_type
    shape = None if types is None else types.get(key)
    if shape is None:
        raise UnsupportedNode(
            f"NIR node '{name}' ({type(node).__name__}) has no known {key} shape; give it one or call graph.infer_types()"
        )
    return int(np.prod(np.asarray(shape)))


def _tuple(value: Any, nd: int) -> Tuple[int, ...]:
    arr = np.atleast_1d(np.asarray(value, dtype=np.int64))
    return tuple(int(x) for x in (np.repeat(arr, nd) if arr.size == 1 else arr))


def _conv_channels(node: Any) -> int:
    """Input channels of a convolution: weight.shape[1] per group (nir's own input type
    counts one group's)."""
    return int(np.asarray(node.weight).shape[1]) * int(node.groups)


def _input_size(name: str, node: Any) -> Optional[int]:
    """How many values a node takes; None for a pass-through node whose shape nir left open
    (snnTorch exports Flatten without one): it takes what arrives."""
    kind = type(node).__name__
    if kind in ("Conv1d", "Conv2d"):
        return _conv_channels(node) * int(np.prod(np.asarray(node.input_type["input"])[1:]))
    if kind in ("Flatten", "_Passage") and (node.input_type or {}).get("input") is None:
        return None
    return _size(name, node, "input")


def _pool_as_conv(name: str, node: Any) -> Any:
    """A SumPool2d or AvgPool2d as the convolution it is: one kernel of ones (or of
    1/(kh*kw), PyTorch's average counting the zero padding) per channel, in as many groups."""
    from types import SimpleNamespace

    in_type = node.input_type.get("input")
    if in_type is None:
        raise UnsupportedNode(f"NIR node '{name}' ({type(node).__name__}) needs its input shape (C, H, W)")
    channels, kernel = int(np.asarray(in_type)[0]), _tuple(node.kernel_size, 2)
    value = 1.0 if type(node).__name__ == "SumPool2d" else 1.0 / (kernel[0] * kernel[1])
    return SimpleNamespace(
        weight=np.full((channels, 1) + kernel, value),
        stride=node.stride,
        padding=node.padding,
        dilation=1,
        groups=channels,
        bias=np.zeros(channels),
        input_type=node.input_type,
    )


def _conv_geometry(name: str, node: Any) -> Dict[str, Tuple[int, ...]]:
    """Input and output sizes, stride, left padding and dilation per spatial dimension."""
    kind = type(node).__name__
    kernel = np.asarray(node.weight).shape[2:]
    nd = len(kernel)
    in_type = node.input_type.get("input")
    if in_type is None or len(np.atleast_1d(in_type)) != nd + 1:
        raise UnsupportedNode(f"NIR node '{name}' ({kind}) needs its input shape (C_in, spatial...)")
    in_shape = tuple(int(s) for s in np.asarray(in_type)[1:])
    stride, dilation = _tuple(node.stride, nd), _tuple(node.dilation, nd)
    if isinstance(node.padding, str):
        if node.padding == "same" and any(s != 1 for s in stride):
            raise UnsupportedNode(f"NIR node '{name}' ({kind}): padding 'same' with stride > 1")
        same = node.padding == "same"
        pad = tuple((d * (k - 1)) // 2 if same else 0 for d, k in zip(dilation, kernel))
    else:
        same, pad = False, _tuple(node.padding, nd)
    out_shape = in_shape if same else tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1 for n, p, d, k, s in zip(in_shape, pad, dilation, kernel, stride)
    )
    return {"in": in_shape, "out": out_shape, "stride": stride, "pad": pad, "dilation": dilation}


def _conv_matrix(name: str, node: Any) -> Tuple[Any, np.ndarray]:
    """A Conv1d/Conv2d as a sparse matrix [C_out*out, C_in*in] (PyTorch's cross-correlation
    with zero padding, stride, dilation and groups) and its bias per output."""
    import scipy.sparse as sp

    weight = np.asarray(node.weight, dtype=float)
    c_out, c_in_group = weight.shape[:2]
    groups = int(node.groups)
    if c_out % groups:
        raise UnsupportedNode(f"NIR node '{name}' ({type(node).__name__}): {c_out} output channels in {groups} groups")
    geo = _conv_geometry(name, node)
    in_shape = np.array(geo["in"])[:, None]
    out_pos = np.indices(geo["out"]).reshape(len(geo["out"]), -1)
    n_out_pos, n_in_pos = out_pos.shape[1], int(np.prod(geo["in"]))
    # Input position of every output position for kernel offset 0.
    origin = out_pos * np.array(geo["stride"])[:, None] - np.array(geo["pad"])[:, None]
    rows, cols, vals = [], [], []
    for co, ci_local, *k in np.ndindex(*weight.shape):
        w = weight[(co, ci_local, *k)]
        if w == 0.0:
            continue
        ci = (co // (c_out // groups)) * c_in_group + ci_local
        pos = origin + (np.array(k) * np.array(geo["dilation"]))[:, None]
        valid = np.all((pos >= 0) & (pos < in_shape), axis=0)
        rows.append(co * n_out_pos + np.flatnonzero(valid))
        cols.append(ci * n_in_pos + np.ravel_multi_index(tuple(pos[:, valid]), geo["in"]))
        vals.append(np.full(len(rows[-1]), w))
    shape = (c_out * n_out_pos, c_in_group * groups * n_in_pos)
    bias = np.repeat(np.broadcast_to(np.asarray(node.bias, dtype=float), (c_out,)), n_out_pos)
    if not rows:
        return sp.csr_matrix(shape), bias
    matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape)
    return matrix, bias


class _Passage:
    """The Input or Output node of a nested graph: values pass through unchanged."""

    def __init__(self, node: Any):
        shape = node.input_type.get("input") if type(node).__name__ == "Input" else node.output_type.get("output")
        self.input_type = {"input": shape}
        self.output_type = {"output": shape}


def _flatten_graph(graph: Any, prefix: str = "") -> Tuple[Dict[str, Any], List[Tuple[str, str]]]:
    """The nodes and edges of `graph` with nested graphs (as snnTorch exports recurrent layers)
    inlined: node ``b`` of subgraph ``a`` becomes ``a.b``; the subgraph's Input and Output
    nodes pass values through, and an edge into or out of ``a`` goes to its Input or Output."""
    nodes: Dict[str, Any] = {}
    ends: Dict[str, Tuple[str, str]] = {}
    edges: List[Tuple[str, str]] = []
    for name, node in graph.nodes.items():
        full = prefix + name
        if type(node).__name__ != "NIRGraph":
            nodes[full] = _Passage(node) if prefix and type(node).__name__ in ("Input", "Output") else node
            continue
        inner, inner_edges = _flatten_graph(node, full + ".")
        ins = [k for k, n in node.nodes.items() if type(n).__name__ == "Input"]
        outs = [k for k, n in node.nodes.items() if type(n).__name__ == "Output"]
        if len(ins) != 1 or len(outs) != 1:
            raise UnsupportedNode(
                f"NIR node '{full}' (NIRGraph): a nested graph needs one Input and one Output node, not {len(ins)} and {len(outs)}"
            )
        nodes.update(inner)
        edges += inner_edges
        ends[full] = (f"{full}.{ins[0]}", f"{full}.{outs[0]}")
    for src, dst in graph.edges:
        src, dst = prefix + src, prefix + dst
        edges.append((ends[src][1] if src in ends else src, ends[dst][0] if dst in ends else dst))
    return nodes, edges


class _Compiler:
    """Walks a NIR graph: populations for its neuron nodes, drives for what reaches them."""

    def __init__(self, graph: Any, dt: float):
        self.graph, self.dt = graph, dt
        nodes, edges = _flatten_graph(graph)
        self.nodes: Dict[str, Any] = nodes
        self.incoming: Dict[str, List[str]] = {name: [] for name in self.nodes}
        for src, dst in edges:
            for end in (src, dst):
                if end not in self.nodes:
                    raise ValueError(f"NIR edge ({src!r}, {dst!r}) names node {end!r}, which the graph lacks")
            self.incoming[dst].append(src)
        for name, node in self.nodes.items():
            kind = type(node).__name__
            if kind not in _SUPPORTED:
                raise UnsupportedNode(
                    f"NIR node '{name}' of type {kind} is not supported by spikegpu.nir "
                    f"(supported: {', '.join(_PUBLIC)}, nested NIRGraph)"
                )
        self.memo: Dict[str, Drive] = {}
        self.visiting: set = set()

    def kind(self, name: str) -> str:
        return type(self.nodes[name]).__name__

    def is_population(self, name: str) -> bool:
        return self.kind(name) == "Input" or self.kind(name) in _NEURONS

    def drive_into(self, name: str, n_out: Optional[int]) -> Drive:
        """The sum of what the edges into `name` carry (`n_out` values; None: as many as come)."""
        terms: Dict[Tuple[str, int], Any] = {}
        bias = None if n_out is None else np.zeros(n_out)
        for src in self.incoming[name]:
            src_terms, src_bias = self.output_of(src)
            if n_out is None:
                n_out, bias = len(src_bias), np.zeros(len(src_bias))
            for key, m in src_terms.items():
                if m.shape[0] != n_out:
                    raise ValueError(f"NIR edge ({src!r}, {name!r}): {m.shape[0]} values reach a node of size {n_out}")
                terms[key] = terms[key] + m if key in terms else m
            if len(src_bias) != n_out:
                raise ValueError(f"NIR edge ({src!r}, {name!r}): {len(src_bias)} values reach a node of size {n_out}")
            bias = bias + src_bias
        if bias is None:
            raise UnsupportedNode(f"NIR node '{name}' ({self.kind(name)}) has no input and no known input shape")
        return terms, bias

    def output_of(self, name: str) -> Drive:
        import scipy.sparse as sp

        if self.is_population(name):
            n = _size(name, self.nodes[name])
            return {(name, 0): sp.identity(n, format="csr")}, np.zeros(n)
        if name in self.memo:
            return self.memo[name]
        if name in self.visiting:
            raise UnsupportedNode(f"NIR node '{name}' ({self.kind(name)}) is on a cycle without a neuron node")
        self.visiting.add(name)
        node = self.nodes[name]
        terms, bias = self.drive_into(name, _input_size(name, node))
        result = self.transform(name, node, terms, bias)
        self.visiting.discard(name)
        self.memo[name] = result
        return result

    def transform(self, name: str, node: Any, terms: Dict[Tuple[str, int], Any], bias: np.ndarray) -> Drive:
        import scipy.sparse as sp

        kind = type(node).__name__
        if kind in ("Flatten", "_Passage"):
            return terms, bias
        if kind == "Delay":
            return self.delayed(name, node, terms), bias
        if kind in ("Linear", "Affine"):
            weight = np.asarray(node.weight, dtype=float)
            if weight.ndim != 2:
                raise UnsupportedNode(f"NIR node '{name}' ({kind}): weight of shape {weight.shape}; only 2-D weights are supported")
            extra = np.asarray(node.bias, dtype=float).ravel() if kind == "Affine" else 0.0
            matrix = sp.csr_matrix(weight)
        elif kind == "Scale":
            matrix, extra = sp.diags(np.asarray(node.scale, dtype=float).ravel(), format="csr"), 0.0
        elif kind in ("SumPool2d", "AvgPool2d"):
            matrix, extra = _conv_matrix(name, _pool_as_conv(name, node))
        else:
            matrix, extra = _conv_matrix(name, node)
        return {k: (matrix @ m).tocsr() for k, m in terms.items()}, matrix @ bias + extra

    def delayed(self, name: str, node: Any, terms: Dict[Tuple[str, int], Any]) -> Dict[Tuple[str, int], Any]:
        import scipy.sparse as sp

        delays = np.asarray(node.delay, dtype=float).ravel() / self.dt
        ticks = np.rint(delays).astype(np.int64)
        if np.any(np.abs(delays - ticks) > 1e-6 * np.maximum(1.0, delays)) or np.any(ticks < 0):
            raise UnsupportedNode(f"NIR node '{name}' (Delay): delays must be non-negative multiples of dt = {self.dt}")
        out: Dict[Tuple[str, int], Any] = {}
        for (src, d), m in terms.items():
            for extra in np.unique(ticks):
                rows = sp.diags((ticks == extra).astype(float), format="csr") @ m
                key = (src, d + int(extra))
                out[key] = out[key] + rows if key in out else rows
        return out


class NirNetwork(Network):
    """A `Network` made from a NIR graph by `load`: `inputs` and `outputs` name its Input and
    Output nodes; `run` feeds spikes in and returns the outputs; `save` writes it back."""

    def __init__(self, dt: float, name: str = "nir", seed: int = 0):
        super().__init__(dt=dt * 1000.0, seed=seed, name=name)
        self.dt = dt
        self.dt_ms = dt * 1000.0
        self.shapes: Dict[str, Tuple[int, ...]] = {}
        self.inputs: List[str] = []
        self.outputs: Dict[str, Tuple[str, str, Optional[int]]] = {}

    def set_inputs(self, inputs: Mapping[str, Any]) -> int:
        """Sets the spikes of Input nodes: ``{name: array [T, *shape] of 0/1}``; returns T."""
        steps = 0
        entries = {p["name"]: p for p in self.document.get("population", [])}
        for name, values in inputs.items():
            if name not in self.inputs:
                raise ValueError(f"'{name}' is not an Input node of this network (inputs: {', '.join(self.inputs)})")
            entry = entries[name]
            arr = np.asarray(values)
            n = entry["size"]
            if arr.ndim < 1 or arr.size != arr.shape[0] * n:
                raise ValueError(f"input '{name}': shape {arr.shape}, expected [T, {n} values per step]")
            arr = arr.reshape(arr.shape[0], n)
            if not np.all((arr == 0) | (arr == 1)):
                raise ValueError(f"input '{name}': spikegpu inputs are spikes, values 0 or 1 (graded inputs are not supported)")
            ticks, neurons = np.nonzero(arr)
            times: List[List[float]] = [[] for _ in range(n)]
            for t, i in zip(ticks.tolist(), neurons.tolist()):
                times[i].append(t * self.dt_ms)
            entry["spike_times_ms"] = times
            steps = max(steps, arr.shape[0])
        return steps

    def run(self, inputs: Mapping[str, Any], steps: Optional[int] = None, backend: str = "cpu") -> Dict[str, np.ndarray]:
        """Runs `steps` ticks (default: the inputs' length) on `backend` and returns every
        Output: spikes as 0/1 ``[steps, *shape]``, LI/CubaLI/I states ``v`` (after each tick) as floats."""
        from . import Simulator

        length = self.set_inputs(inputs)
        steps = length if steps is None else steps
        sim = Simulator(self, backend=backend)
        sim.run(steps * self.dt_ms)
        return self.read_outputs(sim, steps)

    def read_outputs(self, sim: Any, steps: int) -> Dict[str, np.ndarray]:
        """The Output nodes' values from a simulator that ran `steps` ticks of this network."""
        result = {}
        for name, (pop, kind, probe) in self.outputs.items():
            shape = self.shapes[pop]
            if kind == "spikes":
                times, neurons = sim.spikes(pop)
                ticks = np.rint(np.asarray(times) / self.dt_ms).astype(np.int64)
                keep = ticks < steps
                out = np.zeros((steps, int(np.prod(shape))), dtype=np.uint8)
                out[ticks[keep], np.asarray(neurons, dtype=np.int64)[keep]] = 1
            else:
                _, values = sim.probe(probe)
                out = np.asarray(values)[1 : steps + 1]
            result[name] = out.reshape((steps,) + tuple(shape))
        return result


def _read_graph(graph_or_path: Any) -> Any:
    import nir

    if isinstance(graph_or_path, (str, os.PathLike)):
        return nir.read(graph_or_path)
    if not isinstance(graph_or_path, nir.NIRGraph):
        raise TypeError(f"load takes a nir.NIRGraph or a path to a NIR file, not {type(graph_or_path).__name__}")
    return graph_or_path


def _values(name: str, node: Any, field: str, n: int) -> Any:
    """A node's parameter: a number when uniform, a list of n otherwise."""
    arr = np.asarray(getattr(node, field), dtype=float).ravel()
    if arr.size == 1:
        arr = np.repeat(arr, n)
    if arr.size != n:
        raise UnsupportedNode(f"NIR node '{name}' ({type(node).__name__}): {field} has {arr.size} values for {n} neurons")
    return float(arr[0]) if np.all(arr == arr[0]) else arr.tolist()


def load(graph_or_path: Any, dt: Optional[float] = None, seed: int = 0) -> NirNetwork:
    """A `NirNetwork` from a NIR graph or file. `dt` is the step in NIR's time unit (default:
    the graph's ``metadata["dt"]``, else 1e-3). Raises `UnsupportedNode` naming an unsupported
    node and its type, or a use spikegpu cannot run."""
    graph = _read_graph(graph_or_path)
    if dt is None:
        dt = float(np.asarray((getattr(graph, "metadata", None) or {}).get("dt", 1e-3)))
    if not dt > 0:
        raise ValueError(f"dt = {dt}: the step must be positive (NIR's time unit, seconds by convention)")
    comp = _Compiler(graph, dt)
    net = NirNetwork(dt, seed=seed)
    for name, node in comp.nodes.items():
        if comp.is_population(name):
            _add_population(net, comp, name, node)
    for name in list(comp.nodes):
        if comp.kind(name) in _NEURONS:
            _connect(net, comp, name)
        elif comp.kind(name) == "Output":
            _add_output(net, comp, name)
    return net


def _add_population(net: NirNetwork, comp: _Compiler, name: str, node: Any) -> None:
    kind = type(node).__name__
    n = _size(name, node)
    net.shapes[name] = tuple(int(s) for s in np.atleast_1d(np.asarray(node.output_type["output"])))
    if kind == "Input":
        if comp.incoming[name]:
            raise UnsupportedNode(f"NIR node '{name}' (Input) has incoming edges")
        net.population(name, n, "spike_source", spike_times=[[] for _ in range(n)])
        net.inputs.append(name)
        return
    model, fields = _NEURONS[kind]
    if model not in {m["name"] for m in net.document.get("neuron_model", [])}:
        _declare_model(net, model, fields, net.dt)
    params: Dict[str, Any] = {}
    per_neuron: Dict[str, Any] = {}
    for field in fields:
        value = _values(name, node, field, n)
        (per_neuron if isinstance(value, list) else params)[field] = value
    net.population(name, n, model, params=params, per_neuron=per_neuron)


def _connect(net: NirNetwork, comp: _Compiler, name: str) -> None:
    """Explicit projections for the drive of neuron node `name`, and its bias."""
    n = _size(name, comp.nodes[name])
    terms, bias = comp.drive_into(name, n)
    for (src, delay), matrix in sorted(terms.items()):
        if comp.kind(src) in _GRADED:
            raise UnsupportedNode(
                f"NIR node '{src}' ({comp.kind(src)}) feeds '{name}' ({comp.kind(name)}): its output is graded "
                "and spikegpu edges carry spikes; LI, CubaLI and I nodes may only feed an Output"
            )
        coo = matrix.tocoo()
        coo.sum_duplicates()
        delay_ms = (1 + delay) * net.dt_ms
        for receptor, keep in (("excitatory", coo.data > 0), ("inhibitory", coo.data < 0)):
            if np.any(keep):
                conns = explicit(coo.col[keep], coo.row[keep], coo.data[keep], delay_ms)
                net.projection(src, name, conns, receptor=receptor)
    if np.any(bias != 0):
        entry = next(p for p in net.document["population"] if p["name"] == name)
        if np.all(bias == bias[0]):
            entry.setdefault("params", {})["bias"] = float(bias[0])
        else:
            entry.setdefault("per_neuron", {})["bias"] = bias.tolist()


def _add_output(net: NirNetwork, comp: _Compiler, name: str) -> None:
    sources = comp.incoming[name]
    while len(sources) == 1 and comp.kind(sources[0]) == "_Passage":  # a nested graph's Output
        sources = comp.incoming[sources[0]]
    if len(sources) != 1 or not comp.is_population(sources[0]) or comp.kind(sources[0]) == "Input":
        found = ", ".join(f"'{s}' ({comp.kind(s)})" for s in sources) or "nothing"
        raise UnsupportedNode(
            f"NIR Output '{name}' is fed by {found}: spikegpu outputs are the spikes of one neuron node "
            "or the state of one LI, CubaLI or I node, connected directly"
        )
    src = sources[0]
    if comp.kind(src) in _GRADED:
        probe = net.probe(src, "v", range(_size(src, comp.nodes[src])), net.dt_ms)
        net.outputs[name] = (src, "state", probe)
    else:
        net.outputs[name] = (src, "spikes", None)


_MODEL_TYPES = {model: nir_type for nir_type, (model, _) in _NEURONS.items()}


def save(net: NirNetwork, path: Optional[Any] = None) -> Any:
    """Writes `net` (a `NirNetwork`, from its current document) as a NIR graph to `path`
    (when given) and returns the graph. Nodes are flat (1-D); see the module's docstring."""
    import nir

    if not isinstance(net, NirNetwork):
        raise TypeError(f"save writes the networks spikegpu.nir.load makes (NirNetwork), not {type(net).__name__}")
    nodes: Dict[str, Any] = {}
    sizes: Dict[str, int] = {}
    biases: Dict[str, np.ndarray] = {}
    for entry in net.document.get("population", []):
        name, n = entry["name"], entry["size"]
        sizes[name] = n
        if entry["model"] == "spike_source" and name in net.inputs:
            nodes[name] = nir.Input(input_type=np.array([n]))
            continue
        if entry["model"] not in _MODEL_TYPES:
            raise UnsupportedNode(f"population '{name}' of model {entry['model']} has no NIR node")
        nir_type = _MODEL_TYPES[entry["model"]]
        _, fields = _NEURONS[nir_type]
        values = {f: _saved_values(entry, f, n) for f in fields}
        nodes[name] = getattr(nir, nir_type)(**values)
        biases[name] = _saved_values(entry, "bias", n)
    edges = _save_projections(net, nodes, sizes, biases)
    for out, (pop, _, _) in net.outputs.items():
        nodes[out] = nir.Output(output_type=np.array([sizes[pop]]))
        edges.append((pop, out))
    graph = nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": net.dt})
    if path is not None:
        nir.write(path, graph)
    return graph


def _saved_values(entry: Mapping[str, Any], field: str, n: int) -> np.ndarray:
    per_neuron = entry.get("per_neuron") or {}
    if field in per_neuron:
        return np.asarray(per_neuron[field], dtype=float)
    value = (entry.get("params") or {}).get(field, 0.0 if field == "bias" else 1.0)
    return np.full(n, float(value))


def _save_projections(
    net: NirNetwork, nodes: Dict[str, Any], sizes: Dict[str, int], biases: Dict[str, np.ndarray]
) -> List[Tuple[str, str]]:
    """One Linear (Affine for the first into a biased target) per (pre, post, delay)."""
    import nir

    matrices: Dict[Tuple[str, str, int], np.ndarray] = {}
    for k, proj in enumerate(net.document.get("projection", [])):
        conn = proj["connectivity"]
        if conn.get("rule") != "explicit":
            raise UnsupportedNode(f"projection {k} ({proj['pre']} -> {proj['post']}) is not explicit; NIR needs its weights")
        pre, post = proj["pre"], proj["post"]
        for i, j, w, d_ms in conn["connections"]:
            delay = int(round(d_ms / net.dt_ms)) - 1
            key = (pre, post, delay)
            if key not in matrices:
                matrices[key] = np.zeros((sizes[post], sizes[pre]))
            matrices[key][j, i] += w
    edges: List[Tuple[str, str]] = []
    biased = {name for name, b in biases.items() if np.any(b != 0)}
    for (pre, post, delay), weight in matrices.items():
        linear = f"{pre}->{post}" + (f"@{delay}" if delay else "")
        if post in biased:
            nodes[linear] = nir.Affine(weight=weight, bias=biases[post])
            biased.discard(post)
        else:
            nodes[linear] = nir.Linear(weight=weight)
        edges.append((pre, linear))
        if delay:
            nodes[linear + ".delay"] = nir.Delay(delay=np.full(sizes[post], delay * net.dt))
            edges += [(linear, linear + ".delay"), (linear + ".delay", post)]
        else:
            edges.append((linear, post))
    if biased:
        raise UnsupportedNode(f"population '{sorted(biased)[0]}' has a bias but no incoming projection to carry it in NIR")
    return edges
