//===- local_transport.h - An in-process Transport for tests --------------===//
//
// Test-only: the ranks of a job are threads of one process that share a
// mailbox, so the pipeline schedule can be unit-tested without mpirun.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_COMM_LOCAL_TRANSPORT_H
#define CLEAVE_RUNTIME_COMM_LOCAL_TRANSPORT_H

#include "comm/transport.h"

#include <memory>
#include <vector>

namespace cleave {
namespace testing {

/// `size` transports, one per rank, that deliver messages through shared
/// memory. Sends complete at once (the bytes are copied); receives complete
/// in wait(). Each transport must be used by one thread; barrier(), agree()
/// and the collectives block until every rank has called them. split()
/// gives transports over groups of these ranks, delivering the same way.
std::vector<std::shared_ptr<Transport>> createLocalTransports(int size);

} // namespace testing
} // namespace cleave

#endif // CLEAVE_RUNTIME_COMM_LOCAL_TRANSPORT_H
