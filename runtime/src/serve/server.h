//===- server.h - cleave-serve: a KServe v2 REST server for one artifact --===//
//
// Rank 0 listens (cpp-httplib) and answers the KServe v2 REST protocol; infer
// requests go through the batcher to one or more sessions (--instances), and
// every answer is counted in /metrics and, when asked, written to the audit
// log. Under mpirun the other ranks follow rank 0 (ModelRunner::follow).
// SIGTERM or SIGINT stops accepting, answers what is in flight and exits 0.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_SERVE_SERVER_H
#define CLEAVE_RUNTIME_SERVE_SERVER_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace cleave::serve {

/// What cleave-serve's command line sets.
struct ServeOptions {
  std::string artifact;
  std::string host = "127.0.0.1";
  /// 0 picks a free port (printed when listening).
  int port = 8000;
  /// The KServe v2 gRPC service's port: -1 for none, 0 picks a free one.
  int grpcPort = -1;
  /// The name clients use; the artifact's file stem when empty.
  std::string modelName;
  /// Rows per formed batch; 0: the compiled batch.
  int64_t maxBatch = 0;
  double maxDelayMs = 2;
  int instances = 1;
  /// CPU threads per instance; 0: the available cores shared among them.
  int threads = 0;
  std::string auditLog;
  /// Under mpirun: the longest a rank waits on a peer before the job ends.
  double rankTimeoutSeconds = 5;
  /// Where rank 0 writes a Chrome/Perfetto trace of every rank when the
  /// server stops (core/trace.h); empty for none.
  std::string trace;
  /// Bodies larger than this are refused with 413.
  size_t maxBodyBytes = size_t(256) << 20;
};

/// Runs the server until SIGTERM or SIGINT (rank 0) or until rank 0 stops
/// (other ranks). Returns the process's exit status; failures print one line,
/// "cleave-serve: error: <message>", on stderr (once per job).
int runServer(const ServeOptions &options);

} // namespace cleave::serve

#endif // CLEAVE_RUNTIME_SERVE_SERVER_H
