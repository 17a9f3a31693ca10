# conftest.py - Fixtures of cleave-serve's tests: models, onnxruntime's outputs, servers.
"""Models come from test/models/generate.py, compiled with cleave-compile; reference outputs
come from onnxruntime (scripts/ort-run.mjs through node), never from Cleave. A server is
started on a free port (--port 0; the port is read from its first line) and killed, with
its process group, whatever the test's outcome.

Environment: CLEAVE_SERVE and CLEAVE_COMPILE (the tools), CLEAVE_TEST_WORKDIR (optional).
"""

import hashlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3"
SERVE = os.environ.get("CLEAVE_SERVE", str(ROOT / "build" / "bin" / "cleave-serve"))
COMPILE = os.environ.get("CLEAVE_COMPILE", str(ROOT / "build" / "bin" / "cleave-compile"))
RUN = os.environ.get("CLEAVE_RUN", str(ROOT / "build" / "bin" / "cleave-run"))
# test/e2e/compare.py's defaults, the tolerances of every e2e test.
RTOL, ATOL = 1e-3, 1e-4
# As root, more ranks than cores, unbound (as test/e2e/run_e2e.sh runs them).
MPI_ENV = dict(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_hwloc_base_binding_policy="none",
               OMPI_MCA_btl="self,vader", OMPI_MCA_btl_vader_single_copy_mechanism="none")


def _load_compare():
    spec = importlib.util.spec_from_file_location("cleave_e2e_compare",
                                                  ROOT / "test" / "e2e" / "compare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare_module = _load_compare()


def assert_close(reference, out, what):
    ok, detail = compare_module.compare_arrays(reference, out, RTOL, ATOL)
    assert ok, f"{what}: {detail}"


def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def onnxruntime_outputs(model, inputs, out_dir):
    """{output name: array} of onnxruntime (scripts/ort-run.mjs) on {input name: array}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    command = ["node", ROOT / "scripts" / "ort-run.mjs", model.onnx]
    for name, value in inputs.items():
        path = out_dir / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".in.npy")
        np.save(path, value)
        command += ["--input", f"{name}={path}"]
    run_checked(command + ["--output-dir", out_dir, "--threads", "1"], "onnxruntime")
    return {path.name[:-4]: np.load(path) for path in out_dir.glob("*.npy")
            if not path.name.endswith(".in.npy")}


def run_checked(command, what, timeout=300):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        pytest.fail(f"{what} failed ({result.returncode}): {result.stdout}\n{result.stderr}")
    return result


class Model:
    """A generated test model, its inputs and onnxruntime's outputs, and its artifacts."""

    def __init__(self, name, directory):
        self.name = name
        self.dir = Path(directory)
        self.onnx = self.dir / "model" / "model.onnx"
        self.inputs = {}
        for line in (self.dir / "model" / "inputs.txt").read_text().splitlines():
            if line.strip():
                input_name, file = line.split("=", 1)
                self.inputs[input_name] = np.load(self.dir / "model" / file)
        self.ref_dir = self.dir / "ref"

    def reference(self, output):
        return np.load(self.ref_dir / (re.sub(r"[^A-Za-z0-9_.-]", "_", output) + ".npy"))

    def compile(self, stem, *options):
        """The artifact compiled with `options` by the compiler under test."""
        artifact = self.dir / f"{stem}.cleave"
        run_checked([COMPILE, self.onnx, "-o", artifact, *options], f"compiling {stem}")
        return artifact


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    given = os.environ.get("CLEAVE_TEST_WORKDIR")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        return Path(given)
    return tmp_path_factory.mktemp("work")


@pytest.fixture(scope="session")
def models(workdir):
    """models(name) -> Model with onnxruntime's outputs, generated once."""
    made = {}

    def get(name):
        if name in made:
            return made[name]
        directory = workdir / name
        if not (directory / "ref.done").exists():
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)
            run_checked([PYTHON, ROOT / "test" / "models" / "generate.py", name, "--out",
                         directory / "model"], f"generating {name}")
            command = ["node", ROOT / "scripts" / "ort-run.mjs", directory / "model" / "model.onnx"]
            for line in (directory / "model" / "inputs.txt").read_text().splitlines():
                if line.strip():
                    input_name, file = line.split("=", 1)
                    command += ["--input", f"{input_name}={directory / 'model' / file}"]
            run_checked(command + ["--output-dir", directory / "ref", "--threads", "1"],
                        f"onnxruntime on {name}")
            (directory / "ref.done").write_text("")
        made[name] = Model(name, directory)
        return made[name]

    return get


class Server:
    """A running cleave-serve (or mpirun of it) on a free port."""

    def __init__(self, args, log_dir, ranks=0, env=None):
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        command = [SERVE, *map(str, args), "--port", "0"]
        if ranks:
            command = ["mpirun", "-np", str(ranks)] + command
        full_env = dict(os.environ)
        full_env.update(MPI_ENV)
        full_env.update(env or {})
        self.stdout_path = self.log_dir / "stdout.txt"
        self.stderr_path = self.log_dir / "stderr.txt"
        self.process = subprocess.Popen(command, stdout=open(self.stdout_path, "w"),
                                        stderr=open(self.stderr_path, "w"), env=full_env,
                                        start_new_session=True)
        self.port = None
        deadline = time.time() + 60
        while time.time() < deadline and self.process.poll() is None:
            match = re.search(r"on http://[^:]+:(\d+)", self.stdout_path.read_text())
            if match:
                self.port = int(match.group(1))
                break
            time.sleep(0.05)
        if self.port is None:
            self.kill()
            pytest.fail(f"cleave-serve did not start: {self.output()}")
        self.url = f"http://127.0.0.1:{self.port}"

    def output(self):
        return self.stdout_path.read_text() + self.stderr_path.read_text()

    def get(self, path, **kwargs):
        kwargs.setdefault("timeout", 60)
        return requests.get(self.url + path, **kwargs)

    def post(self, path, **kwargs):
        kwargs.setdefault("timeout", 60)
        return requests.post(self.url + path, **kwargs)

    def wait(self, timeout):
        """The exit status, or None when still running after `timeout` s."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()


@pytest.fixture
def serve(tmp_path):
    """serve(args, ranks=0) -> Server, killed at the end of the test."""
    started = []

    def start(args, ranks=0, env=None):
        server = Server(args, tmp_path / f"server{len(started)}", ranks, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def rank_pid(server, rank):
    """The pid of rank `rank` of the server's mpirun job."""
    deadline = time.time() + 10
    while time.time() < deadline:
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                environ = open(f"/proc/{entry}/environ", "rb").read().split(b"\0")
                command = open(f"/proc/{entry}/cmdline", "rb").read()
            except OSError:
                continue
            if (b"cleave-serve" in command and f"OMPI_COMM_WORLD_RANK={rank}".encode() in environ
                    and has_ancestor(int(entry), server.process.pid)):
                return int(entry)
        time.sleep(0.1)
    pytest.fail(f"no rank {rank} process found")


def fault_rank(server, rank, fault, limit=15):
    """Sends signal `fault` (a name) to rank `rank` and polls /v2/health/ready until the server
    exits or `limit` s pass. Returns (exit status or None, seconds to the exit, whether /ready
    answered 503 meanwhile)."""
    pid = rank_pid(server, rank)
    start = time.time()
    os.kill(pid, getattr(signal, fault))
    saw_not_ready = False
    while server.process.poll() is None and time.time() - start < limit:
        try:
            ready = server.get("/v2/health/ready", timeout=1)
            saw_not_ready = saw_not_ready or ready.status_code == 503
        except Exception:
            pass  # the server is going away
        time.sleep(0.2)
    status = server.wait(0.1)
    return status, time.time() - start, saw_not_ready


def has_ancestor(pid, ancestor):
    while pid > 1:
        try:
            stat = open(f"/proc/{pid}/stat", "rb").read()
        except OSError:
            return False
        pid = int(stat.rsplit(b")", 1)[1].split()[1])
        if pid == ancestor:
            return True
    return False


def infer_json(inputs, outputs=None, request_id=None):
    """A JSON infer request body for {name: array}."""
    dtypes = {np.dtype("float32"): "FP32", np.dtype("int64"): "INT64"}
    body = {"inputs": [{"name": name, "datatype": dtypes[value.dtype],
                        "shape": list(value.shape), "data": value.flatten().tolist()}
                       for name, value in inputs.items()]}
    if outputs:
        body["outputs"] = [{"name": name} for name in outputs]
    if request_id:
        body["id"] = request_id
    return body


def infer_binary(inputs, binary_output=True):
    """(body bytes, headers) of a binary-data infer request for {name: array}."""
    dtypes = {np.dtype("float32"): "FP32", np.dtype("int64"): "INT64"}
    import json
    header = {"inputs": [{"name": name, "datatype": dtypes[value.dtype],
                          "shape": list(value.shape),
                          "parameters": {"binary_data_size": value.nbytes}}
                         for name, value in inputs.items()],
              "parameters": {"binary_data_output": binary_output}}
    text = json.dumps(header).encode()
    body = text + b"".join(np.ascontiguousarray(v).tobytes() for v in inputs.values())
    return body, {"Inference-Header-Content-Length": str(len(text)),
                  "Content-Type": "application/octet-stream"}


def decode_binary_response(response):
    """{output name: array} of a binary-data infer response."""
    import json
    length = int(response.headers["Inference-Header-Content-Length"])
    header = json.loads(response.content[:length])
    numpy_types = {"FP32": np.float32, "INT64": np.int64}
    arrays, at = {}, length
    for output in header["outputs"]:
        size = output["parameters"]["binary_data_size"]
        arrays[output["name"]] = np.frombuffer(response.content[at:at + size],
                                               dtype=numpy_types[output["datatype"]]).reshape(
                                                   output["shape"])
        at += size
    return arrays
