#!/usr/bin/env bash
# cleave-tune --calibrate: one process for one device, then mpirun -np 2 for two devices and
# their link; each device file holds positive, plausible figures and cleave-compile plans
# with it.
#
# Usage: test/tune/calibrate.sh BINDIR WORKDIR
set -euo pipefail
BINDIR=$(cd "$1" && pwd)
WORK=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

# Plausible on any machine Cleave's CPU code runs on: a core does 1 to 5,000 GFLOP/s on the
# wide matmul-like probes, streams 0.1 to 2,000 GB/s (a loaded machine gives a fraction of
# its idle figure); the efficiencies are fractions; an MPI message takes 0.01 us to 10 ms,
# and moves 0.01 to 1,000 GB/s.
check() {
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
f = json.load(open(sys.argv[1]))
want_link = sys.argv[2] == "link"
def within(what, v, lo, hi):
    if not (isinstance(v, (int, float)) and lo <= v <= hi):
        sys.exit(f"calibrate: {what} = {v!r}, expected within [{lo}, {hi}]")
for d in f["devices"]:
    within(d["device"] + " gflops", d["gflops"], 1, 5000)
    within(d["device"] + " narrow_matmul_efficiency", d["narrow_matmul_efficiency"], 1e-3, 1)
    within(d["device"] + " window_efficiency", d["window_efficiency"], 1e-4, 1)
    within(d["device"] + " bandwidth_gbs", d["bandwidth_gbs"], 0.1, 2000)
    within(d["device"] + " memory_bytes", d["memory_bytes"], 2**28, 2**50)
if want_link:
    within("link latency_us", f["link"]["latency_us"], 0.01, 10000)
    within("link bandwidth_gbs", f["link"]["bandwidth_gbs"], 0.01, 1000)
elif "link" in f:
    sys.exit("calibrate: a link measured without mpirun")
print(f"calibrate: {sys.argv[1]}: figures within bounds")
PYEOF
}

"$PY" "$ROOT/test/models/generate.py" mlp --out "$WORK/model" >/dev/null
"$BINDIR/cleave-tune" --calibrate --devices=cpu:0 -o "$WORK/one.json" | tee "$WORK/one.out"
grep -q '^  matmul_128x1024x1024 ' "$WORK/one.out"
check "$WORK/one.json" nolink
"$BINDIR/cleave-compile" "$WORK/model/model.onnx" --devices=cpu:0 \
  --device-file="$WORK/one.json" --explain >/dev/null

timeout 120 mpirun -np 2 "$BINDIR/cleave-tune" --calibrate --devices=cpu:0-1 \
  -o "$WORK/two.json" | tee "$WORK/two.out"
grep -q '^link (ranks 0 and 1): latency' "$WORK/two.out"
check "$WORK/two.json" link
"$BINDIR/cleave-compile" "$WORK/model/model.onnx" --devices=cpu:0-1 --pp=2 \
  --device-file="$WORK/two.json" --explain | tee "$WORK/explain.out" | head -5
echo "calibrate: passed"
