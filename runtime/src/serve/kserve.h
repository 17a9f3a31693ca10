//===- kserve.h - The KServe v2 inference protocol's REST messages --------===//
//
// Parsing and writing the JSON (and binary-data extension) bodies of the
// KServe v2 / Triton REST protocol for one model: its metadata, inference
// requests checked against the model's inputs, and inference responses. No
// HTTP here (server.cc), so the codec is tested on its own.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_SERVE_KSERVE_H
#define CLEAVE_RUNTIME_SERVE_KSERVE_H

#include "cleave/runtime.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cleave::serve {

/// The protocol's name of `dtype`: "FP32", "INT64", "BOOL", "BF16", ...
const char *kserveDatatype(DType dtype);
/// The DType of a protocol datatype name; nullopt for one Cleave has not
/// (BYTES).
std::optional<DType> parseKserveDatatype(std::string_view name);

/// The model as clients see it.
struct ModelInfo {
  std::string name;
  std::vector<TensorDesc> inputs;
  std::vector<TensorDesc> outputs;
  /// The largest number of rows (dim 0) one request may carry: the compiled
  /// batch when every input and output has the same dim 0 (the batch dim,
  /// shown as -1), 0 when the model has no batch dim and a request must give
  /// the exact shapes.
  int64_t maxRows = 0;
};

/// Derives the model's view from an artifact's inputs and outputs.
ModelInfo makeModelInfo(std::string name, const std::vector<TensorDesc> &inputs,
                        const std::vector<TensorDesc> &outputs);

/// `GET /v2/models/NAME`: name, versions, platform, inputs and outputs.
std::string modelMetadataJson(const ModelInfo &model);

/// A failed request: the HTTP status and a one-line reason.
struct RequestError {
  int status = 400;
  std::string message;
};

/// `{"error": "<message>"}`, the body of every 4xx and 5xx answer.
std::string errorJson(const std::string &message);

/// One checked inference request.
struct InferRequest {
  /// The client's "id" ("" when none was given).
  std::string id;
  /// Rows along the batch dim (1 for a model without one).
  int64_t rows = 1;
  /// One dense row-major tensor per model input, in the model's order.
  std::vector<std::string> inputs;
  /// The model outputs to return, by index, in the order asked for.
  std::vector<size_t> outputs;
  /// Per entry of `outputs`: return it as binary data.
  std::vector<bool> binaryOutputs;
};

/// Parses and checks an infer request's body against `model`.
/// `headerLength` is the Inference-Header-Content-Length header's value (the
/// JSON's length when binary data follows it), nullopt when absent. Fails
/// with a 400 naming what is wrong: malformed JSON, an unknown or missing
/// input or output, a wrong datatype, shape or element count, binary data
/// that does not add up.
std::optional<RequestError> parseInferRequest(const ModelInfo &model,
                                              std::string_view body,
                                              std::optional<size_t> headerLength,
                                              InferRequest *request);

/// One output's rows for a response: `rows` rows starting at `data`.
struct OutputSlice {
  const void *data = nullptr;
  int64_t rows = 1;
};

/// An infer response. `slices` holds one entry per model output (all of
/// them, in model order); the request picks which are sent and how. Sets
/// `*body`, `*contentType` and, when binary data follows the JSON,
/// `*headerLength` (nullopt otherwise).
void writeInferResponse(const ModelInfo &model, const InferRequest &request,
                        const std::vector<OutputSlice> &slices,
                        std::string *body, std::string *contentType,
                        std::optional<size_t> *headerLength);

} // namespace cleave::serve

#endif // CLEAVE_RUNTIME_SERVE_KSERVE_H
