#!/bin/bash
# Each user-facing error of `cleave-compile --generate` and cleave-generate: exit status 1
# and exactly one line on stderr that says what is wrong.
# Usage: errors.sh BINDIR SMALL_WORKDIR WORKDIR
set -uo pipefail
bindir=$1 small=$2 work=$3
models=$(cd "$(dirname "$0")/../models" && pwd)
rm -rf "$work" && mkdir -p "$work"
failures=0

# expect TOOL "PATTERN" ARGS...: TOOL fails with status 1, one stderr line matching PATTERN.
expect() {
  local tool=$1 pattern=$2
  shift 2
  "$bindir/$tool" "$@" > "$work/out" 2> "$work/err" < /dev/null
  local rc=$? lines
  lines=$(wc -l < "$work/err")
  if [ $rc -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pattern" "$work/err"; then
    echo "FAIL: $tool $* -> status $rc, $lines line(s), expected '$pattern':"
    cat "$work/err"
    failures=$((failures + 1))
  else
    echo "ok: $tool: $(cat "$work/err")"
  fi
}

lm=$small/lm.cleave
model=$small/model/model.onnx
# A model without a cache, and a plain (not --generate) artifact of the decoder.
/usr/bin/python3 "$models/generate.py" gpt --out "$work/gpt" > /dev/null
"$bindir/cleave-compile" "$work/gpt/model.onnx" --devices=cpu:0 -o "$work/plain.cleave"
long=$(head -c 40 /dev/zero | tr '\0' 'a')
# A pp2 plan of the decoder: it runs under mpirun only (errors_mpi.sh).
"$bindir/cleave-compile" "$model" --devices=cpu:0-1 --generate --max-seq-len=64 \
  -o "$work/pp2.cleave"

# cleave-compile --generate
expect cleave-compile "needs --max-seq-len" "$model" --devices=cpu:0 --generate -o "$work/x"
expect cleave-compile "only meaningful with --generate" "$model" --devices=cpu:0 \
  --max-seq-len=8 -o "$work/x"
expect cleave-compile "max-seq-len expects a positive integer" "$model" --devices=cpu:0 \
  --generate --max-seq-len=0 -o "$work/x"
expect cleave-compile "has no 'attention_mask' input" "$work/gpt/model.onnx" --devices=cpu:0 \
  --generate --max-seq-len=8 -o "$work/x"
expect cleave-compile "binds input 'input_ids' itself" "$model" --devices=cpu:0 --generate \
  --max-seq-len=8 --input-shape=input_ids=1x1 -o "$work/x"

# cleave-generate
expect cleave-generate "needs 140 positions, more than the cache's 128" "$lm" \
  --prompt "$long" --max-new-tokens 100
expect cleave-generate "prompt 2 has 40 tokens" "$lm" --prompt "Hi" --prompt "$long" \
  --max-new-tokens 89
expect cleave-generate "was not compiled for generation" "$work/plain.cleave" --prompt "Hi"
if [ -x "$bindir/cleave-chat" ]; then
  expect cleave-chat "was not compiled for generation" "$work/plain.cleave"
  expect cleave-chat "the plan needs 2 ranks: run it as mpirun -np 2" "$work/pp2.cleave"
  expect cleave-chat "no artifact given" --max-new-tokens 8
fi
expect cleave-generate "the plan needs 2 ranks: run it as mpirun -np 2" \
  "$work/pp2.cleave" --prompt "Hi"
expect cleave-generate "no prompt given" "$lm"
expect cleave-generate "no artifact given" --prompt "Hi"
expect cleave-generate "5 sequences, but the largest plan" "$lm" --prompt a --prompt b \
  --prompt c --prompt d --prompt e
expect cleave-generate "token id 256 is outside the vocabulary" "$lm" --prompt-ids 1,256
expect cleave-generate "--prompt-ids expects comma-separated token ids" "$lm" --prompt-ids 1,,2
expect cleave-generate "--max-new-tokens expects a positive integer" "$lm" --prompt a \
  --max-new-tokens 0
expect cleave-generate "--temperature expects a positive number" "$lm" --prompt a \
  --temperature=-1
expect cleave-generate "--top-p expects a number in (0, 1]" "$lm" --prompt a \
  --temperature 1 --top-p 1.5
expect cleave-generate "--top-k expects a positive integer" "$lm" --prompt a \
  --temperature 1 --top-k x
expect cleave-generate "need --temperature" "$lm" --prompt a --top-k 5
expect cleave-generate "--repetition-penalty expects a positive number" "$lm" --prompt a \
  --repetition-penalty 0
expect cleave-generate "--repetition-penalty expects a positive number" "$lm" --prompt a \
  --repetition-penalty=-1.2
expect cleave-generate "--stop-id expects a token id" "$lm" --prompt a --stop-id x
expect cleave-generate "--stop expects a non-empty text" "$lm" --prompt a --stop ""
expect cleave-generate "stop token id 300 is outside the vocabulary \[0, 256)" "$lm" \
  --prompt a --stop-id 300
expect cleave-generate "unknown option '--bogus'" "$lm" --prompt a --bogus 1
expect cleave-generate "option '--prompt' needs a value" "$lm" --prompt
expect cleave-generate "cannot open\|No such file\|not found\|does not exist" \
  "$work/missing.cleave" --prompt a

if [ $failures -ne 0 ]; then
  echo "$failures check(s) failed"; exit 1
fi
echo "PASS: every error is one line with status 1"
