# test_generate.py - cleave.generate against PyTorch's greedy generation with the same model.
"""The small decoder of test/models/gen_gpt_kv.py compiled with --generate (the artifact of
ctest generate.compile.small, named by CLEAVE_GENERATE_ARTIFACT; run directly, the test
compiles its own with build/bin/cleave-compile, or CLEAVE_BIN_DIR's). References are
PyTorch's token ids (gen_gpt_kv.py --greedy), never Cleave's."""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import PYTHON, ROOT, run_checked

MODELS = ROOT / "test" / "models"
PROMPTS = ["Hello, world", "The quick brown fox", "Cleave compiles ONNX models"]
IDS = [[1, 2, 3, 250, 7], [72, 105]]


@pytest.fixture(scope="module")
def lm(workdir):
    given = os.environ.get("CLEAVE_GENERATE_ARTIFACT")
    if given:
        return Path(given)
    bindir = Path(os.environ.get("CLEAVE_BIN_DIR", ROOT / "build" / "bin"))
    run_checked(["bash", ROOT / "test" / "generate" / "compile.sh", bindir,
                 workdir / "small", "small", "128", "1,4"], "compiling the decoder")
    return workdir / "small" / "lm.cleave"


def torch_ids(prompts, max_new_tokens, *extra):
    """PyTorch's greedy ids per prompt (str: its bytes; list: ids)."""
    command = [PYTHON, MODELS / "gen_gpt_kv.py", "--greedy", "--size", "small",
               "--max-new-tokens", str(max_new_tokens)]
    for p in prompts:
        command += ["--prompt", p] if isinstance(p, str) else \
            ["--prompt-ids", ",".join(map(str, p))]
    out = run_checked(command + [str(e) for e in extra], "PyTorch's greedy generation").stdout
    return [[int(t) for t in line.split(",")] for line in out.split()]


def test_greedy_text_prompts(cleave, lm):
    got = cleave.generate(lm, prompts=PROMPTS, max_new_tokens=32)
    assert [g.ids for g in got] == torch_ids(PROMPTS, 32)
    for g in got:
        assert isinstance(g, cleave.Generated)
        assert g.text == bytes(g.ids).decode("utf-8", "replace")


def test_prompt_ids_with_repetition_penalty(cleave, lm):
    got = cleave.generate(str(lm), prompt_ids=IDS + [list(PROMPTS[0].encode())],
                          max_new_tokens=40, repetition_penalty=1.3)
    want = torch_ids(IDS + [PROMPTS[0]], 40, "--repetition-penalty", 1.3)
    assert [g.ids for g in got] == want
    assert all(g.text is None for g in got)
    assert want != torch_ids(IDS + [PROMPTS[0]], 40), "the penalty changed nothing"


def test_stop_ids_end_one_sequence(cleave, lm):
    greedy = torch_ids(PROMPTS[:2], 48)
    stop = next(t for t in greedy[0][4:] if t not in greedy[1])
    got = [g.ids for g in cleave.generate(lm, prompts=PROMPTS[:2], max_new_tokens=48,
                                          stop_ids=[stop])]
    assert got == torch_ids(PROMPTS[:2], 48, "--stop-id", stop)
    assert got[0][-1] == stop and len(got[0]) < 48
    assert len(got[1]) == 48


def test_stop_text_ends_one_sequence(cleave, lm):
    greedy = torch_ids(PROMPTS[:2], 48)
    second = list(PROMPTS[1].encode()) + greedy[1]
    pairs = set(zip(second, second[1:]))
    pair = next(p for p in zip(greedy[0][4:], greedy[0][5:])
                if all(0 < b < 128 for b in p) and p not in pairs)
    text = bytes(pair).decode()
    got = cleave.generate(lm, prompts=PROMPTS[:2], max_new_tokens=48, stop=[text])
    assert [g.ids for g in got] == torch_ids(PROMPTS[:2], 48, "--stop", text)
    assert got[0].text.endswith(text) and len(got[0].ids) < 48
    assert len(got[1].ids) == 48


def test_top_k_1_sampling_is_greedy(cleave, lm):
    got = cleave.generate(lm, prompts=PROMPTS[:2], max_new_tokens=24, temperature=0.7,
                          top_k=1, seed=5)
    assert [g.ids for g in got] == torch_ids(PROMPTS[:2], 24)


def test_seeded_sampling_same_alone_and_in_flight(cleave, lm):
    options = dict(max_new_tokens=32, temperature=1.5, top_p=0.95, seed=11)
    alone = cleave.generate(lm, prompts=[PROMPTS[0]], **options)[0].ids
    among = cleave.generate(lm, prompts=PROMPTS + ["d"], **options)[0].ids
    assert alone == among
    assert alone != torch_ids(PROMPTS[:1], 32)[0], "temperature 1.5 gave the greedy ids"


@pytest.mark.parametrize("kwargs, message", [
    (dict(prompts=["a"], repetition_penalty=0), "repetition_penalty must be a positive number"),
    (dict(prompts=["a"], stop_ids=[300]), "stop token id 300 is outside the vocabulary"),
    (dict(prompts=["a"], max_new_tokens=0), "max_new_tokens must be a positive integer"),
    (dict(prompts=["a"], temperature=-1), "temperature must be 0 (greedy) or a positive"),
    (dict(prompts=["a"], temperature=1, top_p=1.5), "top_p must be a number in (0, 1]"),
    (dict(prompts=["x" * 100], max_new_tokens=64), "more than the cache's 128"),
    (dict(prompt_ids=[[1, 256]]), "token id 256 is outside the vocabulary"),
    (dict(prompts=["a", "b", "c", "d", "e"]), "5 sequences, but the largest plan"),
    (dict(prompts=[""]), "prompt 1 is empty"),
    (dict(prompts=["a"], stop=[""]), "a stop sequence is empty"),
])
def test_errors(cleave, lm, kwargs, message):
    with pytest.raises(cleave.Error) as error:
        cleave.generate(lm, **kwargs)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_artifact_and_type_errors(cleave, lm, workdir):
    with pytest.raises(cleave.Error):
        cleave.generate(workdir / "missing.cleave", prompts=["a"])
    with pytest.raises(TypeError, match="exactly one of prompts"):
        cleave.generate(lm, prompts=["a"], prompt_ids=[[1]])
    with pytest.raises(TypeError, match="exactly one of prompts"):
        cleave.generate(lm)
    with pytest.raises(TypeError, match="prompts must be a list of str"):
        cleave.generate(lm, prompts="abc")
    with pytest.raises(TypeError, match="token ids"):
        cleave.generate(lm, prompt_ids=[["a"]])
    with pytest.raises(TypeError, match="stop must be a list of str"):
        cleave.generate(lm, prompts=["a"], stop="ab")

