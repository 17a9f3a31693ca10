#!/usr/bin/env bash
# Soak: many runs of one session through the C++ API with flat memory, descriptors and threads.
#
# Usage: bench/soak.sh BINDIR WORKDIR CASE [RUNS]
#   CASE  mlp       the MLP, 10,000 runs in one process (the ctest robustness.soak.mlp)
#         resnet18  resnet18, 1,000 runs in one process
#         mlp.pp2   the MLP as a two-stage pipeline under mpirun -np 2, 1,000 runs
#         mlp.python  the MLP, 10,000 runs through the Python API (bench/soak.py; the package
#                   from BINDIR/../python)
#   RUNS  overrides the number of runs
# Generates the model (test/models/generate.py), compiles it, then runs cleave-soak (bench/soak.cpp),
# which prints `soak rank=R runs=N rss_kb_at_100=A rss_kb_last=B growth_kb=C fds=D/E threads=F/G`
# per rank and fails if resident memory grew by more than 1 MB between run 100 and the last,
# or the descriptor or thread count changed. Exits 1 on any failure.
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: $0 BINDIR WORKDIR mlp|resnet18|mlp.pp2|mlp.python [RUNS]" >&2
  exit 2
fi
BINDIR=$(cd "$1" && pwd)
WORK=$2
CASE=$3
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case $CASE in
  mlp) MODEL=mlp RUNS=${4:-10000} DEVICES=cpu:0 RANKS=1 ;;
  resnet18) MODEL=resnet18 RUNS=${4:-1000} DEVICES=cpu:0 RANKS=1 ;;
  mlp.pp2) MODEL=mlp RUNS=${4:-1000} DEVICES=cpu:0-1 RANKS=2 ;;
  mlp.python) MODEL=mlp RUNS=${4:-10000} DEVICES=cpu:0 RANKS=1 ;;
  *) echo "soak: error: unknown case '$CASE' (mlp, resnet18, mlp.pp2, mlp.python)" >&2; exit 2 ;;
esac

rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
/usr/bin/python3 "$ROOT/test/models/generate.py" "$MODEL" --out "$WORK/model" >/dev/null
inputs=()
while IFS= read -r line || [ -n "$line" ]; do
  [ -n "$line" ] && inputs+=(--input "${line%%=*}=$WORK/model/${line#*=}")
done <"$WORK/model/inputs.txt"
"$BINDIR/cleave-compile" "$WORK/model/model.onnx" --devices=$DEVICES -o "$WORK/model.cleave"

soak=("$BINDIR/cleave-soak" "$WORK/model.cleave" "${inputs[@]}" --runs "$RUNS" --threads 1)
if [ "$CASE" = mlp.python ]; then
  export PYTHONPATH=$BINDIR/../python PYTHONDONTWRITEBYTECODE=1
  soak=(/usr/bin/python3 "$ROOT/bench/soak.py" "${soak[@]:1}")
fi
start=$SECONDS
if [ "$RANKS" -gt 1 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
  export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
  timeout 1800 mpirun -q -np "$RANKS" "${soak[@]}"
else
  timeout 1800 "${soak[@]}"
fi
echo "soak: $CASE: $RUNS runs passed in $((SECONDS - start)) s"
