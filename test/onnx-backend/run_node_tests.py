#!/usr/bin/python3
# Runs the ONNX backend node tests (libonnx-testdata) through cleave-compile and cleave-run.
"""Usage: run_node_tests.py --bindir BINDIR [--workdir DIR] [--filter REGEX] [--supported-only]
                           [--expected FILE [--update-expected]] [--report FILE] [--jobs 2]
                           [--timeout 60] [--data-dir DIR] [--keep] [--verbose]
                           [--compile-option OPTION ...]

For each test directory (model.onnx, test_data_set_0/input_*.pb, output_*.pb): compiles with
`cleave-compile model.onnx --devices=cpu:0` (plus each --compile-option), runs `cleave-run` with the input .pb files in
order (unnamed `--input FILE`), and compares every output with the expected .pb: floating
types with rtol 1e-3 / atol 1e-4 (NaN equal to NaN), integer and bool types exactly.

A test is "supported" when every op in its graph (subgraphs included) is an ONNX-domain op
listed in supported_ops.txt and its inputs and outputs are numeric tensors. --supported-only
runs those (plus every test named in --expected).

--expected FILE lists tests that must pass (one name per line, '#' comments): the run fails
(exit 1) if any of them does not; tests that pass but are not listed are reported, and
--update-expected rewrites FILE with the tests that pass now. Without --expected the run
fails if any test run fails. The last line is `N passed, N failed` over the tests run.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from compare import compare_arrays  # noqa: E402  (shared with the e2e tests)

DEFAULT_DATA_DIR = "/usr/share/libonnx-testdata/data/node"
SUPPORTED_OPS_FILE = os.path.join(HERE, "supported_ops.txt")
RTOL, ATOL = 1e-3, 1e-4
NON_NUMERIC = {onnx.TensorProto.STRING, onnx.TensorProto.UNDEFINED}


def read_list(path):
    """Non-empty, non-comment lines of a file."""
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def graph_ops(graph):
    """(domain, op_type) of every node, subgraphs of If/Loop/Scan included."""
    ops = set()
    for node in graph.node:
        ops.add((node.domain, node.op_type))
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                ops |= graph_ops(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    ops |= graph_ops(g)
    return ops


def is_numeric_tensor(value_info):
    t = value_info.type
    return t.HasField("tensor_type") and t.tensor_type.elem_type not in NON_NUMERIC


def is_supported(model, supported_ops):
    if not all(is_numeric_tensor(v) for v in list(model.graph.input) + list(model.graph.output)):
        return False
    return all(domain in ("", "ai.onnx") and op in supported_ops
               for domain, op in graph_ops(model.graph))


def numbered(directory, prefix):
    """prefix_0.pb, prefix_1.pb, ... in numeric order."""
    files = [f for f in os.listdir(directory) if re.fullmatch(prefix + r"_\d+\.pb", f)]
    return [os.path.join(directory, f)
            for f in sorted(files, key=lambda f: int(f[len(prefix) + 1:-3]))]


def run_command(cmd, timeout, log_path):
    """Runs cmd in its own process group (all of it is killed on timeout).

    Returns (returncode or None on timeout, first non-empty stderr line)."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=max(timeout, 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
            log.write(err)
            return None, ""
        log.write(err)
    lines = [ln.strip() for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
    return proc.returncode, (lines[0][:300] if lines else "<no stderr>")


def describe_exit(rc):
    return f"killed by signal {-rc}" if rc < 0 else f"exit {rc}"


def run_test(test_dir, bindir, workdir, timeout, keep, compile_options):
    """Compiles, runs and checks one test; returns (name, passed, reason)."""
    name = os.path.basename(test_dir.rstrip("/"))
    work = os.path.join(workdir, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    deadline = time.monotonic() + timeout
    data = os.path.join(test_dir, "test_data_set_0")
    try:
        model = onnx.load(os.path.join(test_dir, "model.onnx"))
        artifact = os.path.join(work, "model.cleave")
        rc, err = run_command([os.path.join(bindir, "cleave-compile"),
                               os.path.join(test_dir, "model.onnx"), "--devices=cpu:0",
                               *compile_options, "-o", artifact],
                              deadline - time.monotonic(), os.path.join(work, "compile.log"))
        if rc is None:
            return name, False, f"compile: timed out after {timeout:g} s"
        if rc != 0:
            return name, False, f"compile: {describe_exit(rc)}: {err}"

        out_dir = os.path.join(work, "out")
        cmd = [os.path.join(bindir, "cleave-run"), artifact, "--output-dir", out_dir]
        for pb in numbered(data, "input"):
            cmd += ["--input", pb]
        rc, err = run_command(cmd, deadline - time.monotonic(), os.path.join(work, "run.log"))
        if rc is None:
            return name, False, f"run: timed out after {timeout:g} s"
        if rc != 0:
            return name, False, f"run: {describe_exit(rc)}: {err}"

        expected_files = numbered(data, "output")
        if len(expected_files) != len(model.graph.output):
            return name, False, (f"test data has {len(expected_files)} outputs, "
                                 f"graph {len(model.graph.output)}")
        for pb, info in zip(expected_files, model.graph.output):
            expected = numpy_helper.to_array(onnx.load_tensor(pb))
            path = os.path.join(out_dir, sanitize(info.name) + ".npy")
            if not os.path.exists(path):
                return name, False, f"output {info.name}: missing {os.path.basename(path)}"
            ok, detail = compare_arrays(expected, np.load(path), RTOL, ATOL)
            if not ok:
                return name, False, f"output {info.name}: {detail}"
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        return name, True, ""
    except Exception as e:  # a harness problem in one test must not stop the others
        return name, False, f"harness: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True, help="directory of cleave-compile, cleave-run")
    parser.add_argument("--workdir", default="onnx-backend-work", help="scratch directory")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="directory of test dirs")
    parser.add_argument("--filter", help="run only tests whose name matches this regex (search)")
    parser.add_argument("--supported-only", action="store_true",
                        help="run only tests whose ops are all in supported_ops.txt")
    parser.add_argument("--expected", help="file of tests that must pass")
    parser.add_argument("--update-expected", action="store_true",
                        help="rewrite --expected with the tests that pass now")
    parser.add_argument("--report", help="write one line per test: NAME: pass | fail: REASON")
    parser.add_argument("--jobs", type=int, default=2, help="tests run in parallel (default 2)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per test (default 60)")
    parser.add_argument("--keep", action="store_true", help="keep work dirs of passing tests")
    parser.add_argument("--verbose", action="store_true", help="print passing tests too")
    parser.add_argument("--compile-option", action="append", default=[],
                        help="an extra cleave-compile option, e.g. --emulate-gpu-kernels "
                             "(repeatable; write it as --compile-option=--OPT)")
    args = parser.parse_args()
    if args.update_expected and not args.expected:
        parser.error("--update-expected needs --expected")

    bindir = os.path.abspath(args.bindir)
    for tool in ("cleave-compile", "cleave-run"):
        if not os.access(os.path.join(bindir, tool), os.X_OK):
            print(f"run_node_tests: error: {os.path.join(bindir, tool)} not found", file=sys.stderr)
            return 1
    if not os.path.isdir(args.data_dir):
        print(f"run_node_tests: error: no test data at {args.data_dir} (install libonnx-testdata)",
              file=sys.stderr)
        return 1

    supported_ops = set(read_list(SUPPORTED_OPS_FILE))
    pattern = re.compile(args.filter) if args.filter else None
    all_tests = sorted(d for d in os.listdir(args.data_dir)
                       if os.path.isfile(os.path.join(args.data_dir, d, "model.onnx")))
    tests = [t for t in all_tests if not pattern or pattern.search(t)]
    supported = {t for t in tests
                 if is_supported(onnx.load(os.path.join(args.data_dir, t, "model.onnx"),
                                           load_external_data=False), supported_ops)}
    expected = set()
    if args.expected and os.path.exists(args.expected):
        expected = set(read_list(args.expected))
    elif args.expected and not args.update_expected:
        print(f"run_node_tests: error: {args.expected} does not exist", file=sys.stderr)
        return 1
    for t in sorted(expected - set(all_tests)):
        print(f"warning: {t} is listed in {args.expected} but is not a test in {args.data_dir}")
    # Listed tests always run, so that --supported-only cannot hide a regression.
    to_run = [t for t in tests if not args.supported_only or t in supported or t in expected]

    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    print(f"running {len(to_run)} of {len(all_tests)} node tests ({len(supported)} supported) "
          f"with {args.jobs} jobs, work dir {workdir}", flush=True)
    results = {}
    start = time.monotonic()
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_test, os.path.join(args.data_dir, t), bindir, workdir,
                               args.timeout, args.keep, args.compile_option) for t in to_run]
        for n, future in enumerate(concurrent.futures.as_completed(futures), 1):
            name, ok, reason = future.result()
            results[name] = (ok, reason)
            if not ok or args.verbose:
                print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + reason if reason else ''}",
                      flush=True)
            if n % 100 == 0:
                print(f"... {n}/{len(to_run)} done ({time.monotonic() - start:.0f} s)", flush=True)

    passed = {t for t, (ok, _) in results.items() if ok}
    if args.report:
        with open(args.report, "w") as f:
            for t in tests:
                if t in results:
                    ok, reason = results[t]
                    f.write(f"{t}: pass\n" if ok else f"{t}: fail: {reason}\n")
                else:
                    f.write(f"{t}: not run (unsupported op or type)\n")

    status = 0
    regressions = sorted(t for t in expected if t in results and t not in passed)
    newly = sorted(passed - expected)
    if args.expected:
        for t in regressions:
            print(f"REGRESSION {t}: listed in {args.expected} but {results[t][1]}")
        for t in newly:
            print(f"NEWLY PASSING {t}")
        if newly and not args.update_expected:
            print(f"{len(newly)} passing tests are not in {args.expected}: add them, or run "
                  "with --update-expected")
        if args.update_expected:
            keep = {t for t in expected if t not in results and t in all_tests}
            with open(args.expected, "w") as f:
                f.write("# ONNX node tests that must pass (run_node_tests.py --update-expected).\n")
                f.writelines(t + "\n" for t in sorted(keep | passed))
            print(f"updated {args.expected}: {len(keep | passed)} tests "
                  f"(+{len(newly)}, -{len(regressions)})")
        elif regressions:
            status = 1
    elif len(passed) < len(results):
        status = 1

    sup_run = [t for t in results if t in supported]
    print(f"supported-op tests: {len(passed & supported)}/{len(supported)} passed"
          f" ({len(sup_run)} run)")
    print(f"all node tests: {len(passed)}/{len(tests)} passed ({len(results)} run)")
    print(f"{len(passed)} passed, {len(results) - len(passed)} failed")
    return status


if __name__ == "__main__":
    sys.exit(main())
