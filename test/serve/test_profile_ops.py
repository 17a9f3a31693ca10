# test_profile_ops.py - the per-op profile: cleave-compile --profile-ops and cleave-run
# --profile-ops on a small conv + matmul model (test/models/gen_profile.py), on one rank and
# under mpirun. The table must list every op group with its ONNX node names and op types,
# the groups' times must add up to no more than the measured run time (and to most of it),
# the trace must parse and hold one op event per group per run inside the run's compute
# event, the outputs must still match onnxruntime's, and an artifact compiled without the
# option is refused with one line.
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from conftest import COMPILE, MPI_ENV, RUN, assert_close

NODES = {"stem_conv", "stem_relu", "flatten", "head_matmul", "head_bias", "head_relu",
         "out_matmul"}
# The nodes whose ops do work; Flatten is a view of its input.
WORKING = NODES - {"flatten"}
ROW = re.compile(r"^\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+([\d.]+)\s+(\S+)\s+(.+)$")


@pytest.fixture(scope="module")
def model(models):
    return models("profile_small")


def parse_tables(stdout):
    """{rank: (header fields, [row dicts])} of cleave-run --profile-ops's output."""
    tables = {}
    rank = None
    for line in stdout.splitlines():
        if line.startswith("op-profile "):
            fields = dict(f.split("=") for f in line.split()[1:])
            rank = int(fields["rank"])
            tables[rank] = (fields, [])
        elif rank is not None and (m := ROW.match(line)):
            group, ms, percent, calls, total, ops, nodes = m.groups()
            tables[rank][1].append({"group": int(group), "ms": float(ms),
                                    "percent": float(percent), "calls": int(calls),
                                    "total": float(total), "ops": ops.split(","),
                                    "nodes": [n for n in nodes.split(",")
                                              if not n.startswith("+")]})
    return tables


def run(*args, ranks=0):
    command = [RUN, *map(str, args)]
    env = dict(os.environ)
    if ranks:
        command = ["mpirun", "-np", str(ranks)] + command
        env.update(MPI_ENV)
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def check_table(fields, rows, runs):
    assert int(fields["runs"]) == runs
    assert int(fields["groups"]) == len(rows)
    # Slowest first, every group called once per run.
    assert [r["ms"] for r in rows] == sorted((r["ms"] for r in rows), reverse=True)
    assert all(r["calls"] == runs for r in rows), rows
    run_ms, groups_ms = float(fields["run_ms"]), float(fields["groups_ms"])
    # The groups run inside the run: their sum is within it, and covers most of it (the
    # rest is the session's own work around the entry point).
    assert 0 < groups_ms <= run_ms, fields
    assert abs(sum(r["ms"] for r in rows) - groups_ms) <= 0.002 * len(rows) + 1e-3
    assert sum(r["percent"] for r in rows) <= 100.5


def test_one_rank(model, tmp_path):
    artifact = model.compile("profiled", "--devices=cpu:0", "--profile-ops")
    trace_path = tmp_path / "ops.json"
    result = run(artifact, "--input", model.dir / "model" / "inputs" / "x.npy",
                 "--output-dir", tmp_path / "out", "--repeat", 3, "--threads", 1,
                 f"--profile-ops={trace_path}")
    assert result.returncode == 0, result.stderr
    assert_close(model.reference("y"), np.load(tmp_path / "out" / "y.npy"), "y")
    tables = parse_tables(result.stdout)
    assert list(tables) == [0], result.stdout
    fields, rows = tables[0]
    check_table(fields, rows, runs=3)
    listed = {node for r in rows for node in r["nodes"]}
    assert WORKING <= listed <= NODES, rows
    ops = {op for r in rows for op in r["ops"]}
    assert {"Conv", "MatMul", "Relu"} <= ops, rows
    conv = [r for r in rows if "stem_conv" in r["nodes"]]
    assert conv and "Conv" in conv[0]["ops"], rows

    trace = json.loads(trace_path.read_text())
    events = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    computes = [e for e in events if e["name"] == "compute"]
    op_events = [e for e in events if e.get("cat") == "op"]
    # The warm-up and three timed runs: one event per group per run.
    assert len(computes) == 4
    by_group = {}
    for e in op_events:
        by_group.setdefault(e["args"]["group"], []).append(e)
    assert sorted(by_group) == sorted(r["group"] for r in rows)
    assert all(len(v) == 4 for v in by_group.values()), {k: len(v) for k, v in by_group.items()}
    for e in op_events:
        assert e["dur"] >= 0 and e["args"]["nodes"] and e["args"]["ops"], e
        assert any(c["ts"] <= e["ts"] + 1 and e["ts"] + e["dur"] <= c["ts"] + c["dur"] + 1
                   for c in computes), f"{e} outside every compute event"
    named = {e["args"]["group"]: e["args"]["nodes"] for e in op_events}
    for r in rows:
        shown = [n for n in r["nodes"] if not n.startswith("+")]
        assert named[r["group"]][:len(shown)] == shown, (r, named[r["group"]])


def test_trace_option_holds_op_events(model, tmp_path):
    artifact = model.compile("profiled_trace", "--devices=cpu:0", "--profile-ops")
    result = run(artifact, "--input", model.dir / "model" / "inputs" / "x.npy",
                 "--output-dir", tmp_path / "out", "--profile-ops", "--trace",
                 tmp_path / "t.json")
    assert result.returncode == 0, result.stderr
    _, rows = parse_tables(result.stdout)[0]
    trace = json.loads((tmp_path / "t.json").read_text())
    op_events = [e for e in trace["traceEvents"] if e.get("cat") == "op"]
    assert len(op_events) == len(rows)


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="no mpirun")
def test_pipeline_under_mpirun(model, tmp_path):
    artifact = model.compile("profiled_pp2", "--devices=cpu:0-1", "--pp=2", "--profile-ops")
    trace_path = tmp_path / "pp.json"
    result = run(artifact, "--input", model.dir / "model" / "inputs" / "x.npy",
                 "--output-dir", tmp_path / "out", "--repeat", 2, "--threads", 1,
                 f"--profile-ops={trace_path}", ranks=2)
    assert result.returncode == 0, result.stderr
    assert_close(model.reference("y"), np.load(tmp_path / "out" / "y.npy"), "y")
    tables = parse_tables(result.stdout)
    assert sorted(tables) == [0, 1], result.stdout
    seen = []
    for rank, (fields, rows) in tables.items():
        assert int(fields["stage"]) == rank
        check_table(fields, rows, runs=2)
        seen.append({node for r in rows for node in r["nodes"]})
    # Each stage times its own nodes; together, every working node.
    assert not (seen[0] & seen[1]) and WORKING <= seen[0] | seen[1] <= NODES, seen
    trace = json.loads(trace_path.read_text())
    op_pids = {e["pid"] for e in trace["traceEvents"] if e.get("cat") == "op"}
    assert op_pids == {0, 1}


def test_errors(model, tmp_path):
    plain = model.compile("plain", "--devices=cpu:0")
    x = model.dir / "model" / "inputs" / "x.npy"
    result = run(plain, "--input", x, "--output-dir", tmp_path / "out", "--profile-ops")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "compiled without --profile-ops" in lines[0], result.stderr
    assert not (tmp_path / "out").exists()
    gpu = subprocess.run([COMPILE, model.onnx, "--devices=cuda:0", "--profile-ops", "-o",
                          tmp_path / "gpu.cleave"], capture_output=True, text=True, timeout=120)
    lines = gpu.stderr.strip().splitlines()
    assert gpu.returncode != 0 and len(lines) == 1, gpu.stderr
    assert "--profile-ops times CPU code only, but device 'cuda:0' is a GPU" in lines[0]
    profiled = model.compile("profiled_err", "--devices=cpu:0", "--profile-ops")
    for args, message in [(["--profile-ops="], "'--profile-ops=' needs a file"),
                          (["--profile-ops=a.json", "--trace", "b.json"],
                           "a trace file is given twice"),
                          (["--profile-ops", "--profile-ops"], "given more than once")]:
        result = run(profiled, "--input", x, "--output-dir", tmp_path / "o2", *args)
        lines = result.stderr.strip().splitlines()
        assert result.returncode != 0 and len(lines) == 1 and message in lines[0], \
            (args, result.stderr)


def test_python_session(model, tmp_path):
    cleave = pytest.importorskip("cleave")
    artifact = tmp_path / "py.cleave"
    cleave.compile(str(model.onnx), str(artifact), profile_ops=True)
    session = cleave.InferenceSession(str(artifact), threads=1)
    x = model.inputs["x"]
    for _ in range(3):
        (y,) = session.run(None, {"x": x})
    assert_close(model.reference("y"), y, "y")
    groups = session.op_profile()
    assert [g["group"] for g in groups] == list(range(len(groups)))
    assert all(g["calls"] == 3 and g["seconds"] >= 0 for g in groups), groups
    assert WORKING <= {n for g in groups for n in g["nodes"]} <= NODES
    assert "Conv" in next(g["ops"] for g in groups if "stem_conv" in g["nodes"])
    plain = cleave.InferenceSession(str(model.compile("plain_py", "--devices=cpu:0")))
    with pytest.raises(cleave.Error, match="compiled without profile_ops"):
        plain.op_profile()
