#!/usr/bin/python3
# Benchmark driver: the plan --plan=auto chooses against every plan it considered, measured.
"""Usage: plan_sweep.py --bindir BINDIR [--model gpt_b4] [--ranks 2] [--repeat 10]
                       [--rounds 3] [--workdir BINDIR/../bench]

Asks `cleave-compile --plan=auto --explain` for its ranking of every pp x tp x microbatches
plan of the model on RANKS cpu devices, then compiles each feasible plan explicitly and
runs it with `mpirun -np RANKS cleave-run --threads=1 --repeat N`, alternating the order of
the plans each round; a plan's figure is the median of its per-round median batch latency.
Prints every plan with its predicted and measured batch time and the error, the measured
ranking, and how far the plan --plan=auto chose is from the fastest measured plan (the
issue's bar: within 5 %). Checks that every plan's outputs equal the first plan's.
"""

import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (StepError, add_single_copy_option, generate_model, median_ms,  # noqa: E402
                   outputs_match, read_inputs, run, set_mpi_env)

ROW = re.compile(r"^\s+\d+\s+(\d+)\s+(\d+)\s+(\d+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)", re.M)
CHOSEN = re.compile(r"^chosen: pp=(\d+) tp=(\d+) microbatches=(\d+)", re.M)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--model", default="gpt_b4")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir")
    add_single_copy_option(parser)
    args = parser.parse_args()
    bindir = os.path.abspath(args.bindir)
    work = os.path.abspath(args.workdir or os.path.join(bindir, "..", "bench"))
    work = os.path.join(work, f"plan-sweep-{args.model}-{args.ranks}")
    model_dir = os.path.join(work, "model")
    devices = f"cpu:0-{args.ranks - 1}"
    set_mpi_env(args.single_copy)
    compile_tool = os.path.join(bindir, "cleave-compile")
    try:
        extra = generate_model(args.model, model_dir)
        inputs = read_inputs(model_dir)
        onnx = os.path.join(model_dir, "model.onnx")
        explained = run([compile_tool, onnx, f"--devices={devices}", "--plan=auto", "--explain",
                         *extra], "cleave-compile --plan=auto --explain")
        plans = [tuple(int(g) for g in m.groups()[:3]) + (float(m[4]),)
                 for m in ROW.finditer(explained)]
        chosen = tuple(int(g) for g in CHOSEN.search(explained).groups())
        commands = {}
        for pp, tp, mb, _ in plans:
            name = f"pp={pp} tp={tp} mb={mb}"
            artifact = os.path.join(work, f"pp{pp}_tp{tp}_mb{mb}.cleave")
            run([compile_tool, onnx, f"--devices={devices}", f"--pp={pp}", f"--tp={tp}",
                 f"--microbatches={mb}", "-o", artifact, *extra], f"cleave-compile ({name})")
            out = os.path.join(work, f"out-pp{pp}_tp{tp}_mb{mb}")
            commands[name] = (["mpirun", "-np", str(args.ranks),
                               os.path.join(bindir, "cleave-run"), artifact, *inputs,
                               "--output-dir", out, "--threads=1", "--repeat", str(args.repeat)],
                              out)
        times = {name: [] for name in commands}
        load_before = os.getloadavg()
        for r in range(args.rounds):
            order = list(commands) if r % 2 == 0 else list(commands)[::-1]
            for name in order:
                times[name].append(median_ms(run(commands[name][0], name), name))
        load_after = os.getloadavg()
        first = next(iter(commands.values()))[1]
        mismatches = [m for m in (outputs_match(first, out) for _, out in commands.values())
                      if m != "ok"]
        same = not mismatches
    except StepError as e:
        print(f"plan_sweep: error: {e}", file=sys.stderr)
        return 1

    measured = {name: statistics.median(t) for name, t in times.items()}
    print(f"model {args.model} on {args.ranks} ranks ({devices}), threads=1 per rank, "
          f"repeat={args.repeat} rounds={args.rounds}")
    print(f"{'plan':<18} {'predicted ms':>12} {'measured ms':>11} {'error':>8} {'rank':>5}")
    ranking = sorted(measured, key=measured.get)
    errors = []
    for pp, tp, mb, predicted in plans:
        name = f"pp={pp} tp={tp} mb={mb}"
        error = (measured[name] - predicted) / predicted * 100 if predicted else float("nan")
        errors.append(abs(error))
        mark = "  <- --plan=auto" if (pp, tp, mb) == chosen else ""
        print(f"{name:<18} {predicted:>12.3f} {measured[name]:>11.3f} {error:>+7.0f}% "
              f"{ranking.index(name) + 1:>5}{mark}")
    auto = f"pp={chosen[0]} tp={chosen[1]} mb={chosen[2]}"
    best = ranking[0]
    print(f"--plan=auto chose {auto}: {measured[auto]:.3f} ms; fastest measured {best}: "
          f"{measured[best]:.3f} ms; auto / best = {measured[auto] / measured[best]:.3f}")
    print(f"prediction error |measured - predicted| / predicted: median "
          f"{statistics.median(errors):.0f}%, worst {max(errors):.0f}%")
    print(f"outputs of every plan equal the first plan's: {same}" + (f" ({mismatches[0]})" if mismatches else ""))
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
