#!/usr/bin/python3
# Generates a 3-layer MLP (Gemm+Relu, MatMul+Add+Relu, Gemm) exported from torch at opset 13.
"""Usage: gen_mlp.py --out DIR [--variant default|small]

default: batch 8, 256 -> 1024 -> 1024 -> 256.  small: batch 4, 16 -> 32 -> 32 -> 8 (fast,
for bad-input tests and debugging).
"""

import torch

import common

VARIANTS = {
    "default": dict(batch=8, dims=(256, 1024, 1024, 256)),
    "small": dict(batch=4, dims=(16, 32, 32, 8)),
}


class MLP(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        d0, d1, d2, d3 = dims
        self.fc1 = torch.nn.Linear(d0, d1)  # 2-D Linear exports as Gemm
        # An explicit x @ W + b exports as MatMul + Add, the other common MLP form.
        self.w2 = torch.nn.Parameter(torch.randn(d1, d2) / d1 ** 0.5)
        self.b2 = torch.nn.Parameter(torch.randn(d2) * 0.1)
        self.fc3 = torch.nn.Linear(d2, d3)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(torch.matmul(x, self.w2) + self.b2)
        return self.fc3(x)


def build(variant="default"):
    """The seeded torch module and its inputs (name -> numpy array), as exported."""
    cfg = VARIANTS[variant]
    torch.manual_seed(common.SEED)
    model = MLP(cfg["dims"])
    x = common.rng().standard_normal((cfg["batch"], cfg["dims"][0])).astype("float32")
    return model, {"input": x}


def generate(out_dir, variant="default"):
    model, inputs = build(variant)
    x = inputs["input"]
    path = f"{out_dir}/model.onnx"
    onnx_model = common.export_torch(model, (torch.from_numpy(x),), path, ["input"], ["output"], 13)
    common.write_model(onnx_model, out_dir)
    common.write_inputs(out_dir, {"input": x})


if __name__ == "__main__":
    args = common.parse_out_dir(
        __doc__, lambda p: p.add_argument("--variant", choices=sorted(VARIANTS), default="default"))
    generate(args.out, args.variant)
