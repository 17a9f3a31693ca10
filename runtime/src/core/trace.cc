//===- trace.cc - Trace events of a run, for Chrome/Perfetto --------------===//

#include "core/trace.h"

#include "comm/transport.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

namespace cleave::trace {

namespace detail {
std::atomic<bool> gEnabled{false};
} // namespace detail

namespace {

/// The most events one process keeps; later ones are dropped.
constexpr size_t kMaxEvents = size_t(1) << 20;

struct Buffer {
  std::mutex mutex;
  std::vector<Event> events;
  std::map<std::thread::id, int> threads;
};

Buffer &buffer() {
  static Buffer *instance = new Buffer(); // lives until the process ends
  return *instance;
}

/// `text` as a JSON string literal.
std::string quoted(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

} // namespace

void setEnabled(bool on) { detail::gEnabled = on; }

int64_t nowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

/// Adds `event` to the buffer with the calling thread's track number; a long-running
/// server's buffer stops growing at kMaxEvents (about 100 MB).
void append(Event event) {
  Buffer &b = buffer();
  std::lock_guard<std::mutex> lock(b.mutex);
  auto [at, added] =
      b.threads.emplace(std::this_thread::get_id(), int(b.threads.size()) + 1);
  (void)added;
  if (b.events.size() >= kMaxEvents)
    return;
  event.thread = at->second;
  b.events.push_back(event);
}

} // namespace

void recordOpGroup(const OpGroupDesc &group, int64_t startNanos,
                   int64_t endNanos) {
  Event event;
  event.name = group.name.c_str();
  event.startMicros = startNanos / 1000;
  event.durationMicros = (endNanos - startNanos) / 1000;
  event.group = &group;
  event.startNanos = startNanos;
  event.durationNanos = endNanos - startNanos;
  append(event);
}

void record(const char *name, int64_t startMicros, int stage, int microbatch,
            int64_t bytes, int peer) {
  Event event;
  event.name = name;
  event.startMicros = startMicros;
  event.durationMicros = nowMicros() - startMicros;
  event.stage = stage;
  event.microbatch = microbatch;
  event.bytes = bytes;
  event.peer = peer;
  append(event);
}

std::vector<Event> take() {
  Buffer &b = buffer();
  std::lock_guard<std::mutex> lock(b.mutex);
  std::vector<Event> events;
  events.swap(b.events);
  return events;
}

std::string toJson(const std::vector<Event> &events, int pid,
                   const std::string &process, const std::string &mainThread) {
  std::string out;
  std::string p = std::to_string(pid);
  out += "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" + p +
         ",\"tid\":0,\"args\":{\"name\":" + quoted(process) + "}},\n";
  out += "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":" + p +
         ",\"tid\":0,\"args\":{\"sort_index\":" + p + "}},\n";
  int threads = 1;
  for (const Event &event : events)
    threads = std::max(threads, event.thread);
  for (int t = 1; t <= threads; ++t)
    out += "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":" + p +
           ",\"tid\":" + std::to_string(t) + ",\"args\":{\"name\":" +
           quoted(t == 1 ? mainThread : "thread " + std::to_string(t)) +
           "}},\n";
  for (const Event &event : events) {
    if (event.group) {
      // Op groups are often shorter than a microsecond: ts and dur to the
      // nanosecond, args naming what the group runs.
      auto list = [](const std::vector<std::string> &items) {
        std::string text = "[";
        for (size_t i = 0; i < items.size(); ++i)
          text += (i ? "," : "") + quoted(items[i]);
        return text + "]";
      };
      auto micros = [](int64_t nanos) {
        char text[48];
        std::snprintf(text, sizeof(text), "%lld.%03lld",
                      static_cast<long long>(nanos / 1000),
                      static_cast<long long>(nanos % 1000));
        return std::string(text);
      };
      std::string head = "{\"name\":" + quoted(event.name) +
                         ",\"cat\":\"op\",\"ph\":\"X\",\"pid\":" + p +
                         ",\"tid\":" + std::to_string(event.thread) +
                         ",\"ts\":" + micros(event.startNanos) +
                         ",\"dur\":" + micros(event.durationNanos) +
                         ",\"args\":{";
      out += head + "\"group\":" + std::to_string(event.group->id) +
             ",\"ops\":" + list(event.group->ops) +
             ",\"nodes\":" + list(event.group->nodes) + "}},\n";
      continue;
    }
    out += "{\"name\":" + quoted(event.name) +
           ",\"cat\":\"cleave\",\"ph\":\"X\"," + "\"pid\":" + p +
           ",\"tid\":" + std::to_string(event.thread) +
           ",\"ts\":" + std::to_string(event.startMicros) +
           ",\"dur\":" + std::to_string(event.durationMicros) + ",\"args\":{";
    std::string args;
    auto add = [&](const char *key, int64_t value) {
      if (value < 0)
        return;
      args += (args.empty() ? "\"" : ",\"") + std::string(key) +
              "\":" + std::to_string(value);
    };
    add("stage", event.stage);
    add("microbatch", event.microbatch);
    add("bytes", event.bytes);
    add("peer", event.peer);
    out += args + "}},\n";
  }
  return out;
}

Status writeTrace(const std::string &text, const std::string &path) {
  std::string all = text;
  if (all.rfind("{\"traceEvents\"", 0) != 0)
    all = "{\"traceEvents\":[\n" + all;
  // Every object ends with ",\n": the last one's comma goes.
  if (all.size() >= 2 && all.compare(all.size() - 2, 2, ",\n") == 0)
    all.erase(all.size() - 2, 1);
  all += "],\"displayTimeUnit\":\"ms\"}\n";
  std::FILE *file = std::fopen(path.c_str(), "w");
  if (!file)
    return notFoundError("cannot write the trace '" + path +
                         "': " + std::strerror(errno));
  bool ok = std::fwrite(all.data(), 1, all.size(), file) == all.size();
  ok = std::fclose(file) == 0 && ok;
  if (!ok)
    return internalError("cannot write the trace '" + path + "'");
  return Status();
}

StatusOr<std::string> gatherText(Transport &transport,
                                 const std::string &text) {
  constexpr int kTextTag = 7900;
  int64_t size = int64_t(text.size());
  std::vector<int64_t> sizes(size_t(transport.size()));
  Status status = transport.allGather(&size, sizes.data(), sizeof(size));
  if (!status.ok())
    return status;
  if (transport.rank() != 0) {
    if (size > 0) {
      StatusOr<TransportRequest> sent =
          transport.send(text.data(), text.size(), 0, kTextTag);
      if (!sent.ok())
        return sent.status();
      status = transport.wait(*sent);
      if (!status.ok())
        return status;
    }
    return std::string();
  }
  std::string all = text;
  for (int r = 1; r < transport.size(); ++r) {
    if (sizes[size_t(r)] <= 0)
      continue;
    std::string part(size_t(sizes[size_t(r)]), '\0');
    StatusOr<TransportRequest> received =
        transport.recv(&part[0], part.size(), r, kTextTag);
    if (!received.ok())
      return received.status();
    status = transport.wait(*received);
    if (!status.ok())
      return status;
    all += part;
  }
  return all;
}

Status gatherTrace(Transport &transport, const std::string &text,
                   const std::string &path) {
  StatusOr<std::string> all = gatherText(transport, text);
  if (!all.ok())
    return all.status();
  Status written;
  if (transport.rank() == 0)
    written = writeTrace("{\"traceEvents\":[\n" + *all, path);
  // Rank 0's outcome, for every rank.
  return transport.agree(written);
}

} // namespace cleave::trace
