#!/usr/bin/env bash
# The runtime under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer, as CI runs it.
#
# Usage: scripts/sanitize-check.sh [BUILD [ASAN_BUILD]]
#   BUILD       the ordinary build, whose cleave-compile compiles the e2e models (default build/)
#   ASAN_BUILD  where the runtime alone is built with -DCLEAVE_SANITIZE=address,undefined
#               (default build-asan/; reused when it exists)
# Runs every ctest of that build (the runtime's unit tests, cleave-run's command line, the MPI
# pipelines and tensor-parallel groups, the fault cases, the C API) in that build, then a
# handful of e2e models compiled by BUILD's compiler and run by the sanitized cleave-run against
# onnxruntime: one rank, a pipeline, tensor parallelism, both under mpirun. Any sanitizer finding
# ends its process with an error, so it fails the check. The whole project under the sanitizers
# (the compiler too) is -DCLEAVE_SANITIZE at the top level: see docs/testing.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
ASAN=${2:-$ROOT/build-asan}
mkdir -p "$ASAN"
ASAN=$(cd "$ASAN" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

[ -x "$BUILD/bin/cleave-compile" ] ||
  { echo "sanitize-check: error: $BUILD/bin/cleave-compile not found (build first)" >&2; exit 1; }
if [ ! -f "$ASAN/build.ninja" ]; then
  cmake -S "$ROOT/runtime" -B "$ASAN" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCLEAVE_SANITIZE=address,undefined >"$ASAN.configure.log" 2>&1 ||
    { cat "$ASAN.configure.log" >&2; exit 1; }
fi
cmake --build "$ASAN" -j 2 >/dev/null
ctest --test-dir "$ASAN" --output-on-failure -j 2

# The same options the runtime's ctests get (runtime/CMakeLists.txt says why): OpenMPI's
# allocations kept until exit are the only suppressed leaks.
export ASAN_OPTIONS=fast_unwind_on_malloc=0:intercept_tls_get_addr=0
export LSAN_OPTIONS=suppressions=$ROOT/runtime/tests/lsan-openmpi.supp:print_suppressions=0:fast_unwind_on_malloc=0
BIN=$ASAN/e2e-bin
mkdir -p "$BIN"
ln -sf "$BUILD/bin/cleave-compile" "$BIN/cleave-compile"
ln -sf "$ASAN/bin/cleave-run" "$BIN/cleave-run"
WORK=$ASAN/e2e-work
status=0
run() {
  local name=$1
  shift
  local start=$SECONDS
  if bash "$ROOT/test/e2e/run_e2e.sh" "$BIN" "$@" >"$WORK.$name.log" 2>&1; then
    echo "sanitize-check: e2e $name passed ($((SECONDS - start)) s)"
  else
    tail -n 40 "$WORK.$name.log"
    echo "sanitize-check: e2e $name FAILED (log: $WORK.$name.log)" >&2
    status=1
  fi
}
run mlp mlp "$WORK/mlp"
run resnet18 resnet18 "$WORK/resnet18"
run gpt.pp2_mb4 gpt_b4 "$WORK/gpt.pp2_mb4" --ranks 2 --devices=cpu:0-1 --microbatches=4
run gpt.tp2 gpt "$WORK/gpt.tp2" --ranks 2 --devices=cpu:0-1 --pp=1 --tp=2
run mlp.pp2_tp2 mlp "$WORK/mlp.pp2_tp2" --ranks 4 --devices=cpu:0-3 --pp=2 --tp=2
exit $status
