#!/usr/bin/python3
# Benchmark driver: latency and parameter bytes per rank of a tensor-parallel plan against one rank.
"""Usage: tensor_parallel.py --bindir BINDIR [--models mlp,gpt] [--tp 2]
                            [--repeat 200] [--rounds 3] [--workdir BINDIR/../bench]
                            [--single-copy cma|none]

For each model, compiles it on one device (`--devices=cpu:0`) and split over TP ranks
(`--devices=cpu:0-<TP-1> --tp=TP`). Each round runs `cleave-run --threads=1 --repeat N` on one
rank and `mpirun -np TP cleave-run --threads=1 --repeat N`, alternating which goes first; a
plan's figure is the median of its per-round medians. Prints the latency ratio (tp / one
rank), the parameter bytes each rank holds (its `params.rank<r>` section, the only one it
maps) against one rank's, and the largest difference between the two plans' outputs (the
split changes the order of summation, so they agree to rounding, not bit for bit).
"""

import argparse
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (StepError, add_single_copy_option, generate_model, manifest,  # noqa: E402
                   median_ms, read_inputs, run, set_mpi_env)


def parameter_bytes(artifact):
    """Bytes of each rank's parameter section, by rank."""
    sections = manifest(artifact)["sections"]
    return [s["size"] for s in sections if s["kind"] == "params"]


def measure(bindir, model, tp, repeat, rounds, work):
    model_dir = os.path.join(work, "model")
    extra = generate_model(model, model_dir)
    inputs = read_inputs(model_dir)
    plans = {"1 rank": (1, ["--devices=cpu:0"]),
             f"tp={tp}": (tp, [f"--devices=cpu:0-{tp - 1}", f"--tp={tp}"])}
    commands, times, artifacts = {}, {}, {}
    for name, (ranks, options) in plans.items():
        artifact = os.path.join(work, f"{ranks}.cleave")
        run([os.path.join(bindir, "cleave-compile"), os.path.join(model_dir, "model.onnx"),
             *options, "-o", artifact, *extra], f"cleave-compile ({name})")
        cmd = [os.path.join(bindir, "cleave-run"), artifact, *inputs, "--output-dir",
               os.path.join(work, f"out-{ranks}"), "--threads=1", "--repeat", str(repeat)]
        if ranks > 1:
            cmd = ["mpirun", "-np", str(ranks), *cmd]
        commands[name], times[name], artifacts[name] = cmd, [], artifact
    for r in range(rounds):
        order = list(commands) if r % 2 == 0 else list(commands)[::-1]
        for name in order:
            times[name].append(median_ms(run(commands[name], name), name))
    single, split = (statistics.median(times[n]) for n in plans)
    one = sum(parameter_bytes(artifacts["1 rank"]))
    per_rank = max(parameter_bytes(artifacts[f"tp={tp}"]))
    diff = 0.0
    out1, outp = os.path.join(work, "out-1"), os.path.join(work, f"out-{tp}")
    for name in sorted(os.listdir(out1)):
        a, b = np.load(os.path.join(out1, name)), np.load(os.path.join(outp, name))
        diff = max(diff, float(np.max(np.abs(a.astype(np.float64) - b))))
    return single, split, one, per_rank, diff


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--models", default="mlp,gpt")
    parser.add_argument("--tp", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir")
    add_single_copy_option(parser)
    args = parser.parse_args()
    bindir = os.path.abspath(args.bindir)
    base = os.path.abspath(args.workdir or os.path.join(bindir, "..", "bench"))
    set_mpi_env(args.single_copy)
    print(f"threads=1 per rank, repeat={args.repeat} rounds={args.rounds}")
    print(f"{'model':<8} {'1 rank ms':>10} {'tp=' + str(args.tp) + ' ms':>9} {'ratio':>6} "
          f"{'params/rank':>12} {'of':>12} {'ratio':>6} {'max |diff|':>10}")
    for model in args.models.split(","):
        try:
            single, split, one, per_rank, diff = measure(
                bindir, model, args.tp, args.repeat, args.rounds,
                os.path.join(base, f"tp-{model}"))
        except StepError as e:
            print(f"tensor_parallel: error: {e}", file=sys.stderr)
            return 1
        print(f"{model:<8} {single:>10.3f} {split:>9.3f} {split / single:>6.2f} "
              f"{per_rank:>12} {one:>12} {per_rank / one:>6.2f} {diff:>10.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
