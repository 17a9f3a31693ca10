#!/bin/bash
# cleave-generate's errors under mpirun: a job whose rank count does not match the plan, ranks
# given different prompts or options (MPMD command lines), a bad request on a plan of several
# ranks; cleave-run given a pipeline compiled for generation, and cleave-serve given a plan of
# several ranks compiled for generation. Each ends the job with a
# non-zero status and exactly one error line of the tool (mpirun adds its own notice after
# it), within the timeout.
# Usage: errors_mpi.sh BINDIR SMALL_WORKDIR TP2_WORKDIR PP2_WORKDIR WORKDIR
set -uo pipefail
bindir=$1 small=$2 tp2=$3 pp2=$4 work=$5
rm -rf "$work" && mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_mpi_yield_when_idle=1
gen=$bindir/cleave-generate
failures=0

# expect "PATTERN" MPIRUN_ARGS...: mpirun fails (not by the timeout) and stderr has exactly
# one cleave-generate error line, matching PATTERN.
expect() {
  local pattern=$1
  shift
  timeout 120 mpirun "$@" > "$work/out" 2> "$work/err" < /dev/null
  local rc=$? errors
  errors=$(grep -c '^cleave-generate: error:' "$work/err")
  if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ "$errors" -ne 1 ] ||
     ! grep '^cleave-generate: error:' "$work/err" | grep -q -- "$pattern"; then
    echo "FAIL: mpirun $* -> status $rc, $errors error line(s), expected '$pattern':"
    cat "$work/err"
    failures=$((failures + 1))
  else
    echo "ok: $(grep '^cleave-generate: error:' "$work/err")"
  fi
}

expect "the plan needs 2 ranks, the job has 3" -np 3 "$gen" "$tp2/lm.cleave" --prompt Hi
expect "the plan needs 1 rank, the job has 2" -np 2 "$gen" "$small/lm.cleave" --prompt Hi
expect "the plan needs 2 ranks, the job has 4" -np 4 "$gen" "$pp2/lm.cleave" --prompt Hi
expect "rank 1 was given prompts or generation options other than rank 0's" \
  -np 1 "$gen" "$tp2/lm.cleave" --prompt Hi --max-new-tokens 8 : \
  -np 1 "$gen" "$tp2/lm.cleave" --prompt Hi --max-new-tokens 9
expect "rank 1 was given prompts or generation options other than rank 0's" \
  -np 1 "$gen" "$pp2/lm.cleave" --prompt Hi : \
  -np 1 "$gen" "$pp2/lm.cleave" --prompt Ho
expect "rank 1 was given prompts or generation options other than rank 0's" \
  -np 1 "$gen" "$pp2/lm.cleave" --prompt Hi --temperature 0.5 : \
  -np 1 "$gen" "$pp2/lm.cleave" --prompt Hi --temperature 0.5 --seed 2
expect "rank 1 was given a number of sequences other than rank 0's" \
  -np 1 "$gen" "$tp2/lm.cleave" --prompt Hi : \
  -np 1 "$gen" "$tp2/lm.cleave" --prompt Hi --prompt Ho
expect "needs 202 positions, more than the cache's 128" \
  -np 2 "$gen" "$pp2/lm.cleave" --prompt Hi --max-new-tokens 200
expect "unknown option '--bogus'" -np 2 "$gen" "$tp2/lm.cleave" --prompt Hi --bogus 1
expect "5 sequences, but the largest plan" -np 2 "$gen" "$tp2/lm.cleave" \
  --prompt a --prompt b --prompt c --prompt d --prompt e

# cleave-run does not run a pipeline compiled for generation (its stages hold the caches).
timeout 120 mpirun -np 2 "$bindir/cleave-run" "$pp2/lm.cleave" --output-dir "$work/run" \
  > "$work/out" 2> "$work/err" < /dev/null
rc=$?
errors=$(grep -c '^cleave-run: error:' "$work/err")
if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ "$errors" -ne 1 ] ||
   ! grep -q "is a pipeline compiled for generation (--generate): run it with cleave-generate" \
     "$work/err"; then
  echo "FAIL: cleave-run on a generation pipeline -> status $rc, $errors error line(s):"
  cat "$work/err"
  failures=$((failures + 1))
else
  echo "ok: $(grep '^cleave-run: error:' "$work/err")"
fi

# cleave-serve does not serve a generation plan of several ranks yet: one line, exit 1.
for plan in "$tp2" "$pp2"; do
  timeout 120 mpirun -np 2 "$bindir/cleave-serve" "$plan/lm.cleave" --port 0 \
    > "$work/out" 2> "$work/err" < /dev/null
  rc=$?
  errors=$(grep -c '^cleave-serve: error:' "$work/err")
  if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ "$errors" -ne 1 ] ||
     ! grep -q "compiled for generation: cleave-serve serves generation on one rank only, not yet under mpirun" \
       "$work/err"; then
    echo "FAIL: cleave-serve on the generation plan $plan -> status $rc, $errors error line(s):"
    cat "$work/err"
    failures=$((failures + 1))
  else
    echo "ok: $(grep '^cleave-serve: error:' "$work/err")"
  fi
done

if [ $failures -ne 0 ]; then
  echo "$failures error case(s) failed"
  exit 1
fi
echo "PASS: every error under mpirun is one line and a non-zero exit"
