"""NEST 3 reference for the current-based LIF in pA (c_m): the membrane trace of one
iaf_psc_exp (C_m 250 pF, tau_m 10 ms, tau_syn_ex 2 ms, tau_syn_in 5 ms, E_L -70 mV) under a DC
step of 250 pA from 20 to 70 ms and input spikes of +400 pA (10, 30, 45 ms) and -600 pA
(50, 85 ms), delay 1 ms, dt 0.1 ms, 100 ms; it stays below threshold, so the refractory and
spike-stamp conventions play no part. Writes tests/data/iaf_psc_exp_pa_nest.json. Run with
/work/peers/bin/python (NEST 3.10)."""
import json
import sys

import nest

PARAMS = {"C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 2.0, "tau_syn_in": 5.0, "t_ref": 2.0,
          "E_L": -70.0, "V_reset": -70.0, "V_th": -55.0, "V_m": -70.0, "I_e": 0.0}
DC = {"amplitude": 250.0, "start": 20.0, "stop": 70.0}
EXC = {"times": [10.0, 30.0, 45.0], "weight": 400.0}
INH = {"times": [50.0, 85.0], "weight": -600.0}
DELAY = 1.0

nest.ResetKernel()
nest.verbosity = nest.VerbosityLevel.ERROR
nest.resolution = 0.1
n = nest.Create("iaf_psc_exp", params=PARAMS)
dc = nest.Create("dc_generator", params=DC)
nest.Connect(dc, n)
for inp in (EXC, INH):
    g = nest.Create("spike_generator", params={"spike_times": inp["times"]})
    nest.Connect(g, n, syn_spec={"weight": inp["weight"], "delay": DELAY})
mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
nest.Connect(mm, n)
rec = nest.Create("spike_recorder")
nest.Connect(n, rec)
nest.Simulate(100.0)
ev = mm.events
assert rec.n_events == 0, "the trace must stay below threshold"
out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/iaf_psc_exp_pa_nest.json"
with open(out, "w") as f:
    json.dump({"model": "iaf_psc_exp", "nest": nest.__version__, "dt_ms": 0.1, "params": PARAMS,
               "dc": DC, "excitatory": EXC, "inhibitory": INH, "delay_ms": DELAY,
               "times_ms": [round(t, 4) for t in ev["times"]],
               "v_mv": [round(v, 9) for v in ev["V_m"]]}, f, indent=None)
    f.write("\n")
