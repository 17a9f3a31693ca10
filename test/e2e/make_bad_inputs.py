#!/usr/bin/python3
# Writes the malformed models, inputs and artifacts that bad_input.sh feeds to the CLI tools.
"""Usage:
  make_bad_inputs.py models DIR                    bad models and bad runtime inputs into DIR
  make_bad_inputs.py artifacts ARTIFACT DIR        damaged copies of a good artifact into DIR

models writes: unsupported_op.onnx (NonMaxSuppression), custom_domain_op.onnx (an op of a
made-up domain), unknown_op.onnx (a made-up op in the ONNX domain), dynamic_dim.onnx (input
dim 'N'), random.onnx (random bytes), control_name.onnx (an unsupported node whose name holds
a line break and control bytes), checker_multiline.onnx (an attribute the ONNX checker
rejects with a message of several lines), huge_initializer.onnx (dims 2^32 x 2^32, no data),
zero_stride.onnx and negative_stride.onnx (strides ONNX shape inference divides by),
ext/*.onnx (external data, see make_external_data_models), and for the runtime:
wrong_shape.npy, wrong_dtype.npy (float64), corrupt.npy (bad header), oversized_data.npy (a
header for the good input's float32 [4, 16] followed by 8 GiB), huge_array.npy (a header for
float32 [100000000, 16] and the 6.4 GB it calls for), both sparse files that cost no disk,
and device files tiny_memory_rank0.json (cpu:0 has 4096 bytes), tiny_memory_rank1.json (cpu:1
has 100) and small_memory_rank1.json (cpu:1 has 3000: the last pipeline stage fits, half of
a tensor-parallel split does not), control_io_names.onnx (a valid Relu whose input and output
names hold a line break, an escape sequence and a bell, which the runtime quotes). The good
model is
gen_mlp --variant small, input `input` float32 [4, 16].

artifacts writes: flipped_middle.cleave (a byte in the middle of the largest section
inverted), flipped_manifest.cleave (a byte in the middle of the manifest inverted),
truncated.cleave (the first half of the file).
"""

import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

GOOD_INPUT_SHAPE = (4, 16)


def save_unchecked(model, path):
    """Serialises a model as it is, without onnx.save's handling of external data."""
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def make_models(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)

    # A valid ONNX model whose op Cleave does not support.
    nms = helper.make_graph(
        [helper.make_node("NonMaxSuppression", ["boxes", "scores"], ["selected"], name="nms")],
        "unsupported_op",
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 6, 4]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1, 6])],
        [helper.make_tensor_value_info("selected", TensorProto.INT64, [None, 3])])
    model = helper.make_model(nms, opset_imports=[helper.make_opsetid("", 11)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "unsupported_op.onnx"))

    # An op from a domain nobody knows (the checker accepts it; a compiler must not).
    custom = helper.make_graph(
        [helper.make_node("FancyOp", ["x"], ["y"], name="fancy", domain="com.example")],
        "custom_domain_op",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    model = helper.make_model(custom, opset_imports=[helper.make_opsetid("", 13),
                                                     helper.make_opsetid("com.example", 1)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "custom_domain_op.onnx"))

    # A made-up op in the default domain: an invalid model (the checker rejects it).
    unknown = helper.make_graph(
        [helper.make_node("NoSuchOp", ["x"], ["y"], name="nosuch")],
        "unknown_op",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    onnx.save(helper.make_model(unknown, opset_imports=[helper.make_opsetid("", 13)]),
                   os.path.join(out, "unknown_op.onnx"))

    # A dynamic batch dim 'N' that the command line does not bind.
    dyn = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        "dynamic_dim",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])])
    model = helper.make_model(dyn, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "dynamic_dim.onnx"))

    # A node name with a line break and terminal control bytes (clear screen, bell): the
    # error quoting it must stay one line with the bytes escaped.
    nms = helper.make_graph(
        [helper.make_node("NonMaxSuppression", ["boxes", "scores"], ["selected"],
                          name="nms\nsecond line\x1b[2J\x07")],
        "control_name",
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 6, 4]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1, 6])],
        [helper.make_tensor_value_info("selected", TensorProto.INT64, [None, 3])])
    model = helper.make_model(nms, opset_imports=[helper.make_opsetid("", 11)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "control_name.onnx"))

    # A valid model whose input and output names hold control bytes: it compiles, and the
    # runtime's errors that quote the names must escape them.
    names = helper.make_graph(
        [helper.make_node("Relu", ["in\nput\x1b[2J"], ["out\x07put"], name="relu")],
        "control_io_names",
        [helper.make_tensor_value_info("in\nput\x1b[2J", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("out\x07put", TensorProto.FLOAT, [2, 3])])
    onnx.save(helper.make_model(names, opset_imports=[helper.make_opsetid("", 13)]),
              os.path.join(out, "control_io_names.onnx"))

    # Relu has no attribute 'alpha': libonnx's checker says so on one line and names the
    # node on a third ("==> Context: Bad node spec for node. Name: relu OpType: Relu").
    relu = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu", alpha=0.5)],
        "checker_multiline",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    onnx.save(helper.make_model(relu, opset_imports=[helper.make_opsetid("", 13)]),
              os.path.join(out, "checker_multiline.onnx"))

    # An initializer whose shape has 2^64 elements and no data: the element count wraps to
    # 0, which the empty data would match.
    huge = TensorProto()
    huge.name = "huge"
    huge.data_type = TensorProto.FLOAT
    huge.dims.extend([2**32, 2**32])
    huge.raw_data = b""
    graph = helper.make_graph(
        [helper.make_node("Identity", ["huge"], ["y"], name="identity")], "huge_initializer",
        [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["a", "b"])], [huge])
    save_unchecked(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
                   os.path.join(out, "huge_initializer.onnx"))

    # libonnx's convolution and pooling shape inference divides by the strides: 0, or -1
    # with pads that bring the dividend to INT64_MIN, raised SIGFPE.
    image = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])]
    result = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", "c", "h", "w"])]
    conv = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", strides=[0, 0])],
        "zero_stride", image, result,
        [numpy_helper.from_array(np.ones((1, 1, 2, 2), np.float32), "w")])
    save_unchecked(helper.make_model(conv, opset_imports=[helper.make_opsetid("", 13)]),
                   os.path.join(out, "zero_stride.onnx"))
    pool = helper.make_graph(
        [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[1, 1],
                          strides=[-1, 1], pads=[-2**62, 0, -2**62 - 3, 0])],
        "negative_stride", image, result)
    save_unchecked(helper.make_model(pool, opset_imports=[helper.make_opsetid("", 13)]),
                   os.path.join(out, "negative_stride.onnx"))

    make_external_data_models(out)

    with open(os.path.join(out, "random.onnx"), "wb") as f:
        f.write(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())

    np.save(os.path.join(out, "wrong_shape.npy"),
            rng.standard_normal((GOOD_INPUT_SHAPE[0] + 1, GOOD_INPUT_SHAPE[1])).astype(np.float32))
    np.save(os.path.join(out, "wrong_dtype.npy"), rng.standard_normal(GOOD_INPUT_SHAPE))
    with open(os.path.join(out, "corrupt.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'shape': (((  \n")
    make_size_limit_inputs(out)


def npy_header(shape):
    """A version 1.0 .npy header for float32 data of `shape`, padded as numpy pads it."""
    text = "{'descr': '<f4', 'fortran_order': False, 'shape': %r, }" % (tuple(shape),)
    text += " " * ((64 - (10 + len(text) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()


def make_size_limit_inputs(out):
    """Inputs whose size the runtime must check before reading, and tiny device memories."""
    for name, shape, data_bytes in (("oversized_data.npy", GOOD_INPUT_SHAPE, 8 << 30),
                                    ("huge_array.npy", (100000000, 16), 100000000 * 16 * 4)):
        header = npy_header(shape)
        path = os.path.join(out, name)
        with open(path, "wb") as f:
            f.write(header)
        os.truncate(path, len(header) + data_bytes)  # sparse: no disk used
    for name, device, memory in (("tiny_memory_rank0.json", "cpu:0", 4096),
                                 ("tiny_memory_rank1.json", "cpu:1", 100),
                                 ("small_memory_rank1.json", "cpu:1", 3000)):
        with open(os.path.join(out, name), "w") as f:
            json.dump({"devices": [{"device": device, "memory_bytes": memory}]}, f)


# External data: each model is y = x + w with w float32 [4, 16] (256 bytes) stored outside
# the model; ext/ok.onnx reads it correctly, every other one has one thing wrong.
EXT_SHAPE = (4, 16)
EXT_BYTES = 4 * 16 * 4
EXTERNAL_DATA_CASES = {
    "offset_not_number": [("location", "weights.bin"), ("offset", "abc")],
    "length_not_number": [("location", "weights.bin"), ("length", "0x100")],
    "offset_negative": [("location", "weights.bin"), ("offset", "-16"), ("length", "256")],
    "offset_too_large": [("location", "weights.bin"), ("offset", str(2**64))],
    "offset_length_overflow": [("location", "weights.bin"), ("offset", str(2**64 - 1)),
                               ("length", "256")],
    "past_end": [("location", "weights.bin"), ("offset", "4096"), ("length", "256")],
    "length_mismatch": [("location", "weights.bin"), ("length", "128")],
    "parent_dir": [("location", "../outside.bin")],
    "absolute": None,  # the absolute path of outside.bin, filled in below
    "symlink_outside": [("location", "link.bin")],
    "fifo": [("location", "fifo.bin")],
    "missing_file": [("location", "missing.bin")],
    "unknown_key": [("location", "weights.bin"), ("offest", "0")],
    "no_location": [("offset", "0"), ("length", "256")],
}


def external_data_model(entries, name="w"):
    w = TensorProto()
    w.name = name
    w.data_type = TensorProto.FLOAT
    w.dims.extend(EXT_SHAPE)
    w.data_location = TensorProto.EXTERNAL
    for key, value in entries:
        entry = w.external_data.add()
        entry.key = key
        entry.value = value
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", name], ["y"], name="add")], "external_data",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, EXT_SHAPE)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, EXT_SHAPE)], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def make_external_data_models(out):
    """DIR/ext/{ok,<case>}.onnx beside DIR/ext/weights.bin; DIR/outside.bin holds valid data
    one level up (so that '../outside.bin', its absolute path and ext/link.bin, a symbolic
    link to it, would read fine if the compiler followed them); ext/fifo.bin is a FIFO."""
    ext = os.path.join(out, "ext")
    os.makedirs(ext, exist_ok=True)
    data = np.arange(np.prod(EXT_SHAPE), dtype=np.float32).tobytes()
    assert len(data) == EXT_BYTES
    outside = os.path.abspath(os.path.join(out, "outside.bin"))
    for path in (os.path.join(ext, "weights.bin"), outside):
        with open(path, "wb") as f:
            f.write(data)
    for name, make in (("link.bin", lambda p: os.symlink(outside, p)),
                       ("fifo.bin", os.mkfifo)):
        path = os.path.join(ext, name)
        if os.path.lexists(path):
            os.remove(path)
        make(path)
    save_unchecked(external_data_model([("location", "weights.bin"), ("offset", "0"),
                                        ("length", str(EXT_BYTES))]),
                   os.path.join(ext, "ok.onnx"))
    for case, entries in EXTERNAL_DATA_CASES.items():
        if entries is None:
            entries = [("location", outside)]
        save_unchecked(external_data_model(entries), os.path.join(ext, case + ".onnx"))
    # A tensor name with a line break and control bytes, in an external-data error.
    save_unchecked(external_data_model([("location", "weights.bin"), ("offset", "abc")],
                                       name="w\nsecond line\x1b[2J\x07"),
                   os.path.join(ext, "control_tensor_name.onnx"))


def damage_points(data):
    """(byte in the middle of the largest section, byte in the middle of the manifest).

    Flipping a byte of the alignment padding between sections would change nothing the
    runtime must check, so the points come from the header and manifest
    (docs/artifact-format.md); for a file that does not parse, the file's middle and byte 100."""
    try:
        if data[:6] != b"CLEAVE":
            raise ValueError("no magic")
        manifest_offset, manifest_size = struct.unpack_from("<QQ", data, 16)
        manifest = json.loads(bytes(data[manifest_offset:manifest_offset + manifest_size]))
        largest = max(manifest["sections"], key=lambda sec: sec["size"])
        return (largest["offset"] + largest["size"] // 2,
                manifest_offset + manifest_size // 2)
    except (ValueError, KeyError, TypeError, struct.error):
        return len(data) // 2, 100


def make_artifacts(artifact, out):
    os.makedirs(out, exist_ok=True)
    with open(artifact, "rb") as f:
        data = bytearray(f.read())
    if len(data) < 256:
        raise SystemExit(f"make_bad_inputs: {artifact} is only {len(data)} bytes")

    def write(name, content):
        with open(os.path.join(out, name), "wb") as f:
            f.write(content)

    section_byte, manifest_byte = damage_points(data)
    for name, offset in (("flipped_middle.cleave", section_byte),
                         ("flipped_manifest.cleave", manifest_byte)):
        flipped = bytearray(data)
        flipped[offset] ^= 0xFF
        write(name, flipped)
    write("truncated.cleave", data[: len(data) // 2])


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "models":
        make_models(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "artifacts":
        make_artifacts(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
