#!/usr/bin/env bash
# Run on a machine with a real GPU (the lent device machine): builds, lists adapters, runs the
# benchmark suite on GPU and CPU side by side, a scaled run, the full-scale microcircuit for
# 10 s of network time with connectivity generated on the GPU, and the GPU-vs-CPU tests, and
# writes everything under ${OUT:-gpu-check-out}/. Meant to finish within a few minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-check-out}"
mkdir -p "$out"
export CARGO_TERM_COLOR=never
{
  echo "== build"
  time cargo build --release 2>&1 | tail -2
  echo "== nvidia-smi"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo "(no nvidia-smi)"
  echo "== adapters"
  ./target/release/spikegpu devices
} > "$out/setup.txt" 2>&1
models="cuba coba brunel brunel-ai izhikevich cobahh brunel-stdp stdp"
./target/release/spikegpu bench $models --backend both --markdown > "$out/bench.md" 2> "$out/bench.err"
# Full-scale Potjans-Diesmann microcircuit: 77,169 neurons, 3e8 synapses generated on the GPU.
./target/release/spikegpu bench microcircuit --backend gpu --generate-on-device --duration-ms 10000 --json > "$out/microcircuit.jsonl" 2>> "$out/bench.err"
./target/release/spikegpu bench cuba brunel --backend gpu --scale 10 --duration-ms 1000 --json > "$out/scaled.jsonl" 2>> "$out/bench.err"
# Bit-exactness on this driver is informative (drivers may fuse or regroup float operations;
# tests/generation.rs compares GPU-generated rows with the host plan, which an FMA would break).
cargo test --release --test gpu_vs_cpu --test gpu_models --test generation --test gpu_limits -- --nocapture > "$out/gpu-tests.txt" 2>&1
echo "gpu-tests exit $?" >> "$out/gpu-tests.txt"
cat "$out/setup.txt" "$out/bench.md" "$out/microcircuit.jsonl"
