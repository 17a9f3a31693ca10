# test_bad_input.py - Every kind of bad request gets a 4xx with a one-line JSON reason, and
# the server keeps serving.
import json

import numpy as np
import pytest

from conftest import assert_close, infer_json

X = {"name": "input", "datatype": "FP32"}


def body_of(inputs, **extra):
    return json.dumps(dict({"inputs": inputs}, **extra)).encode()


ROW = list(range(16))
BINARY_HEADER = json.dumps({"inputs": [dict(X, shape=[1, 16],
                                            parameters={"binary_data_size": 64})]}).encode()

# (case, body, extra headers, status, error)
CASES = [
    ("malformed JSON", b'{"inputs": [', {}, 400, "malformed JSON in the request body"),
    ("not an object", b"[1, 2]", {}, 400, "the request body must be a JSON object"),
    ("no inputs", b"{}", {}, 400, 'the request needs an "inputs" array'),
    ("unknown input", body_of([{"name": "nope", "datatype": "FP32", "shape": [1, 16],
                                "data": ROW}]), {}, 400,
     "unknown input 'nope' (model inputs: input)"),
    ("missing input", body_of([]), {}, 400, "missing input 'input' (FP32[4, 16])"),
    ("wrong dtype", body_of([dict(X, datatype="INT64", shape=[1, 16], data=ROW)]), {}, 400,
     "input 'input': datatype INT64, the model expects FP32"),
    ("unknown dtype", body_of([dict(X, datatype="BYTES", shape=[1, 16], data=ROW)]), {}, 400,
     "input 'input': datatype BYTES, the model expects FP32"),
    ("wrong shape", body_of([dict(X, shape=[1, 15], data=ROW[:15])]), {}, 400,
     "input 'input': shape [1, 15], the model expects [1..4, 16]"),
    ("too many rows", body_of([dict(X, shape=[5, 16], data=ROW * 5)]), {}, 400,
     "input 'input': shape [5, 16], the model expects [1..4, 16]"),
    ("wrong rank", body_of([dict(X, shape=[16], data=ROW)]), {}, 400,
     "input 'input': shape [16], the model expects [1..4, 16]"),
    ("too few elements", body_of([dict(X, shape=[1, 16], data=ROW[:10])]), {}, 400,
     "input 'input': 10 elements, the shape [1, 16] holds 16"),
    ("too many elements", body_of([dict(X, shape=[1, 16], data=ROW * 2)]), {}, 400,
     "input 'input': more elements than the shape holds"),
    ("not a number", body_of([dict(X, shape=[1, 16], data=ROW[:15] + ["x"])]), {}, 400,
     "input 'input': element 15 (\"x\") is not a FP32 value"),
    ("unknown output", body_of([dict(X, shape=[1, 16], data=ROW)], outputs=[{"name": "o"}]),
     {}, 400, "unknown output 'o' (model outputs: output)"),
    ("short binary data", BINARY_HEADER + b"\0" * 10,
     {"Inference-Header-Content-Length": str(len(BINARY_HEADER))}, 400,
     "input 'input': binary data ends after 10 of its 64 bytes"),
    ("extra binary data", BINARY_HEADER + b"\0" * 70,
     {"Inference-Header-Content-Length": str(len(BINARY_HEADER))}, 400,
     "6 bytes of binary data belong to no input"),
    ("bad header length", BINARY_HEADER, {"Inference-Header-Content-Length": "abc"}, 400,
     "Inference-Header-Content-Length 'abc' is not a byte count"),
    ("header longer than body", BINARY_HEADER,
     {"Inference-Header-Content-Length": str(len(BINARY_HEADER) + 5)}, 400,
     f"Inference-Header-Content-Length is {len(BINARY_HEADER) + 5} but the body has "
     f"{len(BINARY_HEADER)} bytes"),
    ("oversized body", body_of([dict(X, shape=[1, 16], data=[0.5] * 16)], pad="x" * 20000),
     {}, 413, "request body larger than 10485 bytes"),
]


@pytest.fixture(scope="module")
def server(models, tmp_path_factory):
    """One server for every case, with a 10 KiB body limit."""
    from conftest import Server
    model = models("mlp_small")
    model.artifact = model.compile("mlp", "--devices=cpu:0")
    running = Server([model.artifact, "--model-name", "mlp", "--max-body-mb", "0.01",
                      "--max-delay-ms", "0"], tmp_path_factory.mktemp("bad"))
    running.model = model
    yield running
    running.kill()


@pytest.mark.parametrize("case, body, headers, status, error", CASES, ids=[c[0] for c in CASES])
def test_bad_request_gets_one_line_reason_and_the_server_keeps_serving(server, case, body,
                                                                       headers, status, error):
    reply = server.post("/v2/models/mlp/infer", data=body, headers=headers)
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"] == "application/json"
    assert "\n" not in reply.text.strip()
    assert reply.json() == {"error": error}
    good = server.post("/v2/models/mlp/infer", json=infer_json({"input": server.model.inputs["input"]}))
    assert good.status_code == 200, good.text
    output = good.json()["outputs"][0]
    assert_close(server.model.reference("output"),
                 np.array(output["data"], dtype=np.float32).reshape(output["shape"]), case)


def test_unknown_model_and_route(server):
    reply = server.post("/v2/models/other/infer", data=b"{}")
    assert reply.status_code == 404
    assert reply.json() == {"error": "unknown model 'other' (this server has 'mlp')"}
    reply = server.get("/v2/nothing")
    assert reply.status_code == 404
    assert reply.json() == {"error": "no route GET /v2/nothing"}


def test_bad_requests_are_counted_by_status(server):
    server.post("/v2/models/mlp/infer", data=b"{")
    metrics = server.get("/metrics").text
    assert 'cleave_requests_total{model="mlp",status="400"}' in metrics
    assert 'cleave_requests_total{model="mlp",status="413"}' in metrics
    assert server.process.poll() is None
