#!/usr/bin/python3
# Generates a voice-activity-style model with If, Loop and Scan, written with onnx.helper.
"""Usage: gen_control_flow.py --out DIR [--sample-rate 16000|8000] [--variant helper|torch]

Opset 16. Inputs `audio` [1, 64] float and `sr` (the sample rate, an int64 scalar, as a
voice-activity detector takes it). Graph:
- If on `sr == 16000`, known only at run time: the 16 kHz branch projects the audio with one
  weight, the 8 kHz branch averages neighbouring samples and projects with another; both give
  `feat` [1, 16].
- Loop, trip count 4, condition true: the loop-carried state `h` [1, 16] is updated from the
  iteration's 16-sample chunk of `audio` (sliced by the iteration number), the outer-scope
  `feat` and `h`; inside the body an If on `iter > 1` (a compile-time constant in each
  iteration) picks the activation. The scan output stacks each iteration's speech
  probability: `probs` [4, 1, 1]; `state` is the final `h`.
- Scan (opset 9+) over the 4 chunks of `audio` reshaped to [4, 16], in reverse, with a running
  energy as its state: `energy` [1, 16] (final) and `energies` [16, 4] (stacked along axis 1).
The same model serves both sample rates; `--sample-rate` only sets the `sr` input.

`--variant torch`: a torch.jit.script module exported by torch (opset 16), inputs `x` [4, 16]
and `sr`: the Python `if` on `sr == 16000` becomes an If decided at run time (x * 2, or every
other column of x tiled twice), the `for` over the rows a Loop whose trip count comes from
Shape/Gather (a constant once folded) with the recurrent state `h` [1, 16] carried.
"""

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import common

OPSET = 16
F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def generate_torch(out_dir, sample_rate):
    import torch

    class Detector(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(16, 16) * 0.25)
            self.u = torch.nn.Parameter(torch.randn(16, 16) * 0.25)

        def forward(self, x, sr):
            if bool(sr == 16000):
                f = x * 2.0
            else:
                f = x[:, ::2].repeat(1, 2)
            h = torch.zeros(1, 16)
            for i in range(f.size(0)):
                h = torch.tanh(f[i:i + 1] @ self.w + h @ self.u)
            return h

    torch.manual_seed(common.SEED)
    module = torch.jit.script(Detector())
    x = common.rng().standard_normal((4, 16)).astype(np.float32)
    sr = np.array(sample_rate, np.int64)
    model = common.export_torch(module, (torch.from_numpy(x), torch.from_numpy(sr)),
                                f"{out_dir}/model.onnx", ["x", "sr"], ["h"], OPSET)
    common.write_model(model, out_dir)
    common.write_inputs(out_dir, {"x": x, "sr": sr})


def generate(out_dir, sample_rate=16000, variant="helper"):
    if variant == "torch":
        return generate_torch(out_dir, sample_rate)
    r = common.rng()
    vi = helper.make_tensor_value_info

    def weight(name, shape):
        return numpy_helper.from_array(
            (r.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32), name)

    def const(name, array):
        return helper.make_node("Constant", [], [name], name=name,
                                value=numpy_helper.from_array(np.asarray(array), name))

    inits = [weight("w16", (64, 16)), weight("w8", (32, 16)), weight("wx", (16, 16)),
             weight("wf", (16, 16)), weight("wh", (16, 16)), weight("wo", (16, 1)),
             numpy_helper.from_array(np.array(16000, np.int64), "k16000"),
             numpy_helper.from_array(np.array([1, 32, 2], np.int64), "pairs_shape"),
             numpy_helper.from_array(np.array([4, 16], np.int64), "chunks_shape"),
             numpy_helper.from_array(np.array(4, np.int64), "trip"),
             numpy_helper.from_array(np.array(True), "go"),
             numpy_helper.from_array(np.zeros((1, 16), np.float32), "h0"),
             numpy_helper.from_array(np.zeros(16, np.float32), "e0")]

    then_branch = helper.make_graph(
        [helper.make_node("MatMul", ["audio", "w16"], ["feat16"], name="proj16")],
        "sr16k", [], [vi("feat16", F, [1, 16])])
    else_branch = helper.make_graph(
        [helper.make_node("Reshape", ["audio", "pairs_shape"], ["pairs"], name="pairs"),
         helper.make_node("ReduceMean", ["pairs"], ["avg"], name="avg", axes=[2], keepdims=0),
         helper.make_node("MatMul", ["avg", "w8"], ["feat8"], name="proj8")],
        "sr8k", [], [vi("feat8", F, [1, 16])])

    # The activation: a scaled sigmoid in iterations 0 and 1, tanh after.
    act_tanh = helper.make_graph([helper.make_node("Tanh", ["pre"], ["act_t"], name="tanh")],
                                 "late", [], [vi("act_t", F, [1, 16])])
    act_sig = helper.make_graph(
        [helper.make_node("Sigmoid", ["pre"], ["sig"], name="sigmoid"),
         const("two", np.array(2.0, np.float32)),
         helper.make_node("Mul", ["sig", "two"], ["act_s"], name="scale")],
        "early", [], [vi("act_s", F, [1, 16])])
    body = helper.make_graph(
        [const("sixteen", np.array(16, np.int64)),
         const("axis0", np.array([0], np.int64)),
         const("axis1", np.array([1], np.int64)),
         const("one", np.array(1, np.int64)),
         helper.make_node("Mul", ["iter", "sixteen"], ["start"], name="start"),
         helper.make_node("Add", ["start", "sixteen"], ["end"], name="end"),
         helper.make_node("Unsqueeze", ["start", "axis0"], ["starts"], name="starts"),
         helper.make_node("Unsqueeze", ["end", "axis0"], ["ends"], name="ends"),
         helper.make_node("Slice", ["audio", "starts", "ends", "axis1"], ["chunk"], name="chunk"),
         helper.make_node("MatMul", ["chunk", "wx"], ["cx"], name="cx"),
         helper.make_node("MatMul", ["feat", "wf"], ["cf"], name="cf"),
         helper.make_node("MatMul", ["h_in", "wh"], ["ch"], name="ch"),
         helper.make_node("Add", ["cx", "cf"], ["s1"], name="s1"),
         helper.make_node("Add", ["s1", "ch"], ["pre"], name="pre"),
         helper.make_node("Greater", ["iter", "one"], ["late"], name="late"),
         helper.make_node("If", ["late"], ["h_out"], name="act", then_branch=act_tanh,
                          else_branch=act_sig),
         helper.make_node("MatMul", ["h_out", "wo"], ["logit"], name="logit"),
         helper.make_node("Sigmoid", ["logit"], ["prob"], name="prob"),
         helper.make_node("Identity", ["cond_in"], ["cond_out"], name="cond")],
        "step",
        [vi("iter", I64, []), vi("cond_in", B, []), vi("h_in", F, [1, 16])],
        [vi("cond_out", B, []), vi("h_out", F, [1, 16]), vi("prob", F, [1, 1])])

    scan_body = helper.make_graph(
        [helper.make_node("Mul", ["chunk_e", "chunk_e"], ["sq"], name="sq"),
         helper.make_node("Add", ["e_in", "sq"], ["e_out"], name="acc"),
         helper.make_node("Sqrt", ["e_out"], ["rms"], name="rms")],
        "energy",
        [vi("e_in", F, [16]), vi("chunk_e", F, [16])],
        [vi("e_out", F, [16]), vi("rms", F, [16])])

    nodes = [
        helper.make_node("Equal", ["sr", "k16000"], ["is16k"], name="is16k"),
        helper.make_node("If", ["is16k"], ["feat"], name="resample", then_branch=then_branch,
                         else_branch=else_branch),
        helper.make_node("Loop", ["trip", "go", "h0"], ["state", "probs"], name="frames",
                         body=body),
        helper.make_node("Reshape", ["audio", "chunks_shape"], ["chunks"], name="chunks"),
        helper.make_node("Scan", ["e0", "chunks"], ["energy", "energies"], name="energy",
                         body=scan_body, num_scan_inputs=1, scan_input_directions=[1],
                         scan_output_axes=[1]),
    ]
    graph = helper.make_graph(
        nodes, "vad_control_flow",
        [vi("audio", F, [1, 64]), vi("sr", I64, [])],
        [vi("state", F, [1, 16]), vi("probs", F, [4, 1, 1]), vi("energy", F, [16]),
         vi("energies", F, [16, 4]), vi("feat", F, [1, 16])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    common.write_model(model, out_dir)
    common.write_inputs(out_dir, {
        "audio": r.standard_normal((1, 64)).astype(np.float32),
        "sr": np.array(sample_rate, np.int64),
    })


if __name__ == "__main__":
    def options(parser):
        parser.add_argument("--sample-rate", type=int, default=16000)
        parser.add_argument("--variant", choices=["helper", "torch"], default="helper")

    args = common.parse_out_dir(__doc__, options)
    generate(args.out, sample_rate=args.sample_rate, variant=args.variant)
