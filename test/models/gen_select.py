#!/usr/bin/python3
# Generates a model of the selection, accumulation and sampling ops (constant axis, k, condition).
"""Usage: gen_select.py --out DIR

onnx.helper, opset 16, inputs `x` [4, 6] float (with repeated values, so TopK meets ties),
`ix` [3, 5] int32, `lx` [2, 4] int64 and `img` [1, 2, 7, 7] uint8; axes, k, conditions and
weights are initializers. Outputs:
- CumSum: `cs` (x, axis 1), `cs_rev_excl` (x, axis 0, reverse and exclusive), `cs_i32` (ix,
  axis -1, exclusive), `cs_i64` (lx, axis 0, reverse);
- TopK: `top_v`/`top_i` (x, k 3, axis -1, largest), `low_v`/`low_i` (x, k 2, axis 0,
  smallest), `top_int_v`/`top_int_i` (ix, k 2);
- Compress: `cmp_axis` (x, axis 1, condition shorter than the dim), `cmp_flat` (x, no axis);
- ConvInteger: `conv_int` (img by a uint8 [3, 2, 3, 3] weight, zero points 7 and 3, pads 1,
  stride 2);
- GridSample (opset 16): `gs_<mode>_<padding>_<align>` for bilinear and nearest, zeros, border
  and reflection padding, align_corners 0 and 1, sampling `feat` [2, 3, 5, 4] at `grid`
  [2, 6, 7, 2] (coordinates in [-3, 3], so points fall outside and reflect more than once).
"""

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import common


def generate(out_dir):
    r = common.rng()
    inits, nodes, outputs = [], [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op, ins, outs, **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=outs[0], **attrs))

    def out(name, elem, shape):
        outputs.append(helper.make_tensor_value_info(name, elem, shape))

    f, i32, i64, u8 = TensorProto.FLOAT, TensorProto.INT32, TensorProto.INT64, TensorProto.UINT8
    node("CumSum", ["x", const("ax1", np.array(1, np.int64))], ["cs"])
    out("cs", f, [4, 6])
    node("CumSum", ["x", const("ax0", np.array(0, np.int32))], ["cs_rev_excl"], reverse=1,
         exclusive=1)
    out("cs_rev_excl", f, [4, 6])
    node("CumSum", ["ix", const("axm1", np.array(-1, np.int64))], ["cs_i32"], exclusive=1)
    out("cs_i32", i32, [3, 5])
    node("CumSum", ["lx", "ax0"], ["cs_i64"], reverse=1)
    out("cs_i64", i64, [2, 4])

    node("TopK", ["x", const("k3", np.array([3], np.int64))], ["top_v", "top_i"], axis=-1)
    out("top_v", f, [4, 3])
    out("top_i", i64, [4, 3])
    node("TopK", ["x", const("k2", np.array([2], np.int64))], ["low_v", "low_i"], axis=0,
         largest=0)
    out("low_v", f, [2, 6])
    out("low_i", i64, [2, 6])
    node("TopK", ["ix", "k2"], ["top_int_v", "top_int_i"])
    out("top_int_v", i32, [3, 2])
    out("top_int_i", i64, [3, 2])

    node("Compress", ["x", const("cond5", np.array([1, 0, 1, 1, 0], bool))], ["cmp_axis"],
         axis=1)
    out("cmp_axis", f, [4, 3])
    flat = np.zeros(24, bool)
    flat[[0, 5, 6, 17, 23]] = True
    node("Compress", ["x", const("cond24", flat)], ["cmp_flat"])
    out("cmp_flat", f, [5])

    node("ConvInteger",
         ["img", const("cw", r.integers(0, 256, (3, 2, 3, 3)).astype(np.uint8)),
          const("img_zp", np.array(7, np.uint8)), const("cw_zp", np.array(3, np.uint8))],
         ["conv_int"], pads=[1, 1, 1, 1], strides=[2, 2])
    out("conv_int", i32, [1, 3, 4, 4])

    for mode in ("bilinear", "nearest"):
        for padding in ("zeros", "border", "reflection"):
            for align in (0, 1):
                name = f"gs_{mode}_{padding}_{align}"
                node("GridSample", ["feat", "grid"], [name], mode=mode, padding_mode=padding,
                     align_corners=align)
                out(name, f, [2, 3, 6, 7])

    graph = helper.make_graph(
        nodes, "select",
        [helper.make_tensor_value_info("x", f, [4, 6]),
         helper.make_tensor_value_info("ix", i32, [3, 5]),
         helper.make_tensor_value_info("lx", i64, [2, 4]),
         helper.make_tensor_value_info("img", u8, [1, 2, 7, 7]),
         helper.make_tensor_value_info("feat", f, [2, 3, 5, 4]),
         helper.make_tensor_value_info("grid", f, [2, 6, 7, 2])],
        outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    common.write_model(model, out_dir)
    # Values from a small set, so rows repeat values and TopK's ties are exercised.
    common.write_inputs(out_dir, {
        "x": r.integers(-3, 4, (4, 6)).astype(np.float32) * 0.5,
        "ix": r.integers(-5, 6, (3, 5)).astype(np.int32),
        "lx": r.integers(-(2 ** 40), 2 ** 40, (2, 4)).astype(np.int64),
        "img": r.integers(0, 256, (1, 2, 7, 7)).astype(np.uint8),
        "feat": r.standard_normal((2, 3, 5, 4)).astype(np.float32),
        "grid": r.uniform(-3, 3, (2, 6, 7, 2)).astype(np.float32),
    })


if __name__ == "__main__":
    generate(common.parse_out_dir(__doc__).out)
