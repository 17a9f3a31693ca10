//===- onnx_tensor.h - ONNX TensorProto (.pb) files -----------------------===//

#ifndef CLEAVE_RUNTIME_IO_ONNX_TENSOR_H
#define CLEAVE_RUNTIME_IO_ONNX_TENSOR_H

#include "cleave/runtime.h"

#include <cstdint>
#include <string>

namespace cleave {
namespace io {

/// Decodes a serialized onnx.TensorProto without libprotobuf: dims, data_type,
/// name and the data from raw_data or the typed fields (float_data,
/// int32_data, int64_data, double_data, uint64_data). Element types FLOAT,
/// FLOAT16, BFLOAT16, DOUBLE, INT8/16/32/64, UINT8/16/32/64 and BOOL are
/// supported; others, string tensors and external data fail with a message
/// naming them. If `name` is
/// given it receives the tensor's name.
StatusOr<Tensor> parseTensorProto(const uint8_t *data, size_t size,
                                  std::string *name = nullptr);

/// Reads a .pb file; errors start with "'<path>': ".
StatusOr<Tensor> readTensorProto(const std::string &path,
                                 std::string *name = nullptr);

} // namespace io
} // namespace cleave

#endif // CLEAVE_RUNTIME_IO_ONNX_TENSOR_H
