#!/usr/bin/env bash
# The GPU device check: one command for the lent device machine (after scripts/device/pack-carry.sh,
# with carry [".device-carry"]), within 9 minutes of wall time there. It unpacks Node and the compiled
# tree into a work folder, builds the addon against the machine's pip torch (cmake + ninja, the
# project's CMakeLists.txt), then runs `uniadapter doctor --json`, the CUDA checks
# (scripts/device/cuda-checks.ts) and the benchmarks against plain PyTorch in the same run, and
# writes everything under $OUT:
#   device-check.json   the summary: steps, exit codes, times, build facts, what each file holds
#   device-check.log    everything the steps printed
#   build.log           cmake's configure and build output
#   doctor.json         uniadapter doctor --json
#   checks.json         the CUDA checks (uniadapter-device-checks/1)
#   <device>.json       the benchmark report (uniadapter-bench/1), for benchmarks/results/<device>.json
#
# CPU mode (--device cpu) rehearses the same path on a machine without a GPU: no build (the existing
# build/Release/uniadapter.node, or --addon, is used), Debian's torch for the reference, small sizes.
#
# Usage: bash scripts/device/device-check.sh [--device cuda|cpu] [--size full|small|smallest]
#          [--out DIR] [--carry DIR] [--work DIR] [--addon FILE]
#   --size   full (default on cuda): BLIP-base at the GPU sizes; small (default on cpu): the tiny
#            configuration in quick mode; smallest: as small with fewer benchmarks (the jest rehearsal)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEVICE=cuda
SIZE=""
OUT_DIR="${OUT:-}"
CARRY="$ROOT/.device-carry"
WORK=""
ADDON=""
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --out) OUT_DIR="$2"; shift 2 ;;
    --carry) CARRY="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --addon) ADDON="$2"; shift 2 ;;
    *) echo "device-check: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case "$DEVICE" in cuda|cpu) ;; *) echo "device-check: --device must be cuda or cpu, got '$DEVICE'" >&2; exit 2 ;; esac
[ -n "$SIZE" ] || { [ "$DEVICE" = cuda ] && SIZE=full || SIZE=small; }
case "$SIZE" in full|small|smallest) ;; *) echo "device-check: --size must be full, small or smallest, got '$SIZE'" >&2; exit 2 ;; esac
[ -n "$OUT_DIR" ] || { echo "device-check: no output folder: set OUT or pass --out DIR" >&2; exit 2; }
for f in node.xz app.tar.xz; do
  [ -f "$CARRY/$f" ] || { echo "device-check: $CARRY/$f is missing: run scripts/device/pack-carry.sh first" >&2; exit 2; }
done
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
# Outside the repository, so that Node resolves packages from the carried node_modules alone.
if [ -z "$WORK" ]; then
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/uniadapter-device-XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK/bin"
APP="$WORK/app"
LOG="$OUT_DIR/device-check.log"
: > "$LOG"
STARTED=$(date +%s.%N)
STEPS_FILE="$WORK/steps.jsonl"
: > "$STEPS_FILE"
FAILED=0
# The whole run must end within 9 minutes on the device (540 s); each step gets what is left.
BUDGET_S=540

log() { echo "device-check: $*" | tee -a "$LOG" >&2; }
elapsed() { awk -v s="$STARTED" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }
remaining() { awk -v s="$STARTED" -v n="$(date +%s.%N)" -v b="$BUDGET_S" 'BEGIN { r = b - (n - s); printf "%d", (r < 10 ? 10 : r) }'; }

# step NAME LIMIT_S COMMAND...: runs a step with a time limit, its output in the log, its record in the summary.
step() {
  local name="$1" limit="$2"
  shift 2
  local left
  left=$(remaining)
  [ "$limit" -gt "$left" ] && limit="$left"
  log "[$name] (limit ${limit} s, $(elapsed) s elapsed)"
  local t0 t1 rc
  t0=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$@" >> "$LOG" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  log "[$name] exit $rc in $secs s"
  [ "$rc" -eq 0 ] || FAILED=1
  printf '{"name":"%s","exitCode":%d,"seconds":%s,"limitSeconds":%d}\n' "$name" "$rc" "$secs" "$limit" >> "$STEPS_FILE"
  return "$rc"
}

unpack() {
  xz -dc "$CARRY/node.xz" > "$WORK/bin/node" && chmod +x "$WORK/bin/node" &&
    rm -rf "$APP" && tar -C "$WORK" -xJf "$CARRY/app.tar.xz" && "$WORK/bin/node" --version
}

build_addon() {
  local torch_dir nccl_flag="" extra=()
  torch_dir="$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')" || return 1
  echo "torch at $torch_dir: $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)')"
  # ProcessGroupNCCL.hpp declares nothing unless USE_C10D_NCCL is defined; the pip wheel's CMake
  # config does not define it, so it is passed when the header is there.
  if [ -f "$torch_dir/include/torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp" ]; then nccl_flag="-DUSE_C10D_NCCL"; fi
  [ -d /usr/local/cuda ] && extra+=("-DCUDAToolkit_ROOT=/usr/local/cuda")
  echo "gloo headers: $([ -f "$torch_dir/include/gloo/config.h" ] && echo present || echo absent); NCCL header: $([ -n "$nccl_flag" ] && echo present || echo absent)"
  export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
  cmake -S "$APP" -B "$APP/build/cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_JS_INC="$APP/node_modules/node-api-headers/include" \
    -DCMAKE_LIBRARY_OUTPUT_DIRECTORY="$APP/build/Release" \
    -DCMAKE_CXX_FLAGS="$nccl_flag" "${extra[@]}" &&
    cmake --build "$APP/build/cmake" --parallel "$(nproc)" &&
    ls -l "$APP/build/Release/uniadapter.node"
}

use_existing_addon() {
  # The binary this checkout loads: a local build, or the prebuild (CI makes one and leaves build/Release empty).
  local found
  found="$(cd "$ROOT" && node -e "process.stdout.write(require('node-gyp-build').resolve('.'))" 2>/dev/null)"
  local src="${ADDON:-${found:-$ROOT/build/Release/uniadapter.node}}"
  [ -f "$src" ] || { echo "no addon at $src (CPU mode uses an existing build; pass --addon FILE)"; return 1; }
  mkdir -p "$APP/build/Release" && cp "$src" "$APP/build/Release/uniadapter.node" && echo "using $src"
}

export PATH="$WORK/bin:$PATH"
export APP WORK CARRY ADDON ROOT OUT_DIR
export -f unpack build_addon use_existing_addon
step unpack 60 bash -c unpack || log "cannot unpack the carry"
if [ "$DEVICE" = cuda ]; then
  step build 300 bash -c 'set -o pipefail; build_addon 2>&1 | tee "$OUT_DIR/build.log"'
else
  step addon 30 bash -c use_existing_addon
fi

step doctor 60 bash -c "node '$APP/lib/cli.js' doctor --json > '$OUT_DIR/doctor.json'"
DEVICE_NAME=cpu
if [ "$DEVICE" = cuda ] && [ -s "$OUT_DIR/doctor.json" ]; then
  DEVICE_NAME="$(node -e 'const d = require(process.argv[1]); const g = d.cuda && d.cuda.devices && d.cuda.devices[0]; process.stdout.write(g ? g.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") : "cuda-unknown")' "$OUT_DIR/doctor.json")"
fi
log "device: $DEVICE_NAME"

step checks 180 node "$APP/scripts/device/cuda-checks.js" --device "$DEVICE" --golden "$ROOT/test/fixtures/golden-tiny" --out "$OUT_DIR/checks.json"

case "$SIZE" in
  full) BENCH=(--config blip-base --only vit,itm,train,caption,eval) ;;
  small) BENCH=(--quick --config tiny --only vit,itm,train,caption,eval) ;;
  smallest) BENCH=(--quick --config tiny --only vit,train,eval) ;;
esac
step bench 420 node "$APP/lib/cli.js" bench "${BENCH[@]}" --device "$DEVICE" --precision fp32,bf16 --compare --out "$OUT_DIR/$DEVICE_NAME.json"

node -e '
const fs = require("fs");
const [file, stepsFile, device, deviceName, size, work, seconds, failed] = process.argv.slice(1);
const steps = fs.readFileSync(stepsFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const summary = {
  format: "uniadapter-device-check/1", createdAt: new Date().toISOString(), device, deviceName, size, work,
  passed: failed === "0", totalSeconds: Number(seconds), steps,
  files: { log: "device-check.log", build: device === "cuda" ? "build.log" : undefined, doctor: "doctor.json", checks: "checks.json", bench: deviceName + ".json" },
};
fs.writeFileSync(file + ".tmp", JSON.stringify(summary, null, 2) + "\n");
fs.renameSync(file + ".tmp", file);
' "$OUT_DIR/device-check.json" "$STEPS_FILE" "$DEVICE" "$DEVICE_NAME" "$SIZE" "$WORK" "$(elapsed)" "$FAILED"
log "done in $(elapsed) s: $([ "$FAILED" = 0 ] && echo 'every step passed' || echo 'a step FAILED (see device-check.json)')"
exit "$FAILED"
