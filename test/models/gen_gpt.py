#!/usr/bin/python3
# Generates a small GPT-style decoder (2 blocks, causal attention, GELU MLP) at opset 17.
"""Usage: gen_gpt.py --out DIR [--dynamic]

Token + learned positional embedding, 2 pre-LayerNorm blocks of causal multi-head
self-attention (4 heads, d_model 128, triangular mask) and a tanh-GELU MLP, final LayerNorm
and LM head; vocab 512, batch 2 (or the batch given to generate()), seq 32. Input `input_ids` (int64 [2, 32]), output `logits`
(float32 [2, 32, 512]). Opset 17 so that LayerNorm exports as LayerNormalization.

--dynamic exports batch and sequence as the dynamic dims `batch` and `seq` (the position
ids then come from Shape/Range in the graph) and writes compile_args.txt binding them.
"""

import math

import torch

import common

VOCAB, D_MODEL, HEADS, LAYERS, MAX_SEQ = 512, 128, 4, 2, 32
BATCH, SEQ = 2, 32
HEAD_DIM = D_MODEL // HEADS


class CausalSelfAttention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = torch.nn.Linear(D_MODEL, 3 * D_MODEL)
        self.proj = torch.nn.Linear(D_MODEL, D_MODEL)
        mask = torch.triu(torch.ones(MAX_SEQ, MAX_SEQ, dtype=torch.bool), diagonal=1)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(D_MODEL, dim=2)
        # [b, t, c] -> [b, heads, t, head_dim]
        q, k, v = (y.reshape(b, t, HEADS, HEAD_DIM).transpose(1, 2) for y in (q, k, v))
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(HEAD_DIM))
        scores = scores.masked_fill(self.mask[:t, :t], float("-inf"))
        y = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(D_MODEL)
        self.attn = CausalSelfAttention()
        self.ln2 = torch.nn.LayerNorm(D_MODEL)
        self.fc = torch.nn.Linear(D_MODEL, 4 * D_MODEL)
        self.out = torch.nn.Linear(4 * D_MODEL, D_MODEL)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.out(torch.nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = torch.nn.Embedding(VOCAB, D_MODEL)
        self.pos = torch.nn.Embedding(MAX_SEQ, D_MODEL)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln_f = torch.nn.LayerNorm(D_MODEL)
        self.head = torch.nn.Linear(D_MODEL, VOCAB, bias=False)
        # Non-trivial LayerNorm affine parameters, so that scale and bias are really tested.
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, torch.nn.LayerNorm):
                    m.weight.normal_(1.0, 0.1)
                    m.bias.normal_(0.0, 0.1)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        x = self.tok(input_ids) + self.pos(torch.arange(t, device=input_ids.device))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def generate(out_dir, dynamic=False, batch=BATCH):
    torch.manual_seed(common.SEED)
    model = GPT()
    ids = common.rng().integers(0, VOCAB, size=(batch, SEQ), dtype="int64")
    dynamic_axes = None
    if dynamic:
        dynamic_axes = {"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
    path = f"{out_dir}/model.onnx"
    onnx_model = common.export_torch(model, (torch.from_numpy(ids),), path, ["input_ids"],
                                     ["logits"], 17, dynamic_axes)
    common.write_model(onnx_model, out_dir)
    common.write_inputs(out_dir, {"input_ids": ids})
    if dynamic:
        common.write_compile_args(out_dir, [f"--input-shape=input_ids={batch}x{SEQ}"])


if __name__ == "__main__":
    args = common.parse_out_dir(__doc__, lambda p: p.add_argument("--dynamic", action="store_true"))
    generate(args.out, args.dynamic)
