#!/usr/bin/env python
"""Reference trace for tests/suite/conventions.rs: one NEST 3.10 iaf_psc_exp neuron driven by
excitatory and inhibitory input spikes, with a refractory period, dt = 0.1 ms.

Run with the peers' venv (NEST 3.10):
    /work/peers/bin/python tests/data/gen_nest_iaf_psc_exp.py   # writes tests/data/iaf_psc_exp_nest.json

NEST stores V relative to E_L and integrates exactly in f64. Weights are in pA; the test
converts them to spikegpu's mV form with w_mV = w_pA * tau_m / C_m. The multimeter samples V
at the end of each step (t = (k + 1) dt for step k).
"""
import json
import os

import nest

nest.verbosity = nest.VerbosityLevel.ERROR
nest.ResetKernel()
DT = 0.1
nest.resolution = DT
params = dict(C_m=250.0, tau_m=10.0, tau_syn_ex=2.0, tau_syn_in=5.0, t_ref=2.0,
              E_L=-65.0, V_reset=-70.0, V_th=-55.0, I_e=0.0, V_m=-65.0)
neuron = nest.Create("iaf_psc_exp", params=params)
exc_times = [round(5.0 + 0.7 * k, 1) for k in range(40)]
inh_times = [50.0, 52.0, 54.0]
exc = nest.Create("spike_generator", params={"spike_times": exc_times})
inh = nest.Create("spike_generator", params={"spike_times": inh_times})
W_EXC, W_INH, D_EXC, D_INH = 600.0, -900.0, 1.0, 1.5
nest.Connect(exc, neuron, syn_spec={"weight": W_EXC, "delay": D_EXC})
nest.Connect(inh, neuron, syn_spec={"weight": W_INH, "delay": D_INH})
mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": DT})
nest.Connect(mm, neuron)
sr = nest.Create("spike_recorder")
nest.Connect(neuron, sr)
DURATION = 80.0
nest.Simulate(DURATION)
ev = mm.get("events")
out = {
    "simulator": "NEST " + nest.__version__,
    "model": "iaf_psc_exp",
    "dt_ms": DT,
    "duration_ms": DURATION,
    "params": params,
    "exc_spike_times_ms": exc_times,
    "inh_spike_times_ms": inh_times,
    "w_exc_pA": W_EXC,
    "w_inh_pA": W_INH,
    "delay_exc_ms": D_EXC,
    "delay_inh_ms": D_INH,
    "v_times_ms": [float(t) for t in ev["times"]],
    "v_mV": [float(v) for v in ev["V_m"]],
    "spike_times_ms": [float(t) for t in sr.get("events")["times"]],
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "iaf_psc_exp_nest.json"), "w") as f:
    json.dump(out, f)
    f.write("\n")
