#!/bin/bash
# A decoder with a SentencePiece tokenizer: spm_train trains a 512-piece model (BPE, byte
# fallback, identity normalization so that newlines and whitespace round-trip, as the chat
# template needs) on the project's docs, gen_gpt_kv.py generates the small decoder with a
# vocabulary of 512, and cleave-generate --tokenizer, from text prompts, must give exactly
# PyTorch's greedy ids for the ids Python's sentencepiece module encodes the same texts to,
# and print the text the module decodes those ids (prompt and continuation) to: one prompt
# streamed, and two in flight; and cleave-chat's replies.
# Usage: tokenizer.sh BINDIR WORKDIR
set -euo pipefail
bindir=$1 work=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
models=$src/test/models
rm -rf "$work" && mkdir -p "$work"
spm_train --input="$(ls "$src"/docs/*.md | paste -sd, -)" --model_prefix="$work/tok" \
  --vocab_size=512 --model_type=bpe --byte_fallback=true --character_coverage=1.0 \
  --normalization_rule_name=identity --remove_extra_whitespaces=false --num_threads=1 \
  --minloglevel=2 > "$work/spm_train.log" 2>&1
/usr/bin/python3 "$models/gen_gpt_kv.py" --out "$work/model" --size small --vocab 512
"$bindir/cleave-compile" "$work/model/model.onnx" --devices=cpu:0 --generate \
  --max-seq-len=96 --batch-sizes=1,2 -o "$work/lm.cleave"

prompts=("Cleave compiles ONNX models into distributed programs" "The quick brown fox, déjà vu")
# The reference: Python's sentencepiece ids of each text, PyTorch's greedy ids from them, and
# the module's decoding of prompt + continuation.
reference() { # TEXT...: writes ids.txt (one line per prompt) and text.txt
  local args=() text
  for text in "$@"; do
    args+=(--prompt-ids "$(/usr/bin/python3 -c 'import sys, sentencepiece as s
p = s.SentencePieceProcessor(model_file=sys.argv[1])
print(",".join(map(str, p.encode(sys.argv[2]))))' "$work/tok.model" "$text")")
  done
  /usr/bin/python3 "$models/gen_gpt_kv.py" --greedy --size small --vocab 512 "${args[@]}" \
    --max-new-tokens 40 > "$work/ids.txt"
  /usr/bin/python3 - "$work/tok.model" "$work/ids.txt" "$@" > "$work/text.txt" <<'PY'
import sys, sentencepiece as s
p = s.SentencePieceProcessor(model_file=sys.argv[1])
lines = open(sys.argv[2]).read().split("\n")
for text, line in zip(sys.argv[3:], lines):
    ids = p.encode(text) + [int(i) for i in line.split(",")]
    sys.stdout.write(p.decode(ids) + "\n")
PY
}
check() { # NAME EXPECTED ACTUAL
  if ! cmp -s "$2" "$3"; then
    echo "FAIL: $1 differs (< reference, > cleave-generate)"; diff "$2" "$3" || true; exit 1
  fi
}
for count in 1 2; do
  sel=("${prompts[@]:0:$count}")
  args=()
  for text in "${sel[@]}"; do args+=(--prompt "$text"); done
  reference "${sel[@]}"
  "$bindir/cleave-generate" "$work/lm.cleave" --tokenizer "$work/tok.model" "${args[@]}" \
    --max-new-tokens 40 --ids > "$work/cleave_ids.$count.txt"
  check "ids of $count sequence(s)" "$work/ids.txt" "$work/cleave_ids.$count.txt"
  "$bindir/cleave-generate" "$work/lm.cleave" --tokenizer "$work/tok.model" "${args[@]}" \
    --max-new-tokens 40 > "$work/cleave_text.$count.txt"
  check "text of $count sequence(s)" "$work/text.txt" "$work/cleave_text.$count.txt"
done

# cleave-chat --tokenizer: two messages; each reply is PyTorch's greedy ids for the
# conversation (cleave-serve's template) encoded by Python's sentencepiece, printed as the
# module's decoding of them, and kept in the conversation as that text.
if [ -x "$bindir/cleave-chat" ]; then
  printf 'Hello there\nHow are you?\n' | "$bindir/cleave-chat" "$work/lm.cleave" \
    --tokenizer "$work/tok.model" --max-new-tokens 16 > "$work/chat.txt"
  /usr/bin/python3 - "$work/tok.model" "$models" > "$work/chat_reference.txt" <<'PY'
import sys, sentencepiece as s
sys.path.insert(0, sys.argv[2])
import gen_gpt_kv
p = s.SentencePieceProcessor(model_file=sys.argv[1])
messages = []
for line in ["Hello there", "How are you?"]:
    messages.append(("user", line))
    text = "".join(f"{role}: {content}\n" for role, content in messages) + "assistant: "
    ids = [int(i) for i in gen_gpt_kv.greedy("small", [p.encode(text)], 16, vocab=512)[0].split(",")]
    reply = p.decode(ids)
    if "\nuser:" in reply:
        sys.exit("the reference reply reaches the turn's end: pick other messages")
    print(reply)
    messages.append(("assistant", reply))
PY
  check "cleave-chat's replies" "$work/chat_reference.txt" "$work/chat.txt"
fi
echo "PASS: greedy ids and text with a 512-piece SentencePiece tokenizer equal PyTorch's and" \
  "Python sentencepiece's, 1 and 2 sequences, and cleave-chat's replies"
