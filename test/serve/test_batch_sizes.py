# test_batch_sizes.py - cleave-compile --batch-sizes: one artifact with a plan per batch
# size and the weights once; cleave-run and cleave-serve pick the plan by dim 0, against
# onnxruntime.
import json
import os
import re
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import COMPILE, assert_close, infer_json

RUN = str(Path(COMPILE).with_name("cleave-run"))


@pytest.fixture(scope="module")
def mlp(models):
    """mlp_small (input float32[4, 16] -> output float32[4, 8]) for batches 1, 2 and 4."""
    model = models("mlp_small")
    model.single = model.compile("mlp", "--devices=cpu:0")
    model.artifact = model.compile("mlp_b124", "--devices=cpu:0", "--batch-sizes=1,2,4")
    return model


def manifest_of(artifact):
    """The manifest's JSON, as cleave-run --info does not print it whole."""
    data = Path(artifact).read_bytes()
    offset = int.from_bytes(data[16:24], "little")
    size = int.from_bytes(data[24:32], "little")
    return json.loads(data[offset:offset + size])


def test_one_artifact_holds_every_batch_size_and_the_weights_once(mlp):
    manifest = manifest_of(mlp.artifact)
    assert manifest["options"]["batch_sizes"] == [1, 2, 4]
    assert manifest["inputs"][0]["shape"] == [4, 16]
    assert [v["batch"] for v in manifest["variants"]] == [1, 2]
    assert [v["inputs"][0]["shape"] for v in manifest["variants"]] == [[1, 16], [2, 16]]
    assert [v["stages"][0]["code"] for v in manifest["variants"]] == ["code.rank0.b1",
                                                                      "code.rank0.b2"]
    kinds = [s["kind"] for s in manifest["sections"]]
    assert kinds.count("params") == 1 and kinds.count("cpu-elf-so") == 3
    single = manifest_of(mlp.single)
    assert ([s["size"] for s in manifest["sections"] if s["kind"] == "params"] ==
            [s["size"] for s in single["sections"] if s["kind"] == "params"])
    info = subprocess.run([RUN, "--info", mlp.artifact], capture_output=True, text=True)
    assert info.returncode == 0, info.stderr
    assert "batch sizes: 1, 2, 4 (the main plan below has batch 4)" in info.stdout


@pytest.mark.parametrize("rows", [1, 2, 4])
def test_cleave_run_picks_the_plan_of_the_inputs_batch(mlp, rows, tmp_path):
    np.save(tmp_path / "x.npy", mlp.inputs["input"][:rows])
    result = subprocess.run([RUN, mlp.artifact, "--input", f"input={tmp_path / 'x.npy'}",
                             "--output-dir", tmp_path / "out"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert_close(mlp.reference("output")[:rows], np.load(tmp_path / "out" / "output.npy"),
                 f"batch {rows}")


def test_cleave_run_names_the_batch_sizes_there_are(mlp, tmp_path):
    np.save(tmp_path / "x.npy", mlp.inputs["input"][:3])
    result = subprocess.run([RUN, mlp.artifact, "--input", f"input={tmp_path / 'x.npy'}",
                             "--output-dir", tmp_path / "out"], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"cleave-run: error: artifact '{mlp.artifact}' has no plan for batch 3 "
        "(batch sizes: 1, 2, 4)"]


@pytest.mark.parametrize("sizes, message", [
    ("1,0", "cleave-compile: error: --batch-sizes expects a positive integer, got '0'"),
    ("2,2", "cleave-compile: error: --batch-sizes: batch 2 is given twice"),
    ("3", "cleave-compile: error: --batch-sizes: batch 3: input 'input' has dim 0 = 3, "
          "which --microbatches=2 does not divide"),
])
def test_bad_batch_sizes_are_refused_in_one_line(mlp, sizes, message, tmp_path):
    result = subprocess.run([COMPILE, mlp.onnx, "--devices=cpu:0-1", "--microbatches=2",
                             f"--batch-sizes={sizes}", "-o", tmp_path / "x.cleave"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [message]


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def test_server_runs_the_smallest_plan_a_batch_fits_in(serve, mlp):
    server = serve([mlp.artifact, "--model-name", "mlp", "--max-delay-ms", "0"])
    x = mlp.inputs["input"]
    reply = server.post("/v2/models/mlp/infer", json=infer_json({"input": x[:1]}))
    assert reply.status_code == 200, reply.text
    assert_close(mlp.reference("output")[:1],
                 np.array(reply.json()["outputs"][0]["data"], dtype=np.float32).reshape(1, 8),
                 "one row")
    reply = server.post("/v2/models/mlp/infer", json=infer_json({"input": x[:3]}))
    assert reply.status_code == 200, reply.text
    assert_close(mlp.reference("output")[:3],
                 np.array(reply.json()["outputs"][0]["data"], dtype=np.float32).reshape(3, 8),
                 "three rows")
    metrics = server.get("/metrics").text
    assert metric(metrics, 'cleave_batch_runs_total{plan_batch="1"}') == 1, metrics
    assert metric(metrics, 'cleave_batch_runs_total{plan_batch="4"}') == 1, metrics
    assert metric(metrics, 'cleave_batch_runs_total{plan_batch="2"}') == 0, metrics


def test_python_session_picks_the_plan_of_the_feeds_batch(mlp):
    cleave = pytest.importorskip("cleave")
    x = mlp.inputs["input"]
    with cleave.InferenceSession(str(mlp.artifact), threads=1) as session:
        for rows in (1, 2, 4):
            [out] = session.run(None, {"input": x[:rows]})
            assert_close(mlp.reference("output")[:rows], out, f"batch {rows}")
        with pytest.raises(cleave.Error, match=r"input 'input': the artifact has no plan for "
                                               r"batch 3 \(batch sizes: 1, 2, 4\)"):
            session.run(None, {"input": x[:3]})
