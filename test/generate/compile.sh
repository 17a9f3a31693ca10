#!/bin/bash
# Generates the decoder of SIZE and compiles it with --generate.
# Usage: compile.sh BINDIR WORKDIR SIZE MAX_SEQ_LEN BATCH_SIZES [cleave-compile options...]
# (a --devices among the options replaces the default cpu:0: the last one given counts)
set -euo pipefail
bindir=$1 work=$2 size=$3 maxlen=$4 batches=$5
shift 5
models=$(cd "$(dirname "$0")/../models" && pwd)
rm -rf "$work" && mkdir -p "$work"
/usr/bin/python3 "$models/gen_gpt_kv.py" --out "$work/model" --size "$size"
"$bindir/cleave-compile" "$work/model/model.onnx" --devices=cpu:0 --generate \
  --max-seq-len="$maxlen" --batch-sizes="$batches" "$@" -o "$work/lm.cleave"
echo "compiled $work/lm.cleave"
