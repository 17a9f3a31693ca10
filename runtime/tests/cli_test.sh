#!/usr/bin/env bash
# cli_test.sh - End-to-end tests of cleave-run's command-line contract.
#
# usage: cli_test.sh PATH/TO/cleave-run PATH/TO/cleave-make-test-artifact
# Needs /usr/bin/python3 with numpy to make inputs and check outputs.
set -u

RUN=$1
MAKE=$2
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/cleave-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0
checks=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

if ! "$PY" -c 'import numpy' 2>/dev/null; then
  echo "cli_test.sh: $PY cannot import numpy" >&2
  exit 1
fi

"$MAKE" add "$T/add.cleave" || exit 1
"$MAKE" names "$T/names.cleave" || exit 1
"$MAKE" distributed "$T/dist.cleave" || exit 1

"$PY" - "$T" <<'PYEOF' || exit 1
import sys
import numpy as np

d = sys.argv[1]
x = np.arange(6, dtype=np.float32).reshape(2, 3)
np.save(d + "/x.npy", x)
np.save(d + "/x64.npy", x.astype(np.float64))
np.save(d + "/x32.npy", x.reshape(3, 2))
np.save(d + "/xf.npy", np.asfortranarray(x))
np.save(d + "/xbe.npy", x.astype(">f4"))
np.save(d + "/a.npy", np.array([1, 2, 3, 4], np.float32))
np.save(d + "/we=ird.npy", np.array([1, 2, 3, 4], np.float32))
np.save(d + "/b.npy", np.array([2, 3, 4, 5], np.float32))
open(d + "/bad.npy", "wb").write(b"garbage")
open(d + "/x.txt", "w").write("1 2 3")
open(d + "/empty.cleave", "wb").close()
open(d + "/afile", "w").write("not a directory")

def varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([(v & 0x7F) | 0x80])
        v >>= 7
    return out + bytes([v])

# An onnx.TensorProto: dims (1), data_type (2) = FLOAT, name (8), raw_data (9).
pb = b"".join(b"\x08" + varint(n) for n in x.shape) + b"\x10\x01"
pb += b"\x42" + varint(1) + b"x" + b"\x4a" + varint(x.nbytes) + x.tobytes()
open(d + "/x.pb", "wb").write(pb)

# A damaged artifact: one byte of the code section flipped.
art = bytearray(open(d + "/add.cleave", "rb").read())
art[4096 + 100] ^= 0x40
open(d + "/damaged.cleave", "wb").write(bytes(art))
PYEOF

# expect_ok DESCRIPTION ARGS...: exit 0 and nothing on stderr.
expect_ok() {
  local what=$1
  shift
  checks=$((checks + 1))
  "$RUN" "$@" >"$T/stdout" 2>"$T/stderr"
  local rc=$?
  [[ $rc -eq 0 ]] || fail "$what: exit $rc: $(cat "$T/stderr")"
  [[ ! -s "$T/stderr" ]] || fail "$what: unexpected stderr: $(cat "$T/stderr")"
}

# expect_error SUBSTRING ARGS...: exit 1 and exactly one stderr line
# "cleave-run: error: ..." containing SUBSTRING.
expect_error() {
  local want=$1
  shift
  checks=$((checks + 1))
  "$RUN" "$@" >"$T/stdout" 2>"$T/stderr"
  local rc=$?
  local lines
  lines=$(wc -l <"$T/stderr")
  [[ $rc -eq 1 ]] || fail "'$want': exit $rc, expected 1 (args: $*)"
  [[ $lines -eq 1 ]] || fail "'$want': $lines stderr lines: $(cat "$T/stderr")"
  grep -q '^cleave-run: error: ' "$T/stderr" ||
    fail "'$want': stderr lacks the prefix: $(cat "$T/stderr")"
  grep -qF -- "$want" "$T/stderr" ||
    fail "'$want' not in stderr: $(cat "$T/stderr")"
}

# check_npy FILE PYTHON-EXPR: the array in FILE equals the expression
# (evaluated with np and the input arrays loaded from $T).
check_npy() {
  checks=$((checks + 1))
  "$PY" - "$T" "$1" "$2" <<'PYEOF' || fail "output $1 differs from $2"
import sys
import numpy as np
d, path, expr = sys.argv[1:]
x = np.load(d + "/x.npy")
a = np.load(d + "/a.npy")
b = np.load(d + "/b.npy")
w = np.arange(6, dtype=np.float32).reshape(2, 3) + np.float32(0.5)
got = np.load(path)
want = eval(expr)
if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
    print("got", got.dtype, got.shape, got, "want", want.dtype, want.shape, want)
    sys.exit(1)
PYEOF
}

# ---- runs that succeed ------------------------------------------------------
expect_ok "named .npy input" "$T/add.cleave" --input "x=$T/x.npy" --output-dir "$T/out1"
check_npy "$T/out1/y.npy" "x + w"

expect_ok "unnamed .pb input, --opt=VALUE forms" "$T/add.cleave" --input="$T/x.pb" \
  --output-dir="$T/out2/nested" --threads=1
check_npy "$T/out2/nested/y.npy" "x + w"

expect_ok "--repeat" "$T/add.cleave" --input "$T/x.npy" --output-dir "$T/out3" --repeat 3 --threads 2
checks=$((checks + 1))
grep -Eq '^latency_ms median=[0-9]+\.[0-9]{3} min=[0-9]+\.[0-9]{3} max=[0-9]+\.[0-9]{3}$' "$T/stdout" ||
  fail "--repeat output: $(cat "$T/stdout")"
[[ $(wc -l <"$T/stdout") -eq 1 ]] || fail "--repeat printed more than one line"

expect_ok "--profile" "$T/add.cleave" --input "$T/x.npy" --output-dir "$T/out3p" --repeat 2 \
  --profile
checks=$((checks + 1))
num='[0-9]+\.[0-9]{3}'
grep -Eq "^profile rank=0 stage=0 runs=2 microbatches=1 compute_ms mean=$num min=$num recv_wait_ms=$num send_wait_ms=$num run_ms=$num\$" \
  "$T/stdout" || fail "--profile output: $(cat "$T/stdout")"
[[ $(wc -l <"$T/stdout") -eq 2 ]] || fail "--profile printed other than two lines: $(cat "$T/stdout")"
expect_ok "--profile without --repeat" "$T/add.cleave" --input "$T/x.npy" --output-dir "$T/out3p" \
  --profile
checks=$((checks + 1))
grep -Eq "^profile rank=0 stage=0 runs=1 microbatches=1 " "$T/stdout" ||
  fail "--profile output of one run: $(cat "$T/stdout")"

expect_ok "--info" --info "$T/add.cleave"
checks=$((checks + 1))
for want in "format:      version 1, compiler 0." "  x: float32[2, 3]" \
  "  y: float32[2, 3]" "  rank 0: cpu:0" "parameters:  1, 24 B (24 bytes)" \
  "entry cleave_stage_0 in code.rank0" "sha256:"; do
  grep -qF -- "$want" "$T/stdout" || fail "--info lacks '$want'"
done
expect_ok "--info=ART" --info="$T/add.cleave"

expect_ok "--help" --help
checks=$((checks + 1))
for want in "--input NAME=FILE" "--output-dir DIR" "--repeat N" "--threads T" "--info" \
  "--profile" "examples:"; do
  grep -qF -- "$want" "$T/stdout" || fail "--help lacks '$want'"
done

expect_ok "names holding ':' and '='" "$T/names.cleave" --input "in:0=$T/a.npy" \
  --input "scale=2=$T/b.npy" --output-dir "$T/out4"
check_npy "$T/out4/out_prod_0.npy" "a * b"
expect_ok "inputs bound in order" "$T/names.cleave" --input "$T/a.npy" --input "$T/b.npy" \
  --output-dir "$T/out5"
check_npy "$T/out5/out_prod_0.npy" "a * b"
expect_ok "named then unnamed" "$T/names.cleave" --input "scale=2=$T/a.npy" --input "$T/b.npy" \
  --output-dir "$T/out6"
check_npy "$T/out6/out_prod_0.npy" "a * b"
expect_ok "file name holding '='" "$T/names.cleave" --input "$T/we=ird.npy" \
  --input "scale=2=$T/b.npy" --output-dir "$T/out7"
check_npy "$T/out7/out_prod_0.npy" "a * b"

# ---- errors -----------------------------------------------------------------
expect_error "missing artifact path"
expect_error "cannot open: No such file or directory" "$T/none.cleave" --output-dir "$T/o"
expect_error "section 'code.rank0' checksum mismatch (file damaged?)" "$T/damaged.cleave" \
  --input "$T/x.npy" --output-dir "$T/o"
expect_error "file is empty" "$T/empty.cleave" --output-dir "$T/o"
expect_error "unknown input name 'foo'" "$T/add.cleave" --input "foo=$T/x.npy" --output-dir "$T/o"
expect_error "missing input 'x' (float32[2, 3]); pass --input x=FILE" "$T/add.cleave" \
  --output-dir "$T/o"
expect_error "too many inputs: the model takes 1 (x), got 2" "$T/add.cleave" \
  --input "$T/x.npy" --input "$T/x.npy" --output-dir "$T/o"
expect_error "input 'x' given more than once" "$T/add.cleave" --input "x=$T/x.npy" \
  --input "x=$T/x.npy" --output-dir "$T/o"
expect_error "input 'x': expected dtype float32, got float64 (from '$T/x64.npy')" \
  "$T/add.cleave" --input "x=$T/x64.npy" --output-dir "$T/o"
expect_error "input 'x': expected shape [2, 3], got [3, 2]" "$T/add.cleave" \
  --input "$T/x32.npy" --output-dir "$T/o"
expect_error "not a .npy file (bad magic bytes)" "$T/add.cleave" --input "$T/bad.npy" \
  --output-dir "$T/o"
expect_error "Fortran-order arrays are not supported" "$T/add.cleave" --input "$T/xf.npy" \
  --output-dir "$T/o"
expect_error "big-endian data ('>f4') is not supported" "$T/add.cleave" --input "$T/xbe.npy" \
  --output-dir "$T/o"
expect_error "cannot open '$T/nope.npy'" "$T/add.cleave" --input "x=$T/nope.npy" \
  --output-dir "$T/o"
expect_error "unknown tensor file type" "$T/add.cleave" --input "$T/x.txt" --output-dir "$T/o"
expect_error "unknown option '--frobnicate'" "$T/add.cleave" --frobnicate
expect_error "unknown option '-x'" "$T/add.cleave" -x
expect_error "option '--repeat' expects a positive integer" "$T/add.cleave" --input "$T/x.npy" \
  --output-dir "$T/o" --repeat abc
expect_error "option '--repeat' expects a positive integer" "$T/add.cleave" --repeat=0
expect_error "option '--profile' takes no value" "$T/add.cleave" --input "$T/x.npy" \
  --output-dir "$T/o" --profile=yes
expect_error "option '--threads' expects a positive integer" "$T/add.cleave" --threads -2
expect_error "option '--output-dir' needs a value" "$T/add.cleave" --input "$T/x.npy" --output-dir
expect_error "option '--output-dir' given more than once" "$T/add.cleave" --output-dir a \
  --output-dir=b
expect_error "missing --output-dir DIR" "$T/add.cleave" --input "$T/x.npy"
expect_error "cannot create output directory" "$T/add.cleave" --input "$T/x.npy" \
  --output-dir "$T/afile"
expect_error "unexpected argument" "$T/add.cleave" "$T/names.cleave"
expect_error "the plan needs 2 ranks: run it as mpirun -np 2 cleave-run ..." "$T/dist.cleave" \
  --input "$T/x.npy" --output-dir "$T/o"

echo "cli_test.sh: $checks checks, $failures failures"
[[ $failures -eq 0 ]]
