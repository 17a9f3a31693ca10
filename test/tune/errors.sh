#!/usr/bin/env bash
# cleave-tune's errors: each ends the tool with a non-zero status and one line on stderr
# naming what is wrong.
#
# Usage: test/tune/errors.sh BINDIR WORKDIR
set -uo pipefail
BINDIR=$(cd "$1" && pwd)
WORK=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
TUNE="$BINDIR/cleave-tune"
rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
"$PY" "$ROOT/test/models/generate.py" mlp_small --out "$WORK/model" >/dev/null || exit 1
MODEL="$WORK/model/model.onnx"
printf 'not a model' >"$WORK/garbage.onnx"
echo '{ "devices": [ { "device": "cpu:0", "gflops": -1 } ] }' >"$WORK/bad.json"
failures=0

# expect NAME PATTERN COMMAND...: the command fails with exactly one stderr line matching
# PATTERN (an extended regular expression).
expect() {
  local name=$1 pattern=$2
  shift 2
  "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr"
  local rc=$? lines
  lines=$(wc -l <"$WORK/$name.stderr")
  if [ $rc -eq 0 ] || [ "$lines" -ne 1 ] || ! grep -Eq "^cleave-tune: error: $pattern" "$WORK/$name.stderr"; then
    echo "FAIL $name: exit $rc, $lines stderr line(s):" >&2
    cat "$WORK/$name.stderr" >&2
    failures=$((failures + 1))
  else
    echo "ok   $name: $(cat "$WORK/$name.stderr")"
  fi
}

expect bad-device-kind "unknown device kind 'tpu' in --devices" \
  "$TUNE" --calibrate --devices=tpu:0 -o "$WORK/d.json"
expect bad-device-range "bad device range in 'cpu:3-1'" \
  "$TUNE" "$MODEL" --devices=cpu:3-1 -o "$WORK/b.cleave"
expect calibrate-gpu "--calibrate measures cpu devices only; give the figures of 'cuda:0'" \
  "$TUNE" --calibrate --devices=cuda:0 -o "$WORK/d.json"
expect bad-device-file "device file: device 'cpu:0': 'gflops' must be a positive number" \
  "$TUNE" "$MODEL" --devices=cpu:0 --device-file="$WORK/bad.json" -o "$WORK/b.cleave"
expect no-output "no output given: use -o BEST.cleave" "$TUNE" "$MODEL" --devices=cpu:0
expect ranks "--ranks 2 does not match the 1 device\(s\) of --devices" \
  "$TUNE" "$MODEL" --devices=cpu:0 --ranks=2 -o "$WORK/b.cleave"
expect model-fails-to-compile ".*'$WORK/garbage.onnx' is not a valid ONNX model" \
  "$TUNE" "$WORK/garbage.onnx" --devices=cpu:0 -o "$WORK/b.cleave"
# Every candidate fails to run: each is listed with its reason, the error names the first.
expect candidates-fail "all [0-9]+ candidate\(s\) failed; candidate 1 \(pp=1 tp=1 microbatches=[0-9]+\): skipped: cannot start '$WORK/no-cleave-run': No such file or directory" \
  "$TUNE" "$MODEL" --devices=cpu:0 -o "$WORK/b.cleave" --cleave-run="$WORK/no-cleave-run"
grep -Eq "^ +2 +1 +1 +[0-9]+ .* skipped: cannot start" "$WORK/candidates-fail.stdout" || {
  echo "FAIL candidates-fail: the table does not list candidate 2 as skipped" >&2
  failures=$((failures + 1))
}
expect run-timeout "all [0-9]+ candidate\(s\) failed; .*skipped: run took over 0.5 s" \
  "$TUNE" "$MODEL" --devices=cpu:0 -o "$WORK/b.cleave" --run-timeout-s=0.5 --repeat=10000000
expect budget "budget of 0.001 s exhausted before any candidate was measured \(raise --budget-s\)" \
  "$TUNE" "$MODEL" --devices=cpu:0 -o "$WORK/b.cleave" --budget-s=0.001
expect calibrate-budget "calibration budget of 0.001 s exhausted after 1 of 5 probes \(raise --budget-s\)" \
  "$TUNE" --calibrate --devices=cpu:0 -o "$WORK/d.json" --budget-s=0.001
expect bad-budget "--budget-s expects a positive number of seconds, got '0'" \
  "$TUNE" "$MODEL" --devices=cpu:0 -o "$WORK/b.cleave" --budget-s=0
# Under mpirun, a rank count other than the devices': rank 0 alone says so (mpirun adds its
# own report of the failed job).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
if timeout 60 mpirun -np 2 "$TUNE" --calibrate --devices=cpu:0-2 -o "$WORK/d.json" \
    >"$WORK/mpi-ranks.stdout" 2>"$WORK/mpi-ranks.stderr"; then
  echo "FAIL mpi-ranks: exit 0" >&2
  failures=$((failures + 1))
elif [ "$(grep -c '^cleave-tune: error: --devices lists 3 device(s) but mpirun started 2 rank(s): run one rank per device, or one process$' "$WORK/mpi-ranks.stderr")" != 1 ]; then
  echo "FAIL mpi-ranks: expected the error once:" >&2
  cat "$WORK/mpi-ranks.stderr" >&2
  failures=$((failures + 1))
else
  echo "ok   mpi-ranks: $(grep '^cleave-tune: error' "$WORK/mpi-ranks.stderr")"
fi
[ ! -e "$WORK/b.cleave" ] || { echo "FAIL: an artifact was written" >&2; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] || { echo "errors: $failures case(s) failed" >&2; exit 1; }
echo "errors: passed"
