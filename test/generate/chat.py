#!/usr/bin/python3
"""cleave-chat, input piped in: each reply (greedy, --ids) equals PyTorch's greedy ids for the
conversation so far rendered with the chat template (gen_gpt_kv.py --greedy, stop "\\nuser:");
/reset forgets the conversation; a full context drops the oldest messages; a message longer
than the context is refused with one line and the chat goes on; /quit, the end of input and
Ctrl-C end it with status 0; bad options are one line and status 1.

Usage: chat.py BINDIR LM.cleave
"""

import signal
import subprocess
import sys
import time
from pathlib import Path

MODELS = Path(__file__).resolve().parents[1] / "models"
MAX_SEQ_LEN = 128
TURN_END = "\nuser:"
failures = []


def check(condition, what):
    print(("ok: " if condition else "FAIL: ") + what)
    if not condition:
        failures.append(what)


def render(messages):
    return b"".join(role + b": " + content + b"\n" for role, content in messages) + b"assistant: "


def torch_greedy(prompts, max_new_tokens):
    command = [sys.executable, str(MODELS / "gen_gpt_kv.py"), "--greedy", "--size", "small",
               "--max-new-tokens", str(max_new_tokens), "--stop", TURN_END]
    for prompt in prompts:
        command += ["--prompt-ids", ",".join(str(b) for b in prompt)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return [[int(i) for i in line.split(",")] for line in out.splitlines()]


def chat(chat_tool, lm, lines, *options):
    result = subprocess.run([chat_tool, lm, *options], input="".join(l + "\n" for l in lines),
                            capture_output=True, text=True, timeout=60, errors="replace")
    return result


def replies_as_ids(stdout):
    return [[int(i) for i in line.split(",")] for line in stdout.splitlines()]


def conversation_prompts(lines, replies, max_new_tokens):
    """The prompt of each reply, as cleave-chat keeps the conversation (its own earlier replies,
    each checked against PyTorch in turn)."""
    messages, prompts, replies = [], [], list(replies)
    for line in lines:
        if line == "/quit":
            break
        if line == "/reset":
            messages = []
            continue
        messages.append((b"user", line.encode()))
        while len(render(messages)) + max_new_tokens > MAX_SEQ_LEN and len(messages) > 1:
            messages.pop(0)
        prompts.append(render(messages))
        reply = replies.pop(0)
        stop = list(TURN_END.encode())
        content = reply[:-len(stop)] if reply[-len(stop):] == stop else reply
        messages.append((b"assistant", bytes(content)))
    return prompts


def main():
    bindir, lm = Path(sys.argv[1]), sys.argv[2]
    tool = str(bindir / "cleave-chat")

    # A conversation, /reset, and a full context (30-byte messages, 24-token replies).
    lines = ["Hello", "/reset", "Hello", "How are you?"] + ["x" * 26 + str(i) for i in range(4)]
    lines += ["/quit", "never read"]
    result = chat(tool, lm, lines, "--max-new-tokens", "24", "--ids")
    check(result.returncode == 0, f"a piped conversation ends with status 0 ({result.stderr})")
    replies = replies_as_ids(result.stdout)
    check(len(replies) == 7, f"7 replies for 7 messages (got {len(replies)})")
    check(replies[0] == replies[1], "after /reset the same message gets the same reply")
    check("the conversation is forgotten" in result.stderr, "/reset says so on stderr")
    check("the context is full" in result.stderr, "a full context drops the oldest messages")
    prompts = conversation_prompts(lines, replies, 24)
    expected = torch_greedy(prompts, 24)
    for n, (got, want) in enumerate(zip(replies, expected)):
        check(got == want, f"reply {n + 1} equals PyTorch's greedy ids for the conversation "
                           f"({len(prompts[n])} tokens of context)")
    check(len(render([(b"user", lines[2].encode())])) < len(prompts[3]),
          "the conversation grows in the context")

    # The text streamed is the reply's bytes, the stop left out.
    result = chat(tool, lm, ["Hello"], "--max-new-tokens", "24")
    stop = list(TURN_END.encode())
    want = replies[0][:-len(stop)] if replies[0][-len(stop):] == stop else replies[0]
    check(result.returncode == 0 and
          result.stdout == bytes(want).decode("utf-8", errors="replace") + "\n",
          "the reply's text is streamed (end of input ends the chat)")

    # A message longer than the context: one line, and the chat goes on.
    result = chat(tool, lm, ["y" * 200, "Hello"], "--max-new-tokens", "24", "--ids")
    errors = [l for l in result.stderr.splitlines() if l.startswith("cleave-chat: error:")]
    check(result.returncode == 0 and len(errors) == 1 and "does not fit the context" in errors[0] and
          replies_as_ids(result.stdout) == [replies[0]],
          f"a message longer than the context is refused in one line ({result.stderr.strip()})")

    # Ctrl-C while waiting for a line ends the chat with status 0.
    process = subprocess.Popen([tool, lm, "--max-new-tokens", "8", "--ids"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdin.write("Hello\n")
    process.stdin.flush()
    first = process.stdout.readline()
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    try:
        status = process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        status = None
    check(first.strip() == ",".join(str(i) for i in replies[0][:8]) and status == 0,
          f"Ctrl-C ends the chat cleanly (status {status})")

    # Bad options: one line, status 1.
    for options, pattern in [(["--max-new-tokens", "0"], "--max-new-tokens expects"),
                             (["--top-k", "3"], "need --temperature"),
                             (["--frobnicate", "1"], "unknown option '--frobnicate'")]:
        result = subprocess.run([tool, lm, *options], input="", capture_output=True, text=True,
                                timeout=60)
        lines_err = result.stderr.strip().splitlines()
        check(result.returncode == 1 and len(lines_err) == 1 and pattern in lines_err[0],
              f"{options}: one error line ({result.stderr.strip()})")
    result = subprocess.run([tool, lm + ".missing"], input="", capture_output=True, text=True,
                            timeout=60)
    check(result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1,
          f"a missing artifact: one error line ({result.stderr.strip()})")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("PASS: cleave-chat")
    return 0


if __name__ == "__main__":
    sys.exit(main())
