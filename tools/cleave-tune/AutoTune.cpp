// cleave-tune MODEL: the plan search's best candidates compiled, each run on the real ranks
// by cleave-run (under mpirun for several ranks), the fastest measured kept, with the table
// of predicted against measured in its manifest ("tuning", docs/artifact-format.md).
#include "Tune.h"

#include "cleave/abi.h"
#include "cleave/runtime.h"
#include "compiler/artifact/ArtifactWriter.h"
#include "io/npy.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <fstream>
#include <limits.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

using namespace cleave;
using namespace cleave::tune;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string number(double v, const char *format = "%.3g") {
  char text[64];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

std::string readFile(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

bool writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream file(path, std::ios::binary);
  file << bytes;
  file.close();
  return static_cast<bool>(file);
}

/// Why a command failed, from its stderr: the first line that says "error" (cleave-run's own
/// line, also under mpirun, whose banners of dashes surround it), else the first non-empty
/// line (mpirun's own complaint); control characters become spaces, so that the reason stays one line.
std::string failureReason(const std::string &text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    std::string line = text.substr(start, end - start);
    for (char &c : line)
      if (static_cast<unsigned char>(c) < 0x20)
        c = ' ';
    if (line.find_first_not_of(" -") != std::string::npos)
      lines.push_back(line);
    start = end + 1;
  }
  for (const std::string &line : lines)
    if (line.find("error") != std::string::npos)
      return line;
  return lines.empty() ? "" : lines.front();
}

/// How a command ended.
struct Outcome {
  bool started = false, timedOut = false;
  int exitCode = -1;
  std::string out, err, startError;
};

/// Runs `argv` in a process group of its own with stdout and stderr in files of `dir`,
/// ending the group when it runs past `timeout` seconds.
Outcome runCommand(const std::vector<std::string> &argv, const std::string &dir,
                   double timeout) {
  Outcome o;
  std::string outPath = dir + "/run.stdout", errPath = dir + "/run.stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    o.startError = "cannot start '" + argv[0] + "': " + std::strerror(rc);
    return o;
  }
  o.started = true;
  Clock::time_point start = Clock::now();
  int status = 0;
  bool signalled = false;
  while (true) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid)
      break;
    if (!signalled && since(start) > timeout) {
      // mpirun passes SIGTERM on to its ranks; a second later, whatever is left is killed.
      o.timedOut = true;
      signalled = true;
      kill(-pid, SIGTERM);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      kill(-pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  o.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.out = readFile(outPath);
  o.err = readFile(errPath);
  return o;
}

/// Random inputs for the artifact's graph inputs (floats in [-1, 1), integers 0), as .npy
/// files in `dir`; `--input NAME=FILE` arguments for cleave-run.
bool makeInputs(const std::string &artifactPath, const std::string &dir,
                std::vector<std::string> &args, std::string &error) {
  StatusOr<std::unique_ptr<Artifact>> opened = Artifact::open(artifactPath);
  if (!opened.ok()) {
    error = opened.status().message();
    return false;
  }
  uint32_t state = 7;
  int index = 0;
  for (const TensorDesc &input : (*opened)->inputs()) {
    StatusOr<Tensor> t = Tensor::create(input.dtype, input.shape);
    if (!t.ok()) {
      error = t.status().message();
      return false;
    }
    if (input.dtype == DType::Float32)
      for (int64_t i = 0; i < t->numElements(); ++i) {
        state = state * 1664525u + 1013904223u;
        t->dataAs<float>()[i] = static_cast<float>((state >> 8) & 0xffff) / 32768.0f - 1.0f;
      }
    std::string path = dir + "/input" + std::to_string(index++) + ".npy";
    Status written = io::writeNpy(path, *t);
    if (!written.ok()) {
      error = written.message();
      return false;
    }
    args.push_back("--input");
    args.push_back(input.name + "=" + path);
  }
  return true;
}

/// cleave-run beside this executable, else the one on PATH.
std::string defaultCleaveRun() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string path(self, static_cast<size_t>(n));
    std::string beside = path.substr(0, path.rfind('/') + 1) + "cleave-run";
    if (access(beside.c_str(), X_OK) == 0)
      return beside;
  }
  return "cleave-run";
}

/// One candidate as tuned.
struct Tried {
  PlanCandidate plan;
  double measuredMs = -1;
  std::string status;
  std::string artifactPath;
};

std::string planName(const PlanCandidate &c) {
  return "pp=" + std::to_string(c.pp) + " tp=" + std::to_string(c.tp) +
         " microbatches=" + std::to_string(c.microbatches);
}

} // namespace

bool cleave::tune::autoTune(const TuneOptions &options, std::string &error) {
  Clock::time_point start = Clock::now();
  CompileOptions search = options.compile;
  search.autoPlan = true;
  search.explain = true;
  CompileResult searched = compile(search);
  if (!searched.ok()) {
    error = searched.error;
    return false;
  }
  int64_t devices = 0;
  for (const PlanCandidate &c : searched.candidates)
    devices = std::max(devices, c.pp * c.tp);
  if (options.ranks != 0 && options.ranks != devices) {
    error = "--ranks " + std::to_string(options.ranks) + " does not match the " +
            std::to_string(devices) + " device(s) of --devices (one rank per device)";
    return false;
  }
  int64_t batch = 0; // dim 0 of the first input, once a candidate has compiled

  std::vector<Tried> tried;
  for (const PlanCandidate &c : searched.candidates)
    if (c.refused.empty() && static_cast<int>(tried.size()) < options.top)
      tried.push_back({c, -1, "", ""});

  char dirTemplate[] = "/tmp/cleave-tune.XXXXXX";
  if (!mkdtemp(dirTemplate)) {
    error = "cannot create a temporary directory in /tmp";
    return false;
  }
  std::string dir = dirTemplate;
  std::vector<std::string> inputArgs;
  for (const std::string &input : options.inputs) {
    inputArgs.push_back("--input");
    inputArgs.push_back(input);
  }
  std::string cleaveRun = options.cleaveRun.empty() ? defaultCleaveRun() : options.cleaveRun;
  if (options.progress)
    std::fprintf(stderr, "cleave-tune: measuring the %zu best of %zu planned candidate(s) on %lld "
                       "rank(s)\n",
               tried.size(), searched.candidates.size(), (long long)devices);

  for (size_t i = 0; i < tried.size(); ++i) {
    Tried &t = tried[i];
    if (since(start) >= options.budgetSeconds) {
      t.status = "skipped: budget of " + number(options.budgetSeconds) + " s exhausted";
      continue;
    }
    CompileOptions one = options.compile;
    one.autoPlan = false;
    one.pp = t.plan.pp;
    one.tp = t.plan.tp;
    one.microbatches = t.plan.microbatches;
    CompileResult compiled = compile(one);
    if (!compiled.ok()) {
      t.status = "skipped: does not compile: " + compiled.error;
      continue;
    }
    batch = std::max(batch, compiled.plan.batch);
    t.artifactPath = dir + "/candidate" + std::to_string(i) + ".cleave";
    if (!writeFile(t.artifactPath, compiled.artifact)) {
      t.status = "skipped: cannot write '" + t.artifactPath + "'";
      continue;
    }
    if (inputArgs.empty()) {
      std::string inputError;
      if (!makeInputs(t.artifactPath, dir, inputArgs, inputError)) {
        t.status = "skipped: cannot make inputs: " + inputError;
        continue;
      }
    }
    std::vector<std::string> argv;
    if (devices > 1)
      argv = {options.mpirun, "-np", std::to_string(devices)};
    argv.insert(argv.end(), {cleaveRun, t.artifactPath});
    argv.insert(argv.end(), inputArgs.begin(), inputArgs.end());
    argv.insert(argv.end(), {"--output-dir", dir + "/out" + std::to_string(i), "--repeat",
                             std::to_string(options.repeat), "--threads",
                             std::to_string(options.threads)});
    double timeout =
        std::min(options.runTimeoutSeconds, std::max(1.0, options.budgetSeconds - since(start)));
    if (options.progress)
      std::fprintf(stderr, "cleave-tune: running candidate %zu (%s)\n", i + 1,
                 planName(t.plan).c_str());
    Outcome outcome = runCommand(argv, dir, timeout);
    if (!outcome.started) {
      t.status = "skipped: " + outcome.startError;
      continue;
    }
    if (outcome.timedOut) {
      t.status = "skipped: run took over " + number(timeout) + " s";
      continue;
    }
    if (outcome.exitCode != 0) {
      std::string why = failureReason(outcome.err);
      t.status = "skipped: run failed (exit " + std::to_string(outcome.exitCode) + ")" +
                 (why.empty() ? "" : ": " + why);
      continue;
    }
    size_t at = outcome.out.find("latency_ms median=");
    if (at == std::string::npos) {
      t.status = "skipped: cleave-run printed no latency";
      continue;
    }
    t.measuredMs = std::atof(outcome.out.c_str() + at + std::strlen("latency_ms median="));
    t.status = "ok";
  }

  // The table, and the fastest measured.
  int chosen = -1;
  for (size_t i = 0; i < tried.size(); ++i)
    if (tried[i].measuredMs >= 0 && (chosen < 0 || tried[i].measuredMs < tried[chosen].measuredMs))
      chosen = static_cast<int>(i);
  std::printf("cleave-tune: %zu candidate(s) on %lld rank(s), batch %lld, %d timed run(s) each "
              "(median)\n",
              tried.size(), (long long)devices, (long long)batch, options.repeat);
  std::printf("     #  pp  tp  microbatches  predicted ms  measured ms   error  samples/s  "
              "status\n");
  for (size_t i = 0; i < tried.size(); ++i) {
    const Tried &t = tried[i];
    double predicted = t.plan.batchSeconds * 1e3;
    if (t.measuredMs >= 0)
      std::printf("  %4zu  %2lld  %2lld  %12lld  %12.3f  %11.3f  %+5.0f%%  %9.1f  %s%s\n", i + 1,
                  (long long)t.plan.pp, (long long)t.plan.tp, (long long)t.plan.microbatches,
                  predicted, t.measuredMs, (predicted - t.measuredMs) / t.measuredMs * 100,
                  batch > 0 ? batch / (t.measuredMs * 1e-3) : 1 / (t.measuredMs * 1e-3),
                  t.status.c_str(), static_cast<int>(i) == chosen ? "  <- chosen" : "");
    else
      std::printf("  %4zu  %2lld  %2lld  %12lld  %12.3f  %11s  %6s  %9s  %s\n", i + 1,
                  (long long)t.plan.pp, (long long)t.plan.tp, (long long)t.plan.microbatches,
                  predicted, "-", "-", "-", t.status.c_str());
  }
  std::fflush(stdout);
  auto cleanUp = [&]() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  };
  if (chosen < 0) {
    bool budget = std::all_of(tried.begin(), tried.end(), [](const Tried &t) {
      return t.status.find("budget") != std::string::npos;
    });
    if (budget)
      error = "budget of " + number(options.budgetSeconds) +
              " s exhausted before any candidate was measured (raise --budget-s)";
    else
      error = "all " + std::to_string(tried.size()) + " candidate(s) failed; candidate 1 (" +
              planName(tried[0].plan) + "): " + tried[0].status;
    cleanUp();
    return false;
  }
  const Tried &best = tried[chosen];
  std::printf("chosen: candidate %d (%s), measured %.3f ms per batch", chosen + 1,
              planName(best.plan).c_str(), best.measuredMs);
  if (chosen != 0 && tried[0].measuredMs >= 0)
    std::printf(", %.2fx faster than the cost model's first choice",
                tried[0].measuredMs / best.measuredMs);
  std::printf("\n");

  nlohmann::ordered_json candidates = nlohmann::ordered_json::array();
  for (const Tried &t : tried) {
    nlohmann::ordered_json c{{CLEAVE_KEY_PP, t.plan.pp},
                             {CLEAVE_KEY_TP, t.plan.tp},
                             {CLEAVE_KEY_MICROBATCHES, t.plan.microbatches},
                             {CLEAVE_KEY_PREDICTED_MS, t.plan.batchSeconds * 1e3}};
    if (t.measuredMs >= 0)
      c[CLEAVE_KEY_MEASURED_MS] = t.measuredMs;
    c[CLEAVE_KEY_STATUS] = t.status;
    candidates.push_back(std::move(c));
  }
  nlohmann::ordered_json report{{CLEAVE_KEY_VERSION, CLEAVE_TUNING_VERSION},
                                {CLEAVE_KEY_RANKS, devices},
                                {CLEAVE_KEY_CHOSEN, chosen},
                                {CLEAVE_KEY_CANDIDATES, std::move(candidates)}};
  std::string annotated;
  if (!artifact::setManifestKey(readFile(best.artifactPath), CLEAVE_KEY_TUNING, report.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                                annotated, error) ||
      !writeFile(options.output, annotated)) {
    if (error.empty())
      error = "cannot write '" + options.output + "'";
    cleanUp();
    return false;
  }
  cleanUp();
  return true;
}
