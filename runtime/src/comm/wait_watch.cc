//===- wait_watch.cc - Bounding how long a rank waits on its peers --------===//

#include "comm/wait_watch.h"

#include "cleave/runtime.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace cleave {

namespace {
using Clock = std::chrono::steady_clock;

/// The process's one watch: what it waits for, since when, and the bound.
struct Watch {
  std::mutex mutex;
  std::condition_variable wake;
  double timeoutSeconds = kDefaultWaitTimeoutSeconds;
  double graceSeconds = 0;
  std::string program = "cleave";
  std::function<void()> action;
  bool waiting = false;
  int rank = 0;
  std::string what;
  Clock::time_point since;
  bool threadStarted = false;

  /// Checks a few times per timeout, at least every quarter second.
  void run() {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      double period = timeoutSeconds > 0 ? std::min(0.25, timeoutSeconds / 4) : 0.25;
      wake.wait_for(lock, std::chrono::duration<double>(period));
      if (!waiting || timeoutSeconds <= 0)
        continue;
      double waited =
          std::chrono::duration<double>(Clock::now() - since).count();
      if (waited <= timeoutSeconds + graceSeconds)
        continue;
      std::fprintf(stderr,
                   "%s: error: rank %d: no progress for %.0f s: waiting for "
                   "%s (the job ends; --timeout-s sets the bound)\n",
                   program.c_str(), rank, waited, what.c_str());
      std::fflush(stderr);
      if (action)
        action();
      std::_Exit(1);
    }
  }
};

Watch &watch() {
  static Watch *instance = new Watch(); // lives until the process ends
  return *instance;
}
} // namespace

void setWaitTimeout(double seconds, const std::string &program) {
  Watch &w = watch();
  std::lock_guard<std::mutex> lock(w.mutex);
  w.timeoutSeconds = seconds;
  w.program = program;
  w.wake.notify_all();
}

void setWaitTimeoutAction(std::function<void()> action) {
  Watch &w = watch();
  std::lock_guard<std::mutex> lock(w.mutex);
  w.action = std::move(action);
}

WaitScope::WaitScope(int rank, std::string what) {
  Watch &w = watch();
  std::lock_guard<std::mutex> lock(w.mutex);
  w.waiting = true;
  w.rank = rank;
  w.what = std::move(what);
  w.since = Clock::now();
  if (!w.threadStarted && w.timeoutSeconds > 0) {
    w.threadStarted = true;
    std::thread([&w] { w.run(); }).detach();
  }
}

WaitGrace::WaitGrace(double seconds) {
  Watch &w = watch();
  std::lock_guard<std::mutex> lock(w.mutex);
  w.graceSeconds = seconds;
}

WaitGrace::~WaitGrace() {
  Watch &w = watch();
  std::lock_guard<std::mutex> lock(w.mutex);
  w.graceSeconds = 0;
}

WaitScope::~WaitScope() {
  Watch &w = watch();
  std::lock_guard<std::mutex> lock(w.mutex);
  w.waiting = false;
}

} // namespace cleave
