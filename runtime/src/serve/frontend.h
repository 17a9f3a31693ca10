//===- frontend.h - What a protocol front end needs from the server -------===//
//
// The REST routes and the gRPC service both answer health and metadata from
// the same model and readiness, and hand checked infer requests to the same
// batcher, metrics and audit log through this interface.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_SERVE_FRONTEND_H
#define CLEAVE_RUNTIME_SERVE_FRONTEND_H

#include "serve/kserve.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace cleave::serve {

/// What became of an infer request.
struct InferOutcome {
  /// 200, or the HTTP status of the failure (500, 503).
  int status = 200;
  std::string error;
  /// One entry per model output: this request's rows.
  std::vector<OutputSlice> slices;
  /// Keeps the batch's outputs, which `slices` point into, alive.
  std::shared_ptr<std::vector<Tensor>> outputs;
};

/// The server as a protocol front end sees it.
class Frontend {
public:
  using Clock = std::chrono::steady_clock;
  virtual ~Frontend() = default;
  virtual const ModelInfo &model() const = 0;
  /// Ready to infer (not stopping, every rank answering).
  virtual bool ready() const = 0;
  /// Runs a checked request through the batcher and records the answer
  /// (metrics, audit log).
  virtual InferOutcome infer(InferRequest request,
                             Clock::time_point arrival) = 0;
  /// Records a request refused before it was queued.
  virtual void refuse(const std::string &id, int status,
                      const std::string &error, Clock::time_point arrival) = 0;
};

} // namespace cleave::serve

#endif // CLEAVE_RUNTIME_SERVE_FRONTEND_H
