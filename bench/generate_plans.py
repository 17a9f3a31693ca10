#!/usr/bin/python3
# Decode speed of a decoder on one rank, tp2 and pp2 (mpirun), against onnxruntime-node
# running the same decoder step by step, in one run.
"""Usage: bench/generate_plans.py --bindir build/bin [--size large] [--batches 1,4]
                                 [--position 16] [--steps 32] [--rounds 3]
                                 [--max-seq-len 256] [--plans one,tp2,pp2] [--pp-batches 4]

Generates the decoder (test/models/gen_gpt_kv.py), compiles it once per plan with
`cleave-compile --generate --max-seq-len=L` (one: --devices=cpu:0; tp2: --devices=cpu:0-1
--tp=2; pp2: --devices=cpu:0-1 --pp=2, and pp2_mb2 with --microbatches=2 (a step's batch in
two groups that overlap in the stages), one artifact per batch of --pp-batches, as the pipeline
cut may differ with the batch; a pipeline of two stages needs several sequences in flight to
keep both busy), then per batch B, per round, in turn:

- cleave-generate with B prompts of --position tokens and --steps new tokens each, --stats:
  the median time of one step (one new token for each of the B sequences), over all its
  steps. One rank runs with 2 threads (the machine's cores; one_t1: 1 thread), tp2 and pp2
  with 1 thread on each of their 2 ranks (mpirun -np 2, ranks not bound, yielding the core
  while they wait: OMPI_MCA_mpi_yield_when_idle=1);
- bench/ort-decode.mjs at batch B (2 threads): onnxruntime's median step time from a past of
  --position tokens (presents fed back as pasts).

A figure is the median over rounds. tokens/s = B * 1000 / step_ms; x 1 rank = the plan's
tokens/s over one rank's; cleave/ort = Cleave's step time over onnxruntime's.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLANS = {
    "one": (1, ["--devices=cpu:0"], 2),
    "one_t1": (1, ["--devices=cpu:0"], 1),
    "tp2": (2, ["--devices=cpu:0-1", "--tp=2"], 1),
    "pp2": (2, ["--devices=cpu:0-1", "--pp=2"], 1),
    "pp2_mb2": (2, ["--devices=cpu:0-1", "--pp=2", "--microbatches=2"], 1),
}
# The plans that run another plan's artifact.
SAME_ARTIFACT = {"one_t1": "one"}


def run(cmd, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{os.path.basename(cmd[0])}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--size", default="large")
    parser.add_argument("--batches", default="1,4")
    parser.add_argument("--position", type=int, default=16)
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-seq-len", type=int, default=256)
    parser.add_argument("--plans", default="one,one_t1,tp2,pp2")
    parser.add_argument("--pp-batches", default="4")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    pp_batches = [int(b) for b in args.pp_batches.split(",") if int(b) in batches]
    plans = args.plans.split(",")
    work = args.workdir or os.path.join(args.bindir, "..", "bench", f"generate_plans_{args.size}")
    os.makedirs(work, exist_ok=True)
    model_dir = os.path.join(work, "model")
    model = os.path.join(model_dir, "model.onnx")
    if not os.path.exists(model):
        run(["/usr/bin/python3", os.path.join(ROOT, "test", "models", "gen_gpt_kv.py"),
             "--out", model_dir, "--size", args.size])
    # Ranks not bound to cores, and yielding the core while they wait: on a machine shared
    # with other work, MPI's busy polling in the waiting rank otherwise takes the time the
    # working rank needs (pp2 at batch 4 measured 2.7x slower here that way).
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_mpi_yield_when_idle="1", OMPI_MCA_hwloc_base_binding_policy="none")
    artifacts = {}
    for plan in plans:
        ranks, options, _ = PLANS[plan]
        # A pipeline's cut may differ with the batch: one artifact per batch.
        groups = [[b] for b in pp_batches] if plan.startswith("pp") else [batches]
        for group in groups:
            lm = os.path.join(work, f"{SAME_ARTIFACT.get(plan, plan)}_b{'_'.join(map(str, group))}.cleave")
            if not os.path.exists(lm):
                run([os.path.join(args.bindir, "cleave-compile"), model, *options, "--generate",
                     f"--max-seq-len={args.max_seq_len}",
                     "--batch-sizes=" + ",".join(map(str, group)), "-o", lm])
            for b in group:
                artifacts[(plan, b)] = lm

    prompt = ",".join(str(65 + i % 26) for i in range(args.position))
    print(f"decoder {args.size}, max-seq-len {args.max_seq_len}, prompts of {args.position} "
          f"tokens, {args.steps} new tokens, {args.rounds} rounds")
    print(f"{'plan':>5} {'batch':>5} {'step ms':>9} {'tok/s':>9} {'x 1 rank':>9} "
          f"{'ort ms':>9} {'ort tok/s':>9} {'cleave/ort':>10}")
    for b in batches:
        ort_cmd = ["node", os.path.join(ROOT, "bench", "ort-decode.mjs"), model,
                   "--position", str(args.position), "--steps", str(args.steps),
                   "--threads", "2", "--batch", str(b)]
        here = [p for p in plans if (p, b) in artifacts]
        times = {plan: [] for plan in here}
        ort = []
        for r in range(args.rounds):
            for plan in here:
                ranks, _, threads = PLANS[plan]
                cmd = [os.path.join(args.bindir, "cleave-generate"), artifacts[(plan, b)],
                       *(["--prompt-ids", prompt] * b), "--max-new-tokens", str(args.steps),
                       "--ids", "--stats", "--threads", str(threads)]
                if ranks > 1:
                    cmd = ["mpirun", "-np", str(ranks)] + cmd
                out = run(cmd, env).stderr
                times[plan].append(float(re.search(r"step_ms median=([0-9.]+)", out).group(1)))
            out = run(ort_cmd).stdout
            ort.append(float(re.search(r"step_ms median=([0-9.]+)", out).group(1)))
        o = statistics.median(ort)
        base = None
        for plan in here:
            c = statistics.median(times[plan])
            tps = b * 1000 / c
            base = base or tps
            print(f"{plan:>5} {b:>5} {c:>9.3f} {tps:>9.1f} {tps / base:>9.2f} {o:>9.3f} "
                  f"{b * 1000 / o:>9.1f} {c / o:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
