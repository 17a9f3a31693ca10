// The compile driver: import, partition, lower each rank, generate code, build the artifact.
#include "compiler/driver/Driver.h"
#include "compiler/driver/PlanSearch.h"

#include "compiler/InitAll.h"
#include "compiler/artifact/ArtifactWriter.h"
#include "compiler/artifact/StageInterface.h"
#include "compiler/codegen/cpu/CpuTarget.h"
#include "compiler/codegen/gpu/GpuTarget.h"
#include "compiler/import/GenerationRewrite.h"
#include "compiler/import/Importer.h"
#include "compiler/partition/CostModel.h"
#include "compiler/partition/DeviceSpec.h"
#include "compiler/partition/Partition.h"
#include "compiler/partition/SplitStages.h"
#include "compiler/partition/StageGroups.h"
#include "compiler/partition/TensorParallel.h"
#include "compiler/pipelines/Pipelines.h"
#include "compiler/support/Message.h"
#include "dialects/Cleave/IR/CleaveOps.h"
#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

using namespace mlir;
using namespace cleave;

bool cleave::parsePhase(const std::string &name, Phase &phase) {
  static const std::pair<const char *, Phase> kPhases[] = {{"import", Phase::Import},
                                                           {"partition", Phase::Partition},
                                                           {"linalg", Phase::Linalg},
                                                           {"llvm", Phase::LLVM},
                                                           {"artifact", Phase::Artifact}};
  for (const auto &[phaseName, value] : kPhases)
    if (name == phaseName) {
      phase = value;
      return true;
    }
  return false;
}

const char *cleave::phaseNames() { return "import, partition, linalg, llvm, artifact"; }

bool cleave::parseInputShape(const std::string &spec,
                             std::pair<std::string, std::vector<int64_t>> &shape,
                             std::string &error) {
  llvm::StringRef text(spec);
  size_t eq = text.rfind('=');
  if (eq == llvm::StringRef::npos || eq == 0) {
    error = "--input-shape expects NAME=D0xD1x..., got '" + spec + "'";
    return false;
  }
  llvm::StringRef name = text.take_front(eq), dims = text.drop_front(eq + 1);
  shape.first = name.str();
  shape.second.clear();
  llvm::SmallVector<llvm::StringRef> parts;
  if (!dims.empty())
    dims.split(parts, 'x');
  for (llvm::StringRef part : parts) {
    int64_t d = 0;
    if (part.getAsInteger(10, d) || d <= 0) {
      error = "--input-shape for '" + name.str() + "': bad dim '" + part.str() + "' in '" +
              dims.str() + "'";
      return false;
    }
    shape.second.push_back(d);
  }
  return true;
}

std::string cleave::formatInputShape(const std::pair<std::string, std::vector<int64_t>> &shape) {
  std::string text = shape.first + "=";
  for (size_t i = 0; i < shape.second.size(); ++i)
    text += (i ? "x" : "") + std::to_string(shape.second[i]);
  return text;
}

namespace {

/// The plan's devices and its pp and tp (pp resolved from the device count when 0), or the
/// one-line error.
std::string resolveDevices(const CompileOptions &o, Cluster &cluster, int64_t &pp) {
  if (o.tp < 1 || o.pp < 0 || o.microbatches < 1)
    return "pp, tp and microbatches must be positive (pp 0: the number of devices / tp)";
  std::string error;
  if (!makeCluster(o.devices, o.deviceFile, cluster, error))
    return error;
  int64_t deviceCount = static_cast<int64_t>(cluster.devices.size());
  if (o.dp < 1)
    return "--dp must be positive";
  if (o.dp > 1) {
    if (deviceCount % o.dp != 0)
      return "--dp (" + std::to_string(o.dp) + ") must divide the number of devices (" +
             std::to_string(deviceCount) + ")";
    for (const DeviceSpec &device : cluster.devices)
      if (device.kind != "cpu")
        return "--dp: replicas run on cpu devices only, got " + device.name();
    // The plan is made for the first replica's devices.
    deviceCount /= o.dp;
    cluster.devices.resize(static_cast<size_t>(deviceCount));
  }
  pp = o.pp != 0 ? o.pp : deviceCount % o.tp == 0 ? deviceCount / o.tp : deviceCount;
  if (pp * o.tp != deviceCount)
    return "--pp (" + std::to_string(pp) + ") x --tp (" + std::to_string(o.tp) +
           (o.dp > 1 ? ") must equal the number of devices per replica (" +
                           std::to_string(deviceCount) + " of " +
                           std::to_string(deviceCount * o.dp) + " over --dp " +
                           std::to_string(o.dp) + ")"
                     : ") must equal the number of devices (" +
                           std::to_string(deviceCount) + ")");
  return "";
}

/// What a rank runs: its stage id, the ranks of its tensor-parallel group (just itself when
/// tp = 1) and what was split over them.
struct RankRole {
  int64_t stage = 0;
  std::vector<int64_t> group;
  TensorParallelPlan plan;
};

/// Full-batch shapes of the graph's inputs and outputs, in graph order.
struct GraphShapes {
  std::vector<std::pair<std::string, std::vector<int64_t>>> inputs, outputs;

  BatchShapes byName() const {
    BatchShapes shapes(inputs.begin(), inputs.end());
    shapes.insert(outputs.begin(), outputs.end());
    return shapes;
  }
};

/// One compile: its context, the first error and the steps in order.
class Compilation {
public:
  /// `batch` > 0: dim 0 of every input is set to it (a --batch-sizes variant).
  Compilation(const CompileOptions &options, CompileResult &result, int64_t batch = 0)
      : o(options), result(result), context(registry()), batch(batch) {
    // Two cores, and deterministic diagnostics.
    context.disableMultithreading();
    context.loadDialect<plan::CleaveDialect>();
    handler.emplace(&context, [this](Diagnostic &diag) { return record(diag); });
  }

  /// Compiles; with `specOut` the artifact's contents are moved there instead of being
  /// written into the result (the parameter bytes stay owned by this compilation).
  void run(artifact::Spec *specOut = nullptr);

private:
  static const DialectRegistry &registry();
  LogicalResult record(Diagnostic &diag);
  /// Sets the error (the first diagnostic, if one was reported, else `message`).
  void fail(const std::string &message);
  void progress(const char *what) {
    if (o.progress)
      o.progress(what);
  }
  std::string print(ModuleOp module) const;
  void printRanks();
  void describePlan(const PipelinePlan &plan);
  std::string explain(const PipelinePlan &plan) const;
  bool importModel();
  bool partition();
  bool checkTensorSizes();
  bool checkRankMemory();
  bool lowerRank(size_t k, artifact::Spec &spec, std::vector<ModuleOp> &lowered);

  const CompileOptions &o;
  CompileResult &result;
  MLIRContext context;
  int64_t batch = 0;
  std::optional<ScopedDiagnosticHandler> handler;
  std::string firstError;

  Cluster cluster;
  int64_t pp = 0, tp = 1;
  std::string modelBytes;
  /// --generate: the model rewritten for a decode step, and its contract.
  std::string generateBytes;
  GenerationContract generation;
  ModelInfo info;
  GraphShapes shapes;
  OwningOpRef<ModuleOp> module;
  std::vector<OwningOpRef<ModuleOp>> ranks;
  std::vector<RankRole> roles;
  std::vector<StagePlan> stagePlans;
  std::map<std::string, GpuOptions> gpuOptions;
  CpuOptions cpuOptions;
  /// --profile-ops: each ONNX node's position in the graph and op type, by name.
  llvm::StringMap<std::pair<int64_t, std::string>> nodeOps;
};

const DialectRegistry &Compilation::registry() {
  static DialectRegistry registry;
  static std::once_flag once;
  std::call_once(once, [] {
    registerAllDialects(registry);
    registerAllPasses();
  });
  return registry;
}

LogicalResult Compilation::record(Diagnostic &diag) {
  if (diag.getSeverity() != DiagnosticSeverity::Error || !firstError.empty())
    return success();
  std::string message = diag.str();
  // The ONNX node at fault, unless the message names what it is about already.
  std::string node = onnxir::nodeName(diag.getLocation()).str();
  if (!node.empty() && !llvm::StringRef(message).starts_with("node '") &&
      !llvm::StringRef(message).starts_with("input '") &&
      !llvm::StringRef(message).starts_with("tensor '"))
    message = "node '" + node + "': " + message;
  firstError = message;
  return success();
}

void Compilation::fail(const std::string &message) {
  if (result.error.empty())
    result.error = oneLineMessage(firstError.empty() ? message : firstError);
}

std::string Compilation::print(ModuleOp op) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  if (!o.printWeights)
    flags.elideLargeElementsAttrs(16).elideLargeResourceString(64);
  if (o.printLocations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/true);
  op.print(os, flags);
  return text;
}

void Compilation::printRanks() {
  for (const OwningOpRef<ModuleOp> &rank : ranks)
    result.modules.push_back(print(*rank));
}

/// Imports the model, once for the full batch (with --batch-sizes, again with dim 0 of every
/// input set to the plan's batch) and, with microbatches, again with dim 0 of
/// every input divided by their count (stages are compiled for one microbatch).
bool Compilation::importModel() {
  std::string error;
  if (o.modelBytes.empty() && !readModelFile(o.modelPath, modelBytes, error)) {
    fail(error);
    return false;
  }
  ImportOptions options;
  options.modelBytes = o.modelBytes.empty() ? modelBytes : o.modelBytes;
  for (const auto &[name, shape] : o.inputShapes)
    options.inputShapes[name] = shape;
  if (o.generate) {
    // The decode step: the rewritten model, its inputs bound by the contract.
    generateBytes = std::string(options.modelBytes);
    std::vector<std::pair<std::string, std::vector<int64_t>>> bindings;
    if (!rewriteForGeneration(generateBytes, o.maxSeqLen, generation, bindings, error)) {
      fail(error);
      return false;
    }
    for (const auto &[name, shape] : bindings) {
      if (options.inputShapes.count(name)) {
        fail("--generate binds input '" + name + "' itself: do not give --input-shape for it");
        return false;
      }
      options.inputShapes[name] = shape;
    }
    options.modelBytes = generateBytes;
  }
  progress("importing the model");
  // Value shapes at the export batch: a later import at another batch rewrites the shapes
  // that hard-code it.
  llvm::StringMap<std::vector<int64_t>> exportShapes;
  options.recordShapes = &exportShapes;
  std::vector<std::pair<std::string, std::string>> nodes;
  if (o.profileOps)
    options.recordNodes = &nodes;
  module = importOnnxModel(context, o.modelPath, options, &info);
  options.recordNodes = nullptr;
  for (auto [index, node] : llvm::enumerate(nodes))
    nodeOps.try_emplace(node.first, static_cast<int64_t>(index), node.second);
  if (!module) {
    fail("import failed");
    return false;
  }
  options.recordShapes = nullptr;
  options.exportShapes = &exportShapes;
  if (o.generate) {
    // The provenance names the model as given, not its rewrite.
    const std::string &source = o.modelBytes.empty() ? modelBytes : o.modelBytes;
    info.sha256 = llvm::toHex(llvm::SHA256::hash(llvm::arrayRefFromStringRef(source)),
                              /*LowerCase=*/true);
  }
  auto main = module->lookupSymbol<func::FuncOp>("main");
  if (batch > 0) {
    // A --batch-sizes plan: dim 0 of every input set to `batch`, the rest as imported.
    for (unsigned i = 0; i < main.getNumArguments(); ++i) {
      auto name = main.getArgAttrOfType<StringAttr>(i, "onnx.name");
      std::string input = name ? name.str() : "#" + std::to_string(i);
      auto type = cast<RankedTensorType>(main.getArgumentTypes()[i]);
      if (type.getRank() == 0) {
        fail("input '" + input + "' is a scalar: --batch-sizes needs a batch dim 0");
        return false;
      }
      std::vector<int64_t> dims(type.getShape());
      dims[0] = batch;
      options.inputShapes[input] = dims;
    }
    options.overrideStaticDims = true;
    module = importOnnxModel(context, o.modelPath, options, &info);
    if (!module) {
      fail("import failed");
      return false;
    }
    main = module->lookupSymbol<func::FuncOp>("main");
  }
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    auto name = main.getArgAttrOfType<StringAttr>(i, "onnx.name");
    std::string input = name ? name.str() : "#" + std::to_string(i);
    auto type = cast<RankedTensorType>(main.getArgumentTypes()[i]);
    std::vector<int64_t> full(type.getShape()), micro = full;
    if (o.microbatches > 1) {
      if (type.getRank() == 0) {
        fail("input '" + input + "' is a scalar: --microbatches needs a batch dim 0");
        return false;
      }
      if (type.getDimSize(0) % o.microbatches != 0) {
        fail("input '" + input + "' has dim 0 = " + std::to_string(type.getDimSize(0)) +
             ", which --microbatches=" + std::to_string(o.microbatches) + " does not divide");
        return false;
      }
      micro[0] /= o.microbatches;
    }
    shapes.inputs.push_back({input, full});
    options.inputShapes[input] = micro;
  }
  for (unsigned i = 0; i < main.getNumResults(); ++i) {
    auto name = main.getResultAttrOfType<StringAttr>(i, "onnx.name");
    auto type = cast<RankedTensorType>(main.getResultTypes()[i]);
    shapes.outputs.push_back({name ? name.str() : "", std::vector<int64_t>(type.getShape())});
  }
  if (o.microbatches > 1) {
    options.overrideStaticDims = true;
    module = importOnnxModel(context, o.modelPath, options, &info);
    if (!module) {
      fail("import failed");
      return false;
    }
  }
  return true;
}

void Compilation::describePlan(const PipelinePlan &plan) {
  PlanSummary &summary = result.plan;
  summary.pp = pp;
  summary.tp = tp;
  summary.microbatches = o.microbatches;
  if (!shapes.inputs.empty() && !shapes.inputs.front().second.empty())
    summary.batch = shapes.inputs.front().second[0];
  for (auto [k, s] : llvm::enumerate(plan.stages)) {
    PlannedStage stage;
    for (int64_t t = 0; t < tp; ++t)
      stage.devices.push_back(cluster.devices[k * tp + t].name());
    stage.firstNode = s.firstNode;
    stage.lastNode = s.lastNode;
    stage.opCount = s.opCount();
    stage.seconds = s.seconds();
    stage.computeSeconds = s.computeSeconds;
    stage.sendSeconds = s.sendSeconds;
    stage.flops = s.flops;
    stage.paramBytes = s.paramBytes;
    stage.activationBytes = s.activationBytes;
    stage.sendBytes = s.sendBytes;
    summary.stages.push_back(std::move(stage));
  }
  summary.bottleneck = plan.bottleneck();
  summary.batchSeconds = plan.batchSeconds(o.microbatches);
}

std::string Compilation::explain(const PipelinePlan &plan) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto us = [](double seconds) { return llvm::format("%.3f us", seconds * 1e6); };
  os << "pipeline plan: " << plan.stages.size() << " stage(s) on " << o.devices << ", "
     << o.microbatches << " microbatch(es); estimates are per microbatch\n";
  if (tp > 1)
    os << "tensor parallelism: each stage on a group of " << tp
       << " devices; a stage's time is one device's divided by " << tp
       << " (optimistic: replicated ops do not get faster), plus its collectives over the "
          "link\n";
  for (auto [k, s] : llvm::enumerate(plan.stages)) {
    os << "stage " << k << " on " << llvm::join(result.plan.stages[k].devices, ",") << ": "
       << s.opCount() << " ops, nodes '" << s.firstNode << "' to '" << s.lastNode << "', time "
       << us(s.seconds()) << " (compute " << us(s.computeSeconds) << ", send "
       << us(s.sendSeconds) << "), flops " << s.flops << ", parameter bytes " << s.paramBytes
       << ", activation bytes " << s.activationBytes;
    if (k + 1 < plan.stages.size())
      os << ", sends " << s.sendBytes << " bytes in " << s.sendCount << " tensor(s) to stage "
         << k + 1;
    os << "\n";
    if (tp > 1)
      printTensorParallelPlan(roles[k * tp].plan, tp, os, "  ");
  }
  int64_t worst = plan.bottleneck();
  const StagePlan &b = plan.stages[worst];
  os << "bottleneck: stage " << worst << (tp > 1 ? "" : " on " + b.device.name()) << ", "
     << us(b.seconds()) << " per microbatch\n";
  double batch = plan.batchSeconds(o.microbatches);
  os << "predicted batch time: " << llvm::format("%.3f ms", batch * 1e3) << " for "
     << o.microbatches << " microbatch(es), " << llvm::format("%.1f", 1.0 / batch)
     << " batches/s";
  if (!shapes.inputs.empty() && !shapes.inputs.front().second.empty())
    os << ", " << llvm::format("%.1f", shapes.inputs.front().second[0] / batch)
       << " samples/s";
  os << "; steady state " << llvm::format("%.1f", 1.0 / b.seconds()) << " microbatches/s\n";
  return text;
}

/// One path for every plan: pp stages (one when pp = 1), each over a group of tp ranks
/// (rank = stage x tp + place; docs/partitioning.md). Leaves one module per rank.
bool Compilation::partition() {
  progress(pp > 1 ? "partitioning into pipeline stages" : "planning");
  // A pipeline for generation: each stage holds the caches of its layers (its own cache
  // inputs and presents) instead of stage 0 forwarding them.
  const bool stageIO = o.generate && pp > 1;
  // With tp > 1 the partitioner sees each stage's group of devices as one faster device.
  FailureOr<PipelinePlan> plan =
      planPipeline(*module, tp > 1 ? groupDevices(cluster, tp) : cluster, pp, tp, stageIO);
  if (failed(plan) || failed(outlineStages(*module, *plan, stageIO))) {
    fail("pipeline partitioning failed");
    return false;
  }
  describePlan(*plan);
  stagePlans = plan->stages;
  if (tp == 1 && (o.explain || o.stopAfter == Phase::Partition)) {
    if (o.explain)
      result.explain = explain(*plan);
    else
      result.modules.push_back(print(*module));
    return true;
  }
  FailureOr<std::vector<OwningOpRef<ModuleOp>>> stages = splitStages(*module);
  if (failed(stages)) {
    fail("splitting the pipeline stages failed");
    return false;
  }
  if (tp == 1) {
    ranks = std::move(*stages);
    for (size_t k = 0; k < ranks.size(); ++k)
      roles.push_back({static_cast<int64_t>(k), {static_cast<int64_t>(k)}, {}});
    return true;
  }
  progress("splitting for tensor parallelism");
  FailureOr<std::vector<StageGroupRank>> split = splitStagesOverGroups(*stages, tp);
  if (failed(split)) {
    fail("tensor-parallel partitioning failed");
    return false;
  }
  // A single stage on all the devices: replicating it over them would gain nothing.
  if (pp == 1 && split->front().plan.splits.empty()) {
    fail(split->front().plan.refusalMessage(tp));
    return false;
  }
  for (StageGroupRank &rank : *split) {
    RankRole role{rank.stage, {}, std::move(rank.plan)};
    for (int64_t t = 0; t < tp; ++t)
      role.group.push_back(rank.stage * tp + t);
    // The plan put the stage on its group's first device; this rank has its own.
    if (auto main = rank.module->lookupSymbol<func::FuncOp>("main"))
      main->setAttr(plan::CleaveDialect::kDeviceAttr,
                    StringAttr::get(&context, cluster.devices[roles.size()].name()));
    roles.push_back(std::move(role));
    ranks.push_back(std::move(rank.module));
  }
  // A stage's collectives run on its group's link inside the stage: its time per
  // microbatch grows by theirs, which the planner, seeing one faster device, left out.
  for (size_t k = 0; k < plan->stages.size(); ++k)
    for (const TensorParallelCollective &c : roles[k * tp].plan.collectives)
      plan->stages[k].computeSeconds += collectiveSeconds(c.kind, c.bytes, tp, plan->link);
  result.plan = PlanSummary();
  describePlan(*plan);
  stagePlans = plan->stages;
  if (o.explain)
    result.explain = explain(*plan);
  else if (o.stopAfter == Phase::Partition)
    printRanks();
  return true;
}

namespace {
/// The byte size of a static tensor type, or nothing when it overflows int64 (shapes bound
/// with --input-shape, or inferred from them, can be that large).
std::optional<int64_t> checkedTensorBytes(Type type) {
  auto shaped = dyn_cast<RankedTensorType>(type);
  if (!shaped || !shaped.hasStaticShape())
    return 0;
  Type element = shaped.getElementType();
  int64_t bytes = element.isIntOrFloat()
                      ? std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8)
                      : 1;
  for (int64_t dim : shaped.getShape())
    if (llvm::MulOverflow(bytes, dim, bytes))
      return std::nullopt;
  return bytes;
}

std::string shapeText(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}
} // namespace

/// Every tensor's byte size must fit in 64 bits before any size is added up or allocated.
bool Compilation::checkTensorSizes() {
  auto main = module->lookupSymbol<func::FuncOp>("main");
  for (BlockArgument arg : main.getArguments())
    if (!checkedTensorBytes(arg.getType())) {
      auto name = main.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name");
      fail("input '" + (name ? name.str() : "#" + std::to_string(arg.getArgNumber())) +
           "' of type " + shapeText(arg.getType()) + " has a byte size past 2^63 - 1");
      return false;
    }
  WalkResult walk = main.walk([&](Operation *op) {
    for (Type type : op->getResultTypes())
      if (!checkedTensorBytes(type)) {
        fail("node '" + onnxir::nodeName(op) + "': a result of type " +
             shapeText(type) + " has a byte size past 2^63 - 1");
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  return !walk.wasInterrupted();
}

/// Each rank's parameters and activations (every tensor its stage computes, as the
/// pipeline planner counts them) must fit the memory of its device: the device file's
/// `memory_bytes`, else the default for its kind. A plan that cannot be allocated is refused
/// here, naming the rank, rather than at run time by the out-of-memory killer.
bool Compilation::checkRankMemory() {
  for (size_t k = 0; k < ranks.size(); ++k) {
    auto main = ranks[k]->lookupSymbol<func::FuncOp>("main");
    if (!main)
      continue;
    int64_t params = 0, activations = 0;
    bool overflow = false;
    auto add = [&](int64_t &total, Type type) {
      std::optional<int64_t> bytes = checkedTensorBytes(type);
      overflow |= !bytes || llvm::AddOverflow(total, *bytes, total);
    };
    for (Type type : main.getArgumentTypes())
      add(activations, type);
    ranks[k]->walk([&](Operation *op) {
      if (auto param = dyn_cast<onnxir::ParameterOp>(op))
        add(params, param.getType());
      else if (op->getParentOp() == main.getOperation())
        for (Type type : op->getResultTypes())
          add(activations, type);
    });
    int64_t total = 0;
    overflow |= llvm::AddOverflow(params, activations, total);
    const DeviceSpec &device = cluster.devices[k];
    if (overflow || total > device.memoryBytes) {
      fail("rank " + std::to_string(k) + " (device '" + device.name() + "') needs " +
           (overflow ? std::string("more than 2^63 - 1 bytes")
                     : std::to_string(total) + " bytes (parameters " + std::to_string(params) +
                           ", activations " + std::to_string(activations) + ")") +
           ", more than the " + std::to_string(device.memoryBytes) +
           " bytes of memory of the device (memory_bytes in --device-file)");
      return false;
    }
  }
  return true;
}

/// Lowers rank `k`'s module to linalg, reads its stage interface, and generates its code
/// for its device (stopping at stopAfter), adding its stage, parameters and code to `spec`.
bool Compilation::lowerRank(size_t k, artifact::Spec &spec, std::vector<ModuleOp> &lowered) {
  ModuleOp rankModule = *ranks[k];
  auto main = rankModule.lookupSymbol<func::FuncOp>("main");
  const RankRole &role = roles[k];
  const DeviceSpec &device = cluster.devices[k];
  artifact::Stage stage;
  stage.rank = stage.device = static_cast<int64_t>(k);
  stage.id = role.stage;
  stage.group = role.group;
  for (const TensorParallelSplit &s : role.plan.splits)
    stage.shardings.push_back({s.node, s.how, s.weight});
  for (const TensorParallelCollective &c : role.plan.collectives)
    stage.collectives.push_back({c.kind, c.after, c.elements});
  stage.code = CLEAVE_SECTION_NAME_CODE + std::to_string(k);
  stage.entry = CLEAVE_ENTRY_PREFIX + std::to_string(k);
  stage.seconds = stagePlans[role.stage].seconds();
  stage.computeSeconds = stagePlans[role.stage].computeSeconds;
  stage.sendSeconds = stagePlans[role.stage].sendSeconds;
  if (tp == 1) {
    stage.flops = stagePlans[role.stage].flops;
    stage.bytes = stagePlans[role.stage].bytes;
  } else {
    // A rank of a tensor-parallel group: its own share of the work.
    main.walk([&](onnxir::CostInterface op) {
      stage.flops += op.getFlops();
      stage.bytes += op.getBytes();
    });
  }
  // Types before lowering: they keep unsigned element types.
  SmallVector<Type> argTypes(main.getArgumentTypes()), resultTypes(main.getResultTypes());

  progress("lowering to linalg");
  PassManager pm(&context);
  buildLinalgPipeline(pm);
  if (failed(pm.run(rankModule))) {
    fail("lowering to linalg failed");
    return false;
  }
  main = rankModule.lookupSymbol<func::FuncOp>("main");
  FailureOr<StageInterface> interface = readStageInterface(
      main, argTypes, resultTypes, shapes.byName(), static_cast<int64_t>(k));
  if (failed(interface)) {
    fail("reading the stage interface failed");
    return false;
  }
  stage.args = std::move(interface->args);
  llvm::append_range(spec.parameters, interface->parameters);
  // The group's first rank declares the graph's inputs and outputs.
  // (In a plan for generation several stages may read one input: it is declared once.)
  if (role.group.front() == stage.rank) {
    for (artifact::Tensor &input : interface->inputs)
      if (llvm::none_of(spec.inputs, [&](const artifact::Tensor &t) { return t.name == input.name; }))
        spec.inputs.push_back(std::move(input));
    llvm::append_range(spec.outputs, interface->outputs);
  }
  lowered.push_back(rankModule);
  if (o.stopAfter == Phase::Linalg)
    return true;

  spec.devices.push_back({stage.rank, device.kind, device.index});
  if (device.kind != CLEAVE_DEVICE_CPU) {
    progress(device.kind == CLEAVE_DEVICE_CUDA ? "generating CUDA code" : "generating ROCm code");
    const GpuOptions &options = gpuOptions.at(device.kind);
    PassManager codegen(&context);
    buildGpuCodegenPipeline(codegen, options);
    if (failed(codegen.run(rankModule))) {
      fail("device '" + device.name() + "': GPU code generation failed");
      return false;
    }
    if (o.stopAfter == Phase::LLVM)
      return true;
    GpuCode code;
    std::string error, constants = CLEAVE_SECTION_NAME_CONSTANTS + std::to_string(k);
    if (!extractGpuProgram(rankModule, constants, code, error)) {
      fail("device '" + device.name() + "': " + error);
      return false;
    }
    // The runtime replays the kernels from the host program: no host symbol to call.
    stage.entry = CLEAVE_ENTRY_GPU_PROGRAM;
    stage.gpuProgram = std::move(code.program);
    spec.code.push_back({stage.code, gpuSectionKind(options), std::move(code.binary)});
    if (!code.constants.empty())
      spec.code.push_back({constants, CLEAVE_SECTION_CONSTANTS, std::move(code.constants)});
    spec.stages.push_back(std::move(stage));
    return true;
  }

  progress("generating CPU code");
  PassManager codegen(&context);
  buildCpuCodegenPipeline(codegen, cpuOptions, stage.entry);
  if (failed(codegen.run(rankModule))) {
    fail("CPU code generation failed");
    return false;
  }
  if (o.profileOps) {
    auto groups = rankModule->getAttrOfType<ArrayAttr>(plan::CleaveDialect::kOpGroupsAttr);
    for (Attribute attr : groups ? groups : ArrayAttr::get(&context, {})) {
      auto group = cast<plan::OpGroupAttr>(attr);
      artifact::OpGroup record;
      record.id = group.getId();
      for (Attribute node : group.getNodes())
        record.nodes.push_back(cast<StringAttr>(node).str());
      // In graph order (a fused op's location lists its nodes in no particular order);
      // names the model does not have (none expected) last.
      auto position = [&](const std::string &node) {
        auto found = nodeOps.find(node);
        return found == nodeOps.end() ? INT64_MAX : found->second.first;
      };
      llvm::stable_sort(record.nodes, [&](const std::string &a, const std::string &b) {
        return position(a) < position(b);
      });
      for (const std::string &node : record.nodes) {
        auto found = nodeOps.find(node);
        if (found != nodeOps.end() && !llvm::is_contained(record.ops, found->second.second))
          record.ops.push_back(found->second.second);
      }
      record.name = record.nodes.empty() ? "(no node)" : record.nodes.front();
      if (record.nodes.size() > 1)
        record.name += " +" + std::to_string(record.nodes.size() - 1);
      stage.opGroups.push_back(std::move(record));
    }
    // The table is in the manifest; the code needs none of it.
    rankModule->removeAttr(plan::CleaveDialect::kOpGroupsAttr);
  }
  if (o.stopAfter == Phase::LLVM)
    return true;
  std::string code, error;
  progress("emitting native code");
  if (!emitCpuSharedObject(rankModule, cpuOptions, code, error)) {
    fail(error);
    return false;
  }
  spec.code.push_back({stage.code, CLEAVE_SECTION_CPU_ELF_SO, std::move(code)});
  spec.stages.push_back(std::move(stage));
  return true;
}

void Compilation::run(artifact::Spec *specOut) {
  if (o.modelPath.empty() && o.modelBytes.empty())
    return fail("no model given");
  std::string error = resolveDevices(o, cluster, pp);
  if (!error.empty())
    return fail(error);
  tp = o.tp;

  if (!importModel() || !checkTensorSizes())
    return;
  if (o.stopAfter == Phase::Import) {
    result.modules.push_back(print(*module));
    return;
  }
  if (!partition() || o.explain || o.stopAfter == Phase::Partition ||
      !checkRankMemory())
    return;

  // Each GPU kind of the plan gets its own options (a plan may mix cuda, rocm and cpu
  // stages: each goes through its own device kind's code generation).
  for (const DeviceSpec &d : cluster.devices) {
    if (d.kind != CLEAVE_DEVICE_CPU && o.profileOps)
      return fail("--profile-ops times CPU code only, but device '" + d.name() + "' is a GPU");
    if (d.kind == CLEAVE_DEVICE_CPU || gpuOptions.count(d.kind))
      continue;
    GpuOptions &options = gpuOptions[d.kind];
    options.kind = d.kind;
    options.chip = d.kind == CLEAVE_DEVICE_ROCM ? o.rocmArch : o.cudaArch;
    if (!checkGpuChip(options, error))
      return fail(error);
    if (d.kind == CLEAVE_DEVICE_ROCM && o.stopAfter >= Phase::LLVM &&
        !makeRocmToolkit(options.toolkit, error))
      return fail(error);
  }
  // The ROCm toolkit directory goes whichever way the compile ends.
  auto removeToolkits = llvm::make_scope_exit([&] {
    for (auto &[kind, options] : gpuOptions)
      if (!options.toolkit.empty())
        llvm::sys::fs::remove_directories(options.toolkit);
  });
  cpuOptions.cpu = o.cpu;
  cpuOptions.emulateGpuKernels = o.emulateGpuKernels;
  cpuOptions.profileOps = o.profileOps;

  // Each rank's module goes through the single-device pipeline on its own: rank k's code is
  // section code.rank<k> with entry cleave_stage_<k>, its parameters params.rank<k>.
  artifact::Spec spec;
  std::vector<ModuleOp> lowered;
  for (size_t k = 0; k < ranks.size(); ++k)
    if (!lowerRank(k, spec, lowered))
      return;
  if (o.stopAfter == Phase::Linalg || o.stopAfter == Phase::LLVM) {
    for (ModuleOp rank : lowered)
      result.modules.push_back(print(rank));
    return;
  }

  spec.source = {info.path, info.sha256, info.opset, info.producer};
  spec.options.devices = o.devices;
  spec.options.pp = pp;
  spec.options.tp = tp;
  spec.options.microbatches = o.microbatches;
  spec.options.dp = o.dp;
  spec.options.profileOps = o.profileOps;
  spec.options.cpu = resolveCpuName(cpuOptions);
  spec.options.cudaArch = o.cudaArch;
  spec.options.rocmArch = o.rocmArch;
  for (const auto &shape : o.inputShapes)
    spec.options.inputShapes.push_back(formatInputShape(shape));
  if (o.generate) {
    artifact::Generation g{generation.maxSeqLen, generation.inputIds, generation.attentionMask,
                           generation.positionIds, generation.logits, {}};
    for (const GenerationContract::Cache &c : generation.cache)
      g.cache.push_back({c.past, c.present, c.transposed});
    spec.generation = std::move(g);
  }
  if (specOut) {
    *specOut = std::move(spec);
    return;
  }
  progress("writing the artifact");
  result.artifact = std::move(artifact::build(spec).bytes);
}

/// `name` with ".b<batch>" appended: the sections of a batch variant.
std::string variantSection(const std::string &name, int64_t batch) {
  return name + ".b" + std::to_string(batch);
}

/// Compiles the plan once per batch size and writes one artifact: the largest as the main
/// plan, the others as variants whose code sections are renamed and whose parameters,
/// identical to the main plan's, are stored once.
void compileBatchSizes(const CompileOptions &o, CompileResult &result) {
  std::vector<int64_t> sizes = o.batchSizes;
  std::sort(sizes.begin(), sizes.end());
  size_t n = sizes.size();
  // Each compilation owns the parameter bytes its spec points into: all stay alive until
  // the artifact is built.
  std::vector<CompileResult> results(n);
  std::vector<artifact::Spec> specs(n);
  std::vector<std::unique_ptr<Compilation>> compilations;
  for (size_t i = n; i-- > 0;) {
    compilations.push_back(std::make_unique<Compilation>(o, results[i], sizes[i]));
    compilations.back()->run(&specs[i]);
    if (!results[i].ok()) {
      result.error = "--batch-sizes: batch " + std::to_string(sizes[i]) + ": " + results[i].error;
      return;
    }
  }
  artifact::Spec &main = specs[n - 1];
  result.plan = results[n - 1].plan;
  main.options.batchSizes = sizes;
  for (size_t i = 0; i + 1 < n; ++i) {
    artifact::Spec &spec = specs[i];
    std::string what = "--batch-sizes: batch " + std::to_string(sizes[i]) + ": ";
    bool same = spec.parameters.size() == main.parameters.size();
    for (size_t p = 0; same && p < spec.parameters.size(); ++p) {
      const artifact::Parameter &a = spec.parameters[p], &b = main.parameters[p];
      same = a.tensor.name == b.tensor.name && a.rank == b.rank && a.bytes == b.bytes;
    }
    if (!same) {
      result.error = what + "the plan's parameters differ from batch " +
                     std::to_string(sizes[n - 1]) + "'s (a batch-dependent constant?)";
      return;
    }
    artifact::Variant variant;
    variant.batch = sizes[i];
    variant.inputs = std::move(spec.inputs);
    variant.outputs = std::move(spec.outputs);
    for (artifact::Stage &stage : spec.stages) {
      stage.code = variantSection(stage.code, sizes[i]);
      if (stage.gpuProgram)
        for (artifact::GpuBuffer &buffer : stage.gpuProgram->buffers)
          if (buffer.kind == artifact::GpuBuffer::Kind::Constant)
            buffer.section = variantSection(buffer.section, sizes[i]);
      variant.stages.push_back(std::move(stage));
    }
    for (artifact::Code &code : spec.code) {
      code.section = variantSection(code.section, sizes[i]);
      main.code.push_back(std::move(code));
    }
    main.variants.push_back(std::move(variant));
  }
  if (o.progress)
    o.progress("writing the artifact");
  result.artifact = std::move(artifact::build(main).bytes);
}

} // namespace

std::string cleave::checkOptions(const CompileOptions &options) {
  Cluster cluster;
  int64_t pp = 0;
  return oneLineMessage(resolveDevices(options, cluster, pp));
}

CompileResult cleave::compile(const CompileOptions &options) {
  if (options.generate != (options.maxSeqLen > 0)) {
    CompileResult result;
    result.error = options.generate ? "--generate needs --max-seq-len=L, the cache capacity"
                                    : "--max-seq-len is only meaningful with --generate";
    return result;
  }
  if (options.autoPlan)
    return compileWithPlanSearch(options);
  CompileResult result;
  std::vector<int64_t> seen;
  for (int64_t size : options.batchSizes) {
    if (size < 1) {
      result.error = "--batch-sizes: batch " + std::to_string(size) + " is not positive";
      return result;
    }
    if (std::find(seen.begin(), seen.end(), size) != seen.end()) {
      result.error = "--batch-sizes: batch " + std::to_string(size) + " is given twice";
      return result;
    }
    seen.push_back(size);
  }
  if (!options.batchSizes.empty() && options.stopAfter == Phase::Artifact && !options.explain) {
    compileBatchSizes(options, result);
    return result;
  }
  // A look at a phase or at the plan: the largest batch alone.
  int64_t batch = options.batchSizes.empty()
                      ? 0
                      : *std::max_element(options.batchSizes.begin(), options.batchSizes.end());
  Compilation(options, result, batch).run();
  return result;
}
