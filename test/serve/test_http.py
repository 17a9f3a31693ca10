# test_http.py - cleave-serve's endpoints, outputs against onnxruntime, batching, the audit
# log and draining on SIGTERM.
import json
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

from conftest import (SERVE, assert_close, decode_binary_response, infer_binary, infer_json,
                      sha256_of)


@pytest.fixture(scope="module")
def mlp(models):
    """mlp_small: input float32[4, 16] -> output float32[4, 8]."""
    model = models("mlp_small")
    model.artifact = model.compile("mlp", "--devices=cpu:0")
    return model


def test_health_metadata_and_readiness(serve, mlp):
    server = serve([mlp.artifact, "--model-name", "mlp"])
    assert server.get("/v2/health/live").json() == {"live": True}
    ready = server.get("/v2/health/ready")
    assert ready.status_code == 200 and ready.json() == {"ready": True}
    assert server.get("/v2/models/mlp/ready").json() == {"name": "mlp", "ready": True}
    metadata = server.get("/v2/models/mlp").json()
    assert metadata["name"] == "mlp"
    assert metadata["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 16]}]
    assert metadata["outputs"] == [{"name": "output", "datatype": "FP32", "shape": [-1, 8]}]
    assert metadata["parameters"]["max_batch_size"] == 4
    missing = server.get("/v2/models/other")
    assert missing.status_code == 404
    assert missing.json() == {"error": "unknown model 'other' (this server has 'mlp')"}
    assert server.get("/v2/models/other/ready").status_code == 404


def test_json_and_binary_outputs_equal_onnxruntime(serve, mlp):
    server = serve([mlp.artifact, "--model-name", "mlp", "--max-delay-ms", "0"])
    x = mlp.inputs["input"]
    reply = server.post("/v2/models/mlp/infer", json=infer_json({"input": x}, request_id="r1"))
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["id"] == "r1" and answer["model_name"] == "mlp"
    [output] = answer["outputs"]
    assert output["name"] == "output" and output["datatype"] == "FP32"
    assert output["shape"] == [4, 8]
    got = np.array(output["data"], dtype=np.float32).reshape(output["shape"])
    assert_close(mlp.reference("output"), got, "JSON output")

    body, headers = infer_binary({"input": x})
    reply = server.post("/v2/models/mlp/infer", data=body, headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == "application/octet-stream"
    assert_close(mlp.reference("output"), decode_binary_response(reply)["output"],
                 "binary output")
    # Fewer rows than the compiled batch: padded, and only the request's rows come back.
    body, headers = infer_binary({"input": x[1:3]})
    reply = server.post("/v2/models/mlp/infer", data=body, headers=headers)
    assert reply.status_code == 200, reply.text
    assert_close(mlp.reference("output")[1:3], decode_binary_response(reply)["output"],
                 "two rows")


def metric(text, name):
    """The value of the Prometheus sample `name` (with its labels) in `text`."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no sample {name} in /metrics:\n{text}")


def test_concurrent_requests_are_batched_and_split_back(serve, mlp, tmp_path):
    audit = tmp_path / "audit.jsonl"
    server = serve([mlp.artifact, "--model-name", "mlp", "--max-delay-ms", "500",
                    "--audit-log", audit])
    x = mlp.inputs["input"]
    results = [None] * 4

    def send(row):
        reply = server.post("/v2/models/mlp/infer",
                            json=infer_json({"input": x[row:row + 1]}, request_id=f"row{row}"))
        results[row] = reply

    threads = [threading.Thread(target=send, args=(row,)) for row in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for row, reply in enumerate(results):
        assert reply.status_code == 200, reply.text
        answer = reply.json()
        assert answer["id"] == f"row{row}"
        got = np.array(answer["outputs"][0]["data"], dtype=np.float32).reshape(1, 8)
        assert_close(mlp.reference("output")[row:row + 1], got, f"row {row}")

    metrics = server.get("/metrics").text
    assert metric(metrics, 'cleave_requests_total{model="mlp",status="200"}') == 4
    assert metric(metrics, "cleave_request_latency_seconds_count") == 4
    # Four one-row requests within 500 ms fill the compiled batch of 4 in fewer runs.
    batches = metric(metrics, "cleave_batch_size_count")
    assert batches < 4, metrics
    assert metric(metrics, "cleave_batch_size_sum") == 4
    assert metric(metrics, "cleave_queue_depth") == 0
    assert "# TYPE cleave_request_latency_seconds histogram" in metrics

    # One audit line per request, naming the artifact and the model it came from.
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert sorted(r["request_id"] for r in records) == ["row0", "row1", "row2", "row3"]
    for record in records:
        assert record["status"] == 200 and record["model"] == "mlp"
        assert record["artifact_sha256"] == sha256_of(mlp.artifact)
        assert record["source_sha256"] == sha256_of(mlp.onnx)
        assert record["plan"] == {"devices": ["cpu:0"], "pp": 1, "tp": 1, "dp": 1, "microbatches": 1}
        assert record["latency_ms"] > 0 and record["time"].endswith("Z")
    assert max(r["batch_rows"] for r in records) > 1


def test_unbatched_server_runs_one_request_per_batch(serve, mlp):
    server = serve([mlp.artifact, "--model-name", "mlp", "--max-batch", "1",
                    "--instances", "2", "--threads", "1"])
    x = mlp.inputs["input"]
    replies = [None] * 4

    def send(row):
        replies[row] = server.post("/v2/models/mlp/infer", json=infer_json({"input": x[row:row + 1]}))

    threads = [threading.Thread(target=send, args=(row,)) for row in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for row, reply in enumerate(replies):
        assert reply.status_code == 200, reply.text
        got = np.array(reply.json()["outputs"][0]["data"], dtype=np.float32).reshape(1, 8)
        assert_close(mlp.reference("output")[row:row + 1], got, f"row {row}")
    metrics = server.get("/metrics").text
    assert metric(metrics, "cleave_batch_size_count") == 4


def test_sigterm_answers_the_requests_in_flight_then_exits_0(serve, mlp):
    # Requests wait up to 3 s for a full batch; SIGTERM arrives while they wait.
    server = serve([mlp.artifact, "--model-name", "mlp", "--max-delay-ms", "3000"])
    x = mlp.inputs["input"]
    replies = [None] * 2

    def send(row):
        replies[row] = server.post("/v2/models/mlp/infer", json=infer_json({"input": x[row:row + 1]}))

    threads = [threading.Thread(target=send, args=(row,)) for row in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.time() + 10
    while time.time() < deadline:
        if "cleave_queue_depth 2" in server.get("/metrics").text:
            break
        time.sleep(0.05)
    server.process.send_signal(signal.SIGTERM)
    status = server.wait(20)
    for thread in threads:
        thread.join()
    assert status == 0, server.output()
    for row, reply in enumerate(replies):
        assert reply is not None and reply.status_code == 200, reply and reply.text
        got = np.array(reply.json()["outputs"][0]["data"], dtype=np.float32).reshape(1, 8)
        assert_close(mlp.reference("output")[row:row + 1], got, f"row {row}")
    assert "stopped after answering every request" in server.output()


def run_cli(*args):
    return subprocess.run([SERVE, *map(str, args)], capture_output=True, text=True, timeout=60)


def test_help_answers_the_questions_a_user_has():
    result = run_cli("--help")
    assert result.returncode == 0
    for needle in ["/v2/models/NAME/infer", "--max-batch", "--max-delay-ms", "--instances",
                   "--audit-log", "binary", "mpirun", "SIGTERM", "--port", "0 picks a free one"]:
        assert needle in result.stdout, needle


@pytest.mark.parametrize("args, message", [
    ([], "cleave-serve: error: no artifact given (see cleave-serve --help)"),
    (["m.cleave", "--bogus"], "cleave-serve: error: unknown option '--bogus' (see cleave-serve --help)"),
    (["m.cleave", "--port", "70000"],
     "cleave-serve: error: --port must be 0 to 65535, got '70000' (see cleave-serve --help)"),
    (["m.cleave", "--max-batch=0"],
     "cleave-serve: error: --max-batch must be a positive integer, got '0' (see cleave-serve --help)"),
    (["m.cleave", "--max-delay-ms", "-1"],
     "cleave-serve: error: --max-delay-ms must be 0 to 60000, got '-1' (see cleave-serve --help)"),
    (["m.cleave", "--instances"], "cleave-serve: error: --instances needs a value (see cleave-serve --help)"),
])
def test_a_bad_command_line_prints_one_line(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [message]


def test_a_missing_artifact_or_busy_port_prints_one_line(serve, mlp, tmp_path):
    result = run_cli(tmp_path / "none.cleave")
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("cleave-serve: error: ") and "none.cleave" in result.stderr
    server = serve([mlp.artifact])
    result = run_cli(mlp.artifact, "--port", server.port)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"cleave-serve: error: cannot listen on 127.0.0.1:{server.port} "
        "(in use, or not an address of this machine)"]
    result = run_cli(mlp.artifact, "--port", "0", "--audit-log", tmp_path / "no" / "dir.jsonl")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"cleave-serve: error: cannot open the audit log '{tmp_path / 'no' / 'dir.jsonl'}': "
        "No such file or directory"]
