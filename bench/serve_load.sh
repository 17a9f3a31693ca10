#!/usr/bin/env bash
# serve_load.sh - cleave-serve under load (Debian's hey, loopback only): resnet18 with
# binary tensor data at concurrency 1, 8 and 32, batched (--max-batch 8) against unbatched
# (--max-batch 1), the cost of a JSON body at concurrency 1, and cleave-run's offline
# throughput at batch 1 and 8 in the same session (docs/serving.md, "Load").
#
# usage: bench/serve_load.sh BINDIR [--threads T] [--requests N] [--workdir DIR]
# Prints one table; every figure comes from this run.
set -euo pipefail

BIN=$(cd "$1" && pwd)
shift
THREADS=0
REQUESTS=200
WORK="$BIN/../bench/serve"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    *) echo "serve_load.sh: error: unknown option '$1'" >&2; exit 2 ;;
  esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# --threads 0: every core (the tools' default, so the option is left out).
THREAD_ARGS=()
[ "$THREADS" -gt 0 ] && THREAD_ARGS=(--threads "$THREADS")
PY=/usr/bin/python3
command -v hey >/dev/null || { echo "serve_load.sh: error: hey is missing (apt-get install hey)" >&2; exit 1; }
mkdir -p "$WORK"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null || true; }
trap cleanup EXIT

# The model, one image and a batch of eight, the artifact for batches 1, 2, 4 and 8.
if [ ! -f "$WORK/resnet18/model.onnx" ]; then
  "$PY" "$ROOT/test/models/generate.py" resnet18 --out "$WORK/resnet18" >/dev/null
fi
ART="$WORK/resnet18_b1248.cleave"
if [ ! -f "$ART" ]; then
  "$BIN/cleave-compile" "$WORK/resnet18/model.onnx" --devices=cpu:0 --batch-sizes=1,2,4,8 -o "$ART"
fi
"$PY" - "$WORK" <<'PYEOF'
import json, sys
import numpy as np
work = sys.argv[1]
x = np.load(f"{work}/resnet18/inputs/" + open(f"{work}/resnet18/inputs.txt").read().split("=", 1)[1].strip().split("/")[-1])
name = open(f"{work}/resnet18/inputs.txt").read().split("=", 1)[0]
np.save(f"{work}/x1.npy", x[:1])
np.save(f"{work}/x8.npy", np.concatenate([x[:1]] * 8))
header = json.dumps({"inputs": [{"name": name, "datatype": "FP32", "shape": list(x[:1].shape),
                                 "parameters": {"binary_data_size": x[:1].nbytes}}],
                     "parameters": {"binary_data_output": True}}).encode()
open(f"{work}/binary.body", "wb").write(header + x[:1].astype(np.float32).tobytes())
open(f"{work}/binary.len", "w").write(str(len(header)))
body = {"inputs": [{"name": name, "datatype": "FP32", "shape": list(x[:1].shape),
                    "data": x[:1].flatten().tolist()}]}
open(f"{work}/json.body", "w").write(json.dumps(body))
open(f"{work}/input.name", "w").write(name)
PYEOF
NAME=$(cat "$WORK/input.name")

# cleave-run: the median latency of 20 runs at batch B -> samples/s.
offline() {
  local batch=$1 ms
  ms=$("$BIN/cleave-run" "$ART" --input "$NAME=$WORK/x$batch.npy" --output-dir "$WORK/out" \
    "${THREAD_ARGS[@]}" --repeat 10 | sed -n 's/.*median=\([0-9.]*\).*/\1/p')
  echo "$batch $ms"
}

start_server() {
  # Emptied here, before the server starts: otherwise the loop below may read
  # the previous server's port before the new process truncates the file.
  : >"$WORK/server.out"
  "$BIN/cleave-serve" "$ART" --port 0 --model-name resnet18 "${THREAD_ARGS[@]}" "$@" \
    >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  local port="" tries=0
  while [ -z "$port" ] && [ $tries -lt 300 ]; do
    port=$(sed -n 's/.*on http:\/\/[^:]*:\([0-9]*\)$/\1/p' "$WORK/server.out")
    sleep 0.1
    tries=$((tries + 1))
  done
  [ -n "$port" ] || { echo "serve_load.sh: error: the server did not start: $(cat "$WORK/server.err")" >&2; exit 1; }
  URL="http://127.0.0.1:$port/v2/models/resnet18/infer"
}

stop_server() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=""
}

# hey at concurrency C with N requests: "rps p50_ms p99_ms errors".
load() {
  local c=$1 n=$2 body=$3 type=$4 extra=("${@:5}")
  hey -n "$n" -c "$c" -m POST -T "$type" "${extra[@]}" -D "$body" "$URL" >"$WORK/hey.txt"
  "$PY" - "$WORK/hey.txt" <<'PYEOF'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
def pct(p):
    m = re.search(rf"\s{p}% in ([0-9.]+) secs", text)
    return float(m.group(1)) * 1e3 if m else float("nan")
codes = dict((int(a), int(b)) for a, b in re.findall(r"\[(\d+)\]\s+(\d+) responses", text))
errors = sum(v for k, v in codes.items() if k != 200) + len(re.findall(r"Error distribution", text))
print(f"{rps:.1f} {pct(50):.2f} {pct(99):.2f} {errors}")
PYEOF
}

echo "warming up and measuring cleave-run offline..."
read -r _ OFF1 <<<"$(offline 1)"
read -r _ OFF8 <<<"$(offline 8)"
[ -n "${OFF1:-}" ] && [ -n "${OFF8:-}" ] || { echo "serve_load.sh: error: cleave-run failed" >&2; exit 1; }
BINLEN=$(cat "$WORK/binary.len")

declare -A RESULT
for mode in batched unbatched; do
  if [ $mode = batched ]; then start_server --max-batch 8 --max-delay-ms 2
  else start_server --max-batch 1 --max-delay-ms 0; fi
  load 1 5 "$WORK/binary.body" application/octet-stream -H "Inference-Header-Content-Length: $BINLEN" >/dev/null # warm-up
  for c in 1 8 32; do
    n=$REQUESTS
    [ "$c" -eq 1 ] && n=$((REQUESTS / 2))
    RESULT[$mode,$c]=$(load "$c" "$n" "$WORK/binary.body" application/octet-stream \
      -H "Inference-Header-Content-Length: $BINLEN")
  done
  if [ $mode = unbatched ]; then
    RESULT[json,1]=$(load 1 $((REQUESTS / 4)) "$WORK/json.body" application/json)
  fi
  stop_server
done

echo
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads=$THREADS (0: all)"
printf "cleave-run offline: batch 1 %.2f ms (%.1f samples/s), batch 8 %.2f ms (%.1f samples/s)\n" \
  "$OFF1" "$("$PY" -c "print(1000/$OFF1)")" "$OFF8" "$("$PY" -c "print(8000/$OFF8)")"
printf "%-28s %11s %9s %9s %7s\n" "server (binary, resnet18)" "samples/s" "p50 ms" "p99 ms" "errors"
for mode in unbatched batched; do
  for c in 1 8 32; do
    read -r rps p50 p99 err <<<"${RESULT[$mode,$c]}"
    printf "%-28s %11s %9s %9s %7s\n" "$mode c=$c" "$rps" "$p50" "$p99" "$err"
  done
done
read -r rps p50 p99 err <<<"${RESULT[json,1]}"
printf "%-28s %11s %9s %9s %7s\n" "unbatched c=1, JSON body" "$rps" "$p50" "$p99" "$err"
read -r rps _ _ _ <<<"${RESULT[batched,32]}"
"$PY" -c "print(f'batched c=32 / cleave-run batch 8: {$rps / (8000 / $OFF8) * 100:.0f} %')"
read -r _ p50 _ _ <<<"${RESULT[unbatched,1]}"
"$PY" -c "print(f'unbatched c=1 p50 - cleave-run batch 1: {float(\"$p50\") - $OFF1:+.2f} ms')"
