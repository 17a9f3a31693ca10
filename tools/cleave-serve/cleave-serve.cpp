//===- cleave-serve.cpp - Serves a compiled .cleave artifact over HTTP ----===//
//
//   cleave-serve MODEL.cleave [--port P] [--grpc-port P] [--host H]
//                [--model-name NAME]
//                [--max-batch N] [--max-delay-ms D] [--instances N]
//                [--threads T] [--audit-log FILE] [--timeout-s S]
//                [--max-body-mb M] [--trace FILE]
//   mpirun -np N cleave-serve MODEL.cleave ...  (plans on N ranks)
// The server itself is runtime/src/serve (docs/serving.md; a model compiled
// with --generate gets the OpenAI API, serve/openai.h); this parses the
// command line. A bad option prints one line and exits 2.
//
//===----------------------------------------------------------------------===//

#include "serve/server.h"
#include "common/tool_args.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>

namespace {

using cleave::tools::parseInt;
using cleave::tools::parseNumber;

const char kUsage[] =
    R"(usage: cleave-serve MODEL.cleave [--port P] [--grpc-port P] [--host H]
                    [--model-name NAME]
                    [--max-batch N] [--max-delay-ms D] [--instances N]
                    [--threads T] [--audit-log FILE] [--timeout-s S]
                    [--max-body-mb M] [--trace FILE]
       mpirun -np N cleave-serve MODEL.cleave ...
       cleave-serve --help

Serves a model compiled by cleave-compile over HTTP with the KServe v2
(Triton) REST protocol, so that KServe and Triton clients work unchanged:
  GET  /v2/health/live, /v2/health/ready       is the server up; can it infer
  GET  /v2/models/NAME                         inputs and outputs: name,
                                               datatype (FP32, INT64, ...),
                                               shape (-1: the batch dim)
  GET  /v2/models/NAME/ready
  POST /v2/models/NAME/infer                   JSON tensors, or binary tensor
                                               data after the JSON
                                               (Inference-Header-Content-Length,
                                               binary_data_output)
  GET  /metrics                                Prometheus text: requests by
                                               status, latency and batch-size
                                               histograms, queue depth

options (each accepts "--opt VALUE" and "--opt=VALUE"):
  --port P          TCP port (default 8000; 0 picks a free one). The port is
                    printed once the server listens:
                      cleave-serve: serving model 'NAME' from PATH on http://H:P
  --grpc-port P     also serve the KServe v2 gRPC service
                    (inference.GRPCInferenceService: ServerLive, ServerReady,
                    ServerMetadata, ModelReady, ModelMetadata, ModelInfer
                    with raw_input_contents or typed contents) on port P
                    (0 picks a free one, printed before the line above as
                      cleave-serve: KServe v2 gRPC on H:P)
  --host H          address to listen on (default 127.0.0.1, this machine
                    only; 0.0.0.0 for every interface)
  --model-name NAME the name in the URLs (default: the artifact's file name
                    without .cleave)
  --max-batch N     at most N rows (dim 0) per batch run (default: the batch
                    the artifact was compiled for, which is also the most a
                    single request may carry; 1 turns batching off). Requests
                    queued together are stacked along dim 0, zero-padded up to
                    the compiled batch, run once, and split back.
  --max-delay-ms D  the longest a request waits for others to fill its batch
                    (default 2; 0 runs whatever is queued at once)
  --instances N     sessions of the model in this process, each running one
                    batch at a time (default 1; plans on one rank only)
  --threads T       CPU threads per session (default: all cores, shared
                    among the instances)
  --audit-log FILE  appends one JSON line per request: time, request_id,
                    model, artifact and artifact_sha256, source_sha256,
                    plan (devices, pp, tp, dp, microbatches), latency_ms,
                    batch_rows, status (and error)
  --timeout-s S     under mpirun, the longest a rank waits on another
                    (default 5): a rank that stops or dies makes the server
                    report not-ready and end the job with an error naming
                    what it waited for
  --max-body-mb M   requests with a larger body get 413 (default 256)
  --trace FILE      when the server stops, writes a Chrome/Perfetto trace of
                    everything it ran to FILE (trace-event JSON, one track
                    per rank: each batch, the stages' compute per
                    microbatch, transfer waits, collectives; rank 0 gathers
                    every rank's events as the job stops)

Bad requests get a 4xx status and a one-line JSON body, {"error": "..."};
the server keeps serving. SIGTERM or SIGINT (Ctrl-C) stops accepting
connections, answers the requests in flight and exits 0.

A model compiled with --generate (a decoder with a KV cache, a plan on one
rank, byte-level vocabulary) is served with the OpenAI API instead:
  GET  /v1/models                              the model and its context
  POST /v1/completions                         prompt, max_tokens, temperature,
                                               top_p, seed, stop, stream (also
                                               top_k, repetition_penalty)
  POST /v1/chat/completions                    messages, rendered as
                                               "<role>: <content>\n" each, then
                                               "assistant: "; the same fields
  GET  /metrics                                decode steps, tokens, joins
"stream": true answers with server-sent events (data: {...} per token, then
data: [DONE]). Requests share one running batch: each takes a free row (slot)
of the plan's batch at the next token, and frees it when it ends; --max-batch
caps the slots. Errors are OpenAI's {"error": {"message", "type", "param",
"code"}}. --grpc-port, --instances, --trace and --audit-log do not apply.

Under mpirun (a plan compiled for several devices), rank 0 listens and the
other ranks follow it; run as many ranks as the plan has devices. A plan
compiled with --dp=R runs R replicas on R x (devices per replica) ranks:
formed batches are spread over the replicas, one batch per replica at a time.
)";

int usageError(const std::string &message) {
  std::fprintf(stderr, "cleave-serve: error: %s (see cleave-serve --help)\n",
               message.c_str());
  return 2;
}



} // namespace

int main(int argc, char **argv) {
  cleave::serve::ServeOptions options;
  auto option = [&](const std::string &name,
                    const std::string &value) -> std::string {
    long long integer = 0;
    double number = 0;
    if (name == "--port") {
      if (!parseInt(value, 0, 65535, &integer))
        return std::string("--port must be 0 to 65535, got '" + value + "'");
      options.port = int(integer);
    } else if (name == "--grpc-port") {
      if (!parseInt(value, 0, 65535, &integer))
        return std::string("--grpc-port must be 0 to 65535, got '" + value +
                            "'");
      options.grpcPort = int(integer);
    } else if (name == "--host") {
      if (value.empty())
        return std::string("--host needs an address");
      options.host = value;
    } else if (name == "--model-name") {
      if (value.empty() || value.find('/') != std::string::npos)
        return std::string("--model-name must be non-empty and without '/'");
      options.modelName = value;
    } else if (name == "--max-batch") {
      if (!parseInt(value, 1, 1 << 20, &integer))
        return std::string("--max-batch must be a positive integer, got '" +
                            value + "'");
      options.maxBatch = integer;
    } else if (name == "--max-delay-ms") {
      if (!parseNumber(value, 0, &number) || number > 60000)
        return std::string("--max-delay-ms must be 0 to 60000, got '" + value +
                            "'");
      options.maxDelayMs = number;
    } else if (name == "--instances") {
      if (!parseInt(value, 1, 256, &integer))
        return std::string("--instances must be 1 to 256, got '" + value + "'");
      options.instances = int(integer);
    } else if (name == "--threads") {
      if (!parseInt(value, 0, 4096, &integer))
        return std::string("--threads must be 0 (all cores) or positive, got '" +
                            value + "'");
      options.threads = int(integer);
    } else if (name == "--audit-log") {
      if (value.empty())
        return std::string("--audit-log needs a file");
      options.auditLog = value;
    } else if (name == "--trace") {
      if (value.empty())
        return std::string("--trace needs a file");
      options.trace = value;
    } else if (name == "--timeout-s") {
      if (!parseNumber(value, 0.1, &number))
        return std::string("--timeout-s must be at least 0.1, got '" +
                            value + "'");
      options.rankTimeoutSeconds = number;
    } else if (name == "--max-body-mb") {
      if (!parseNumber(value, 0.001, &number) || number > 1 << 20)
        return std::string("--max-body-mb must be a positive size, got '" +
                            value + "'");
      options.maxBodyBytes = static_cast<size_t>(number * (1 << 20));
    }
    return std::string();
  };
  if (std::optional<int> exit = cleave::tools::readToolArgs(
          argc, argv,
          {"--port", "--host", "--model-name", "--max-batch", "--max-delay-ms",
           "--instances", "--threads", "--audit-log", "--timeout-s",
           "--max-body-mb", "--grpc-port", "--trace"},
          kUsage, &options.artifact, option, usageError))
    return *exit;
  if (options.artifact.empty())
    return usageError("no artifact given");
  return cleave::serve::runServer(options);
}
