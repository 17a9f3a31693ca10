# Shared helpers for the test-model generators: output layout, seeded inputs, model checks.
"""Every generator writes, under its --out DIR:

  DIR/model.onnx           the model (checked with onnx.checker)
  DIR/inputs/<name>.npy    one deterministic input per graph input
  DIR/inputs.txt           one `NAME=FILE` line per graph input, FILE relative to DIR
  DIR/compile_args.txt     (optional) extra cleave-compile arguments, one per line
"""

import argparse
import os
import re

import numpy as np
import onnx

SEED = 1234


def sanitize(name):
    """File-name form of a tensor name, the rule cleave-run and ort-run.mjs use."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def parse_out_dir(description, extra=None):
    """Parses `--out DIR` (plus generator-specific options added by `extra(parser)`)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", required=True, help="output directory")
    if extra:
        extra(parser)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    return args


def rng(seed=SEED):
    return np.random.default_rng(seed)


def write_model(model, out_dir):
    """Checks the model (checker and strict shape inference) and saves it as DIR/model.onnx."""
    onnx.checker.check_model(model)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    path = os.path.join(out_dir, "model.onnx")
    onnx.save(model, path)
    return path


def write_inputs(out_dir, inputs):
    """Writes {name: array} as DIR/inputs/<name>.npy and lists them in DIR/inputs.txt."""
    os.makedirs(os.path.join(out_dir, "inputs"), exist_ok=True)
    lines = []
    for name, array in inputs.items():
        rel = os.path.join("inputs", sanitize(name) + ".npy")
        np.save(os.path.join(out_dir, rel), np.asarray(array, order="C"))  # keeps rank 0
        lines.append(f"{name}={rel}\n")
    with open(os.path.join(out_dir, "inputs.txt"), "w") as f:
        f.writelines(lines)


def write_compile_args(out_dir, args):
    with open(os.path.join(out_dir, "compile_args.txt"), "w") as f:
        f.writelines(a + "\n" for a in args)


def export_torch(module, example_inputs, path, input_names, output_names, opset,
                 dynamic_axes=None):
    """torch.onnx.export with the options every generator wants (torch 1.13 API)."""
    import torch

    module.eval()
    with torch.no_grad():
        torch.onnx.export(
            module,
            example_inputs,
            path,
            input_names=input_names,
            output_names=output_names,
            opset_version=opset,
            do_constant_folding=True,
            dynamic_axes=dynamic_axes,
        )
    return onnx.load(path)
