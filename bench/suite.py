#!/usr/bin/python3
# Benchmark suite: Cleave against onnxruntime on models of many families, 1 and 2 threads.
"""Usage: suite.py --bindir BINDIR [--models a,b,...] [--batches 1] [--threads 1,2]
                [--repeat 10] [--rounds 3] [--workdir BINDIR/../bench-suite] [--list]

For each model of test/models/gen_suite.py (all of them by default) and each batch: generates
the model, compiles it once with `cleave-compile --devices=cpu:0` (timed), then for each
thread count runs, per round, `cleave-run --threads=T --repeat N` and
`node scripts/ort-run.mjs --threads T --repeat N` back to back, alternating which goes first.
A tool's figure is the median of its per-round medians, divided by the batch (ms per sample).
With 1 thread the CPU time per run is printed too: each round also runs the tool with
`--repeat R` (R >= N, about 2 s of runs) and `--repeat 1`, and the difference of the two
processes' CPU times (user + system, from getrusage) divided by R - 1 is one run's; on a loaded machine it is the steadier figure, as
it leaves out the time the process waited for a core.
Outputs are compared with onnxruntime's (rtol 1e-3, atol 1e-4). Prints one row per model and
batch, the geometric mean of the ratios per thread count and batch, and the models that
failed (with the first line of the error). Exits 1 if any model failed.
"""

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import time

import bench

ROOT = bench.ROOT
GEN = os.path.join(ROOT, "test", "models", "gen_suite.py")


def suite_models():
    out = subprocess.run([bench.PY, GEN, "--list"], capture_output=True, text=True, check=True)
    return [line.split() for line in out.stdout.splitlines() if line.strip()]


def children_cpu_s():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(cmd, what):
    """(median wall ms the tool printed, CPU seconds the process used)."""
    before = children_cpu_s()
    out = bench.run(cmd, what)
    return bench.median_ms(out, what), children_cpu_s() - before


def time_pair(cleave_cmd, ort_cmd, rounds, repeat):
    """Per tool: the median over rounds of its printed median wall ms, and of its CPU ms per
    run. The CPU time per run is (CPU of a --repeat R process - CPU of a --repeat 1
    process) / (R - 1), which leaves out loading and warm-up; R is at least `repeat` and
    large enough for about 2 s of runs, so that the variation of the loading does not
    swamp fast models."""
    tools = {"cleave-run": (cleave_cmd, [], []), "ort-run": (ort_cmd, [], [])}
    for r in range(rounds):
        order = list(tools.items())
        for what, (cmd, wall, cpu) in (order if r % 2 == 0 else order[::-1]):
            ms, _ = run_timed(cmd + ["--repeat", str(repeat)], what)
            wall.append(ms)
            long_repeat = max(repeat, min(5000, math.ceil(2000.0 / max(ms, 0.01))))
            _, full = run_timed(cmd + ["--repeat", str(long_repeat)], what)
            _, one = run_timed(cmd + ["--repeat", "1"], what)
            cpu.append((full - one) * 1000.0 / (long_repeat - 1))
    return {what: (statistics.median(wall), statistics.median(cpu))
            for what, (_, wall, cpu) in tools.items()}


def bench_model(model, batch, args):
    """{threads: (cleave ms/sample, ort ms/sample)}, compile seconds, outputs verdict."""
    work = os.path.join(args.workdir, f"{model}_b{batch}")
    model_dir = os.path.join(work, "model")
    bench.run([bench.PY, GEN, model, "--out", model_dir, "--batch", str(batch)], "generate")
    artifact = os.path.join(work, "model.cleave")
    start = time.monotonic()
    bench.run([os.path.join(args.bindir, "cleave-compile"), os.path.join(model_dir, "model.onnx"),
               "--devices=cpu:0", "-o", artifact], "cleave-compile")
    compile_s = time.monotonic() - start
    inputs = bench.read_inputs(model_dir)
    results = {}
    for threads in args.threads:
        cleave_cmd = [os.path.join(args.bindir, "cleave-run"), artifact, *inputs,
                      "--output-dir", os.path.join(work, "cleave-out"),
                      f"--threads={threads}"]
        ort_cmd = ["node", os.path.join(ROOT, "scripts", "ort-run.mjs"),
                   os.path.join(model_dir, "model.onnx"), *inputs,
                   "--output-dir", os.path.join(work, "ort-out"), "--threads", str(threads)]
        t = time_pair(cleave_cmd, ort_cmd, args.rounds, args.repeat)
        results[threads] = tuple(v / batch for v in
                                 (t["cleave-run"][0], t["ort-run"][0], t["cleave-run"][1],
                                  t["ort-run"][1]))
    match = bench.outputs_match(os.path.join(work, "ort-out"), os.path.join(work, "cleave-out"))
    return results, compile_s, match


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--models", help="comma-separated names (default: all)")
    parser.add_argument("--batches", default="1", help="comma-separated batch sizes")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per invocation")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved invocations per tool")
    parser.add_argument("--workdir", help="scratch directory (default: BINDIR/../bench-suite)")
    parser.add_argument("--list", action="store_true", help="print the models and families")
    args = parser.parse_args()
    table = suite_models()
    if args.list:
        print("\n".join(f"{n:<16} {f}" for n, f in table))
        return 0
    families = dict(table)
    models = args.models.split(",") if args.models else [n for n, _ in table]
    unknown = [m for m in models if m not in families]
    if unknown:
        print(f"suite: error: unknown model(s) {', '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    if args.repeat < 2:
        parser.error("--repeat must be at least 2")
    args.threads = [int(t) for t in args.threads.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    args.bindir = os.path.abspath(args.bindir)
    args.workdir = os.path.abspath(args.workdir or os.path.join(args.bindir, "..", "bench-suite"))

    print(f"cpu: {bench.cpu_name()}, {os.cpu_count()} logical cores; threads={args.threads} "
          f"batches={batches} repeat={args.repeat} rounds={args.rounds}; ms per sample")
    header = f"{'model':<16} {'family':<12} {'batch':>5} {'compile s':>9}"
    for t in args.threads:
        header += f" {f'cleave t{t}':>10} {f'ort t{t}':>9} {f'ratio t{t}':>8}"
    if 1 in args.threads:
        header += f" {'cpu cleave':>10} {'cpu ort':>9} {'cpu ratio':>9}"
    header += "  outputs"
    print(header)
    print("-" * len(header))
    ratios = {(b, t): [] for b in batches for t in args.threads}
    cpu_ratios = {b: [] for b in batches}
    failures = []
    for batch in batches:
        for model in models:
            row = f"{model:<16} {families[model]:<12} {batch:>5}"
            try:
                results, compile_s, match = bench_model(model, batch, args)
            except bench.StepError as e:
                failures.append((model, batch, str(e)))
                print(f"{row} {'-':>9}  error: {e}", flush=True)
                continue
            row += f" {compile_s:>9.1f}"
            for t in args.threads:
                c, o, _, _ = results[t]
                ratios[(batch, t)].append(c / o)
                row += f" {c:>10.3f} {o:>9.3f} {c / o:>8.2f}"
            if 1 in args.threads:
                _, _, c, o = results[1]
                if c > 0 and o > 0:
                    cpu_ratios[batch].append(c / o)
                    row += f" {c:>10.3f} {o:>9.3f} {c / o:>9.2f}"
                else:  # the --repeat 1 process took longer than the long one
                    row += f" {'-':>10} {'-':>9} {'-':>9}"
            print(f"{row}  {match}", flush=True)
            if match != "ok":
                failures.append((model, batch, f"outputs differ: {match}"))
    print()
    for (batch, t), values in ratios.items():
        print(f"geomean cleave/ort batch={batch} threads={t}: {geomean(values):.2f} "
              f"over {len(values)} models" + (f", max {max(values):.2f}" if values else ""))
    if 1 in args.threads:
        for batch, values in cpu_ratios.items():
            print(f"geomean cleave/ort CPU time per run batch={batch} threads=1: "
                  f"{geomean(values):.2f} over {len(values)} models"
                  + (f", max {max(values):.2f}" if values else ""))
    if failures:
        print("failed:")
        for model, batch, error in failures:
            print(f"  {model} (batch {batch}): {error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
