# test_compile_generate.py - cleave.compile(generate=True, ...) against PyTorch's greedy ids.
"""The small decoder of test/models/gen_gpt_kv.py compiled from Python with generate=True,
max_seq_len and batch_sizes, then run with cleave.generate: its greedy ids equal PyTorch's
(gen_gpt_kv.py --greedy), never Cleave's own; and the errors of those arguments."""

import pytest

from conftest import PYTHON, run_checked
from test_generate import MODELS, PROMPTS, torch_ids


def test_compile_for_generation(cleave, workdir):
    """cleave.compile(generate=True, max_seq_len=..., batch_sizes=...) compiles the decoder as
    cleave-compile --generate does: its greedy ids equal PyTorch's, 3 sequences at once (one
    plan, batch 3) and 1 (a padded batch)."""
    model = workdir / "compiled_here"
    run_checked([PYTHON, MODELS / "gen_gpt_kv.py", "--out", model, "--size", "small"],
                "generating the decoder")
    artifact = workdir / "compiled_here.cleave"
    assert cleave.compile(model / "model.onnx", artifact, generate=True, max_seq_len=64,
                          batch_sizes=[3]) is None
    got = cleave.generate(artifact, prompts=PROMPTS, max_new_tokens=24)
    assert [g.ids for g in got] == torch_ids(PROMPTS, 24)
    assert cleave.generate(artifact, prompts=PROMPTS[:1], max_new_tokens=24)[0].ids == \
        got[0].ids
    # The cache holds 64 tokens: a prompt and its new tokens must fit.
    with pytest.raises(cleave.Error, match="more than the cache's 64"):
        cleave.generate(artifact, prompts=["x" * 50], max_new_tokens=24)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(generate=True), "Error", "--generate needs --max-seq-len=L"),
    (dict(max_seq_len=64), "Error", "--max-seq-len is only meaningful with --generate"),
    (dict(generate=True, max_seq_len=-3), "Error", "--max-seq-len expects a positive integer"),
    (dict(generate=True, max_seq_len="64"), "TypeError", "max_seq_len must be an int"),
    (dict(generate=True, max_seq_len=64, batch_sizes=[0]), "Error",
     "--batch-sizes expects positive integers"),
    (dict(generate=True, max_seq_len=64, batch_sizes="1,4"), "TypeError",
     "batch_sizes must be a list of int"),
])
def test_compile_for_generation_errors(cleave, workdir, kwargs, error, message):
    model = workdir / "compiled_here" / "model.onnx"
    if not model.exists():
        run_checked([PYTHON, MODELS / "gen_gpt_kv.py", "--out", model.parent, "--size",
                     "small"], "generating the decoder")
    expected = cleave.Error if error == "Error" else TypeError
    with pytest.raises(expected) as raised:
        cleave.compile(model, None, **kwargs)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
