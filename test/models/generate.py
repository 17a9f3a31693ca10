#!/usr/bin/python3
# Generates one named test model (the single name -> generator table for e2e tests and bench).
"""Usage: generate.py NAME --out DIR      (generate.py --list prints the names)

Writes DIR/model.onnx, DIR/inputs/*.npy, DIR/inputs.txt (see common.py).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# name -> (module, keyword arguments of its generate())
MODELS = {
    "mlp": ("gen_mlp", {}),
    "mlp_small": ("gen_mlp", {"variant": "small"}),
    "resnet18": ("gen_cnn", {"arch": "resnet18"}),
    "mobilenet_v2": ("gen_cnn", {"arch": "mobilenet_v2"}),
    "gpt": ("gen_gpt", {}),
    "gpt_dynamic": ("gen_gpt", {"dynamic": True}),
    "vit": ("gen_vit", {}),
    "vit_static": ("gen_vit", {"static": True}),
    # Batches that split into 4 microbatches, for pipeline tests.
    "resnet18_b4": ("gen_cnn", {"arch": "resnet18", "batch": 4}),
    "resnet18_b8": ("gen_cnn", {"arch": "resnet18", "batch": 8}),
    "resnet18_b16": ("gen_cnn", {"arch": "resnet18", "batch": 16}),
    "gpt_b4": ("gen_gpt", {"dynamic": True, "batch": 4}),
    # Batches on one device (every sample through the batch-1 convolution kernels).
    "resnet18_b2": ("gen_cnn", {"arch": "resnet18", "batch": 2}),
    "mobilenet_v2_b2": ("gen_cnn", {"arch": "mobilenet_v2", "batch": 2}),
    "mobilenet_v2_b8": ("gen_cnn", {"arch": "mobilenet_v2", "batch": 8}),
    "onnx_helper_opset11": ("gen_onnx_helper", {}),
    "conv_shapes": ("gen_conv_shapes", {}),
    # Recurrent layers: a torch-exported 2-layer bidirectional LSTM + GRU speech model (16
    # steps; speech_64: the 64-step one bench/ times), and ONNX RNN/GRU/LSTM nodes with the
    # attributes torch does not write.
    "speech": ("gen_rnn", {"variant": "speech"}),
    "speech_64": ("gen_rnn", {"variant": "speech", "steps": 64}),
    "rnn_cells": ("gen_rnn", {"variant": "cells"}),
    # CumSum, TopK, Compress and ConvInteger with constant axes, k, conditions and weights.
    "select_ops": ("gen_select", {}),
    # If on a run-time sample-rate input (both values), Loop with a loop-carried state and a
    # nested If, Scan in reverse; the same from a torch.jit.script module.
    "control_flow": ("gen_control_flow", {}),
    "control_flow_8k": ("gen_control_flow", {"sample_rate": 8000}),
    "control_flow_torch": ("gen_control_flow", {"variant": "torch"}),
    "control_flow_torch_8k": ("gen_control_flow", {"variant": "torch", "sample_rate": 8000}),
    # Conv + MatMul with named nodes: the per-op profile (cleave-run --profile-ops).
    "profile_small": ("gen_profile", {}),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", choices=sorted(MODELS))
    parser.add_argument("--out")
    parser.add_argument("--list", action="store_true", help="print the model names")
    args = parser.parse_args()
    if args.list:
        print("\n".join(MODELS))
        return 0
    if not args.name or not args.out:
        parser.error("NAME and --out are required")
    module_name, kwargs = MODELS[args.name]
    os.makedirs(args.out, exist_ok=True)
    __import__(module_name).generate(args.out, **kwargs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
