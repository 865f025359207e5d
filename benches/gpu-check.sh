#!/usr/bin/env bash
# The GPU check: runs the binaries that benches/gpu-prepare.sh built and gathered, on a machine
# that may have no Rust toolchain, no Vulkan loader and nothing to download (the lent GPU
# machine), or on this one (lavapipe) as the rehearsal. Needs bash, coreutils, timeout, and, only
# where no Vulkan loader is installed, root and dpkg.
#
#   gpu-check.sh [--quick] [--parts LIST] [--prepared DIR] [RESULTS_DIR]
#
# RESULTS_DIR   where the 8 result files go (default $OUT, else ./gpu-check-out)
# --prepared    the prepared folder (default: the folder holding this script if it has a
#               MANIFEST.txt, else .gpu beside benches/)
# --quick       short durations and small scales (CI's rehearsal on lavapipe)
# --parts LIST  comma-separated subset of suite,tests,microcircuit,scaled,profile (a rerun)
#
# Each part has its own time limit (BUDGET below), so one slow part cannot eat the others; a
# part past its limit is stopped and reported as timed out. The full check's limits add up to
# 7.5 minutes, with the estimates for an H200 beside them. Exit status 0 when no part failed
# or timed out.
set -uo pipefail

quick=0
parts="suite,tests,microcircuit,scaled,profile"
prepared=""
results=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --parts) parts="$2"; shift 2 ;;
    --prepared) prepared="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*)
      echo "gpu-check.sh: unknown option '$1' (allowed: --quick, --parts LIST, --prepared DIR)" >&2
      exit 2
      ;;
    *) results="$1"; shift ;;
  esac
done

# Seconds per part: the full check's limits, then --quick's (lavapipe in CI, a slow shared
# machine). Estimates on an H200 (BENCHMARKS.md says how they were made):
#   setup         checksums, loader, nvidia-smi (at most 10 + 5 s),
#                 adapters (at most 25 s)                                  ~5 s
#   suite         8 standard models, 1 s each, GPU and CPU side by side    40-50 s (CPU side ~26 s)
#   tests         25 GPU-vs-CPU tests, 4 at a time                         15-40 s
#   microcircuit  77,169 neurons, 3e8 synapses generated on the GPU:
#                 1 s of network time, then 10 s                           ~5 s + 5-30 s
#   scaled        cuba and brunel at 10x (brunel 1.6e8 synapses), 1 s      15-25 s (host build ~10 s)
#   profile       per-stage timings of cuba, brunel, brunel-stdp and
#                 microcircuit, 1 s each                                   15-30 s
declare -A BUDGET=([setup]=40 [suite]=90 [tests]=95 [microcircuit]=130 [scaled]=45 [profile]=50)
declare -A QUICK_BUDGET=([setup]=60 [suite]=150 [tests]=150 [microcircuit]=120 [scaled]=120 [profile]=60)

for p in ${parts//,/ }; do
  case "$p" in
    suite | tests | microcircuit | scaled | profile) ;;
    *)
      echo "gpu-check.sh: unknown part '$p' in --parts (allowed: suite,tests,microcircuit,scaled,profile)" >&2
      exit 2
      ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "$prepared" ]; then
  if [ -f "$here/MANIFEST.txt" ]; then prepared="$here"; else prepared="$here/../.gpu"; fi
fi
if ! prepared=$(cd "$prepared" 2>/dev/null && pwd) || [ ! -f "$prepared/MANIFEST.txt" ]; then
  echo "gpu-check.sh: no prepared folder at '$prepared' (run benches/gpu-prepare.sh first)" >&2
  exit 2
fi
results="${results:-${OUT:-gpu-check-out}}"
mkdir -p "$results" && results=$(cd "$results" && pwd) || exit 2
files="summary.txt setup.txt suite.md tests.txt microcircuit.jsonl scaled.jsonl profile.txt log.txt"
for f in $files; do : >"$results/$f"; done
summary="$results/summary.txt"
setup="$results/setup.txt"
log="$results/log.txt"

# Nothing runs from the checkout: the tests' compiled-in source paths need not exist here.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
# A copy that lost the executable bits (a transfer, a read-only folder) runs from here instead.
spikegpu="$prepared/bin/spikegpu"
suite="$prepared/bin/suite"
if [ ! -x "$spikegpu" ] || [ ! -x "$suite" ]; then
  mkdir "$work/bin" && cp "$spikegpu" "$suite" "$work/bin/" && chmod +x "$work/bin/"*
  spikegpu="$work/bin/spikegpu"
  suite="$work/bin/suite"
fi
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  mkdir -m 700 "$work/runtime" && export XDG_RUNTIME_DIR="$work/runtime"
fi
# ldconfig lives in sbin, which a plain user's PATH may lack. GPU tests fail, not skip, without
# an adapter.
export PATH="$PATH:/usr/sbin:/sbin" RUST_LOG="${RUST_LOG:-spikegpu=info}" RUST_BACKTRACE=1 \
  SPIKEGPU_REQUIRE_GPU=1

budget() { if [ "$quick" = 1 ]; then echo "${QUICK_BUDGET[$1]}"; else echo "${BUDGET[$1]}"; fi; }
selected() { case ",$parts," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# Keeps every result file well under the 16 MiB that may come back from the device machine.
cap() {
  local file=$1 limit=$((12 * 1048576))
  if [ "$(stat -c %s "$file")" -gt "$limit" ]; then
    head -c "$limit" "$file" >"$work/capped" && echo "[cut at 12 MiB by gpu-check.sh]" >>"$work/capped"
    mv "$work/capped" "$file"
  fi
}

# A part: part_begin NAME, then steps, then part_end NOTE. A step gets the time left of its
# part's budget; once that is spent, the remaining steps are skipped.
part_begin() {
  part=$1
  part_budget=$(budget "$1")
  part_start=$SECONDS
  part_problems=""
  part_skipped=0
  echo "== $part (budget $part_budget s)" >>"$log"
  echo "== $part (at most $part_budget s)"
}
problem() { part_problems="${part_problems:+$part_problems; }$1"; }
# step OUTFILE [--both] CMD...: stdout (and stderr with --both) to OUTFILE, stderr to the log.
step() {
  local file=$1 err=$log rc=0
  shift
  if [ "$1" = --both ]; then err=$file; shift; fi
  local left=$((part_start + part_budget - SECONDS)) what
  what="$(basename "$1") ${*:2:2}"
  if [ "$left" -le 0 ]; then
    part_skipped=$((part_skipped + 1))
    echo "-- not run, no time left: $*" >>"$log"
    return
  fi
  echo "-- $* (at most $left s)" >>"$log"
  timeout -k 5 "$left" "$@" >>"$file" 2>>"$err" || rc=$?
  case $rc in
    0) ;;
    124 | 137) problem "timed out in '$what' after $left s" ;;
    *) problem "failed in '$what' (exit $rc)" ;;
  esac
  cap "$file"
  cap "$log"
}
problems_total=0
part_end() {
  local result=passed
  [ "$part_skipped" = 0 ] || problem "$part_skipped later steps not run"
  if [ -n "$part_problems" ]; then
    result=$part_problems
    problems_total=$((problems_total + 1))
  fi
  printf '| %s | %s | %d | %d | %s |\n' "$part" "$result" $((SECONDS - part_start)) "$part_budget" "$1" |
    tee -a "$summary"
}
skip_part() {
  echo "$part: not run ($2)" >>"$results/$1"
  printf '| %s | not run | 0 | %d | %s |\n' "$part" "$(budget "$part")" "$2" >>"$summary"
}
json_field() { grep -m1 -o "\"$1\":[^,]*" | cut -d: -f2; }

# ---- setup: prepared files, Vulkan loader and driver, adapters
{
  echo "spikegpu GPU check ($([ "$quick" = 1 ] && echo quick || echo full)), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  memory=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
  echo "host: $(uname -srm), $(nproc) cores, $memory, $(ldd --version 2>&1 | head -1)"
  echo "prepared: $prepared"
  sed -n '1,5p' "$prepared/MANIFEST.txt"
} >"$summary"
part_begin setup
{
  echo "== prepared files (MANIFEST.txt)"
  cat "$prepared/MANIFEST.txt"
  echo "== checksums"
} >>"$setup"
if (cd "$prepared" && awk 'NF == 3 && length($2) == 64 && $2 ~ /^[0-9a-f]+$/ { print $2 "  " $3 }' MANIFEST.txt |
  sha256sum -c --quiet) >>"$setup" 2>&1; then
  echo "all files as prepared" >>"$setup"
else
  problem "prepared files differ from MANIFEST.txt"
fi

echo "== Vulkan loader" >>"$setup"
# (Listings are read whole before grep -q: with pipefail, a writer cut off by it would fail.)
has_loader() { grep -q 'libvulkan\.so\.1 ' <<<"$(ldconfig -p)"; }
if has_loader; then
  loader="installed here"
elif [ "$(id -u)" != 0 ] || ! command -v dpkg >/dev/null; then
  loader="missing, and unpacking the prepared packages needs root and dpkg"
  problem "no Vulkan loader"
else
  # The packages' libraries go to the system's library folder, where the loader looks.
  debs=("$prepared"/debs/*.deb)
  for deb in "${debs[@]}"; do dpkg -x "$deb" / >>"$setup" 2>&1; done
  ldconfig >>"$setup" 2>&1
  loader="unpacked from ${#debs[@]} prepared packages"
  has_loader || problem "loader unpacked but not found"
fi
{
  echo "$loader"
  ldconfig -p | grep -E 'libvulkan|libEGL\.so|libGLdispatch'
  echo "== Vulkan driver files"
} >>"$setup"
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
nvidia_egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
# The loader's own folders: /etc, /usr/share and /usr/local/share, and the XDG ones.
IFS=: read -ra xdg_dirs <<<"/etc:/usr/share:/usr/local/share:${XDG_CONFIG_DIRS:-}:${XDG_DATA_DIRS:-}"
found_icds=""
for d in "${xdg_dirs[@]}"; do
  for f in "$d"/vulkan/icd.d/*.json; do [ -f "$f" ] && found_icds="$found_icds $f"; done
done
if [ -n "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  drivers="as set: ${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}"
elif [ -n "$found_icds" ]; then
  drivers="installed here:$found_icds"
elif [ -f "$nvidia_icd" ]; then
  # The NVIDIA container runtime mounts the driver's ICD where the loader does not look.
  export VK_DRIVER_FILES="$nvidia_icd" VK_ICD_FILENAMES="$nvidia_icd"
  drivers="none installed; using the NVIDIA driver's $nvidia_icd"
else
  drivers="none found"
  problem "no Vulkan driver file"
fi
if ! ls /etc/glvnd/egl_vendor.d/*.json /usr/share/glvnd/egl_vendor.d/*.json >/dev/null 2>&1 &&
  [ -f "$nvidia_egl" ]; then
  export __EGL_VENDOR_LIBRARY_FILENAMES="$nvidia_egl"
  drivers="$drivers; EGL vendor $nvidia_egl"
fi
{
  echo "$drivers"
  IFS=: read -ra driver_files <<<"${VK_DRIVER_FILES:-}"
  [ ${#driver_files[@]} = 0 ] || cat "${driver_files[@]}" 2>&1
  echo "== nvidia-smi"
} >>"$setup"
gpu=$(timeout 5 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null) ||
  gpu="(no nvidia-smi answer)"
echo "$gpu" >>"$setup"
timeout 10 nvidia-smi >>"$setup" 2>&1

echo "== libraries of the binaries" >>"$setup"
ldd "$spikegpu" "$suite" >>"$setup" 2>&1
if grep -q 'not found' <<<"$(ldd "$spikegpu" "$suite" 2>&1)"; then
  problem "a library of the binaries is missing (see setup.txt)"
fi

echo "== spikegpu devices" >>"$setup"
timeout 25 "$spikegpu" devices >"$work/devices" 2>>"$log"
cat "$work/devices" >>"$setup"
adapters=$(grep -v '^ ' "$work/devices" | paste -sd ';' -)
have_adapter=0
grep -q 'compute true' "$work/devices" && have_adapter=1
[ "$have_adapter" = 1 ] || problem "no compute-capable adapter"
{
  echo "Vulkan loader: $loader"
  echo "Vulkan drivers: $drivers"
  echo "nvidia-smi: $gpu"
  echo "adapters: ${adapters:-none}"
  if [ "$gpu" != "(no nvidia-smi answer)" ] && ! grep -qi nvidia <<<"$adapters"; then
    echo "WARNING: nvidia-smi sees a GPU but wgpu lists no NVIDIA adapter: the GPU parts ran elsewhere"
  fi
  echo
  echo "| part | result | seconds | budget s | note |"
  echo "| --- | --- | ---: | ---: | --- |"
} >>"$summary"
part_end "$(grep -c '^[^ ]' "$work/devices") adapters, listed in setup.txt"

# ---- the parts
if [ "$quick" = 1 ]; then
  suite_models="cuba coba izhikevich cobahh stdp"
  short=(--duration-ms 20)
else
  suite_models="cuba coba brunel brunel-ai izhikevich cobahh brunel-stdp stdp"
  short=()
fi

# One merged table from one bench run per model, rewritten after each, so a timeout keeps the
# models done so far.
merge_suite() {
  local first=$1
  shift
  {
    sed '/^| model/,$d' "$first"
    grep -m1 '^| model' "$first"
    grep -m1 '^| ---' "$first"
    for f in "$@"; do grep '^| ' "$f" | grep -v '^| model\|^| ---'; done
    echo
    for f in "$@"; do sed -n '/^| /,$p' "$f" | grep '^- '; done
  } >"$results/suite.md"
}
run_suite() {
  local done=()
  for m in $suite_models; do
    : >"$work/suite.$m"
    step "$work/suite.$m" "$spikegpu" bench "$m" --backend both --markdown "${short[@]}"
    [ -s "$work/suite.$m" ] && done+=("$work/suite.$m") && merge_suite "${done[0]}" "${done[@]}"
  done
  cap "$results/suite.md"
  local same
  same=$(grep -c 'identical spike trains: yes' "$results/suite.md")
  part_end "${#done[@]} of $(wc -w <<<"$suite_models") models; GPU = CPU spike trains in $same (cobahh is compared by statistics)"
}

run_tests() {
  local threads=2 filters
  [ "$(nproc)" -ge 8 ] && threads=4
  if [ "$quick" = 1 ]; then
    filters=(gpu_vs_cpu::wgsl_ gpu_vs_cpu::fixed_point gpu_limits::
      generation::gpu_generated_connectivity_equals_the_host_plan_row_by_row)
  else
    filters=(gpu_vs_cpu:: gpu_models:: generation:: gpu_limits::)
  fi
  step "$results/tests.txt" --both "$suite" "${filters[@]}" \
    --test-threads="$threads" --nocapture
  local passed failed adapter
  passed=$(grep -c '^test .* \.\.\. ok$' "$results/tests.txt")
  failed=$(grep -c '^test .* \.\.\. FAILED$' "$results/tests.txt")
  [ "$passed" -gt 0 ] || problem "no test passed"
  adapter=$(grep -m1 -o 'GPU test running on adapter: .*' "$results/tests.txt" | sed 's/^[^:]*: //')
  part_end "$passed passed, $failed failed (${filters[*]}); adapter: ${adapter:-none named}"
}

run_microcircuit() {
  local out="$results/microcircuit.jsonl" durations=(1000 10000) scale=()
  if [ "$quick" = 1 ]; then durations=(20); scale=(--scale 0.05); fi
  for ms in "${durations[@]}"; do
    step "$out" "$spikegpu" bench microcircuit --backend gpu --generate-on-device --duration-ms "$ms" \
      "${scale[@]}" --json
  done
  local note=""
  while read -r line; do
    note="$note$(awk -v ms="$(json_field duration_ms <<<"$line")" -v b="$(json_field build_s <<<"$line")" \
      -v r="$(json_field run_s <<<"$line")" 'BEGIN { printf "%g ms: build %.2f s, run %.2f s; ", ms, b, r }')"
  done <"$out"
  note="${note%; }"
  part_end "${note:-no run finished}"
}

run_scaled() {
  local args=(--scale 10 --duration-ms 1000)
  [ "$quick" = 1 ] && args=(--scale 0.2 --duration-ms 20)
  step "$results/scaled.jsonl" "$spikegpu" bench cuba brunel --backend gpu "${args[@]}" --json
  part_end "$(wc -l <"$results/scaled.jsonl") runs: ${args[*]}"
}

run_profile() {
  local out="$results/profile.txt"
  if ! grep -q -- '--profile' <<<"$("$spikegpu" bench --help 2>/dev/null)"; then
    echo "This binary has no profiler yet: 'spikegpu bench --help' lists no --profile (issue 17 adds it)." >"$out"
    printf '| %s | not available | 0 | %d | %s |\n' profile "$(budget profile)" "no --profile in this binary" >>"$summary"
    return
  fi
  if [ "$quick" = 1 ]; then
    step "$out" --both "$spikegpu" bench cuba --backend gpu --profile --duration-ms 20
  else
    step "$out" --both "$spikegpu" bench cuba brunel brunel-stdp microcircuit --backend gpu \
      --generate-on-device --profile --duration-ms 1000
  fi
  part_end "per-stage table in profile.txt"
}

declare -A OUTFILE=([suite]=suite.md [tests]=tests.txt [microcircuit]=microcircuit.jsonl
  [scaled]=scaled.jsonl [profile]=profile.txt)
for p in suite tests microcircuit scaled profile; do
  part=$p
  if ! selected "$p"; then
    skip_part "${OUTFILE[$p]}" "not in --parts"
  elif [ "$have_adapter" != 1 ]; then
    skip_part "${OUTFILE[$p]}" "no GPU adapter (see setup.txt)"
    problems_total=$((problems_total + 1))
  else
    part_begin "$p"
    "run_$p"
  fi
done

{
  echo
  if [ "$problems_total" = 0 ]; then echo "RESULT: no part failed or timed out"; else echo "RESULT: $problems_total part(s) failed, timed out or could not run"; fi
  echo "files: $files"
} >>"$summary"
echo
cat "$summary"
[ "$problems_total" = 0 ]
