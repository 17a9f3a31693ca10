#!/bin/bash
# Repetition penalty and stop tokens against PyTorch (gen_gpt_kv.py --greedy, which applies
# Hugging Face's repetition penalty): greedy ids with --repetition-penalty equal PyTorch's with
# the same penalty, and differ from the unpenalised ones; a stop id taken from one sequence's
# greedy continuation ends that sequence early while the others run their 64 tokens, again
# equal to PyTorch's ids; so does a two-byte stop text (--stop) taken from it.
# Usage: stop_penalty.sh BINDIR WORKDIR SIZE
set -euo pipefail
bindir=$1 work=$2 size=$3
models=$(cd "$(dirname "$0")/../models" && pwd)
out=$work/stop_penalty
mkdir -p "$out"
prompts=(--prompt "Hello, world" --prompt "The quick brown fox" --prompt-ids 1,2,3,250,7
         --prompt "Cleave compiles ONNX models into distributed programs")
gen() { "$bindir/cleave-generate" "$work/lm.cleave" "${prompts[@]}" --max-new-tokens 64 --ids "$@"; }
torch() { /usr/bin/python3 "$models/gen_gpt_kv.py" --greedy --size "$size" "${prompts[@]}" \
            --max-new-tokens 64 "$@"; }

# Repetition penalty 1.3.
gen --repetition-penalty 1.3 > "$out/penalty.cleave.txt"
torch --repetition-penalty 1.3 > "$out/penalty.torch.txt"
torch > "$out/greedy.torch.txt"
if ! diff "$out/penalty.torch.txt" "$out/penalty.cleave.txt"; then
  echo "FAIL: --repetition-penalty 1.3 differs from PyTorch's (< torch, > cleave)"; exit 1
fi
if diff -q "$out/penalty.torch.txt" "$out/greedy.torch.txt" > /dev/null; then
  echo "FAIL: the penalty changed no token: the test would not see it ignored"; exit 1
fi

# A stop id: the first token of sequence 1's greedy continuation, at index 4 or later, that
# does not occur in sequence 2's, so that sequence 1 stops early and sequence 2 does not.
stop=$(/usr/bin/python3 - "$out/greedy.torch.txt" <<'PY'
import sys
lines = [[int(t) for t in l.split(",")] for l in open(sys.argv[1]).read().split()]
print(next(t for t in lines[0][4:] if t not in lines[1]))
PY
)
gen --stop-id "$stop" --stop-id=255 > "$out/stop.cleave.txt"
torch --stop-id "$stop" --stop-id 255 > "$out/stop.torch.txt"
if ! diff "$out/stop.torch.txt" "$out/stop.cleave.txt"; then
  echo "FAIL: --stop-id $stop differs from PyTorch's (< torch, > cleave)"; exit 1
fi
first=$(sed -n 1p "$out/stop.cleave.txt" | tr ',' '\n' | wc -l)
second=$(sed -n 2p "$out/stop.cleave.txt" | tr ',' '\n' | wc -l)
last=$(sed -n 1p "$out/stop.cleave.txt" | tr ',' '\n' | tail -1)
if [ "$first" -ge 64 ] || [ "$last" != "$stop" ] || [ "$second" -ne 64 ]; then
  echo "FAIL: with stop id $stop: sequence 1 has $first tokens ending in $last, sequence 2 $second"
  exit 1
fi

# A stop text: two bytes that follow each other in sequence 1's greedy continuation (from
# index 4, neither 0 nor a newline) and never in sequence 2's text, as printf escapes.
escaped=$(/usr/bin/python3 - "$out/greedy.torch.txt" <<'PY'
import sys
lines = [[int(t) for t in l.split(",")] for l in open(sys.argv[1]).read().split()]
second = list(b"The quick brown fox") + lines[1]
pairs = set(zip(second, second[1:]))
a, b = next(p for p in zip(lines[0][4:], lines[0][5:])
            if 0 not in p and 10 not in p and p not in pairs)
print("\\x%02x\\x%02x" % (a, b))
PY
)
text=$(printf "$escaped")
gen --stop "$text" > "$out/stoptext.cleave.txt"
torch --stop "$text" > "$out/stoptext.torch.txt"
if ! diff "$out/stoptext.torch.txt" "$out/stoptext.cleave.txt"; then
  echo "FAIL: --stop '$escaped' differs from PyTorch's (< torch, > cleave)"; exit 1
fi
tfirst=$(sed -n 1p "$out/stoptext.cleave.txt" | tr ',' '\n' | wc -l)
tsecond=$(sed -n 2p "$out/stoptext.cleave.txt" | tr ',' '\n' | wc -l)
tail2=$(sed -n 1p "$out/stoptext.cleave.txt" | tr ',' '\n' | tail -2 |
        awk '{printf "\\x%02x", $1}')
if [ "$tfirst" -ge 64 ] || [ "$tail2" != "$escaped" ] || [ "$tsecond" -ne 64 ]; then
  echo "FAIL: with --stop '$escaped': sequence 1 has $tfirst tokens ending in '$tail2'," \
       "sequence 2 $tsecond"
  exit 1
fi
echo "PASS: repetition penalty equals PyTorch's; stop id $stop ends sequence 1 after $first tokens, stop text '$escaped' after $tfirst, sequence 2 runs 64"
