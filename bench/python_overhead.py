#!/usr/bin/python3
# Overhead of cleave.InferenceSession.run over the C++ API's Session::run, per call, same artifact.
"""Usage: PYTHONPATH=build/python bench/python_overhead.py [--build build] [--models mlp,mlp_small]
                                 [--repeat 2000] [--rounds 7] [--threads 1] [--workdir DIR]

For each model (test/models/generate.py): compiles it for cpu:0 with cleave.compile, then for
each round times, back to back and alternating which goes first,
  cpp:     BUILD/bin/cleave-bench-session-run (Session::run over 64-byte aligned input
           tensors into preallocated outputs: the C++ API at its cheapest)
  python:  InferenceSession.run(None, feed) with the input in a 64-byte aligned array
           (cleave.aligned_empty), so that both read the input in place
  numpy:   the same with the input as np.load gives it (16-byte aligned: the runtime copies
           it into an aligned buffer first)
  capi:    a control: the C API's cleave_session_run (BUILD/lib/libcleave_runtime.so) called
           through ctypes from this Python process, on the same aligned input into a
           preallocated output; it shows what running inside a Python process costs without
           the package's binding (ctypes adds about a microsecond of its own)
each as the median of --repeat calls timed one by one after a warm-up call, with the same
thread count. A figure is the median of the per-round medians; the spread is the lowest and
highest per-round median. python-cpp is the overhead of InferenceSession.run over the C++
API in another process; python-capi, over a bare ctypes call in the same process, is what
the binding itself adds.
"""

import argparse
import ctypes
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PY = "/usr/bin/python3"
US = re.compile(r"us_per_call median=([0-9.eE+-]+)")


def generate(name, workdir):
    out = os.path.join(workdir, name)
    if not os.path.exists(os.path.join(out, "inputs.txt")):
        subprocess.run([PY, os.path.join(ROOT, "test", "models", "generate.py"), name, "--out",
                        out], check=True, capture_output=True)
    inputs = {}
    with open(os.path.join(out, "inputs.txt")) as f:
        for line in f:
            if line.strip():
                key, file = line.strip().split("=", 1)
                inputs[key] = os.path.join(out, file)
    return out, inputs


def time_cpp(tool, artifact, inputs, repeat, threads):
    command = [tool, artifact, "--repeat", str(repeat), "--threads", str(threads)]
    for name, path in inputs.items():
        command += ["--input", f"{name}={path}"]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return float(US.search(result.stdout).group(1))


def time_python(session, feed, repeat):
    session.run(None, feed)  # warm-up
    micros = []
    clock = time.perf_counter_ns
    for _ in range(repeat):
        start = clock()
        session.run(None, feed)
        micros.append((clock() - start) / 1e3)
    return statistics.median(micros)


class _View(ctypes.Structure):
    """cleave_tensor_view and cleave_mutable_tensor_view (cleave/cleave.h)."""
    _fields_ = [("dtype", ctypes.c_int), ("rank", ctypes.c_size_t),
                ("dims", ctypes.POINTER(ctypes.c_int64)), ("data", ctypes.c_void_p),
                ("byte_size", ctypes.c_size_t)]


class CApiSession:
    """A session of the C API through ctypes, running on fixed input and output arrays."""

    def __init__(self, library, artifact, threads, inputs, outputs):
        lib = ctypes.CDLL(library)
        handle = ctypes.POINTER(ctypes.c_void_p)
        lib.cleave_session_options_create.argtypes = [handle]
        lib.cleave_session_options_set_threads.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.cleave_session_create.argtypes = [ctypes.c_char_p, ctypes.c_void_p, handle]
        lib.cleave_session_create.restype = ctypes.c_void_p
        lib.cleave_session_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(_View), ctypes.c_size_t,
                                           ctypes.POINTER(_View), ctypes.c_size_t]
        lib.cleave_session_run.restype = ctypes.c_void_p
        options, self.session = ctypes.c_void_p(), ctypes.c_void_p()
        if lib.cleave_session_options_create(ctypes.byref(options)) or \
                lib.cleave_session_options_set_threads(options, threads) or \
                lib.cleave_session_create(artifact.encode(), options, ctypes.byref(self.session)):
            raise RuntimeError(f"the C API cannot open {artifact}")
        self.run_function = lib.cleave_session_run
        self.keep = list(inputs) + list(outputs)
        self.inputs = self._views(inputs)
        self.outputs = self._views(outputs)

    def _views(self, arrays):
        codes = {np.dtype(np.float32): 0, np.dtype(np.int64): 3}  # abi.h's dtype codes
        views = (_View * len(arrays))()
        for view, array in zip(views, arrays):
            dims = (ctypes.c_int64 * array.ndim)(*array.shape)
            self.keep.append(dims)
            view.dtype, view.rank, view.dims = codes[array.dtype], array.ndim, dims
            view.data, view.byte_size = array.ctypes.data, array.nbytes
        return views

    def run(self):
        if self.run_function(self.session, self.inputs, len(self.inputs), self.outputs,
                             len(self.outputs)):
            raise RuntimeError("cleave_session_run failed")


def time_capi(session, repeat):
    session.run()  # warm-up
    micros = []
    clock = time.perf_counter_ns
    for _ in range(repeat):
        start = clock()
        session.run()
        micros.append((clock() - start) / 1e3)
    return statistics.median(micros)


def summary(values):
    return statistics.median(values), min(values), max(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--models", default="mlp,mlp_small")
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workdir")
    args = parser.parse_args()

    import cleave
    tool = os.path.join(args.build, "bin", "cleave-bench-session-run")
    workdir = args.workdir or os.path.join(args.build, "bench", "python_overhead")
    os.makedirs(workdir, exist_ok=True)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    print(f"cpu: {cpu}, {os.cpu_count()} logical cores; threads={args.threads} "
          f"repeat={args.repeat} rounds={args.rounds}; cleave from {cleave.__file__}")
    print(f"{'model':10} {'cpp us':>22} {'python us':>22} {'numpy us':>22} {'capi us':>22} "
          f"{'python-cpp':>10} {'python-capi':>11}")
    for name in args.models.split(","):
        model_dir, inputs = generate(name, workdir)
        artifact = os.path.join(workdir, name + ".cleave")
        cleave.compile(os.path.join(model_dir, "model.onnx"), artifact, devices="cpu:0")
        session = cleave.InferenceSession(artifact, threads=args.threads)
        plain = {key: np.load(path) for key, path in inputs.items()}
        aligned = {}
        for key, value in plain.items():
            aligned[key] = cleave.aligned_empty(value.shape, value.dtype)
            aligned[key][...] = value
        outputs = [cleave.aligned_empty(o.shape, np.float32 if o.type == "tensor(float)"
                                        else np.int64) for o in session.get_outputs()]
        capi = CApiSession(os.path.join(args.build, "lib", "libcleave_runtime.so"), artifact,
                           args.threads, [aligned[i.name] for i in session.get_inputs()],
                           outputs)
        times = {"cpp": [], "python": [], "numpy": [], "capi": []}
        steps = [("cpp", lambda: time_cpp(tool, artifact, inputs, args.repeat, args.threads)),
                 ("python", lambda: time_python(session, aligned, args.repeat)),
                 ("numpy", lambda: time_python(session, plain, args.repeat)),
                 ("capi", lambda: time_capi(capi, args.repeat))]
        for round_ in range(args.rounds):
            for key, step in (steps if round_ % 2 == 0 else steps[::-1]):
                times[key].append(step())
        stats = {key: summary(values) for key, values in times.items()}
        fmt = lambda s: f"{s[0]:8.2f} [{s[1]:.2f}-{s[2]:.2f}]"
        print(f"{name:10} " + " ".join(f"{fmt(stats[k]):>22}" for k in times) +
              f" {stats['python'][0] - stats['cpp'][0]:10.2f}"
              f" {stats['python'][0] - stats['capi'][0]:11.2f}")
        for key, values in times.items():
            print(f"{'':10} {key:7} per round: {' '.join(f'{v:.2f}' for v in values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
