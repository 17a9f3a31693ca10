#!/usr/bin/env bash
# Compile-only GPU test of one model: generate it, compile it for cuda or rocm, check the code.
#
# Usage: test/e2e/gpu_compile.sh BINDIR MODELNAME WORKDIR KIND ARCH SHARED
#   KIND  cuda or rocm;  ARCH  sm_90, gfx942, ...
#   SHARED  the number of kernels that must use shared memory (the model's contractions
#           and long reductions, which get the tiled and cooperative schedules)
# The artifact's code section is extracted and checked with check_gpu_artifact.py (every
# kernel the manifest launches is in the binary, which is for ARCH). Nothing runs on a GPU.
set -euo pipefail
if [ $# -ne 6 ]; then
  echo "usage: $0 BINDIR MODELNAME WORKDIR KIND ARCH SHARED" >&2
  exit 2
fi
BINDIR=$1 MODEL=$2 WORK=$3 KIND=$4 ARCH=$5 SHARED=$6
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
rm -rf "$WORK" && mkdir -p "$WORK"
"$PY" "$ROOT/test/models/generate.py" "$MODEL" --out "$WORK/model" >/dev/null
if [ "$KIND" = cuda ]; then arch_opt=--cuda-arch=$ARCH; else arch_opt=--rocm-arch=$ARCH; fi
"$BINDIR/cleave-compile" "$WORK/model/model.onnx" --devices="$KIND:0" "$arch_opt" \
  -o "$WORK/model.cleave"
"$PY" "$ROOT/test/e2e/check_gpu_artifact.py" "$WORK/model.cleave" --kind "$KIND" --arch "$ARCH" \
  --shared-kernels "$SHARED"
