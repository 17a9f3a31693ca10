# test_models.py - The e2e models compiled and run from Python, against onnxruntime.
import time

import pytest

from conftest import assert_matches_reference


@pytest.mark.parametrize("name", ["mlp", "resnet18", "gpt"])
def test_model_matches_onnxruntime(cleave, models, name):
    model = models(name)
    artifact = model.dir / f"{name}.cleave"
    start = time.monotonic()
    cleave.compile(model.onnx, artifact, devices="cpu:0", input_shapes=model.input_shapes)
    compiled = time.monotonic() - start
    session = cleave.InferenceSession(artifact, threads=2)
    assert [i.name for i in session.get_inputs()] == list(model.inputs)
    names = [o.name for o in session.get_outputs()]
    start = time.monotonic()
    outputs = session.run(None, model.inputs)
    ran = time.monotonic() - start
    assert_matches_reference(model, names, outputs)
    print(f"{name}: compile {compiled:.1f} s, run {ran * 1e3:.1f} ms")
