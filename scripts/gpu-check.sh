#!/usr/bin/env bash
# The repeatable GPU check: artifacts and references made here, run and compared on a GPU.
#
# Usage: scripts/gpu-check.sh prepare BUILD_DIR BUNDLE [--cuda-arch sm_90] [--cpu x86-64-v3]
#                                   [--cases a,b,...] [--bench-models mlp,resnet18]
#        BUNDLE/gpu-check.sh run BUNDLE [--cases a,b,...]
#
# The GPU machine has an NVIDIA GPU, CUDA and PyTorch but no LLVM/MLIR and no internet, so it
# compiles nothing. `prepare` runs on a build machine (cleave-compile, onnxruntime-node,
# PyTorch for the model generators) and writes BUNDLE, a self-contained directory:
#   bin/cleave-run            the runtime's driver (it needs OpenMPI's libmpi.so.40 there)
#   lib/libomp.so.5           LLVM's OpenMP runtime, for the CPU stage of the mixed plan
#   tools/                    compare.py, bench.py, gpu_bench.py and this script
#   cases/NAME/               model/ (ONNX, inputs), ref/ (onnxruntime's outputs),
#                             model.cleave, ranks (1 or 2)
#   bench/MODEL/              bench/gpu_bench.py's prepared models (cleave vs PyTorch eager)
# Cases: mlp, resnet18 and gpt on cuda:0; mlp.pp2 and gpt.pp2_mb4, pipelines of two ranks
# sharing the GPU (--devices=cuda:0,cuda:0; mpirun -np 2); mlp.cuda_cpu, stage 0 on the GPU
# and stage 1 on the CPU (mpirun -np 2); mlp.tp2 and gpt.tp2, a tensor-parallel group of two
# ranks sharing the GPU (--devices=cuda:0,cuda:0 --tp=2: collectives through host memory).
# `run` (on the GPU machine) runs each case with cleave-run (under `mpirun -np 2` for two
# ranks), compares the outputs with the references (compare.py: rtol 1e-3, atol 1e-4 unless
# GPU_CHECK_RTOL / GPU_CHECK_ATOL say otherwise) and prints one line per case; exits 1 if any
# case fails. Then: `python3 BUNDLE/tools/gpu_bench.py run --dir BUNDLE/bench
# --cleave-run BUNDLE/bin/cleave-run` for the latency table.
set -euo pipefail

usage() {
  sed -n '4,6p' "${BASH_SOURCE[0]}" | sed 's/^# //' >&2
  exit 2
}
fail() {
  echo "gpu-check: error: $*" >&2
  exit 1
}

# NAME|MODEL|RANKS|COMPILE_OPTIONS
CASES=(
  "mlp|mlp|1|--devices=cuda:0"
  "resnet18|resnet18|1|--devices=cuda:0"
  "gpt|gpt|1|--devices=cuda:0"
  "mlp.pp2|mlp|2|--devices=cuda:0,cuda:0"
  "gpt.pp2_mb4|gpt_b4|2|--devices=cuda:0,cuda:0 --microbatches=4"
  "mlp.cuda_cpu|mlp|2|--devices=cuda:0,cpu:0"
  "mlp.tp2|mlp|2|--devices=cuda:0,cuda:0 --tp=2"
  "gpt.tp2|gpt|2|--devices=cuda:0,cuda:0 --tp=2"
)

prepare() {
  [ $# -ge 2 ] || usage
  local build=$1 bundle=$2
  shift 2
  local arch=sm_90 cpu=x86-64-v3 only= bench_models=mlp,resnet18
  while [ $# -gt 0 ]; do
    case $1 in
      --cuda-arch) arch=$2; shift 2 ;;
      --cpu) cpu=$2; shift 2 ;;
      --cases) only=,$2,; shift 2 ;;
      --bench-models) bench_models=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  local root py=/usr/bin/python3
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  build=$(cd "$build" && pwd) || fail "no build directory $1"
  for tool in cleave-compile cleave-run; do
    [ -x "$build/bin/$tool" ] || fail "$build/bin/$tool not found (build first)"
  done
  rm -rf "$bundle"
  mkdir -p "$bundle"/{bin,lib,tools,cases}
  bundle=$(cd "$bundle" && pwd)
  cp "$build/bin/cleave-run" "$bundle/bin/"
  # The CPU stage's code finds libomp through its runpath (/usr/lib/llvm-22/lib), which the
  # GPU machine lacks; `run` puts lib/ on LD_LIBRARY_PATH, which is searched first.
  cp -L /usr/lib/llvm-22/lib/libomp.so.5 "$bundle/lib/"
  cp "$root/test/e2e/compare.py" "$root/bench/bench.py" "$root/bench/gpu_bench.py" \
    "$root/scripts/gpu-check.sh" "$bundle/tools/"
  ln -s tools/gpu-check.sh "$bundle/gpu-check.sh"
  for entry in "${CASES[@]}"; do
    IFS='|' read -r name model ranks options <<<"$entry"
    if [ -n "$only" ] && [[ $only != *",$name,"* ]]; then continue; fi
    local dir=$bundle/cases/$name
    echo "== $name: $model, $ranks rank(s), $options"
    mkdir -p "$dir"
    "$py" "$root/test/models/generate.py" "$model" --out "$dir/model" >/dev/null
    local inputs=() compile_args=()
    while IFS= read -r line || [ -n "$line" ]; do
      [ -n "$line" ] && inputs+=(--input "${line%%=*}=$dir/model/${line#*=}")
    done <"$dir/model/inputs.txt"
    if [ -f "$dir/model/compile_args.txt" ]; then
      while IFS= read -r line || [ -n "$line" ]; do
        [ -n "$line" ] && compile_args+=("$line")
      done <"$dir/model/compile_args.txt"
    fi
    node "$root/scripts/ort-run.mjs" "$dir/model/model.onnx" "${inputs[@]}" \
      --output-dir "$dir/ref" --threads 1
    # shellcheck disable=SC2086  # options is a space-separated list
    "$build/bin/cleave-compile" "$dir/model/model.onnx" $options --cuda-arch="$arch" \
      --cpu="$cpu" "${compile_args[@]}" -o "$dir/model.cleave"
    echo "$ranks" >"$dir/ranks"
  done
  echo "== bench models"
  "$py" "$root/bench/gpu_bench.py" prepare --bindir "$build/bin" --out "$bundle/bench" \
    --cuda-arch "$arch" --models "$bench_models"
  echo "gpu-check: bundle ready in $bundle ($(du -sh "$bundle" | cut -f1)); on the GPU machine:"
  echo "  $bundle/gpu-check.sh run $bundle"
}

run_cases() {
  [ $# -ge 1 ] || usage
  local bundle=$1
  shift
  local only=
  while [ $# -gt 0 ]; do
    case $1 in
      --cases) only=,$2,; shift 2 ;;
      *) usage ;;
    esac
  done
  bundle=$(cd "$bundle" && pwd) || fail "no bundle directory $1"
  local run=$bundle/bin/cleave-run py
  py=$(command -v python3) || fail "python3 not found"
  [ -x "$run" ] || fail "$run not found (run 'prepare' on the build machine first)"
  if ldd "$run" | grep -q 'not found'; then
    fail "cleave-run is missing libraries here: $(ldd "$run" | grep 'not found' | tr -s ' \t' ' ')"
  fi
  export LD_LIBRARY_PATH=$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  fi
  # Two ranks on one machine: no binding (they share cores and the GPU).
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
  local failed=0 passed=0
  for dir in "$bundle"/cases/*/; do
    dir=${dir%/}
    local name
    name=$(basename "$dir")
    if [ -n "$only" ] && [[ $only != *",$name,"* ]]; then continue; fi
    local ranks inputs=()
    ranks=$(cat "$dir/ranks")
    while IFS= read -r line || [ -n "$line" ]; do
      [ -n "$line" ] && inputs+=(--input "${line%%=*}=$dir/model/${line#*=}")
    done <"$dir/model/inputs.txt"
    rm -rf "$dir/out"
    local cmd=("$run" "$dir/model.cleave" "${inputs[@]}" --output-dir "$dir/out")
    if [ "$ranks" -gt 1 ]; then
      command -v mpirun >/dev/null || { echo "FAIL $name: mpirun not found"; failed=$((failed + 1)); continue; }
      cmd=(mpirun -np "$ranks" "${cmd[@]}")
    fi
    local start=$SECONDS
    if ! timeout 600 "${cmd[@]}" >"$dir/run.log" 2>&1; then
      echo "FAIL $name: $(grep -m1 "error" "$dir/run.log" || tail -1 "$dir/run.log")"
      failed=$((failed + 1))
      continue
    fi
    if ! "$py" "$bundle/tools/compare.py" "$dir/ref" "$dir/out" \
        --rtol "${GPU_CHECK_RTOL:-1e-3}" --atol "${GPU_CHECK_ATOL:-1e-4}" >"$dir/compare.log" 2>&1; then
      echo "FAIL $name: outputs differ from onnxruntime's: $(grep -m1 -v '^ok' "$dir/compare.log")"
      failed=$((failed + 1))
      continue
    fi
    echo "ok   $name ($ranks rank(s), $((SECONDS - start)) s): $(tail -1 "$dir/compare.log")"
    passed=$((passed + 1))
  done
  echo "gpu-check: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}

[ $# -ge 1 ] || usage
step=$1
shift
case $step in
  prepare) prepare "$@" ;;
  run) run_cases "$@" ;;
  *) usage ;;
esac
