"""NEST 3 reference for examples/models/fi-curve.toml: spike counts of iaf_psc_delta (its
defaults) in 2 s for DC inputs of 16..35 mV (I_e = mV / 0.04 pA), dt 0.1 ms. Writes
tests/data/fi_nest.json. Run with /work/peers/bin/python (NEST 3.10)."""
import json
import sys

import nest

counts = {}
for mv in range(16, 36):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = 0.1
    n = nest.Create("iaf_psc_delta", params={"I_e": mv / 0.04})
    rec = nest.Create("spike_recorder")
    nest.Connect(n, rec)
    nest.Simulate(2000.0)
    counts[str(mv)] = int(rec.n_events)
out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/fi_nest.json"
with open(out, "w") as f:
    json.dump({"model": "iaf_psc_delta", "nest": nest.__version__, "duration_ms": 2000.0,
               "dt_ms": 0.1, "counts_by_dc_mv": counts}, f, indent=1)
    f.write("\n")
