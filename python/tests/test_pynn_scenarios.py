"""PyNN 0.13's own system test scenarios (test/system/scenarios of its source distribution),
run on pyNN.spikegpu the way test/system/test_nest.py runs them on pyNN.nest: each scenario
function is called with the backend module.

Three lists: scenarios that must pass; scenarios that must be refused with
``EngineFeatureMissing`` naming the engine feature they need (python/ENGINE_NEEDS.md), so that
the gap is checked and the list shrinks as the engine grows; and scenarios that cannot apply,
with the reason. README.md repeats the lists.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys

import pytest

import spikegpu

from conftest import pynn_source_dir

os.environ.setdefault("SPIKEGPU_BACKEND", "cpu")

#: scenario -> engine feature (EngineFeatureMissing key) it needs
NEEDS_ENGINE = {
    "test_connectors::test_all_to_all_tsodyksmarkram": "stdp_other",
    "test_connectors::test_fixed_number_pre_with_replacement_heterogeneous_parameters": "stdp_other",
    "test_connectors::test_fixed_number_post_with_replacement_heterogeneous_parameters": "stdp_other",
    "test_parameter_handling::test_set_synaptic_parameters_fully_connected": "stdp_other",
    "test_parameter_handling::test_set_synaptic_parameters_partially_connected": "stdp_other",
    "test_parameter_handling::test_set_synaptic_parameters_multiply_connected": "stdp_other",
    "test_parameter_handling::test_issue505": "stdp_other",
    "test_scenario4::test_scenario4": "stdp_other",
    "test_synapse_types::test_simple_stochastic_synapse": "other_models",
}

#: scenario -> why it cannot apply to spikegpu at all
NOT_APPLICABLE = {
    "test_scenario5::test_scenario5": "multicompartment neurons with morphologies (PyNN's arbor and neuron backends only)",
    "test_recording::test_issue259": (
        "spike source times off the time grid, recorded to 1e-17 ms (precise spike timing: PyNN "
        "runs it on its nest and neuron backends only; spikegpu is time-driven, its spikes on the grid)"
    ),
    "test_cell_types::test_composed_neuron_model_homogeneous_receptors": (
        "composed cell types (PyNN's experimental PointNeuron with LIF/AdExp components and "
        "post-synaptic response objects), which pyNN.spikegpu does not define"
    ),
}


def scenario_functions():
    """(id, module name, function name) of every scenario function taking `sim`."""
    root = pynn_source_dir() / "test" / "system"
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    found = []
    for path in sorted((root / "scenarios").glob("test_*.py")):
        module = importlib.import_module(f"scenarios.{path.stem}")
        for name, fn in vars(module).items():
            if name.startswith("test_") and inspect.isfunction(fn) and "sim" in inspect.signature(fn).parameters:
                found.append((f"{path.stem}::{name}", path.stem, name))
    return found


SCENARIOS = scenario_functions()


def run_scenario(module: str, name: str):
    import pyNN.spikegpu as sim

    fn = getattr(importlib.import_module(f"scenarios.{module}"), name)
    fn(sim)


def test_every_listed_scenario_exists():
    ids = {s[0] for s in SCENARIOS}
    assert set(NEEDS_ENGINE) <= ids and set(NOT_APPLICABLE) <= ids


@pytest.mark.parametrize(
    "module, name",
    [pytest.param(m, n, id=i) for i, m, n in SCENARIOS if i not in NEEDS_ENGINE and i not in NOT_APPLICABLE],
)
def test_scenario_passes(module, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # some scenarios write files
    run_scenario(module, name)


@pytest.mark.parametrize("module, name", [pytest.param(m, n, id=i) for i, m, n in SCENARIOS if i in NEEDS_ENGINE])
def test_scenario_is_refused_naming_the_engine_feature(module, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(spikegpu.EngineFeatureMissing) as info:
        run_scenario(module, name)
    assert info.value.key == NEEDS_ENGINE[f"{module}::{name}"], str(info.value)


@pytest.mark.parametrize("module, name", [pytest.param(m, n, id=i) for i, m, n in SCENARIOS if i in NOT_APPLICABLE])
def test_scenario_not_applicable(module, name):
    pytest.skip(NOT_APPLICABLE[f"{module}::{name}"])
