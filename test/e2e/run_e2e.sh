#!/usr/bin/env bash
# End-to-end test of one model: generate, run onnxruntime, compile and run with Cleave, compare.
#
# Usage: test/e2e/run_e2e.sh BINDIR MODELNAME WORKDIR [--ranks N] [--threads T] [COMPILE_OPTION...]
#   BINDIR     directory holding cleave-compile and cleave-run (CTest passes ${CMAKE_BINARY_DIR}/bin)
#   MODELNAME  a name from `test/models/generate.py --list` (mlp, resnet18, mobilenet_v2, gpt, ...)
#   WORKDIR    scratch directory, emptied first: model/, ref/, out/, model.cleave
#   --ranks N  run the artifact with `mpirun -np N` (a plan over N devices)
#   --threads T  run with `cleave-run --threads T` (default: cleave-run's, all cores; 1 per
#              rank under mpirun)
#   COMPILE_OPTION...  passed to cleave-compile (default --devices=cpu:0), e.g.
#              --devices=cpu:0-3 --microbatches=4
# Environment: E2E_RTOL / E2E_ATOL override the tolerances (default 1e-3 / 1e-4).
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: $0 BINDIR MODELNAME WORKDIR [--ranks N] [COMPILE_OPTION...]" >&2
  exit 2
fi
BINDIR=$(cd "$1" 2>/dev/null && pwd) || { echo "run_e2e: error: no directory $1" >&2; exit 1; }
MODEL=$2
WORK=$3
shift 3
RANKS=1
THREADS=
plan_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --ranks) RANKS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    *) plan_args+=("$1"); shift ;;
  esac
done
[ ${#plan_args[@]} -gt 0 ] || plan_args=(--devices=cpu:0)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
RTOL=${E2E_RTOL:-1e-3}
ATOL=${E2E_ATOL:-1e-4}

for tool in cleave-compile cleave-run; do
  [ -x "$BINDIR/$tool" ] || { echo "run_e2e: error: $BINDIR/$tool not found" >&2; exit 1; }
done

# Prints a step banner and runs the command, timing it.
step() {
  local name=$1
  shift
  echo "== $name: $*"
  local start=$SECONDS
  if ! "$@"; then
    echo "run_e2e: $MODEL: step '$name' failed" >&2
    exit 1
  fi
  echo "   ($name took $((SECONDS - start)) s)"
}

rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

step generate "$PY" "$ROOT/test/models/generate.py" "$MODEL" --out "$WORK/model"

# inputs.txt: NAME=FILE lines, FILE relative to the model directory.
inputs=()
while IFS= read -r line || [ -n "$line" ]; do
  [ -z "$line" ] && continue
  inputs+=(--input "${line%%=*}=$WORK/model/${line#*=}")
done <"$WORK/model/inputs.txt"

# Optional extra compile arguments (e.g. --input-shape for models with dynamic dims).
compile_args=()
if [ -f "$WORK/model/compile_args.txt" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    [ -n "$line" ] && compile_args+=("$line")
  done <"$WORK/model/compile_args.txt"
fi

step reference node "$ROOT/scripts/ort-run.mjs" "$WORK/model/model.onnx" "${inputs[@]}" \
  --output-dir "$WORK/ref" --threads 1
step compile "$BINDIR/cleave-compile" "$WORK/model/model.onnx" "${plan_args[@]}" \
  -o "$WORK/model.cleave" "${compile_args[@]}"
if [ "$RANKS" -gt 1 ]; then
  # More ranks than cores, as root in containers; no binding, so oversubscribed ranks share
  # the cores; `timeout` turns a hang into a failure.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
  export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
  step run timeout 300 mpirun -np "$RANKS" "$BINDIR/cleave-run" "$WORK/model.cleave" \
    "${inputs[@]}" --output-dir "$WORK/out" --threads "${THREADS:-1}" --profile \
    >"$WORK/run.stdout"
  cat "$WORK/run.stdout"
  # --profile: one line per rank, each with the compiler's prediction next to the measurement.
  num='[0-9]+\.[0-9]{3}'
  for ((r = 0; r < RANKS; r++)); do
    grep -Eq "^profile rank=$r .* compute_ms mean=$num .* predicted compute_ms=$num send_ms=$num compute_error=[-+][0-9]+%$" \
      "$WORK/run.stdout" || { echo "run_e2e: $MODEL: no --profile line with a prediction for rank $r" >&2; exit 1; }
  done
else
  step run "$BINDIR/cleave-run" "$WORK/model.cleave" "${inputs[@]}" --output-dir "$WORK/out" \
    ${THREADS:+--threads "$THREADS"}
fi
step compare "$PY" "$ROOT/test/e2e/compare.py" "$WORK/ref" "$WORK/out" --rtol "$RTOL" --atol "$ATOL"
echo "run_e2e: $MODEL passed"
