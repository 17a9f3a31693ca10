//===- cleave-run.cpp - Runs a compiled .cleave artifact ------------------===//
//
// The command-line contract is in /work/shared/DESIGN.md and docs/runtime.md:
//   cleave-run OUT.cleave [--input NAME=FILE | --input FILE]... --output-dir
//   DIR
//              [--repeat N] [--threads T] [--profile]
//   cleave-run --info OUT.cleave
//   mpirun -np N cleave-run OUT.cleave ... (plans on N ranks)
// Every failure prints exactly one line, "cleave-run: error: <message>", on
// stderr and exits with status 1; under mpirun every rank exits 1 and the
// message, naming the failing rank, is printed once.
//
//===----------------------------------------------------------------------===//

#include "cleave/runtime.h"

#include "comm/transport.h"
#include "common/tool_args.h"
#include "core/message.h"
#include "core/trace.h"
#include "io/npy.h"
#include "io/tensor_file.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace cleave;

namespace {

const char kUsage[] =
    R"(usage: cleave-run ARTIFACT.cleave [--input NAME=FILE | --input FILE]...
                  --output-dir DIR [--repeat N] [--threads T] [--profile]
                  [--trace FILE] [--profile-ops[=FILE]] [--timeout-s S]
       cleave-run --info ARTIFACT.cleave
       cleave-run --help

Runs a model compiled by cleave-compile on the inputs given and writes each
graph output to DIR/<output name>.npy.

options (each accepts both "--opt VALUE" and "--opt=VALUE"):
  --input NAME=FILE  binds graph input NAME to FILE. NAME may contain ':' and
                     '='; the value is split at its last '=' when the part
                     before it is a graph input's name.
  --input FILE       binds FILE to the next graph input not bound by name, in
                     the order the model declares its inputs.
                     FILE is a numpy .npy file or an ONNX TensorProto .pb file;
                     its dtype and shape must match the input exactly (a
                     bfloat16 input also takes uint16 bit patterns).
  --output-dir DIR   where outputs are written (created if missing); characters
                     of output names outside [A-Za-z0-9_.-] become '_'.
  --repeat N         after one warm-up run, runs N more times and prints
                     "latency_ms median=M min=A max=B" on stdout.
  --threads T        CPU threads to use (default: all cores this process may
                     run on).
  --profile          after the run(s), prints where each rank's time went, one
                     line per rank in rank order, on rank 0's stdout:
                       profile rank=R stage=S runs=N microbatches=K
                         compute_ms mean=C min=M recv_wait_ms=W
                         send_wait_ms=X run_ms=T
                     (one line): K entry-point calls per run, each taking C ms
                     on average and M at best; W and X the ms per run blocked
                     waiting for received activations and for sends to
                     complete; T the ms per run inside the session. With
                     --repeat the warm-up run is not counted. Where the
                     artifact holds the compiler's predictions, the line
                     goes on with
                       predicted compute_ms=P send_ms=S compute_error=E%
                     P and S the cost model's ms per microbatch for the
                     stage's compute and for sending its activations, E
                     how far C is from P (+25% = 25% slower than predicted).
  --trace FILE       writes a Chrome/Perfetto trace of the run(s) to FILE
                     (trace-event JSON: open it in ui.perfetto.dev or
                     chrome://tracing): one track per rank with each
                     stage's compute per microbatch, the waits for sent and
                     received activations and the collectives, with their
                     byte counts; under mpirun rank 0 gathers every rank's
                     events and writes the file.
  --profile-ops[=FILE]
                     (FILE only after '='), for an artifact compiled with
                     cleave-compile --profile-ops: after the run(s), prints
                     each rank's op groups (the code of one kernel, named by
                     its ONNX nodes), slowest first, on rank 0's stdout:
                       op-profile rank=R stage=S runs=N run_ms=T
                         groups_ms=G groups=K
                       group ms/run %run calls total_ms ops nodes
                     (% of the run time T, calls per group over all runs;
                     ops and nodes the first few, then +N for N more;
                     with --repeat the warm-up run is not counted). With
                     =FILE it also writes a trace to FILE as --trace does,
                     holding one event per op group per entry-point call
                     (cat "op", args group, ops, nodes) inside each compute
                     event; with --trace the same events go to its file.
  --timeout-s S      under mpirun, the longest a rank waits on its peers (a
                     message, a collective) before it ends the whole job,
                     naming itself and what it waited for (default 300; 0
                     waits forever): a stopped or stuck rank never leaves the
                     others waiting forever.
  --info             prints what the artifact holds (provenance, options,
                     inputs, outputs, devices, parameters, stages, and
                     cleave-tune's report when it chose the plan) and exits.
  --help, -h         prints this help and exits.

examples:
  cleave-run model.cleave --input x=image.npy --output-dir out/
  cleave-run model.cleave --input input_0.pb --output-dir out \
             --repeat=100 --threads 8
  cleave-run --info model.cleave

A plan compiled for several devices runs under MPI, one rank per device:
  mpirun -np 4 cleave-run model.cleave --input x=batch.npy --output-dir out/
A plan compiled with --dp=R runs its R replicas under mpirun -np R x (devices
per replica): each input file holds R times the plan's batch along dim 0,
replica r runs rows r*B..(r+1)*B-1, and the outputs are gathered in order:
  mpirun -np 2 cleave-run dp2.cleave --input x=batch8.npy --output-dir out/
Rank 0 (the first stage) reads the inputs, the last stage's rank writes the
outputs, --threads applies to each rank, and with --repeat every rank runs
each time between barriers while rank 0 prints the latency.
)";

struct Options {
  std::string artifact;
  std::vector<std::string> inputs;
  std::string outputDir;
  bool hasOutputDir = false;
  int repeat = 0;
  int threads = 0;
  bool info = false;
  bool help = false;
  bool profile = false;
  /// --trace: where the trace-event JSON goes; empty for none.
  std::string trace;
  /// --profile-ops: print the time per op group (and --profile-ops=FILE:
  /// trace to FILE, stored in `trace`).
  bool profileOps = false;
  int timeoutSeconds = static_cast<int>(kDefaultWaitTimeoutSeconds);
};

Status parsePositive(const std::string &option, const std::string &text,
                     int max, int *out) {
  char *end = nullptr;
  errno = 0;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || value < 1 ||
      value > max)
    return invalidArgumentError("option '" + option +
                                "' expects a positive integer up to " +
                                std::to_string(max) + ", got '" + text + "'");
  *out = static_cast<int>(value);
  return Status();
}

Status parseArgs(int argc, char **argv, Options *options) {
  std::set<std::string> seen;
  bool onlyPositional = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (onlyPositional || arg.size() < 2 || arg[0] != '-') {
      if (!options->artifact.empty())
        return invalidArgumentError("unexpected argument '" + arg +
                                    "' (one artifact only; inputs go after "
                                    "--input)");
      options->artifact = arg;
      continue;
    }
    if (arg == "--") {
      onlyPositional = true;
      continue;
    }
    if (arg == "-h") {
      options->help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0)
      return invalidArgumentError("unknown option '" + arg + "' (see --help)");
    size_t equals = arg.find('=');
    std::string name = arg.substr(0, equals);
    bool inlineValue = equals != std::string::npos;
    std::string value = inlineValue ? arg.substr(equals + 1) : "";

    if (name == "--profile") {
      if (inlineValue)
        return invalidArgumentError("option '--profile' takes no value");
      options->profile = true;
      continue;
    }
    if (name == "--profile-ops") {
      if (!seen.insert(name).second)
        return invalidArgumentError(
            "option '--profile-ops' given more than once");
      options->profileOps = true;
      if (inlineValue) {
        if (value.empty())
          return invalidArgumentError("option '--profile-ops=' needs a file");
        if (!options->trace.empty())
          return invalidArgumentError("a trace file is given twice: with "
                                      "--profile-ops=FILE and --trace");
        options->trace = value;
      }
      continue;
    }
    if (name == "--help" || name == "--info") {
      if (name == "--help") {
        if (inlineValue)
          return invalidArgumentError("option '--help' takes no value");
        options->help = true;
      } else {
        options->info = true;
        if (inlineValue) {
          if (!options->artifact.empty())
            return invalidArgumentError("unexpected argument '" + value +
                                        "' (one artifact only)");
          options->artifact = value;
        }
      }
      continue;
    }
    if (name != "--input" && name != "--output-dir" && name != "--repeat" &&
        name != "--threads" && name != "--timeout-s" && name != "--trace")
      return invalidArgumentError("unknown option '" + name + "' (see --help)");
    if (!inlineValue) {
      if (i + 1 >= argc)
        return invalidArgumentError("option '" + name + "' needs a value");
      value = argv[++i];
    }
    if (name != "--input" && !seen.insert(name).second)
      return invalidArgumentError("option '" + name + "' given more than once");
    Status status;
    if (name == "--input") {
      if (value.empty())
        return invalidArgumentError("option '--input' needs a file");
      options->inputs.push_back(value);
    } else if (name == "--output-dir") {
      if (value.empty())
        return invalidArgumentError("option '--output-dir' needs a directory");
      options->outputDir = value;
      options->hasOutputDir = true;
    } else if (name == "--trace") {
      if (value.empty())
        return invalidArgumentError("option '--trace' needs a file");
      if (!options->trace.empty())
        return invalidArgumentError("a trace file is given twice: with "
                                    "--profile-ops=FILE and --trace");
      options->trace = value;
    } else if (name == "--repeat") {
      status = parsePositive(name, value, 1000000000, &options->repeat);
    } else if (name == "--timeout-s") {
      // 0 is allowed: wait forever.
      status = value == "0" ? Status()
                            : parsePositive(name, value, 1000000,
                                            &options->timeoutSeconds);
      if (value == "0")
        options->timeoutSeconds = 0;
    } else {
      status = parsePositive(name, value, 1 << 16, &options->threads);
    }
    if (!status.ok())
      return status;
  }
  return Status();
}

std::string inputNames(const std::vector<TensorDesc> &inputs) {
  std::string names;
  for (const TensorDesc &input : inputs)
    names += (names.empty() ? "" : ", ") + input.name;
  return names.empty() ? "none" : names;
}

/// Decides which file feeds each graph input; returns the files in the
/// order of Artifact::inputs().
StatusOr<std::vector<std::string>>
bindInputs(const Artifact &artifact, const std::vector<std::string> &values) {
  const std::vector<TensorDesc> &inputs = artifact.inputs();
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < inputs.size(); ++i)
    index[inputs[i].name] = i;
  std::vector<std::string> files(inputs.size());
  std::vector<bool> bound(inputs.size(), false);
  std::vector<std::string> unnamed;
  for (const std::string &value : values) {
    size_t equals = value.rfind('=');
    auto named = equals == std::string::npos
                     ? index.end()
                     : index.find(value.substr(0, equals));
    if (named == index.end()) {
      // Not a graph input's name: the whole value is a file, unless it
      // names no file either, which is most likely a misspelt input name.
      std::error_code error;
      if (equals != std::string::npos && !std::filesystem::exists(value, error))
        return invalidArgumentError(
            "unknown input name '" + value.substr(0, equals) +
            "' in '--input " + value +
            "' (graph inputs: " + inputNames(inputs) + ")");
      unnamed.push_back(value);
      continue;
    }
    if (bound[named->second])
      return invalidArgumentError("input '" + named->first +
                                  "' given more than once");
    bound[named->second] = true;
    files[named->second] = value.substr(equals + 1);
  }
  size_t next = 0;
  for (const std::string &file : unnamed) {
    while (next < inputs.size() && bound[next])
      ++next;
    if (next == inputs.size())
      return invalidArgumentError("too many inputs: the model takes " +
                                  std::to_string(inputs.size()) + " (" +
                                  inputNames(inputs) + "), got " +
                                  std::to_string(values.size()));
    bound[next] = true;
    files[next] = file;
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!bound[i])
      return invalidArgumentError(
          "missing input '" + inputs[i].name + "' (" +
          dtypeName(inputs[i].dtype) + shapeToString(inputs[i].shape) +
          "); pass --input " + inputs[i].name + "=FILE");
  return files;
}

/// Output file names: unsafe characters replaced, collisions numbered.
std::vector<std::string>
outputFileNames(const std::vector<TensorDesc> &outputs) {
  std::vector<std::string> names;
  std::set<std::string> used;
  for (const TensorDesc &output : outputs) {
    std::string name = output.name;
    for (char &c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' &&
          c != '.' && c != '-')
        c = '_';
    if (name.empty() || name == "." || name == "..")
      name = "output" + name;
    std::string unique = name;
    for (int n = 2; !used.insert(unique).second; ++n)
      unique = name + "_" + std::to_string(n);
    names.push_back(unique + ".npy");
  }
  return names;
}

std::string oneLine(const std::string &text);

/// Replica `replica` of `replicas`: rows [replica x B, (replica + 1) x B)
/// of an input whose dim 0 holds every replica's B rows, B the plan's.
StatusOr<Tensor> replicaRows(const TensorDesc &input, const Tensor &whole,
                             int replica, int replicas) {
  int64_t rows = input.shape.empty() ? 0 : input.shape[0];
  if (whole.shape().empty() || input.shape.empty() ||
      whole.shape()[0] != rows * replicas)
    return invalidArgumentError(
        "input '" + input.name + "': shape " + shapeToString(whole.shape()) +
        ", but " + std::to_string(replicas) +
        " data-parallel replicas of a plan for " + shapeToString(input.shape) +
        " take dim 0 = " + std::to_string(rows * replicas) + " (" +
        std::to_string(rows) + " rows each, split along dim 0)");
  size_t bytes = whole.byteSize() / size_t(replicas);
  return Tensor::fromBytes(
      whole.dtype(), input.shape,
      static_cast<const char *>(whole.data()) + bytes * size_t(replica), bytes);
}

/// Reads the input files and checks them against the manifest. With
/// `replicas` > 1 each file holds every replica's rows along dim 0 and this
/// replica's share is returned.
StatusOr<std::vector<Tensor>> loadInputs(const Session &session,
                                         const Options &options,
                                         int replica = 0, int replicas = 1) {
  const Artifact &artifact = session.artifact();
  StatusOr<std::vector<std::string>> files =
      bindInputs(artifact, options.inputs);
  if (!files.ok())
    return files.status();
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < files->size(); ++i) {
    // A file holding more data than the input could take in any dtype is
    // refused before its data is read (a wrong or damaged file must not
    // exhaust memory); a smaller mismatch gets the session's exact message.
    const TensorDesc &input = artifact.inputs()[i];
    StatusOr<Tensor> tensor = io::readTensorFile(
        (*files)[i],
        input.byteSize() / dtypeSize(input.dtype) * 8 * size_t(replicas));
    if (!tensor.ok())
      return Status(tensor.status().code(),
                    "input '" + artifact.inputs()[i].name +
                        "': " + tensor.status().message());
    // numpy has no bfloat16: .npy files, and .pb files written from numpy
    // arrays, carry bfloat16 data as uint16 bit patterns.
    if (artifact.inputs()[i].dtype == DType::BFloat16 &&
        tensor->dtype() == DType::UInt16)
      tensor = Tensor::fromBytes(DType::BFloat16, tensor->shape(),
                                 tensor->data(), tensor->byteSize());
    if (!tensor.ok())
      return tensor.status();
    if (replicas > 1) {
      tensor = replicaRows(input, *tensor, replica, replicas);
      if (!tensor.ok())
        return Status(tensor.status().code(), tensor.status().message() +
                                                  " (from '" + (*files)[i] +
                                                  "')");
    }
    inputs.push_back(std::move(tensor).value());
  }
  Status valid = session.validateInputs(inputs);
  for (size_t i = 0; !valid.ok() && i < inputs.size(); ++i) {
    // Session messages start with "input '<name>'"; add the file's name.
    std::string prefix = "input '" + artifact.inputs()[i].name + "'";
    if (valid.message().rfind(prefix, 0) == 0)
      return Status(valid.code(),
                    valid.message() + " (from '" + (*files)[i] + "')");
  }
  if (!valid.ok())
    return valid;
  return inputs;
}

Status makeOutputDir(const Options &options) {
  std::error_code error;
  std::filesystem::create_directories(options.outputDir, error);
  if (error || !std::filesystem::is_directory(options.outputDir, error))
    return invalidArgumentError("cannot create output directory '" +
                                options.outputDir + "'" +
                                (error ? ": " + error.message() : ""));
  return Status();
}

Status writeOutputs(const Artifact &artifact, const Options &options,
                    const std::vector<Tensor> &outputs) {
  std::vector<std::string> names = outputFileNames(artifact.outputs());
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string path =
        (std::filesystem::path(options.outputDir) / names[i]).string();
    Status written = io::writeNpy(path, outputs[i]);
    if (!written.ok())
      return written;
  }
  return Status();
}

void printLatencies(std::vector<double> latencies) {
  if (latencies.empty())
    return;
  std::sort(latencies.begin(), latencies.end());
  size_t n = latencies.size();
  double median =
      n % 2 ? latencies[n / 2] : (latencies[n / 2 - 1] + latencies[n / 2]) / 2;
  std::printf("latency_ms median=%.3f min=%.3f max=%.3f\n", median,
              latencies.front(), latencies.back());
}

/// The fields of one rank's line of --profile, as doubles so that the ranks'
/// rows can be gathered with one all-reduce (each rank fills its own row).
constexpr size_t kProfileFields = 10;

void profileRow(const Session &session, double *row) {
  const StageProfile &p = session.profile();
  const StageDesc &stage = session.stage();
  double values[kProfileFields] = {static_cast<double>(stage.id),
                                   static_cast<double>(p.runs),
                                   static_cast<double>(p.microbatches),
                                   p.computeSeconds,
                                   p.computeMinSeconds,
                                   p.recvWaitSeconds,
                                   p.sendWaitSeconds,
                                   p.runSeconds,
                                   stage.estimatedComputeSeconds,
                                   stage.estimatedSendSeconds};
  std::copy(values, values + kProfileFields, row);
}

/// Prints one --profile line per row of `rows` (rank order): the measured
/// times, then the compiler's predictions and the compute time's error
/// against them where the artifact has predictions.
void printProfiles(const std::vector<double> &rows) {
  for (size_t rank = 0; rank * kProfileFields < rows.size(); ++rank) {
    const double *r = &rows[rank * kProfileFields];
    double runs = std::max(r[1], 1.0), calls = std::max(r[2], 1.0);
    double compute = r[3] / calls, predicted = r[8];
    std::printf("profile rank=%zu stage=%d runs=%d microbatches=%d "
                "compute_ms mean=%.3f min=%.3f recv_wait_ms=%.3f "
                "send_wait_ms=%.3f run_ms=%.3f",
                rank, static_cast<int>(r[0]), static_cast<int>(r[1]),
                static_cast<int>(r[2] / runs), compute * 1e3, r[4] * 1e3,
                r[5] / runs * 1e3, r[6] / runs * 1e3, r[7] / runs * 1e3);
    if (predicted > 0)
      std::printf(" predicted compute_ms=%.3f send_ms=%.3f compute_error=%+.0f%%",
                  predicted * 1e3, r[9] * 1e3,
                  (compute - predicted) / predicted * 100);
    std::printf("\n");
  }
}

/// An artifact compiled without --profile-ops has no op groups to time.
Status checkProfileOps(const Artifact &artifact, const Options &options) {
  if (!options.profileOps || artifact.profileOps())
    return Status();
  return failedPreconditionError(
      "--profile-ops: '" + artifact.path() +
      "' was compiled without --profile-ops; recompile it with cleave-compile "
      "--profile-ops to time its op groups");
}

/// The --profile-ops table of this rank: its op groups, slowest first.
std::string opProfileTable(const Session &session, int rank) {
  const StageProfile &p = session.profile();
  const StageDesc &stage = session.stage();
  double runs = std::max(p.runs, 1);
  double groupSeconds = 0;
  std::vector<size_t> order;
  for (size_t g = 0; g < p.opGroups.size(); ++g) {
    groupSeconds += p.opGroups[g].seconds;
    order.push_back(g);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return p.opGroups[a].seconds > p.opGroups[b].seconds;
  });
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line),
                "op-profile rank=%d stage=%d runs=%d run_ms=%.3f "
                "groups_ms=%.3f groups=%zu\n",
                rank, stage.id, p.runs, p.runSeconds / runs * 1e3,
                groupSeconds / runs * 1e3, p.opGroups.size());
  out += line;
  out += "  group    ms/run   %run    calls   total_ms  ops  nodes\n";
  auto joined = [](const std::vector<std::string> &items, size_t most) {
    std::string text;
    for (size_t i = 0; i < items.size() && i < most; ++i)
      text += (i ? "," : "") + items[i];
    if (items.size() > most)
      text += ",+" + std::to_string(items.size() - most);
    return text.empty() ? std::string("-") : text;
  };
  for (size_t g : order) {
    const StageProfile::OpGroupTime &t = p.opGroups[g];
    const OpGroupDesc &desc = stage.opGroups[g];
    std::snprintf(line, sizeof(line), "  %5zu %9.3f %6.2f %8lld %10.3f  ", g,
                  t.seconds / runs * 1e3,
                  p.runSeconds > 0 ? t.seconds / p.runSeconds * 100 : 0.0,
                  static_cast<long long>(t.calls), t.seconds * 1e3);
    out += line + joined(desc.ops, 4) + "  " + joined(desc.nodes, 3) + "\n";
  }
  return out;
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// For an artifact compiled with --batch-sizes: dim 0 of the first input
/// file, the batch whose plan runs; 0 otherwise, or when the file cannot be
/// read (loadInputs then says why).
int64_t inputBatch(const Artifact &artifact, const Options &options,
                   int replicas = 1) {
  if (artifact.variants().empty())
    return 0;
  StatusOr<std::vector<std::string>> files =
      bindInputs(artifact, options.inputs);
  if (!files.ok() || files->empty())
    return 0;
  StatusOr<Tensor> first = io::readTensorFile(files->front());
  if (!first.ok() || first->shape().empty() ||
      first->shape()[0] % replicas != 0)
    return 0;
  return first->shape()[0] / replicas;
}

/// The trace's name of a rank's track: "rank 2: stage 1" (", replica 1").
std::string traceName(const Session &session, int rank, int replica) {
  return "rank " + std::to_string(rank) + ": stage " +
         std::to_string(session.stage().id) +
         (replica >= 0 ? ", replica " + std::to_string(replica) : "");
}

/// A plan on one device: runs in this process, without MPI.
Status runLocal(std::shared_ptr<const Artifact> artifact,
                const Options &options) {
  Status profiled = checkProfileOps(*artifact, options);
  if (!profiled.ok())
    return profiled;
  if (int64_t batch = inputBatch(*artifact, options)) {
    StatusOr<std::shared_ptr<const Artifact>> plan =
        Artifact::forBatch(artifact, batch);
    if (!plan.ok())
      return plan.status();
    artifact = std::move(plan).value();
  }
  StatusOr<std::unique_ptr<Session>> session =
      Session::create(artifact, SessionOptions{options.threads});
  if (!session.ok())
    return session.status();
  StatusOr<std::vector<Tensor>> inputs = loadInputs(**session, options);
  if (!inputs.ok())
    return inputs.status();
  Status made = makeOutputDir(options);
  if (!made.ok())
    return made;

  std::vector<Tensor> outputs;
  std::vector<double> latencies;
  int runs = options.repeat ? options.repeat + 1 : 1;
  trace::setEnabled(!options.trace.empty());
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    Status ran = (*session)->run(*inputs, &outputs);
    double elapsed = millisecondsSince(start);
    if (!ran.ok())
      return ran;
    if (r > 0) // the first run is the warm-up
      latencies.push_back(elapsed);
    else if (runs > 1)
      (*session)->resetProfile();
  }
  trace::setEnabled(false);
  Status written = writeOutputs(*artifact, options, outputs);
  if (!written.ok())
    return written;
  if (!options.trace.empty()) {
    written = trace::writeTrace(
        trace::toJson(trace::take(), 0, traceName(**session, 0, -1)),
        options.trace);
    if (!written.ok())
      return written;
  }
  printLatencies(std::move(latencies));
  if (options.profile) {
    std::vector<double> row(kProfileFields);
    profileRow(**session, row.data());
    printProfiles(row);
  }
  if (options.profileOps)
    std::fputs(opProfileTable(**session, 0).c_str(), stdout);
  return Status();
}

/// Set once the error has been reported (or is left to another rank), so
/// that main() prints nothing more.
bool gQuiet = false;

/// Reports an error every rank shares: rank 0 prints it, then all ranks meet
/// at a barrier before exiting, because mpirun kills the job as soon as one
/// rank exits with a failure and rank 0 could die before printing.
Status reportOnce(Transport &transport, const Status &status) {
  if (transport.rank() == 0) {
    std::fflush(stdout);
    std::fprintf(stderr, "cleave-run: error: %s\n",
                 oneLine(status.message()).c_str());
    std::fflush(stderr);
  }
  gQuiet = true;
  (void)transport.barrier();
  return status;
}

/// A plan's rank (in its replica) that sends the outputs: the last stage's,
/// the first of its tensor-parallel group.
int replicaOutputRank(const Artifact &artifact) {
  const StageDesc *last = nullptr;
  for (const StageDesc &stage : artifact.stages())
    if (!last || stage.id > last->id)
      last = &stage;
  if (!last)
    return 0;
  return last->group.empty() ? last->rank : last->group.front();
}

/// Replicas split every input and gather every output along dim 0, so each
/// needs one, the same for all (the batch).
Status replicatedBatchDims(const Artifact &artifact) {
  int64_t batch = -1;
  for (const std::vector<TensorDesc> *list :
       {&artifact.inputs(), &artifact.outputs()})
    for (const TensorDesc &desc : *list) {
      if (batch < 0 && !desc.shape.empty())
        batch = desc.shape[0];
      if (desc.shape.empty() || desc.shape[0] != batch)
        return failedPreconditionError(
            "'" + desc.name + "' " + shapeToString(desc.shape) +
            ": cleave-run splits the inputs of data-parallel replicas and "
            "gathers their outputs along dim 0, which every input and "
            "output must share (the batch)");
    }
  return Status();
}

/// On each replica's output rank (`outputRank` in its replica, of
/// `planRanks`): replicas other than 0 send their outputs to replica 0's,
/// where `outputs` becomes every replica's rows along dim 0, in replica
/// order.
Status gatherReplicaOutputs(Transport &job, int replica, int replicas,
                            int outputRank, int planRanks,
                            std::vector<Tensor> *outputs) {
  constexpr int kGatherTag = 7000;
  std::vector<TransportRequest> requests;
  if (replica != 0) {
    for (size_t i = 0; i < outputs->size(); ++i) {
      StatusOr<TransportRequest> sent =
          job.send((*outputs)[i].data(), (*outputs)[i].byteSize(), outputRank,
                   kGatherTag + int(i));
      if (!sent.ok())
        return sent.status();
      requests.push_back(*sent);
    }
    for (TransportRequest request : requests) {
      Status waited = job.wait(request);
      if (!waited.ok())
        return waited;
    }
    return Status();
  }
  std::vector<Tensor> gathered;
  for (size_t i = 0; i < outputs->size(); ++i) {
    const Tensor &mine = (*outputs)[i];
    Shape shape = mine.shape();
    shape[0] *= replicas;
    StatusOr<Tensor> whole = Tensor::create(mine.dtype(), shape);
    if (!whole.ok())
      return whole.status();
    char *at = static_cast<char *>(whole->data());
    std::memcpy(at, mine.data(), mine.byteSize());
    for (int r = 1; r < replicas; ++r) {
      StatusOr<TransportRequest> received =
          job.recv(at + mine.byteSize() * size_t(r), mine.byteSize(),
                   r * planRanks + outputRank, kGatherTag + int(i));
      if (!received.ok())
        return received.status();
      requests.push_back(*received);
    }
    gathered.push_back(std::move(whole).value());
  }
  for (TransportRequest request : requests) {
    Status waited = job.wait(request);
    if (!waited.ok())
      return waited;
  }
  *outputs = std::move(gathered);
  return Status();
}

/// Under mpirun with several ranks: one stage per rank. Setup failures are
/// agreed on (every rank exits 1, rank 0 prints the lowest failing rank's
/// message); a failure once the pipeline runs aborts the whole job.
Status runDistributed(const Options &options, const Status &parsed, int *argc,
                      char ***argv) {
  setWaitTimeout(options.timeoutSeconds, "cleave-run");
  StatusOr<std::shared_ptr<Transport>> created = createMpiTransport(argc, argv);
  if (!created.ok()) {
    // No MPI to agree through: rank 0 reports, the others give it a moment
    // before their failure makes mpirun end the job.
    if (detectMpiLaunch().rank != 0) {
      gQuiet = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return created.status();
  }
  std::shared_ptr<Transport> transport = std::move(created).value();
  int rank = transport->rank();

  // Every rank parsed the same command line.
  if (!parsed.ok())
    return reportOnce(*transport, parsed);
  if (options.artifact.empty())
    return reportOnce(*transport,
                      invalidArgumentError("missing artifact path (usage: "
                                           "cleave-run ARTIFACT.cleave --input "
                                           "FILE --output-dir DIR; see "
                                           "--help)"));
  if (!options.hasOutputDir)
    return reportOnce(*transport,
                      invalidArgumentError("missing --output-dir DIR (where "
                                           "outputs are written)"));

  // Each rank checksums only the sections it uses.
  StatusOr<std::unique_ptr<Artifact>> opened =
      Artifact::open(options.artifact, rank);
  Status agreed = transport->agree(opened.status());
  if (!agreed.ok())
    return reportOnce(*transport, agreed);
  std::shared_ptr<const Artifact> artifact = std::move(opened).value();
  agreed = transport->agree(checkProfileOps(*artifact, options));
  if (!agreed.ok())
    return reportOnce(*transport, agreed);
  // A pipeline compiled for generation spreads its inputs and outputs over
  // its stages (each holds its layers' caches): cleave-generate runs it.
  bool stages = false;
  for (const StageDesc &stage : artifact->stages())
    stages = stages || stage.id > 0;
  if (artifact->generation() && stages)
    return reportOnce(*transport,
                      failedPreconditionError(
                          "'" + artifact->path() +
                          "' is a pipeline compiled for generation (--generate): run it "
                          "with cleave-generate"));
  // A plan with data-parallel replicas under dp() x ranks() ranks: replica r
  // runs on ranks [r x ranks(), (r + 1) x ranks()) over a communicator of its
  // own; `transport` stays the whole job's.
  const int planRanks = artifact->ranks();
  int replicas = 1, replica = 0;
  std::shared_ptr<Transport> replicaTransport = transport;
  if (artifact->dp() > 1 && transport->size() == artifact->dp() * planRanks) {
    replicas = artifact->dp();
    replica = rank / planRanks;
    StatusOr<std::shared_ptr<Transport>> group =
        transport->split(replica, rank % planRanks);
    if (!group.ok())
      return reportOnce(*transport, group.status());
    replicaTransport = std::move(group).value();
    // The sections this rank of its replica uses are the ones to check.
    opened = Artifact::open(options.artifact, replicaTransport->rank());
    agreed = transport->agree(opened.status());
    if (!agreed.ok())
      return reportOnce(*transport, agreed);
    artifact = std::move(opened).value();
    Status batched = replicatedBatchDims(*artifact);
    agreed = transport->agree(batched);
    if (!agreed.ok())
      return reportOnce(*transport, agreed);
  } else if (planRanks != transport->size()) {
    auto ranksText = [](int n) {
      return std::to_string(n) + (n == 1 ? " rank" : " ranks");
    };
    return reportOnce(
        *transport,
        failedPreconditionError(
            "the plan needs " +
            (artifact->dp() > 1
                 ? ranksText(artifact->dp() * planRanks) + " (" +
                       std::to_string(artifact->dp()) + " replicas of " +
                       ranksText(planRanks) + ")"
                 : ranksText(planRanks)) +
            ", mpirun started " + std::to_string(transport->size())));
  }

  // The ranks that read the inputs tell the others which batch's plan runs.
  if (!artifact->variants().empty()) {
    int64_t batch = inputBatch(*artifact, options, replicas);
    std::vector<int64_t> batches(transport->size());
    Status gathered =
        transport->allGather(&batch, batches.data(), sizeof(batch));
    if (!gathered.ok())
      return reportOnce(*transport, gathered);
    batch = *std::max_element(batches.begin(), batches.end());
    if (batch > 0) {
      StatusOr<std::shared_ptr<const Artifact>> plan =
          Artifact::forBatch(artifact, batch);
      if (!plan.ok())
        return reportOnce(*transport, plan.status());
      artifact = std::move(plan).value();
    }
  }

  StatusOr<std::unique_ptr<Session>> session = Session::create(
      artifact, SessionOptions{options.threads, replicaTransport});
  agreed = transport->agree(session.status());
  if (!agreed.ok())
    return reportOnce(*transport, agreed);

  // The first stage's rank reads the inputs (of a replica: its share of the
  // rows); the last one writes outputs (with replicas, replica 0's gathers
  // every replica's rows first).
  StatusOr<std::vector<Tensor>> inputs = std::vector<Tensor>();
  if ((*session)->takesInputs())
    inputs = loadInputs(**session, options, replica, replicas);
  agreed = transport->agree(inputs.status());
  if (!agreed.ok())
    return reportOnce(*transport, agreed);
  const int outputRank = replicaOutputRank(*artifact);
  const bool writes =
      replicas > 1 ? rank == outputRank : (*session)->returnsOutputs();
  agreed = transport->agree(writes ? makeOutputDir(options) : Status());
  if (!agreed.ok())
    return reportOnce(*transport, agreed);

  std::vector<Tensor> outputs;
  std::vector<double> latencies;
  int runs = options.repeat ? options.repeat + 1 : 1;
  auto abortOn = [&](const Status &status) {
    if (status.ok())
      return;
    std::fflush(stdout);
    std::fprintf(stderr, "cleave-run: error: rank %d: %s\n", rank,
                 oneLine(status.message()).c_str());
    std::fflush(stderr);
    transport->abort(1);
  };
  trace::setEnabled(!options.trace.empty());
  for (int r = 0; r < runs; ++r) {
    abortOn(transport->barrier());
    auto start = std::chrono::steady_clock::now();
    abortOn((*session)->run(*inputs, &outputs));
    abortOn(transport->barrier());
    if (r > 0) // the first run is the warm-up
      latencies.push_back(millisecondsSince(start));
    else if (runs > 1)
      (*session)->resetProfile();
  }

  trace::setEnabled(false);
  if (!options.trace.empty()) {
    // Every rank's events, gathered to rank 0, which writes the file.
    agreed = trace::gatherTrace(
        *transport,
        trace::toJson(trace::take(), rank,
                      traceName(**session, rank, replicas > 1 ? replica : -1)),
        options.trace);
    if (!agreed.ok())
      return reportOnce(*transport, agreed);
  }
  if (replicas > 1) {
    // Each replica's output rank sends its rows to replica 0's, which
    // writes them in replica order.
    if (replicaTransport->rank() == outputRank)
      abortOn(gatherReplicaOutputs(*transport, replica, replicas, outputRank,
                                   planRanks, &outputs));
  }
  agreed = transport->agree(writes ? writeOutputs(*artifact, options, outputs)
                                   : Status());
  if (!agreed.ok())
    return reportOnce(*transport, agreed);
  if (rank == 0)
    printLatencies(std::move(latencies));
  if (options.profile) {
    // Gathered to rank 0, which prints every rank's line in rank order.
    std::vector<double> rows(kProfileFields * transport->size(), 0.0);
    profileRow(**session, &rows[kProfileFields * rank]);
    abortOn(transport->allReduceSum(rows.data(), rows.data(), rows.size(),
                                    DType::Float64));
    if (rank == 0)
      printProfiles(rows);
  }
  if (options.profileOps) {
    // Each rank's table, gathered to rank 0, which prints them in rank order.
    StatusOr<std::string> tables =
        trace::gatherText(*transport, opProfileTable(**session, rank));
    abortOn(tables.status());
    if (rank == 0)
      std::fputs(tables->c_str(), stdout);
  }
  return Status();
}

Status runMain(int argc, char **argv) {
  Options options;
  Status parsed = parseArgs(argc, argv, &options);
  MpiLaunch launch = detectMpiLaunch();
  // --help and --info need no MPI; under mpirun rank 0 alone prints.
  if (parsed.ok() && (options.help || options.info)) {
    if (launch.rank != 0)
      return Status();
    if (options.help) {
      std::fputs(kUsage, stdout);
      return Status();
    }
  }
  if (launch.underMpirun && launch.size != 1 && !options.help && !options.info)
    return runDistributed(options, parsed, &argc, &argv);

  if (!parsed.ok())
    return parsed;
  if (options.artifact.empty())
    return invalidArgumentError("missing artifact path (usage: cleave-run "
                                "ARTIFACT.cleave --input FILE --output-dir "
                                "DIR; see --help)");
  if (options.info) {
    StatusOr<std::unique_ptr<Artifact>> opened =
        Artifact::open(options.artifact);
    if (!opened.ok())
      return opened.status();
    std::fputs((*opened)->describe().c_str(), stdout);
    return Status();
  }
  if (!options.hasOutputDir)
    return invalidArgumentError("missing --output-dir DIR (where outputs are "
                                "written)");

  StatusOr<std::unique_ptr<Artifact>> opened = Artifact::open(options.artifact);
  if (!opened.ok())
    return opened.status();
  std::shared_ptr<const Artifact> artifact = std::move(opened).value();
  int ranks = artifact->ranks();
  if (ranks > 1) {
    if (launch.underMpirun)
      return failedPreconditionError("the plan needs " + std::to_string(ranks) +
                                     " ranks, mpirun started 1");
    return failedPreconditionError("the plan needs " + std::to_string(ranks) +
                                   " ranks: run it as " + "mpirun -np " +
                                   std::to_string(ranks) + " cleave-run ...");
  }
  return runLocal(artifact, options);
}

/// Keeps the error to one line whatever the message holds, with the bytes of
/// names quoted from a model made visible.
std::string oneLine(const std::string &text) { return oneLineMessage(text); }

int fail(const std::string &message) {
  std::fflush(stdout);
  if (gQuiet)
    return 1;
  std::fprintf(stderr, "cleave-run: error: %s\n", oneLine(message).c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  return cleave::tools::guardedMain(runMain, argc, argv, fail);
}
