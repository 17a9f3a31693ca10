//===- wait_watch.h - Bounding how long a rank waits on its peers ---------===//
//
// Every blocking call of the MPI transport runs inside a WaitScope, which
// records what the rank waits for and since when. A watchdog thread, started
// with the first scope when a timeout is set (setWaitTimeout in
// cleave/runtime.h), checks a few times a second; a wait older than the
// timeout prints one line naming the rank and what it waited for and ends the
// job. The thread sleeps between checks, so a bounded wait costs nothing.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_COMM_WAIT_WATCH_H
#define CLEAVE_RUNTIME_COMM_WAIT_WATCH_H

#include <functional>
#include <string>

namespace cleave {

/// Marks that this process waits on other ranks for `what` until the scope
/// ends. Scopes do not nest (a transport call makes one).
class WaitScope {
public:
  /// `rank`: this process's rank in the job, for the message.
  WaitScope(int rank, std::string what);
  ~WaitScope();
  WaitScope(const WaitScope &) = delete;
  WaitScope &operator=(const WaitScope &) = delete;
};

/// While one lives, waits may last `seconds` past the bound before they end
/// the job: for a wait on a rank that is itself waiting, bounded, on another
/// (a follower idle until the next command, rank 0 waiting for a replica that
/// waits for its own followers), so that the rank nearest the fault is the
/// one that reports it, naming that fault's rank. Graces do not nest.
class WaitGrace {
public:
  explicit WaitGrace(double seconds);
  ~WaitGrace();
  WaitGrace(const WaitGrace &) = delete;
  WaitGrace &operator=(const WaitGrace &) = delete;
};

/// What the watchdog does when a wait lasts too long, after printing its
/// line: the MPI transport sets it to MPI_Abort of the job.
void setWaitTimeoutAction(std::function<void()> action);

} // namespace cleave

#endif // CLEAVE_RUNTIME_COMM_WAIT_WATCH_H
