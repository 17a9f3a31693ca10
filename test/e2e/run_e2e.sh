#!/usr/bin/env bash
# End-to-end test of one model: generate, run onnxruntime, compile and run with Cleave, compare.
#
# Usage: test/e2e/run_e2e.sh BINDIR MODELNAME WORKDIR
#   BINDIR     directory holding cleave-compile and cleave-run (CTest passes ${CMAKE_BINARY_DIR}/bin)
#   MODELNAME  a name from `test/models/generate.py --list` (mlp, resnet18, mobilenet_v2, gpt, ...)
#   WORKDIR    scratch directory, emptied first: model/, ref/, out/, model.cleave
# Environment: E2E_RTOL / E2E_ATOL override the tolerances (default 1e-3 / 1e-4).
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BINDIR MODELNAME WORKDIR" >&2
  exit 2
fi
BINDIR=$(cd "$1" 2>/dev/null && pwd) || { echo "run_e2e: error: no directory $1" >&2; exit 1; }
MODEL=$2
WORK=$3
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
step compile "$BINDIR/cleave-compile" "$WORK/model/model.onnx" --devices=cpu:0 \
  -o "$WORK/model.cleave" "${compile_args[@]}"
step run "$BINDIR/cleave-run" "$WORK/model.cleave" "${inputs[@]}" --output-dir "$WORK/out"
step compare "$PY" "$ROOT/test/e2e/compare.py" "$WORK/ref" "$WORK/out" --rtol "$RTOL" --atol "$ATOL"
echo "run_e2e: $MODEL passed"
