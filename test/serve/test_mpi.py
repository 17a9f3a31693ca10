# test_mpi.py - A two-stage pipeline served under mpirun -np 2 (rank 0 listens, rank 1
# follows): outputs against onnxruntime, both ranks' stage times in /metrics, SIGTERM to the
# server, and a rank that stops or dies ending the job within 10 s, named.
import os
import re
import shutil
import signal
import threading

import numpy as np
import pytest

from conftest import (assert_close, decode_binary_response, fault_rank, infer_binary, infer_json,
                      rank_pid)

pytestmark = pytest.mark.skipif(shutil.which("mpirun") is None, reason="no mpirun")


@pytest.fixture(scope="module")
def pp2(models):
    """mlp_small on two pipeline stages, two microbatches of two rows."""
    model = models("mlp_small")
    model.artifact = model.compile("mlp_pp2", "--devices=cpu:0-1", "--microbatches=2")
    return model


def metric(text, name):
    match = re.search(re.escape(name) + r" (\S+)", text)
    return float(match.group(1)) if match else None


def test_pipeline_served_on_two_ranks_equals_onnxruntime(serve, pp2):
    server = serve([pp2.artifact, "--model-name", "mlp"], ranks=2)
    assert server.get("/v2/health/ready").status_code == 200
    x = pp2.inputs["input"]
    reply = server.post("/v2/models/mlp/infer", json=infer_json({"input": x}))
    assert reply.status_code == 200, reply.text
    output = reply.json()["outputs"][0]
    assert_close(pp2.reference("output"),
                 np.array(output["data"], dtype=np.float32).reshape(output["shape"]), "JSON")
    # Concurrent one-row requests are batched through the pipeline's microbatches.
    replies = [None] * 4

    def send(row):
        body, headers = infer_binary({"input": x[row:row + 1]})
        replies[row] = server.post("/v2/models/mlp/infer", data=body, headers=headers)

    threads = [threading.Thread(target=send, args=(row,)) for row in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for row, reply in enumerate(replies):
        assert reply.status_code == 200, reply.text
        assert_close(pp2.reference("output")[row:row + 1], decode_binary_response(reply)["output"],
                     f"row {row}")
    # Both ranks' stage times in /metrics, reported after every batch: each rank ran every
    # batch, two microbatches each.
    metrics = server.get("/metrics").text
    batches = sum(int(v) for v in re.findall(r"cleave_batch_runs_total\{[^}]*\} (\d+)", metrics))
    for rank in (0, 1):
        labels = f'{{rank="{rank}",stage="{rank}"}}'
        assert metric(metrics, "cleave_stage_run_seconds_count" + labels) == batches, metrics
        assert metric(metrics, "cleave_stage_compute_seconds_count" + labels) == 2 * batches
        assert metric(metrics, "cleave_stage_compute_seconds_sum" + labels) > 0
        for direction in ("recv", "send"):
            wait = labels[:-1] + f',direction="{direction}"}}'
            assert metric(metrics, "cleave_stage_transfer_wait_seconds_count" + wait) == batches
            assert metric(metrics, "cleave_stage_transfer_wait_seconds_sum" + wait) >= 0
    # Stage 1 waits for what stage 0 sends it.
    assert metric(metrics, 'cleave_stage_transfer_wait_seconds_sum{rank="1",stage="1",'
                           'direction="recv"}') > 0
    # SIGTERM to the server (rank 0): it answers, stops the other rank and the job ends 0.
    os.kill(rank_pid(server, 0), signal.SIGTERM)
    assert server.wait(30) == 0, server.output()
    assert "stopped after answering every request" in server.output()


@pytest.mark.parametrize("fault", ["SIGSTOP", "SIGKILL"])
def test_a_rank_that_stops_or_dies_ends_the_server_within_10_s(serve, pp2, fault):
    server = serve([pp2.artifact, "--model-name", "mlp", "--timeout-s", "4"], ranks=2)
    assert server.get("/v2/health/ready").status_code == 200
    status, elapsed, saw_not_ready = fault_rank(server, 1, fault)
    assert status is not None, f"the server still runs {elapsed:.1f} s after {fault} of rank 1"
    assert status != 0
    assert elapsed <= 10, f"the job took {elapsed:.1f} s to end"
    output = server.output()
    if fault == "SIGSTOP":
        # Rank 0 waited for rank 1's heartbeat answer: it says so, and /ready said 503.
        assert "cleave-serve: error: rank 0: no progress for 4 s: waiting for the recv of " \
               "4 bytes from rank 1" in output, output
        assert saw_not_ready
    else:
        assert "process rank 1" in output, output
