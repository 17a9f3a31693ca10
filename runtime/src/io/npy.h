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

/// What a .npy header says.
struct NpyHeaderInfo {
  DType dtype = DType::Float32;
  Shape shape;
  size_t dataOffset = 0; ///< where the data starts in the file
  size_t dataBytes = 0;  ///< the byte size the shape and dtype call for
};

/// Headers longer than this are refused (numpy writes a few hundred bytes).
constexpr size_t kMaxNpyHeaderLength = 1 << 20;

/// Decodes the header at the start of a .npy image of which `size` bytes are
/// at `data` (at least the whole header); says nothing about the data. The
/// byte size is checked for overflow.
StatusOr<NpyHeaderInfo> parseNpyHeader(const uint8_t *data, size_t size);

/// Reads a .npy file, checking its size against the header before reading
/// any data, and refusing (ResourceExhausted) data of more than
/// `maxDataBytes`; errors start with "'<path>': " (or "cannot open").
StatusOr<Tensor> readNpyFile(const std::string &path, uint64_t maxDataBytes);

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
