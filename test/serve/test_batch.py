# test_batch.py - cleave-batch over directories of .npy/.npz samples and the rows of one
# .npy: outputs against onnxruntime's, a run killed (SIGKILL) then resumed with every
# output present exactly once, a replica killed and started again, bad samples recorded as
# failed while the rest go on, a pp2 plan under mpirun, and command-line errors.
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import COMPILE, MPI_ENV, ROOT, assert_close

BATCH = os.environ.get("CLEAVE_BATCH", str(Path(COMPILE).with_name("cleave-batch")))
JOURNAL = "cleave-batch.journal"


@pytest.fixture(scope="module")
def mlp(models):
    """mlp_small (input float32[4, 16] -> output float32[4, 8]) for batches 1, 2 and 4."""
    model = models("mlp_small")
    model.artifact = model.compile("mlp_batch_b124", "--devices=cpu:0", "--batch-sizes=1,2,4")
    return model


def onnxruntime_rows(model, rows, tmp_path):
    """onnxruntime's output rows for input rows (float32[N, 16]), run 4 rows at a time."""
    batch = model.inputs["input"].shape[0]
    outputs = []
    for start in range(0, len(rows), batch):
        chunk = np.zeros((batch,) + rows.shape[1:], rows.dtype)
        chunk[:len(rows[start:start + batch])] = rows[start:start + batch]
        np.save(tmp_path / "ort_in.npy", chunk)
        result = subprocess.run(["node", ROOT / "scripts" / "ort-run.mjs", model.onnx,
                                 "--input", f"input={tmp_path / 'ort_in.npy'}",
                                 "--output-dir", tmp_path / "ort_out"],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        outputs.append(np.load(tmp_path / "ort_out" / "output.npy")[:len(rows[start:start + batch])])
    return np.concatenate(outputs)


def run_batch(artifact, *args, ranks=0, timeout=120):
    command = [BATCH, artifact, *map(str, args)]
    if ranks:
        command = ["mpirun", "-np", str(ranks)] + command
    env = dict(os.environ)
    env.update(MPI_ENV)
    return subprocess.run([str(c) for c in command], capture_output=True, text=True,
                          timeout=timeout, env=env)


def journal_lines(out):
    lines = (Path(out) / JOURNAL).read_text().splitlines()
    assert lines[0].startswith("cleave-batch journal 1 ")
    return [line.split("\t") for line in lines[1:]]


def rows_of(count, seed):
    return np.random.default_rng(seed).standard_normal((count, 16)).astype(np.float32)


def test_directory_of_samples_equals_onnxruntime(mlp, tmp_path):
    rows = rows_of(11, 1)
    samples = tmp_path / "in"
    samples.mkdir()
    for i in range(9):
        # A row, or a row with a batch dim of 1.
        np.save(samples / f"s{i:02d}.npy", rows[i] if i % 2 else rows[i:i + 1])
    np.savez(samples / "s09.npz", input=rows[9])
    np.savez(samples / "s10.npz", rows[10])  # positional: arr_0
    (samples / "notes.txt").write_text("not a sample")
    result = run_batch(mlp.artifact, "--input", samples, "--output-dir", tmp_path / "out",
                       "--batch", 3)
    assert result.returncode == 0, result.stderr
    assert "11 samples: 11 written now, 0 before, 0 failed" in result.stdout
    # stderr is no terminal: no progress, nothing on stderr.
    assert result.stderr == ""
    reference = onnxruntime_rows(mlp, rows, tmp_path)
    for i in range(11):
        out = np.load(tmp_path / "out" / f"s{i:02d}.npy")
        assert out.shape == (8,)
        assert_close(reference[i], out, f"sample {i}")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [f"s{i:02d}.npy" for i in range(11)] + [JOURNAL])
    assert sorted(name for kind, name in journal_lines(tmp_path / "out")) == sorted(
        [f"s{i:02d}.npy" for i in range(9)] + ["s09.npz", "s10.npz"])


@pytest.mark.parametrize("replicas", [1, 2])
def test_rows_of_one_npy_equal_onnxruntime(mlp, tmp_path, replicas):
    rows = rows_of(10, 2)
    np.save(tmp_path / "rows.npy", rows)
    result = run_batch(mlp.artifact, "--input", tmp_path / "rows.npy", "--output-dir",
                       tmp_path / "out", "--replicas", replicas, "--batch", 4)
    assert result.returncode == 0, result.stderr
    reference = onnxruntime_rows(mlp, rows, tmp_path)
    for i in range(10):
        assert_close(reference[i], np.load(tmp_path / "out" / f"row_{i:06d}.npy"), f"row {i}")


def repeated_dataset(directory, count, distinct, pipe_at=None):
    """`count` samples, sample i holding row i % len(distinct); sample `pipe_at` is a named
    pipe, on which the run waits until the test writes the sample into it."""
    directory.mkdir()
    for i in range(count):
        if i == pipe_at:
            os.mkfifo(directory / f"x{i:05d}.npy")
        else:
            np.save(directory / f"x{i:05d}.npy", distinct[i % len(distinct)])


def check_exactly_once(mlp, out, count, distinct, tmp_path):
    """Every output present once, journaled done once, no temporary file, all right."""
    names = sorted(p.name for p in Path(out).iterdir())
    assert names == sorted([f"x{i:05d}.npy" for i in range(count)] + [JOURNAL])
    done = [name for kind, *rest in journal_lines(out) if kind == "done" for name in rest[:1]]
    assert len(done) == count and len(set(done)) == count
    reference = onnxruntime_rows(mlp, distinct, tmp_path)
    for i in range(count):
        assert_close(reference[i % len(distinct)], np.load(Path(out) / f"x{i:05d}.npy"),
                     f"sample {i}")


def wait_for_journal(out, lines, process):
    journal = Path(out) / JOURNAL
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if journal.exists() and len(journal.read_text().splitlines()) >= lines:
            return
        time.sleep(0.01)
    pytest.fail(f"the journal did not reach {lines} lines")


@pytest.mark.parametrize("replicas", [1, 2])
def test_killed_then_resumed_writes_every_output_exactly_once(mlp, tmp_path, replicas):
    # The run waits on the pipe at sample 1500, so that it is surely mid-way when killed.
    count, distinct, pipe = 2000, rows_of(8, 3), 1500
    repeated_dataset(tmp_path / "in", count, distinct, pipe_at=pipe)
    out = tmp_path / "out"
    process = subprocess.Popen([str(c) for c in [BATCH, mlp.artifact, "--input", tmp_path / "in",
                                                 "--output-dir", out, "--batch", 4,
                                                 "--replicas", replicas]],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        wait_for_journal(out, 200, process)
        time.sleep(0.2)
        assert process.poll() is None
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    before = len(journal_lines(out))
    assert 200 <= before < count
    os.remove(tmp_path / "in" / f"x{pipe:05d}.npy")
    np.save(tmp_path / "in" / f"x{pipe:05d}.npy", distinct[pipe % len(distinct)])
    result = run_batch(mlp.artifact, "--input", tmp_path / "in", "--output-dir", out,
                       "--batch", 4, "--replicas", replicas)
    assert result.returncode == 0, result.stderr
    match = re.search(r"(\d+) samples: (\d+) written now, (\d+) before, 0 failed", result.stdout)
    assert match, result.stdout
    assert int(match.group(1)) == count
    assert int(match.group(2)) + int(match.group(3)) == count
    assert int(match.group(3)) == before
    check_exactly_once(mlp, out, count, distinct, tmp_path)
    # Once more: nothing left to do.
    again = run_batch(mlp.artifact, "--input", tmp_path / "in", "--output-dir", out)
    assert again.returncode == 0, again.stderr
    assert f"{count} samples: 0 written now, {count} before, 0 failed" in again.stdout


def test_a_replica_that_dies_is_started_again(mlp, tmp_path):
    count, distinct, pipe = 2000, rows_of(8, 4), 1500
    repeated_dataset(tmp_path / "in", count, distinct, pipe_at=pipe)
    out = tmp_path / "out"
    process = subprocess.Popen([BATCH, str(mlp.artifact), "--input", str(tmp_path / "in"),
                                "--output-dir", str(out), "--batch", "4", "--replicas", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = kill_replicas_and_finish(process, out, tmp_path, pipe, distinct)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, stderr
    assert "died (signal 9); starting it again on its unfinished samples" in stderr
    assert f"{count} samples: {count} written now, 0 before, 0 failed" in stdout
    check_exactly_once(mlp, out, count, distinct, tmp_path)


def kill_replicas_and_finish(process, out, tmp_path, pipe, distinct):
    """Kills every replica of `process` mid-way, turns the pipe into the sample, and
    returns the run's stdout and stderr."""
    wait_for_journal(out, 200, process)
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert children, "no replica found to kill"
    for child in children:
        try:
            os.kill(int(child), signal.SIGKILL)
        except ProcessLookupError:
            pass
    # The sample becomes a file under the same name, at once; a replica that waits on the
    # pipe gets an end of file, fails to read it and tries again.
    sample = tmp_path / "in" / f"x{pipe:05d}.npy"
    os.link(sample, tmp_path / "pipe")
    np.save(tmp_path / "file.npy", distinct[pipe % len(distinct)])
    os.replace(tmp_path / "file.npy", sample)
    try:
        os.close(os.open(tmp_path / "pipe", os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass  # nobody waits on it
    return process.communicate(timeout=120)


def test_bad_samples_are_recorded_as_failed_and_the_rest_go_on(mlp, tmp_path):
    rows = rows_of(5, 5)
    samples = tmp_path / "in"
    samples.mkdir()
    for i in range(5):
        np.save(samples / f"good{i}.npy", rows[i])
    np.save(samples / "wrong_shape.npy", np.zeros((15,), np.float32))
    np.save(samples / "wrong_dtype.npy", np.zeros((16,), np.int64))
    (samples / "unreadable.npy").write_bytes(b"this is not numpy")
    np.savez(samples / "wrong_name.npz", other=rows[0])
    out = tmp_path / "out"
    result = run_batch(mlp.artifact, "--input", samples, "--output-dir", out, "--retries", 2)
    assert result.returncode == 1
    assert "9 samples: 5 written now, 0 before, 4 failed" in result.stdout
    assert result.stderr.splitlines()[-1] == (
        f"cleave-batch: error: 4 samples failed; their reasons are in '{out / JOURNAL}' "
        "(running the command again retries them)")
    failed = {rest[0]: rest[1] for kind, *rest in journal_lines(out) if kind == "failed"}
    assert failed == {
        "wrong_shape.npy": "input 'input': float32[15], the model takes float32[16] per sample"
                           " (after 3 tries)",
        "wrong_dtype.npy": "input 'input': int64[16], the model takes float32[16] per sample"
                           " (after 3 tries)",
        "unreadable.npy": f"'{samples / 'unreadable.npy'}': not a .npy file (bad magic bytes)"
                          " (after 3 tries)",
        "wrong_name.npz": "array 'other' is no model input (inputs: input) (after 3 tries)"}
    reference = onnxruntime_rows(mlp, rows, tmp_path)
    for i in range(5):
        assert_close(reference[i], np.load(out / f"good{i}.npy"), f"sample {i}")
    assert not (out / "wrong_shape.npy").exists()
    # A fixed sample is picked up by the next run; the written ones are not redone.
    np.save(samples / "wrong_shape.npy", rows[0])
    again = run_batch(mlp.artifact, "--input", samples, "--output-dir", out)
    assert again.returncode == 1
    assert "9 samples: 1 written now, 5 before, 3 failed" in again.stdout
    assert_close(reference[0], np.load(out / "wrong_shape.npy"), "fixed sample")


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="no mpirun")
def test_pp2_plan_under_mpirun(mlp, tmp_path):
    artifact = mlp.compile("mlp_batch_pp2", "--devices=cpu:0-1", "--microbatches=2")
    rows = rows_of(6, 6)
    np.save(tmp_path / "rows.npy", rows)
    result = run_batch(artifact, "--input", tmp_path / "rows.npy", "--output-dir",
                       tmp_path / "out", "--timeout-s", 30, ranks=2)
    assert result.returncode == 0, result.stderr
    assert "6 samples: 6 written now, 0 before, 0 failed" in result.stdout
    reference = onnxruntime_rows(mlp, rows, tmp_path)
    for i in range(6):
        assert_close(reference[i], np.load(tmp_path / "out" / f"row_{i:06d}.npy"), f"row {i}")


def test_command_line_and_job_errors(mlp, tmp_path):
    samples = tmp_path / "in"
    samples.mkdir()
    np.save(samples / "a.npy", rows_of(1, 7)[0])
    np.save(tmp_path / "rows.npy", rows_of(3, 7))
    np.save(tmp_path / "bad_rows.npy", np.zeros((3, 15), np.float32))
    (tmp_path / "empty").mkdir()
    np.save(samples / "a2.npy", rows_of(1, 7)[0])
    clash = tmp_path / "clash"
    clash.mkdir()
    np.save(clash / "a.npy", rows_of(1, 7)[0])
    np.savez(clash / "a.npz", input=rows_of(1, 7)[0])
    cases = [
        ([], 2, "cleave-batch: error: --input is required (see cleave-batch --help)"),
        (["--input", samples], 2,
         "cleave-batch: error: --output-dir is required (see cleave-batch --help)"),
        (["--input", samples, "--output-dir", tmp_path / "o", "--batch", "0"], 2,
         "cleave-batch: error: --batch must be a positive integer, got '0' "
         "(see cleave-batch --help)"),
        (["--input", samples, "--output-dir", tmp_path / "o", "--bogus"], 2,
         "cleave-batch: error: unknown option '--bogus' (see cleave-batch --help)"),
        (["--input", tmp_path / "missing", "--output-dir", tmp_path / "o"], 1,
         f"cleave-batch: error: input '{tmp_path / 'missing'}' does not exist"),
        (["--input", tmp_path / "empty", "--output-dir", tmp_path / "o"], 1,
         f"cleave-batch: error: no .npy or .npz samples in '{tmp_path / 'empty'}'"),
        (["--input", clash, "--output-dir", tmp_path / "o"], 1,
         "cleave-batch: error: samples 'a.npy' and 'a.npz' would both write 'a.npy'"),
        (["--input", tmp_path / "bad_rows.npy", "--output-dir", tmp_path / "o"], 1,
         f"cleave-batch: error: '{tmp_path / 'bad_rows.npy'}': float32[3, 15], the model's "
         "input 'input' takes rows of float32[16] (an array of N such rows)"),
        (["--input", samples, "--output-dir", samples], 1,
         "cleave-batch: error: the output directory must not be the input directory"),
    ]
    (tmp_path / "notes.txt").write_text("x")
    np.save(tmp_path / "no_rows.npy", np.zeros((0, 16), np.float32))
    np.save(tmp_path / "cut.npy", rows_of(4, 7))
    data = (tmp_path / "cut.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:-10])
    usage = " (see cleave-batch --help)"
    out = ["--input", samples, "--output-dir", tmp_path / "o"]
    cases += [
        ([*out, "--retries", "-1"], 2,
         "cleave-batch: error: --retries must be 0 to 100, got '-1'" + usage),
        ([*out, "--replicas", "0"], 2,
         "cleave-batch: error: --replicas must be 1 to 256, got '0'" + usage),
        ([*out, "--threads", "x"], 2,
         "cleave-batch: error: --threads must be 0 (all cores) or positive, got 'x'" + usage),
        ([*out, "--timeout-s", "0"], 2,
         "cleave-batch: error: --timeout-s must be at least 0.1, got '0'" + usage),
        ([*out, "--batch"], 2, "cleave-batch: error: --batch needs a value" + usage),
        ([*out, "extra"], 2,
         "cleave-batch: error: unexpected argument 'extra' (one artifact only)" + usage),
        (["--input", tmp_path / "notes.txt", "--output-dir", tmp_path / "o"], 1,
         f"cleave-batch: error: input '{tmp_path / 'notes.txt'}' is neither a directory "
         "nor a .npy file"),
        (["--input", tmp_path / "no_rows.npy", "--output-dir", tmp_path / "o"], 1,
         f"cleave-batch: error: '{tmp_path / 'no_rows.npy'}' holds no rows"),
        (["--input", tmp_path / "cut.npy", "--output-dir", tmp_path / "o"], 1,
         f"cleave-batch: error: '{tmp_path / 'cut.npy'}': the file ends before its data"),
    ]
    for args, status, line in cases:
        result = run_batch(mlp.artifact, *args)
        assert (result.returncode, result.stderr) == (status, line + "\n"), args
    result = subprocess.run([BATCH], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (2, "cleave-batch: error: no artifact given"
                                                     + usage + "\n")
    # A journal of another job in the output directory.
    first = run_batch(mlp.artifact, "--input", samples, "--output-dir", tmp_path / "job")
    assert first.returncode == 0, first.stderr
    other = run_batch(mlp.artifact, "--input", tmp_path / "rows.npy", "--output-dir",
                      tmp_path / "job")
    assert other.returncode == 1
    assert other.stderr.startswith(f"cleave-batch: error: '{tmp_path / 'job'}' holds the "
                                   "journal of another job (cleave-batch journal 1 input=")
    assert other.stderr.endswith("use another --output-dir, or remove it to start over\n")
    assert other.stderr.count("\n") == 1
    # A plan on two ranks with --replicas, and without mpirun.
    pp2 = mlp.compile("mlp_batch_pp2_cli", "--devices=cpu:0-1")
    for extra in (["--replicas", "2"], []):
        result = run_batch(pp2, "--input", samples, "--output-dir", tmp_path / "o2", *extra)
        assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
        assert "the plan needs 2 ranks" in result.stderr


def manifest_of(artifact):
    import json
    data = Path(artifact).read_bytes()
    offset = int.from_bytes(data[16:24], "little")
    size = int.from_bytes(data[24:32], "little")
    return json.loads(data[offset:offset + size])


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="no mpirun")
@pytest.mark.parametrize("plan,ranks", [([], 2), (["--pp=2", "--microbatches=2"], 4)])
def test_dp2_plan_under_mpirun_shares_the_samples(mlp, tmp_path, plan, ranks):
    artifact = mlp.compile(f"mlp_batch_dp2_{ranks}", f"--devices=cpu:0-{ranks - 1}", "--dp=2",
                           "--batch-sizes=2,4", *plan)
    manifest = manifest_of(artifact)
    assert manifest["options"]["dp"] == 2 and len(manifest["devices"]) == ranks // 2
    rows = rows_of(18, 8)
    samples = tmp_path / "in"
    samples.mkdir()
    for i in range(18):
        np.save(samples / f"s{i:02d}.npy", rows[i])
    result = run_batch(artifact, "--input", samples, "--output-dir", tmp_path / "out",
                       "--batch", 4, "--timeout-s", 60, ranks=ranks)
    assert result.returncode == 0, result.stderr
    assert "18 samples: 18 written now, 0 before, 0 failed" in result.stdout
    # Batches of 4 dealt in turn: replica 0 gets samples 0-3, 8-11, 16-17.
    assert "replicas 0..1 wrote 10, 8 samples" in result.stdout
    reference = onnxruntime_rows(mlp, rows, tmp_path)
    for i in range(18):
        assert_close(reference[i], np.load(tmp_path / "out" / f"s{i:02d}.npy"), f"sample {i}")
    assert len(journal_lines(tmp_path / "out")) == 18


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="no mpirun")
def test_dp_errors(mlp, tmp_path):
    from conftest import SERVE
    artifact = mlp.compile("mlp_batch_dp2_err", "--devices=cpu:0-1", "--dp=2")
    samples = tmp_path / "in"
    samples.mkdir()
    np.save(samples / "a.npy", rows_of(1, 9)[0])
    result = run_batch(artifact, "--input", samples, "--output-dir", tmp_path / "out", ranks=3)
    assert result.returncode != 0
    assert (f"cleave-batch: error: artifact '{artifact}': the plan needs 2 ranks (2 replicas "
            "of 1 rank), mpirun started 3") in result.stderr
    env = dict(os.environ)
    env.update(MPI_ENV)
    served = subprocess.run(["mpirun", "-np", "3", SERVE, str(artifact), "--port", "0"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert served.returncode != 0
    assert (f"cleave-serve: error: artifact '{artifact}': the plan needs 2 ranks (2 replicas "
            "of 1 rank), mpirun started 3") in served.stderr
    for devices, dp, message in [
            ("cpu:0-2", "2", "--dp (2) must divide the number of devices (3)"),
            ("cuda:0-1", "2", "--dp: replicas run on cpu devices only, got cuda:0"),
            ("cpu:0-3", "2", "--pp (1) x --tp (1) must equal the number of devices per "
                             "replica (2 of 4 over --dp 2)")]:
        extra = ["--pp=1"] if devices == "cpu:0-3" else []
        compiled = subprocess.run([COMPILE, mlp.onnx, "-o", tmp_path / "x.cleave",
                                   f"--devices={devices}", f"--dp={dp}", *extra],
                                  capture_output=True, text=True)
        assert compiled.returncode != 0
        assert message in compiled.stderr, compiled.stderr
