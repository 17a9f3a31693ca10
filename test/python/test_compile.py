# test_compile.py - cleave.compile and cleave.explain: options, outputs and one-line errors.
import json
import re
import struct

import numpy as np
import pytest

from conftest import assert_matches_reference


@pytest.fixture(scope="module")
def small(models):
    return models("mlp_small")


def test_compile_writes_an_artifact_that_runs(cleave, small, tmp_path):
    artifact = tmp_path / "small.cleave"
    assert cleave.compile(small.onnx, artifact, devices="cpu:0") is None
    session = cleave.InferenceSession(artifact, threads=1)
    names = [o.name for o in session.get_outputs()]
    assert_matches_reference(small, names, session.run(None, small.inputs))


def test_compile_without_output_returns_the_bytes(cleave, small, tmp_path):
    data = cleave.compile(str(small.onnx))
    assert isinstance(data, bytes) and len(data) > 1000
    # The same model given as bytes compiles too, and runs.
    from_bytes = cleave.compile(small.onnx.read_bytes())
    path = tmp_path / "from_bytes.cleave"
    path.write_bytes(from_bytes)
    session = cleave.InferenceSession(str(path))
    names = [o.name for o in session.get_outputs()]
    assert_matches_reference(small, names, session.run(None, small.inputs))


def test_compile_binds_input_shapes_and_microbatches(cleave, models, tmp_path):
    gpt = models("gpt_b4")  # dynamic batch and sequence dims
    assert gpt.input_shapes == {"input_ids": [4, 32]}
    artifact = tmp_path / "gpt.cleave"
    cleave.compile(gpt.onnx, artifact, devices="cpu:0", microbatches=2,
                   input_shapes=gpt.input_shapes)
    session = cleave.InferenceSession(artifact, threads=1)
    assert [(i.name, i.shape, i.type) for i in session.get_inputs()] == \
        [("input_ids", [4, 32], "tensor(int64)")]
    names = [o.name for o in session.get_outputs()]
    assert_matches_reference(gpt, names, session.run(None, gpt.inputs))


def test_explain_prints_the_plan(cleave, small):
    text = cleave.explain(small.onnx, devices="cpu:0-3", pp=2, tp=2)
    assert text.startswith("pipeline plan: 2 stage(s) on cpu:0-3, 1 microbatch(es)")
    assert "stage 0 on cpu:0,cpu:1" in text and "stage 1 on cpu:2,cpu:3" in text
    assert "tensor-parallel group of 2 ranks" in text
    assert "bottleneck: stage" in text
    # The plan of a pipeline over two CPUs with microbatches.
    text = cleave.explain(small.onnx, devices="cpu:0-1", microbatches=2)
    assert text.startswith("pipeline plan: 2 stage(s) on cpu:0-1, 2 microbatch(es)")


def test_plan_auto_chooses_and_compiles_the_explained_plan(cleave, small, tmp_path):
    text = cleave.explain(small.onnx, devices="cpu:0-1", plan="auto")
    assert text.startswith("plan search: ")
    chosen = re.search(r"^chosen: pp=(\d+) tp=(\d+) microbatches=(\d+)", text, re.M)
    assert chosen, text
    out = tmp_path / "auto.cleave"
    cleave.compile(small.onnx, out, devices="cpu:0-1", plan="auto")
    data = out.read_bytes()
    offset, size = struct.unpack_from("<QQ", data, 16)
    options = json.loads(data[offset:offset + size])["options"]
    assert (options["pp"], options["tp"], options["microbatches"]) == \
        tuple(int(g) for g in chosen.groups())
    expect_error(lambda: cleave.compile(small.onnx, out, devices="cpu:0-1", plan="auto", tp=2),
                 "--plan=auto chooses pp, tp and microbatches: do not give them too")
    expect_error(lambda: cleave.compile(small.onnx, out, plan="best"),
                 "--plan expects auto or manual, got 'best'")


def expect_error(call, message):
    """`call` raises cleave.Error whose whole message is `message`, on one line."""
    import cleave
    with pytest.raises(cleave.Error) as raised:
        call()
    text = str(raised.value)
    assert "\n" not in text
    assert text == message
    assert isinstance(raised.value, RuntimeError)
    return raised.value


def test_compile_errors_are_one_line(cleave, small, tmp_path):
    out = tmp_path / "x.cleave"
    missing = tmp_path / "missing.onnx"
    error = expect_error(lambda: cleave.compile(missing, out),
                         f"cannot read model '{missing}': No such file or directory")
    assert error.code is None
    expect_error(lambda: cleave.compile(small.onnx, out, devices="tpu:0"),
                 "unknown device kind 'tpu' in --devices (expected cpu, cuda or rocm)")
    expect_error(lambda: cleave.explain(small.onnx, devices="cpu:0-3", pp=3),
                 "--pp (3) x --tp (1) must equal the number of devices (4)")
    expect_error(lambda: cleave.compile(small.onnx, out, input_shapes={"input": [4, 0]}),
                 "--input-shape for 'input': bad dim '0' in '4x0'")
    expect_error(lambda: cleave.compile(small.onnx, out, input_shapes={"nope": [4, 16]}),
                 "--input-shape names 'nope', which is not a graph input")
    expect_error(lambda: cleave.compile(small.onnx, tmp_path / "no" / "x.cleave"),
                 f"cannot write '{tmp_path / 'no' / 'x.cleave'}': No such file or directory")
    expect_error(lambda: cleave.compile(b"not a model"),
                 "'<bytes>' is not a valid ONNX model (protobuf parsing failed; truncated?)")
    assert not out.exists()


def test_compile_rejects_arguments_of_the_wrong_type(cleave, small):
    with pytest.raises(TypeError):
        cleave.compile(42)
    with pytest.raises(TypeError):
        cleave.compile(small.onnx, input_shapes=[("input", [4, 16])])
    with pytest.raises(TypeError):
        cleave.compile(small.onnx, pp="two")
