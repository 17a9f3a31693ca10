// soak.cpp - Many runs of one session through the C++ API: resident memory, descriptors, threads.
//
// usage: cleave-soak ARTIFACT.cleave --input NAME=FILE... [--runs N] [--check-at K]
//                    [--threads T] [--max-growth-kb G]
// Runs Session::run(inputs, &outputs) N times (default 10000) in one process, the outputs
// allocated by the session each time (the path that allocates most). After run K (default
// 100, the end of warm-up) and after the last run it reads the process's resident memory
// (VmRSS), open file descriptors (/proc/self/fd) and threads (/proc/self/status). It prints
//   soak rank=R runs=N rss_kb_at_K=A rss_kb_last=B growth_kb=C fds=D/E threads=F/G
// one line per rank (under mpirun each rank runs its stage and prints its own line) and exits
// 1 if resident memory grew by more than G kB (default 1024) between run K and the last, or
// the descriptor or thread count changed. Under mpirun (a plan on several ranks) the ranks
// meet at a barrier after every run, as cleave-run --repeat does. Errors: one line, exit 1.
#include "cleave/runtime.h"

#include "comm/transport.h"
#include "named_inputs.h"

#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace cleave;

namespace {

int fail(int rank, const std::string &message) {
  std::fprintf(stderr, "cleave-soak: error: rank %d: %s\n", rank, message.c_str());
  return 1;
}

/// A "Key:   value kB" field of /proc/self/status, or -1.
long statusField(const char *key) {
  std::FILE *file = std::fopen("/proc/self/status", "r");
  if (!file)
    return -1;
  char line[256];
  long value = -1;
  size_t length = std::strlen(key);
  while (std::fgets(line, sizeof(line), file))
    if (std::strncmp(line, key, length) == 0 && line[length] == ':') {
      value = std::strtol(line + length + 1, nullptr, 10);
      break;
    }
  std::fclose(file);
  return value;
}

/// Open file descriptors of this process (the directory's own one not counted).
long openDescriptors() {
  DIR *dir = opendir("/proc/self/fd");
  if (!dir)
    return -1;
  long count = 0;
  while (struct dirent *entry = readdir(dir))
    if (entry->d_name[0] != '.')
      ++count;
  closedir(dir);
  return count - 1;
}

struct Sample {
  long rssKb, fds, threads;
};

Sample sample() { return {statusField("VmRSS"), openDescriptors(), statusField("Threads")}; }

} // namespace

int main(int argc, char **argv) {
  std::string path;
  std::vector<std::string> inputSpecs;
  long runs = 10000, checkAt = 100, maxGrowthKb = 1024;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--input")
      inputSpecs.push_back(value());
    else if (arg == "--runs")
      runs = std::atol(value().c_str());
    else if (arg == "--check-at")
      checkAt = std::atol(value().c_str());
    else if (arg == "--threads")
      threads = std::atoi(value().c_str());
    else if (arg == "--max-growth-kb")
      maxGrowthKb = std::atol(value().c_str());
    else if (path.empty() && arg[0] != '-')
      path = arg;
    else
      return fail(0, "unexpected argument '" + arg + "'");
  }
  if (path.empty() || checkAt < 1 || runs <= checkAt || threads < 0)
    return fail(0, "usage: cleave-soak ARTIFACT --input NAME=FILE... [--runs N > --check-at K] "
                   "[--threads T] [--max-growth-kb G]");

  MpiLaunch launch = detectMpiLaunch();
  std::shared_ptr<Transport> transport;
  int rank = 0;
  if (launch.underMpirun && launch.size > 1) {
    StatusOr<std::shared_ptr<Transport>> created = createMpiTransport(&argc, &argv);
    if (!created.ok())
      return fail(launch.rank, created.status().message());
    transport = std::move(created).value();
    rank = transport->rank();
  }
  StatusOr<std::unique_ptr<Artifact>> opened =
      Artifact::open(path, transport ? rank : Artifact::kAllRanks);
  if (!opened.ok())
    return fail(rank, opened.status().message());
  std::shared_ptr<const Artifact> artifact = std::move(opened).value();
  StatusOr<std::unique_ptr<Session>> session =
      Session::create(artifact, SessionOptions{threads, transport});
  if (!session.ok())
    return fail(rank, session.status().message());

  std::vector<Tensor> inputs;
  if ((*session)->takesInputs()) {
    Status read = cleave::bench::readNamedInputs(*artifact, inputSpecs, &inputs);
    if (!read.ok())
      return fail(rank, read.message());
  }

  Sample warm{}, last{};
  std::vector<Tensor> outputs;
  for (long r = 1; r <= runs; ++r) {
    Status ran = (*session)->run(inputs, &outputs);
    if (ran.ok() && transport)
      ran = transport->barrier();
    if (!ran.ok()) {
      fail(rank, "run " + std::to_string(r) + ": " + ran.message());
      if (transport)
        transport->abort(1);
      return 1;
    }
    if (r == checkAt)
      warm = sample();
  }
  last = sample();
  long growth = last.rssKb - warm.rssKb;
  std::printf("soak rank=%d runs=%ld rss_kb_at_%ld=%ld rss_kb_last=%ld growth_kb=%ld "
              "fds=%ld/%ld threads=%ld/%ld\n",
              rank, runs, checkAt, warm.rssKb, last.rssKb, growth, warm.fds, last.fds,
              warm.threads, last.threads);
  std::fflush(stdout);
  bool flat = growth <= maxGrowthKb && last.fds == warm.fds && last.threads == warm.threads;
  if (!flat)
    std::fprintf(stderr,
                 "cleave-soak: error: rank %d: not flat after run %ld: resident memory grew "
                 "%ld kB (at most %ld allowed), descriptors %ld -> %ld, threads %ld -> %ld\n",
                 rank, checkAt, growth, maxGrowthKb, warm.fds, last.fds, warm.threads,
                 last.threads);
  if (transport)
    (void)transport->barrier();
  return flat ? 0 : 1;
}
