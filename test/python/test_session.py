# test_session.py - cleave.InferenceSession on one rank: inputs, outputs, errors, zero copy.
import gc
import threading

import numpy as np
import pytest

from conftest import assert_matches_reference


@pytest.fixture(scope="module")
def mlp(models):
    return models("mlp")


@pytest.fixture(scope="module")
def artifact(cleave, mlp):
    path = mlp.dir / "mlp.cleave"
    cleave.compile(mlp.onnx, path, devices="cpu:0")
    return path


@pytest.fixture(scope="module")
def session(cleave, artifact):
    return cleave.InferenceSession(str(artifact), threads=1)


def test_describes_inputs_and_outputs_as_onnxruntime_does(session, cleave):
    inputs, outputs = session.get_inputs(), session.get_outputs()
    assert [(i.name, i.shape, i.type) for i in inputs] == [("input", [8, 256], "tensor(float)")]
    assert [(o.name, o.shape, o.type) for o in outputs] == [("output", [8, 256], "tensor(float)")]
    assert isinstance(inputs[0], cleave.NodeArg)
    assert repr(inputs[0]) == "NodeArg(name='input', type='tensor(float)', shape=[8, 256])"
    assert session.rank == 0 and session.ranks == 1 and session.threads == 1
    assert "input" in session.describe() and "output" in session.describe()


def test_run_matches_onnxruntime(session, mlp):
    outputs = session.run(None, mlp.inputs)
    assert isinstance(outputs, list) and len(outputs) == 1
    assert outputs[0].dtype == np.float32 and outputs[0].flags.c_contiguous
    assert_matches_reference(mlp, ["output"], outputs)
    # Output arrays are 64-byte aligned (the code writes them in place) and fresh each run.
    again = session.run(["output"], mlp.inputs)
    assert again[0].ctypes.data % 64 == 0
    assert again[0].ctypes.data != outputs[0].ctypes.data
    np.testing.assert_array_equal(again[0], outputs[0])
    assert session.run([], mlp.inputs) == []


def test_contiguous_inputs_are_not_copied(session, mlp, cleave):
    x = np.ascontiguousarray(mlp.inputs["input"])
    session.run(None, {"input": x})
    assert session._input_addresses() == [x.ctypes.data]
    # 64-byte aligned as well: the code reads it in place.
    aligned = cleave.aligned_empty(x.shape, np.float32)
    assert aligned.ctypes.data % 64 == 0
    aligned[...] = x
    out = session.run(None, {"input": aligned})
    assert session._input_addresses() == [aligned.ctypes.data]
    assert_matches_reference(mlp, ["output"], out)


def test_other_layouts_and_byte_orders_are_converted(session, mlp):
    x = mlp.inputs["input"]
    # Every other column of a wider array: not contiguous, so copied.
    wide = np.zeros((8, 512), np.float32)
    wide[:, ::2] = x
    strided = wide[:, ::2]
    out = session.run(None, {"input": strided})
    assert session._input_addresses() != [strided.ctypes.data]
    assert_matches_reference(mlp, ["output"], out)
    fortran = np.asfortranarray(x)
    assert_matches_reference(mlp, ["output"], session.run(None, {"input": fortran}))
    assert session._input_addresses() != [fortran.ctypes.data]
    big_endian = x.astype(">f4")
    assert_matches_reference(mlp, ["output"], session.run(None, {"input": big_endian}))
    # Lists become arrays of the input's dtype.
    assert_matches_reference(mlp, ["output"], session.run(None, {"input": x.tolist()}))


def expect_error(call, message, code="INVALID_ARGUMENT"):
    import cleave
    with pytest.raises(cleave.Error) as raised:
        call()
    assert str(raised.value) == message
    assert "\n" not in str(raised.value)
    assert raised.value.code == code


def test_bad_feeds_raise_one_line_errors(session, mlp):
    x = mlp.inputs["input"]
    expect_error(lambda: session.run(None, {"input": x[:4]}),
                 "input 'input': expected shape [8, 256], got [4, 256]")
    expect_error(lambda: session.run(None, {"input": x.astype(np.float64)}),
                 "input 'input': expected dtype float32, got float64")
    expect_error(lambda: session.run(None, {"input": x.astype(np.complex64)}),
                 "input 'input': expected dtype float32, got complex64")
    expect_error(lambda: session.run(None, {"input": x, "extra": x}),
                 "unknown input name 'extra' (graph inputs: input)")
    expect_error(lambda: session.run(None, {}), "missing input 'input' (float32[8, 256])")
    expect_error(lambda: session.run(["output", "logits"], {"input": x}),
                 "unknown output name 'logits' (graph outputs: output)")
    expect_error(lambda: session.run(None, [x]),
                 "input_feed must be a dict of input name -> array, got list")
    expect_error(lambda: session.run(None, {"input": [["a"] * 256] * 8}),
                 "input 'input': cannot make a float32 array of the list given: could not "
                 "convert string to float: 'a'")
    # The session still runs after errors.
    assert_matches_reference(mlp, ["output"], session.run(None, {"input": x}))


def test_bad_artifacts_raise_one_line_errors(cleave, artifact, tmp_path):
    missing = tmp_path / "missing.cleave"
    expect_error(lambda: cleave.InferenceSession(missing),
                 f"artifact '{missing}': cannot open: No such file or directory", "NOT_FOUND")
    damaged = tmp_path / "damaged.cleave"
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(cleave.Error) as raised:
        cleave.InferenceSession(damaged)
    assert raised.value.code == "DATA_LOSS"
    assert str(raised.value).startswith(f"artifact '{damaged}': section '")
    assert str(raised.value).endswith("checksum mismatch (file damaged?)")
    not_artifact = tmp_path / "text.cleave"
    not_artifact.write_text("hello\n")
    with pytest.raises(cleave.Error) as raised:
        cleave.InferenceSession(not_artifact)
    assert "\n" not in str(raised.value) and str(raised.value).startswith(f"artifact '{not_artifact}'")
    expect_error(lambda: cleave.InferenceSession(artifact, threads=-1),
                 "threads must be 0 (all cores) or positive, got -1")


def test_a_multi_rank_plan_needs_mpirun(cleave, mlp, tmp_path):
    path = tmp_path / "pp2.cleave"
    cleave.compile(mlp.onnx, path, devices="cpu:0-1")
    expect_error(lambda: cleave.InferenceSession(path),
                 f"artifact '{path}': the plan needs 2 ranks: run the program as mpirun -np 2 ...",
                 "FAILED_PRECONDITION")


def test_close_and_context_manager(cleave, artifact, mlp):
    with cleave.InferenceSession(artifact, threads=1) as session:
        assert_matches_reference(mlp, ["output"], session.run(None, mlp.inputs))
    expect_error(lambda: session.run(None, mlp.inputs),
                 f"session for '{artifact}' is closed", "FAILED_PRECONDITION")
    session.close()  # closing twice is fine
    del session
    gc.collect()


def test_sessions_run_on_threads(cleave, artifact, mlp):
    # Two sessions and one shared session, each on two threads: the GIL is released while
    # running and runs of one session take turns.
    sessions = [cleave.InferenceSession(artifact, threads=1) for _ in range(2)]
    failures = []

    def work(session):
        try:
            for _ in range(5):
                assert_matches_reference(mlp, ["output"], session.run(None, mlp.inputs))
        except BaseException as error:  # reported below, on the main thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(s,)) for s in sessions + sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_aligned_empty(cleave):
    a = cleave.aligned_empty((3, 5), "int64")
    assert a.shape == (3, 5) and a.dtype == np.int64 and a.ctypes.data % 64 == 0
    assert cleave.aligned_empty(7).shape == (7,)
    assert cleave.aligned_empty((0, 4)).size == 0
    with pytest.raises(ValueError):
        cleave.aligned_empty((-1,))
