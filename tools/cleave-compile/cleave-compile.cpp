// cleave-compile: compiles an ONNX model into a Cleave artifact (an options parser around
// the compile driver, compiler/driver/Driver.h).
#include "compiler/driver/Driver.h"
#include "compiler/support/Message.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <unistd.h>

using namespace cleave;

namespace {

const char *kUsage = R"(cleave-compile: compile an ONNX model into a Cleave artifact

usage: cleave-compile MODEL.onnx --devices=LIST -o OUT.cleave [options]

  --devices=LIST          where the model runs: comma-separated KIND:INDEX or KIND:A-B,
                          KIND one of cpu, cuda, rocm; one MPI rank per device
                          (a plan may mix kinds, e.g. cuda:0,cpu:0; a GPU listed
                          twice, cuda:0,cuda:0, is shared by two ranks; GPU ranks of
                          a tensor-parallel group run their collectives through host
                          memory)
  -o, --output=FILE       the artifact to write (for --compile-to phases before 'artifact':
                          the IR, default stdout)
  --input-shape=NAME=DIMS bind an input's shape, DIMS like 1x3x224x224; required for
                          inputs with dynamic dims; NAME may contain ':' (the split is at
                          the last '='); restating a static dim's value is accepted
  --pp=N                  pipeline stages (default: the number of devices / tp)
  --tp=M                  tensor-parallel ways (default: 1; pp x tp = number of devices):
                          each pipeline stage runs on a group of M ranks (rank = stage x
                          M + place); MatMul/Gemm/Conv weights and embedding tables are
                          split over them Megatron style, the splits followed through
                          the graph to a collective, other ops replicated; with --pp > 1
                          a stage with nothing to split is replicated (with --pp=1 such
                          a model is refused); see docs/partitioning.md
  --dp=R                  data-parallel replicas (default: 1): the devices are R groups
                          of pp x tp (cpu devices only); the plan is compiled once, for
                          the first group, and runs as R replicas under mpirun -np
                          R x pp x tp (cleave-batch shares the samples among them)
  --microbatches=K        microbatches per batch (default: 1): K must divide dim 0 of
                          every input, and stages are compiled for dim 0 = B/K (on one
                          device too: the batch then runs as K calls of that code)
  --plan=auto             choose --pp, --tp and --microbatches: every split of the devices
                          into pp x tp and every power-of-two microbatch count dividing
                          the batch (up to 32) is planned by the cost model, and the plan
                          with the lowest predicted batch time that fits each device's
                          memory is compiled; with --explain, prints the candidates
                          ranked, then the chosen plan (--plan=manual, the default, takes
                          the three options as given)
  --batch-sizes=LIST      compile the plan once per batch size, e.g. 1,2,4,8: dim 0 of every
                          input set to each (the rest of the shape as the model or
                          --input-shape binds it), all in one artifact that stores the
                          weights once; the largest is the main plan, the others are
                          variants that cleave-run, the Python session and cleave-serve pick
                          by the input's dim 0 (each must be divisible by --microbatches)
  --generate              compile a decoder with a past-key-values cache for cleave-generate:
                          the cache becomes a runtime-owned buffer of --max-seq-len slots
                          per sequence, read in place (see docs/generation.md); with
                          --batch-sizes, one plan per number of sequences in flight
  --max-seq-len=L         with --generate: the cache capacity, prompt + new tokens
  --device-file=FILE      JSON giving devices' throughput, memory bandwidth and memory and
                          the link between stages (see docs/partitioning.md)
  --explain               print the pipeline plan (stages, devices, estimates, bottleneck,
                          predicted throughput; with --tp, each stage's split ops,
                          collectives and parameter bytes per rank) on stdout and stop
                          (no artifact)
  --cpu=NAME              CPU to generate code for: host (default), or an LLVM CPU name
                          such as x86-64-v3, znver4, skylake-avx512
  --cuda-arch=CHIP        NVIDIA chip for cuda devices (default: sm_90); the artifact holds
                          its SASS and the PTX, which the driver can JIT for newer chips
  --rocm-arch=CHIP        AMD chip for rocm devices (default: gfx942)
  --emulate-gpu-kernels   testing: cpu devices run the GPU kernel schedules (shared-memory
                          tiles, cooperative reductions) as serial loops instead of the
                          CPU's, so GPU code generation's numerics can be checked on a
                          machine without a GPU; slow
  --profile-ops           time each op group: cleave-run --profile-ops then prints the time
                          per group with its ONNX nodes and can write a trace of them
                          (cpu devices only; without it the code is unchanged)
  --compile-to=PHASE      stop after PHASE and print its IR: import (onnx dialect),
                          partition (one function per pipeline stage), linalg (upstream
                          ops on tensors), llvm (LLVM dialect; for GPUs the host program
                          and the kernels' gpu.binary), or artifact (default:
                          compile fully)
  --print-weights         with --compile-to, print parameter data in full (elided by default)
  --print-locations       with --compile-to, print each op's location (its ONNX node name)
  --progress              report each phase on stderr (on by default when stderr is a tty)
  -h, --help              this help

Every option accepts both --opt=VALUE and --opt VALUE.
Example:
  cleave-compile resnet18.onnx --devices=cpu:0 -o resnet18.cleave
  cleave-run resnet18.cleave --input x=x.npy --output-dir out/
)";

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "cleave-compile: error: " << oneLineMessage(message.str()) << "\n";
  llvm::errs().flush();
  std::_Exit(1);
}

int64_t parsePositive(llvm::StringRef option, llvm::StringRef value) {
  int64_t n = 0;
  if (value.getAsInteger(10, n) || n <= 0)
    fail("--" + option + " expects a positive integer, got '" + value + "'");
  return n;
}

/// What the command line asks for: the driver's options and where the output goes.
struct Command {
  CompileOptions options;
  std::string output;
  bool progress = false;
};

Command parseArgs(int argc, char **argv) {
  Command c;
  CompileOptions &o = c.options;
  std::string phase = "artifact";
  bool givenPlanOption = false;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      llvm::outs() << kUsage;
      std::exit(0);
    }
    if (!arg.starts_with("-")) {
      if (!o.modelPath.empty())
        fail("more than one model given: '" + o.modelPath + "' and '" + arg + "'");
      o.modelPath = arg.str();
      continue;
    }
    llvm::StringRef name = arg, value;
    bool hasValue = false;
    if (arg.starts_with("--") && arg.contains('=')) {
      std::tie(name, value) = arg.split('=');
      hasValue = true;
    }
    auto takeValue = [&]() -> llvm::StringRef {
      if (hasValue)
        return value;
      if (i + 1 >= argc)
        fail("option '" + name + "' needs a value");
      return argv[++i];
    };
    if (name == "--print-locations") {
      o.printLocations = true;
    } else if (name == "--print-weights") {
      o.printWeights = true;
    } else if (name == "--progress") {
      c.progress = true;
    } else if (name == "--explain") {
      o.explain = true;
    } else if (name == "--generate") {
      o.generate = true;
    } else if (name == "--max-seq-len") {
      o.maxSeqLen = parsePositive("max-seq-len", takeValue());
    } else if (name == "--emulate-gpu-kernels") {
      o.emulateGpuKernels = true;
    } else if (name == "--profile-ops") {
      o.profileOps = true;
    } else if (name == "--device-file") {
      o.deviceFile = takeValue().str();
    } else if (name == "-o" || name == "--output") {
      c.output = takeValue().str();
    } else if (name == "--devices") {
      o.devices = takeValue().str();
    } else if (name == "--input-shape") {
      std::pair<std::string, std::vector<int64_t>> shape;
      std::string error;
      if (!parseInputShape(takeValue().str(), shape, error))
        fail(error);
      o.inputShapes.push_back(std::move(shape));
    } else if (name == "--plan") {
      llvm::StringRef plan = takeValue();
      if (plan != "auto" && plan != "manual")
        fail("--plan expects auto or manual, got '" + plan + "'");
      o.autoPlan = plan == "auto";
    } else if (name == "--pp") {
      o.pp = parsePositive("pp", takeValue());
      givenPlanOption = true;
    } else if (name == "--tp") {
      o.tp = parsePositive("tp", takeValue());
      givenPlanOption = true;
    } else if (name == "--dp") {
      o.dp = parsePositive("dp", takeValue());
    } else if (name == "--microbatches") {
      o.microbatches = parsePositive("microbatches", takeValue());
      givenPlanOption = true;
    } else if (name == "--batch-sizes") {
      std::string list = takeValue().str();
      size_t start = 0;
      while (true) {
        size_t comma = list.find(',', start);
        std::string item = list.substr(start, comma == std::string::npos ? comma : comma - start);
        o.batchSizes.push_back(parsePositive("batch-sizes", item));
        if (comma == std::string::npos)
          break;
        start = comma + 1;
      }
    } else if (name == "--cpu") {
      o.cpu = takeValue().str();
    } else if (name == "--cuda-arch") {
      o.cudaArch = takeValue().str();
    } else if (name == "--rocm-arch") {
      o.rocmArch = takeValue().str();
    } else if (name == "--compile-to") {
      phase = takeValue().str();
    } else {
      fail("unknown option '" + name + "' (see --help)");
    }
  }
  if (o.modelPath.empty())
    fail("no model given (see --help)");
  if (o.autoPlan && (o.pp != 0 || o.tp != 1 || o.microbatches != 1 || givenPlanOption))
    fail("--plan=auto chooses --pp, --tp and --microbatches: do not give them too");
  if (!parsePhase(phase, o.stopAfter))
    fail("unknown --compile-to phase '" + phase + "' (expected " + phaseNames() + ")");
  if (std::string error = checkOptions(o); !error.empty())
    fail(error);
  if (o.stopAfter == Phase::Artifact && c.output.empty() && !o.explain)
    fail("no output given: use -o OUT.cleave");
  return c;
}

/// Writes `text` to `path`, or to stdout when `path` is empty.
void emit(const std::string &path, const std::string &text) {
  if (path.empty()) {
    llvm::outs() << text;
    return;
  }
  std::error_code ec;
  llvm::raw_fd_ostream file(path, ec);
  if (ec)
    fail("cannot write '" + path + "': " + ec.message());
  file << text;
  file.close();
  if (file.has_error())
    fail("cannot write '" + path + "': " + file.error().message());
}

} // namespace

int main(int argc, char **argv) {
  llvm::install_fatal_error_handler([](void *, const char *reason, bool) {
    fail(llvm::Twine("internal compiler error: ") + reason);
  });
  Command command = parseArgs(argc, argv);
  if (command.progress || isatty(STDERR_FILENO))
    command.options.progress = [](const std::string &what) {
      llvm::errs() << "cleave-compile: " << what << "\n";
    };
  CompileResult result = compile(command.options);
  if (!result.ok())
    fail(result.error);
  if (command.options.explain)
    llvm::outs() << result.explain;
  else if (command.options.stopAfter != Phase::Artifact)
    emit(command.output, llvm::join(result.modules, ""));
  else
    emit(command.output, result.artifact);
  return 0;
}
