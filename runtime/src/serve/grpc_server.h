//===- grpc_server.h - The KServe v2 gRPC service (GRPCInferenceService) --===//
//
// ServerLive, ServerReady, ServerMetadata, ModelReady, ModelMetadata and
// ModelInfer (raw_input_contents or typed contents) on Debian's gRPC C++,
// answering from the same batcher as the REST routes (grpc_service.proto).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_SERVE_GRPC_SERVER_H
#define CLEAVE_RUNTIME_SERVE_GRPC_SERVER_H

#include "cleave/runtime.h"
#include "serve/frontend.h"

#include <memory>
#include <string>

namespace cleave::serve {

/// A running gRPC server.
class GrpcServer {
public:
  /// Listens on host:port (0 picks a free port) with messages of at most
  /// `maxMessageBytes`.
  static StatusOr<std::unique_ptr<GrpcServer>> start(Frontend &frontend,
                                                     const std::string &host,
                                                     int port,
                                                     size_t maxMessageBytes);
  ~GrpcServer();
  /// The port listened on.
  int port() const;
  /// Refuses new calls and waits for those in flight to be answered.
  void shutdown();

private:
  struct Impl;
  GrpcServer() = default;
  std::unique_ptr<Impl> impl_;
};

} // namespace cleave::serve

#endif // CLEAVE_RUNTIME_SERVE_GRPC_SERVER_H
