# test_openai.py - cleave-serve's OpenAI-compatible endpoints on a decoder compiled with
# --generate (the small test decoder of test/generate, fixture generate_small).
"""Greedy completions, streamed or not, completions and chat replies, give exactly the ids of
PyTorch's greedy generation with the same model (test/models/gen_gpt_kv.py --greedy, which
recomputes the whole sequence at each step, without a cache); their text is those bytes
decoded as Python decodes them. Concurrent streaming requests, sent with Python's
http.client and with curl, share the running batch and each still gets its own greedy ids.
Every refusal answers in OpenAI's error shape with its HTTP status.

Environment: CLEAVE_SERVE, CLEAVE_GEN_ARTIFACT (the compiled small decoder).
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import PYTHON, ROOT

ARTIFACT = os.environ.get("CLEAVE_GEN_ARTIFACT",
                          str(ROOT / "build" / "test" / "generate" / "work" / "small" /
                              "lm.cleave"))
GEN = ROOT / "test" / "models" / "gen_gpt_kv.py"
# Local connections only: no proxy.
NO_PROXY = {"http": None, "https": None}

PROMPTS = ["Hello, world", "The quick brown fox",
           "Cleave compiles ONNX models into distributed programs", "a", "Once upon a time",
           "0123456789"]


def torch_greedy(prompts, max_new_tokens, stops=()):
    """PyTorch's greedy ids per prompt (text), ending on a stop text if one is given."""
    command = [PYTHON, GEN, "--greedy", "--size", "small", "--max-new-tokens",
               str(max_new_tokens)]
    for prompt in prompts:
        command += ["--prompt", prompt]
    for stop in stops:
        command += ["--stop", stop]
    out = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    return [[int(i) for i in line.split(",")] for line in out.splitlines()]


def text_of(ids):
    return bytes(ids).decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def reference():
    """PyTorch's 48 greedy ids after each of PROMPTS."""
    return dict(zip(PROMPTS, torch_greedy(PROMPTS, 48)))


@pytest.fixture
def server(serve):
    if not Path(ARTIFACT).exists():
        pytest.fail(f"no compiled decoder at {ARTIFACT} (generate.compile.small makes it)")
    return serve([ARTIFACT, "--model-name", "lm"])


def post(server, path, body, **kwargs):
    return server.post(path, data=body if isinstance(body, str) else json.dumps(body),
                       proxies=NO_PROXY, **kwargs)


def events(response_text):
    """The data of each server-sent event, in order."""
    lines = [line for line in response_text.split("\n") if line]
    assert all(line.startswith("data: ") for line in lines), response_text
    return [line[len("data: "):] for line in lines]


def stream_chunks(server, path, body):
    response = post(server, path, body, stream=True)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    data = events(response.content.decode())
    assert data[-1] == "[DONE]"
    return [json.loads(d) for d in data[:-1]]


def test_models(server):
    listed = server.get("/v1/models", proxies=NO_PROXY).json()
    assert listed["object"] == "list"
    assert [m["id"] for m in listed["data"]] == ["lm"]
    assert listed["data"][0]["max_model_len"] == 128
    assert server.get("/v1/models/lm", proxies=NO_PROXY).json()["id"] == "lm"


def test_completion_greedy_equals_pytorch(server, reference):
    for prompt in PROMPTS[:3]:
        answer = post(server, "/v1/completions",
                      {"model": "lm", "prompt": prompt, "max_tokens": 48, "temperature": 0})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["object"] == "text_completion" and body["model"] == "lm"
        assert body["id"].startswith("cmpl-") and isinstance(body["created"], int)
        choice = body["choices"][0]
        assert choice["token_ids"] == reference[prompt]
        assert choice["text"] == text_of(reference[prompt])
        assert choice["finish_reason"] == "length"
        assert body["usage"] == {"prompt_tokens": len(prompt.encode()),
                                 "completion_tokens": 48,
                                 "total_tokens": len(prompt.encode()) + 48}
    # A prompt as token ids, and the default of 16 new tokens.
    ids = list(PROMPTS[0].encode())
    choice = post(server, "/v1/completions", {"prompt": ids, "temperature": 0}).json()["choices"][0]
    assert choice["token_ids"] == reference[PROMPTS[0]][:16]


def test_stream_equals_whole_answer(server, reference):
    prompt = PROMPTS[1]
    chunks = stream_chunks(server, "/v1/completions",
                           {"prompt": prompt, "max_tokens": 48, "temperature": 0, "stream": True})
    assert len(chunks) == 48  # one chunk per token
    assert all(c["object"] == "text_completion" for c in chunks)
    assert len({(c["id"], c["created"]) for c in chunks}) == 1
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None] * 47 + ["length"]
    ids = [i for c in chunks for i in c["choices"][0]["token_ids"]]
    assert ids == reference[prompt]
    assert "".join(c["choices"][0]["text"] for c in chunks) == text_of(ids)
    assert chunks[-1]["usage"]["completion_tokens"] == 48


def first_ascii_pair(reference):
    """A prompt and a stop of two printable ASCII bytes from its greedy continuation, where the
    pair first occurs (at least 4 tokens in)."""
    for prompt in PROMPTS:
        greedy = reference[prompt]
        whole = list(prompt.encode()) + greedy
        for i in range(4, len(greedy) - 1):
            pair = greedy[i:i + 2]
            at = len(prompt.encode()) + i
            if all(32 <= b < 127 for b in pair) and not any(
                    whole[j:j + 2] == pair for j in range(at)):
                return prompt, bytes(pair).decode()
    pytest.fail("no greedy continuation has two printable ASCII bytes in a row")


def test_stop_text(server, reference):
    prompt, stop = first_ascii_pair(reference)
    expected = torch_greedy([prompt], 48, stops=[stop])[0]
    assert len(expected) < 48
    body = post(server, "/v1/completions", {"prompt": prompt, "max_tokens": 48,
                                            "temperature": 0, "stop": [stop]}).json()
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["token_ids"] == expected
    # The stop text itself is not part of the answer's text.
    assert choice["text"] == text_of(expected[:-2])
    chunks = stream_chunks(server, "/v1/completions",
                           {"prompt": prompt, "max_tokens": 48, "temperature": 0,
                            "stop": stop, "stream": True})
    assert "".join(c["choices"][0]["text"] for c in chunks) == choice["text"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_chat(server):
    messages = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hello"}]
    rendered = "system: Be brief.\nuser: Hello\nassistant: "
    expected = torch_greedy([rendered], 24, stops=["\nuser:"])[0]
    body = post(server, "/v1/chat/completions",
                {"messages": messages, "max_tokens": 24, "temperature": 0}).json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert choice["token_ids"] == expected
    assert body["usage"]["prompt_tokens"] == len(rendered)
    chunks = stream_chunks(server, "/v1/chat/completions",
                           {"messages": messages, "max_tokens": 24, "temperature": 0,
                            "stream": True})
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(c["choices"][0]["delta"]["content"] for c in chunks) == \
        choice["message"]["content"]
    assert [i for c in chunks for i in c["choices"][0]["token_ids"]] == expected


def test_seeded_sampling_is_repeatable(server):
    request = {"prompt": PROMPTS[0], "max_tokens": 32, "temperature": 1.2, "top_p": 0.95,
               "seed": 11}
    first = post(server, "/v1/completions", request).json()["choices"][0]["token_ids"]
    again = post(server, "/v1/completions", request).json()["choices"][0]["token_ids"]
    other = post(server, "/v1/completions",
                 dict(request, seed=12)).json()["choices"][0]["token_ids"]
    assert first == again
    assert first != other
    # The same draws as cleave-generate's for that sequence alone.
    generate = Path(os.environ.get("CLEAVE_SERVE", "")).parent / "cleave-generate"
    if generate.exists():
        out = subprocess.run([str(generate), ARTIFACT, "--prompt", PROMPTS[0],
                              "--max-new-tokens", "32", "--temperature", "1.2", "--top-p",
                              "0.95", "--seed", "11", "--ids"],
                             capture_output=True, text=True, check=True).stdout
        assert [int(i) for i in out.split(",")] == first


def read_stream_http_client(port, body, out, index):
    """Streams one completion with http.client; stores its token ids and text."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/v1/completions", body=json.dumps(body),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = events(response.read().decode())
    chunks = [json.loads(d) for d in data[:-1]]
    out[index] = ([i for c in chunks for i in c["choices"][0]["token_ids"]],
                  "".join(c["choices"][0]["text"] for c in chunks), data[-1])
    connection.close()


@pytest.mark.parametrize("options, slots", [([], 4), (["--max-batch", "2"], 2)])
def test_concurrent_streams_share_the_batch(serve, reference, options, slots):
    """12 streaming requests at once on 4 slots (or 2, --max-batch 2): 8 with http.client, 4
    with curl. Each gets exactly its own greedy ids, as alone."""
    server = serve([ARTIFACT, "--model-name", "lm", *options])
    if not shutil.which("curl"):
        pytest.fail("curl is missing (scripts/setup.sh installs it)")
    requests = []
    for n in range(12):
        prompt = PROMPTS[n % len(PROMPTS)]
        requests.append({"prompt": prompt, "max_tokens": 16 + 8 * (n % 5),
                         "temperature": 0, "stream": True})
    results = [None] * len(requests)
    threads = []
    curls = []
    for n, body in enumerate(requests):
        if n % 3 == 2:
            curls.append((n, subprocess.Popen(
                ["curl", "-sS", "-N", "--noproxy", "*", "-H", "Content-Type: application/json",
                 "-d", json.dumps(body), f"{server.url}/v1/completions"],
                stdout=subprocess.PIPE, text=True)))
        else:
            thread = threading.Thread(target=read_stream_http_client,
                                      args=(server.port, body, results, n))
            thread.start()
            threads.append(thread)
    for thread in threads:
        thread.join(60)
    for n, process in curls:
        out, _ = process.communicate(timeout=60)
        data = events(out)
        chunks = [json.loads(d) for d in data[:-1]]
        results[n] = ([i for c in chunks for i in c["choices"][0]["token_ids"]],
                      "".join(c["choices"][0]["text"] for c in chunks), data[-1])
    for n, body in enumerate(requests):
        assert results[n] is not None, f"request {n} got no answer"
        ids, text, done = results[n]
        expected = reference[body["prompt"]][:body["max_tokens"]]
        assert done == "[DONE]"
        assert ids == expected, f"request {n} ({body['prompt']!r})"
        assert text == text_of(expected)
    metrics = server.get("/metrics", proxies=NO_PROXY).text
    print(metrics)

    def metric(name):
        return sum(float(line.split()[-1]) for line in metrics.splitlines()
                   if line.startswith(name))

    assert metric("cleave_generation_slots") == slots
    assert metric("cleave_generation_tokens_total") == sum(b["max_tokens"] for b in requests)
    assert metric("cleave_generation_joins_total") == len(requests)


def error_of(response, status, param=None, code=None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    assert set(error) == {"message", "type", "param", "code"}
    if param is not None:
        assert error["param"] == param
    if code is not None:
        assert error["code"] == code
    return error["message"]


def test_errors(server):
    assert "not valid JSON" in error_of(post(server, "/v1/completions", "{bad"), 400)
    assert "JSON object" in error_of(post(server, "/v1/completions", "[1, 2]"), 400)
    assert "'prompt' is required" in error_of(post(server, "/v1/completions", {}), 400, "prompt")
    assert "'messages' is required" in error_of(post(server, "/v1/chat/completions", {}), 400)
    bad_fields = [
        ({"prompt": 7}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": [1, 300]}, "prompt"),
        ({"prompt": "a", "max_tokens": "8"}, "max_tokens"),
        ({"prompt": "a", "max_tokens": 0}, "max_tokens"),
        ({"prompt": "a", "temperature": "hot"}, "temperature"),
        ({"prompt": "a", "temperature": 3}, "temperature"),
        ({"prompt": "a", "top_p": 0}, "top_p"),
        ({"prompt": "a", "top_k": -1}, "top_k"),
        ({"prompt": "a", "repetition_penalty": 0}, "repetition_penalty"),
        ({"prompt": "a", "seed": 1.5}, "seed"),
        ({"prompt": "a", "stream": "yes"}, "stream"),
        ({"prompt": "a", "stop": 5}, "stop"),
        ({"prompt": "a", "stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"prompt": "a", "stop": [""]}, "stop"),
        ({"prompt": "a", "n": 2}, "n"),
        ({"prompt": "a", "model": 5}, "model"),
    ]
    for body, param in bad_fields:
        message = error_of(post(server, "/v1/completions", body), 400, param)
        assert f"'{param}'" in message, (body, message)
    for messages in ["hi", [], [{"role": "robot", "content": "x"}], [{"role": "user"}], [3]]:
        error_of(post(server, "/v1/chat/completions", {"messages": messages}), 400, "messages")
    # Longer than the context (--max-seq-len=128), alone or with its new tokens.
    message = error_of(post(server, "/v1/completions", {"prompt": "x" * 130}), 400, "prompt",
                       "context_length_exceeded")
    assert "context of 128" in message
    error_of(post(server, "/v1/completions", {"prompt": "x" * 100, "max_tokens": 40}), 400,
             "prompt", "context_length_exceeded")
    error_of(post(server, "/v1/chat/completions",
                  {"messages": [{"role": "user", "content": "x" * 130}]}), 400, "messages",
             "context_length_exceeded")
    assert "does not exist" in error_of(
        post(server, "/v1/completions", {"model": "gpt-4", "prompt": "a"}), 404, "model",
        "model_not_found")
    error_of(server.get("/v1/models/gpt-4", proxies=NO_PROXY), 404, "model")
    assert "no route" in error_of(post(server, "/v2/models/lm/infer", {}), 404)
    # The server still answers.
    assert post(server, "/v1/completions", {"prompt": "a", "max_tokens": 2}).status_code == 200


def test_sigterm_answers_what_is_in_flight(server):
    result = {}

    def ask():
        try:
            result["answer"] = post(server, "/v1/completions",
                                    {"prompt": "Hello", "max_tokens": 100, "temperature": 0})
        except OSError:  # the server stopped listening first
            result["answer"] = None

    thread = threading.Thread(target=ask)
    thread.start()
    server.process.send_signal(signal.SIGTERM)
    thread.join(60)
    assert server.wait(30) == 0
    assert "stopped after answering every request" in server.output()
    if "answer" in result and result["answer"] is not None:
        # Answered in full, or refused as the server stopped: never cut short.
        answer = result["answer"]
        assert answer.status_code in (200, 503), answer.text
        if answer.status_code == 200:
            assert len(answer.json()["choices"][0]["token_ids"]) == 100


def test_options_that_do_not_apply(serve, tmp_path):
    command = [os.environ.get("CLEAVE_SERVE", str(ROOT / "build" / "bin" / "cleave-serve")),
               ARTIFACT, "--port", "0", "--instances", "2"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == ["cleave-serve: error: --instances does not apply to a model compiled with "
                     "--generate (it is served with the OpenAI API, /v1/completions)"]
