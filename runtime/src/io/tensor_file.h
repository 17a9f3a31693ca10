//===- tensor_file.h - Reading and writing tensor files -------------------===//

#ifndef CLEAVE_RUNTIME_IO_TENSOR_FILE_H
#define CLEAVE_RUNTIME_IO_TENSOR_FILE_H

#include "cleave/runtime.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace cleave {
namespace io {

/// The whole content of the file at `path`.
StatusOr<std::vector<uint8_t>> readFileBytes(const std::string &path);
/// Writes `size` bytes at `data` to `path`, replacing it.
Status writeFileBytes(const std::string &path, const void *data, size_t size);

/// Reads a tensor from a `.npy` or ONNX TensorProto `.pb` file, chosen by the
/// extension. Errors start with "'<path>': ". A .npy file's size is checked
/// against its header, and its data against `maxDataBytes`, before any data
/// is read.
StatusOr<Tensor>
readTensorFile(const std::string &path,
               uint64_t maxDataBytes = std::numeric_limits<uint64_t>::max());

} // namespace io
} // namespace cleave

#endif // CLEAVE_RUNTIME_IO_TENSOR_FILE_H
