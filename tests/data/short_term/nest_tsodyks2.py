"""Reference amplitudes of NEST 3.10's tsodyks2_synapse for tests/suite/short_term.rs.

A spike_generator drives, through a parrot_neuron, an iaf_psc_delta neuron that only
integrates (tau_m 1e9 ms, threshold out of reach) over a tsodyks2_synapse of weight 1 and
delay 1 ms; v is read 5 ms after each presynaptic spike, so its rises are the delivered
amplitudes w u x. Run: /work/peers/bin/python tests/data/short_term/nest_tsodyks2.py
(writes nest_tsodyks2.json beside it).
"""
import json
import pathlib

import nest

DT = 0.1
TRAIN = [10.0 + 20.0 * n for n in range(10)]
TRAIN.append(TRAIN[9] + 300.0)
CASES = {
    "depressing": {"U": 0.5, "u": 0.5, "tau_rec": 100.0, "tau_fac": 0.0},
    "facilitating": {"U": 0.1, "u": 0.1, "tau_rec": 50.0, "tau_fac": 500.0},
}


def amplitudes(params):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = DT
    gen = nest.Create("spike_generator", params={"spike_times": TRAIN})
    parrot = nest.Create("parrot_neuron")
    post = nest.Create(
        "iaf_psc_delta",
        params={"tau_m": 1e9, "E_L": 0.0, "V_reset": 0.0, "V_th": 1e6, "V_m": 0.0, "t_ref": 0.0, "C_m": 1.0},
    )
    nest.Connect(gen, parrot)
    nest.Connect(parrot, post, syn_spec={"synapse_model": "tsodyks2_synapse", "weight": 1.0, "delay": 1.0, **params})
    out, before, now = [], 0.0, 0.0
    for t in TRAIN:
        nest.Simulate(t + 5.0 - now)
        now = t + 5.0
        v = post.get("V_m")
        out.append(v - before)
        before = v
    return out


result = {"train_ms": TRAIN, **{k: amplitudes(p) for k, p in CASES.items()}}
pathlib.Path(__file__).with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
