"""PyNN values -> model-file values: homogeneous numbers, distributions the engine draws
itself, or per-neuron lists where the engine takes them."""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

import spikegpu

from ..parameters import LazyArray
from ..random import NativeRNG as BaseNativeRNG
from ..random import NumpyRNG, RandomDistribution


def homogeneous(values, scale: float = 1.0) -> Optional[float]:
    """The single value of an array (times `scale`), or None if the values differ."""
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        return None
    first = arr[0]
    if np.all(arr == first) or (np.isnan(first) and np.all(np.isnan(arr))):
        return float(first) * scale
    return None


def distribution(rd: RandomDistribution, scale: float = 1.0) -> Optional[Dict[str, Any]]:
    """The engine distribution equal to a PyNN RandomDistribution (values times `scale`), or
    None when the engine has no such distribution. The engine draws from its own seed, not
    from the distribution's rng."""
    p = rd.parameters
    if rd.name == "uniform":
        low, high = sorted((p["low"] * scale, p["high"] * scale))
        return spikegpu.uniform(low, high)
    if rd.name == "normal":
        return spikegpu.normal(p["mu"] * scale, abs(p["sigma"] * scale))
    if rd.name == "normal_clipped":
        bounds = sorted((p["low"] * scale, p["high"] * scale))
        return spikegpu.normal(p["mu"] * scale, abs(p["sigma"] * scale), low=bounds[0], high=bounds[1], truncate=True)
    if rd.name == "normal_clipped_to_boundary":
        bounds = sorted((p["low"] * scale, p["high"] * scale))
        return spikegpu.normal(p["mu"] * scale, abs(p["sigma"] * scale), low=bounds[0], high=bounds[1])
    return None


def initial_value(lazy: LazyArray, scale: float = 1.0):
    """A population's initial value as the engine takes it: a number, a distribution the
    engine draws (uniform, normal), or one value per neuron (a list): other distributions
    are drawn here by PyNN's random number generator."""
    base = lazy.base_value
    if not lazy.operations:
        if isinstance(base, RandomDistribution) and base.name in ("uniform", "normal"):
            return distribution(base, scale)
        if np.isscalar(base):
            return float(base) * scale
    values = np.ravel(np.asarray(lazy.evaluate(simplify=False), dtype=float))
    v = homogeneous(values, scale)
    return v if v is not None else [float(x) * scale for x in values]


def evaluated(lazy_or_array, size: int) -> np.ndarray:
    """A parameter's values for every neuron."""
    if isinstance(lazy_or_array, LazyArray):
        lazy_or_array.shape = (size,)
        return np.asarray(lazy_or_array.evaluate(simplify=False))
    return np.broadcast_to(np.asarray(lazy_or_array), (size,))


class NativeRNG(BaseNativeRNG, NumpyRNG):
    """PyNN's NativeRNG on spikegpu: where the engine draws a distribution itself (uniform and
    normal initial values and weights) it does so from setup()'s rng_seed, whatever the rng;
    values PyNN draws on the host (connections, other distributions) come from numpy's
    Mersenne Twister seeded with `seed`, as NumpyRNG."""

    def __init__(self, seed=None, parallel_safe=True):
        NumpyRNG.__init__(self, seed, parallel_safe)

    def __str__(self):
        return f"NativeRNG(seed={self.seed})"
