#!/usr/bin/env bash
# cleave-tune on one model: the chosen artifact is the fastest candidate measured, carries the
# tuning report, and its outputs match onnxruntime's.
#
# Usage: test/tune/run_tune.sh BINDIR MODELNAME WORKDIR DEVICES [CLEAVE-TUNE OPTION...]
#   DEVICES  --devices for cleave-tune; with several devices the candidates and the chosen
#            artifact run under mpirun -np <devices>
# Environment: TUNE_EXPECT_SKIPPED=TEXT also requires a candidate skipped with TEXT in its
#   reason (the others still run, and the fastest of them is chosen).
set -euo pipefail
BINDIR=$(cd "$1" && pwd)
MODEL=$2
WORK=$3
DEVICES=$4
shift 4
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none

rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
"$PY" "$ROOT/test/models/generate.py" "$MODEL" --out "$WORK/model" >/dev/null
inputs=()
while IFS= read -r line || [ -n "$line" ]; do
  [ -z "$line" ] && continue
  inputs+=(--input "${line%%=*}=$WORK/model/${line#*=}")
done <"$WORK/model/inputs.txt"
node "$ROOT/scripts/ort-run.mjs" "$WORK/model/model.onnx" "${inputs[@]}" \
  --output-dir "$WORK/ref" --threads 1 >/dev/null

"$BINDIR/cleave-tune" "$WORK/model/model.onnx" --devices="$DEVICES" -o "$WORK/best.cleave" \
  "${inputs[@]}" "$@" | tee "$WORK/tune.out"

# The table: at least two candidates measured, and the chosen one is the fastest of them.
"$PY" - "$WORK/tune.out" "${TUNE_EXPECT_SKIPPED:-}" <<'PYEOF'
import re, sys
rows = []
skipped = 0
for line in open(sys.argv[1]):
    if sys.argv[2] and re.match(r"\s+\d+\s+\d+\s+\d+\s+\d+\s+[\d.]+\s+-\s+-\s+-\s+skipped: ", line) \
            and sys.argv[2] in line:
        skipped += 1
    m = re.match(r"\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+[-+]\d+%\s+[\d.]+\s+ok(\s+<- chosen)?$", line)
    if m:
        rows.append((float(m.group(6)), int(m.group(1)), bool(m.group(7))))
if sys.argv[2] and not skipped:
    sys.exit(f"run_tune: no candidate skipped with '{sys.argv[2]}'")
if len(rows) < 2:
    sys.exit(f"run_tune: expected two or more measured candidates, got {len(rows)}")
chosen = [r for r in rows if r[2]]
if len(chosen) != 1 or chosen[0][0] != min(r[0] for r in rows):
    sys.exit(f"run_tune: the chosen candidate is not the fastest measured: {rows}")
print(f"run_tune: {len(rows)} candidates measured, candidate {chosen[0][1]} chosen at {chosen[0][0]} ms")
PYEOF

# The report is in the manifest, and cleave-run --info shows it with the same choice.
"$BINDIR/cleave-run" --info "$WORK/best.cleave" | tee "$WORK/info.out" | grep -A20 '^tuning:'
grep -q '<- chosen' "$WORK/info.out" || { echo "run_tune: --info shows no chosen candidate" >&2; exit 1; }
[ "$(grep -c '<- chosen' "$WORK/tune.out")" = 1 ]
want=$(grep '<- chosen' "$WORK/tune.out" | awk '{print $2, $3, $4}')
got=$(grep '<- chosen' "$WORK/info.out" | awk '{print $2, $3, $4}')
[ "$want" = "$got" ] || { echo "run_tune: --info chose '$got', the table '$want'" >&2; exit 1; }

ranks=$("$PY" -c '
import sys
n = 0
for item in sys.argv[1].split(","):
    a, _, b = item.split(":")[1].partition("-")
    n += int(b or a) - int(a) + 1
print(n)' "$DEVICES")
if [ "$ranks" -gt 1 ]; then
  timeout 300 mpirun -np "$ranks" "$BINDIR/cleave-run" "$WORK/best.cleave" "${inputs[@]}" \
    --output-dir "$WORK/out" --threads 1
else
  "$BINDIR/cleave-run" "$WORK/best.cleave" "${inputs[@]}" --output-dir "$WORK/out"
fi
"$PY" "$ROOT/test/e2e/compare.py" "$WORK/ref" "$WORK/out"
echo "run_tune: $MODEL passed"
