#!/bin/bash
# cleave-generate's greedy tokens (64 per sequence, COUNT sequences in flight) must equal the
# ids of PyTorch's greedy generation with the same model, exactly.
# Usage: greedy.sh BINDIR WORKDIR SIZE COUNT [RANKS]
# With RANKS > 1 the artifact's plan runs under `mpirun -np RANKS`.
set -euo pipefail
bindir=$1 work=$2 size=$3 count=$4 ranks=${5:-1}
launch=()
if [ "$ranks" -gt 1 ]; then
  # More ranks than cores, as root in containers; no binding, so oversubscribed ranks share,
  # and a waiting rank yields its core rather than polling.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
  export OMPI_MCA_mpi_yield_when_idle=1
  launch=(timeout 300 mpirun -np "$ranks")
fi
models=$(cd "$(dirname "$0")/../models" && pwd)
all=(--prompt "Hello, world" --prompt "The quick brown fox" --prompt-ids 1,2,3,250,7
     --prompt "Cleave compiles ONNX models into distributed programs")
prompts=("${all[@]:0:$((2 * count))}")
out=$work/greedy.$count
mkdir -p "$out"
"${launch[@]}" "$bindir/cleave-generate" "$work/lm.cleave" "${prompts[@]}" --max-new-tokens 64 --ids \
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
echo "PASS: $count sequences x 64 tokens on $ranks rank(s) equal PyTorch's greedy ids"
