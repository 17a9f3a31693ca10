#!/usr/bin/env bash
# Installs every package Cleave's build and tests need (idempotent), then builds.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  # build
  cmake ninja-build ccache g++ pkg-config
  # LLVM/MLIR 22 (decision 1)
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  # LLVM's OpenMP runtime: generated code runs its parallel loops on it
  libomp-22-dev
  # clang's sanitizer and libFuzzer runtimes (scripts/fuzz.sh, CLEAVE_SANITIZE with clang)
  libclang-rt-22-dev
  # ONNX import (decision 2) and conformance data
  libonnx-dev protobuf-compiler libprotobuf-dev libonnx-testdata
  # MPI
  libopenmpi-dev openmpi-bin
  # ROCm device libraries and HIP headers for the ROCm target
  rocm-device-libs libamdhip64-dev
  # model generation for tests
  python3-onnx python3-numpy python3-torch python3-torchvision
  # the Python package (pybind11) and its tests; the artifact writer's JSON
  pybind11-dev python3-pybind11 python3-dev python3-pytest nlohmann-json3-dev
  # cleave-serve (HTTP server, JSON) and its tests and load benchmark (curl: a client of the
  # OpenAI endpoints' test)
  libcpp-httplib-dev python3-requests hey curl
  # cleave-serve's KServe v2 gRPC service, and its Python test client
  libgrpc++-dev protobuf-compiler-grpc python3-grpcio python3-grpc-tools
  # SentencePiece tokenizers of the generation tools (--tokenizer), spm_train and the Python
  # module for their tests
  libsentencepiece-dev sentencepiece python3-sentencepiece
  # misc (zstd: the GPU tests decompress the PTX of CUDA fatbins)
  zstd zlib1g-dev libzstd-dev libedit-dev libcurl4-openssl-dev libxml2-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v npm >/dev/null; then
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

# onnxruntime-node as the reference runtime; --ignore-scripts keeps its GPU download out.
if [ ! -f third_party/node/node_modules/onnxruntime-node/package.json ]; then
  mkdir -p third_party/node
  (cd third_party/node && npm install --no-audit --no-fund --ignore-scripts onnxruntime-node@1.30.0 >/dev/null)
fi

if [ "${1:-}" != "--no-build" ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build build
fi
