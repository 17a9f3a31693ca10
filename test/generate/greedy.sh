#!/bin/bash
# cleave-generate's greedy tokens (64 per sequence, COUNT sequences in flight) must equal the
# ids of PyTorch's greedy generation with the same model, exactly.
# Usage: greedy.sh BINDIR WORKDIR SIZE COUNT
set -euo pipefail
bindir=$1 work=$2 size=$3 count=$4
models=$(cd "$(dirname "$0")/../models" && pwd)
all=(--prompt "Hello, world" --prompt "The quick brown fox" --prompt-ids 1,2,3,250,7
     --prompt "Cleave compiles ONNX models into distributed programs")
prompts=("${all[@]:0:$((2 * count))}")
out=$work/greedy.$count
mkdir -p "$out"
"$bindir/cleave-generate" "$work/lm.cleave" "${prompts[@]}" --max-new-tokens 64 --ids \
  > "$out/cleave.txt"
/usr/bin/python3 "$models/gen_gpt_kv.py" --greedy --size "$size" "${prompts[@]}" \
  --max-new-tokens 64 > "$out/torch.txt"
lines=$(wc -l < "$out/cleave.txt")
if [ "$lines" != "$count" ]; then
  echo "FAIL: $lines lines of ids for $count sequences"; exit 1
fi
if ! diff "$out/torch.txt" "$out/cleave.txt"; then
  echo "FAIL: cleave-generate's greedy ids differ from PyTorch's (< torch, > cleave)"; exit 1
fi
echo "PASS: $count sequences x 64 tokens equal PyTorch's greedy ids"
