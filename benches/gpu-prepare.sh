#!/usr/bin/env bash
# Prepares the GPU check for a bare GPU machine (no Rust toolchain, no Vulkan loader, nothing to
# download there): builds the release binary and the test suite here, strips their debug info
# (function names stay, for backtraces), and gathers them with the Debian packages of the Vulkan
# loader and the EGL/GL dispatch libraries and benches/gpu-check.sh into one ignored folder,
# with a manifest of sizes and checksums. Fails if the folder exceeds 48 MiB, so that it
# travels with the working tree within the device machine's 64 MiB.
#
#   benches/gpu-prepare.sh [--out DIR] [--rehearse | --rehearse-bare]
#
# --out DIR          the folder to fill (default .gpu in the repository root; emptied first)
# --rehearse         then run the prepared check with --quick as on a bare machine: from a copy
#                    of the folder elsewhere, in an empty environment whose PATH has no cargo or
#                    rustc (stand-ins that fail and leave a mark come first), with the source
#                    tree hidden where the kernel lets us (`unshare -m`); fails unless every part
#                    passes and the 8 result files are there. scripts/test runs this.
# --rehearse-bare    the same in a copy of this machine's root made to look like the GPU
#                    machine (root, overlayfs and `unshare -m` needed): the loader packages'
#                    files removed, no Vulkan driver file where the loader looks, an "NVIDIA"
#                    driver file under /usr/local/nvidia pointing at lavapipe, the toolchain and
#                    the source tree hidden; also fails unless the check unpacked the loader and
#                    chose that driver file.
#
# The packages are downloaded once (apt-get with its own package lists, so the system's are not
# touched) and kept in target/gpu-debs; set SPIKEGPU_DEB_CACHE to keep them elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

out=.gpu
rehearse=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --rehearse) rehearse=1; shift ;;
    --rehearse-bare) rehearse=bare; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *)
      echo "gpu-prepare.sh: unknown argument '$1' (allowed: --out DIR, --rehearse, --rehearse-bare)" >&2
      exit 2
      ;;
  esac
done

limit_mib=48
loader_packages="libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2"
export CARGO_TERM_COLOR=never

echo "== build (release binary and test executables)"
artifacts=$(mktemp)
trap 'rm -f "$artifacts"' EXIT
cargo test --release --no-run --message-format=json-render-diagnostics >"$artifacts"
# One JSON object per line: the release binary is the `bin` artifact named spikegpu without a
# hash (the hashed one is its unit-test harness), the test executables are the `test` artifacts
# (the suite, tests/suite/main.rs).
bin=$(grep '"reason":"compiler-artifact"' "$artifacts" | grep '"kind":\["bin"\]' |
  grep -m1 -o '"executable":"[^"]*/spikegpu"' | sed 's/^"executable":"//; s/"$//')
tests=$(grep '"reason":"compiler-artifact"' "$artifacts" | grep '"kind":\["test"\]' |
  sed 's/.*"target":{[^}]*"name":"\([^"]*\)".*"executable":"\([^"]*\)".*/\1 \2/')
if [ -z "$bin" ] || [ ! -x "$bin" ] || [ -z "$tests" ]; then
  echo "gpu-prepare.sh: cargo named no spikegpu binary or no test executable" >&2
  exit 1
fi

echo "== gather into $out"
rm -rf "$out"
mkdir -p "$out/bin" "$out/debs"
strip --strip-debug -o "$out/bin/spikegpu" "$bin"
echo "$tests" | while read -r name path; do
  strip --strip-debug -o "$out/bin/$name" "$path"
done
cp benches/gpu-check.sh "$out/gpu-check.sh"

echo "== loader packages ($loader_packages)"
cache="${SPIKEGPU_DEB_CACHE:-$(cargo metadata --format-version 1 --no-deps |
  grep -o '"target_directory":"[^"]*"' | sed 's/^"target_directory":"//; s/"$//')/gpu-debs}"
mkdir -p "$cache"
missing=()
for p in $loader_packages; do
  ls "$cache/${p}"_*_amd64.deb >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  # The device machine is x86-64 whatever this one is; private lists leave the system's alone.
  lists="$cache/lists"
  mkdir -p "$lists/partial"
  apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists"
    -oAPT::Sandbox::User=root -qq)
  apt-get "${apt_opts[@]}" update >/dev/null
  (cd "$cache" && apt-get "${apt_opts[@]}" download "${missing[@]}")
fi
for p in $loader_packages; do
  deb=$(ls "$cache/${p}"_*_amd64.deb | sort -V | tail -1)
  cp "$deb" "$out/debs/"
done
# The loader itself must be in there: gpu-check.sh unpacks these on a machine without one.
loader_files=$(dpkg-deb -c "$out"/debs/libvulkan1_*_amd64.deb)
grep -q 'libvulkan\.so\.1' <<<"$loader_files" ||
  { echo "gpu-prepare.sh: libvulkan1's package holds no libvulkan.so.1" >&2; exit 1; }

echo "== manifest"
size_bytes() { du -sb "$1" | cut -f1; }
{
  echo "spikegpu GPU check, prepared $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m)"
  commit=$(git rev-parse HEAD 2>/dev/null || echo "unknown (no git)")
  git diff --quiet HEAD -- src tests shaders Cargo.toml 2>/dev/null || commit="$commit (with uncommitted changes)"
  echo "commit: $commit"
  echo "toolchain: $(rustc --version)"
  echo "test executables: $(echo "$tests" | cut -d' ' -f1 | tr '\n' ' ')"
  echo "GPU tests in suite: $("$out/bin/suite" --list 2>/dev/null |
    grep -cE '^(gpu_vs_cpu|gpu_models|generation|gpu_limits)::.*: test$' || true)"
  echo
  echo "bytes sha256 file"
  (cd "$out" && find . -type f ! -name MANIFEST.txt | sort | sed 's|^\./||' | while read -r f; do
    echo "$(size_bytes "$f") $(sha256sum "$f" | cut -d' ' -f1) $f"
  done)
} >"$out/MANIFEST.txt"
total=$(size_bytes "$out")
echo "total: $total bytes" >>"$out/MANIFEST.txt"
cat "$out/MANIFEST.txt"
mib=$(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1048576 }')
if [ "$total" -gt $((limit_mib * 1048576)) ]; then
  echo "gpu-prepare.sh: $out is $mib MiB, over the $limit_mib MiB limit" >&2
  exit 1
fi
echo "prepared folder $out: $mib MiB (limit $limit_mib MiB)"

[ "$rehearse" != 0 ] || exit 0

echo "== rehearsal: the prepared check with --quick, no cargo or rustc, from a copy elsewhere"
scratch=$(mktemp -d)
trap 'rm -f "$artifacts"; rm -rf "$scratch"' EXIT
cp -r "$out" "$scratch/prepared"
mkdir -p "$scratch/poison" "$scratch/home" "$scratch/results"
for tool in cargo rustc rustup; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/toolchain-called"\nexit 127\n' "$tool" "$scratch" \
    >"$scratch/poison/$tool"
  chmod +x "$scratch/poison/$tool"
done
check=(env -i "PATH=$scratch/poison:/usr/bin:/bin" "HOME=$scratch/home" "LANG=C.UTF-8"
  bash "$scratch/prepared/gpu-check.sh" --quick "$scratch/results")
# Hide the source tree (and target/) behind an empty folder, as on the device machine, where
# the paths compiled into the tests do not exist.
mkdir -p "$scratch/empty"
if [ "$rehearse" = bare ]; then
  # Everything but $scratch happens in a throwaway upper layer over /, in a private namespace.
  run=(unshare -m --propagation private bash -s "$scratch" "$repo" "${CARGO_HOME:-$HOME/.cargo}"
    "${RUSTUP_HOME:-$HOME/.rustup}" "${check[@]}")
  bare_root=$(
    cat <<'BARE'
set -euo pipefail
scratch=$1 repo=$2 cargo_home=$3 rustup_home=$4
shift 4
m=$scratch/root
mkdir -p "$scratch/upper" "$scratch/overlay-work" "$m"
mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/overlay-work" "$m"
for p in libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2; do
  dpkg -L "$p" | while read -r f; do [ -d "$m$f" ] || rm -f "$m$f"; done
done
lavapipe=$(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' /usr/share/vulkan/icd.d/lvp_icd.*.json | head -1)
rm -f "$m"/etc/vulkan/icd.d/*.json "$m"/usr/share/vulkan/icd.d/*.json "$m"/usr/local/share/vulkan/icd.d/*.json
rm -f "$m"/etc/glvnd/egl_vendor.d/*.json "$m"/usr/share/glvnd/egl_vendor.d/*.json
mkdir -p "$m/usr/local/nvidia/share/vulkan/icd.d" "$m/usr/local/nvidia/share/glvnd/egl_vendor.d"
printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "%s", "api_version": "1.1.0"}}\n' \
  "$lavapipe" >"$m/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json"
echo '{"file_format_version": "1.0.0", "ICD": {"library_path": "libEGL_mesa.so.0"}}' \
  >"$m/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json"
mount -t proc proc "$m/proc"
mount --rbind /dev "$m/dev"
mount --rbind /sys "$m/sys"
for d in "$repo" "$cargo_home" "$rustup_home"; do
  [ -d "$m$d" ] && mount -t tmpfs tmpfs "$m$d"
done
mount --bind "$scratch" "$m$scratch"
chroot "$m" ldconfig
chroot "$m" "$@"
BARE
  )
  echo "(in a copy of / without loader or driver files; toolchain and source tree hidden)"
elif unshare -m true 2>/dev/null; then
  run=(unshare -m --propagation private sh -c 'mount --bind "$1" "$2" && shift 2 && cd / && exec "$@"'
    sh "$scratch/empty" "$repo" "${check[@]}")
  echo "(source tree $repo hidden during the check)"
else
  run=("${check[@]}")
  echo "(unshare -m not permitted here: the source tree stays visible during the check)"
fi
started=$(date +%s)
status=0
if [ "$rehearse" = bare ]; then
  "${run[@]}" <<<"$bare_root" || status=$?
else
  "${run[@]}" || status=$?
fi
echo "rehearsal: $(($(date +%s) - started)) s, exit $status"
ls -l "$scratch/results"
if [ -e "$scratch/toolchain-called" ]; then
  echo "gpu-prepare.sh: the check called the Rust toolchain:" >&2
  cat "$scratch/toolchain-called" >&2
  exit 1
fi
count=$(find "$scratch/results" -type f | wc -l)
if [ "$status" -ne 0 ] || [ "$count" -ne 8 ] || [ -n "$(find "$scratch/results" -type f -empty)" ]; then
  echo "gpu-prepare.sh: rehearsal failed (exit $status, $count result files, want 8 non-empty)" >&2
  cat "$scratch/results/summary.txt" "$scratch/results/log.txt" >&2 2>/dev/null || true
  exit 1
fi
summary=$(cat "$scratch/results/summary.txt")
if [ "$rehearse" = bare ] && ! { grep -q '^Vulkan loader: unpacked from 7 prepared packages' <<<"$summary" &&
  grep -q "^Vulkan drivers: none installed; using the NVIDIA driver's .*; EGL vendor " <<<"$summary"; }; then
  echo "gpu-prepare.sh: the bare rehearsal did not unpack the loader or choose the NVIDIA driver file" >&2
  exit 1
fi
echo "rehearsal passed"
