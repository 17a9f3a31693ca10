#!/usr/bin/python3
# Per-op profiles of suite models: where Cleave's time goes, op group by op group.
"""Usage: profile_ops.py --bindir BINDIR [--models resnet18,mobilenet_v2,fpn320] [--top 10]
                      [--threads 1] [--repeat 20] [--workdir BINDIR/../bench-profile]

For each model of test/models/gen_suite.py: generates it, compiles it twice with
`cleave-compile --devices=cpu:0` (plain, and with --profile-ops), runs the plain artifact,
the profiled one (`cleave-run --profile-ops=DIR/trace.json`) and onnxruntime
(`node scripts/ort-run.mjs`) with `--repeat N` back to back, and prints the three medians
and, for the plain and the profiled artifact, the CPU time of one run (the CPU time of a
`--repeat N` process less that of a `--repeat 1` one, over N - 1: on a loaded machine the
steadier figure, and the one that shows what the timing calls cost), the time per
ONNX op type (summed over the groups holding that type alone; mixed groups under
"A+B"), and the `--top` slowest op groups with their nodes. The trace of each model is left
in its work directory for ui.perfetto.dev.
"""

import argparse
import collections
import os
import re
import resource
import sys

import bench

ROOT = bench.ROOT
GEN = os.path.join(ROOT, "test", "models", "gen_suite.py")
ROW = re.compile(r"^\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+([\d.]+)\s+(\S+)\s+(.+)$")


def parse_table(stdout):
    head, rows = None, []
    for line in stdout.splitlines():
        if line.startswith("op-profile "):
            head = dict(f.split("=") for f in line.split()[1:])
        elif head and (m := ROW.match(line)):
            rows.append({"group": int(m[1]), "ms": float(m[2]), "percent": float(m[3]),
                         "ops": m[6], "nodes": m[7]})
    if head is None:
        raise SystemExit("profile_ops: error: cleave-run printed no op-profile table")
    return head, rows


def cpu_ms_per_run(cmd, repeat, what):
    """CPU ms of one run of `cmd`: (CPU of --repeat N) - (CPU of --repeat 1), over N - 1."""
    def cpu_s(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        bench.run(cmd + ["--repeat", str(n)], what)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return (cpu_s(repeat) - cpu_s(1)) * 1000.0 / (repeat - 1)


def profile(model, args):
    work = os.path.join(args.workdir, model)
    model_dir = os.path.join(work, "model")
    bench.run([bench.PY, GEN, model, "--out", model_dir], "generate")
    onnx = os.path.join(model_dir, "model.onnx")
    compile_tool = os.path.join(args.bindir, "cleave-compile")
    plain, profiled = os.path.join(work, "plain.cleave"), os.path.join(work, "profiled.cleave")
    bench.run([compile_tool, onnx, "--devices=cpu:0", "-o", plain], "cleave-compile")
    bench.run([compile_tool, onnx, "--devices=cpu:0", "--profile-ops", "-o", profiled],
              "cleave-compile --profile-ops")
    inputs = bench.read_inputs(model_dir)
    common = ["--repeat", str(args.repeat), f"--threads={args.threads}"]
    run_tool = os.path.join(args.bindir, "cleave-run")
    plain_out = bench.run([run_tool, plain, *inputs, "--output-dir", os.path.join(work, "o1"),
                           *common], "cleave-run")
    trace = os.path.join(work, "trace.json")
    prof_out = bench.run([run_tool, profiled, *inputs, "--output-dir",
                          os.path.join(work, "o2"), *common, f"--profile-ops={trace}"],
                         "cleave-run --profile-ops")
    ort_out = bench.run(["node", os.path.join(ROOT, "scripts", "ort-run.mjs"), onnx, *inputs,
                         "--output-dir", os.path.join(work, "ort"), "--threads",
                         str(args.threads), "--repeat", str(args.repeat)], "ort-run")
    plain_ms = bench.median_ms(plain_out, "cleave-run")
    prof_ms = bench.median_ms(prof_out, "cleave-run --profile-ops")
    ort_ms = bench.median_ms(ort_out, "ort-run")
    head, rows = parse_table(prof_out)
    threads = [f"--threads={args.threads}"]
    plain_cpu = cpu_ms_per_run([run_tool, plain, *inputs, "--output-dir",
                                os.path.join(work, "o1"), *threads], args.repeat, "cleave-run")
    prof_cpu = cpu_ms_per_run([run_tool, profiled, *inputs, "--output-dir",
                               os.path.join(work, "o2"), *threads, "--profile-ops"],
                              args.repeat, "cleave-run --profile-ops")
    print(f"\n== {model}: wall ms cleave {plain_ms:.2f}, profiled {prof_ms:.2f}, "
          f"onnxruntime {ort_ms:.2f} (ratio {plain_ms / ort_ms:.2f}); CPU ms per run cleave "
          f"{plain_cpu:.2f}, profiled {prof_cpu:.2f} ({(prof_cpu / plain_cpu - 1) * 100:+.1f}%)"
          f"; {head['groups']} op groups, {float(head['groups_ms']):.2f} of "
          f"{float(head['run_ms']):.2f} ms per run in them")
    by_type = collections.Counter()
    for r in rows:
        by_type[r["ops"].replace(",", "+")] += r["ms"]
    run_ms = float(head["run_ms"])
    print("  by op type:  " + ", ".join(f"{t} {ms:.2f} ms ({ms / run_ms * 100:.0f}%)"
                                        for t, ms in by_type.most_common(8)))
    print(f"  {'group':>5} {'ms/run':>8} {'%run':>6}  {'ops':<24} nodes")
    for r in rows[:args.top]:
        print(f"  {r['group']:>5} {r['ms']:>8.3f} {r['percent']:>6.2f}  {r['ops']:<24} "
              f"{r['nodes']}")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--models", default="resnet18,mobilenet_v2,fpn320")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--workdir", help="scratch directory (default: BINDIR/../bench-profile)")
    args = parser.parse_args()
    args.bindir = os.path.abspath(args.bindir)
    args.workdir = os.path.abspath(args.workdir or
                                   os.path.join(args.bindir, "..", "bench-profile"))
    print(f"cpu: {bench.cpu_name()}; threads={args.threads} repeat={args.repeat}")
    for model in args.models.split(","):
        profile(model, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
