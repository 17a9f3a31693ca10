# test_grpc.py - cleave-serve's KServe v2 gRPC service (inference.GRPCInferenceService)
# driven by a Python client (grpcio, stubs generated from grpc_service.proto at test time):
# health and metadata, ModelInfer with raw_input_contents and typed contents against
# onnxruntime, concurrent calls batched, a pp2 plan under mpirun, bad calls answered with a
# status and a one-line reason while the server keeps serving, SIGTERM, command-line errors.
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest

from conftest import MPI_ENV, ROOT, SERVE, assert_close

grpc = pytest.importorskip("grpc")
pytest.importorskip("grpc_tools")


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    """The protocol's Python messages and client stub, generated from our .proto."""
    out = tmp_path_factory.mktemp("stubs")
    proto = ROOT / "runtime" / "src" / "serve"
    result = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{proto}",
                             f"--python_out={out}", f"--grpc_python_out={out}",
                             "grpc_service.proto"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(out))
    import grpc_service_pb2
    import grpc_service_pb2_grpc
    return grpc_service_pb2, grpc_service_pb2_grpc


@pytest.fixture(scope="module")
def mlp(models):
    """mlp_small: input float32[4, 16] -> output float32[4, 8]."""
    model = models("mlp_small")
    model.artifact = model.compile("mlp_grpc", "--devices=cpu:0")
    return model


def grpc_port(server):
    match = re.search(r"KServe v2 gRPC on [^\s]+:(\d+)\n", server.output())
    assert match, server.output()
    return int(match.group(1))


def client(server, stubs):
    pb, rpc = stubs
    channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port(server)}")
    return pb, rpc.GRPCInferenceServiceStub(channel)


def infer_request(pb, x, name="input", model="mlp", raw=True, outputs=(), request_id=""):
    request = pb.ModelInferRequest(model_name=model, id=request_id)
    tensor = request.inputs.add()
    tensor.name = name
    tensor.datatype = {np.dtype("float32"): "FP32", np.dtype("int64"): "INT64"}[x.dtype]
    tensor.shape.extend(x.shape)
    if raw:
        request.raw_input_contents.append(np.ascontiguousarray(x).tobytes())
    else:
        tensor.contents.fp32_contents.extend(x.flatten().tolist())
    for output in outputs:
        request.outputs.add().name = output
    return request


def output_array(reply, index=0):
    output = reply.outputs[index]
    assert output.datatype == "FP32"
    return np.frombuffer(reply.raw_output_contents[index], np.float32).reshape(output.shape)


def test_health_and_metadata(serve, mlp, stubs):
    server = serve([mlp.artifact, "--model-name", "mlp", "--grpc-port", "0"])
    pb, stub = client(server, stubs)
    assert stub.ServerLive(pb.ServerLiveRequest()).live
    assert stub.ServerReady(pb.ServerReadyRequest()).ready
    assert stub.ServerMetadata(pb.ServerMetadataRequest()).name == "cleave-serve"
    assert stub.ModelReady(pb.ModelReadyRequest(name="mlp")).ready
    assert stub.ModelReady(pb.ModelReadyRequest(name="mlp", version="1")).ready
    metadata = stub.ModelMetadata(pb.ModelMetadataRequest(name="mlp"))
    assert metadata.name == "mlp" and list(metadata.versions) == ["1"]
    assert [(t.name, t.datatype, list(t.shape)) for t in metadata.inputs] == [
        ("input", "FP32", [-1, 16])]
    assert [(t.name, t.datatype, list(t.shape)) for t in metadata.outputs] == [
        ("output", "FP32", [-1, 8])]
    with pytest.raises(grpc.RpcError) as error:
        stub.ModelMetadata(pb.ModelMetadataRequest(name="mlp", version="2"))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    assert error.value.details() == "unknown version '2' of model 'mlp' (it has version 1)"
    for call, request in [(stub.ModelReady, pb.ModelReadyRequest(name="other")),
                          (stub.ModelMetadata, pb.ModelMetadataRequest(name="other"))]:
        with pytest.raises(grpc.RpcError) as error:
            call(request)
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
        assert error.value.details() == "unknown model 'other' (this server has 'mlp')"


def test_infer_equals_onnxruntime(serve, mlp, stubs, tmp_path):
    audit = tmp_path / "audit.jsonl"
    server = serve([mlp.artifact, "--model-name", "mlp", "--grpc-port", "0",
                    "--max-delay-ms", "0", "--audit-log", audit])
    pb, stub = client(server, stubs)
    x, reference = mlp.inputs["input"], mlp.reference("output")
    reply = stub.ModelInfer(infer_request(pb, x, request_id="g1"))
    assert (reply.model_name, reply.model_version, reply.id) == ("mlp", "1", "g1")
    assert reply.outputs[0].name == "output"
    assert_close(reference, output_array(reply), "raw input")
    # Typed contents instead of raw bytes, and an output asked for by name.
    reply = stub.ModelInfer(infer_request(pb, x, raw=False, outputs=["output"]))
    assert_close(reference, output_array(reply), "fp32_contents input")
    # Fewer rows than the compiled batch: only the request's rows come back.
    for rows in (1, 3):
        reply = stub.ModelInfer(infer_request(pb, x[:rows]))
        assert list(reply.outputs[0].shape) == [rows, 8]
        assert_close(reference[:rows], output_array(reply), f"{rows} rows")
    metrics = server.get("/metrics").text
    assert re.search(r'cleave_requests_total\{model="mlp",status="200"\} 4\b', metrics), metrics
    assert '"request_id":"g1"' in audit.read_text()


def test_concurrent_calls_are_batched(serve, mlp, stubs):
    server = serve([mlp.artifact, "--model-name", "mlp", "--grpc-port", "0",
                    "--max-delay-ms", "200"])
    pb, stub = client(server, stubs)
    x, reference = mlp.inputs["input"], mlp.reference("output")
    results = [None] * 4

    def call(i):
        results[i] = output_array(stub.ModelInfer(infer_request(pb, x[i:i + 1])))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i in range(4):
        assert_close(reference[i:i + 1], results[i], f"request {i}")
    metrics = server.get("/metrics").text
    # Fewer batch runs than requests: at least two calls shared a batch.
    runs = sum(int(v) for v in re.findall(r"cleave_batch_runs_total\{[^}]*\} (\d+)", metrics))
    assert 1 <= runs < 4, metrics


def test_bad_calls_get_a_status_and_one_line(serve, mlp, stubs):
    server = serve([mlp.artifact, "--model-name", "mlp", "--grpc-port", "0",
                    "--max-body-mb", "0.01"])
    pb, stub = client(server, stubs)
    x = mlp.inputs["input"]
    no_data = infer_request(pb, x)
    del no_data.raw_input_contents[:]
    two_raw = infer_request(pb, x)
    two_raw.raw_input_contents.append(b"")
    short = infer_request(pb, x)
    short.raw_input_contents[0] = x.tobytes()[:10]
    cases = [
        (infer_request(pb, x, model="other"), grpc.StatusCode.NOT_FOUND,
         "unknown model 'other' (this server has 'mlp')"),
        (infer_request(pb, x, name="nope"), grpc.StatusCode.INVALID_ARGUMENT,
         "unknown input 'nope' (model inputs: input)"),
        (infer_request(pb, x.astype(np.int64)), grpc.StatusCode.INVALID_ARGUMENT,
         "input 'input': datatype INT64, the model expects FP32"),
        (infer_request(pb, x[:, :15].copy()), grpc.StatusCode.INVALID_ARGUMENT,
         "input 'input': shape [4, 15], the model expects [1..4, 16]"),
        (infer_request(pb, np.concatenate([x, x])), grpc.StatusCode.INVALID_ARGUMENT,
         "input 'input': shape [8, 16], the model expects [1..4, 16]"),
        (infer_request(pb, x, outputs=["o"]), grpc.StatusCode.INVALID_ARGUMENT,
         "unknown output 'o' (model outputs: output)"),
        (two_raw, grpc.StatusCode.INVALID_ARGUMENT,
         "2 raw_input_contents for 1 inputs; give one per input, or none"),
        (short, grpc.StatusCode.INVALID_ARGUMENT,
         "input 'input': binary_data_size is 10 bytes, the shape [4, 16] needs 256"),
        (no_data, grpc.StatusCode.INVALID_ARGUMENT,
         "input 'input': 0 elements, the shape [4, 16] holds 64"),
    ]
    for request, code, details in cases:
        with pytest.raises(grpc.RpcError) as error:
            stub.ModelInfer(request)
        assert (error.value.code(), error.value.details()) == (code, details)
    # A message over --max-body-mb: refused by gRPC itself.
    with pytest.raises(grpc.RpcError) as error:
        stub.ModelInfer(infer_request(pb, np.zeros((4, 16 * 100), np.float32)))
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # Still serving, over both protocols.
    assert_close(mlp.reference("output"), output_array(stub.ModelInfer(infer_request(pb, x))),
                 "after the bad calls")
    assert server.get("/v2/health/ready").status_code == 200


def test_sigterm_stops_both_protocols(serve, mlp, stubs):
    server = serve([mlp.artifact, "--model-name", "mlp", "--grpc-port", "0"])
    pb, stub = client(server, stubs)
    stub.ModelInfer(infer_request(pb, mlp.inputs["input"]))
    server.process.send_signal(signal.SIGTERM)
    assert server.wait(10) == 0, server.output()
    assert "stopped after answering every request" in server.output()


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="no mpirun")
def test_pp2_plan_under_mpirun(serve, mlp, stubs):
    artifact = mlp.compile("mlp_grpc_pp2", "--devices=cpu:0-1", "--microbatches=2")
    server = serve([artifact, "--model-name", "mlp", "--grpc-port", "0"], ranks=2)
    pb, stub = client(server, stubs)
    reply = stub.ModelInfer(infer_request(pb, mlp.inputs["input"]))
    assert_close(mlp.reference("output"), output_array(reply), "pp2 over gRPC")


def test_command_line_errors(mlp):
    result = subprocess.run([SERVE, str(mlp.artifact), "--grpc-port", "70000"],
                            capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (
        2, "cleave-serve: error: --grpc-port must be 0 to 65535, got '70000' "
           "(see cleave-serve --help)\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([SERVE, str(mlp.artifact), "--port", "0", "--grpc-port",
                                 str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == (f"cleave-serve: error: cannot listen for gRPC on 127.0.0.1:{port} "
                             "(in use, or not an address of this machine)\n")
