//===- npy.h - numpy .npy files -------------------------------------------===//

#ifndef CLEAVE_RUNTIME_IO_NPY_H
#define CLEAVE_RUNTIME_IO_NPY_H

#include "cleave/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cleave {
namespace io {

/// Decodes a .npy file image (format versions 1.0, 2.0 and 3.0). Supports
/// little-endian `<f4 <f2 <f8 <i8 <i4 <i2 |i1 <u8 <u4 <u2 |u1 |b1` in C order;
/// Fortran order, big-endian data and other dtypes fail with a message saying
/// how to convert the array. `<u2` decodes as uint16, never bfloat16.
StatusOr<Tensor> parseNpy(const uint8_t *data, size_t size);

/// Encodes `tensor` as a version 1.0 .npy image (2.0 if the header needs it).
/// numpy has no bfloat16, so a bfloat16 tensor is written as its bit patterns
/// with dtype `<u2` (what onnx.numpy_helper.to_array returns for one); such a
/// file reads back as uint16.
std::vector<uint8_t> encodeNpy(const Tensor &tensor);

/// Reads a .npy file; errors start with "'<path>': ".
StatusOr<Tensor> readNpy(const std::string &path);
/// Writes `tensor` to `path` as .npy.
Status writeNpy(const std::string &path, const Tensor &tensor);

} // namespace io
} // namespace cleave

#endif // CLEAVE_RUNTIME_IO_NPY_H
