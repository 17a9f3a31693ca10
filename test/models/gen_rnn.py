#!/usr/bin/python3
# Generates the recurrent test models: a torch-exported speech model and ONNX RNN/GRU/LSTM nodes.
"""Usage: gen_rnn.py --out DIR [--variant speech|cells] [--steps N]

speech (torch-exported, opset 14): features `feats` [2, N, 40] (batch first, N = --steps,
default 16) -> a 2-layer bidirectional nn.LSTM (hidden 128) -> an nn.GRU (hidden 64,
batch_first) -> Linear (32); outputs `logits` [2, N, 32] and the GRU's final state `h_n`
[1, 2, 64].

cells (onnx.helper, opset 14): the attributes torch never writes, each node fed from the
input `x` [3, 5, 4] (seq 3, batch 5) with seeded initializer weights:
- a bidirectional LSTM with B, initial_h, initial_c, peepholes P, clip 0.8 (most gate inputs
  exceed it) and outputs Y, Y_h, Y_c; an LSTM with input_forget = 1 and a constant
  full-length sequence_lens;
- a reverse GRU with linear_before_reset = 1 and clip 0.7, a forward GRU with
  HardSigmoid(0.3, 0.4) / Softsign activations, a bidirectional GRU;
- RNNs with Relu (clip 0.6) and with LeakyRelu(0.2) / ScaledTanh(0.8, 1.2) (bidirectional).
onnxruntime refuses layout = 1, so batch-first layers are checked by the ONNX node tests
(test_*_batchwise) instead.
"""

import numpy as np
import torch
from onnx import TensorProto, helper, numpy_helper

import common


class Speech(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(40, 128, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = torch.nn.GRU(256, 64, batch_first=True)
        self.out = torch.nn.Linear(64, 32)

    def forward(self, feats):
        x, _ = self.lstm(feats)
        x, h_n = self.gru(x)
        return self.out(x), h_n


def generate_speech(out_dir, steps):
    torch.manual_seed(common.SEED)
    feats = common.rng().standard_normal((2, steps, 40)).astype("float32")
    onnx_model = common.export_torch(Speech(), (torch.from_numpy(feats),),
                                     f"{out_dir}/model.onnx", ["feats"], ["logits", "h_n"], 14)
    common.write_model(onnx_model, out_dir)
    common.write_inputs(out_dir, {"feats": feats})


def generate_cells(out_dir):
    r = common.rng()
    seq, batch, size, hidden = 3, 5, 4, 6
    inits, nodes, outputs = [], [], []

    def tensor(name, shape, scale=0.5):
        inits.append(numpy_helper.from_array((scale * r.standard_normal(shape)).astype(np.float32),
                                             name))
        return name

    def output(name, shape):
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        return name

    def layer(op, name, gates, directions, inputs, outs, **attrs):
        pre = name + "."
        w = tensor(pre + "w", [directions, gates * hidden, size])
        rr = tensor(pre + "r", [directions, gates * hidden, hidden])
        ins = ["x", w, rr] + inputs
        shapes = {"y": [seq, directions, batch, hidden], "h": [directions, batch, hidden]}
        outs = [output(pre + o, shapes["y" if o == "y" else "h"]) if o else "" for o in outs]
        nodes.append(helper.make_node(op, ins, outs, name=name, hidden_size=hidden, **attrs))

    lstm = "lstm_peep."
    layer("LSTM", "lstm_peep", 4, 2,
          [tensor(lstm + "b", [2, 8 * hidden]), "", tensor(lstm + "h0", [2, batch, hidden]),
           tensor(lstm + "c0", [2, batch, hidden]), tensor(lstm + "p", [2, 3 * hidden])],
          ["y", "h", "c"], direction="bidirectional", clip=0.8)
    inits.append(numpy_helper.from_array(np.full(batch, seq, np.int32), "lens"))
    layer("LSTM", "lstm_coupled", 4, 1, [tensor("lstm_coupled.b", [1, 8 * hidden]), "lens"],
          ["y", "h"], input_forget=1)
    layer("GRU", "gru_lbr", 3, 1,
          [tensor("gru_lbr.b", [1, 6 * hidden]), "", tensor("gru_lbr.h0", [1, batch, hidden])],
          ["y", "h"], direction="reverse", linear_before_reset=1, clip=0.7)
    layer("GRU", "gru_act", 3, 1, [tensor("gru_act.b", [1, 6 * hidden])], ["y", ""],
          activations=["HardSigmoid", "Softsign"], activation_alpha=[0.3],
          activation_beta=[0.4])
    layer("GRU", "gru_bi", 3, 2, [], ["y", "h"], direction="bidirectional")
    layer("RNN", "rnn_relu", 1, 1, [tensor("rnn_relu.b", [1, 2 * hidden])], ["y", "h"],
          activations=["Relu"], clip=0.6)
    layer("RNN", "rnn_bi", 1, 2, [], ["", "h"], direction="bidirectional",
          activations=["LeakyRelu", "ScaledTanh"], activation_alpha=[0.2, 0.8],
          activation_beta=[1.2])

    graph = helper.make_graph(
        nodes, "rnn_cells",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [seq, batch, size])], outputs,
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    common.write_model(model, out_dir)
    common.write_inputs(out_dir, {"x": r.standard_normal((seq, batch, size)).astype(np.float32)})


def generate(out_dir, variant="speech", steps=16):
    if variant == "speech":
        generate_speech(out_dir, steps)
    else:
        generate_cells(out_dir)


if __name__ == "__main__":
    def options(parser):
        parser.add_argument("--variant", choices=["speech", "cells"], default="speech")
        parser.add_argument("--steps", type=int, default=16)

    args = common.parse_out_dir(__doc__, options)
    generate(args.out, args.variant, args.steps)
