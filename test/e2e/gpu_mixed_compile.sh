#!/usr/bin/env bash
# Compile-only test of a two-rank plan with GPU ranks: a mixed pipeline (stage 0 on a GPU,
# stage 1 on the CPU) or a tensor-parallel stage on two GPUs.
#
# Usage: test/e2e/gpu_mixed_compile.sh BINDIR MODELNAME WORKDIR KIND ARCH [tp COLLECTIVES]
#   KIND  cuda or rocm;  ARCH  sm_90, gfx942, ...
#   tp COLLECTIVES  compile --devices=KIND:0-1 --tp=2 instead, each rank's gpu_program
#                   holding COLLECTIVES collective steps
# Compiles with --devices=KIND:0,cpu:0 and checks the artifact with check_gpu_artifact.py:
# stage 0 holds every kernel it launches in a binary for ARCH, stage 1 is CPU code, and the
# sends of stage 0 match the recvs of stage 1 (tp: every rank's kernels are in its binary
# and it has the expected collectives). Then, when mpirun is found, runs it under
# `mpirun -np 2`: with no GPU on this machine, session creation on rank 0 must fail with one
# line naming the rank and the device (the exact line when the driver library is missing).
# Nothing runs on a GPU.
set -euo pipefail
if [ $# -ne 5 ] && { [ $# -ne 7 ] || [ "$6" != tp ]; }; then
  echo "usage: $0 BINDIR MODELNAME WORKDIR KIND ARCH [tp COLLECTIVES]" >&2
  exit 2
fi
BINDIR=$1 MODEL=$2 WORK=$3 KIND=$4 ARCH=$5 PLAN=${6:-pipeline} COLLECTIVES=${7:-0}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
rm -rf "$WORK" && mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
"$PY" "$ROOT/test/models/generate.py" "$MODEL" --out "$WORK/model" >/dev/null
if [ "$KIND" = cuda ]; then arch_opt=--cuda-arch=$ARCH; else arch_opt=--rocm-arch=$ARCH; fi
compile_args=()
if [ -f "$WORK/model/compile_args.txt" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    [ -n "$line" ] && compile_args+=("$line")
  done <"$WORK/model/compile_args.txt"
fi
if [ "$PLAN" = tp ]; then
  plan=(--devices="$KIND:0-1" --tp=2)
  check=(--collectives "$COLLECTIVES")
else
  plan=(--devices="$KIND:0,cpu:0")
  check=(--stages "$KIND,cpu")
fi
"$BINDIR/cleave-compile" "$WORK/model/model.onnx" "${plan[@]}" "$arch_opt" \
  "${compile_args[@]}" -o "$WORK/model.cleave"
"$PY" "$ROOT/test/e2e/check_gpu_artifact.py" "$WORK/model.cleave" --kind "$KIND" --arch "$ARCH" \
  "${check[@]}"

MPIRUN=$(command -v mpirun || true)
if [ -z "$MPIRUN" ]; then
  echo "gpu_mixed_compile: mpirun not found: the run without a driver is not checked"
  exit 0
fi
if [ "$KIND" = cuda ]; then library=libcuda.so.1; else library=libamdhip64.so; fi
if [ "$(id -u)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1
inputs=()
while IFS= read -r line || [ -n "$line" ]; do
  [ -n "$line" ] && inputs+=(--input "${line%%=*}=$WORK/model/${line#*=}")
done <"$WORK/model/inputs.txt"
set +e
timeout 120 "$MPIRUN" -np 2 "$BINDIR/cleave-run" "$WORK/model.cleave" "${inputs[@]}" \
  --output-dir "$WORK/out" >"$WORK/run.out" 2>"$WORK/run.err"
rc=$?
set -e
prefix="cleave-run: error: rank 0: artifact '$WORK/model.cleave': $KIND:0: "
if [ "$KIND" = cuda ]; then what="NVIDIA driver"; else what="ROCm HIP runtime"; fi
want="${prefix}cannot load $library (no $what on this machine)"
# With the driver library installed but no GPU (HIP is packaged without one), the error
# comes from initialising it; with a GPU the plan runs (compared by scripts/gpu-check.sh).
if "$PY" -c "import ctypes, sys; ctypes.CDLL(sys.argv[1])" "$library" 2>/dev/null; then
  if [ "$rc" = 0 ]; then
    echo "gpu_mixed_compile: the plan ran: this machine has a $KIND GPU"
    exit 0
  fi
  want=$(grep -m1 -F "$prefix" "$WORK/run.err" || echo "${prefix}...")
fi
errors=$(grep -c '^cleave-run: error:' "$WORK/run.err" || true)
if [ "$rc" = 0 ] || [ "$rc" = 124 ] || [ "$errors" != 1 ] || ! grep -qxF "$want" "$WORK/run.err"; then
  echo "gpu_mixed_compile: expected one line '$want' and a failure, got exit $rc:" >&2
  cat "$WORK/run.err" >&2
  exit 1
fi
echo "mpirun -np 2 without a GPU: $want"
