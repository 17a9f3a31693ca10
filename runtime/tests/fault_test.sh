#!/usr/bin/env bash
# fault_test.sh - A rank that stops (SIGSTOP) or dies (SIGKILL), or a job
# interrupted at mpirun (SIGINT, as Ctrl-C sends it), ends every rank within a
# bound; a stopped peer is named by the ranks that waited for it.
#
# usage: fault_test.sh PATH/TO/mpirun PATH/TO/cleave-run
#                      PATH/TO/cleave-make-test-artifact
# Prints one "fault ..." line per case with the seconds from the fault to the
# last rank's exit.
set -u

MPIRUN=$1
RUN=$2
MAKE=$3
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/cleave-fault-XXXXXX")
failures=0
cleanup() {
  pkill -KILL -f "$T/" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

# As root, and with more ranks than cores (see /work/shared/TOOLCHAIN.md).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none

TIMEOUT_S=3

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

now() { date +%s.%N; }

# The pid of the cleave-run process that is rank RANK of the running job.
rank_pid() {
  local rank=$1 pid
  for pid in $(pgrep -f "$RUN $T/" 2>/dev/null); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null |
      grep -qx "OMPI_COMM_WORLD_RANK=$rank"; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

# case NAME NP SIGNAL TARGET: starts an endless run on NP ranks, sends SIGNAL
# to rank TARGET (or to mpirun when TARGET is "mpirun") once every rank runs,
# and checks that the job ends within BOUND seconds with no rank left.
run_case() {
  local name=$1 np=$2 signal=$3 target=$4 bound=$5
  local art="$T/chain_$np.cleave"
  "$MPIRUN" -np "$np" "$RUN" "$art" --input "x=$T/x.npy" --output-dir "$T/out" \
    --repeat 1000000000 --timeout-s "$TIMEOUT_S" >"$T/$name.out" 2>"$T/$name.err" &
  local mpirun_pid=$!
  local pid="" tries=0
  while [ $tries -lt 200 ]; do
    if [ "$target" = mpirun ]; then
      [ "$(pgrep -c -f "$RUN $T/")" -ge "$np" ] && pid=$mpirun_pid
    else
      [ "$(pgrep -c -f "$RUN $T/")" -ge "$np" ] && pid=$(rank_pid "$target")
    fi
    [ -n "$pid" ] && break
    sleep 0.1
    tries=$((tries + 1))
  done
  if [ -z "$pid" ]; then
    fail "$name: the job did not start"
    kill -KILL "$mpirun_pid" 2>/dev/null
    return
  fi
  sleep 1 # let the ranks get into their run loop
  local start
  start=$(now)
  kill "-$signal" "$pid"
  local waited=0
  while kill -0 "$mpirun_pid" 2>/dev/null && [ $waited -lt 600 ]; do
    sleep 0.05
    waited=$((waited + 1))
  done
  local end
  end=$(now)
  if kill -0 "$mpirun_pid" 2>/dev/null; then
    fail "$name: the job was still running 30 s after the fault"
    pkill -KILL -f "$T/" 2>/dev/null
    return
  fi
  wait "$mpirun_pid" 2>/dev/null
  local rc=$?
  sleep 0.2
  local left
  left=$(pgrep -c -f "$RUN $T/")
  local seconds
  seconds=$("$PY" -c "print(f'{$end - $start:.1f}')")
  echo "fault $name: np=$np, every rank ended $seconds s after the fault (mpirun status $rc)"
  [ "$rc" -ne 0 ] || fail "$name: mpirun exited 0 after the fault"
  [ "$left" -eq 0 ] || fail "$name: $left cleave-run process(es) left"
  if "$PY" -c "import sys; sys.exit(0 if $end - $start <= $bound else 1)"; then :; else
    fail "$name: took $seconds s, more than $bound s"
  fi
  if [ "$signal" = STOP ]; then
    # A rank that waited on the stopped one names itself and what it waited for.
    grep -q "cleave-run: error: rank [0-9]*: no progress for [0-9]* s: waiting for" \
      "$T/$name.err" || fail "$name: no rank said what it waited for: $(head -c 400 "$T/$name.err")"
  fi
}

for np in 2 4; do
  "$MAKE" "chain:$np:1" "$T/chain_$np.cleave" || exit 1
done
"$PY" -c "import numpy as np; np.save('$T/x.npy', (np.arange(24, dtype=np.float32).reshape(8, 3) - 7) / 4)" || exit 1

# A stopped rank: its peers time out (--timeout-s 3) and end the job.
run_case stop2 2 STOP 1 $((TIMEOUT_S + 7))
run_case stop4 4 STOP 2 $((TIMEOUT_S + 7))
# A killed rank: mpirun ends the job.
run_case kill2 2 KILL 1 10
run_case kill4 4 KILL 3 10
# Ctrl-C at mpirun.
run_case int2 2 INT mpirun 10
run_case int4 4 INT mpirun 10

echo "fault_test.sh: $failures failure(s)"
[ "$failures" -eq 0 ]
