#!/usr/bin/python3
# Generates the models of the benchmark suite (bench/suite.py) at a given batch.
"""Usage: gen_suite.py NAME --out DIR [--batch B]      (gen_suite.py --list prints the names)

Every model has seeded random weights; BatchNorm statistics are calibrated (train mode with
momentum=None over a few random batches, as gen_cnn.py does), so activations stay well
scaled. The batch B is the leading dim of every input (images, sequences, waveforms, rows).
Writes DIR/model.onnx, DIR/inputs/*.npy and DIR/inputs.txt (see common.py).
"""

import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

CALIBRATION_BATCHES = 2
CALIBRATION_BATCH_SIZE = 4


def calibrate_batchnorm(model, make_input):
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    if bns:
        model.train()
        with torch.no_grad():
            for _ in range(CALIBRATION_BATCHES):
                model(make_input(CALIBRATION_BATCH_SIZE))
    model.eval()


# --- classification CNNs (torchvision, 3x224x224) ----------------------------------------

def torchvision_model(arch):
    def build():
        kwargs = {"weights": None}
        if arch == "googlenet":
            kwargs.update(aux_logits=False, init_weights=True)
        return getattr(torchvision.models, arch)(**kwargs)
    return build


# --- dense prediction: FPN neck with Resize (nearest) and ConvTranspose, 320x320 ---------

def conv_bn(cin, cout, k=3, stride=1, groups=1):
    return torch.nn.Sequential(
        torch.nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        torch.nn.BatchNorm2d(cout), torch.nn.ReLU())


class FPN(torch.nn.Module):
    """A DBNet-style text detector: a 4-stage backbone (strides 4..32), 1x1 laterals, a
    top-down path with nearest Resize x2 and Add, the levels resized to 1/4 and
    concatenated, and a head of two stride-2 ConvTransposes back to full resolution."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Sequential(conv_bn(3, 16, 3, 2), conv_bn(16, 32, 3, 2))
        chans = [32, 64, 128, 256]
        self.stages = torch.nn.ModuleList(
            [conv_bn(32, 32)] + [torch.nn.Sequential(conv_bn(chans[i - 1], chans[i], 3, 2),
                                                     conv_bn(chans[i], chans[i]))
                                 for i in range(1, 4)])
        self.lateral = torch.nn.ModuleList(torch.nn.Conv2d(c, 64, 1) for c in chans)
        self.smooth = torch.nn.ModuleList(conv_bn(64, 16) for _ in chans)
        self.head = torch.nn.Sequential(
            conv_bn(64, 16), torch.nn.ConvTranspose2d(16, 16, 2, 2), torch.nn.BatchNorm2d(16),
            torch.nn.ReLU(), torch.nn.ConvTranspose2d(16, 1, 2, 2), torch.nn.Sigmoid())

    def forward(self, x):
        x = self.stem(x)
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        lat = [l(f) for l, f in zip(self.lateral, feats)]
        for i in range(3, 0, -1):
            lat[i - 1] = lat[i - 1] + F.interpolate(lat[i], scale_factor=2.0, mode="nearest")
        outs = [s(l) for s, l in zip(self.smooth, lat)]
        outs = [outs[0]] + [F.interpolate(o, scale_factor=2.0 ** i, mode="nearest")
                            for i, o in enumerate(outs[1:], 1)]
        return self.head(torch.cat(outs, 1))


# --- audio --------------------------------------------------------------------------------

class STFTFrontEnd(torch.nn.Module):
    """An STFT as a strided 1-D Conv (window 400, hop 160, 201 bins, real and imaginary
    filters), the power spectrum, a mel MatMul (201 -> 80) and a log."""

    def __init__(self):
        super().__init__()
        n, bins = 400, 201
        t = torch.arange(n, dtype=torch.float32)
        window = 0.5 - 0.5 * torch.cos(2 * math.pi * t / n)
        f = torch.arange(bins, dtype=torch.float32)[:, None]
        real = torch.cos(2 * math.pi * f * t / n) * window
        imag = -torch.sin(2 * math.pi * f * t / n) * window
        self.conv = torch.nn.Conv1d(1, 2 * bins, n, stride=160, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.cat([real, imag])[:, None, :])
        self.mel = torch.nn.Parameter(torch.rand(bins, 80) / bins)
        self.bins = bins

    def forward(self, wave):
        y = self.conv(wave)
        re, im = y[:, :self.bins], y[:, self.bins:]
        power = re * re + im * im
        return torch.log(torch.matmul(power.transpose(1, 2), self.mel) + 1e-6)


class Conv1dStack(torch.nn.Module):
    """A 1-D conv stack over 80 mel bands x 200 frames (kernels 5 and 3, one stride 2),
    BatchNorm, ReLU, a mean over time and a linear classifier."""

    def __init__(self):
        super().__init__()
        layers, cin = [], 80
        for cout, k, s in [(256, 5, 1), (256, 5, 1), (256, 5, 1), (256, 3, 2), (256, 3, 1)]:
            layers += [torch.nn.Conv1d(cin, cout, k, s, k // 2, bias=False),
                       torch.nn.BatchNorm1d(cout), torch.nn.ReLU()]
            cin = cout
        self.body = torch.nn.Sequential(*layers)
        self.fc = torch.nn.Linear(256, 32)

    def forward(self, x):
        return self.fc(self.body(x).mean(2))


# --- transformers -------------------------------------------------------------------------

class Attention(torch.nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.proj = torch.nn.Linear(dim, dim)
        self.heads = heads

    def forward(self, x):
        b, t, c = x.shape
        h, d = self.heads, c // self.heads
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (y.reshape(b, t, h, d).transpose(1, 2) for y in (q, k, v))
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(d))
        y = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class EncoderLayer(torch.nn.Module):
    """Post-LayerNorm (BERT) or pre-LayerNorm (ViT) encoder layer with a tanh-GELU MLP."""

    def __init__(self, dim, heads, ff, pre_norm):
        super().__init__()
        self.attn = Attention(dim, heads)
        self.ln1 = torch.nn.LayerNorm(dim)
        self.ln2 = torch.nn.LayerNorm(dim)
        self.fc = torch.nn.Linear(dim, ff)
        self.out = torch.nn.Linear(ff, dim)
        self.pre_norm = pre_norm

    def mlp(self, x):
        return self.out(F.gelu(self.fc(x), approximate="tanh"))

    def forward(self, x):
        if self.pre_norm:
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))
        x = self.ln1(x + self.attn(x))
        return self.ln2(x + self.mlp(x))


class BertEncoder(torch.nn.Module):
    """BERT-base shapes (hidden 768, 12 heads, FF 3072, sequence 128) with 2 layers and a
    1000-token vocabulary, so that it compiles and runs in seconds."""

    def __init__(self):
        super().__init__()
        self.tok = torch.nn.Embedding(1000, 768)
        self.pos = torch.nn.Parameter(torch.randn(1, 128, 768) * 0.02)
        self.ln = torch.nn.LayerNorm(768)
        self.layers = torch.nn.ModuleList(EncoderLayer(768, 12, 3072, False) for _ in range(2))

    def forward(self, ids):
        x = self.ln(self.tok(ids) + self.pos)
        for layer in self.layers:
            x = layer(x)
        return x


class ViT(torch.nn.Module):
    """A small ViT: 16x16 patches of 224x224 (a stride-16 Conv), a class token (Concat),
    4 pre-LayerNorm layers of dim 192, 3 heads, FF 768, a linear head on the class token."""

    def __init__(self):
        super().__init__()
        self.patch = torch.nn.Conv2d(3, 192, 16, 16)
        self.cls = torch.nn.Parameter(torch.randn(1, 1, 192) * 0.02)
        self.pos = torch.nn.Parameter(torch.randn(1, 197, 192) * 0.02)
        self.layers = torch.nn.ModuleList(EncoderLayer(192, 3, 768, True) for _ in range(4))
        self.ln = torch.nn.LayerNorm(192)
        self.head = torch.nn.Linear(192, 100)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for layer in self.layers:
            x = layer(x)
        return self.head(self.ln(x)[:, 0])


# --- NHWC input ---------------------------------------------------------------------------

class BlazeBlock(torch.nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = torch.nn.Conv2d(cin, cin, 5, stride, 2, groups=cin)
        self.pw = torch.nn.Conv2d(cin, cout, 1)
        self.stride, self.pad = stride, cout - cin

    def forward(self, x):
        y = self.pw(self.dw(x))
        if self.stride == 2:
            x = F.max_pool2d(x, 2)
        if self.pad:
            # Channel padding with zeros. As F.pad it would export its pads through a chain of
            # Slice/Transpose/Reshape/Cast on constants, which the importer does not fold.
            x = torch.cat([x, x[:, :self.pad] * 0.0], 1)
        return F.relu(x + y)


class BlazeFaceNHWC(torch.nn.Module):
    """A BlazeFace-style detector on an NHWC 128x128x3 input (transposed to NCHW first):
    depthwise 5x5 blocks with channel-padding residual Adds, two heads, NHWC outputs."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 24, 5, 2, 2)
        cfg = [(24, 24, 1), (24, 28, 1), (28, 32, 2), (32, 36, 1), (36, 42, 1), (42, 48, 2),
               (48, 56, 1), (56, 64, 1), (64, 72, 1), (72, 80, 1), (80, 88, 1), (88, 96, 2),
               (96, 96, 1), (96, 96, 1), (96, 96, 1)]
        self.blocks = torch.nn.Sequential(*[BlazeBlock(*c) for c in cfg])
        self.cls = torch.nn.Conv2d(96, 6, 1)
        self.reg = torch.nn.Conv2d(96, 96, 1)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x.permute(0, 3, 1, 2))))
        return self.cls(x).permute(0, 2, 3, 1), self.reg(x).permute(0, 2, 3, 1)


# --- the table ------------------------------------------------------------------------------

def image(size, channels_last=False):
    def make(batch, gen=None):
        shape = (batch, size, size, 3) if channels_last else (batch, 3, size, size)
        return torch.randn(*shape, generator=gen)
    return make


def tokens(vocab, seq):
    def make(batch, gen=None):
        return torch.randint(0, vocab, (batch, seq), generator=gen)
    return make


def randn(*shape):
    def make(batch, gen=None):
        return torch.randn(batch, *shape, generator=gen)
    return make


# name -> (family, module builder, input maker, opset, output count)
MODELS = {
    "resnet18": ("cnn", torchvision_model("resnet18"), image(224), 13, 1),
    "resnet50": ("cnn", torchvision_model("resnet50"), image(224), 13, 1),
    "mobilenet_v2": ("cnn", torchvision_model("mobilenet_v2"), image(224), 13, 1),
    "mobilenet_v3": ("cnn", torchvision_model("mobilenet_v3_large"), image(224), 13, 1),
    "squeezenet": ("cnn", torchvision_model("squeezenet1_1"), image(224), 13, 1),
    "shufflenet_v2": ("cnn", torchvision_model("shufflenet_v2_x1_0"), image(224), 13, 1),
    "efficientnet_b0": ("cnn", torchvision_model("efficientnet_b0"), image(224), 13, 1),
    "mnasnet": ("cnn", torchvision_model("mnasnet1_0"), image(224), 13, 1),
    "googlenet": ("cnn", torchvision_model("googlenet"), image(224), 13, 1),
    "densenet121": ("cnn", torchvision_model("densenet121"), image(224), 13, 1),
    "fpn320": ("dense", FPN, image(320), 13, 1),
    "stft": ("audio", STFTFrontEnd, randn(1, 16000), 13, 1),
    "conv1d_stack": ("audio", Conv1dStack, randn(80, 200), 13, 1),
    "bert_base2": ("transformer", BertEncoder, tokens(1000, 128), 17, 1),
    "vit_small": ("transformer", ViT, image(224), 17, 1),
    "gpt": ("transformer", None, None, 17, 1),
    "mlp": ("mlp", None, None, 13, 1),
    "blazeface_nhwc": ("nhwc", BlazeFaceNHWC, image(128, channels_last=True), 13, 2),
}


def generate(out_dir, name, batch=1):
    os.makedirs(out_dir, exist_ok=True)
    if name == "gpt":
        import gen_gpt
        return gen_gpt.generate(out_dir, batch=batch)
    if name == "mlp":
        import gen_mlp
        model, inputs = gen_mlp.build()
        x = common.rng().standard_normal((batch, inputs["input"].shape[1])).astype("float32")
        names, example = ["input"], {"input": x}
        opset, outputs = 13, ["output"]
    else:
        _, build, make_input, opset, n_out = MODELS[name]
        torch.manual_seed(common.SEED)
        model = build()
        calibrate_batchnorm(model, lambda b: make_input(b, torch.Generator().manual_seed(1)))
        x = make_input(batch, torch.Generator().manual_seed(common.SEED)).numpy()
        names, example = ["input"], {"input": x}
        outputs = ["output"] if n_out == 1 else [f"output{i}" for i in range(n_out)]
    path = os.path.join(out_dir, "model.onnx")
    onnx_model = common.export_torch(model, tuple(torch.from_numpy(example[n]) for n in names),
                                     path, names, outputs, opset)
    common.write_model(onnx_model, out_dir)
    common.write_inputs(out_dir, example)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", choices=sorted(MODELS))
    parser.add_argument("--out")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--list", action="store_true", help="print name and family per line")
    args = parser.parse_args()
    if args.list:
        print("\n".join(f"{n} {v[0]}" for n, v in MODELS.items()))
        return 0
    if not args.name or not args.out:
        parser.error("NAME and --out are required")
    generate(args.out, args.name, args.batch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
