#!/usr/bin/python3
# Generates a model of the convolution shapes the CPU code generation treats specially, at batch 2.
"""Usage: gen_conv_shapes.py --out DIR

Two inputs at batch 2 (each sample through the per-sample convolution loop):
- `wave` [2, 1, 4000]: an STFT-like 1-D Conv (64 filters, kernel 400, stride 160), a 1-D
  Conv (kernel 3, dilation 2), output `spec` [2, 32, 19];
- `image` [2, 16, 20, 20]: a grouped Conv (4 groups, stride 2), a depthwise 5x5 Conv, a 1x1
  Conv, a stride-2 ConvTranspose, a nearest Resize x2 and a dilated 3x3 Conv, output `map`
  [2, 8, 40, 40].
Seeded random weights, opset 13.
"""

import torch
import torch.nn.functional as F

import common


class ConvShapes(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stft = torch.nn.Conv1d(1, 64, 400, stride=160, bias=False)
        self.conv1d = torch.nn.Conv1d(64, 32, 3, dilation=2)
        self.grouped = torch.nn.Conv2d(16, 32, 3, stride=2, padding=1, groups=4)
        self.depthwise = torch.nn.Conv2d(32, 32, 5, padding=2, groups=32)
        self.pointwise = torch.nn.Conv2d(32, 32, 1)
        self.up = torch.nn.ConvTranspose2d(32, 16, 2, stride=2)
        self.dilated = torch.nn.Conv2d(16, 8, 3, padding=2, dilation=2)

    def forward(self, wave, image):
        spec = self.conv1d(torch.relu(self.stft(wave)))
        x = torch.relu(self.grouped(image))
        x = torch.relu(self.pointwise(self.depthwise(x)))
        x = F.interpolate(self.up(x), scale_factor=2.0, mode="nearest")
        return spec, self.dilated(x)


def generate(out_dir):
    torch.manual_seed(common.SEED)
    model = ConvShapes()
    r = common.rng()
    inputs = {"wave": r.standard_normal((2, 1, 4000)).astype("float32"),
              "image": r.standard_normal((2, 16, 20, 20)).astype("float32")}
    path = f"{out_dir}/model.onnx"
    onnx_model = common.export_torch(
        model, tuple(torch.from_numpy(v) for v in inputs.values()), path, list(inputs),
        ["spec", "map"], 13)
    common.write_model(onnx_model, out_dir)
    common.write_inputs(out_dir, inputs)


if __name__ == "__main__":
    generate(common.parse_out_dir(__doc__).out)
