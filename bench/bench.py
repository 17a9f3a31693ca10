#!/usr/bin/python3
# Benchmark driver: latency of Cleave vs onnxruntime (single-thread by default) on the e2e models, interleaved.
"""Usage: bench.py --bindir BINDIR [--models mlp,resnet18,mobilenet_v2,gpt] [--repeat 20]
                  [--rounds 3] [--threads 1] [--workdir BINDIR/../bench] [--step-timeout 600]

For each model: generates it (test/models/generate.py), compiles it with
`cleave-compile --devices=cpu:0`, then for each round runs `cleave-run --threads=T --repeat N`
and `node scripts/ort-run.mjs --threads T --repeat N` back to back (alternating which goes
first), each printing `latency_ms median=M ...` after a warm-up. A tool's figure is the median
of its per-round medians. Outputs of both are compared (rtol 1e-3, atol 1e-4) so that a fast
but wrong result is visible. Exits 1 if any model failed to generate, compile or run.
"""

import argparse
import json
import os
import platform
import re
import statistics
import struct
import subprocess
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
from compare import compare_arrays  # noqa: E402

PY = "/usr/bin/python3"
LATENCY = re.compile(r"latency_ms median=([0-9.eE+-]+)")
STEP_TIMEOUT = 600


class StepError(Exception):
    pass


def set_step_timeout(seconds):
    global STEP_TIMEOUT
    STEP_TIMEOUT = seconds


def run(cmd, what):
    """Runs cmd; returns stdout; raises StepError with the first stderr line on failure."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise StepError(f"{what}: timed out after {STEP_TIMEOUT} s")
    if p.returncode != 0:
        lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
        raise StepError(f"{what}: exit {p.returncode}: {lines[0] if lines else '<no stderr>'}")
    return p.stdout


def median_ms(stdout, what):
    m = LATENCY.search(stdout)
    if not m:
        raise StepError(f"{what}: no `latency_ms median=` line in its output")
    return float(m.group(1))


def input_paths(model_dir):
    """(name, path) per line of the model's inputs.txt, in order."""
    inputs = []
    with open(os.path.join(model_dir, "inputs.txt")) as f:
        for line in f:
            line = line.strip()
            if line:
                name, rel = line.split("=", 1)
                inputs.append((name, os.path.join(model_dir, rel)))
    return inputs


def read_inputs(model_dir):
    """The model's inputs as cleave-run / ort-run arguments."""
    args = []
    for name, path in input_paths(model_dir):
        args += ["--input", f"{name}={path}"]
    return args


def generate_model(model, model_dir, python=PY):
    """Generates `model` into `model_dir`; returns the compile options it asks for
    (compile_args.txt: shapes of dynamic inputs)."""
    run([python, os.path.join(ROOT, "test", "models", "generate.py"), model, "--out", model_dir],
        "generate")
    compile_args = os.path.join(model_dir, "compile_args.txt")
    if not os.path.exists(compile_args):
        return []
    with open(compile_args) as f:
        return [ln.strip() for ln in f if ln.strip()]


# mpirun on this machine: as root, oversubscribed, unbound, over shared memory.
MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
    "OMPI_MCA_hwloc_base_binding_policy": "none",
    "OMPI_MCA_btl": "self,vader",
}


def add_single_copy_option(parser):
    parser.add_argument("--single-copy", choices=["cma", "none"], default="cma",
                        help="OpenMPI's shared-memory single-copy mechanism (default: cma, "
                        "OpenMPI's own default; none where the container forbids "
                        "process_vm_readv)")


def set_mpi_env(single_copy):
    """Environment for the mpirun commands of a bench run."""
    os.environ.update(MPI_ENV)
    os.environ["OMPI_MCA_btl_vader_single_copy_mechanism"] = single_copy


def manifest(path):
    """The artifact's manifest (docs/artifact-format.md: header at 0, manifest at offset 16)."""
    with open(path, "rb") as f:
        data = f.read()
    offset, size = struct.unpack_from("<QQ", data, 16)
    return json.loads(data[offset:offset + size])


def outputs_match(ref_dir, out_dir):
    for name in sorted(os.listdir(ref_dir)):
        out = os.path.join(out_dir, name)
        if not os.path.exists(out):
            return f"missing {name}"
        ok, detail = compare_arrays(np.load(os.path.join(ref_dir, name)), np.load(out), 1e-3, 1e-4)
        if not ok:
            return f"{name[:-4]}: {detail.split(';')[0]}"
    return "ok"


def bench_model(model, args):
    work = os.path.join(args.workdir, model)
    model_dir = os.path.join(work, "model")
    extra = generate_model(model, model_dir)
    artifact = os.path.join(work, "model.cleave")
    run([os.path.join(args.bindir, "cleave-compile"), os.path.join(model_dir, "model.onnx"),
         "--devices=cpu:0", "-o", artifact, *extra], "cleave-compile")
    inputs = read_inputs(model_dir)
    cleave_cmd = [os.path.join(args.bindir, "cleave-run"), artifact, *inputs,
                  "--output-dir", os.path.join(work, "cleave-out"),
                  f"--threads={args.threads}", "--repeat", str(args.repeat)]
    ort_cmd = ["node", os.path.join(ROOT, "scripts", "ort-run.mjs"),
               os.path.join(model_dir, "model.onnx"), *inputs,
               "--output-dir", os.path.join(work, "ort-out"),
               "--threads", str(args.threads), "--repeat", str(args.repeat)]
    cleave, ort = [], []
    for r in range(args.rounds):
        # Alternate the order so that neither tool always runs on a warmer (or hotter) machine.
        order = [("cleave-run", cleave_cmd, cleave), ("ort-run", ort_cmd, ort)]
        for what, cmd, times in (order if r % 2 == 0 else order[::-1]):
            times.append(median_ms(run(cmd, what), what))
    match = outputs_match(os.path.join(work, "ort-out"), os.path.join(work, "cleave-out"))
    return statistics.median(cleave), statistics.median(ort), match


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--models", default="mlp,resnet18,mobilenet_v2,gpt")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per invocation")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved invocations per tool")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workdir", help="scratch directory (default: BINDIR/../bench)")
    parser.add_argument("--step-timeout", type=int, default=STEP_TIMEOUT,
                        help="seconds each step (generate, compile, one run) may take "
                        f"(default {STEP_TIMEOUT}; unrolled recurrent models compile for minutes)")
    args = parser.parse_args()
    set_step_timeout(args.step_timeout)
    args.bindir = os.path.abspath(args.bindir)
    args.workdir = os.path.abspath(args.workdir or os.path.join(args.bindir, "..", "bench"))

    print(f"cpu: {cpu_name()}, {os.cpu_count()} logical cores; threads={args.threads} "
          f"repeat={args.repeat} rounds={args.rounds}")
    header = f"{'model':<14} {'cleave ms':>10} {'ort ms':>10} {'cleave/ort':>11}  outputs"
    print(header)
    print("-" * len(header))
    failures = 0
    for model in [m for m in args.models.split(",") if m]:
        try:
            c, o, match = bench_model(model, args)
            print(f"{model:<14} {c:>10.3f} {o:>10.3f} {c / o:>11.2f}  {match}", flush=True)
        except StepError as e:
            failures += 1
            print(f"{model:<14} {'-':>10} {'-':>10} {'-':>11}  error: {e}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
