# test_dp.py - Plans with data-parallel replicas (cleave-compile --dp=2) served under mpirun:
# rank 0 of replica 0 listens and spreads formed batches over the replicas; outputs against
# onnxruntime, /metrics counting work on both replicas, SIGTERM, and a rank of the other
# replica that stops or dies ending the job within 10 s, named.
import os
import re
import shutil
import signal
import threading

import numpy as np
import pytest

from conftest import assert_close, decode_binary_response, fault_rank, infer_binary, rank_pid

pytestmark = pytest.mark.skipif(shutil.which("mpirun") is None, reason="no mpirun")


@pytest.fixture(scope="module")
def mlp(models):
    """mlp_small: input float32[4, 16] -> output float32[4, 8]."""
    return models("mlp_small")


def metric(text, name):
    match = re.search(re.escape(name) + r" (\S+)", text)
    return float(match.group(1)) if match else None


def concurrent_rows(server, model, requests_count):
    """Sends `requests_count` one-row requests at once (row i % 4 of the model's input) and
    checks each answer against onnxruntime's row."""
    x = model.inputs["input"]
    reference = model.reference("output")
    replies = [None] * requests_count

    def send(i):
        body, headers = infer_binary({"input": x[i % 4:i % 4 + 1]})
        replies[i] = server.post("/v2/models/mlp/infer", data=body, headers=headers)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(requests_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, reply in enumerate(replies):
        assert reply.status_code == 200, reply.text
        assert_close(reference[i % 4:i % 4 + 1], decode_binary_response(reply)["output"],
                     f"request {i}")


@pytest.mark.parametrize("plan,ranks", [(["--batch-sizes=1,2,4"], 2),
                                        (["--pp=2", "--microbatches=2", "--batch-sizes=2,4"], 4)])
def test_dp2_served_spreads_batches_over_both_replicas(serve, mlp, plan, ranks):
    artifact = mlp.compile(f"mlp_dp2_{ranks}", f"--devices=cpu:0-{ranks - 1}", "--dp=2", *plan)
    server = serve([artifact, "--model-name", "mlp", "--max-delay-ms", "1"], ranks=ranks)
    assert server.get("/v2/health/ready").status_code == 200
    # Whole 4-row requests: each is one batch, so both replicas take some.
    body, headers = infer_binary({"input": mlp.inputs["input"]})
    for _ in range(2):
        reply = server.post("/v2/models/mlp/infer", data=body, headers=headers)
        assert reply.status_code == 200, reply.text
        assert_close(mlp.reference("output"), decode_binary_response(reply)["output"], "4 rows")
    concurrent_rows(server, mlp, 24)
    metrics = server.get("/metrics").text
    runs = [metric(metrics, f'cleave_replica_batch_runs_total{{replica="{r}"}}') for r in (0, 1)]
    rows = [metric(metrics, f'cleave_replica_rows_total{{replica="{r}"}}') for r in (0, 1)]
    assert all(count and count >= 1 for count in runs), metrics
    assert sum(rows) == 2 * 4 + 24, metrics
    assert metric(metrics, 'cleave_requests_total{model="mlp",status="200"}') == 26
    # Every rank of both replicas reports its stage's times, each having run its replica's
    # batches.
    for rank in range(ranks):
        replica, stage = divmod(rank, ranks // 2)
        count = metric(metrics, f'cleave_stage_run_seconds_count{{rank="{rank}",stage="{stage}"}}')
        assert count == runs[replica], (rank, metrics)
    # SIGTERM to the server: it answers, stops both replicas and the job ends 0.
    os.kill(rank_pid(server, 0), signal.SIGTERM)
    assert server.wait(30) == 0, server.output()
    assert "stopped after answering every request" in server.output()


@pytest.mark.parametrize("fault", ["SIGSTOP", "SIGKILL"])
def test_a_rank_of_another_replica_that_stops_or_dies_ends_the_server(serve, mlp, fault):
    artifact = mlp.compile("mlp_dp2_pp2_fault", "--devices=cpu:0-3", "--dp=2", "--pp=2")
    server = serve([artifact, "--model-name", "mlp", "--timeout-s", "4"], ranks=4)
    assert server.get("/v2/health/ready").status_code == 200
    # Rank 3: the second stage of replica 1, which follows replica 1's rank 2.
    status, elapsed, saw_not_ready = fault_rank(server, 3, fault)
    assert status is not None, f"the server still runs {elapsed:.1f} s after {fault} of rank 3"
    assert status != 0
    assert elapsed <= 10, f"the job took {elapsed:.1f} s to end"
    output = server.output()
    if fault == "SIGSTOP":
        # Replica 1's first rank (job rank 2) waited for rank 3's heartbeat answer and says
        # so, before the ranks waiting on it do.
        assert ("cleave-serve: error: rank 2: no progress for 4 s: waiting for the recv of 4 "
                "bytes from rank 1 (job rank 3)") in output, output
        assert saw_not_ready
    else:
        assert "process rank 3" in output, output


def run_mpi(ranks, *args):
    import subprocess
    from conftest import MPI_ENV, RUN
    env = dict(os.environ)
    env.update(MPI_ENV)
    return subprocess.run(["mpirun", "-np", str(ranks), RUN, *map(str, args)],
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("plan,ranks", [([], 2), (["--pp=2", "--microbatches=2"], 4)])
def test_cleave_run_splits_the_batch_over_the_replicas(mlp, tmp_path, plan, ranks):
    from conftest import onnxruntime_outputs
    artifact = mlp.compile(f"mlp_run_dp2_{ranks}", f"--devices=cpu:0-{ranks - 1}", "--dp=2",
                           *plan)
    # 8 rows for two replicas of a 4-row plan: rows 0-3 run on replica 0, 4-7 on replica 1.
    x = mlp.inputs["input"]
    rows = np.concatenate([x, np.flip(x, 0) * 0.5 + 0.25]).astype(np.float32)
    np.save(tmp_path / "x.npy", rows)
    result = run_mpi(ranks, artifact, "--input", tmp_path / "x.npy", "--output-dir",
                     tmp_path / "out", "--trace", tmp_path / "trace.json")
    assert result.returncode == 0, result.stderr
    # The trace has every rank of both replicas, each having computed its microbatches.
    import json
    events = json.loads((tmp_path / "trace.json").read_text())["traceEvents"]
    names = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    per_replica = ranks // 2
    assert names == {r: f"rank {r}: stage {r % per_replica}, replica {r // per_replica}"
                     for r in range(ranks)}, names
    microbatches = 2 if plan else 1
    for rank in range(ranks):
        assert sum(1 for e in events if e["pid"] == rank and e["name"] == "compute") == \
            microbatches
    reference = np.concatenate([
        onnxruntime_outputs(mlp, {"input": rows[:4]}, tmp_path / "ref0")["output"],
        onnxruntime_outputs(mlp, {"input": rows[4:]}, tmp_path / "ref1")["output"]])
    assert_close(reference, np.load(tmp_path / "out" / "output.npy"), "8 rows over 2 replicas")


def test_cleave_run_refuses_rows_that_do_not_split(mlp, tmp_path):
    artifact = mlp.compile("mlp_run_dp2_2", "--devices=cpu:0-1", "--dp=2")
    np.save(tmp_path / "x.npy", mlp.inputs["input"])
    result = run_mpi(2, artifact, "--input", tmp_path / "x.npy", "--output-dir", tmp_path / "o")
    assert result.returncode != 0
    assert ("cleave-run: error: rank 0: input 'input': shape [4, 16], but 2 data-parallel "
            "replicas of a plan for [4, 16] take dim 0 = 8 (4 rows each, split along dim 0) "
            f"(from '{tmp_path / 'x.npy'}')") in result.stderr, result.stderr
    result = run_mpi(3, artifact, "--input", tmp_path / "x.npy", "--output-dir", tmp_path / "o")
    assert result.returncode != 0
    assert ("cleave-run: error: the plan needs 2 ranks (2 replicas of 1 rank), mpirun "
            "started 3") in result.stderr, result.stderr
