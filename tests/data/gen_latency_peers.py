#!/usr/bin/env python
"""Reference spike times for tests/suite/conventions.rs: the two-neuron latency case in NEST 3.10
and Brian2 2.11, dt = 0.1 ms, 60 ms.

Neuron A (LIF with exponential current synapses) is driven above threshold by a constant current;
A -> B with delay 2 ms and a weight that makes B fire after each of A's spikes. Both neurons:
tau_m 10 ms, E_L -65 mV, V_reset -70 mV, V_th -55 mV, tau_syn 2 ms, t_ref 2 ms; the drive is
16 mV (NEST: I_e = 400 pA with C_m = 250 pF), the weight 80 mV (NEST: 2000 pA). Brian2 integrates
the same linear equations with method 'exact'.

Run with the peers' venv:
    /work/peers/bin/python tests/data/gen_latency_peers.py   # writes tests/data/latency_peers.json
"""
import json
import os

DT, DURATION, DELAY = 0.1, 60.0, 2.0
TAU_M, E_L, V_RESET, V_TH, TAU_SYN, T_REF = 10.0, -65.0, -70.0, -55.0, 2.0, 2.0
C_M, DRIVE_MV, WEIGHT_MV = 250.0, 16.0, 80.0


def nest_times():
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.resolution = DT
    common = dict(C_m=C_M, tau_m=TAU_M, tau_syn_ex=TAU_SYN, tau_syn_in=TAU_SYN, t_ref=T_REF,
                  E_L=E_L, V_reset=V_RESET, V_th=V_TH, V_m=E_L)
    a = nest.Create("iaf_psc_exp", params=dict(common, I_e=DRIVE_MV * C_M / TAU_M))
    b = nest.Create("iaf_psc_exp", params=dict(common, I_e=0.0))
    nest.Connect(a, b, syn_spec={"weight": WEIGHT_MV * C_M / TAU_M, "delay": DELAY})
    sa, sb = nest.Create("spike_recorder"), nest.Create("spike_recorder")
    nest.Connect(a, sa)
    nest.Connect(b, sb)
    nest.Simulate(DURATION)
    return ([float(t) for t in sa.get("events")["times"]],
            [float(t) for t in sb.get("events")["times"]], "NEST " + nest.__version__)


def brian2_times():
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = DT * b2.ms
    eqs = """
    dv/dt = (I_syn + I_ext - (v - E_L)) / tau_m : volt (unless refractory)
    dI_syn/dt = -I_syn / tau_syn : volt
    I_ext : volt
    """
    ns = dict(tau_m=TAU_M * b2.ms, E_L=E_L * b2.mV, tau_syn=TAU_SYN * b2.ms)
    g = b2.NeuronGroup(2, eqs, threshold="v > V_th", reset="v = V_reset",
                       refractory=T_REF * b2.ms, method="exact",
                       namespace=dict(ns, V_th=V_TH * b2.mV, V_reset=V_RESET * b2.mV))
    g.v = E_L * b2.mV
    g.I_ext = [DRIVE_MV * b2.mV, 0 * b2.mV]
    s = b2.Synapses(g[0:1], g[1:2], on_pre="I_syn_post += %g*mV" % WEIGHT_MV, delay=DELAY * b2.ms)
    s.connect()
    mon = b2.SpikeMonitor(g)
    b2.run(DURATION * b2.ms)
    t, i = mon.t / b2.ms, mon.i[:]
    return ([float(x) for x in t[i == 0]], [float(x) for x in t[i == 1]], "Brian2 " + b2.__version__)


out = {"dt_ms": DT, "duration_ms": DURATION, "delay_ms": DELAY, "tau_m_ms": TAU_M, "v_rest_mv": E_L,
       "v_reset_mv": V_RESET, "v_thresh_mv": V_TH, "tau_syn_ms": TAU_SYN, "refractory_ms": T_REF,
       "drive_mv": DRIVE_MV, "weight_mv": WEIGHT_MV}
for key, run in (("nest", nest_times), ("brian2", brian2_times)):
    a, b, who = run()
    out[key] = {"simulator": who, "a_ms": a, "b_ms": b}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "latency_peers.json"), "w") as f:
    json.dump(out, f)
    f.write("\n")
