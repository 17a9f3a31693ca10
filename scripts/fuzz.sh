#!/usr/bin/env bash
# Builds (if needed) and runs one libFuzzer target of the runtime for a number of seconds.
#
# Usage: scripts/fuzz.sh TARGET SECONDS [LIBFUZZER_OPTION...]
#   TARGET   artifact | manifest | npy | tensor_proto | kserve (runtime/fuzz/TARGET_fuzzer.cc;
#            kserve: the server's infer-request parser), or
#            importer (compiler/import/ImporterFuzzer.cpp: the whole project is built with
#            clang-22 in build-fuzz-importer/, which links MLIR and takes long on 2 cores)
#   SECONDS  how long to fuzz (-max_total_time)
# The targets are built with clang-22 and -fsanitize=fuzzer,address,undefined in their own
# build directory, build-fuzz/ (CLEAVE_FUZZ=ON, the runtime alone: no LLVM or MLIR), with
# one job. The run uses one core: the seeds committed in runtime/fuzz/corpus/TARGET are
# copied into build-fuzz/corpus/TARGET (the importer's also gets the ONNX node-test models),
# which keeps what the run finds and is reused by the next run. A crash leaves its input as build-fuzz/crash-TARGET-*; make it a regression
# test (runtime/fuzz/regressions/TARGET/, replayed by the ctest fuzz-regressions). Exits
# non-zero if the target crashed. Prints libFuzzer's closing statistics (executions).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 artifact|manifest|npy|tensor_proto|kserve|importer SECONDS [LIBFUZZER_OPTION...]" >&2
  exit 2
fi
TARGET=$1
SECONDS_TO_RUN=$2
shift 2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case $TARGET in
  artifact|manifest|npy|tensor_proto|kserve)
    BUILD=${CLEAVE_FUZZ_BUILD:-$ROOT/build-fuzz} SOURCE=$ROOT/runtime
    SEEDS=$ROOT/runtime/fuzz/corpus/$TARGET ;;
  importer)
    BUILD=${CLEAVE_FUZZ_BUILD:-$ROOT/build-fuzz-importer} SOURCE=$ROOT
    SEEDS=$ROOT/compiler/import/fuzz-corpus ;;
  *) echo "fuzz: error: unknown target '$TARGET' (artifact, manifest, npy, tensor_proto, kserve, importer)" >&2
     exit 2 ;;
esac

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$SOURCE" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCLEAVE_FUZZ=ON -DCLEAVE_RUNTIME_TESTS=OFF >"$BUILD.configure.log" 2>&1 ||
    { cat "$BUILD.configure.log" >&2; exit 1; }
fi
cmake --build "$BUILD" -j 1 --target "cleave-fuzz-$TARGET" >/dev/null

CORPUS=$BUILD/corpus/$TARGET
mkdir -p "$CORPUS"
cp -n "$SEEDS"/* "$CORPUS"/ 2>/dev/null || true
# The importer also starts from every ONNX node-test model (libonnx-testdata): one small model
# per operator and attribute case, so mutations start past the protobuf parse.
if [ "$TARGET" = importer ]; then
  for model in /usr/share/libonnx-testdata/data/node/*/model.onnx; do
    [ -f "$model" ] || continue
    name=$(basename "$(dirname "$model")")
    cp -n "$model" "$CORPUS/$name.onnx"
  done
fi
cd "$BUILD"
# -rss_limit_mb: an input that makes a reader allocate past 2 GB is a finding, not a pass.
exec "$BUILD/bin/cleave-fuzz-$TARGET" "$CORPUS" -max_total_time="$SECONDS_TO_RUN" \
  -artifact_prefix="$BUILD/crash-$TARGET-" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
  -print_final_stats=1 "$@"
