#!/usr/bin/python3
# Generates torchvision resnet18 / mobilenet_v2 (seeded init, calibrated BatchNorm) at opset 13.
"""Usage: gen_cnn.py --out DIR --arch resnet18|mobilenet_v2

Random weights alone give BatchNorm running statistics of 0/1, which do not match the
activations; every later layer then sees badly scaled inputs and the logits become huge or
constant. So the BatchNorm statistics are calibrated: with momentum=None (a cumulative
average) the model runs in train mode over a few random batches, then is exported in eval
mode, batch 1 (or the batch given to generate()), 3x224x224, input `input`, output `output`.
"""

import torch
import torchvision

import common

ARCHS = {
    "resnet18": torchvision.models.resnet18,
    "mobilenet_v2": torchvision.models.mobilenet_v2,
}
CALIBRATION_BATCHES = 4
CALIBRATION_BATCH_SIZE = 8


def calibrate_batchnorm(model, generator):
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(CALIBRATION_BATCHES):
            model(torch.randn(CALIBRATION_BATCH_SIZE, 3, 224, 224, generator=generator))
    model.eval()


def build(arch, batch=1):
    """The seeded, calibrated torch module (eval mode) and its inputs, as exported."""
    torch.manual_seed(common.SEED)
    model = ARCHS[arch](weights=None)
    calibrate_batchnorm(model, torch.Generator().manual_seed(common.SEED + 1))
    x = common.rng().standard_normal((batch, 3, 224, 224)).astype("float32")
    return model, {"input": x}


def generate(out_dir, arch, batch=1):
    model, inputs = build(arch, batch)
    x = inputs["input"]
    path = f"{out_dir}/model.onnx"
    onnx_model = common.export_torch(model, (torch.from_numpy(x),), path, ["input"], ["output"], 13)
    common.write_model(onnx_model, out_dir)
    common.write_inputs(out_dir, {"input": x})


if __name__ == "__main__":
    args = common.parse_out_dir(
        __doc__, lambda p: p.add_argument("--arch", choices=sorted(ARCHS), required=True))
    generate(args.out, args.arch)
