#!/bin/bash
# The errors of a tokenizer (--tokenizer) in cleave-generate and cleave-chat: exit status 1 and exactly one
# line on stderr that says what is wrong. Uses the 512-vocabulary decoder and tokenizer that
# tokenizer.sh made.
# Usage: tokenizer_errors.sh BINDIR TOKENIZER_WORKDIR WORKDIR
set -uo pipefail
bindir=$1 tok=$2 work=$3
src=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$work" && mkdir -p "$work"
failures=0

# expect "PATTERN" ARGS...: cleave-generate fails with status 1, one stderr line matching
# PATTERN.
expect() {
  local pattern=$1
  shift
  "$bindir/cleave-generate" "$@" > "$work/out" 2> "$work/err" < /dev/null
  local rc=$? lines
  lines=$(wc -l < "$work/err")
  if [ $rc -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pattern" "$work/err"; then
    echo "FAIL: cleave-generate $* -> status $rc, $lines line(s), expected '$pattern':"
    cat "$work/err"
    failures=$((failures + 1))
  else
    echo "ok: $(cat "$work/err")"
  fi
}

lm=$tok/lm.cleave
# A tokenizer of another size, a truncated one and one that is not a model at all.
spm_train --input="$(ls "$src"/docs/*.md | paste -sd, -)" --model_prefix="$work/tok400" \
  --vocab_size=400 --model_type=bpe --byte_fallback=true --character_coverage=1.0 \
  --normalization_rule_name=identity --remove_extra_whitespaces=false --num_threads=1 \
  --minloglevel=2 > "$work/spm_train.log" 2>&1
head -c 2000 "$tok/tok.model" > "$work/truncated.model"
cp "$src/README.md" "$work/text.model"
: > "$work/empty.model"

expect "vocabulary has 512 tokens: text needs a byte-level one of 256" "$lm" --prompt "Hi"
expect "vocabulary has 512 tokens: text needs a byte-level one of 256" "$lm" --prompt-ids 1,2
expect "tokenizer '$work/tok400.model' has 400 pieces, the model's vocabulary 512 tokens" \
  "$lm" --tokenizer "$work/tok400.model" --prompt "Hi"
expect "cannot open tokenizer '$work/missing.model'" "$lm" --tokenizer "$work/missing.model" \
  --prompt "Hi"
for bad in truncated text empty; do
  expect "tokenizer '$work/$bad.model' is not a SentencePiece model" "$lm" \
    --tokenizer "$work/$bad.model" --prompt "Hi"
done
expect "--stop needs the byte-level tokenizer" "$lm" --tokenizer "$tok/tok.model" \
  --prompt "Hi" --stop "x"

if [ -x "$bindir/cleave-chat" ]; then
  expect_chat() { # PATTERN ARGS...
    local pattern=$1
    shift
    "$bindir/cleave-chat" "$@" > "$work/out" 2> "$work/err" < /dev/null
    local rc=$? lines
    lines=$(wc -l < "$work/err")
    if [ $rc -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pattern" "$work/err"; then
      echo "FAIL: cleave-chat $* -> status $rc, $lines line(s), expected '$pattern':"
      cat "$work/err"
      failures=$((failures + 1))
    else
      echo "ok: $(cat "$work/err")"
    fi
  }
  expect_chat "vocabulary has 512 tokens: a chat needs a byte-level one of 256" "$lm"
  expect_chat "tokenizer '$work/tok400.model' has 400 pieces, the model's vocabulary 512" \
    "$lm" --tokenizer "$work/tok400.model"
  expect_chat "cannot open tokenizer '$work/missing.model'" "$lm" \
    --tokenizer "$work/missing.model"
  expect_chat "tokenizer '$work/truncated.model' is not a SentencePiece model" "$lm" \
    --tokenizer "$work/truncated.model"
fi

# The vocabulary check is not in the way of ids in, ids out.
if ! "$bindir/cleave-generate" "$lm" --prompt-ids 1,2,3 --max-new-tokens 4 --ids \
     > "$work/out" 2> "$work/err"; then
  echo "FAIL: --prompt-ids with --ids on the 512-vocabulary decoder:"; cat "$work/err"
  failures=$((failures + 1))
fi

if [ $failures -ne 0 ]; then
  echo "FAIL: $failures error case(s)"; exit 1
fi
echo "PASS: every tokenizer error of cleave-generate and cleave-chat is one line with status 1"
