#!/usr/bin/env bash
# Side by side with the peers: spikegpu's CPU backend, Brian2 C++ standalone and NEST, each on
# one thread and on every core, run alternately on the same model (several repetitions), then
# the median run time of each and its ratio to spikegpu on every core.
#
# Usage: benches/peers.sh [--reps N] [--duration-s S] [--markdown] [MODEL...]
#   MODEL       cuba, coba, brunel (default: all three; Brunel is g 5, eta 2, 12,500 neurons)
#   --reps N    alternating repetitions (default 3)
#   --duration-s S   simulated seconds per run (default 1)
# Environment: SPIKEGPU (binary, default ./target/release/spikegpu), PEERS_PYTHON (default
# /work/peers/bin/python), PEERS_DIR (the peers' scripts, default ../shared/peers or
# /work/shared/peers), THREADS (the "all cores" count, default nproc), PEERS_TIMEOUT (seconds
# one run may take, default 600). Exits 1 when a configuration produced no figure.
# Times are the simulation loops alone (`run_s` of each tool's JSON): build and compilation
# are left out on every side. On a shared machine, read the ratios, not the seconds.
set -euo pipefail

reps=3
duration_s=1
markdown=0
models=()
while (($#)); do
  case "$1" in
    --reps) reps="${2:-}"; shift $(($# > 1 ? 2 : 1)) ;;
    --duration-s) duration_s="${2:-}"; shift $(($# > 1 ? 2 : 1)) ;;
    --markdown) markdown=1; shift ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    cuba | coba | brunel) models+=("$1"); shift ;;
    *) echo "peers.sh: unknown argument '$1' (models: cuba, coba, brunel)" >&2; exit 2 ;;
  esac
done
((${#models[@]})) || models=(cuba coba brunel)
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "peers.sh: --reps must be a whole number >= 1" >&2; exit 2; }
[[ "$duration_s" =~ ^[0-9]*\.?[0-9]+$ ]] && awk "BEGIN { exit !($duration_s > 0 && $duration_s <= 1000) }" ||
  { echo "peers.sh: --duration-s must be a number of seconds in (0, 1000]" >&2; exit 2; }
duration_ms="$(awk "BEGIN { print $duration_s * 1000 }")"
timeout_s="${PEERS_TIMEOUT:-600}"
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || { echo "peers.sh: PEERS_TIMEOUT must be a whole number of seconds >= 1" >&2; exit 2; }

spikegpu="${SPIKEGPU:-./target/release/spikegpu}"
python="${PEERS_PYTHON:-/work/peers/bin/python}"
peers_dir="${PEERS_DIR:-}"
for d in ../shared/peers /work/shared/peers; do
  [[ -z "$peers_dir" && -f "$d/brian2_bench.py" ]] && peers_dir="$d"
done
threads="${THREADS:-$(nproc)}"
[[ -x "$spikegpu" ]] || { echo "peers.sh: no spikegpu binary at $spikegpu (cargo build --release)" >&2; exit 2; }
[[ -x "$python" ]] || { echo "peers.sh: no peers' Python at $python (set PEERS_PYTHON)" >&2; exit 2; }
[[ -f "$peers_dir/brian2_bench.py" ]] || { echo "peers.sh: no peers' scripts (set PEERS_DIR)" >&2; exit 2; }
for module in brian2 nest; do
  "$python" -c "import $module" >/dev/null 2>&1 ||
    { echo "peers.sh: $python cannot import $module (set up the peers as $peers_dir/README says, or set PEERS_PYTHON)" >&2; exit 2; }
done
load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)"
if awk "BEGIN { exit !($load > 0.5) }"; then
  echo "peers.sh: warning: load average $load before the runs: other work shares the cores, so the ratios will be noise" >&2
fi

work="$(mktemp -d /tmp/spikegpu-peers.XXXXXX)"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# The scripts' folder may be read-only: copy them.
cp "$peers_dir"/*.py "$work/"
results="$work/results.jsonl"

# Neuron counts and parameters of spikegpu's standard models, passed to the peers.
peer_args() {
  case "$1" in
    cuba | coba) echo "--n 4000 --seed 42" ;;
    brunel) echo "--n 12500 --g 5 --eta 2 --seed 42" ;;
  esac
}

# One run, its errors into $work/run.err: prints its `run_s`, or fails.
run_one() {
  local tool="$1" model="$2" t="$3" out
  # Output captured first: a parser starting up beside the run would take a core from its
  # threads (a 1 s CUBA run on 2 threads measured 0.22 s piped, 0.07 s captured).
  case "$tool" in
    spikegpu)
      out="$(timeout "$timeout_s" "$spikegpu" bench "$model" --backend cpu --threads "$t" --duration-ms "$duration_ms" --json)" ;;
    brian2)
      # One build folder per configuration, so that make reuses what it compiled before.
      out="$(cd "$work" && timeout "$timeout_s" "$python" brian2_bench.py --model "$model" $(peer_args "$model") \
        --duration "$duration_s" --mode standalone --threads "$t" --workdir "$work/brian2-$model-$t")" ;;
    nest)
      out="$(cd "$work" && timeout "$timeout_s" "$python" nest_bench.py --model "$model" $(peer_args "$model") \
        --duration "$duration_s" --threads "$t")" ;;
  esac
  local result
  result="$(grep -m1 -E '^(RESULT )?\{' <<<"$out" | sed 's/^RESULT //')" ||
    { echo "no result in its output (timeout ${timeout_s} s or a failure above)" >&2; return 1; }
  python3 -c 'import json,sys; print(json.loads(sys.argv[1])["run_s"])' "$result"
}

configs=("spikegpu $threads" "spikegpu 1" "brian2 $threads" "brian2 1" "nest $threads" "nest 1")
failed=0
for ((rep = 1; rep <= reps; rep++)); do
  for model in "${models[@]}"; do
    for c in "${configs[@]}"; do
      read -r tool t <<<"$c"
      if s="$(run_one "$tool" "$model" "$t" 2>"$work/run.err")" && [[ -n "$s" ]]; then
        printf '{"model":"%s","tool":"%s","threads":%s,"rep":%d,"run_s":%s}\n' "$model" "$tool" "$t" "$rep" "$s" >>"$results"
        echo "rep $rep/$reps $model $tool $t threads: run_s $s" >&2
      else
        echo "rep $rep/$reps $model $tool $t threads: FAILED:" >&2
        tail -8 "$work/run.err" >&2
        failed=$((failed + 1))
      fi
    done
  done
done

touch "$results"
python3 - "$results" "$threads" "$markdown" "$reps" <<'EOF'
import json, statistics, sys
path, threads, markdown, reps = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
rows = [json.loads(l) for l in open(path)]
models = list(dict.fromkeys(r["model"] for r in rows))
names = {"spikegpu": "spikegpu CPU", "brian2": "Brian2 2.11 cpp_standalone", "nest": "NEST 3.10"}
print(f"Median run time over {reps} alternating repetitions; ratio = that time / spikegpu's on "
      f"{threads} threads (> 1: slower than spikegpu).")
header = ["model", "simulator", "threads", "runs", "median run_s", "ratio"]
if markdown:
    print("| " + " | ".join(header) + " |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
else:
    print("%-7s %-28s %7s %5s %12s %7s" % tuple(header))
for m in models:
    med = {}
    for r in rows:
        if r["model"] == m:
            med.setdefault((r["tool"], r["threads"]), []).append(r["run_s"])
    ref = med.get(("spikegpu", threads))
    ref = statistics.median(ref) if ref else None
    for (tool, t), times in sorted(med.items(), key=lambda kv: (list(names).index(kv[0][0]), -kv[0][1])):
        x = statistics.median(times)
        ratio = "%.2f" % (x / ref) if ref else "-"
        cells = [m, names[tool], str(t), str(len(times)), "%.3f" % x, ratio]
        if markdown:
            print("| " + " | ".join(cells) + " |")
        else:
            print("%-7s %-28s %7s %5s %12s %7s" % tuple(cells))
EOF
if ((failed)); then
  echo "peers.sh: $failed run(s) failed: their rows are missing or have fewer runs" >&2
  exit 1
fi
