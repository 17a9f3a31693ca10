//===- process_session.h - Sessions as an embedding program opens them ----===//
//
// What the C API and the Python package share: a session opened from a path
// in a process that may be one rank of an mpirun job. Under mpirun (more than
// one rank) opening is collective and agreed on, every session gets a
// communicator of its own split from one process-wide MPI transport, and
// every rank returns the same status; elsewhere a plan on several ranks is
// refused with a message saying how to run it.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_CORE_PROCESS_SESSION_H
#define CLEAVE_RUNTIME_CORE_PROCESS_SESSION_H

#include "cleave/runtime.h"

#include <memory>
#include <string>

namespace cleave {

/// How an embedding program opens a session.
struct ProcessSessionOptions {
  /// CPU threads (SessionOptions::threads): 0 means all available cores.
  int threads = 0;
  /// Run plans on several ranks over MPI when mpirun started this process
  /// with more than one rank.
  bool useMpi = true;
};

/// A session with the transport it runs over.
struct ProcessSession {
  /// The session's own communicator, split from the process's MPI transport
  /// (collective over the job); null for a session that runs in this process
  /// alone. Declared before `session`, which uses it, so that it outlives it.
  std::shared_ptr<Transport> transport;
  /// The session.
  std::unique_ptr<Session> session;
  /// A plan with data-parallel replicas (Artifact::dp()) under mpirun with
  /// dp() x ranks() ranks: this rank's replica, the number of replicas and a
  /// communicator over the whole job (rank = job rank) for work that spans
  /// replicas; `transport` then spans this replica's ranks only. Otherwise
  /// 0, 1 and null.
  int replica = 0;
  int replicas = 1;
  std::shared_ptr<Transport> job;
};

/// Opens the artifact at `path` and creates its session. Under mpirun with
/// more than one rank (detectMpiLaunch()) and `useMpi`, this is collective:
/// every rank calls it with the same artifact. The first such call
/// initialises MPI through createMpiTransport() (unless the program did) and
/// keeps that transport for the process (see releaseProcessTransport()); each
/// rank opens the artifact for its rank, the plan's rank count is checked
/// against the job's (or, for a plan with dp() replicas, the job may have
/// dp() x ranks() ranks: consecutive groups of ranks() run one replica each,
/// over a communicator of their own), and the open and the session's creation
/// are agreed on,
/// so that a failure on any rank is returned on every rank as
/// "rank R: <message>" of the lowest failing rank. Elsewhere the artifact is
/// opened and run in this process, and a plan on several ranks fails with
/// FAILED_PRECONDITION ("artifact 'm.cleave': the plan needs 2 ranks: run the
/// program as mpirun -np 2 ...").
StatusOr<ProcessSession>
openProcessSession(const std::string &path,
                   const ProcessSessionOptions &options);

/// Lets go of the process's MPI transport (made by the first distributed
/// session). MPI is finalised, if the runtime initialised it, once the
/// sessions over it are gone too; until then they keep it. For programs
/// that must finalise MPI before their static objects are destroyed (an
/// interpreter's exit hook); a later distributed session would fail, as MPI
/// cannot be initialised twice.
void releaseProcessTransport();

} // namespace cleave

#endif // CLEAVE_RUNTIME_CORE_PROCESS_SESSION_H
