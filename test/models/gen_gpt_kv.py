#!/usr/bin/python3
# Generates a GPT-style decoder with a KV cache in the Hugging Face / optimum layout, and
# computes PyTorch's greedy generation with it for reference.
"""Usage: gen_gpt_kv.py --out DIR [--size small|large] [--vocab V]
          gen_gpt_kv.py --greedy [--size S] [--vocab V] --max-new-tokens N (--prompt TEXT | --prompt-ids 1,2)...
                        [--repetition-penalty R] [--stop-id ID]... [--stop TEXT]...

The decoder: a vocabulary of V tokens (default 256, byte-level; another size is for a
SentencePiece tokenizer of as many pieces, the prompts then given as --prompt-ids), learned positions, pre-LayerNorm blocks of causal
multi-head attention and a tanh-GELU MLP, final LayerNorm and LM head, random weights from a
fixed seed. Inputs `input_ids` int64 [batch, seq], `attention_mask` int64 [batch, past + seq]
(1: attend, 0: masked), `position_ids` int64 [batch, seq], and per layer N
`past_key_values.N.key|value` float32 [batch, heads, past, head_dim]; outputs `logits`
float32 [batch, seq, V] and `present.N.key|value` [batch, heads, past + seq, head_dim]
(the past with the new rows appended). batch, seq and past are dynamic dims.

--greedy rebuilds the same model and prints, per prompt in order, one line of the ids of its
greedy continuation (argmax of the last position's logits, recomputed over the whole sequence
at every step, no cache), the reference cleave-generate --ids must equal. With
--repetition-penalty, the logits are first processed as Hugging Face's
RepetitionPenaltyLogitsProcessor does (the logits of the ids already in the sequence gathered,
divided by R where positive and multiplied where negative, scattered back); with --stop-id, a
sequence ends after the first new token that is one of them; with --stop, after the first new
token with which the sequence's bytes (prompt included) end with one of those texts.
"""

import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

VOCAB = 256
SIZES = {
    # name: (d_model, heads, layers, max positions)
    "small": (64, 4, 2, 512),
    "large": (1024, 16, 8, 512),
}


class Attention(torch.nn.Module):
    def __init__(self, d_model, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d_model // heads
        self.qkv = torch.nn.Linear(d_model, 3 * d_model)
        self.proj = torch.nn.Linear(d_model, d_model)

    def forward(self, x, bias, past_k, past_v):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (y.reshape(b, t, self.heads, self.head_dim).transpose(1, 2) for y in (q, k, v))
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        y = torch.matmul(torch.softmax(scores + bias, dim=-1), v)
        return self.proj(y.transpose(1, 2).reshape(b, t, c)), k, v


class Block(torch.nn.Module):
    def __init__(self, d_model, heads):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(d_model)
        self.attn = Attention(d_model, heads)
        self.ln2 = torch.nn.LayerNorm(d_model)
        self.fc = torch.nn.Linear(d_model, 4 * d_model)
        self.out = torch.nn.Linear(4 * d_model, d_model)

    def forward(self, x, bias, past_k, past_v):
        a, k, v = self.attn(self.ln1(x), bias, past_k, past_v)
        x = x + a
        return x + self.out(torch.nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh")), k, v


class DecoderWithPast(torch.nn.Module):
    def __init__(self, size, vocab=VOCAB):
        super().__init__()
        d_model, heads, layers, positions = SIZES[size]
        self.d_model, self.heads, self.layers = d_model, heads, layers
        self.tok = torch.nn.Embedding(vocab, d_model)
        self.pos = torch.nn.Embedding(positions, d_model)
        self.blocks = torch.nn.ModuleList(Block(d_model, heads) for _ in range(layers))
        self.ln_f = torch.nn.LayerNorm(d_model)
        self.head = torch.nn.Linear(d_model, vocab, bias=False)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, torch.nn.LayerNorm):
                    m.weight.normal_(1.0, 0.1)
                    m.bias.normal_(0.0, 0.1)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        b, t = input_ids.shape
        total = attention_mask.shape[1]
        # Query i sits at key index total - t + i and sees keys up to it that the mask keeps;
        # masked scores get a large negative bias (exp underflows to exactly 0).
        keys = torch.arange(total).reshape(1, total)
        queries = torch.arange(t).reshape(t, 1) + (total - t)
        allowed = (keys <= queries).reshape(1, 1, t, total) & (attention_mask.reshape(b, 1, 1, total) > 0)
        bias = (1.0 - allowed.to(torch.float32)) * -1e9
        x = self.tok(input_ids) + self.pos(position_ids)
        present = []
        for i, block in enumerate(self.blocks):
            x, k, v = block(x, bias, past[2 * i], past[2 * i + 1])
            present += [k, v]
        return (self.head(self.ln_f(x)), *present)


def build(size, vocab=VOCAB):
    torch.manual_seed(common.SEED)
    return DecoderWithPast(size, vocab).eval()


def io_names(layers):
    past = [f"past_key_values.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    present = [f"present.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    return ["input_ids", "attention_mask", "position_ids"] + past, ["logits"] + present


def generate(out_dir, size="small", vocab=VOCAB):
    model = build(size, vocab)
    batch, seq, past_len = 2, 3, 5
    ids = common.rng().integers(0, vocab, size=(batch, seq), dtype="int64")
    mask = torch.ones(batch, past_len + seq, dtype=torch.int64)
    positions = torch.arange(past_len, past_len + seq).reshape(1, seq).repeat(batch, 1)
    head_dim = model.d_model // model.heads
    past = [torch.from_numpy(common.rng(common.SEED + 1 + i).standard_normal(
        (batch, model.heads, past_len, head_dim)).astype("float32")) for i in range(2 * model.layers)]
    inputs, outputs = io_names(model.layers)
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "total"},
            "position_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
    for name in inputs[3:]:
        axes[name] = {0: "batch", 2: "past"}
    for name in outputs[1:]:
        axes[name] = {0: "batch", 2: "total"}
    onnx_model = common.export_torch(model, (torch.from_numpy(ids), mask, positions, *past),
                                     f"{out_dir}/model.onnx", inputs, outputs, 17, axes)
    common.write_model(onnx_model, out_dir)
    feeds = {"input_ids": ids, "attention_mask": mask.numpy(), "position_ids": positions.numpy()}
    feeds.update({name: p.numpy() for name, p in zip(inputs[3:], past)})
    common.write_inputs(out_dir, feeds)


def repetition_penalty(logits, seq, penalty):
    """Hugging Face's RepetitionPenaltyLogitsProcessor on one row of logits."""
    seen = torch.tensor(seq, dtype=torch.int64)
    score = torch.gather(logits, 0, seen)
    score = torch.where(score < 0, score * penalty, score / penalty)
    return logits.scatter(0, seen, score)


def greedy(size, prompts, max_new_tokens, penalty=1.0, stop_ids=(), stops=(), vocab=VOCAB):
    model = build(size, vocab)
    lines = []
    with torch.no_grad():
        for prompt in prompts:
            seq = list(prompt)
            for _ in range(max_new_tokens):
                ids = torch.tensor([seq], dtype=torch.int64)
                t = len(seq)
                past = [torch.zeros(1, model.heads, 0, model.d_model // model.heads)
                        for _ in range(2 * model.layers)]
                logits = model(ids, torch.ones(1, t, dtype=torch.int64),
                               torch.arange(t).reshape(1, t), *past)[0]
                last = logits[0, -1]
                if penalty != 1.0:
                    last = repetition_penalty(last, seq, penalty)
                seq.append(int(torch.argmax(last)))
                if seq[-1] in stop_ids or any(seq[-len(s):] == s for s in stops):
                    break
            lines.append(",".join(str(i) for i in seq[len(prompt):]))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--vocab", type=int, default=VOCAB)
    parser.add_argument("--greedy", action="store_true")
    # One list, in the order given, as cleave-generate keeps them.
    parser.add_argument("--prompt", dest="prompts", action="append", default=[],
                        type=lambda text: list(text.encode()))
    parser.add_argument("--prompt-ids", dest="prompts", action="append",
                        type=lambda ids: [int(i) for i in ids.split(",")])
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--repetition-penalty", type=float, default=1.0)
    parser.add_argument("--stop-id", dest="stop_ids", action="append", type=int, default=[])
    parser.add_argument("--stop", dest="stops", action="append", default=[],
                        type=lambda text: list(os.fsencode(text)))
    args = parser.parse_args()
    if args.greedy:
        print("\n".join(greedy(args.size, args.prompts, args.max_new_tokens,
                                args.repetition_penalty, args.stop_ids, args.stops, args.vocab)))
        return 0
    if not args.out:
        parser.error("--out is required (or --greedy)")
    os.makedirs(args.out, exist_ok=True)
    generate(args.out, args.size, args.vocab)
    return 0


if __name__ == "__main__":
    sys.exit(main())
