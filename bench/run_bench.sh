#!/usr/bin/env bash
# Benchmarks Cleave against onnxruntime (single thread) on the e2e models; see bench/README.md.
#
# Usage: bench/run_bench.sh BINDIR [bench.py options: --models a,b --repeat N --rounds R
#                                   --threads T --workdir DIR]
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 BINDIR [--models mlp,resnet18,mobilenet_v2,gpt] [--repeat 20] [--rounds 3]" >&2
  exit 2
fi
BINDIR=$1
shift
exec /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/bench.py" --bindir "$BINDIR" "$@"
