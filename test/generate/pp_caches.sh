#!/bin/bash
# In a pipeline compiled for generation each stage holds the caches of its layers: no cache
# tensor (past_key_values.*) or new cache row (present.*) crosses a stage boundary, and the
# stages that read a layer's cache take it as a graph input of their own.
# Usage: pp_caches.sh BINDIR WORKDIR (holding lm.cleave)
set -euo pipefail
bindir=$1 work=$2
"$bindir/cleave-run" --info "$work/lm.cleave" > "$work/info.txt"
if grep -E '^    (send|recv) (past_key_values|present)\.' "$work/info.txt"; then
  echo "FAIL: a cache tensor crosses a stage boundary"; exit 1
fi
# Every stage that runs attention takes inputs: with two stages, stage 1 takes the caches of
# the layers it holds unless stage 0 holds them all.
stages_with_inputs=$(grep -cE '^  stage [0-9]+: .*; [1-9][0-9]* inputs' "$work/info.txt")
echo "stages taking graph inputs: $stages_with_inputs"
if [ "$stages_with_inputs" -lt 2 ]; then
  echo "FAIL: only one stage takes graph inputs (the caches are not with their layers)"; exit 1
fi
echo "PASS: the caches stay with the stages of their layers"
