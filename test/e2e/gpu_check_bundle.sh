#!/usr/bin/env bash
# Tests scripts/gpu-check.sh on a machine without a GPU: `prepare` makes a bundle (a subset of
# the cases), and `run` on it must report each case as failing with the one-line device error
# and exit 1. The comparison itself only happens on a GPU machine.
#
# Usage: test/e2e/gpu_check_bundle.sh BUILD_DIR WORKDIR
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR WORKDIR" >&2
  exit 2
fi
BUILD=$1 WORK=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rm -rf "$WORK" && mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
cases=mlp,mlp.pp2,mlp.cuda_cpu,mlp.tp2
"$ROOT/scripts/gpu-check.sh" prepare "$BUILD" "$WORK/bundle" --cases "$cases" \
  --bench-models mlp >"$WORK/prepare.log"
for c in ${cases//,/ }; do
  for f in model.cleave ranks ref/output.npy model/inputs.txt; do
    [ -e "$WORK/bundle/cases/$c/$f" ] || { echo "missing $c/$f in the bundle" >&2; exit 1; }
  done
done
for f in bin/cleave-run lib/libomp.so.5 tools/compare.py tools/gpu_bench.py gpu-check.sh \
    bench/mlp/model.pt bench/mlp/model.cleave; do
  [ -e "$WORK/bundle/$f" ] || { echo "missing $f in the bundle" >&2; exit 1; }
done
if /usr/bin/python3 -c "import ctypes; ctypes.CDLL('libcuda.so.1')" 2>/dev/null; then
  echo "gpu_check_bundle: libcuda.so.1 is present: run the bundle's check by hand"
  exit 0
fi
set +e
"$WORK/bundle/gpu-check.sh" run "$WORK/bundle" >"$WORK/run.log" 2>&1
rc=$?
set -e
cat "$WORK/run.log"
[ "$rc" = 1 ] || { echo "expected exit 1 without a GPU, got $rc" >&2; exit 1; }
grep -qx 'gpu-check: 0 passed, 4 failed' "$WORK/run.log" || { echo "unexpected summary" >&2; exit 1; }
for c in ${cases//,/ }; do
  rank=
  [ "$(cat "$WORK/bundle/cases/$c/ranks")" = 1 ] || rank="rank 0: "
  want="FAIL $c: cleave-run: error: ${rank}artifact '$WORK/bundle/cases/$c/model.cleave': cuda:0: cannot load libcuda.so.1 (no NVIDIA driver on this machine)"
  grep -qxF "$want" "$WORK/run.log" || { echo "missing line: $want" >&2; exit 1; }
done
echo "gpu_check_bundle: passed"
