// cleave-compile: compiles an ONNX model into a Cleave artifact.
#include "compiler/InitAll.h"
#include "compiler/artifact/ArtifactWriter.h"
#include "compiler/codegen/cpu/CpuTarget.h"
#include "compiler/codegen/gpu/GpuTarget.h"
#include "compiler/import/Importer.h"
#include "compiler/partition/DeviceSpec.h"
#include "compiler/partition/Partition.h"
#include "compiler/partition/SplitStages.h"
#include "compiler/partition/StageGroups.h"
#include "compiler/partition/TensorParallel.h"
#include "compiler/pipelines/Pipelines.h"
#include "compiler/support/Message.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <map>
#include <unistd.h>

using namespace mlir;
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
  --microbatches=K        microbatches per batch (default: 1): K must divide dim 0 of
                          every input, and stages are compiled for dim 0 = B/K (on one
                          device too: the batch then runs as K calls of that code)
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

struct Options {
  std::string model, output, devices, deviceFile, compileTo = "artifact", cpu = "host";
  std::string cudaArch = "sm_90", rocmArch = "gfx942";
  std::vector<std::string> inputShapes;
  int64_t pp = 0, tp = 1, microbatches = 1;
  bool printWeights = false, printLocations = false, progress = false, explain = false;
  bool emulateGpuKernels = false;
};

int64_t parsePositive(llvm::StringRef option, llvm::StringRef value) {
  int64_t n = 0;
  if (value.getAsInteger(10, n) || n <= 0)
    fail("--" + option + " expects a positive integer, got '" + value + "'");
  return n;
}

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      llvm::outs() << kUsage;
      std::exit(0);
    }
    if (!arg.starts_with("-")) {
      if (!o.model.empty())
        fail("more than one model given: '" + o.model + "' and '" + arg + "'");
      o.model = arg.str();
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
      o.progress = true;
    } else if (name == "--explain") {
      o.explain = true;
    } else if (name == "--emulate-gpu-kernels") {
      o.emulateGpuKernels = true;
    } else if (name == "--device-file") {
      o.deviceFile = takeValue().str();
    } else if (name == "-o" || name == "--output") {
      o.output = takeValue().str();
    } else if (name == "--devices") {
      o.devices = takeValue().str();
    } else if (name == "--input-shape") {
      o.inputShapes.push_back(takeValue().str());
    } else if (name == "--pp") {
      o.pp = parsePositive("pp", takeValue());
    } else if (name == "--tp") {
      o.tp = parsePositive("tp", takeValue());
    } else if (name == "--microbatches") {
      o.microbatches = parsePositive("microbatches", takeValue());
    } else if (name == "--cpu") {
      o.cpu = takeValue().str();
    } else if (name == "--cuda-arch") {
      o.cudaArch = takeValue().str();
    } else if (name == "--rocm-arch") {
      o.rocmArch = takeValue().str();
    } else if (name == "--compile-to") {
      o.compileTo = takeValue().str();
    } else {
      fail("unknown option '" + name + "' (see --help)");
    }
  }
  if (o.model.empty())
    fail("no model given (see --help)");
  return o;
}

std::map<std::string, std::vector<int64_t>> parseInputShapes(const Options &o) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (llvm::StringRef spec : o.inputShapes) {
    size_t eq = spec.rfind('=');
    if (eq == llvm::StringRef::npos || eq == 0)
      fail("--input-shape expects NAME=D0xD1x..., got '" + spec + "'");
    llvm::StringRef name = spec.take_front(eq), dims = spec.drop_front(eq + 1);
    std::vector<int64_t> shape;
    llvm::SmallVector<llvm::StringRef> parts;
    if (!dims.empty())
      dims.split(parts, 'x');
    for (llvm::StringRef part : parts) {
      int64_t d = 0;
      if (part.getAsInteger(10, d) || d <= 0)
        fail("--input-shape for '" + name + "': bad dim '" + part + "' in '" + dims + "'");
      shape.push_back(d);
    }
    shapes[name.str()] = shape;
  }
  return shapes;
}

/// Numpy's name for an element type.
std::string dtypeName(Type type) {
  if (type.isF32())
    return "float32";
  if (type.isF16())
    return "float16";
  if (type.isBF16())
    return "bfloat16";
  if (type.isF64())
    return "float64";
  if (type.isInteger(1))
    return "bool";
  if (auto intType = dyn_cast<IntegerType>(type)) {
    unsigned width = intType.getWidth();
    if (width != 8 && width != 16 && width != 32 && width != 64)
      return "";
    return (intType.isUnsigned() ? "uint" : "int") + std::to_string(width);
  }
  return "";
}

ArtifactTensor describeTensor(const std::string &name, Type type) {
  auto tensor = cast<RankedTensorType>(type);
  std::string dtype = dtypeName(tensor.getElementType());
  if (dtype.empty())
    fail("tensor '" + name + "' has an element type the runtime cannot hold");
  return {name, dtype, std::vector<int64_t>(tensor.getShape())};
}

/// Prints `modules` (one per pipeline stage, or the whole module) to -o or stdout.
void printModules(llvm::ArrayRef<ModuleOp> modules, const Options &o) {
  std::error_code ec;
  std::unique_ptr<llvm::raw_fd_ostream> file;
  llvm::raw_ostream *os = &llvm::outs();
  if (!o.output.empty()) {
    file = std::make_unique<llvm::raw_fd_ostream>(o.output, ec);
    if (ec)
      fail("cannot write '" + o.output + "': " + ec.message());
    os = file.get();
  }
  OpPrintingFlags flags;
  if (!o.printWeights)
    flags.elideLargeElementsAttrs(16).elideLargeResourceString(64);
  if (o.printLocations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/true);
  for (ModuleOp module : modules)
    module.print(*os, flags);
}

void printModule(ModuleOp module, const Options &o) { printModules({module}, o); }

/// Prints the modules of a plan's ranks, in rank order.
void printRankModules(llvm::ArrayRef<OwningOpRef<ModuleOp>> modules, const Options &o) {
  std::vector<ModuleOp> views;
  for (const OwningOpRef<ModuleOp> &m : modules)
    views.push_back(*m);
  printModules(views, o);
}

/// The manifest entry of graph input or output `name`: dtype from `type`, shape the full
/// batch from `shapes` (the stage's own type holds one microbatch).
ArtifactTensor describeBatchTensor(
    const std::string &name, Type type,
    const std::vector<std::pair<std::string, std::vector<int64_t>>> &shapes) {
  ArtifactTensor tensor = describeTensor(name, type);
  for (const auto &[n, shape] : shapes)
    if (n == name)
      tensor.shape = shape;
  return tensor;
}

/// The name and peer stage of a `cleave.recv` or `cleave.send` attribute; false if absent.
bool transferOf(DictionaryAttr attrs, llvm::StringRef kind, llvm::StringRef peerKey,
                std::string &name, int64_t &peer) {
  auto transfer = attrs ? attrs.getAs<DictionaryAttr>(kind) : DictionaryAttr();
  if (!transfer)
    return false;
  auto nameAttr = transfer.getAs<StringAttr>("name");
  auto peerAttr = transfer.getAs<IntegerAttr>(peerKey);
  if (!nameAttr || !peerAttr)
    fail("internal compiler error: malformed " + kind + " attribute");
  name = nameAttr.str();
  peer = peerAttr.getInt();
  return true;
}

/// Full-batch shapes of the graph's inputs and outputs, recorded before a microbatched
/// import changes them.
struct BatchShapes {
  std::vector<std::pair<std::string, std::vector<int64_t>>> inputs, outputs;
};

/// Checks that `microbatches` divides dim 0 of every graph input of `module` (imported with
/// the full batch), records the full shapes, and rewrites the bindings in `options` so that
/// the next import gives the microbatch shapes.
BatchShapes bindMicrobatch(ModuleOp module, int64_t microbatches, ImportOptions &options) {
  BatchShapes shapes;
  auto main = module.lookupSymbol<func::FuncOp>("main");
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    auto name = main.getArgAttrOfType<StringAttr>(i, "onnx.name");
    std::string input = name ? name.str() : "#" + std::to_string(i);
    auto type = cast<RankedTensorType>(main.getArgumentTypes()[i]);
    std::vector<int64_t> full(type.getShape()), micro = full;
    if (microbatches > 1) {
      if (type.getRank() == 0)
        fail("input '" + input + "' is a scalar: --microbatches needs a batch dim 0");
      if (type.getDimSize(0) % microbatches != 0)
        fail("input '" + input + "' has dim 0 = " + llvm::Twine(type.getDimSize(0)) +
             ", which --microbatches=" + llvm::Twine(microbatches) + " does not divide");
      micro[0] /= microbatches;
    }
    shapes.inputs.push_back({input, full});
    options.inputShapes[input] = micro;
  }
  for (unsigned i = 0; i < main.getNumResults(); ++i) {
    auto name = main.getResultAttrOfType<StringAttr>(i, "onnx.name");
    auto type = cast<RankedTensorType>(main.getResultTypes()[i]);
    shapes.outputs.push_back({name ? name.str() : "", std::vector<int64_t>(type.getShape())});
  }
  options.overrideStaticDims = microbatches > 1;
  return shapes;
}

/// Prints the pipeline plan for --explain; with --tp > 1, `groups` holds the plan's ranks
/// (stage-major) and `cluster` every device.
void explainPlan(const PipelinePlan &plan, const Options &o, const BatchShapes &shapes,
                 const Cluster &cluster, llvm::ArrayRef<StageGroupRank> groups) {
  llvm::raw_ostream &os = llvm::outs();
  auto us = [](double seconds) { return llvm::format("%.3f us", seconds * 1e6); };
  os << "pipeline plan: " << plan.stages.size() << " stage(s) on " << o.devices << ", "
     << o.microbatches << " microbatch(es); estimates are per microbatch\n";
  if (o.tp > 1)
    os << "tensor parallelism: each stage on a group of " << o.tp
       << " devices; a stage's time is one device's divided by " << o.tp
       << " (optimistic: replicated ops do not get faster)\n";
  for (auto [k, s] : llvm::enumerate(plan.stages)) {
    std::string where = s.device.name();
    if (o.tp > 1) {
      where = "";
      for (int64_t t = 0; t < o.tp; ++t)
        where += (t ? "," : "") + cluster.devices[k * o.tp + t].name();
    }
    os << "stage " << k << " on " << where << ": " << s.opCount() << " ops, nodes '" << s.firstNode
       << "' to '" << s.lastNode << "', time " << us(s.seconds()) << " (compute "
       << us(s.computeSeconds) << ", send " << us(s.sendSeconds) << "), flops " << s.flops
       << ", parameter bytes " << s.paramBytes << ", activation bytes " << s.activationBytes;
    if (k + 1 < plan.stages.size())
      os << ", sends " << s.sendBytes << " bytes in " << s.sendCount << " tensor(s) to stage "
         << k + 1;
    os << "\n";
    if (o.tp > 1)
      printTensorParallelPlan(groups[k * o.tp].plan, o.tp, os, "  ");
  }
  int64_t worst = plan.bottleneck();
  const StagePlan &b = plan.stages[worst];
  os << "bottleneck: stage " << worst << (o.tp > 1 ? "" : " on " + b.device.name()) << ", "
     << us(b.seconds()) << " per microbatch\n";
  double batch = plan.batchSeconds(o.microbatches);
  os << "predicted batch time: " << llvm::format("%.3f ms", batch * 1e3) << " for "
     << o.microbatches << " microbatch(es), " << llvm::format("%.1f", 1.0 / batch)
     << " batches/s";
  if (!shapes.inputs.empty() && !shapes.inputs.front().second.empty())
    os << ", " << llvm::format("%.1f", shapes.inputs.front().second[0] / batch)
       << " samples/s";
  os << "; steady state " << llvm::format("%.1f", 1.0 / b.seconds()) << " microbatches/s\n";
}

} // namespace

int main(int argc, char **argv) {
  llvm::install_fatal_error_handler([](void *, const char *reason, bool) {
    fail(llvm::Twine("internal compiler error: ") + reason);
  });
  Options o = parseArgs(argc, argv);
  std::optional<Phase> stopAfter = parsePhase(o.compileTo);
  if (!stopAfter)
    fail("unknown --compile-to phase '" + o.compileTo + "' (expected " + phaseNames() + ")");
  Cluster cluster;
  std::string clusterError;
  if (!makeCluster(o.devices, o.deviceFile, cluster, clusterError))
    fail(clusterError);
  int64_t deviceCount = static_cast<int64_t>(cluster.devices.size());
  if (o.pp == 0)
    o.pp = deviceCount % o.tp == 0 ? deviceCount / o.tp : deviceCount;
  if (o.pp * o.tp != deviceCount)
    fail("--pp (" + llvm::Twine(o.pp) + ") x --tp (" + llvm::Twine(o.tp) +
         ") must equal the number of devices (" + llvm::Twine(deviceCount) + ")");
  if (*stopAfter == Phase::Artifact && o.output.empty() && !o.explain)
    fail("no output given: use -o OUT.cleave");
  bool progress = o.progress || isatty(STDERR_FILENO);
  auto report = [&](const char *what) {
    if (progress)
      llvm::errs() << "cleave-compile: " << what << "\n";
  };

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllPasses();
  MLIRContext context(registry);
  context.disableMultithreading(); // two cores, and deterministic diagnostics

  // One error line: the first error, with the ONNX node it points at.
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return success();
    std::string message = diag.str();
    if (auto name = dyn_cast<NameLoc>(diag.getLocation()))
      if (!llvm::StringRef(message).starts_with("node '") &&
          !llvm::StringRef(message).starts_with("input '") &&
          !llvm::StringRef(message).starts_with("tensor '"))
        message = "node '" + name.getName().str() + "': " + message;
    fail(message);
  });

  ImportOptions importOptions;
  importOptions.inputShapes = parseInputShapes(o);
  ModelInfo info;
  report("importing the model");
  OwningOpRef<ModuleOp> module = importOnnxModel(context, o.model, importOptions, &info);
  if (!module)
    fail("import failed");
  BatchShapes batchShapes;
  if (o.microbatches > 1) {
    // Stages are compiled for one microbatch: import again with dim 0 = B/K.
    batchShapes = bindMicrobatch(*module, o.microbatches, importOptions);
    module = importOnnxModel(context, o.model, importOptions, &info);
    if (!module)
      fail("import failed");
  } else {
    batchShapes = bindMicrobatch(*module, 1, importOptions);
  }
  if (*stopAfter == Phase::Import) {
    printModule(*module, o);
    return 0;
  }

  // One module per rank, and what each rank runs: its stage id, the ranks of its
  // tensor-parallel group (empty: just itself) and the pairs split over them.
  std::vector<OwningOpRef<ModuleOp>> stageModules;
  std::vector<StagePlan> stagePlans; // per stage id; empty for a single-device compile
  struct RankRole {
    int64_t stage = 0;
    std::vector<int64_t> group;
    TensorParallelPlan plan;
  };
  std::vector<RankRole> roles;
  if (o.tp > 1 && o.pp == 1) {
    // One module per rank of the tensor-parallel group, each with its slices of the
    // weights (docs/partitioning.md, "Tensor parallelism").
    report("splitting for tensor parallelism");
    for (int64_t r = 0; r < o.tp; ++r) {
      OwningOpRef<ModuleOp> rankModule(cast<ModuleOp>((*module)->clone()));
      FailureOr<TensorParallelPlan> plan = applyTensorParallel(*rankModule, o.tp, r);
      if (failed(plan))
        fail("tensor-parallel partitioning failed");
      // One stage on all the devices: replicating it over them would gain nothing.
      if (plan->splits.empty())
        fail(plan->refusalMessage(o.tp));
      if (o.explain) {
        printTensorParallelPlan(*plan, o.tp, llvm::outs());
        return 0;
      }
      RankRole role;
      for (int64_t t = 0; t < o.tp; ++t)
        role.group.push_back(t);
      role.plan = std::move(*plan);
      roles.push_back(std::move(role));
      stageModules.push_back(std::move(rankModule));
    }
    if (*stopAfter == Phase::Partition) {
      printRankModules(stageModules, o);
      return 0;
    }
  } else if (o.pp > 1 || o.explain || *stopAfter == Phase::Partition) {
    report("partitioning into pipeline stages");
    // With --tp, the partitioner sees each stage's group of devices as one faster device.
    FailureOr<PipelinePlan> plan =
        planPipeline(*module, o.tp > 1 ? groupDevices(cluster, o.tp) : cluster, o.pp);
    if (failed(plan) || failed(outlineStages(*module, *plan)))
      fail("pipeline partitioning failed");
    if (o.tp == 1) {
      if (o.explain)
        explainPlan(*plan, o, batchShapes, cluster, {});
      if (*stopAfter == Phase::Partition)
        printModule(*module, o);
      if (o.explain || *stopAfter == Phase::Partition)
        return 0;
    }
    FailureOr<std::vector<OwningOpRef<ModuleOp>>> split = splitStages(*module);
    if (failed(split))
      fail("splitting the pipeline stages failed");
    stageModules = std::move(*split);
    stagePlans = plan->stages;
    for (size_t k = 0; k < stageModules.size(); ++k)
      roles.push_back({static_cast<int64_t>(k), {}, {}});
    if (o.tp > 1) {
      // Each stage over its group: rank stage * tp + place (docs/partitioning.md,
      // "Pipeline x tensor parallelism").
      report("splitting the stages for tensor parallelism");
      FailureOr<std::vector<StageGroupRank>> ranks = splitStagesOverGroups(stageModules, o.tp);
      if (failed(ranks))
        fail("tensor-parallel partitioning failed");
      if (o.explain) {
        explainPlan(*plan, o, batchShapes, cluster, *ranks);
        return 0;
      }
      stageModules.clear();
      roles.clear();
      for (StageGroupRank &rank : *ranks) {
        RankRole role{rank.stage, {}, std::move(rank.plan)};
        for (int64_t t = 0; t < o.tp; ++t)
          role.group.push_back(rank.stage * o.tp + t);
        // The plan put the stage on its group's first device; this rank has its own.
        if (auto main = rank.module->lookupSymbol<func::FuncOp>("main"))
          main->setAttr("cleave.device",
                        StringAttr::get(&context, cluster.devices[roles.size()].name()));
        roles.push_back(std::move(role));
        stageModules.push_back(std::move(rank.module));
      }
      if (*stopAfter == Phase::Partition) {
        printRankModules(stageModules, o);
        return 0;
      }
    }
  } else {
    stageModules.push_back(std::move(module));
    roles.emplace_back();
  }
  // Each GPU kind of the plan gets its own options (a plan may mix cuda, rocm and cpu
  // stages: each stage goes through its own device kind's code generation).
  std::map<std::string, GpuOptions> gpuOptions;
  for (const DeviceSpec &d : cluster.devices) {
    if (d.kind == "cpu" || gpuOptions.count(d.kind))
      continue;
    GpuOptions &options = gpuOptions[d.kind];
    options.kind = d.kind;
    options.chip = d.kind == "rocm" ? o.rocmArch : o.cudaArch;
    std::string error;
    if (!checkGpuChip(options, error))
      fail(error);
    if (d.kind == "rocm" && *stopAfter >= Phase::LLVM &&
        !makeRocmToolkit(options.toolkit, error))
      fail(error);
  }
  auto removeToolkit = llvm::make_scope_exit([&] {
    for (auto &[kind, options] : gpuOptions)
      if (!options.toolkit.empty())
        llvm::sys::fs::remove_directories(options.toolkit);
  });

  // Each rank's module goes through the single-device pipeline on its own: rank k's becomes
  // code section code.rank<k> with entry cleave_stage_<k>, its parameters params.rank<k>.
  ArtifactSpec spec;
  CpuOptions cpuOptions;
  cpuOptions.cpu = o.cpu;
  cpuOptions.emulateGpuKernels = o.emulateGpuKernels;
  std::vector<ModuleOp> lowered;
  for (size_t k = 0; k < stageModules.size(); ++k) {
    ModuleOp stageModule = *stageModules[k];
    auto main = stageModule.lookupSymbol<func::FuncOp>("main");
    const RankRole &role = roles[k];
    ArtifactStage stage;
    stage.rank = stage.device = static_cast<int64_t>(k);
    stage.id = role.stage;
    // The ranks of a tensor-parallel group all run one stage id; the group's first rank's
    // entry declares the graph's inputs and outputs.
    bool declaresGraph = role.group.empty() || role.group.front() == stage.rank;
    stage.group = role.group;
    for (const TensorParallelSplit &s : role.plan.splits)
      stage.shardings.push_back(
          llvm::json::Object{{"node", s.node}, {"split", s.how}, {"weight", s.weight}});
    for (const TensorParallelCollective &c : role.plan.collectives)
      stage.collectives.push_back(llvm::json::Object{
          {"kind", c.kind}, {"after", c.after}, {"elements", c.elements}});
    stage.codeSection = "code.rank" + std::to_string(k);
    stage.entry = "cleave_stage_" + std::to_string(k);
    if (role.stage < static_cast<int64_t>(stagePlans.size()) && o.tp == 1) {
      stage.seconds = stagePlans[role.stage].seconds();
      stage.flops = stagePlans[role.stage].flops;
      stage.bytes = stagePlans[role.stage].bytes;
    } else {
      // A rank of a tensor-parallel group: its own share of the work, and the group's
      // estimated time.
      if (role.stage < static_cast<int64_t>(stagePlans.size()))
        stage.seconds = stagePlans[role.stage].seconds();
      main.walk([&](onnxir::CostInterface op) {
        stage.flops += op.getFlops();
        stage.bytes += op.getBytes();
      });
    }
    // Types before lowering: they keep unsigned element types.
    SmallVector<Type> resultTypes(main.getResultTypes());
    SmallVector<Type> inputTypes(main.getArgumentTypes());

    report("lowering to linalg");
    PassManager pm(&context);
    buildLinalgPipeline(pm);
    if (failed(pm.run(stageModule)))
      fail("lowering to linalg failed");
    // The stage's arguments after lowering: received tensors, graph inputs, then
    // parameters (whose data, as lowering may have changed its layout, is taken from
    // here), then sent tensors and graph outputs.
    main = stageModule.lookupSymbol<func::FuncOp>("main");
    for (unsigned i = 0; i < main.getNumArguments(); ++i) {
      std::string transfer;
      int64_t peer = 0;
      if (transferOf(main.getArgAttrDict(i), "cleave.recv", "from", transfer, peer)) {
        stage.args.push_back({"recv", transfer, peer, describeTensor(transfer, inputTypes[i])});
        continue;
      }
      if (auto name = main.getArgAttrOfType<StringAttr>(i, "onnx.name")) {
        if (declaresGraph)
          spec.inputs.push_back(
              describeBatchTensor(name.str(), inputTypes[i], batchShapes.inputs));
        stage.args.push_back({"input", name.str()});
        continue;
      }
      auto name = main.getArgAttrOfType<StringAttr>(i, "cleave.param");
      auto value = main.getArgAttrOfType<ElementsAttr>(i, "cleave.param_value");
      if (!name || !value)
        fail("internal compiler error: stage argument " + llvm::Twine(i) +
             " is neither an input nor a parameter");
      ArtifactParameter p;
      p.tensor = describeTensor(name.str(), value.getType());
      p.rank = static_cast<int64_t>(k);
      if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
        if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
          p.data = blob->getData();
      } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
        p.data = dense.getRawData();
      }
      spec.parameters.push_back(p);
      stage.args.push_back({"param", name.str()});
      main.removeArgAttr(i, "cleave.param_value");
    }
    for (unsigned i = 0; i < main.getNumResults(); ++i) {
      std::string transfer;
      int64_t peer = 0;
      if (transferOf(main.getResultAttrDict(i), "cleave.send", "to", transfer, peer)) {
        stage.args.push_back({"send", transfer, peer, describeTensor(transfer, resultTypes[i])});
        continue;
      }
      auto name = main.getResultAttrOfType<StringAttr>(i, "onnx.name");
      if (declaresGraph)
        spec.outputs.push_back(
            describeBatchTensor(name.str(), resultTypes[i], batchShapes.outputs));
      stage.args.push_back({"output", name.str()});
    }
    lowered.push_back(stageModule);
    if (*stopAfter == Phase::Linalg)
      continue;

    const DeviceSpec &device = cluster.devices[k];
    if (device.kind != "cpu") {
      report(device.kind == "cuda" ? "generating CUDA code" : "generating ROCm code");
      const GpuOptions &deviceOptions = gpuOptions.at(device.kind);
      PassManager codegen(&context);
      buildGpuCodegenPipeline(codegen, deviceOptions);
      if (failed(codegen.run(stageModule)))
        fail("device '" + device.name() + "': GPU code generation failed");
      if (*stopAfter == Phase::LLVM)
        continue;
      GpuProgram program;
      std::string error, constants = "consts.rank" + std::to_string(k);
      if (!extractGpuProgram(stageModule, constants, program, error))
        fail("device '" + device.name() + "': " + error);
      // The kernels are launched by the runtime from the host program; there is no
      // host symbol to call.
      stage.entry = "gpu_program";
      stage.gpuProgram = std::move(program.json);
      spec.code.push_back({stage.codeSection, gpuSectionKind(deviceOptions),
                           std::move(program.binary)});
      if (!program.constants.empty())
        spec.code.push_back({constants, "constants", std::move(program.constants)});
      spec.devices.push_back({stage.rank, device.kind, device.index});
      spec.stages.push_back(std::move(stage));
      continue;
    }

    report("generating CPU code");
    PassManager codegen(&context);
    buildCpuCodegenPipeline(codegen, cpuOptions, stage.entry);
    if (failed(codegen.run(stageModule)))
      fail("CPU code generation failed");
    if (*stopAfter == Phase::LLVM)
      continue;

    std::string code, error;
    report("emitting native code");
    if (!emitCpuSharedObject(stageModule, cpuOptions, code, error))
      fail(error);
    spec.code.push_back({stage.codeSection, "cpu-elf-so", std::move(code)});
    spec.devices.push_back({stage.rank, cluster.devices[k].kind, cluster.devices[k].index});
    spec.stages.push_back(stage);
  }
  if (*stopAfter == Phase::Linalg || *stopAfter == Phase::LLVM) {
    printModules(lowered, o);
    return 0;
  }

  spec.source = llvm::json::Object{{"path", info.path},
                                   {"sha256", info.sha256},
                                   {"opset", info.opset},
                                   {"producer", info.producer}};
  llvm::json::Array shapes;
  for (const std::string &s : o.inputShapes)
    shapes.push_back(s);
  spec.options = llvm::json::Object{{"devices", o.devices},
                                    {"pp", o.pp},
                                    {"tp", o.tp},
                                    {"microbatches", o.microbatches},
                                    {"cpu", resolveCpuName(cpuOptions)},
                                    {"cuda_arch", o.cudaArch},
                                    {"rocm_arch", o.rocmArch},
                                    {"input_shapes", std::move(shapes)}};
  std::string error;
  report("writing the artifact");
  if (!writeArtifact(o.output, std::move(spec), error))
    fail(error);
  return 0;
}
