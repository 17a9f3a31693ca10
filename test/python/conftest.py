# conftest.py - Fixtures of the Python package's tests: test models, onnxruntime's outputs.
"""Models come from test/models/generate.py and their reference outputs from onnxruntime
(scripts/ort-run.mjs through node, as test/e2e/run_e2e.sh gets them), never from Cleave.

Run with the package on the path:
    PYTHONPATH=build/python /usr/bin/python3 -m pytest test/python
CLEAVE_TEST_WORKDIR names a directory for models and artifacts (ctest sets one per file
under build/test/python/work/, kept for inspection); otherwise pytest's tmp_path is used.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3"
# test/e2e/compare.py's defaults, the tolerances of every e2e test.
RTOL, ATOL = 1e-3, 1e-4


def _load_compare():
    spec = importlib.util.spec_from_file_location("cleave_e2e_compare",
                                                  ROOT / "test" / "e2e" / "compare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare_module = _load_compare()


def sanitize(name):
    """An output's file name as ort-run.mjs (and cleave-run) write it."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


class Model:
    """A generated test model: its .onnx, inputs and onnxruntime's outputs."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.onnx = self.dir / "model" / "model.onnx"
        self.input_files = {}
        for line in (self.dir / "model" / "inputs.txt").read_text().splitlines():
            if line.strip():
                name, file = line.split("=", 1)
                self.input_files[name] = self.dir / "model" / file
        self.inputs = {name: np.load(path) for name, path in self.input_files.items()}
        # --input-shape=NAME=DIMS lines of compile_args.txt, as cleave.compile's input_shapes.
        self.input_shapes = {}
        args = self.dir / "model" / "compile_args.txt"
        if args.exists():
            for line in args.read_text().splitlines():
                if line.startswith("--input-shape="):
                    name, dims = line[len("--input-shape="):].rsplit("=", 1)
                    self.input_shapes[name] = [int(d) for d in dims.split("x")]
        self.ref_dir = self.dir / "ref"

    def reference(self, name):
        """onnxruntime's value of output `name`."""
        return np.load(self.ref_dir / (sanitize(name) + ".npy"))


def run_checked(command, what, timeout=300, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{what} failed ({result.returncode}): {' '.join(map(str, command))}\n"
                    f"{result.stdout}\n{result.stderr}")
    return result


def make_model(name, workdir):
    """Generates model `name` (test/models/generate.py) into workdir/name with onnxruntime's
    outputs; reuses what an earlier call made."""
    directory = Path(workdir) / name
    if (directory / "ref.done").exists():
        return Model(directory)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    run_checked([PYTHON, ROOT / "test" / "models" / "generate.py", name, "--out",
                 directory / "model"], f"generating {name}")
    model = Model(directory)
    command = ["node", ROOT / "scripts" / "ort-run.mjs", model.onnx]
    for input_name, path in model.input_files.items():
        command += ["--input", f"{input_name}={path}"]
    run_checked(command + ["--output-dir", model.ref_dir, "--threads", "1"],
                f"onnxruntime on {name}")
    (directory / "ref.done").write_text("")
    return Model(directory)


def assert_matches_reference(model, names, outputs):
    """Each output equals onnxruntime's within compare.py's tolerances."""
    assert len(outputs) == len(names)
    for name, out in zip(names, outputs):
        ok, detail = compare_module.compare_arrays(model.reference(name), out, RTOL, ATOL)
        assert ok, f"output '{name}': {detail}"


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    given = os.environ.get("CLEAVE_TEST_WORKDIR")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        return Path(given)
    return tmp_path_factory.mktemp("work")


@pytest.fixture(scope="session")
def models(workdir):
    """models(name) -> Model, generated once per session."""
    made = {}

    def get(name):
        if name not in made:
            made[name] = make_model(name, workdir)
        return made[name]

    return get


@pytest.fixture(scope="session")
def cleave():
    import cleave as package
    return package


def pytest_report_header(config):
    try:
        import cleave as package
        where = os.path.dirname(package.__file__)
    except ImportError as error:
        where = f"not importable ({error}); set PYTHONPATH=build/python"
    return f"cleave package: {where}; python: {sys.executable}"
