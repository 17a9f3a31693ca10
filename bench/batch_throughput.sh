#!/usr/bin/env bash
# batch_throughput.sh - cleave-batch's throughput over a directory of resnet18 images on 1
# and 2 replicas (processes with --replicas, and a --dp=2 plan under mpirun -np 2) against
# a plain loop that runs cleave-run once per image, all in one session (docs/batch.md,
# "Throughput").
#
# usage: bench/batch_throughput.sh BINDIR [--samples N] [--batch B] [--workdir DIR]
# Prints one table; every figure comes from this run.
set -euo pipefail

BIN=$(cd "$1" && pwd)
shift
SAMPLES=32
BATCH=8
WORK="$BIN/../bench/batch"
while [ $# -gt 0 ]; do
  case "$1" in
    --samples) SAMPLES=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    *) echo "batch_throughput.sh: error: unknown option '$1'" >&2; exit 2 ;;
  esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
mkdir -p "$WORK"

# The model, the artifact for batches 1, 2, 4 and 8, N images (one per file).
if [ ! -f "$WORK/resnet18/model.onnx" ]; then
  "$PY" "$ROOT/test/models/generate.py" resnet18 --out "$WORK/resnet18" >/dev/null
fi
ART="$WORK/resnet18_b1248.cleave"
if [ ! -f "$ART" ]; then
  "$BIN/cleave-compile" "$WORK/resnet18/model.onnx" --devices=cpu:0 --batch-sizes=1,2,4,8 -o "$ART"
fi
DP2="$WORK/resnet18_b1248_dp2.cleave"
if [ ! -f "$DP2" ]; then
  "$BIN/cleave-compile" "$WORK/resnet18/model.onnx" --devices=cpu:0-1 --dp=2 --batch-sizes=1,2,4,8 -o "$DP2"
fi
rm -rf "$WORK/samples"
"$PY" - "$WORK" "$SAMPLES" <<'PYEOF'
import os, sys
import numpy as np
work, count = sys.argv[1], int(sys.argv[2])
name, file = open(f"{work}/resnet18/inputs.txt").read().split("=", 1)
x = np.load(f"{work}/resnet18/{file.strip()}")
rng = np.random.default_rng(0)
os.makedirs(f"{work}/samples")
for i in range(count):
    np.save(f"{work}/samples/img{i:05d}.npy", rng.standard_normal(x[:1].shape).astype(np.float32))
open(f"{work}/input.name", "w").write(name)
PYEOF
NAME=$(cat "$WORK/input.name")

now() { date +%s.%N; }
rate() { "$PY" -c "print(f'{$SAMPLES / ($2 - $1):.2f}')"; }

echo "warming up..."
"$BIN/cleave-run" "$ART" --input "$NAME=$WORK/samples/img00000.npy" --output-dir "$WORK/out_warm" >/dev/null

rm -rf "$WORK/out_loop"
t0=$(now)
for f in "$WORK"/samples/*.npy; do
  "$BIN/cleave-run" "$ART" --input "$NAME=$f" --output-dir "$WORK/out_loop/$(basename "$f" .npy)" >/dev/null
done
t1=$(now)
LOOP=$(rate "$t0" "$t1")

declare -A RESULT
for replicas in 1 2; do
  rm -rf "$WORK/out_r$replicas"
  t0=$(now)
  "$BIN/cleave-batch" "$ART" --input "$WORK/samples" --output-dir "$WORK/out_r$replicas" \
    --batch "$BATCH" --replicas "$replicas" >/dev/null
  t1=$(now)
  RESULT[$replicas]=$(rate "$t0" "$t1")
done
rm -rf "$WORK/out_dp2"
t0=$(now)
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
  OMPI_MCA_hwloc_base_binding_policy=none mpirun -np 2 "$BIN/cleave-batch" "$DP2" \
  --input "$WORK/samples" --output-dir "$WORK/out_dp2" --batch "$BATCH" --threads 1 >/dev/null
t1=$(now)
RESULT[dp2]=$(rate "$t0" "$t1")

echo
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $SAMPLES resnet18 images, --batch $BATCH"
printf "%-40s %11s %9s\n" "case" "samples/s" "vs loop"
printf "%-40s %11s %9s\n" "loop over cleave-run (one image each)" "$LOOP" "1.00"
for case in 1 2 dp2; do
  label="cleave-batch --replicas $case"
  [ "$case" = dp2 ] && label="mpirun -np 2 cleave-batch (--dp=2 plan)"
  printf "%-40s %11s %9s\n" "$label" "${RESULT[$case]}" \
    "$("$PY" -c "print(f'{${RESULT[$case]} / $LOOP:.2f}')")"
done
