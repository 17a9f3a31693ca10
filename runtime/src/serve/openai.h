//===- openai.h - cleave-serve's OpenAI-compatible generation endpoints ---===//
//
// An artifact compiled with --generate (a plan on one rank) is served with
// the OpenAI API: POST /v1/completions, POST /v1/chat/completions (both with
// "stream": true as server-sent events) and GET /v1/models. Requests share
// one running batch (continuous batching): each sequence takes a free row of
// the plan's batch when it arrives, at the next token boundary, and frees it
// when it ends (cleave::Generator's slots; docs/serving.md).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_SERVE_OPENAI_H
#define CLEAVE_RUNTIME_SERVE_OPENAI_H

#include "serve/server.h"

#include "cleave/runtime.h"

#include <atomic>
#include <memory>

namespace cleave::serve {

/// Serves `artifact` (compiled with --generate, one rank) until `stopSignal`
/// becomes non-zero; then answers the requests in flight and returns 0.
/// Failures print one line "cleave-serve: error: ..." and return 1.
int runGenerationServer(const ServeOptions &options,
                        std::shared_ptr<const Artifact> artifact,
                        const std::atomic<int> &stopSignal);

} // namespace cleave::serve

#endif // CLEAVE_RUNTIME_SERVE_OPENAI_H
