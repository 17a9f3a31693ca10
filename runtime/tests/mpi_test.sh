#!/usr/bin/env bash
# mpi_test.sh - Runs pipeline plans (also with tensor-parallel stages) under
# mpirun with cleave-run, end to end.
#
# usage: mpi_test.sh PATH/TO/mpirun PATH/TO/cleave-run
#                    PATH/TO/cleave-make-test-artifact
# Needs /usr/bin/python3 with numpy to make inputs and check outputs. Every
# mpirun is wrapped in `timeout 60`, so a hang fails the test instead of
# blocking it.
set -u

MPIRUN=$1
RUN=$2
MAKE=$3
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/cleave-mpi-XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0
checks=0

# As root, and with more ranks than cores (see /work/shared/TOOLCHAIN.md).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# Keep OpenMPI from probing network interfaces it does not need here.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
# Let every rank finish on its own, so that the test sees each exit status
# rather than mpirun killing the rest after the first failure.
export OMPI_MCA_orte_abort_on_non_zero_status=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

if ! "$PY" -c 'import numpy' 2>/dev/null; then
  echo "mpi_test.sh: $PY cannot import numpy" >&2
  exit 1
fi

for kind in chain:2:1 chain:2:4 chain:4:1 chain:4:4 forward:1 forward:4 noentry:2 \
  pptp:1 pptp:2; do
  "$MAKE" "$kind" "$T/${kind//:/_}.cleave" || exit 1
done

"$PY" - "$T" <<'PYEOF' || exit 1
import json
import struct
import sys
import numpy as np

d = sys.argv[1]
x = (np.arange(24, dtype=np.float32).reshape(8, 3) - 7) / 4
np.save(d + "/x.npy", x)
# A damaged artifact: one byte of rank 1's code flipped.
art = bytearray(open(d + "/chain_2_1.cleave", "rb").read())
offset, size = struct.unpack_from("<QQ", art, 16)
manifest = json.loads(art[offset:offset + size])
code1 = [s for s in manifest["sections"] if s["name"] == "code.rank1"][0]
art[code1["offset"] + 100] ^= 0x40
open(d + "/damaged.cleave", "wb").write(bytes(art))
PYEOF

# mpi NP ARGS...: runs cleave-run on NP ranks; each rank's exit status goes to
# $T/rc (one "RANK STATUS" line per rank), stdout and stderr to $T/stdout and
# $T/stderr; returns mpirun's status (124 when it timed out).
mpi() {
  local np=$1
  shift
  rm -f "$T/rc"
  timeout 60 "$MPIRUN" -np "$np" bash -c \
    '"$0" "$@"; rc=$?; echo "$OMPI_COMM_WORLD_RANK $rc" >>"'"$T/rc"'"; exit $rc' \
    "$RUN" "$@" >"$T/stdout" 2>"$T/stderr"
}

# expect_ok DESCRIPTION NP ARGS...: every rank exits 0, nothing on stderr.
expect_ok() {
  local what=$1 np=$2
  shift 2
  checks=$((checks + 1))
  mpi "$np" "$@"
  local rc=$?
  [[ $rc -eq 0 ]] || fail "$what: mpirun exit $rc: $(cat "$T/stderr")"
  [[ ! -s "$T/stderr" ]] || fail "$what: unexpected stderr: $(cat "$T/stderr")"
  [[ $(grep -c ' 0$' "$T/rc" 2>/dev/null) -eq $np ]] ||
    fail "$what: not every rank exited 0: $(cat "$T/rc" 2>/dev/null)"
}

# expect_error SUBSTRING NP ARGS...: every rank exits 1 (none hangs), and
# exactly one "cleave-run: error: ..." line, holding SUBSTRING, is printed.
expect_error() {
  local want=$1 np=$2
  shift 2
  checks=$((checks + 1))
  mpi "$np" "$@"
  local rc=$?
  [[ $rc -ne 124 ]] || fail "'$want': mpirun timed out (a rank hung)"
  [[ $(grep -c ' 1$' "$T/rc" 2>/dev/null) -eq $np ]] ||
    fail "'$want': not every rank exited 1: $(cat "$T/rc" 2>/dev/null)"
  local lines
  lines=$(grep -c '^cleave-run: error: ' "$T/stderr")
  [[ $lines -eq 1 ]] || fail "'$want': $lines error lines: $(cat "$T/stderr")"
  grep -qF -- "$want" "$T/stderr" || fail "'$want' not in stderr: $(cat "$T/stderr")"
}

# check_npy FILE PYTHON-EXPR: the array in FILE equals the expression, which
# is evaluated with np and x (the input) and computed here, not by Cleave.
check_npy() {
  checks=$((checks + 1))
  "$PY" - "$T" "$1" "$2" <<'PYEOF' || fail "output $1 differs from $2"
import sys
import numpy as np
d, path, expr = sys.argv[1:]
x = np.load(d + "/x.npy")
def chain(v, stages):
    for k in range(stages):
        v = v * np.float32(2) + np.float32(k)
    return v
got = np.load(path)
want = eval(expr)
if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
    print("got", got.dtype, got.shape, got, "want", want.dtype, want.shape, want)
    sys.exit(1)
PYEOF
}

# ---- pipelines that run ------------------------------------------------------
for run in "2 1" "2 4" "4 1" "4 4"; do
  read -r stages k <<<"$run"
  out="$T/out_${stages}_$k"
  expect_ok "$stages stages, $k microbatches" "$stages" "$T/chain_${stages}_$k.cleave" \
    --input "x=$T/x.npy" --output-dir "$out" --threads 1
  check_npy "$out/y.npy" "chain(x, $stages)"
  checks=$((checks + 1))
  [[ $(ls "$out") == y.npy ]] || fail "$out holds more than y.npy: $(ls "$out")"
done

for k in 1 4; do
  expect_ok "forwarded tensor, $k microbatches" 3 "$T/forward_$k.cleave" --input "$T/x.npy" \
    --output-dir "$T/fwd_$k"
  check_npy "$T/fwd_$k/y.npy" "(x * np.float32(2) + np.float32(1)) * (x + np.float32(1))"
done

# Two stages on tensor-parallel groups of two ranks (ranks 0-1, 2-3): each
# group all-reduces (stage 0) or all-gathers (stage 1) over its own ranks, and
# rank t of stage 0 sends to rank t of stage 1.
for k in 1 2; do
  expect_ok "pp2 x tp2, $k microbatches" 4 "$T/pptp_$k.cleave" --input "$T/x.npy" \
    --output-dir "$T/pptp_$k" --threads 1
  check_npy "$T/pptp_$k/y.npy" "x * np.float32(9) + np.float32(1)"
done

expect_ok "--repeat" 4 "$T/chain_4_4.cleave" --input "$T/x.npy" --output-dir "$T/rep" \
  --repeat=3 --threads=1
check_npy "$T/rep/y.npy" "chain(x, 4)"
checks=$((checks + 1))
grep -Eq '^latency_ms median=[0-9]+\.[0-9]{3} min=[0-9]+\.[0-9]{3} max=[0-9]+\.[0-9]{3}$' "$T/stdout" ||
  fail "--repeat output: $(cat "$T/stdout")"
[[ $(wc -l <"$T/stdout") -eq 1 ]] || fail "--repeat printed other than one line: $(cat "$T/stdout")"

# --profile: rank 0 prints one line per rank, in rank order, after the latency.
expect_ok "--profile" 4 "$T/chain_4_4.cleave" --input "$T/x.npy" --output-dir "$T/prof" \
  --repeat=2 --threads=1 --profile
check_npy "$T/prof/y.npy" "chain(x, 4)"
checks=$((checks + 1))
num='[0-9]+\.[0-9]{3}'
[[ $(wc -l <"$T/stdout") -eq 5 ]] || fail "--profile printed other than five lines: $(cat "$T/stdout")"
for r in 0 1 2 3; do
  line=$(sed -n "$((r + 2))p" "$T/stdout")
  [[ $line =~ ^profile\ rank=$r\ stage=$r\ runs=2\ microbatches=4\ compute_ms\ mean=$num\ min=$num\ recv_wait_ms=$num\ send_wait_ms=$num\ run_ms=$num$ ]] ||
    fail "--profile line for rank $r: '$line'"
done

checks=$((checks + 1))
"$RUN" --info "$T/forward_4.cleave" >"$T/info" 2>&1 || fail "--info failed: $(cat "$T/info")"
for want in "stages:      3, 4 microbatches per run" "    send a: float32[2, 3] to stage 1" \
  "    recv b: float32[2, 3] from stage 0" "2 recvs, 2 sends"; do
  grep -qF -- "$want" "$T/info" || fail "--info lacks '$want'"
done

checks=$((checks + 1))
"$RUN" --info "$T/pptp_2.cleave" >"$T/info" 2>&1 || fail "--info failed: $(cat "$T/info")"
for want in "stages:      4, 2 microbatches per run" \
  "  stage 1: rank 3 (tensor-parallel group 2, 3), device 3, entry cleave_stage_3"; do
  grep -qF -- "$want" "$T/info" || fail "--info lacks '$want': $(cat "$T/info")"
done

# ---- errors: every rank exits 1, the message appears once ------------------
expect_error "error: the plan needs 4 ranks, mpirun started 2" 2 "$T/chain_4_1.cleave" \
  --input "$T/x.npy" --output-dir "$T/o"
expect_error "error: the plan needs 4 ranks, mpirun started 2" 2 "$T/pptp_1.cleave" \
  --input "$T/x.npy" --output-dir "$T/o"
expect_error "error: rank 0: input 'x': cannot open '$T/nope.npy'" 2 "$T/chain_2_4.cleave" \
  --input "x=$T/nope.npy" --output-dir "$T/o"
expect_error "error: rank 0: missing input 'x'" 2 "$T/chain_2_4.cleave" --output-dir "$T/o"
expect_error "error: rank 1: artifact '$T/noentry_2.cleave': section 'code.rank1': stage 1 entry point: symbol 'cleave_stage_1' is not exported" \
  2 "$T/noentry_2.cleave" --input "$T/x.npy" --output-dir "$T/o"
expect_error "error: option '--repeat' expects a positive integer" 2 "$T/chain_2_4.cleave" \
  --input "$T/x.npy" --output-dir "$T/o" --repeat 0
# With mpirun's default (end the job at the first failing rank), mpirun fails
# too and the message is still printed once: rank 0 prints before any rank
# exits.
checks=$((checks + 1))
OMPI_MCA_orte_abort_on_non_zero_status=1 timeout 60 "$MPIRUN" -np 2 "$RUN" \
  "$T/chain_2_4.cleave" --input "x=$T/nope.npy" --output-dir "$T/o" >"$T/stdout" 2>"$T/stderr"
rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "default mpirun: exit $rc"
[[ $(grep -c "^cleave-run: error: rank 0: input 'x': cannot open" "$T/stderr") -eq 1 ]] ||
  fail "default mpirun: stderr: $(cat "$T/stderr")"

# Each rank checksums only its own sections: rank 1 finds the damage.
expect_error "error: rank 1: artifact '$T/damaged.cleave': section 'code.rank1' checksum mismatch (file damaged?)" \
  2 "$T/damaged.cleave" --input "$T/x.npy" --output-dir "$T/o"

# A failure inside the pipeline aborts the job: rank 0 runs 4 microbatches of
# 2 rows while rank 1 (given another artifact, by mpirun's MPMD syntax) waits
# for 1 microbatch of 8 rows.
checks=$((checks + 1))
timeout 60 "$MPIRUN" -np 1 "$RUN" "$T/chain_2_4.cleave" --input "$T/x.npy" --output-dir "$T/o" \
  : -np 1 "$RUN" "$T/chain_2_1.cleave" --input "$T/x.npy" --output-dir "$T/o" \
  >"$T/stdout" 2>"$T/stderr"
rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "pipeline failure: mpirun exit $rc"
[[ $(grep -c '^cleave-run: error: ' "$T/stderr") -eq 1 ]] &&
  grep -qF "cleave-run: error: rank 1: stage 1: recv 'h0': recv of 96 bytes from rank 0 got 24 bytes" "$T/stderr" ||
  fail "pipeline failure: stderr: $(cat "$T/stderr")"

# Without mpirun a multi-rank plan says how to run it.
checks=$((checks + 1))
"$RUN" "$T/chain_4_1.cleave" --input "$T/x.npy" --output-dir "$T/o" >"$T/stdout" 2>"$T/stderr"
rc=$?
[[ $rc -eq 1 ]] || fail "no mpirun: exit $rc"
[[ $(cat "$T/stderr") == "cleave-run: error: the plan needs 4 ranks: run it as mpirun -np 4 cleave-run ..." ]] ||
  fail "no mpirun: stderr: $(cat "$T/stderr")"

echo "mpi_test.sh: $checks checks, $failures failures"
[[ $failures -eq 0 ]]
