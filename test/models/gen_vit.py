#!/usr/bin/python3
# Generates a small vision transformer with a class token, exported by torch with a dynamic batch.
"""Usage: gen_vit.py --out DIR [--static]

8x8 patches of a 3x32x32 image (a stride-8 Conv), a learned class token concatenated in
front of the 16 patch tokens (`cls.expand(B, -1, -1)`), learned positions, 2 pre-LayerNorm
blocks of multi-head attention (4 heads, dim 64) written as timm writes them
(`qkv.reshape(B, N, 3, H, C // H).permute(2, 0, 3, 1, 4)`), and a linear head on the class
token; batch 2.

The batch is exported as the dynamic dim `batch`, so every shape above reaches the graph as
Shape -> Gather -> Unsqueeze -> Concat arithmetic (and torch's Expand spells its -1 entries
with ConstantOfShape/Mul/Equal/Where); compile_args.txt binds the batch, after which all of
it must fold at compile time. --static exports the batch fixed instead: torch then writes
the batch 2 into the attention reshapes and the class-token Expand as constants, which
microbatching must rewrite. Input `image` (float32 [2, 3, 32, 32]), output `logits`
(float32 [2, 10]).
"""

import torch

import common

BATCH, IMAGE, PATCH, DIM, HEADS, LAYERS, CLASSES = 2, 32, 8, 64, 4, 2, 10
TOKENS = (IMAGE // PATCH) ** 2 + 1


class Attention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = torch.nn.Linear(DIM, 3 * DIM)
        self.proj = torch.nn.Linear(DIM, DIM)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        scores = (q @ k.transpose(-2, -1)) * (c // HEADS) ** -0.5
        y = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(y)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(DIM)
        self.attn = Attention()
        self.ln2 = torch.nn.LayerNorm(DIM)
        self.fc1 = torch.nn.Linear(DIM, 4 * DIM)
        self.fc2 = torch.nn.Linear(4 * DIM, DIM)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.ln2(x))))


class ViT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = torch.nn.Conv2d(3, DIM, PATCH, PATCH)
        self.cls = torch.nn.Parameter(torch.randn(1, 1, DIM) * 0.5)
        self.pos = torch.nn.Parameter(torch.randn(1, TOKENS, DIM) * 0.5)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln = torch.nn.LayerNorm(DIM)
        self.head = torch.nn.Linear(DIM, CLASSES)

    def forward(self, image):
        x = self.patch(image).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.size(0), -1, -1), x], dim=1) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x)[:, 0])


def generate(out_dir, static=False):
    torch.manual_seed(common.SEED)
    model = ViT()
    image = common.rng().standard_normal((BATCH, 3, IMAGE, IMAGE)).astype("float32")
    path = f"{out_dir}/model.onnx"
    dynamic_axes = None if static else {"image": {0: "batch"}, "logits": {0: "batch"}}
    onnx_model = common.export_torch(model, (torch.from_numpy(image),), path, ["image"],
                                     ["logits"], 17, dynamic_axes)
    common.write_model(onnx_model, out_dir)
    common.write_inputs(out_dir, {"image": image})
    if not static:
        common.write_compile_args(out_dir, [f"--input-shape=image={BATCH}x3x{IMAGE}x{IMAGE}"])


if __name__ == "__main__":
    args = common.parse_out_dir(__doc__, lambda p: p.add_argument("--static", action="store_true"))
    generate(args.out, args.static)
