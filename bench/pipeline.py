#!/usr/bin/python3
# Benchmark driver: throughput of a pipeline plan against the same model on one rank.
"""Usage: pipeline.py --bindir BINDIR [--model resnet18_b4] [--pp 2] [--microbatches 4]
                     [--repeat 10] [--rounds 3] [--workdir BINDIR/../bench]

Compiles the model twice with the same microbatch split: on one device
(`--devices=cpu:0 --microbatches=K`) and as a pipeline of PP stages
(`--devices=cpu:0-<PP-1> --microbatches=K`), so both run exactly the same per-microbatch code.
Each round runs `cleave-run --threads=1 --repeat N` for the single rank and
`mpirun -np PP cleave-run --threads=1 --repeat N` for the pipeline, alternating which goes
first; a plan's figure is the median of its per-round medians of the batch latency. Both run
with `--profile`, so that each stage's measured compute time per microbatch (the median over
rounds of its mean; the best single call) and its time waiting on transfers is printed next
to the cost model's predicted stage time. Prints the throughput ratio (single-rank batch
latency / pipeline batch latency), the predicted batch times next to the measured ones, the
load average before and after, and whether the pipeline's outputs equal the single rank's.
"""

import argparse
import os
import re
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (StepError, add_single_copy_option, generate_model, manifest,  # noqa: E402
                   median_ms, read_inputs, run, set_mpi_env)

PROFILE = re.compile(r"^profile rank=(\d+) stage=(\d+) runs=\d+ microbatches=(\d+) "
                     r"compute_ms mean=([0-9.]+) min=([0-9.]+) recv_wait_ms=([0-9.]+) "
                     r"send_wait_ms=([0-9.]+) run_ms=([0-9.]+)( predicted .*)?$", re.M)


def profiles(stdout, what):
    """The `cleave-run --profile` lines: {rank: (stage, compute mean, compute min, recv wait,
    send wait)}, times in ms (waits per run)."""
    rows = {int(m[1]): (int(m[2]), float(m[4]), float(m[5]), float(m[6]), float(m[7]))
            for m in PROFILE.finditer(stdout)}
    if not rows:
        raise StepError(f"{what}: no `profile rank=` lines in its output")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--model", default="resnet18_b4")
    parser.add_argument("--pp", type=int, default=2)
    parser.add_argument("--microbatches", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir")
    add_single_copy_option(parser)
    args = parser.parse_args()
    bindir = os.path.abspath(args.bindir)
    work = os.path.abspath(args.workdir or os.path.join(bindir, "..", "bench"))
    work = os.path.join(work, f"pipeline-{args.model}")
    model_dir = os.path.join(work, "model")
    set_mpi_env(args.single_copy)

    try:
        extra = generate_model(args.model, model_dir)
        inputs = read_inputs(model_dir)
        plans = {
            "1 rank": (1, "cpu:0"),
            f"pp={args.pp}": (args.pp, f"cpu:0-{args.pp - 1}"),
        }
        commands, times, profs = {}, {}, {}
        for name, (ranks, devices) in plans.items():
            artifact = os.path.join(work, f"{ranks}.cleave")
            run([os.path.join(bindir, "cleave-compile"), os.path.join(model_dir, "model.onnx"),
                 f"--devices={devices}", f"--microbatches={args.microbatches}", "-o", artifact,
                 *extra], f"cleave-compile ({name})")
            cmd = [os.path.join(bindir, "cleave-run"), artifact, *inputs, "--output-dir",
                   os.path.join(work, f"out-{ranks}"), "--threads=1", "--repeat",
                   str(args.repeat), "--profile"]
            if ranks > 1:
                cmd = ["mpirun", "-np", str(ranks), *cmd]
            commands[name] = (cmd, artifact)
            times[name], profs[name] = [], []
        load_before = os.getloadavg()
        for r in range(args.rounds):
            order = list(commands) if r % 2 == 0 else list(commands)[::-1]
            for name in order:
                stdout = run(commands[name][0], name)
                times[name].append(median_ms(stdout, name))
                profs[name].append(profiles(stdout, name))
        load_after = os.getloadavg()
    except StepError as e:
        print(f"pipeline: error: {e}", file=sys.stderr)
        return 1

    single, pipe = (statistics.median(times[n]) for n in plans)
    print(f"model {args.model}, batch split into {args.microbatches} microbatches, "
          f"threads=1 per rank, repeat={args.repeat} rounds={args.rounds}, "
          f"single copy {args.single_copy}")
    print(f"{'plan':<8} {'batch ms':>9} {'throughput x':>13}")
    print(f"{'1 rank':<8} {single:>9.2f} {1.0:>13.2f}")
    print(f"{'pp=' + str(args.pp):<8} {pipe:>9.2f} {single / pipe:>13.2f}")

    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")

    stages = manifest(commands[f"pp={args.pp}"][1])["stages"]
    predicted = [s.get("estimate", {}).get("seconds", 0.0) * 1e3 for s in stages]
    k = args.microbatches

    def measured(name, rank, field):
        values = [p[rank][field] for p in profs[name]]
        return min(values) if field == 2 else statistics.median(values)

    print("per microbatch: predicted stage time (cost model) and measured compute time "
          "(mean, best); waits per batch")
    print(f"{'stage':<7} {'rank':>4} {'predicted ms':>12} {'measured ms':>11} {'best ms':>8} "
          f"{'recv wait ms':>12} {'send wait ms':>12}")
    for rank in sorted(profs[f"pp={args.pp}"][0]):
        stage = profs[f"pp={args.pp}"][0][rank][0]
        pred = predicted[stage] if stage < len(predicted) else float("nan")
        print(f"{stage:<7} {rank:>4} {pred:>12.2f} {measured(f'pp={args.pp}', rank, 1):>11.2f} "
              f"{measured(f'pp={args.pp}', rank, 2):>8.2f} "
              f"{measured(f'pp={args.pp}', rank, 3):>12.2f} "
              f"{measured(f'pp={args.pp}', rank, 4):>12.2f}")
    print(f"{'all':<7} {'1':>4} {sum(predicted):>12.2f} {measured('1 rank', 0, 1):>11.2f} "
          f"{measured('1 rank', 0, 2):>8.2f} {'':>12} {'':>12}")
    print(f"cost model: predicted batch ms {sum(predicted) * k:.2f} on 1 rank, "
          f"{sum(predicted) + max(predicted) * (k - 1):.2f} as a pipeline; "
          f"measured {single:.2f} and {pipe:.2f}")

    same = True
    out1, outp = os.path.join(work, "out-1"), os.path.join(work, f"out-{args.pp}")
    for name in sorted(os.listdir(out1)):
        same &= np.array_equal(np.load(os.path.join(out1, name)), np.load(os.path.join(outp, name)))
    print(f"pipeline outputs equal the single rank's: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
