#!/bin/bash
# Sampling: with --top-k 1 every draw is the most likely token, so the ids must equal PyTorch's
# greedy ids; a seeded draw depends only on the seed and the sequence's place, so a sequence
# gives the same tokens alone (plan of batch 1) and first of 4 in flight (batch 4).
# Usage: sampling.sh BINDIR WORKDIR SIZE
set -euo pipefail
bindir=$1 work=$2 size=$3
models=$(cd "$(dirname "$0")/../models" && pwd)
out=$work/sampling
mkdir -p "$out"
gen() { "$bindir/cleave-generate" "$work/lm.cleave" "$@"; }

gen --prompt "Hello, world" --prompt "The quick brown fox" --max-new-tokens 32 --ids \
  --temperature 0.7 --top-k 1 --seed 3 > "$out/topk1.txt"
/usr/bin/python3 "$models/gen_gpt_kv.py" --greedy --size "$size" --prompt "Hello, world" \
  --prompt "The quick brown fox" --max-new-tokens 32 > "$out/torch.txt"
if ! diff "$out/torch.txt" "$out/topk1.txt"; then
  echo "FAIL: --top-k 1 differs from PyTorch's greedy ids (< torch, > cleave)"; exit 1
fi

sample=(--max-new-tokens 48 --ids --temperature 1.5 --top-p 0.95 --seed 11)
gen --prompt "Hello, world" "${sample[@]}" > "$out/alone.txt"
gen --prompt "Hello, world" --prompt "b" --prompt "c" --prompt "d" "${sample[@]}" \
  | head -1 > "$out/first_of_4.txt"
if ! diff "$out/alone.txt" "$out/first_of_4.txt"; then
  echo "FAIL: a seeded sequence differs alone and among 4"; exit 1
fi
if diff -q "$out/alone.txt" <(head -1 "$out/torch.txt") > /dev/null; then
  echo "FAIL: temperature 1.5 sampling gave exactly the greedy ids"; exit 1
fi
gen --prompt "Hello, world" "${sample[@]/11/12}" > "$out/seed12.txt"
if diff -q "$out/alone.txt" "$out/seed12.txt" > /dev/null; then
  echo "FAIL: seeds 11 and 12 gave the same 48 tokens"; exit 1
fi
echo "PASS: top-k 1 equals PyTorch's greedy ids; seeded sampling is the same alone and among 4"
