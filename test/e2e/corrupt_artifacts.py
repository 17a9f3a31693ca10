#!/usr/bin/python3
# Corruption test: damaged copies of real artifacts are refused with one line naming the damage.
"""Usage: corrupt_artifacts.py BINDIR WORKDIR [--flips N] [--truncations N] [--seed S]

Generates the MLP test model, compiles it for one CPU rank and as a two-stage pipeline
(--devices=cpu:0-1), then for each artifact tries N byte flips (a random non-zero XOR, at
seeded random positions: a share in each region of the file, that is the header, the
manifest, the padding before each section and each code and parameter section, the rest
anywhere) and N truncations (at region starts and ends and at random lengths). Every damaged
copy is run with `cleave-run ART --input ... --output-dir DIR` (the loader checks every
section of a file opened without mpirun) and must exit with status 1 (no signal, no crash),
print exactly one line on stderr, and that line must name the damaged region ("header",
"manifest", "section '<name>'", or for padding the section it precedes). A few damaged
pipeline artifacts also run under `mpirun -np 2`, where each rank checks only its own
sections: the error must still be one line naming the section. The undamaged artifacts must
run (single rank) or fail only for want of ranks (the pipeline without mpirun).
Prints a summary line `corrupt_artifacts: N cases, N refused correctly, N failed`.
"""

import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = "/usr/bin/python3"
CRASH_TEXT = ("Stack dump", "LLVM ERROR", "Assertion", "Segmentation", "terminate called",
              "Aborted", "core dumped", "Traceback", "AddressSanitizer", "runtime error:")
HEADER_SIZE = 64


def regions(data):
    """(start, end, name) of each region of the artifact in file order."""
    manifest_offset, manifest_size = struct.unpack_from("<QQ", data, 16)
    manifest = json.loads(data[manifest_offset:manifest_offset + manifest_size])
    out = [(0, HEADER_SIZE, "header"),
           (manifest_offset, manifest_offset + manifest_size, "manifest")]
    cursor = manifest_offset + manifest_size
    for s in sorted(manifest["sections"], key=lambda s: s["offset"]):
        if s["offset"] > cursor:
            out.append((cursor, s["offset"], "section '%s'" % s["name"]))  # padding before it
        out.append((s["offset"], s["offset"] + s["size"], "section '%s'" % s["name"]))
        cursor = s["offset"] + s["size"]
    assert cursor == len(data), "the artifact should end with its last section"
    return out


def region_of(position, layout):
    for start, end, name in layout:
        if start <= position < end:
            return name
    raise AssertionError("position %d in no region" % position)


def truncation_names(length, layout):
    """What a file cut to `length` bytes must be refused for."""
    if length == 0:
        return ("file is empty",)
    for start, end, name in layout:
        if length < end and name != "header" or length < HEADER_SIZE:
            return (name,)
    raise AssertionError("not a truncation")


class Runner:
    def __init__(self, bindir, work, inputs):
        self.run = os.path.join(bindir, "cleave-run")
        self.work = work
        self.inputs = inputs
        self.cases = 0
        self.failures = []

    def check(self, label, data, expected, mpi_ranks=0):
        """Writes `data`, runs it, checks one line naming one of `expected`."""
        self.cases += 1
        path = os.path.join(self.work, "damaged.cleave")
        with open(path, "wb") as f:
            f.write(data)
        command = [self.run, path] + self.inputs + ["--output-dir",
                                                    os.path.join(self.work, "out")]
        if mpi_ranks:
            # -q: mpirun adds no banner of its own to the ranks' one line.
            command = ["mpirun", "-q", "-np", str(mpi_ranks)] + command
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, timeout=120)
        except subprocess.TimeoutExpired:
            self.failures.append("%s: timed out" % label)
            return
        err = done.stderr.decode("utf-8", "replace")
        lines = [line for line in err.split("\n") if line != ""]
        problem = None
        if done.returncode < 0 or done.returncode >= 128:
            problem = "killed by signal (exit %d)" % done.returncode
        elif any(text in err for text in CRASH_TEXT):
            problem = "crash text"
        elif done.returncode != 1:
            problem = "exit status %d, expected 1" % done.returncode
        elif len(lines) != 1 or not err.endswith("\n") or err.count("\n") != 1:
            problem = "stderr has %d lines, expected one" % err.count("\n")
        elif not any(name in lines[0] for name in expected):
            problem = "the error does not name %s" % " or ".join(expected)
        if problem:
            self.failures.append("%s: %s: %s" % (label, problem, err.strip()[:300]))


def compile_model(bindir, model_dir, devices, out):
    subprocess.run([os.path.join(bindir, "cleave-compile"), os.path.join(model_dir, "model.onnx"),
                    "--devices=" + devices, "-o", out], check=True)
    with open(out, "rb") as f:
        return f.read()


def positions_for(layout, count, rng, size):
    """Flip positions: a share in every region, the rest anywhere."""
    each = max(2, count // (2 * len(layout)))
    chosen = []
    for start, end, _ in layout:
        chosen += [start, end - 1] + [rng.randrange(start, end) for _ in range(each)]
    while len(chosen) < count:
        chosen.append(rng.randrange(size))
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bindir")
    parser.add_argument("work")
    parser.add_argument("--flips", type=int, default=300)
    parser.add_argument("--truncations", type=int, default=60)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    bindir = os.path.abspath(args.bindir)
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.environ.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                       "OMPI_MCA_rmaps_base_oversubscribe": "1",
                       "OMPI_MCA_hwloc_base_binding_policy": "none",
                       "OMPI_MCA_btl": "self,vader",
                       "OMPI_MCA_btl_vader_single_copy_mechanism": "none"})

    model_dir = os.path.join(work, "model")
    subprocess.run([PY, os.path.join(ROOT, "test/models/generate.py"), "mlp", "--out",
                    model_dir], check=True)
    inputs = []
    with open(os.path.join(model_dir, "inputs.txt")) as f:
        for line in f.read().split("\n"):
            if line:
                name, file = line.split("=", 1)
                inputs += ["--input", "%s=%s" % (name, os.path.join(model_dir, file))]
    runner = Runner(bindir, work, inputs)
    rng = random.Random(args.seed)

    artifacts = [("mlp", "cpu:0"), ("mlp.pp2", "cpu:0-1")]
    for name, devices in artifacts:
        data = compile_model(bindir, model_dir, devices, os.path.join(work, name + ".cleave"))
        layout = regions(data)
        # The undamaged file: runs, or is refused only for want of MPI ranks.
        good = subprocess.run([runner.run, os.path.join(work, name + ".cleave")] + inputs +
                              ["--output-dir", os.path.join(work, "out")],
                              stderr=subprocess.PIPE)
        needs_ranks = b"needs 2 ranks" in good.stderr
        if not (good.returncode == 0 if devices == "cpu:0" else needs_ranks):
            print("corrupt_artifacts: the undamaged %s does not behave: exit %d, %s" %
                  (name, good.returncode, good.stderr.decode().strip()))
            return 1
        print("%s: %d bytes, regions: %s" % (name, len(data), ", ".join(
            "%s [%d, %d)" % (n, s, e) for s, e, n in layout)))

        for position in positions_for(layout, args.flips, rng, len(data)):
            damaged = bytearray(data)
            damaged[position] ^= rng.randrange(1, 256)
            region = region_of(position, layout)
            runner.check("%s: flip at %d (%s)" % (name, position, region), bytes(damaged),
                         (region,))

        lengths = {0}
        for start, end, _ in layout:
            lengths |= {start, start + 1, end - 1}
        lengths.discard(len(data))
        lengths = sorted(lengths)
        while len(lengths) < args.truncations:
            lengths.append(rng.randrange(len(data)))
        for length in lengths:
            runner.check("%s: truncated to %d bytes" % (name, length), data[:length],
                         truncation_names(length, layout))

        if devices == "cpu:0-1":
            # Under mpirun each rank checks only its own sections.
            for start, end, region in layout:
                position = rng.randrange(start, end)
                damaged = bytearray(data)
                damaged[position] ^= 0x5a
                runner.check("%s under mpirun: flip at %d (%s)" % (name, position, region),
                             bytes(damaged), (region,), mpi_ranks=2)

    for failure in runner.failures:
        print("FAIL " + failure)
    print("corrupt_artifacts: %d cases, %d refused correctly, %d failed" %
          (runner.cases, runner.cases - len(runner.failures), len(runner.failures)))
    return 1 if runner.failures else 0


if __name__ == "__main__":
    sys.exit(main())
