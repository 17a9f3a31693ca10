//===- kserve_fuzzer.cc - libFuzzer target: the server's request parser ---===//
//
// Bytes as the body of a KServe v2 infer request (parseInferRequest) to a model
// with a batch dim and two inputs of different types; the first byte says whether
// an Inference-Header-Content-Length header comes with it and the next two give
// its value. A request that parses is answered (writeInferResponse) from output
// buffers sized by the parsed rows, as the server does.
//
//===----------------------------------------------------------------------===//

#include "serve/kserve.h"

#include <cstring>
#include <string>
#include <vector>

using cleave::DType;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const cleave::serve::ModelInfo model = cleave::serve::makeModelInfo(
      "m", {{"x", DType::Float32, {4, 3}}, {"ids", DType::Int64, {4, 2}}},
      {{"y", DType::Float32, {4, 5}}, {"k", DType::Int64, {4}}});
  if (size < 3)
    return 0;
  std::optional<size_t> headerLength;
  if (data[0] & 1)
    headerLength = size_t(data[1]) | size_t(data[2]) << 8;
  std::string_view body(reinterpret_cast<const char *>(data + 3), size - 3);
  cleave::serve::InferRequest request;
  if (cleave::serve::parseInferRequest(model, body, headerLength, &request))
    return 0;
  // The parsed inputs must be exactly the rows the request claims.
  if (request.rows < 1 || request.rows > 4 || request.inputs.size() != 2 ||
      request.inputs[0].size() != size_t(request.rows) * 3 * sizeof(float) ||
      request.inputs[1].size() != size_t(request.rows) * 2 * sizeof(int64_t))
    __builtin_trap();
  std::vector<float> y(size_t(request.rows) * 5, 1.5f);
  std::vector<int64_t> k(size_t(request.rows), 7);
  std::string response, contentType;
  std::optional<size_t> responseHeaderLength;
  cleave::serve::writeInferResponse(model, request,
                                    {{y.data(), request.rows}, {k.data(), request.rows}},
                                    &response, &contentType, &responseHeaderLength);
  return 0;
}
