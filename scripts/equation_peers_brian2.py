"""Brian2 reference for three user-defined neuron models of spikegpu (issue 14):
examples/models/qif-neuron.toml, hindmarsh-rose.toml and wang-buzsaki.toml.

The script reads each model file itself and hands its equations, threshold, reset,
refractoriness, method, dt and every population's parameters to Brian2 unchanged (only the
notation of quantities is translated: "10 ms" -> 10*ms, and the unit after an equation's
colon -> its SI base unit, which Brian2 requires). Each population is one neuron; the spike
ticks (t / dt, Brian2 stamps a spike with the start of the step in which it crossed, as
spikegpu does) over the file's duration go to tests/data/equation_peers_brian2.json, which
tests/suite/equation_peers.rs compares with spikegpu's CPU (and GPU) backend.

    /work/peers/bin/python scripts/equation_peers_brian2.py [out.json]

Runs on Brian2's numpy target (float64), in a few tens of seconds.
"""

import json
import re
import sys
import tomllib
from pathlib import Path

import brian2
import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, Network, defaultclock, get_unit, prefs

MODELS = ["qif-neuron", "hindmarsh-rose", "wang-buzsaki"]
ROOT = Path(__file__).resolve().parent.parent
UNITS = {name: getattr(brian2, name) for name in dir(brian2)}
# The single-letter units that spikegpu accepts in quantity strings.
UNITS.update(s=brian2.second, V=brian2.volt, A=brian2.amp, S=brian2.siemens, F=brian2.farad)

# A number followed by whitespace and a unit name: "10 ms", "-20 mV", "35 mS/cm2".
QUANTITY = re.compile(r"(?<![\w.])(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s+(?=[A-Za-z])")


def python_notation(text):
    """spikegpu's quantity notation ("10 ms") as a Python expression ("10*ms")."""
    return QUANTITY.sub(r"\1*", text)


def quantity(value):
    """A parameter value of a model file as a Brian2 quantity (or float)."""
    if isinstance(value, (int, float)):
        return float(value)
    return eval(python_notation(value), {}, UNITS)  # noqa: S307 (our own model files)


def brian_equations(text):
    """Equations with each unit after the colon replaced by its SI base unit."""
    lines = []
    for line in text.strip().splitlines():
        line = line.split("#")[0].rstrip()
        if not line:
            continue
        body, unit_and_flags = line.rsplit(":", 1)
        unit, _, flags = unit_and_flags.strip().partition("(")
        unit = unit.strip()
        base = "1" if unit == "1" else repr(get_unit(eval(unit, {}, UNITS).dim))
        # Brian2's unit specifications take no parentheses: "amp / (meter ** 2)".
        assert not re.search(r"\([^)]*[*/]\s*\w", base.replace("**", "^")), base
        base = base.replace("(", "").replace(")", "").replace(" ", "")
        flags = f" ({flags}" if flags else ""
        lines.append(f"{python_notation(body)}: {base}{flags}")
    return "\n".join(lines)


def run_model(name):
    spec = tomllib.loads((ROOT / "examples" / "models" / f"{name}.toml").read_text())
    (model,) = spec["neuron_model"]
    dt = quantity(spec["dt"])
    duration = quantity(spec["duration"])
    defaultclock.dt = dt
    equations = brian_equations(model["equations"])
    refractory = model.get("refractory", False)
    if refractory:
        refractory = python_notation(refractory)
    populations = {}
    for pop in spec["population"]:
        assert pop["size"] == 1 and pop["model"] == model["name"]
        params = {k: quantity(v) for k, v in {**model["params"], **pop.get("params", {})}.items()}
        group = NeuronGroup(1, equations, threshold=python_notation(model["threshold"]),
                            reset=python_notation(model.get("reset", "")) or None,
                            refractory=refractory, method=model["method"], namespace=params,
                            dt=dt)
        namespace = {**UNITS, **params}
        for var, value in model.get("initial", {}).items():
            v = eval(python_notation(value), {}, namespace) if isinstance(value, str) else value
            setattr(group, var, v)
        monitor = SpikeMonitor(group)
        net = Network(group, monitor)
        net.run(duration, namespace=params)
        ticks = np.round(np.asarray(monitor.t / dt)).astype(int).tolist()
        populations[pop["name"]] = ticks
        print(f"{name} {pop['name']}: {len(ticks)} spikes", file=sys.stderr)
    return {
        "file": f"examples/models/{name}.toml",
        "method": model["method"],
        "dt_ms": float(dt / brian2.ms),
        "duration_ms": float(duration / brian2.ms),
        "spike_ticks": populations,
    }


def main():
    prefs.codegen.target = "numpy"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "equation_peers_brian2.json"
    result = {"brian2": brian2.__version__, "target": "numpy (float64)",
              "models": {name: run_model(name) for name in MODELS}}
    out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
