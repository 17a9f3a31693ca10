#!/usr/bin/python3
# grpc_load.py - cleave-serve's KServe v2 gRPC service under load (python3-grpcio, loopback
# only, a bounded number of calls): resnet18 with raw_input_contents at concurrency 1, 8
# and 32, batched (--max-batch 8) against unbatched (--max-batch 1), and cleave-run's
# offline throughput at batch 1 and 8 in the same session (docs/serving.md, "Load").
#
# usage: bench/grpc_load.py BINDIR [--threads T] [--calls N] [--workdir DIR]
# Prints one table; every figure comes from this run. Each call is checked against the
# first answer of the same input (the outputs must not change under load).
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PY = "/usr/bin/python3"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bindir")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--calls", type=int, default=96)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    bindir = Path(args.bindir).resolve()
    work = Path(args.workdir or bindir.parent / "bench" / "grpc")
    work.mkdir(parents=True, exist_ok=True)
    try:
        import grpc  # noqa: F401
    except ImportError:
        sys.exit("grpc_load.py: error: python3-grpcio is missing (apt-get install "
                 "python3-grpcio python3-grpc-tools)")
    threads = ["--threads", str(args.threads)] if args.threads else []

    model_dir = work / "resnet18"
    if not (model_dir / "model.onnx").exists():
        subprocess.run([PY, ROOT / "test" / "models" / "generate.py", "resnet18", "--out",
                        model_dir], check=True, stdout=subprocess.DEVNULL)
    artifact = work / "resnet18_b1248.cleave"
    if not artifact.exists():
        subprocess.run([bindir / "cleave-compile", model_dir / "model.onnx", "--devices=cpu:0",
                        "--batch-sizes=1,2,4,8", "-o", artifact], check=True)
    name, file = (model_dir / "inputs.txt").read_text().split("=", 1)
    x = np.load(model_dir / file.strip())[:1].astype(np.float32)
    np.save(work / "x1.npy", x)
    np.save(work / "x8.npy", np.concatenate([x] * 8))

    stubs = work / "stubs"
    stubs.mkdir(exist_ok=True)
    subprocess.run([PY, "-m", "grpc_tools.protoc", f"-I{ROOT / 'runtime' / 'src' / 'serve'}",
                    f"--python_out={stubs}", f"--grpc_python_out={stubs}",
                    "grpc_service.proto"], check=True)
    sys.path.insert(0, str(stubs))
    import grpc
    import grpc_service_pb2 as pb
    import grpc_service_pb2_grpc as rpc

    def offline(batch):
        out = subprocess.run([bindir / "cleave-run", artifact, "--input",
                              f"{name}={work / f'x{batch}.npy'}", "--output-dir", work / "out",
                              "--repeat", "10", *threads], capture_output=True, text=True,
                             check=True).stdout
        return float(re.search(r"median=([0-9.]+)", out).group(1))

    print("warming up and measuring cleave-run offline...", flush=True)
    off1, off8 = offline(1), offline(8)

    request = pb.ModelInferRequest(model_name="resnet18")
    tensor = request.inputs.add()
    tensor.name, tensor.datatype = name, "FP32"
    tensor.shape.extend(x.shape)
    request.raw_input_contents.append(x.tobytes())

    def run_case(stub, concurrency, calls, expected):
        latencies, errors, lock = [], [0], threading.Lock()
        remaining = [calls]

        def worker():
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                start = time.perf_counter()
                try:
                    reply = stub.ModelInfer(request, timeout=120)
                    out = np.frombuffer(reply.raw_output_contents[0], np.float32)
                    ok = np.allclose(out, expected, rtol=1e-3, atol=1e-4)
                except grpc.RpcError:
                    ok = False
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    errors[0] += 0 if ok else 1

        began = time.perf_counter()
        workers = [threading.Thread(target=worker) for _ in range(concurrency)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        wall = time.perf_counter() - began
        ms = np.array(latencies) * 1e3
        return calls / wall, np.percentile(ms, 50), np.percentile(ms, 99), errors[0]

    results = {}
    for mode, options in [("unbatched", ["--max-batch", "1", "--max-delay-ms", "0"]),
                          ("batched", ["--max-batch", "8", "--max-delay-ms", "2"])]:
        log = open(work / "server.out", "w")
        server = subprocess.Popen([bindir / "cleave-serve", artifact, "--port", "0",
                                   "--grpc-port", "0", "--model-name", "resnet18", *threads,
                                   *options], stdout=log, stderr=subprocess.STDOUT)
        try:
            port = None
            deadline = time.time() + 60
            while port is None and time.time() < deadline and server.poll() is None:
                match = re.search(r"KServe v2 gRPC on [^\s]+:(\d+)",
                                  (work / "server.out").read_text())
                port = int(match.group(1)) if match else None
                time.sleep(0.1)
            if port is None:
                sys.exit("grpc_load.py: error: the server did not start: " +
                         (work / "server.out").read_text())
            channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[
                ("grpc.max_receive_message_length", 64 << 20),
                ("grpc.max_send_message_length", 64 << 20)])
            stub = rpc.GRPCInferenceServiceStub(channel)
            expected = np.frombuffer(stub.ModelInfer(request).raw_output_contents[0],
                                     np.float32).copy()
            for concurrency in (1, 8, 32):
                calls = args.calls // 2 if concurrency == 1 else args.calls
                results[mode, concurrency] = run_case(stub, concurrency, calls, expected)
            channel.close()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)

    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"Model name:\s*(.*)", cpu)
    print(f"\ncpu: {model.group(1) if model else '?'}, {os.cpu_count()} cores; "
          f"threads={args.threads} (0: all)")
    print(f"cleave-run offline: batch 1 {off1:.2f} ms ({1000 / off1:.1f} samples/s), "
          f"batch 8 {off8:.2f} ms ({8000 / off8:.1f} samples/s)")
    print(f"{'gRPC (raw, resnet18)':<24} {'samples/s':>10} {'p50 ms':>9} {'p99 ms':>9} "
          f"{'errors':>7}")
    for mode in ("unbatched", "batched"):
        for concurrency in (1, 8, 32):
            rate, p50, p99, errors = results[mode, concurrency]
            print(f"{mode + ' c=' + str(concurrency):<24} {rate:>10.1f} {p50:>9.2f} "
                  f"{p99:>9.2f} {errors:>7}")
    print(f"batched c=32 / cleave-run batch 8: "
          f"{results['batched', 32][0] / (8000 / off8) * 100:.0f} %")
    print(f"unbatched c=1 p50 - cleave-run batch 1: {results['unbatched', 1][1] - off1:+.2f} ms")


if __name__ == "__main__":
    main()
