//===- process_session.cc - Sessions as an embedding program opens them ---===//
//
// The first distributed session initialises MPI through createMpiTransport()
// and keeps that transport for the rest of the process (if this runtime
// initialised MPI, it is finalised at exit, when the transport is destroyed,
// or earlier through releaseProcessTransport()); each session runs over a
// communicator of its own, split from it, so the messages of two sessions
// never meet.
//
//===----------------------------------------------------------------------===//

#include "core/process_session.h"

#include "comm/transport.h"

#include <mutex>
#include <utility>

namespace cleave {

namespace {

/// Guards processTransport().
std::mutex gMpiMutex;

/// The process's MPI transport (a function-local static, destroyed at exit).
std::shared_ptr<Transport> &processTransport() {
  static std::shared_ptr<Transport> root;
  return root;
}

/// A transport of its own for a new session: collective over the job.
StatusOr<std::shared_ptr<Transport>> sessionTransport() {
  std::lock_guard<std::mutex> lock(gMpiMutex);
  std::shared_ptr<Transport> &root = processTransport();
  if (!root) {
    StatusOr<std::shared_ptr<Transport>> created =
        createMpiTransport(nullptr, nullptr);
    if (!created.ok())
      return created.status();
    root = std::move(created).value();
  }
  return root->split(0, root->rank());
}

/// "1 rank", "4 ranks".
std::string ranks(int count) {
  return std::to_string(count) + (count == 1 ? " rank" : " ranks");
}

/// Opens `path` and creates its session on this MPI rank. Every step that
/// can fail on some ranks only is agreed on, so every rank returns the same.
StatusOr<ProcessSession> openDistributed(const std::string &path,
                                         const ProcessSessionOptions &options) {
  StatusOr<std::shared_ptr<Transport>> transport = sessionTransport();
  if (!transport.ok())
    return transport.status();
  Transport &job = **transport;
  // Each rank checksums only the sections it uses.
  StatusOr<std::unique_ptr<Artifact>> opened = Artifact::open(path, job.rank());
  Status agreed = job.agree(opened.status());
  if (!agreed.ok())
    return agreed;
  std::shared_ptr<const Artifact> artifact = std::move(opened).value();
  const int plan = artifact->ranks(), dp = artifact->dp();
  ProcessSession result;
  std::shared_ptr<Transport> sessionOver = *transport;
  if (dp > 1 && job.size() == dp * plan) {
    // Replica r runs on ranks [r * plan, (r + 1) * plan), as ranks 0..plan-1
    // of a communicator of its own.
    StatusOr<std::shared_ptr<Transport>> group =
        job.split(job.rank() / plan, job.rank() % plan);
    if (!group.ok())
      return group.status();
    result.replica = job.rank() / plan;
    result.replicas = dp;
    result.job = *transport;
    sessionOver = std::move(group).value();
    // The sections this rank of its replica uses are the ones to check.
    opened = Artifact::open(path, sessionOver->rank());
    agreed = job.agree(opened.status());
    if (!agreed.ok())
      return agreed;
    artifact = std::move(opened).value();
  } else if (plan != job.size()) {
    std::string needs = dp > 1 ? ranks(dp * plan) + " (" + std::to_string(dp) +
                                     " replicas of " + ranks(plan) + ")"
                               : ranks(plan);
    return failedPreconditionError("artifact '" + artifact->path() +
                                   "': the plan needs " + needs +
                                   ", mpirun started " +
                                   std::to_string(job.size()));
  }
  StatusOr<std::unique_ptr<Session>> created =
      Session::create(artifact, SessionOptions{options.threads, sessionOver});
  agreed = job.agree(created.status());
  if (!agreed.ok())
    return agreed;
  result.transport = std::move(sessionOver);
  result.session = std::move(created).value();
  return result;
}

/// Opens `path` and creates its session in this process alone.
StatusOr<ProcessSession> openLocal(const std::string &path,
                                   const ProcessSessionOptions &options,
                                   const MpiLaunch &launch) {
  StatusOr<std::unique_ptr<Artifact>> opened = Artifact::open(path);
  if (!opened.ok())
    return opened.status();
  std::shared_ptr<const Artifact> artifact = std::move(opened).value();
  int needed = artifact->ranks();
  if (needed > 1) {
    std::string prefix =
        "artifact '" + artifact->path() + "': the plan needs " + ranks(needed);
    if (!options.useMpi)
      return failedPreconditionError(prefix +
                                     " and MPI is off in the session options");
    if (launch.underMpirun)
      return failedPreconditionError(prefix + ", mpirun started 1");
    return failedPreconditionError(prefix + ": run the program as mpirun -np " +
                                   std::to_string(needed) + " ...");
  }
  StatusOr<std::unique_ptr<Session>> created =
      Session::create(artifact, SessionOptions{options.threads});
  if (!created.ok())
    return created.status();
  ProcessSession result;
  result.session = std::move(created).value();
  return result;
}

} // namespace

StatusOr<ProcessSession>
openProcessSession(const std::string &path,
                   const ProcessSessionOptions &options) {
  MpiLaunch launch = detectMpiLaunch();
  if (options.useMpi && launch.underMpirun && launch.size != 1)
    return openDistributed(path, options);
  return openLocal(path, options, launch);
}

void releaseProcessTransport() {
  std::shared_ptr<Transport> released;
  {
    std::lock_guard<std::mutex> lock(gMpiMutex);
    released = std::move(processTransport());
  }
  // Destroyed outside the lock: it may finalise MPI.
}

} // namespace cleave
