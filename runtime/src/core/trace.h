//===- trace.h - Trace events of a run, for Chrome/Perfetto ---------------===//
//
// Off unless a tool turns it on (cleave-run --trace, cleave-serve --trace):
// then the session records one complete event per stage compute of each
// microbatch, per wait for a received or sent activation and per
// collective, into a buffer of this process (one rank). At the end every
// rank's events are gathered to rank 0 (gatherTrace), which writes the
// trace-event JSON ({"traceEvents": [...]}, "X" events with ts and dur in
// microseconds, pid = the rank, "M" events naming each rank and thread).
// Times are CLOCK_MONOTONIC (std::chrono::steady_clock on Linux), one clock
// for every process of one host, so the ranks' tracks line up without an
// offset.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_CORE_TRACE_H
#define CLEAVE_RUNTIME_CORE_TRACE_H

#include "cleave/runtime.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace cleave {
class Transport;
} // namespace cleave

namespace cleave::trace {

/// One complete event. `name` is a string literal; -1 leaves an argument
/// out.
struct Event {
  const char *name = "";
  int64_t startMicros = 0;
  int64_t durationMicros = 0;
  /// The recording thread, numbered from 1 in the order threads first
  /// recorded.
  int thread = 1;
  int stage = -1;
  int microbatch = -1;
  int64_t bytes = -1;
  int peer = -1;
  /// An op group of code compiled with --profile-ops (then `name` is its
  /// name, and the times are also kept in nanoseconds); null otherwise.
  const OpGroupDesc *group = nullptr;
  int64_t startNanos = 0, durationNanos = 0;
};

namespace detail {
extern std::atomic<bool> gEnabled;
} // namespace detail

/// True while events are recorded: the one check on every hot path.
inline bool enabled() {
  return detail::gEnabled.load(std::memory_order_relaxed);
}
/// Starts or stops recording in this process.
void setEnabled(bool on);
/// Microseconds on CLOCK_MONOTONIC.
int64_t nowMicros();
/// Appends an event that began at `startMicros` and ends now (nothing once
/// the buffer holds 2^20 events, about 100 MB: a server traced for long).
void record(const char *name, int64_t startMicros, int stage = -1,
            int microbatch = -1, int64_t bytes = -1, int peer = -1);
/// Appends the run of op group `group` from `startNanos` to `endNanos`
/// (steady_clock nanoseconds). `group` must outlive the events (it is the
/// artifact's).
void recordOpGroup(const OpGroupDesc &group, int64_t startNanos,
                   int64_t endNanos);
/// The events recorded so far, leaving the buffer empty.
std::vector<Event> take();

/// Records an event over its scope when tracing is on.
class Span {
public:
  Span(const char *name, int stage = -1, int microbatch = -1,
       int64_t bytes = -1, int peer = -1)
      : name_(name), stage_(stage), microbatch_(microbatch), bytes_(bytes),
        peer_(peer), start_(enabled() ? nowMicros() : -1) {}
  ~Span() {
    if (start_ >= 0)
      record(name_, start_, stage_, microbatch_, bytes_, peer_);
  }
  Span(const Span &) = delete;
  Span &operator=(const Span &) = delete;

private:
  const char *name_;
  int stage_, microbatch_;
  int64_t bytes_;
  int peer_;
  int64_t start_;
};

/// `events` as trace-event JSON objects (each followed by ",\n"), with pid
/// `pid`, preceded by "M" events naming the process `process` and each
/// thread that recorded (thread 1 `mainThread`, others "thread N").
std::string toJson(const std::vector<Event> &events, int pid,
                   const std::string &process,
                   const std::string &mainThread = "pipeline");

/// Writes {"traceEvents": [...]} holding `text` (toJson() of one or more
/// ranks) to `path`.
Status writeTrace(const std::string &text, const std::string &path);

/// Collective over `transport`: every rank passes its text; rank 0 gets
/// every rank's, concatenated in rank order (the others get "").
StatusOr<std::string> gatherText(Transport &transport, const std::string &text);

/// Collective over `transport`: every rank passes its own toJson() text;
/// rank 0 writes {"traceEvents": [...]} with every rank's events to `path`.
/// The status of rank 0's write is returned on every rank.
Status gatherTrace(Transport &transport, const std::string &text,
                   const std::string &path);

} // namespace cleave::trace

#endif // CLEAVE_RUNTIME_CORE_TRACE_H
