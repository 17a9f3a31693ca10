//===- transport.h - Moving bytes between the ranks of a plan -------------===//
//
// The interface the pipeline schedule uses to talk to other ranks: rank and
// size, non-blocking point-to-point sends and receives of bytes with tags,
// waits, a barrier, error agreement and the collectives of tensor-parallel
// groups (split() makes a Transport over a group of ranks). The MPI
// implementation lives in mpi_transport.cc; no MPI header appears here, so code
// that includes this builds with or without MPI.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_COMM_TRANSPORT_H
#define CLEAVE_RUNTIME_COMM_TRANSPORT_H

#include "cleave/runtime.h"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace cleave {

/// A handle on one outstanding send or receive; complete it with wait().
using TransportRequest = int64_t;

/// Point-to-point transfers, agreement and collectives between the ranks of
/// one job, or of one group of its ranks (split()).
/// Every call is made from one thread per rank.
class Transport {
public:
  virtual ~Transport();

  /// This process's rank, 0 to size() - 1.
  virtual int rank() const = 0;
  /// The number of ranks in the job.
  virtual int size() const = 0;
  /// The largest tag send() and recv() accept.
  virtual int maxTag() const = 0;

  /// Starts sending `bytes` bytes at `data` to `peer` with `tag`; the
  /// buffer must stay untouched until wait() returns.
  virtual StatusOr<TransportRequest> send(const void *data, size_t bytes,
                                          int peer, int tag) = 0;
  /// Starts receiving exactly `bytes` bytes from `peer` with `tag` into
  /// `data`; the buffer must not be read until wait() returns.
  virtual StatusOr<TransportRequest> recv(void *data, size_t bytes, int peer,
                                          int tag) = 0;
  /// Blocks until the request completes and releases it. A receive that got
  /// a message of another size fails.
  virtual Status wait(TransportRequest request) = 0;

  /// Blocks until every rank has called barrier().
  virtual Status barrier() = 0;

  /// Collective over every rank of this transport: `out` receives the
  /// elementwise sum of every rank's `count` elements of `dtype` at `in`
  /// (`in` may equal `out`). Float32, Float64, Int32 and Int64 are supported.
  virtual Status allReduceSum(const void *in, void *out, size_t count,
                              DType dtype) = 0;

  /// Collective over every rank of this transport: `out` (size() * `bytes`
  /// bytes, distinct from `in`) receives every rank's `bytes` bytes at `in`,
  /// concatenated in rank order. Every rank passes the same `bytes`.
  virtual Status allGather(const void *in, void *out, size_t bytes) = 0;

  /// Collective over every rank of this transport (MPI_Comm_split): the
  /// ranks passing the same `color` (>= 0) form a group, ordered by `key`
  /// (ties by rank here), and each gets a Transport over its group, whose
  /// rank() is its place in that order. The group's transport is independent
  /// of this one (its tags cannot meet this one's messages) and may outlive
  /// it.
  virtual StatusOr<std::shared_ptr<Transport>> split(int color, int key) = 0;

  /// Collective: every rank passes its own status and all get the same
  /// answer: ok when every rank succeeded, otherwise the failure of the
  /// lowest failing rank with its message prefixed by "rank R: ".
  virtual Status agree(const Status &local) = 0;

  /// Ends every process of the job with `exitCode` (MPI_Abort): for
  /// failures after the pipeline started, when peers may be blocked
  /// waiting for this rank.
  [[noreturn]] virtual void abort(int exitCode) = 0;
};

/// True when allReduceSum() supports `dtype`.
bool allReduceSupports(DType dtype);

/// True when this runtime was built with MPI.
bool haveMpi();

/// How mpirun (OpenMPI, or a PMIx/PMI launcher) started this process, as its
/// environment says; nothing is initialised.
struct MpiLaunch {
  bool underMpirun = false;
  int size = 1; ///< -1 when the launcher does not say
  int rank = 0;
};

/// Reads the launcher's environment variables (OMPI_COMM_WORLD_SIZE and
/// OMPI_COMM_WORLD_RANK, PMIX_RANK, PMI_RANK and PMI_SIZE).
MpiLaunch detectMpiLaunch();

} // namespace cleave

#endif // CLEAVE_RUNTIME_COMM_TRANSPORT_H
