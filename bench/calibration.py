#!/usr/bin/python3
# Benchmark driver: per-stage predictions against measurements, before and after calibration.
"""Usage: calibration.py --bindir BINDIR [--models resnet18_b4,gpt_b4] [--ranks 2]
                        [--repeat 10] [--workdir BINDIR/../bench]

Compiles each model as a pipeline of RANKS stages (--pp=RANKS) with the default device
figures, runs it with `mpirun -np RANKS cleave-run --profile --repeat N --threads 1`, then
calibrates the devices with `mpirun -np RANKS cleave-tune --calibrate`, compiles again with
that device file (the cut may move) and runs again. Prints per stage the predicted and the
measured compute time per microbatch (the profile's mean) and the error, before and after,
with the median and worst absolute error over the stages.
"""

import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (StepError, add_single_copy_option, generate_model, read_inputs,  # noqa: E402
                   run, set_mpi_env)

PROFILE = re.compile(r"^profile rank=(\d+) stage=(\d+) .*compute_ms mean=([0-9.]+) .*"
                     r"predicted compute_ms=([0-9.]+) send_ms=([0-9.]+)", re.M)


def profile(args, model_dir, artifact, extra, device_file):
    compile_cmd = [os.path.join(args.bindir, "cleave-compile"),
                   os.path.join(model_dir, "model.onnx"), f"--devices=cpu:0-{args.ranks - 1}",
                   f"--pp={args.ranks}", "-o", artifact, *extra]
    if device_file:
        compile_cmd.append(f"--device-file={device_file}")
    run(compile_cmd, "cleave-compile")
    out = run(["mpirun", "-np", str(args.ranks), os.path.join(args.bindir, "cleave-run"),
               artifact, *read_inputs(model_dir), "--output-dir", artifact + ".out",
               "--threads", "1", "--repeat", str(args.repeat), "--profile"], "cleave-run")
    return [(int(r), float(m), float(p)) for r, _, m, p, _ in PROFILE.findall(out)]




def summary(rows):
    errors = [abs(p - m) / m * 100 for _, m, p in rows]
    return statistics.median(errors), max(errors)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--models", default="resnet18_b4,gpt_b4")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--workdir")
    add_single_copy_option(parser)
    args = parser.parse_args()
    args.bindir = os.path.abspath(args.bindir)
    args.workdir = args.workdir or os.path.join(args.bindir, "..", "bench", "calibration")
    set_mpi_env(args.single_copy)
    os.makedirs(args.workdir, exist_ok=True)
    devices = os.path.join(args.workdir, "devices.json")
    try:
        print(run(["mpirun", "-np", str(args.ranks), os.path.join(args.bindir, "cleave-tune"),
                   "--calibrate", f"--devices=cpu:0-{args.ranks - 1}", "-o", devices],
                  "cleave-tune --calibrate"))
        for model in args.models.split(","):
            work = os.path.join(args.workdir, model)
            model_dir = os.path.join(work, "model")
            extra = generate_model(model, model_dir)
            before = profile(args, model_dir, os.path.join(work, "default.cleave"), extra, None)
            after = profile(args, model_dir, os.path.join(work, "calibrated.cleave"), extra,
                            devices)
            print(f"{model}, pp={args.ranks}: compute ms per microbatch, predicted / measured")
            print("  stage   default: predicted  measured   error   calibrated: predicted  "
                  "measured   error")
            for (r, m0, p0), (_, m1, p1) in zip(before, after):
                print(f"  {r:5d}   {p0:18.3f} {m0:9.3f} {(p0 - m0) / m0 * 100:+6.0f}%   "
                      f"{p1:21.3f} {m1:9.3f} {(p1 - m1) / m1 * 100:+6.0f}%")
            b, a = summary(before), summary(after)
            print(f"  |error| median (worst): default {b[0]:.0f}% ({b[1]:.0f}%), "
                  f"calibrated {a[0]:.0f}% ({a[1]:.0f}%)")
    except StepError as e:
        sys.exit(f"calibration: {e}")


if __name__ == "__main__":
    main()
