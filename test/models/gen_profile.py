#!/usr/bin/python3
# Generates a small conv + matmul model with named nodes, for the per-op profile's tests.
"""Usage: gen_profile.py --out DIR

`x` [1, 3, 16, 16] -> Conv `stem_conv` (8 filters, 3x3, pad 1) -> Relu `stem_relu` ->
Flatten `flatten` -> MatMul `head_matmul` ([2048, 64]) -> Add `head_bias` -> Relu `head_relu`
-> MatMul `out_matmul` ([64, 10]) -> `y` [1, 10]. Seeded random weights, opset 13, built with
the ONNX helper so that the node names are the test's to check.
"""

from onnx import TensorProto, helper, numpy_helper

import common


def generate(out_dir):
    r = common.rng()

    def weight(name, shape):
        return numpy_helper.from_array(
            (r.standard_normal(shape) * 0.1).astype("float32"), name)

    nodes = [
        helper.make_node("Conv", ["x", "conv_w", "conv_b"], ["c"], name="stem_conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["cr"], name="stem_relu"),
        helper.make_node("Flatten", ["cr"], ["f"], name="flatten", axis=1),
        helper.make_node("MatMul", ["f", "fc_w"], ["m"], name="head_matmul"),
        helper.make_node("Add", ["m", "fc_b"], ["a"], name="head_bias"),
        helper.make_node("Relu", ["a"], ["h"], name="head_relu"),
        helper.make_node("MatMul", ["h", "out_w"], ["y"], name="out_matmul"),
    ]
    graph = helper.make_graph(
        nodes, "profile_small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        [weight("conv_w", (8, 3, 3, 3)), weight("conv_b", (8,)), weight("fc_w", (2048, 64)),
         weight("fc_b", (64,)), weight("out_w", (64, 10))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    common.write_model(model, out_dir)
    common.write_inputs(out_dir, {"x": r.standard_normal((1, 3, 16, 16)).astype("float32")})


if __name__ == "__main__":
    generate(common.parse_out_dir(__doc__).out)
