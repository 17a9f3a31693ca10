#!/usr/bin/env bash
# install_test.sh - Installs this build into a fresh prefix and uses it as a separate project
# would: checks the layout, builds test/install/consumer against the prefix with
# find_package(Cleave), compiles a model with the installed cleave-compile, runs it through the
# consumer programs (C++ API; C API with the shared and with the static runtime) and the
# installed cleave-run, compiles and runs it from the installed Python package, and compares
# every output with onnxruntime's.
#
# usage: install_test.sh BUILD_DIR
# Needs /usr/bin/python3 with numpy and torch (test/models), node with onnxruntime-node
# (scripts/ort-run.mjs), cmake and a C/C++ compiler.
set -u

BUILD=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/cleave-install-XXXXXX")
trap 'rm -rf "$T"' EXIT
P=$T/prefix
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# step NAME COMMAND...: runs a step whose failure ends the test, with its output on failure.
step() {
  local name=$1
  shift
  if ! "$@" >"$T/log" 2>&1; then
    echo "FAIL: $name: $*"
    cat "$T/log"
    exit 1
  fi
}

step install cmake --install "$BUILD" --prefix "$P"
for file in bin/cleave-compile bin/cleave-run bin/cleave-tune lib/libcleave_runtime.a lib/libcleave_runtime.so \
  include/cleave/runtime.h include/cleave/abi.h include/cleave/cleave.h \
  lib/cmake/Cleave/CleaveConfig.cmake lib/cmake/Cleave/CleaveConfigVersion.cmake \
  lib/cmake/Cleave/CleaveTargets.cmake share/doc/cleave/README.md share/doc/cleave/install.md \
  share/doc/cleave/runtime.md; do
  [[ -e $P/$file ]] || fail "not installed: $file"
done
# Nothing of the build tree may leak into the package.
if grep -rlF "$BUILD" "$P/lib/cmake/Cleave" >/dev/null; then
  fail "the CMake package names the build tree: $(grep -rlF "$BUILD" "$P/lib/cmake/Cleave")"
fi

# The model, its inputs as raw bytes, and onnxruntime's outputs.
step generate "$PY" "$ROOT/test/models/generate.py" mlp_small --out "$T/model"
inputs=()
raw=()
while IFS= read -r line || [[ -n $line ]]; do
  [[ -z $line ]] && continue
  inputs+=(--input "${line%%=*}=$T/model/${line#*=}")
  raw+=("$T/model/${line#*=}.bin")
done <"$T/model/inputs.txt"
step raw-inputs "$PY" -c '
import sys, numpy as np
for path in sys.argv[1:]:
    np.load(path[:-4]).tofile(path)
' "${raw[@]}"
step reference node "$ROOT/scripts/ort-run.mjs" "$T/model/model.onnx" "${inputs[@]}" \
  --output-dir "$T/ref" --threads 1

# The installed compiler and cleave-run.
step compile "$P/bin/cleave-compile" "$T/model/model.onnx" --devices=cpu:0 -o "$T/model.cleave"
step cleave-run "$P/bin/cleave-run" "$T/model.cleave" "${inputs[@]}" --output-dir "$T/out-run" \
  --threads 1
"$PY" "$ROOT/test/e2e/compare.py" "$T/ref" "$T/out-run" || fail "installed cleave-run's outputs"

# A separate project against the prefix.
step configure cmake -S "$ROOT/test/install/consumer" -B "$T/consumer" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$P"
step build cmake --build "$T/consumer"

# Each consumer writes each output raw to <name>.bin (names as cleave-run writes them); they
# become <name>.npy, typed and shaped as the reference, for compare.py.
for program in consumer_cpp consumer_c consumer_c_static; do
  out=$T/out-$program
  mkdir -p "$out"
  if ! "$T/consumer/$program" "$T/model.cleave" "$out" "${raw[@]}" 2>"$T/stderr"; then
    fail "$program: $(cat "$T/stderr")"
    continue
  fi
  [[ ! -s $T/stderr ]] || fail "$program wrote to stderr: $(cat "$T/stderr")"
  "$PY" - "$T/ref" "$out" <<'PYEOF' || fail "$program: outputs"
import glob, os, sys
import numpy as np
ref, out = sys.argv[1:]
for path in sorted(glob.glob(os.path.join(ref, "*.npy"))):
    expected = np.load(path)
    name = os.path.basename(path)[:-4]
    raw = os.path.join(out, name + ".bin")
    if not os.path.exists(raw):
        sys.exit(f"no output {name}.bin")
    got = np.fromfile(raw, dtype=expected.dtype)
    if got.size != expected.size:
        sys.exit(f"output {name}: {got.size} elements, expected {expected.size}")
    np.save(os.path.join(out, name + ".npy"), got.reshape(expected.shape))
PYEOF
  "$PY" "$ROOT/test/e2e/compare.py" "$T/ref" "$out" || fail "$program's outputs differ"
done

# The installed Python package, outside the build tree: compile and run the model with it.
if [[ -d $BUILD/python/cleave ]]; then
  PYDIR=$P/lib/python3/dist-packages
  for file in cleave/__init__.py; do
    [[ -e $PYDIR/$file ]] || fail "not installed: lib/python3/dist-packages/$file"
  done
  ls "$PYDIR"/cleave/_cleave*.so >/dev/null 2>&1 || fail "not installed: the _cleave extension"
  mkdir -p "$T/out-python"
  (cd "$T" && PYTHONPATH=$PYDIR PYTHONDONTWRITEBYTECODE=1 "$PY" - "$BUILD" "$T/model" \
    "$T/out-python" "${inputs[@]}") <<'PYEOF' || fail "the installed Python package"
import os, sys
import numpy as np
import cleave
build, model_dir, out = sys.argv[1:4]
if os.path.realpath(cleave.__file__).startswith(os.path.realpath(build) + os.sep):
    sys.exit(f"cleave imported from the build tree: {cleave.__file__}")
feed = {}
for spec in sys.argv[4:]:
    if spec != "--input":
        name, path = spec.split("=", 1)
        feed[name] = np.load(path)
artifact = os.path.join(out, "model.cleave")
cleave.compile(os.path.join(model_dir, "model.onnx"), artifact, devices="cpu:0")
session = cleave.InferenceSession(artifact, threads=1)
for arg, value in zip(session.get_outputs(), session.run(None, feed)):
    np.save(os.path.join(out, arg.name + ".npy"), value)
PYEOF
  "$PY" "$ROOT/test/e2e/compare.py" "$T/ref" "$T/out-python" || fail "the Python package's outputs"
fi

# The shared runtime is all a C program needs.
if readelf -d "$T/consumer/consumer_c" | grep -q 'NEEDED.*libstdc++'; then
  fail "consumer_c links libstdc++ itself"
fi

echo "install_test.sh: $failures failures"
[[ $failures -eq 0 ]]
