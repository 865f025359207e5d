"""Bad input from Python raises a Python exception carrying the engine's message: never a
panic or a crash of the interpreter."""

from __future__ import annotations

import math

import numpy as np
import pytest

import spikegpu


def one_population(size=10, model="lif", params=None, weight=1.0, delay=1.0, receptor="excitatory"):
    net = spikegpu.Network(dt=0.1, seed=1)
    a = net.population("a", size, model, params=params or {})
    net.projection(a, a, spikegpu.fixed_probability(0.1), weight=weight, delay=delay, receptor=receptor)
    return net


@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda: one_population(size=-5), ValueError, "invalid value: integer `-5`, expected a whole number >= 0"),
        (lambda: one_population(size="ten"), ValueError, 'invalid type: string "ten", expected a whole number >= 0'),
        (lambda: one_population(size=2.5), ValueError, "expected a whole number >= 0"),
        (lambda: one_population(size=0), ValueError, "population 'a'.size = 0 is out of range: must be >= 1"),
        (
            lambda: one_population(params={"tau_m": math.nan}),
            ValueError,
            "population[0] 'a'.params.tau_m = nan is out of range: must be finite and > 0",
        ),
        (
            lambda: one_population(params={"tau_m": -1.0}),
            ValueError,
            "population[0] 'a'.params.tau_m = -1.0 is out of range: must be finite and > 0",
        ),
        (lambda: one_population(params={"tau_mm": 10}), ValueError, "unknown parameter for model lif (known: tau_m,"),
        (lambda: one_population(params={"tau_m": "20 mV"}), ValueError, "unknown unit 'mV' for this field"),
        (lambda: one_population(model="foo"), ValueError, "known models: lif, lif_cond"),
        (lambda: one_population(weight=math.inf), ValueError, "weight = inf is out of range: must be a finite number"),
        (lambda: one_population(weight=-1.0), ValueError, "an excitatory projection needs weights >= 0"),
        (lambda: one_population(delay=0.0), ValueError, "every delay must round to at least one tick"),
        (lambda: one_population(receptor="glutamate"), ValueError, "must be excitatory or inhibitory"),
        (lambda: one_population(params={"tau_m": object()}), TypeError, "cannot be part of a network description"),
        (lambda: one_population(size=2**70), TypeError, "does not fit in 64 bits"),
    ],
)
def test_bad_networks_raise_with_the_engine_message(build, error, message):
    with pytest.raises(error) as info:
        build().build()
    assert message in str(info.value)


def test_bad_model_text_names_line_and_column():
    with pytest.raises(ValueError, match=r"bad.toml:\d+:\d+"):
        spikegpu.loads('dt = "0.1 ms"\n[[population]]\nname = "a"\nsize = 1\nmodel = "lif"\nparams = { tau_m = "x" }\n', origin="bad.toml")


def test_missing_file_is_a_value_error_with_the_path():
    with pytest.raises(ValueError, match="cannot read model file /no/such.toml"):
        spikegpu.load("/no/such.toml")


def make_sim():
    return spikegpu.Simulator(one_population().build(), backend="cpu")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda s: s.run(math.nan), ValueError, "ms = NaN is out of range: must be finite and >= 0"),
        (lambda s: s.run(-1.0), ValueError, "ms = -1 is out of range"),
        (lambda s: s.run(1e300), ValueError, "a run may last at most 2^53"),
        (lambda s: s.run("1"), TypeError, ""),
        (lambda s: s.spikes("b"), ValueError, "population 'b' does not exist (defined: a)"),
        (lambda s: s.spikes(3), ValueError, "population index 3 is out of range"),
        (lambda s: s.spikes(-1), ValueError, "out of range"),
        (lambda s: s.weights(9), ValueError, "projection index 9 is out of range"),
        (lambda s: s.set_weights(0, [1.0, 2.0]), ValueError, "must give one per synapse"),
        (lambda s: s.set_weights(0, np.zeros((2, 2))), ValueError, "one-dimensional"),
        (lambda s: s.set_weights(0, "abc"), ValueError, ""),
        (lambda s: s.set_modulator("global", math.inf), ValueError, "must be finite"),
        (lambda s: s.probe(7), ValueError, "probe 7 does not exist"),
        (lambda s: s.add_probe("a", "v", interval=0.01), ValueError, "at least one tick"),
        (lambda s: s.add_probe("a", "v", neurons=[-1]), ValueError, "out of range"),
    ],
)
def test_bad_calls_raise_python_exceptions(call, error, message):
    with pytest.raises(error) as info:
        call(make_sim())
    assert message in str(info.value)


def test_unknown_backend_is_a_value_error():
    with pytest.raises(ValueError, match="unknown backend 'tpu': allowed values are gpu, cpu, auto"):
        spikegpu.Simulator(one_population().build(), backend="tpu")
    with pytest.raises(TypeError):
        spikegpu.Simulator(one_population().build(), backend=3)
    with pytest.raises(TypeError):
        spikegpu.Simulator("not a model")


def test_errors_are_ordinary_exceptions_not_panics():
    """pyo3 turns an escaped panic into PanicException, a BaseException: none may appear."""
    for build in (lambda: one_population(size=-1).build(), lambda: make_sim().run(math.nan)):
        try:
            build()
        except Exception as e:  # noqa: BLE001 - the point is that it is an Exception
            assert type(e).__name__ != "PanicException"
