#!/bin/bash
# Seeded sampling gives the same tokens on every plan: 4 sequences sampled with a temperature,
# top-k, top-p and a repetition penalty on one rank, tp2, pp2 and pp2 x tp2 (mpirun), the
# tokens picked once per step by the last stage and sent to the other ranks.
# Usage: sampling_plans.sh BINDIR WORKDIR NAME:RANKS:ARTIFACT...
set -euo pipefail
bindir=$1 work=$2
shift 2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_mpi_yield_when_idle=1
rm -rf "$work" && mkdir -p "$work"
request=(--prompt "Hello, world" --prompt "The quick brown fox" --prompt-ids 1,2,3,250,7
         --prompt "Cleave" --max-new-tokens 48 --ids --temperature 1.2 --top-k 50
         --top-p 0.95 --repetition-penalty 1.1 --seed 7)
reference=""
for plan in "$@"; do
  IFS=: read -r name ranks artifact <<< "$plan"
  launch=()
  [ "$ranks" -gt 1 ] && launch=(timeout 300 mpirun -np "$ranks")
  "${launch[@]}" "$bindir/cleave-generate" "$artifact" "${request[@]}" > "$work/$name.txt"
  if [ "$(wc -l < "$work/$name.txt")" != 4 ]; then
    echo "FAIL: $name: expected 4 lines of ids"; cat "$work/$name.txt"; exit 1
  fi
  if [ -z "$reference" ]; then
    reference=$name
    # The draws must matter: greedy decoding of the same prompts gives other tokens.
    "$bindir/cleave-generate" "$artifact" "${request[@]:0:10}" --ids > "$work/greedy.txt"
    if diff -q "$work/greedy.txt" "$work/$name.txt" > /dev/null; then
      echo "FAIL: sampling gave exactly the greedy ids"; exit 1
    fi
  elif ! diff "$work/$reference.txt" "$work/$name.txt"; then
    echo "FAIL: seeded sampling on $name differs from $reference (< $reference, > $name)"
    exit 1
  fi
  echo "ok: $name"
done
echo "PASS: seeded sampling gives the same tokens on every plan"
