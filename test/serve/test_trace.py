# test_trace.py - Chrome/Perfetto traces (--trace FILE) of distributed runs: a pp2 x tp2
# plan run by cleave-run under mpirun -np 4, and a pp2 plan served under mpirun -np 2. The
# file must parse as trace-event JSON with one named track per rank, a compute event per
# microbatch per stage, each send matched by a receive on its peer, the all-reduces of the
# tensor-parallel stage, and every event inside its rank's run; and the errors.
import collections
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from conftest import MPI_ENV, RUN, assert_close

pytestmark = pytest.mark.skipif(shutil.which("mpirun") is None, reason="no mpirun")


@pytest.fixture(scope="module")
def mlp(models):
    return models("mlp_small")


def run_mpi(ranks, *args):
    env = dict(os.environ)
    env.update(MPI_ENV)
    return subprocess.run(["mpirun", "-np", str(ranks), RUN, *map(str, args)],
                          capture_output=True, text=True, timeout=120, env=env)


def complete_events(trace):
    return [e for e in trace["traceEvents"] if e["ph"] == "X"]


def check_tracks(trace, ranks):
    """One process_name and one thread_name per rank; returns {pid: process name}."""
    names = {e["pid"]: e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "process_name"}
    assert sorted(names) == list(range(ranks)), names
    threads = {e["pid"] for e in trace["traceEvents"]
               if e["ph"] == "M" and e["name"] == "thread_name"}
    assert threads == set(range(ranks))
    return names


def check_nesting(events):
    """Every event of a stage lies inside one "run" of its rank (a server's "batch" and
    "round" hold runs); durations are not negative."""
    runs = collections.defaultdict(list)
    for e in events:
        assert e["dur"] >= 0 and e["ts"] > 0, e
        if e["name"] == "run":
            runs[e["pid"]].append((e["ts"], e["ts"] + e["dur"]))
    for e in events:
        if e["name"] not in ("run", "batch", "round"):
            assert any(start <= e["ts"] and e["ts"] + e["dur"] <= end
                       for start, end in runs[e["pid"]]), f"{e} outside its rank's runs"
    return runs


def test_pp2_tp2_run_trace(mlp, tmp_path):
    artifact = mlp.compile("mlp_pp2_tp2", "--devices=cpu:0-3", "--pp=2", "--tp=2",
                           "--microbatches=2")
    result = run_mpi(4, artifact, "--input", mlp.dir / "model" / "inputs" / "input.npy",
                     "--output-dir", tmp_path / "out", "--trace", tmp_path / "t.json",
                     "--repeat", 2)
    assert result.returncode == 0, result.stderr
    assert_close(mlp.reference("output"), np.load(tmp_path / "out" / "output.npy"), "output")
    trace = json.loads((tmp_path / "t.json").read_text())
    names = check_tracks(trace, 4)
    assert names == {0: "rank 0: stage 0", 1: "rank 1: stage 0", 2: "rank 2: stage 1",
                     3: "rank 3: stage 1"}
    events = complete_events(trace)
    runs = check_nesting(events)
    # A warm-up and two timed runs, two microbatches each, on every rank.
    assert all(len(runs[r]) == 3 for r in range(4)), runs
    for rank in range(4):
        computes = sorted(e["args"]["microbatch"] for e in events
                          if e["pid"] == rank and e["name"] == "compute")
        assert computes == [0, 0, 0, 1, 1, 1], (rank, computes)
        assert all(e["args"]["stage"] == rank // 2 for e in events
                   if e["pid"] == rank and e["name"] == "compute")
    # Each send of stage 0 has its receive on the peer, same microbatch and bytes.
    sends = collections.Counter((e["pid"], e["args"]["peer"], e["args"]["microbatch"],
                                 e["args"]["bytes"]) for e in events if e["name"] == "send")
    recvs = collections.Counter((e["args"]["peer"], e["pid"], e["args"]["microbatch"],
                                 e["args"]["bytes"]) for e in events if e["name"] == "recv")
    assert sends and sends == recvs, (sends, recvs)
    assert {pid for pid, _, _, _ in sends} == {0, 1}
    # The tensor-parallel ranks meet in collectives with byte counts, once per microbatch
    # at least, the two ranks of a stage alike.
    for stage_ranks in ((0, 1), (2, 3)):
        counts = [collections.Counter((e["name"], e["args"]["bytes"]) for e in events
                                      if e["pid"] == r and e["name"] in ("all-reduce",
                                                                         "all-gather"))
                  for r in stage_ranks]
        assert counts[0] == counts[1], counts
    reduces = [e for e in events if e["name"] == "all-reduce"]
    assert reduces and all(e["args"]["bytes"] > 0 for e in reduces)
    assert sum(1 for e in reduces if e["pid"] == 2) >= 6
    # One clock: a receive of microbatch 0 cannot end before its send was posted, i.e.
    # before stage 0 finished computing it.
    first_compute = min(e["ts"] + e["dur"] for e in events
                        if e["pid"] == 0 and e["name"] == "compute")
    first_recv_end = min(e["ts"] + e["dur"] for e in events
                         if e["pid"] == 2 and e["name"] == "recv")
    assert first_recv_end >= first_compute


def test_trace_errors(mlp, tmp_path):
    artifact = mlp.compile("mlp_pp2_tp2", "--devices=cpu:0-3", "--pp=2", "--tp=2",
                           "--microbatches=2")
    result = run_mpi(4, artifact, "--input", mlp.dir / "model" / "inputs" / "input.npy",
                     "--output-dir", tmp_path / "out", "--trace", tmp_path / "no" / "t.json")
    assert result.returncode != 0
    assert (f"cleave-run: error: rank 0: cannot write the trace '{tmp_path / 'no' / 't.json'}'"
            ": No such file or directory") in result.stderr, result.stderr
    result = subprocess.run([RUN, artifact, "--output-dir", tmp_path, "--trace="],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "cleave-run: error: option '--trace' needs a file" in result.stderr


def test_pp2_served_trace(serve, mlp, tmp_path):
    import signal
    import threading

    from conftest import decode_binary_response, infer_binary, rank_pid
    artifact = mlp.compile("mlp_pp2", "--devices=cpu:0-1", "--microbatches=2")
    path = tmp_path / "serve.json"
    server = serve([artifact, "--model-name", "mlp", "--trace", path], ranks=2)
    x = mlp.inputs["input"]
    replies = [None] * 6

    def send(i):
        body, headers = infer_binary({"input": x[i % 4:i % 4 + 1]})
        replies[i] = server.post("/v2/models/mlp/infer", data=body, headers=headers)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, reply in enumerate(replies):
        assert reply.status_code == 200, reply.text
        assert_close(mlp.reference("output")[i % 4:i % 4 + 1],
                     decode_binary_response(reply)["output"], f"request {i}")
    os.kill(rank_pid(server, 0), signal.SIGTERM)
    assert server.wait(30) == 0, server.output()
    trace = json.loads(path.read_text())
    assert check_tracks(trace, 2) == {0: "rank 0: stage 0", 1: "rank 1: stage 1"}
    events = complete_events(trace)
    runs = check_nesting(events)
    batches = [e for e in events if e["name"] == "batch"]
    assert batches and all(e["pid"] == 0 for e in batches)
    # Every batch ran once on each rank, two microbatches each; rank 0's runs lie in its
    # batches.
    assert len(runs[0]) == len(runs[1]) == len(batches)
    for start, end in runs[0]:
        assert any(b["ts"] <= start and end <= b["ts"] + b["dur"] for b in batches)
    for rank in (0, 1):
        assert sum(1 for e in events if e["pid"] == rank and e["name"] == "compute") == \
            2 * len(batches)
    sends = collections.Counter((e["pid"], e["args"]["peer"], e["args"]["microbatch"],
                                 e["args"]["bytes"]) for e in events if e["name"] == "send")
    recvs = collections.Counter((e["args"]["peer"], e["pid"], e["args"]["microbatch"],
                                 e["args"]["bytes"]) for e in events if e["name"] == "recv")
    assert sends and sends == recvs


def test_serve_trace_errors(mlp, tmp_path):
    from conftest import SERVE
    artifact = mlp.compile("mlp_pp2", "--devices=cpu:0-1", "--microbatches=2")
    env = dict(os.environ)
    env.update(MPI_ENV)
    result = subprocess.run(["mpirun", "-np", "2", SERVE, artifact, "--port", "0", "--trace",
                             tmp_path / "no" / "t.json"], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode != 0
    assert (f"cleave-serve: error: cannot write the trace '{tmp_path / 'no' / 't.json'}': "
            "No such file or directory") in result.stderr, result.stderr
    result = subprocess.run([SERVE, artifact, "--trace="], capture_output=True, text=True)
    assert result.returncode == 2
    assert "cleave-serve: error: --trace needs a file" in result.stderr
