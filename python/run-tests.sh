#!/usr/bin/env bash
# Builds the Python package (python/) into a virtual environment with pip, as a user would,
# and runs its tests: the API, errors, the same network three ways, closed-loop overhead, NIR,
# PyNN's system scenarios and PyNN's examples on pyNN.spikegpu.
#   PYTHON=python3.13 ./python/run-tests.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")"
python="${PYTHON:-python3}"
venv="${SPIKEGPU_VENV:-build/venv}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
echo "== cargo fmt and clippy of the extension crate (root commands skip it: it needs Python)"
(cd .. && cargo fmt --check -p spikegpu-python && cargo clippy --release -p spikegpu-python -- -D warnings)
echo "== pip install ./python (maturin builds the extension)"
"$venv/bin/python" -m pip install --quiet . "pyNN==0.13.0" neo quantities scipy matplotlib pytest "nir>=1.0,<1.1"
echo "== pytest python/tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
