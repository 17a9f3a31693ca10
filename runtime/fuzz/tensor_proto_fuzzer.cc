//===- tensor_proto_fuzzer.cc - libFuzzer target: the TensorProto reader --===//

#include "io/onnx_tensor.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string name;
  cleave::StatusOr<cleave::Tensor> tensor =
      cleave::io::parseTensorProto(data, size, &name);
  if (tensor.ok() && tensor->byteSize()) {
    volatile uint8_t sum = 0;
    const auto *bytes = static_cast<const uint8_t *>(tensor->data());
    for (size_t i = 0; i < tensor->byteSize(); ++i)
      sum += bytes[i];
    (void)sum;
  }
  return 0;
}
