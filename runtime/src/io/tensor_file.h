//===- tensor_file.h - Reading and writing tensor files -------------------===//

#ifndef CLEAVE_RUNTIME_IO_TENSOR_FILE_H
#define CLEAVE_RUNTIME_IO_TENSOR_FILE_H

#include "cleave/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cleave {
namespace io {

/// The whole content of the file at `path`.
StatusOr<std::vector<uint8_t>> readFileBytes(const std::string &path);
/// Writes `size` bytes at `data` to `path`, replacing it.
Status writeFileBytes(const std::string &path, const void *data, size_t size);

/// Reads a tensor from a `.npy` or ONNX TensorProto `.pb` file, chosen by the
/// extension. Errors start with "'<path>': ".
StatusOr<Tensor> readTensorFile(const std::string &path);

} // namespace io
} // namespace cleave

#endif // CLEAVE_RUNTIME_IO_TENSOR_FILE_H
