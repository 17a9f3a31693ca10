#!/usr/bin/python3
# Decode speed of a decoder with a KV cache: cleave-generate against onnxruntime-node running
# the same ONNX decoder step by step (present fed back as past), at two positions, in one run.
"""Usage: bench/generate.py --bindir build/bin [--size small|large] [--positions 16,480]
                           [--steps 24] [--rounds 3] [--threads 1] [--max-seq-len 512]

Generates the decoder (test/models/gen_gpt_kv.py), compiles it once with
`cleave-compile --generate --max-seq-len=L`, then for each position P, per round and
alternating which goes first:

- cleave-generate with a prompt of P tokens and --steps new tokens, --stats: the median time
  of one step (one token per sequence: inputs filled, the plan run, the cache written, the
  token picked), over all its P + steps - 1 steps. Cleave's step attends over all L cache slots,
  masked beyond the position, so its cost does not depend on P (docs/generation.md);
- bench/ort-decode.mjs at position P: onnxruntime's median step time over --steps steps
  from a past of P tokens (the feeds built in JavaScript, session.run, the presents kept as
  the next pasts; no token is picked, the logits are left unread).

A figure is the median over rounds. tokens/s = 1000 / step_ms for one sequence;
cleave/ort < 1 means Cleave's step is faster.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{os.path.basename(cmd[0])}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--size", default="small")
    parser.add_argument("--positions", default="16,480")
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-seq-len", type=int, default=512)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    work = args.workdir or os.path.join(args.bindir, "..", "bench", f"generate_{args.size}")
    os.makedirs(work, exist_ok=True)
    model_dir = os.path.join(work, "model")
    run(["/usr/bin/python3", os.path.join(ROOT, "test", "models", "gen_gpt_kv.py"),
         "--out", model_dir, "--size", args.size])
    model = os.path.join(model_dir, "model.onnx")
    lm = os.path.join(work, "lm.cleave")
    run([os.path.join(args.bindir, "cleave-compile"), model, "--devices=cpu:0", "--generate",
         f"--max-seq-len={args.max_seq_len}", "-o", lm])

    print(f"decoder {args.size}, max-seq-len {args.max_seq_len}, threads {args.threads}, "
          f"{args.steps} steps, {args.rounds} rounds")
    print(f"{'position':>8} {'cleave ms':>10} {'ort ms':>10} {'cleave/ort':>10} "
          f"{'cleave tok/s':>12} {'ort tok/s':>10}")
    for position in [int(p) for p in args.positions.split(",")]:
        if position + args.steps + 1 > args.max_seq_len:
            print(f"{position:>8} error: position + steps exceeds --max-seq-len")
            continue
        prompt = ",".join(str(65 + i % 26) for i in range(position))
        cleave_cmd = [os.path.join(args.bindir, "cleave-generate"), lm, "--prompt-ids", prompt,
                      "--max-new-tokens", str(args.steps), "--ids", "--stats",
                      "--threads", str(args.threads)]
        ort_cmd = ["node", os.path.join(ROOT, "bench", "ort-decode.mjs"), model,
                   "--position", str(position), "--steps", str(args.steps),
                   "--threads", str(args.threads)]
        cleave, ort = [], []
        for r in range(args.rounds):
            for tool in (("cleave", "ort") if r % 2 == 0 else ("ort", "cleave")):
                if tool == "cleave":
                    out = run(cleave_cmd).stderr
                    cleave.append(float(re.search(r"step_ms median=([0-9.]+)", out).group(1)))
                else:
                    out = run(ort_cmd).stdout
                    ort.append(float(re.search(r"step_ms median=([0-9.]+)", out).group(1)))
        c, o = statistics.median(cleave), statistics.median(ort)
        print(f"{position:>8} {c:>10.4f} {o:>10.4f} {c / o:>10.2f} {1000 / c:>12.1f} "
              f"{1000 / o:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
