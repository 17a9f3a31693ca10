#!/usr/bin/env bash
# Bad-input tests of the CLI: every malformed model, option, input or artifact gives one clean error.
#
# Usage: test/e2e/bad_input.sh BINDIR WORKDIR
#   BINDIR   directory holding cleave-compile and cleave-run (CTest passes ${CMAKE_BINARY_DIR}/bin)
#   WORKDIR  scratch directory, emptied first
# Each case must exit with status exactly 1 within 60 s, print exactly one non-empty line on
# stderr with no control bytes in it (names from a model are escaped), and print no crash text
# (stack dumps, LLVM ERROR, assertions, signals); cases run with expect_fail_saying must also
# name the key words of their error. The positive controls (compile and run the good model,
# compile a model with external data) must succeed. Prints one line per case and a final
# `N passed, N failed`; exits 1 if any case failed.
set -uo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BINDIR WORKDIR" >&2
  exit 2
fi
BINDIR=$(cd "$1" 2>/dev/null && pwd) || { echo "bad_input: error: no directory $1" >&2; exit 1; }
WORK=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
COMPILE=$BINDIR/cleave-compile
RUN=$BINDIR/cleave-run
TIMEOUT=60
CRASH_TEXT='Stack dump|LLVM ERROR|Assertion|Segmentation|PLEASE submit a bug report|terminate called|Aborted|core dumped|Traceback|UNREACHABLE'

for tool in "$COMPILE" "$RUN"; do
  [ -x "$tool" ] || { echo "bad_input: error: $tool not found" >&2; exit 1; }
done

rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
BAD=$WORK/bad
GOOD=$WORK/good
passed=0
failed=0
NO_ARTIFACT=0

report() {  # report PASS|FAIL NAME DETAIL
  echo "$1 $2: $3"
  if [ "$1" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

# Runs CMD under the timeout; sets rc and leaves stdout/stderr in $WORK/<name>.{out,err}.
run_case() {
  local name=$1
  shift
  timeout -k 5 "$TIMEOUT" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null
  rc=$?
}

# expect_fail NAME CMD...: exit status exactly 1, one non-empty stderr line without control
# bytes, no crash text.
EXPECT_WORDS=
expect_fail() {
  local name=$1 words=$EXPECT_WORDS missing
  EXPECT_WORDS=
  shift
  if [ "$NO_ARTIFACT" = 1 ]; then
    report FAIL "$name" "not run: the good model does not compile and run"
    return
  fi
  run_case "$name" "$@"
  local err=$WORK/$name.err
  local nlines
  nlines=$(awk 'END { print NR }' "$err")
  local first
  first=$(head -n 1 "$err" | cut -c 1-300)
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    report FAIL "$name" "timed out after ${TIMEOUT} s"
  elif grep -Eq "$CRASH_TEXT" "$err" "$WORK/$name.out"; then
    report FAIL "$name" "crash text in output (exit $rc): $(grep -Eh -m 1 "$CRASH_TEXT" "$err" "$WORK/$name.out" | head -n 1 | cut -c 1-200)"
  elif [ $rc -gt 128 ]; then
    report FAIL "$name" "killed by signal $((rc - 128)) (stderr: ${first:-<empty>})"
  elif [ $rc -ne 1 ]; then
    report FAIL "$name" "exit status $rc, expected 1 (stderr: ${first:-<empty>})"
  elif [ "$nlines" -ne 1 ] || [ -z "$(tr -d '[:space:]' <"$err")" ]; then
    report FAIL "$name" "stderr has $nlines lines, expected exactly one non-empty line (first: ${first:-<empty>})"
  elif LC_ALL=C grep -q '[[:cntrl:]]' "$err"; then
    report FAIL "$name" "stderr holds control bytes: $(head -n 1 "$err" | cut -c 1-300 | cat -v)"
  elif ! missing=$(missing_words "$words" "$err"); then
    report FAIL "$name" "stderr does not say '$missing': $first"
  else
    report PASS "$name" "$first"
  fi
}

# missing_words 'WORD|WORD...' FILE: prints the first WORD (a fixed string) that FILE lacks,
# and fails; succeeds when FILE has them all.
missing_words() {
  local words word
  [ -n "$1" ] || return 0
  IFS='|' read -r -a words <<<"$1"
  for word in "${words[@]}"; do
    if ! grep -qF -- "$word" "$2"; then
      printf '%s' "$word"
      return 1
    fi
  done
}

# expect_fail_saying NAME 'WORD|WORD...' CMD...: expect_fail, and the error line holds every
# WORD (fixed strings, compared byte for byte; expect_fail reads them from EXPECT_WORDS).
expect_fail_saying() {
  local name=$1
  EXPECT_WORDS=$2
  shift 2
  expect_fail "$name" "$@"
}

# expect_ok NAME CMD...: exit status 0 (the positive controls).
expect_ok() {
  local name=$1
  shift
  run_case "$name" "$@"
  if [ $rc -eq 0 ]; then
    report PASS "$name" "exit 0"
    return 0
  fi
  report FAIL "$name" "exit status $rc (stderr: $(head -n 1 "$WORK/$name.err" | cut -c 1-300))"
  return 1
}

# ---- inputs ------------------------------------------------------------------------------
if ! "$PY" "$ROOT/test/models/generate.py" mlp_small --out "$GOOD" >"$WORK/generate.log" 2>&1 ||
   ! "$PY" "$ROOT/test/e2e/make_bad_inputs.py" models "$BAD" >>"$WORK/generate.log" 2>&1; then
  echo "bad_input: error: generating the test inputs failed, see $WORK/generate.log" >&2
  exit 1
fi
MODEL=$GOOD/model.onnx
INPUT=$GOOD/inputs/input.npy
head -c "$(($(stat -c %s "$MODEL") / 2))" "$MODEL" >"$BAD/truncated.onnx"
: >"$BAD/empty.onnx"

# ---- cleave-compile ----------------------------------------------------------------------
expect_fail compile.missing_file "$COMPILE" "$WORK/does-not-exist.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail compile.empty_file "$COMPILE" "$BAD/empty.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail compile.truncated_model "$COMPILE" "$BAD/truncated.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail compile.random_bytes "$COMPILE" "$BAD/random.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail compile.unsupported_op "$COMPILE" "$BAD/unsupported_op.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail compile.custom_domain_op "$COMPILE" "$BAD/custom_domain_op.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail compile.unknown_op "$COMPILE" "$BAD/unknown_op.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail compile.unbound_dynamic_dim "$COMPILE" "$BAD/dynamic_dim.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail compile.unknown_input_shape_name "$COMPILE" "$MODEL" --devices=cpu:0 -o "$WORK/x.cleave" \
  --input-shape=no_such_input=4x16
expect_fail compile.unknown_device_kind "$COMPILE" "$MODEL" --devices=tpu:0 -o "$WORK/x.cleave"
expect_fail compile.unknown_option "$COMPILE" "$MODEL" --devices=cpu:0 -o "$WORK/x.cleave" --no-such-option
# Names from the model are escaped and libonnx's multi-line messages folded into one line.
expect_fail_saying compile.control_bytes_in_node_name \
  "node 'nms second line\x1b[2J\x07' (NonMaxSuppression|unsupported operator" \
  "$COMPILE" "$BAD/control_name.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail_saying compile.checker_multiline_message \
  "fails the ONNX checker: Unrecognized attribute: alpha for operator Relu ==> Context:|Name: relu" \
  "$COMPILE" "$BAD/checker_multiline.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail_saying compile.huge_initializer "tensor 'huge' has shape 4294967296x4294967296|overflows" \
  "$COMPILE" "$BAD/huge_initializer.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail_saying compile.zero_stride "node 'conv' (Conv): expects positive strides, got [0, 0]" \
  "$COMPILE" "$BAD/zero_stride.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
expect_fail_saying compile.negative_stride "node 'pool' (MaxPool): expects positive strides, got [-1, 1]" \
  "$COMPILE" "$BAD/negative_stride.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
# Past 2 GiB protobuf aborts; a sparse file costs no disk.
if truncate -s 2200M "$BAD/over_2gib.onnx" 2>/dev/null; then
  expect_fail_saying compile.model_over_2gib "is 2306867200 bytes, past protobuf's limit of 2 GiB" \
    "$COMPILE" "$BAD/over_2gib.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
  rm -f "$BAD/over_2gib.onnx"
else
  report FAIL compile.model_over_2gib "cannot create a sparse 2200 MiB file in $BAD"
fi
# Sizes: a bound dim whose buffers cannot be allocated, one whose byte size overflows, and
# parameters beyond the memory a device file gives a rank (one rank, a pipeline's last
# stage, half of a tensor-parallel split), all refused at compile time naming the rank.
expect_fail_saying compile.huge_input_shape \
  "rank 0 (device 'cpu:0') needs 3200000000000000 bytes|more than the 8589934592 bytes of memory" \
  "$COMPILE" "$BAD/dynamic_dim.onnx" --devices=cpu:0 -o "$WORK/x.cleave" --input-shape=x=100000000000000x4
expect_fail_saying compile.input_shape_overflows \
  "input 'x' of type tensor<4000000000000000000x4xf32> has a byte size past 2^63 - 1" \
  "$COMPILE" "$BAD/dynamic_dim.onnx" --devices=cpu:0 -o "$WORK/x.cleave" --input-shape=x=4000000000000000000x4
expect_fail_saying compile.params_exceed_device_memory \
  "rank 0 (device 'cpu:0') needs 10400 bytes (parameters 7168, activations 3232), more than the 4096 bytes" \
  "$COMPILE" "$MODEL" --devices=cpu:0 -o "$WORK/x.cleave" --device-file="$BAD/tiny_memory_rank0.json"
expect_fail_saying compile.pipeline_exceeds_device_memory \
  "stage 1 on rank 1 (nodes|device 'cpu:1' has 100" \
  "$COMPILE" "$MODEL" --devices=cpu:0-1 -o "$WORK/x.cleave" --device-file="$BAD/tiny_memory_rank1.json"
expect_fail_saying compile.tensor_parallel_exceeds_device_memory \
  "rank 1 (device 'cpu:1') needs|more than the 3000 bytes" \
  "$COMPILE" "$MODEL" --devices=cpu:0-1 --pp=1 --tp=2 -o "$WORK/x.cleave" \
  --device-file="$BAD/small_memory_rank1.json"

# External data (make_bad_inputs.py, make_external_data_models): ext/ok.onnx compiles, each
# other model has one thing wrong, and nothing outside ext/ is read.
EXT=$BAD/ext
expect_ok ok.compile_external_data "$COMPILE" "$EXT/ok.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
ext_case() {  # ext_case CASE 'WORD|WORD...'
  expect_fail_saying "compile.external_data.$1" "tensor 'w': |$2" \
    "$COMPILE" "$EXT/$1.onnx" --devices=cpu:0 -o "$WORK/x.cleave"
}
ext_case offset_not_number "external data offset 'abc' is not a non-negative decimal integer"
ext_case length_not_number "external data length '0x100' is not a non-negative decimal integer"
ext_case offset_negative "external data offset '-16' is not a non-negative decimal integer"
ext_case offset_too_large "external data offset '18446744073709551616' is larger than 2^64 - 1"
ext_case offset_length_overflow "offset 18446744073709551615 + length 256 overflows 64 bits"
ext_case past_end "offset 4096 + length 256 runs past the end of|weights.bin' (256 bytes)"
ext_case length_mismatch "external data length 128 does not match the tensor|holds 256 bytes"
ext_case parent_dir "location '../outside.bin' leaves the model's directory"
ext_case absolute "is an absolute path; it must be relative to the model's directory"
ext_case symlink_outside "location 'link.bin' resolves to|outside.bin', outside the model's directory"
ext_case fifo "fifo.bin' is not a regular file"
ext_case missing_file "cannot read external data|missing.bin"
ext_case unknown_key "unknown external data key 'offest'"
ext_case no_location "external data has no 'location'"
expect_fail_saying compile.external_data.control_bytes_in_tensor_name \
  "tensor 'w second line\x1b[2J\x07': external data offset 'abc'" \
  "$COMPILE" "$EXT/control_tensor_name.onnx" --devices=cpu:0 -o "$WORK/x.cleave"

# ---- cleave-run --------------------------------------------------------------------------
OUT=$WORK/run-out
# These need no artifact of ours.
expect_fail run.missing_artifact "$RUN" "$WORK/does-not-exist.cleave" --input "input=$INPUT" --output-dir "$OUT"
expect_fail run.empty_artifact "$RUN" "$BAD/empty.onnx" --input "input=$INPUT" --output-dir "$OUT"
expect_fail run.onnx_as_artifact "$RUN" "$MODEL" --input "input=$INPUT" --output-dir "$OUT"

# These need the good artifact; without one they count as failed.
ART=$WORK/good.cleave
expect_ok ok.compile "$COMPILE" "$MODEL" --devices=cpu:0 -o "$ART" &&
  expect_ok ok.run "$RUN" "$ART" --input "input=$INPUT" --output-dir "$WORK/ok-out" &&
  "$PY" "$ROOT/test/e2e/make_bad_inputs.py" artifacts "$ART" "$BAD" || NO_ARTIFACT=1
expect_fail run.wrong_shape "$RUN" "$ART" --input "input=$BAD/wrong_shape.npy" --output-dir "$OUT"
expect_fail run.wrong_dtype "$RUN" "$ART" --input "input=$BAD/wrong_dtype.npy" --output-dir "$OUT"
expect_fail run.wrong_name "$RUN" "$ART" --input "no_such_input=$INPUT" --output-dir "$OUT"
expect_fail run.too_many_inputs "$RUN" "$ART" --input "$INPUT" --input "$INPUT" --output-dir "$OUT"
expect_fail run.missing_input "$RUN" "$ART" --output-dir "$OUT"
expect_fail run.missing_input_file "$RUN" "$ART" --input "input=$WORK/does-not-exist.npy" --output-dir "$OUT"
expect_fail run.corrupt_npy "$RUN" "$ART" --input "input=$BAD/corrupt.npy" --output-dir "$OUT"
# A file whose size disagrees with its header, and one holding far more than the input takes,
# are refused before their data is read (both are sparse files of gigabytes).
expect_fail_saying run.input_size_mismatch \
  "oversized data: a float32[4, 16] array holds 256 bytes, the file has 8589934592" \
  "$RUN" "$ART" --input "input=$BAD/oversized_data.npy" --output-dir "$OUT"
expect_fail_saying run.input_larger_than_model_takes \
  "input 'input': |a float32[100000000, 16] array of 6400000000 bytes is more than the input can take (512 bytes at most)" \
  "$RUN" "$ART" --input "input=$BAD/huge_array.npy" --output-dir "$OUT"
rm -f "$BAD/oversized_data.npy" "$BAD/huge_array.npy"
# Names from the model quoted by the runtime are escaped (its manifest keeps them verbatim).
NAMES_ART=$WORK/control_io_names.cleave
expect_ok ok.compile_control_io_names "$COMPILE" "$BAD/control_io_names.onnx" --devices=cpu:0 \
  -o "$NAMES_ART" || NO_ARTIFACT=1
expect_fail_saying run.control_bytes_in_input_name "missing input 'in put\x1b[2J' (float32[2, 3])" \
  "$RUN" "$NAMES_ART" --output-dir "$OUT"
expect_fail_saying run.control_bytes_in_input_name_given_twice "input 'in put\x1b[2J' given more than once" \
  "$RUN" "$NAMES_ART" --input "$(printf 'in\nput\033[2J')=$INPUT" --input "$(printf 'in\nput\033[2J')=$INPUT" \
  --output-dir "$OUT"
expect_fail run.flipped_byte_middle "$RUN" "$BAD/flipped_middle.cleave" --input "input=$INPUT" --output-dir "$OUT"
expect_fail run.flipped_byte_manifest "$RUN" "$BAD/flipped_manifest.cleave" --input "input=$INPUT" --output-dir "$OUT"
expect_fail run.truncated_artifact "$RUN" "$BAD/truncated.cleave" --input "input=$INPUT" --output-dir "$OUT"
expect_fail run.bad_threads "$RUN" "$ART" --input "input=$INPUT" --output-dir "$OUT" --threads=zero

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
