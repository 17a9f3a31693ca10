// cleave-tune: measures devices into a device file (--calibrate), or chooses a model's plan
// by running the plan search's best candidates (an options parser around Tune.h).
#include "Tune.h"

#include "compiler/support/Message.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <unistd.h>

using namespace cleave;
using namespace cleave::tune;

namespace {

const char *kUsage = R"(cleave-tune: measure devices, or choose a model's plan by measuring it

usage: cleave-tune --calibrate --devices=LIST -o DEVICES.json [--budget-s S] [--threads T]
       [mpirun -np N] cleave-tune ...          (N = devices: each rank measures its own,
                                                and the link between ranks 0 and 1)
       cleave-tune MODEL.onnx --devices=LIST -o BEST.cleave [options]

Calibration (--calibrate): compiles one-op models with Cleave (a 1024-wide MatMul, 3x3
convolutions with 128 and 64 output channels, a 3x3 max pool, an elementwise Add), times
them through the runtime's session, and writes the device file cleave-compile
--device-file reads (docs/partitioning.md): per device gflops (the wide matmul-like
ops), narrow_matmul_efficiency and window_efficiency (fractions of it), bandwidth_gbs (the
elementwise op's bytes per second) and memory_bytes (the machine's memory shared by its
ranks); under mpirun, the link's latency_us and bandwidth_gbs (MPI ping-pong) and an
all-reduce time (printed). cpu devices only.

Auto-tuning (MODEL): plans every pp x tp x microbatches candidate as --plan=auto does,
compiles the --top best predicted, runs each with cleave-run --repeat on the ranks
(mpirun -np RANKS for several), keeps the fastest measured, writes it to -o with the
table of predicted against measured in its manifest ("tuning", shown by cleave-run
--info), and prints the table. A candidate that fails to compile or run is skipped with
its reason; it is an error only when none runs.

  --devices=LIST        as for cleave-compile (KIND:INDEX or KIND:A-B, comma-separated)
  -o, --output=FILE     the device file (--calibrate) or the chosen artifact
  --budget-s=S          wall-clock bound: calibration default 30, tuning default 300; a
                        candidate not started within it is skipped
  --threads=T           CPU threads per rank for probes and runs (default: 1)
  --device-file=FILE    device figures for the plan search (e.g. from --calibrate)
  --input-shape=NAME=DIMS   bind an input's dims, as for cleave-compile
  --ranks=N             the ranks the candidates run on (must be the number of devices)
  --top=K               candidates measured (default: 4)
  --repeat=N            timed runs per candidate after a warm-up (default: 5)
  --input NAME=FILE     inputs for the runs (default: random floats, zero integers)
  --run-timeout-s=S     one candidate's run bound (default: 120)
  --cleave-run=PATH     default: cleave-run beside cleave-tune, else on PATH
  --mpirun=PATH         default: mpirun
  --cpu=NAME            CPU to generate code for (default: host)
  --progress            report each candidate on stderr (on by default when stderr is a
                        terminal)
  -h, --help            this help

Every option accepts both --opt=VALUE and --opt VALUE.
Example:
  mpirun -np 2 cleave-tune --calibrate --devices=cpu:0-1 -o devices.json
  cleave-tune resnet18.onnx --devices=cpu:0-1 --device-file=devices.json -o best.cleave
  mpirun -np 2 cleave-run best.cleave --input x=x.npy --output-dir out/
)";

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::outs().flush();
  llvm::errs() << "cleave-tune: error: " << oneLineMessage(message.str()) << "\n";
  llvm::errs().flush();
  std::_Exit(1);
}

int64_t parsePositive(llvm::StringRef option, llvm::StringRef value) {
  int64_t n = 0;
  if (value.getAsInteger(10, n) || n <= 0)
    fail("--" + option + " expects a positive integer, got '" + value + "'");
  return n;
}

double parseSeconds(llvm::StringRef option, llvm::StringRef value) {
  double s = 0;
  if (value.getAsDouble(s) || !(s > 0))
    fail("--" + option + " expects a positive number of seconds, got '" + value + "'");
  return s;
}

} // namespace

int main(int argc, char **argv) {
  llvm::install_fatal_error_handler([](void *, const char *reason, bool) {
    fail(llvm::Twine("internal compiler error: ") + reason);
  });
  bool calibrateMode = false;
  CalibrateOptions cal;
  TuneOptions tune;
  std::string output;
  bool budgetGiven = false;
  double budget = 0;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      llvm::outs() << kUsage;
      return 0;
    }
    if (!arg.starts_with("-")) {
      if (!tune.compile.modelPath.empty())
        fail("more than one model given: '" + tune.compile.modelPath + "' and '" + arg + "'");
      tune.compile.modelPath = arg.str();
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
    if (name == "--calibrate") {
      calibrateMode = true;
    } else if (name == "--devices") {
      tune.compile.devices = takeValue().str();
    } else if (name == "-o" || name == "--output") {
      output = takeValue().str();
    } else if (name == "--budget-s") {
      budget = parseSeconds("budget-s", takeValue());
      budgetGiven = true;
    } else if (name == "--threads") {
      threads = static_cast<int>(parsePositive("threads", takeValue()));
    } else if (name == "--device-file") {
      tune.compile.deviceFile = takeValue().str();
    } else if (name == "--input-shape") {
      std::pair<std::string, std::vector<int64_t>> shape;
      std::string error;
      if (!parseInputShape(takeValue().str(), shape, error))
        fail(error);
      tune.compile.inputShapes.push_back(std::move(shape));
    } else if (name == "--ranks") {
      tune.ranks = static_cast<int>(parsePositive("ranks", takeValue()));
    } else if (name == "--top") {
      tune.top = static_cast<int>(parsePositive("top", takeValue()));
    } else if (name == "--repeat") {
      tune.repeat = static_cast<int>(parsePositive("repeat", takeValue()));
    } else if (name == "--input") {
      tune.inputs.push_back(takeValue().str());
    } else if (name == "--run-timeout-s") {
      tune.runTimeoutSeconds = parseSeconds("run-timeout-s", takeValue());
    } else if (name == "--cleave-run") {
      tune.cleaveRun = takeValue().str();
    } else if (name == "--mpirun") {
      tune.mpirun = takeValue().str();
    } else if (name == "--progress") {
      tune.progress = true;
    } else if (name == "--cpu") {
      tune.compile.cpu = takeValue().str();
    } else {
      fail("unknown option '" + name + "' (see --help)");
    }
  }
  if (tune.compile.devices.empty())
    fail("--devices is required, e.g. --devices=cpu:0");
  if (output.empty())
    fail(calibrateMode ? "no output given: use -o DEVICES.json"
                       : "no output given: use -o BEST.cleave");
  std::string error;
  if (calibrateMode) {
    if (!tune.compile.modelPath.empty())
      fail("--calibrate takes no model (it measures the devices)");
    cal.devices = tune.compile.devices;
    cal.output = output;
    cal.threads = threads;
    cal.cpu = tune.compile.cpu;
    if (budgetGiven)
      cal.budgetSeconds = budget;
    if (!calibrate(cal, error)) {
      if (error.empty())
        std::_Exit(1);
      fail(error);
    }
    return 0;
  }
  if (tune.compile.modelPath.empty())
    fail("no model given (or --calibrate; see --help)");
  if (std::string e = checkOptions(tune.compile); !e.empty())
    fail(e);
  tune.output = output;
  tune.progress = tune.progress || isatty(STDERR_FILENO);
  tune.threads = threads;
  if (budgetGiven)
    tune.budgetSeconds = budget;
  if (!autoTune(tune, error))
    fail(error);
  return 0;
}
