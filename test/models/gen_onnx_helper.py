#!/usr/bin/python3
# Generates a small CNN classifier written directly with onnx.helper at opset 11 (IR version 6).
"""Usage: gen_onnx_helper.py --out DIR

A model from another "exporter" and an old opset: NCHW image [1, 1, 28, 28] ->
Conv 3x3 (8) -> BatchNormalization -> Relu -> MaxPool 2x2 -> Conv 3x3 (16) -> LeakyRelu ->
AveragePool 2x2 -> Reshape (shape from an initializer) -> Gemm (transB) -> Relu -> Dropout ->
Gemm -> Softmax (opset-11 2-D coercion). Input `image`, output `probs` [1, 10].
"""

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import common

OPSET = 11
IR_VERSION = 6  # what exporters of the opset-11 era wrote


def generate(out_dir):
    r = common.rng()

    def weight(name, shape, fan_in):
        data = (r.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        return numpy_helper.from_array(data, name)

    def vector(name, n, mean=0.0, std=0.1):
        return numpy_helper.from_array((mean + std * r.standard_normal(n)).astype(np.float32), name)

    inits = [
        weight("conv1.w", (8, 1, 3, 3), 9), vector("conv1.b", 8),
        vector("bn.scale", 8, 1.0), vector("bn.bias", 8),
        vector("bn.mean", 8), numpy_helper.from_array(r.uniform(0.5, 1.5, 8).astype(np.float32), "bn.var"),
        weight("conv2.w", (16, 8, 3, 3), 72), vector("conv2.b", 16),
        numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "flat.shape"),
        weight("fc1.w", (64, 16 * 7 * 7), 16 * 7 * 7), vector("fc1.b", 64),
        weight("fc2.w", (64, 10), 64), vector("fc2.b", 10),
    ]
    nodes = [
        helper.make_node("Conv", ["image", "conv1.w", "conv1.b"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"],
                         ["b1"], name="bn1", epsilon=1e-5),
        helper.make_node("Relu", ["b1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.w", "conv2.b"], ["c2"], name="conv2",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("LeakyRelu", ["c2"], ["r2"], name="lrelu2", alpha=0.1),
        helper.make_node("AveragePool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Reshape", ["p2", "flat.shape"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc1.w", "fc1.b"], ["f1"], name="fc1", transB=1),
        helper.make_node("Relu", ["f1"], ["r3"], name="relu3"),
        helper.make_node("Dropout", ["r3"], ["d3"], name="dropout", ratio=0.5),
        helper.make_node("Gemm", ["d3", "fc2.w", "fc2.b"], ["logits"], name="fc2", alpha=0.5),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "onnx_helper_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 28, 28])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 10])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="cleave-test-onnx-helper",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    common.write_model(model, out_dir)
    image = r.uniform(0.0, 1.0, (1, 1, 28, 28)).astype(np.float32)
    common.write_inputs(out_dir, {"image": image})


if __name__ == "__main__":
    generate(common.parse_out_dir(__doc__).out)
