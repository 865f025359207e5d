"""spikegpu.nir: graphs built with nir's API give the output spikes of a numpy integration of
NIR's equations written here (forward Euler with step dt, one tick per spike edge, weights
rounded as the engine's fixed point), on the CPU backend and on the GPU when one opens; save
then load gives back the same network; unsupported nodes are refused by name."""

from __future__ import annotations

import numpy as np
import pytest

nir = pytest.importorskip("nir")
import spikegpu  # noqa: E402
import spikegpu.nir as snir  # noqa: E402

DT = 1e-3
STEPS = 80
# The engine stores weights as round(f32(w) * 2^20) / 2^20 while no neuron's summed |w| nears
# 2^11 (every graph here stays far below).
FIXED_SCALE = 2.0**20


def fixed(w):
    """A weight as the engine delivers it."""
    return np.round(np.asarray(w, dtype=np.float32).astype(np.float64) * FIXED_SCALE) / FIXED_SCALE


class Euler:
    """A neuron population integrated by forward Euler as NIR's equations say; keeps the
    closest approach of v to the threshold, so a test can tell that float rounding (f32 in
    the engine, f64 here) cannot flip a spike."""

    def __init__(self, node):
        self.kind = type(node).__name__
        fields = ("tau", "tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in")
        self.p = {f: np.asarray(getattr(node, f), dtype=float).ravel() for f in fields if hasattr(node, f)}
        n = self.p["v_threshold"].size
        self.v = np.zeros(n)
        self.i_syn = np.zeros(n)
        self.margin = np.inf

    def step(self, x):
        p = self.p
        if self.kind == "CubaLIF":
            self.i_syn = self.i_syn + DT / p["tau_syn"] * (p["w_in"] * x - self.i_syn)
            self.v = self.v + DT / p["tau_mem"] * (p["v_leak"] - self.v + p["r"] * self.i_syn)
        elif self.kind == "LIF":
            self.v = self.v + DT / p["tau"] * (p["v_leak"] - self.v + p["r"] * x)
        else:  # IF
            self.v = self.v + DT * p["r"] * x
        self.margin = min(self.margin, float(np.min(np.abs(self.v - p["v_threshold"]))))
        spikes = self.v > p["v_threshold"]
        self.v = np.where(spikes, p["v_reset"], self.v)
        return spikes.astype(float)


def input_spikes(seed, shape, p=0.3):
    return (np.random.default_rng(seed).random((STEPS,) + shape) < p).astype(np.uint8)


def lif(shape, tau, threshold, rng=None):
    tau_a = np.full(shape, tau) if rng is None else rng.uniform(tau, 2 * tau, shape)
    return nir.LIF(
        tau=tau_a, r=np.ones(shape), v_leak=np.zeros(shape), v_threshold=np.full(shape, threshold), v_reset=np.zeros(shape)
    )


def backends(gpu_available):
    return ["cpu", "gpu"] if gpu_available else ["cpu"]


def assert_same_spikes(expected, got, layers):
    for name, cells in layers:
        assert cells.margin > 1e-4, f"{name}: v came within {cells.margin} of the threshold; pick another graph"
    assert expected.sum() > 10, "the reference output must spike"
    np.testing.assert_array_equal(got.astype(bool), expected.astype(bool))


# --- a two-layer LIF network -----------------------------------------------------------------


def two_layer_graph():
    rng = np.random.default_rng(3)
    w1 = rng.normal(0.6, 0.5, (12, 8))
    w2 = rng.normal(0.5, 0.6, (4, 12))
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([8])),
            "fc1": nir.Linear(weight=w1),
            "lif1": lif(12, 4e-3, 0.6, rng),
            "fc2": nir.Affine(weight=w2, bias=np.linspace(0.05, 0.2, 4)),
            "lif2": lif(4, 5e-3, 0.5),
            "output": nir.Output(output_type=np.array([4])),
        },
        edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")],
    )


def two_layer_reference(graph, x):
    n = graph.nodes
    lif1, lif2 = Euler(n["lif1"]), Euler(n["lif2"])
    w1, w2, b2 = fixed(n["fc1"].weight), fixed(n["fc2"].weight), n["fc2"].bias
    s_in, s1 = np.zeros(8), np.zeros(12)
    out = []
    for t in range(STEPS):
        # Each spike edge takes one tick: this tick's inputs are the last tick's spikes.
        x1, x2 = w1 @ s_in, w2 @ s1 + b2
        s1, s2 = lif1.step(x1), lif2.step(x2)
        s_in = x[t].astype(float)
        out.append(s2)
    return np.array(out), [("lif1", lif1), ("lif2", lif2)]


def test_a_two_layer_lif_network_spikes_as_the_numpy_integration_of_nir_s_equations(gpu_available):
    graph = two_layer_graph()
    x = input_spikes(1, (8,))
    expected, layers = two_layer_reference(graph, x)
    net = snir.load(graph, dt=DT)
    for backend in backends(gpu_available):
        got = net.run({"input": x}, backend=backend)["output"]
        assert got.shape == (STEPS, 4)
        assert_same_spikes(expected, got, layers)


# --- a CubaLIF network with recurrence ---------------------------------------------------------


def cuba_graph():
    rng = np.random.default_rng(5)
    n = 10
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([6])),
            "w_in": nir.Linear(weight=rng.normal(0.8, 0.6, (n, 6))),
            "cuba": nir.CubaLIF(
                tau_syn=rng.uniform(2e-3, 4e-3, n),
                tau_mem=np.full(n, 8e-3),
                r=np.full(n, 2.0),
                v_leak=np.zeros(n),
                v_threshold=np.full(n, 0.3),
                v_reset=np.full(n, -0.1),
                w_in=np.full(n, 1.5),
            ),
            "w_rec": nir.Linear(weight=rng.normal(0.0, 0.5, (n, n))),
            "output": nir.Output(output_type=np.array([n])),
        },
        edges=[("input", "w_in"), ("w_in", "cuba"), ("cuba", "w_rec"), ("w_rec", "cuba"), ("cuba", "output")],
    )


def test_a_recurrent_cubalif_network_spikes_as_the_numpy_integration(gpu_available):
    graph = cuba_graph()
    x = input_spikes(2, (6,))
    cells = Euler(graph.nodes["cuba"])
    w_in, w_rec = fixed(graph.nodes["w_in"].weight), fixed(graph.nodes["w_rec"].weight)
    s_in, s = np.zeros(6), np.zeros(10)
    expected = []
    for t in range(STEPS):
        s = cells.step(w_in @ s_in + w_rec @ s)
        s_in = x[t].astype(float)
        expected.append(s)
    net = snir.load(graph, dt=DT)
    for backend in backends(gpu_available):
        got = net.run({"input": x}, backend=backend)["output"]
        assert_same_spikes(np.array(expected), got, [("cuba", cells)])


# --- a small convolutional network -------------------------------------------------------------


def conv_graph():
    rng = np.random.default_rng(12)
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2, 6, 6])),
            "conv": nir.Conv2d(
                input_shape=(6, 6),
                weight=rng.normal(0.4, 0.5, (3, 2, 3, 3)),
                stride=1,
                padding=1,
                dilation=1,
                groups=1,
                bias=np.array([0.1, 0.0, -0.05]),
            ),
            "lif_conv": lif((3, 6, 6), 3e-3, 0.5),
            "flat": nir.Flatten(input_type={"input": np.array([3, 6, 6])}, start_dim=0),
            "fc": nir.Linear(weight=rng.normal(0.05, 0.2, (5, 108))),
            "if_out": nir.IF(r=np.full(5, 800.0), v_threshold=np.full(5, 1.0), v_reset=np.zeros(5)),
            "output": nir.Output(output_type=np.array([5])),
        },
        edges=[
            ("input", "conv"),
            ("conv", "lif_conv"),
            ("lif_conv", "flat"),
            ("flat", "fc"),
            ("fc", "if_out"),
            ("if_out", "output"),
        ],
    )


def conv2d_padded(x, w, b):
    """PyTorch's Conv2d (cross-correlation), stride 1, zero padding 1, written out."""
    c_out, c_in, kh, kw = w.shape
    _, h, wd = x.shape
    padded = np.zeros((c_in, h + 2, wd + 2))
    padded[:, 1:-1, 1:-1] = x
    y = np.zeros((c_out, h, wd))
    for o in range(c_out):
        for i in range(h):
            for j in range(wd):
                y[o, i, j] = np.sum(w[o] * padded[:, i : i + kh, j : j + kw]) + b[o]
    return y


def conv_reference(graph, x):
    n = graph.nodes
    conv_cells, out_cells = Euler(n["lif_conv"]), Euler(n["if_out"])
    w_conv, w_fc = fixed(n["conv"].weight), fixed(n["fc"].weight)
    s_in, s_conv = np.zeros((2, 6, 6)), np.zeros(108)
    out = []
    for t in range(STEPS):
        x_conv = conv2d_padded(s_in, w_conv, n["conv"].bias).ravel()
        x_out = w_fc @ s_conv
        s_conv, s_out = conv_cells.step(x_conv), out_cells.step(x_out)
        s_in = x[t].astype(float)
        out.append(s_out)
    return np.array(out), [("lif_conv", conv_cells), ("if_out", out_cells)]


@pytest.fixture(scope="module")
def conv_case():
    graph = conv_graph()
    x = input_spikes(4, (2, 6, 6), p=0.2)
    expected, layers = conv_reference(graph, x)
    return graph, x, expected, layers


def test_a_convolutional_network_spikes_as_the_numpy_integration(conv_case, gpu_available):
    graph, x, expected, layers = conv_case
    net = snir.load(graph, dt=DT)
    for backend in backends(gpu_available):
        got = net.run({"input": x}, backend=backend)["output"]
        assert_same_spikes(expected, got, layers)


def _population_table(net):
    return {p["name"]: (p["size"], p["model"], p.get("params"), p.get("per_neuron")) for p in net.document["population"]}


def _connections(net):
    """(pre, post, receptor) -> the sorted connection rows."""
    table = {}
    for p in net.document.get("projection", []):
        key = (p["pre"], p["post"], p["receptor"])
        table.setdefault(key, []).extend(tuple(c) for c in p["connectivity"]["connections"])
    return {k: sorted(v) for k, v in table.items()}


def test_save_then_load_gives_back_the_same_network_and_spikes(conv_case, tmp_path):
    graph, x, expected, _ = conv_case
    net = snir.load(graph, dt=DT)
    path = tmp_path / "conv.nir"
    saved = snir.save(net, path)
    again = snir.load(path)
    assert again.dt == DT
    assert _population_table(again) == _population_table(net)
    assert _connections(again) == _connections(net)
    assert again.outputs.keys() == net.outputs.keys()
    # The saved graph: the same neuron nodes (flat) with the same parameters.
    assert isinstance(saved.nodes["lif_conv"], nir.LIF) and isinstance(saved.nodes["if_out"], nir.IF)
    np.testing.assert_array_equal(saved.nodes["lif_conv"].tau, graph.nodes["lif_conv"].tau.ravel())
    np.testing.assert_array_equal(saved.nodes["if_out"].r, graph.nodes["if_out"].r)
    # The convolution comes back as its expanded matrix, its bias as the Affine's.
    fc = saved.nodes["lif_conv->if_out"].weight
    np.testing.assert_array_equal(fc, graph.nodes["fc"].weight)
    conv = saved.nodes["input->lif_conv"]
    assert isinstance(conv, nir.Affine) and conv.weight.shape == (108, 72)
    np.testing.assert_array_equal(conv.bias, np.repeat(graph.nodes["conv"].bias, 36))
    got = again.run({"input": x})["output"]
    np.testing.assert_array_equal(got.astype(bool), expected.astype(bool))


# --- the shape snnTorch exports -------------------------------------------------------------------


def snntorch_shaped_graph(rng, dt):
    """What snnTorch's export_to_nir makes of Sequential(Flatten(), Linear(5, 6),
    Leaky(beta=0.9), Linear(6, 4), RSynaptic(alpha=0.8, beta=0.85, all_to_all)): nodes named
    by module index, Flatten without an input type, nn.Linear as Affine, Leaky as LIF(tau = dt/(1-beta), r = tau/dt, v_leak = 0, no v_reset),
    RSynaptic as a nested graph (input, CubaLIF with w_in = tau_syn/dt, its recurrent Affine,
    output); dt = 1e-4 is fixed by the exporter and not written into the graph."""
    beta, alpha, beta2 = np.full(6, 0.9), np.full(4, 0.8), np.full(4, 0.85)
    tau, tau_syn, tau_mem = dt / (1 - beta), dt / (1 - alpha), dt / (1 - beta2)
    recurrent = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([4])),
            "lif": nir.CubaLIF(
                tau_syn=tau_syn, tau_mem=tau_mem, r=tau_mem / dt, v_leak=np.zeros(4), v_threshold=np.ones(4), w_in=tau_syn / dt
            ),
            "w_rec": nir.Affine(weight=rng.normal(-0.1, 0.3, (4, 4)), bias=rng.uniform(0.0, 0.02, 4)),
            "output": nir.Output(output_type=np.array([4])),
        },
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
    )
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([1, 5])),
            "0": nir.Flatten(input_type=None, start_dim=0),
            "1": nir.Affine(weight=rng.normal(0.5, 0.4, (6, 5)), bias=rng.uniform(0.0, 0.1, 6)),
            "2": nir.LIF(tau=tau, r=tau / dt, v_leak=np.zeros(6), v_threshold=np.ones(6)),
            "3": nir.Affine(weight=rng.normal(0.05, 0.15, (4, 6)), bias=rng.uniform(0.0, 0.02, 4)),
            "4": recurrent,
            "output": nir.Output(output_type=np.array([4])),
        },
        edges=[("input", "0"), ("0", "1"), ("1", "2"), ("2", "3"), ("3", "4"), ("4", "output")],
        type_check=False,
    )


def test_a_graph_in_the_shape_snntorch_exports_runs_as_snntorch_s_neurons(gpu_available):
    """snnTorch is not installed here (it needs torch), so the graph is built with nir in the
    shape its exporter gives. Expected: snnTorch's discrete Leaky (mem = beta*mem + input) and
    Synaptic (syn = alpha*syn + input; mem = beta*mem + syn) updates with a reset to 0, one
    tick per spike edge."""
    dt = 1e-4
    graph = snntorch_shaped_graph(np.random.default_rng(21), dt)
    n = graph.nodes
    rec = n["4"].nodes
    w0, w2, w_rec = fixed(n["1"].weight), fixed(n["3"].weight), fixed(rec["w_rec"].weight)
    x = input_spikes(6, (5,))
    mem1, syn, mem2 = np.zeros(6), np.zeros(4), np.zeros(4)
    s_in, s1, s2 = np.zeros(5), np.zeros(6), np.zeros(4)
    expected, margin = [], np.inf
    for t in range(STEPS):
        mem1 = 0.9 * mem1 + w0 @ s_in + n["1"].bias
        syn = 0.8 * syn + w2 @ s1 + n["3"].bias + w_rec @ s2 + rec["w_rec"].bias
        mem2 = 0.85 * mem2 + syn
        margin = min(margin, np.min(np.abs(mem1 - 1.0)), np.min(np.abs(mem2 - 1.0)))
        s1, s2 = (mem1 > 1.0).astype(float), (mem2 > 1.0).astype(float)
        mem1, mem2 = np.where(s1 > 0, 0.0, mem1), np.where(s2 > 0, 0.0, mem2)
        s_in = x[t].astype(float)
        expected.append(s2)
    assert margin > 1e-4 and np.sum(expected) > 10 and np.sum(expected) < STEPS * 4 / 2
    net = snir.load(graph, dt=dt)
    assert "4.lif" in [p.name for p in net.populations]
    for backend in backends(gpu_available):
        got = net.run({"input": x}, backend=backend)["output"]
        np.testing.assert_array_equal(got.astype(bool), np.array(expected) > 0)


def conv1d_reference(x, w, b, stride, padding, dilation, groups):
    """PyTorch's Conv1d written out: x [C_in, N], w [C_out, C_in/groups, K]."""
    c_out, c_in_g, k = w.shape
    n = x.shape[1]
    n_out = (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    y = np.tile(np.asarray(b, dtype=float)[:, None], (1, n_out))
    for o in range(c_out):
        g = o // (c_out // groups)
        for j in range(n_out):
            for ci in range(c_in_g):
                for q in range(k):
                    pos = j * stride - padding + q * dilation
                    if 0 <= pos < n:
                        y[o, j] += w[o, ci, q] * x[g * c_in_g + ci, pos]
    return y


def test_conv1d_with_stride_padding_dilation_and_groups_expands_as_pytorch_s():
    rng = np.random.default_rng(9)
    w = np.round(rng.normal(0.0, 1.0, (4, 1, 3)) * 64) / 64
    conv = nir.Conv1d(input_shape=9, weight=w, stride=2, padding=2, dilation=2, groups=2, bias=np.array([0.5, 0.0, 0.25, 0.0]))
    conv.input_type = {"input": np.array([2, 9])}  # nir counts one group's channels
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2, 9])),
            "conv1d": conv,
            "if": nir.IF(r=np.full((4, 5), 1e3), v_threshold=np.full((4, 5), 0.4)),
            "output": nir.Output(output_type=np.array([4, 5])),
        },
        edges=[("input", "conv1d"), ("conv1d", "if"), ("if", "output")],
    )
    x = input_spikes(10, (2, 9), p=0.4)
    drive = [conv1d_reference(x[t - 1], w, conv.bias, 2, 2, 2, 2) if t else conv.bias[:, None] * np.ones((1, 5)) for t in range(STEPS)]
    v, expected = np.zeros((4, 5)), []
    for t in range(STEPS):
        v = v + 1e-3 * 1e3 * drive[t]
        spikes = v > 0.4
        v = np.where(spikes, 0.0, v)
        expected.append(spikes)
    got = snir.load(graph, dt=1e-3).run({"input": x})["output"]
    assert got.shape == (STEPS, 4, 5) and np.sum(expected) > 10
    np.testing.assert_array_equal(got.astype(bool), np.array(expected))


# --- graded outputs, Scale, Delay, Threshold ----------------------------------------------------


def test_li_output_delay_scale_and_threshold_follow_their_definitions(tmp_path):
    """Input -> Scale -> Delay(2 dt) -> Threshold -> Linear -> LI -> Output: the Threshold
    node fires when the scaled, delayed input exceeds it; LI's v is returned every tick."""
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([3])),
            "scale": nir.Scale(scale=np.array([1.0, 0.5, 2.0])),
            "delay": nir.Delay(delay=np.array([2e-3, 2e-3, 0.0])),
            "th": nir.Threshold(threshold=np.array([0.75, 0.75, 0.75])),
            "fc": nir.Linear(weight=np.array([[1.0, 0.25, -0.5], [0.0, 1.0, 1.0]])),
            "li": nir.LI(tau=np.array([2e-3, 4e-3]), r=np.array([1.0, 2.0]), v_leak=np.array([0.0, 0.1])),
            "output": nir.Output(output_type=np.array([2])),
        },
        edges=[("input", "scale"), ("scale", "delay"), ("delay", "th"), ("th", "fc"), ("fc", "li"), ("li", "output")],
    )
    x = input_spikes(8, (3,))
    ticks = np.array([2, 2, 0])
    th_spikes = np.zeros((STEPS, 3))
    for t in range(STEPS):
        for k in range(3):
            arrival = t - 1 - ticks[k]  # one tick per spike edge, plus the Delay's ticks
            scaled = x[arrival, k] * graph.nodes["scale"].scale[k] if arrival >= 0 else 0.0
            th_spikes[t, k] = scaled > 0.75
    li = graph.nodes["li"]
    v, expected = np.zeros(2), []
    for t in range(STEPS):
        drive = graph.nodes["fc"].weight @ th_spikes[t - 1] if t > 0 else np.zeros(2)
        v = v + DT / li.tau * (li.v_leak - v + li.r * drive)
        expected.append(v)
    net = snir.load(graph, dt=DT)
    got = net.run({"input": x})["output"]
    assert got.shape == (STEPS, 2)
    np.testing.assert_allclose(got, np.array(expected), rtol=1e-5, atol=1e-6)
    assert np.ptp(got[:, 0]) > 0.1
    # Saved, the two delays become a Linear and a Linear followed by a Delay of 2 dt.
    saved = snir.save(net, tmp_path / "delays.nir")
    assert isinstance(saved.nodes["input->th@2.delay"], nir.Delay)
    np.testing.assert_allclose(saved.nodes["input->th@2.delay"].delay, 2 * DT)
    again = snir.load(tmp_path / "delays.nir")
    assert _connections(again) == _connections(net)
    np.testing.assert_array_equal(again.run({"input": x})["output"], got)


def pool2d_reference(x, kernel, stride, padding, average):
    """PyTorch's SumPool/AvgPool2d (zero padding counted in the average) written out."""
    c, h, w = x.shape
    padded = np.zeros((c, h + 2 * padding, w + 2 * padding))
    padded[:, padding : padding + h, padding : padding + w] = x
    oh, ow = (h + 2 * padding - kernel) // stride + 1, (w + 2 * padding - kernel) // stride + 1
    y = np.zeros((c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            y[:, i, j] = padded[:, i * stride : i * stride + kernel, j * stride : j * stride + kernel].sum(axis=(1, 2))
    return y / (kernel * kernel) if average else y


def test_sum_and_average_pooling_and_a_cubali_output_follow_their_definitions(gpu_available):
    """Input -> SumPool2d(2, stride 2) -> IF -> Output, and Input -> AvgPool2d(3, stride 1,
    padding 1) -> IF -> Linear -> CubaLI -> Output (its v every tick)."""
    cubali = nir.CubaLI(tau_syn=np.full(2, 4e-3), tau_mem=np.array([5e-3, 8e-3]), r=np.array([1.0, 2.0]), v_leak=np.zeros(2))
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2, 4, 4])),
            "sum": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
            "if_sum": nir.IF(r=np.full((2, 2, 2), 1e3), v_threshold=np.full((2, 2, 2), 2.5)),
            "avg": nir.AvgPool2d(kernel_size=np.array([3, 3]), stride=np.array([1, 1]), padding=np.array([1, 1])),
            "if_avg": nir.IF(r=np.full((2, 4, 4), 1e3), v_threshold=np.full((2, 4, 4), 0.7)),
            "flat": nir.Flatten(input_type={"input": np.array([2, 4, 4])}, start_dim=0),
            "fc": nir.Linear(weight=np.tile(np.array([[1.0], [-0.5]]), (1, 32)) / 8),
            "cubali": cubali,
            "out_sum": nir.Output(output_type=np.array([2, 2, 2])),
            "out_li": nir.Output(output_type=np.array([2])),
        },
        edges=[
            ("input", "sum"), ("sum", "if_sum"), ("if_sum", "out_sum"),
            ("input", "avg"), ("avg", "if_avg"), ("if_avg", "flat"), ("flat", "fc"), ("fc", "cubali"), ("cubali", "out_li"),
        ],
    )  # fmt: skip
    x = input_spikes(12, (2, 4, 4), p=0.3)
    v_sum, v_avg = np.zeros((2, 2, 2)), np.zeros((2, 4, 4))
    s_avg, i_syn, v_li = np.zeros((2, 4, 4)), np.zeros(2), np.zeros(2)
    fc = graph.nodes["fc"].weight
    sums, lis = [], []
    for t in range(STEPS):
        x_prev = x[t - 1] if t else np.zeros((2, 4, 4))
        v_sum = v_sum + pool2d_reference(x_prev, 2, 2, 0, False)
        v_avg = v_avg + fixed(1 / 9) * 9 * pool2d_reference(x_prev, 3, 1, 1, True)
        i_syn = i_syn + DT / cubali.tau_syn * (fc @ s_avg.ravel() - i_syn)
        v_li = v_li + DT / cubali.tau_mem * (cubali.v_leak - v_li + cubali.r * i_syn)
        sums.append(v_sum > 2.5)
        s_avg = (v_avg > 0.7).astype(float)
        v_sum, v_avg = np.where(v_sum > 2.5, 0.0, v_sum), np.where(s_avg > 0, 0.0, v_avg)
        lis.append(v_li.copy())
    assert np.sum(sums) > 10 and np.ptp(np.array(lis)) > 0.05
    net = snir.load(graph, dt=DT)
    for backend in backends(gpu_available):
        out = net.run({"input": x}, backend=backend)
        np.testing.assert_array_equal(out["out_sum"].astype(bool), np.array(sums))
        np.testing.assert_allclose(out["out_li"], np.array(lis), rtol=1e-4, atol=1e-5)


# --- refusals -----------------------------------------------------------------------------------


def test_unsupported_nodes_and_uses_are_refused_by_name():
    class Spiky(nir.NIRNode):  # a node type spikegpu does not know
        def __init__(self):
            self.input_type = {"input": np.array([2])}
            self.output_type = {"output": np.array([2])}

    odd = nir.NIRGraph.from_list(nir.Linear(weight=np.ones((2, 2))), Spiky(), type_check=False)
    with pytest.raises(snir.UnsupportedNode, match="NIR node 'spiky' of type Spiky is not supported"):
        snir.load(odd)
    graded = nir.NIRGraph.from_list(
        nir.Linear(weight=np.ones((2, 2))),
        nir.LI(tau=np.ones(2), r=np.ones(2), v_leak=np.zeros(2)),
        nir.Linear(weight=np.ones((2, 2))),
        lif(2, 1e-2, 1.0),
    )
    with pytest.raises(snir.UnsupportedNode, match="'li' \\(LI\\) feeds 'lif' \\(LIF\\).*graded"):
        snir.load(graded)
    linear_out = nir.NIRGraph.from_list(nir.Linear(weight=np.ones((2, 2))))
    with pytest.raises(snir.UnsupportedNode, match="Output 'output' is fed by 'linear' \\(Linear\\)"):
        snir.load(linear_out)
    odd_delay = nir.NIRGraph.from_list(nir.Delay(delay=np.array([1.5e-3])), lif(1, 1e-2, 1.0))
    with pytest.raises(snir.UnsupportedNode, match="'delay' \\(Delay\\): delays must be non-negative multiples"):
        snir.load(odd_delay, dt=DT)
    net = snir.load(two_layer_graph(), dt=DT)
    with pytest.raises(ValueError, match="values 0 or 1"):
        net.run({"input": np.full((3, 8), 0.5)})
    with pytest.raises(TypeError, match="NirNetwork"):
        snir.save(spikegpu.Network(), "x.nir")
