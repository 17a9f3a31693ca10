#!/usr/bin/python3
# serve_dp.py - cleave-serve on one replica against a --dp=2 plan under mpirun -np 2, both
# on the same cores (one replica with T threads, two with T/2 each), loaded with Debian's
# hey over loopback (resnet18, binary tensor data, batched): throughput, p50/p99 latency,
# errors, and the batches each replica ran, from /metrics (docs/serving.md, "Load").
#
# usage: bench/serve_dp.py BINDIR [--threads T] [--requests N] [--concurrency C]
#                                 [--workdir DIR]
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PY = "/usr/bin/python3"
MPI_ENV = dict(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_hwloc_base_binding_policy="none",
               OMPI_MCA_btl="self,vader", OMPI_MCA_btl_vader_single_copy_mechanism="none")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bindir")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--requests", type=int, default=96)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    if shutil.which("hey") is None or shutil.which("mpirun") is None:
        sys.exit("serve_dp.py: error: needs hey and mpirun (apt-get install hey openmpi-bin)")
    bindir = Path(args.bindir).resolve()
    work = Path(args.workdir or bindir.parent / "bench" / "serve_dp")
    work.mkdir(parents=True, exist_ok=True)
    model_dir = work / "resnet18"
    if not (model_dir / "model.onnx").exists():
        subprocess.run([PY, ROOT / "test" / "models" / "generate.py", "resnet18", "--out",
                        model_dir], check=True, stdout=subprocess.DEVNULL)
    plans = {"1 replica": (work / "resnet18_b1248.cleave", ["--devices=cpu:0"]),
             "dp2": (work / "resnet18_dp2_b1248.cleave", ["--devices=cpu:0-1", "--dp=2"])}
    for artifact, devices in plans.values():
        if not artifact.exists():
            subprocess.run([bindir / "cleave-compile", model_dir / "model.onnx", *devices,
                            "--batch-sizes=1,2,4,8", "-o", artifact], check=True)
    name, file = (model_dir / "inputs.txt").read_text().split("=", 1)
    x = np.load(model_dir / file.strip())[:1].astype(np.float32)
    header = json.dumps({"inputs": [{"name": name, "datatype": "FP32", "shape": list(x.shape),
                                     "parameters": {"binary_data_size": x.nbytes}}],
                         "parameters": {"binary_data_output": True}}).encode()
    (work / "binary.body").write_bytes(header + x.tobytes())

    results = {}
    for case, (artifact, _) in plans.items():
        replicas = 2 if case == "dp2" else 1
        threads = max(1, args.threads // replicas)
        command = [bindir / "cleave-serve", artifact, "--port", "0", "--model-name",
                   "resnet18", "--threads", str(threads), "--max-batch", "8",
                   "--max-delay-ms", "2"]
        if replicas > 1:
            command = ["mpirun", "-np", str(replicas)] + command
        log = work / "server.out"
        log.write_text("")
        env = dict(os.environ)
        env.update(MPI_ENV)
        server = subprocess.Popen(command, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                                  env=env, start_new_session=True)
        try:
            port = None
            deadline = time.time() + 120
            while port is None and time.time() < deadline and server.poll() is None:
                match = re.search(r"on http://[^:]+:(\d+)", log.read_text())
                port = int(match.group(1)) if match else None
                time.sleep(0.1)
            if port is None:
                sys.exit(f"serve_dp.py: error: the server did not start: {log.read_text()}")
            url = f"http://127.0.0.1:{port}"
            hey = ["hey", "-m", "POST", "-T", "application/octet-stream", "-H",
                   f"Inference-Header-Content-Length: {len(header)}", "-D",
                   str(work / "binary.body"), url + "/v2/models/resnet18/infer"]
            subprocess.run(hey[:1] + ["-n", "8", "-c", "4"] + hey[1:], check=True,
                           stdout=subprocess.DEVNULL)  # warm-up
            text = subprocess.run(hey[:1] + ["-n", str(args.requests), "-c",
                                             str(args.concurrency)] + hey[1:],
                                  check=True, capture_output=True, text=True).stdout
            metrics = urllib.request.urlopen(url + "/metrics").read().decode()
        finally:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))

        def pct(p):
            match = re.search(rf"\s{p}% in ([0-9.]+) secs", text)
            return float(match.group(1)) * 1e3 if match else float("nan")
        codes = dict((int(a), int(b)) for a, b in re.findall(r"\[(\d+)\]\s+(\d+) responses",
                                                              text))
        errors = sum(v for k, v in codes.items() if k != 200) + \
            len(re.findall(r"Error distribution", text))
        runs = re.findall(r'cleave_replica_batch_runs_total\{replica="(\d+)"\} (\d+)', metrics)
        results[case] = (rate, pct(50), pct(99), errors, threads,
                         ", ".join(f"{r}: {n}" for r, n in runs))

    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"Model name:\s*(.*)", cpu)
    print(f"cpu: {model.group(1) if model else '?'}, {os.cpu_count()} cores; "
          f"{args.requests} requests at concurrency {args.concurrency}")
    print(f"{'case':<12} {'threads/rank':>12} {'samples/s':>10} {'p50 ms':>9} {'p99 ms':>9} "
          f"{'errors':>7}  batches by replica")
    for case, (rate, p50, p99, errors, threads, runs) in results.items():
        print(f"{case:<12} {threads:>12} {rate:>10.1f} {p50:>9.2f} {p99:>9.2f} {errors:>7}  "
              f"{runs}")
    print(f"dp2 / 1 replica: {results['dp2'][0] / results['1 replica'][0]:.2f}x")


if __name__ == "__main__":
    main()
