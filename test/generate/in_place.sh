#!/bin/bash
# The decode step reads the cache where the runtime keeps it: in the linalg IR of
# `cleave-compile --generate`, no op creates a tensor of a cache buffer's type (a copy,
# concatenation or transpose of a whole cache); the cache inputs are only read.
# Usage: in_place.sh BINDIR WORKDIR  (WORKDIR/model/model.onnx from compile.sh, small size)
set -euo pipefail
bindir=$1 work=$2
# The small decoder at --max-seq-len=128, batch 1: values [1, 4, 128, 16], keys stored
# transposed [1, 4, 16, 128].
"$bindir/cleave-compile" "$work/model/model.onnx" --devices=cpu:0 --generate --max-seq-len=128 \
  --compile-to=linalg -o "$work/step.linalg.mlir"
ir=$work/step.linalg.mlir
for type in 'tensor<1x4x128x16xf32>' 'tensor<1x4x16x128xf32>'; do
  args=$(grep -c "func.func @main.*$type" "$ir" || true)
  if [ "$args" -ne 1 ]; then
    echo "FAIL: @main takes no cache input of type $type"; exit 1
  fi
  made=$(grep -v "func.func @main" "$ir" |
         grep -E "(tensor\.empty\(\) : |outs\([^)]*: |-> )$type" || true)
  if [ -n "$made" ]; then
    echo "FAIL: the step creates a tensor of the cache's type $type:"
    echo "$made"; exit 1
  fi
done
echo "PASS: the cache inputs are read in place (no op creates a cache-sized tensor)"
