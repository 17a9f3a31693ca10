// Pipeline partitioning: stage assignment by dynamic programming, outlining into stages.
#include "compiler/Passes.h"
#include "compiler/partition/CostModel.h"
#include "compiler/partition/Partition.h"

#include "dialects/Cleave/IR/CleaveOps.h"
#include "dialects/Onnx/IR/OnnxOps.h"
#include "dialects/Pipe/IR/PipeOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

#include <limits>

namespace cleave {
#define GEN_PASS_DEF_PARTITIONPIPELINEPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

using namespace mlir;
using namespace cleave;

namespace {

/// @main as the partitioner sees it: the ops that do work, in order, and for every tensor
/// (graph input or op result) where it is defined and last used.
struct Graph {
  mutable func::FuncOp main;    // op handles are not const-correct
  std::vector<Operation *> ops; ///< no constants, parameters or terminator
  llvm::DenseMap<Operation *, int64_t> position;
  /// Tracked tensors in a fixed order: graph inputs, then op results in op order.
  std::vector<Value> values;
  std::vector<int64_t> def, lastUse; ///< per value; def -1 for inputs; lastUse n for outputs
  /// Per cut j (between ops j-1 and j, 0 < j < n): bytes and number of tensors crossing.
  std::vector<int64_t> cutBytes, cutCount;
  /// Graph inputs and outputs belong to the stages that read and compute them.
  bool stageIO = false;

  int64_t size() const { return static_cast<int64_t>(ops.size()); }

  /// Tensors crossing cut j, in the fixed order.
  std::vector<Value> crossing(int64_t j) const {
    std::vector<Value> result;
    for (size_t v = 0; v < values.size(); ++v)
      if (def[v] < j && lastUse[v] >= j)
        result.push_back(values[v]);
    return result;
  }
};

/// Builds the partitioner's view of `main`. With `stageIO`, graph inputs are not tracked and
/// a use by the terminator does not extend a tensor's life: neither crosses a cut.
Graph analyse(func::FuncOp main, bool stageIO = false) {
  Graph g;
  g.main = main;
  g.stageIO = stageIO;
  Block &body = main.getBody().front();
  for (Operation &op : body.without_terminator())
    if (!isFreeOp(&op)) {
      g.position[&op] = g.size();
      g.ops.push_back(&op);
    }
  int64_t n = g.size();
  auto track = [&](Value v, int64_t def) {
    int64_t last = std::numeric_limits<int64_t>::min();
    for (OpOperand &use : v.getUses()) {
      Operation *user = body.findAncestorOpInBlock(*use.getOwner());
      if (!user)
        continue;
      if (user == body.getTerminator())
        last = std::max(last, stageIO ? def : n);
      else if (auto it = g.position.find(user); it != g.position.end())
        last = std::max(last, it->second);
    }
    g.values.push_back(v);
    g.def.push_back(def);
    g.lastUse.push_back(last);
  };
  for (BlockArgument arg : main.getArguments())
    if (!stageIO)
      track(arg, -1);
  for (auto [i, op] : llvm::enumerate(g.ops))
    for (Value result : op->getResults())
      track(result, static_cast<int64_t>(i));
  // A tensor crosses every cut j with def < j <= lastUse.
  std::vector<int64_t> bytes(n + 1, 0), count(n + 1, 0);
  for (size_t v = 0; v < g.values.size(); ++v) {
    int64_t from = std::max<int64_t>(g.def[v] + 1, 1);
    int64_t to = std::min<int64_t>(g.lastUse[v], n - 1);
    if (from > to)
      continue;
    int64_t b = typeBytes(g.values[v].getType());
    bytes[from] += b;
    bytes[to + 1] -= b;
    count[from] += 1;
    count[to + 1] -= 1;
  }
  g.cutBytes.assign(n + 1, 0);
  g.cutCount.assign(n + 1, 0);
  for (int64_t j = 1; j < n; ++j) {
    g.cutBytes[j] = g.cutBytes[j - 1] + bytes[j];
    g.cutCount[j] = g.cutCount[j - 1] + count[j];
  }
  g.cutBytes[0] = g.cutCount[0] = 0;
  return g;
}

/// The stage plan for ops [begin, end) on `device`; `last` stages send nothing.
StagePlan describeStage(const Graph &g, const std::vector<OpCost> &costs, int64_t begin,
                        int64_t end, const DeviceSpec &device, const DeviceSpec *next,
                        const LinkSpec &link) {
  StagePlan s;
  s.begin = begin;
  s.end = end;
  s.device = device;
  if (end > begin) { // a single stage may have no op at all
    s.firstNode = onnxir::nodeName(g.ops[begin]);
    s.lastNode = onnxir::nodeName(g.ops[end - 1]);
  }
  llvm::SmallPtrSet<Operation *, 16> params;
  s.activationBytes = begin == 0 ? 0 : g.cutBytes[begin];
  if (begin == 0 && !g.stageIO)
    for (BlockArgument arg : g.main.getArguments())
      s.activationBytes += typeBytes(arg.getType());
  if (g.stageIO) // the graph inputs the stage reads
    for (BlockArgument arg : g.main.getArguments())
      for (Operation *user : arg.getUsers())
        if (auto it = g.position.find(g.main.getBody().front().findAncestorOpInBlock(*user));
            it != g.position.end() && it->second >= begin && it->second < end) {
          s.activationBytes += typeBytes(arg.getType());
          break;
        }
  for (int64_t i = begin; i < end; ++i) {
    s.flops += costs[i].flops;
    s.bytes += costs[i].bytes;
    s.computeSeconds += opSeconds(costs[i], device);
    for (Value operand : g.ops[i]->getOperands())
      if (auto p = operand.getDefiningOp<onnxir::ParameterOp>())
        if (params.insert(p).second)
          s.paramBytes += typeBytes(p.getType());
    for (Type t : g.ops[i]->getResultTypes())
      s.activationBytes += typeBytes(t);
  }
  if (next) {
    s.sendBytes = g.cutBytes[end];
    s.sendCount = g.cutCount[end];
    s.sendSeconds = cutSeconds(s.sendBytes, s.sendCount, link, device, *next);
  }
  return s;
}

/// The DP: best[s][j] is the smallest possible slowest-stage time when stages 0..s hold
/// ops [0, j). With `checkMemory` off it ignores the devices' memory (for diagnostics).
std::optional<std::vector<int64_t>> solve(const Graph &g, const std::vector<OpCost> &costs,
                                          const Cluster &cluster, int64_t stages,
                                          bool checkMemory) {
  const double inf = std::numeric_limits<double>::infinity();
  int64_t n = g.size();
  std::vector<std::vector<double>> best(stages, std::vector<double>(n + 1, inf));
  std::vector<std::vector<int64_t>> from(stages, std::vector<int64_t>(n + 1, -1));
  int64_t inputBytes = 0;
  for (BlockArgument arg : g.main.getArguments())
    inputBytes += typeBytes(arg.getType());
  for (int64_t s = 0; s < stages; ++s) {
    const DeviceSpec &device = cluster.devices[s];
    bool last = s == stages - 1;
    // Stage s starts at op i >= s (every earlier stage holds one op at least) and leaves
    // room for the stages after it.
    for (int64_t i = s; i < n; ++i) {
      double before = s == 0 ? 0 : best[s - 1][i];
      if (s == 0 && i != 0)
        break;
      if (before == inf)
        continue;
      double compute = 0;
      int64_t params = 0;
      int64_t activations = s == 0 ? inputBytes : g.cutBytes[i];
      llvm::SmallPtrSet<Operation *, 16> seen;
      int64_t maxEnd = last ? n : n - (stages - 1 - s);
      for (int64_t j = i + 1; j <= maxEnd; ++j) {
        Operation *op = g.ops[j - 1];
        compute += opSeconds(costs[j - 1], device);
        for (Value operand : op->getOperands())
          if (auto p = operand.getDefiningOp<onnxir::ParameterOp>())
            if (seen.insert(p).second)
              params += typeBytes(p.getType());
        for (Type t : op->getResultTypes())
          activations += typeBytes(t);
        if (checkMemory && params + activations > device.memoryBytes)
          break; // only grows with j
        if (last && j != n)
          continue;
        double time = compute;
        if (!last)
          time += cutSeconds(g.cutBytes[j], g.cutCount[j], cluster.link, device,
                             cluster.devices[s + 1]);
        double value = std::max(before, time);
        if (value < best[s][j]) {
          best[s][j] = value;
          from[s][j] = i;
        }
      }
    }
  }
  if (best[stages - 1][n] == inf)
    return std::nullopt;
  std::vector<int64_t> begins(stages);
  int64_t j = n;
  for (int64_t s = stages - 1; s >= 0; --s) {
    begins[s] = from[s][j];
    j = begins[s];
  }
  return begins;
}

} // namespace

int64_t PipelinePlan::bottleneck() const {
  int64_t worst = 0;
  for (size_t s = 0; s < stages.size(); ++s)
    if (stages[s].seconds() > stages[worst].seconds())
      worst = static_cast<int64_t>(s);
  return worst;
}

double PipelinePlan::batchSeconds(int64_t microbatches) const {
  double fill = 0;
  for (const StagePlan &s : stages)
    fill += s.seconds();
  return fill + static_cast<double>(microbatches - 1) * stages[bottleneck()].seconds();
}

FailureOr<PipelinePlan> cleave::planPipeline(ModuleOp module, const Cluster &cluster,
                                             int64_t stages, int64_t ranksPerStage,
                                             bool stageIO) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal())
    return module.emitError("pipeline partitioning expects a function @main with a body");
  if (stages <= 0)
    return module.emitError("pipeline partitioning expects a positive number of stages");
  if (static_cast<int64_t>(cluster.devices.size()) < stages)
    return module.emitError("pipeline partitioning into ")
           << stages << " stages needs " << stages << " devices, got " << cluster.devices.size();
  Graph g = analyse(main, stageIO);
  // One stage takes the whole model, however small: there is nothing to choose.
  if (stages > 1 && g.size() < stages)
    return module.emitError("the model has ")
           << g.size() << " ops, too few for " << stages << " pipeline stages";
  std::vector<OpCost> costs;
  for (Operation *op : g.ops)
    costs.push_back(opCost(op));

  auto makePlan = [&](const std::vector<int64_t> &begins) {
    PipelinePlan plan;
    plan.link = cluster.link;
    for (int64_t s = 0; s < stages; ++s) {
      int64_t end = s + 1 < stages ? begins[s + 1] : g.size();
      plan.stages.push_back(describeStage(g, costs, begins[s], end, cluster.devices[s],
                                          s + 1 == stages ? nullptr : &cluster.devices[s + 1],
                                          cluster.link));
    }
    return plan;
  };
  if (stages == 1)
    return makePlan({0});
  if (auto begins = solve(g, costs, cluster, stages, /*checkMemory=*/true))
    return makePlan(*begins);
  // No plan fits: name the first stage of the best plan that ignores memory which does not.
  if (auto begins = solve(g, costs, cluster, stages, /*checkMemory=*/false)) {
    PipelinePlan plan = makePlan(*begins);
    for (auto [k, s] : llvm::enumerate(plan.stages))
      if (s.paramBytes + s.activationBytes > s.device.memoryBytes)
        return module.emitError("no split into ")
               << stages << " stages fits the devices' memory: stage " << k << " on rank"
               << (ranksPerStage > 1 ? "s " : " ") << k * ranksPerStage
               << (ranksPerStage > 1 ? "-" + std::to_string((k + 1) * ranksPerStage - 1) : "")
               << " (nodes '"
               << s.firstNode << "' to '" << s.lastNode << "') needs "
               << s.paramBytes + s.activationBytes << " bytes (parameters " << s.paramBytes
               << ", activations " << s.activationBytes << "), device '" << s.device.name()
               << "' has " << s.device.memoryBytes << " (memory_bytes in --device-file)";
  }
  return module.emitError("no split into ") << stages << " stages fits the devices' memory";
}

namespace {

/// Stable, unique names for the tensors that cross cuts: a graph input's name, else the
/// producing node's name (with `:i` for result i of a node with several results).
class TensorNames {
public:
  std::string get(Value v) {
    auto it = names.find(v);
    if (it != names.end())
      return it->second;
    std::string base;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto func = cast<func::FuncOp>(arg.getOwner()->getParentOp());
      if (auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name"))
        base = name.str();
      else
        base = "input" + std::to_string(arg.getArgNumber());
    } else {
      Operation *op = v.getDefiningOp();
      base = onnxir::nodeName(op);
      if (op->getNumResults() > 1)
        base += ":" + std::to_string(cast<OpResult>(v).getResultNumber());
    }
    std::string name = base;
    for (int k = 1; !used.insert(name).second; ++k)
      name = base + "." + std::to_string(k);
    names[v] = name;
    return name;
  }

private:
  llvm::DenseMap<Value, std::string> names;
  llvm::StringSet<> used;
};

/// Clones the constants and parameters `op` (and the ops nested in it) uses into stage
/// `stage`, once each. A parameter an earlier stage holds too (a weight used on both sides
/// of a cut, such as the recurrence weights of an unrolled LSTM) gets its own name,
/// `NAME@stageK`, since the artifact stores each rank's parameters under unique names;
/// `placed` holds the names given so far.
void cloneFreeOperands(Operation *op, OpBuilder &builder, IRMapping &mapping, int64_t stage,
                       llvm::StringSet<> &placed) {
  op->walk([&](Operation *nested) {
    for (Value operand : nested->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (!def || !isFreeOp(def) || mapping.contains(operand))
        continue;
      Operation *clone = builder.clone(*def, mapping);
      if (auto param = dyn_cast<onnxir::ParameterOp>(clone)) {
        std::string name = param.getName().str();
        if (!placed.insert(name).second) {
          name += "@stage" + std::to_string(stage);
          param.setName(name);
          placed.insert(name);
        }
      }
    }
  });
}

} // namespace

LogicalResult cleave::outlineStages(ModuleOp module, const PipelinePlan &plan, bool stageIO) {
  module.getContext()->loadDialect<plan::CleaveDialect, pipe::PipeDialect>();
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return module.emitError("pipeline partitioning expects a function @main");
  Graph g = analyse(main, stageIO);
  int64_t count = static_cast<int64_t>(plan.stages.size());
  if (count == 0 || plan.stages.back().end != g.size())
    return module.emitError("internal compiler error: the pipeline plan does not match @main");
  MLIRContext *context = module.getContext();
  context->getOrLoadDialect<pipe::PipeDialect>();
  OpBuilder moduleBuilder(main);
  TensorNames names;
  auto nameArray = [&](ArrayRef<Value> values) {
    SmallVector<Attribute> attrs;
    for (Value v : values)
      attrs.push_back(StringAttr::get(context, names.get(v)));
    return ArrayAttr::get(context, attrs);
  };
  auto returnOp = cast<func::ReturnOp>(main.getBody().front().getTerminator());
  llvm::StringSet<> placedParameters;
  for (int64_t k = 0; k < count; ++k) {
    const StagePlan &stage = plan.stages[k];
    bool first = k == 0, last = k == count - 1;
    // The graph inputs the stage takes and the graph outputs it returns, by index into @main's.
    SmallVector<unsigned> argIndices, resultIndices;
    Block &body = main.getBody().front();
    auto inStage = [&](Operation *user) {
      auto it = g.position.find(body.findAncestorOpInBlock(*user));
      return it != g.position.end() && it->second >= stage.begin && it->second < stage.end;
    };
    for (unsigned i = 0; i < main.getNumArguments(); ++i) {
      bool take = first;
      if (stageIO) {
        // An input no op reads stays with the first stage, so that every input has a stage.
        take = first && main.getArgument(i).use_empty();
        for (OpOperand &use : main.getArgument(i).getUses())
          take = take || inStage(use.getOwner()) ||
                 (last && use.getOwner() == returnOp.getOperation());
      }
      if (take)
        argIndices.push_back(i);
    }
    for (unsigned i = 0; i < main.getNumResults(); ++i) {
      bool give = last;
      if (stageIO) {
        Operation *def = returnOp.getOperand(i).getDefiningOp();
        Operation *top = def ? body.findAncestorOpInBlock(*def) : nullptr;
        give = top && g.position.count(top) ? inStage(top) : last;
      }
      if (give)
        resultIndices.push_back(i);
    }
    SmallVector<Type> argTypes, resultTypes;
    for (unsigned i : argIndices)
      argTypes.push_back(main.getArgument(i).getType());
    for (unsigned i : resultIndices)
      resultTypes.push_back(main.getResultTypes()[i]);
    FunctionType type = FunctionType::get(context, argTypes, resultTypes);
    auto func =
        func::FuncOp::create(moduleBuilder, main.getLoc(), "stage_" + std::to_string(k), type);
    Builder b(context);
    func->setAttr(plan::CleaveDialect::kStageAttr, b.getI64IntegerAttr(k));
    func->setAttr(plan::CleaveDialect::kDeviceAttr, b.getStringAttr(stage.device.name()));
    func->setAttr(plan::CleaveDialect::kEstimateAttr,
                  plan::EstimateAttr::get(context, llvm::APFloat(stage.seconds()),
                                          llvm::APFloat(stage.computeSeconds),
                                          llvm::APFloat(stage.sendSeconds), stage.flops,
                                          stage.bytes,
                                          stage.paramBytes, stage.activationBytes,
                                          stage.sendBytes));
    for (auto [j, i] : llvm::enumerate(argIndices))
      if (DictionaryAttr attrs = main.getArgAttrDict(i))
        func.setArgAttrs(j, attrs);
    for (auto [j, i] : llvm::enumerate(resultIndices))
      if (DictionaryAttr attrs = main.getResultAttrDict(i))
        func.setResultAttrs(j, attrs);
    Block *entry = func.addEntryBlock();
    OpBuilder builder = OpBuilder::atBlockBegin(entry);
    IRMapping mapping;
    for (auto [j, i] : llvm::enumerate(argIndices))
      mapping.map(main.getArgument(i), entry->getArgument(j));
    if (std::vector<Value> received = first ? std::vector<Value>() : g.crossing(stage.begin);
        !received.empty()) {
      SmallVector<Type> types;
      for (Value v : received)
        types.push_back(v.getType());
      auto recv = pipe::RecvOp::create(builder, main.getLoc(), types, k - 1, nameArray(received));
      for (auto [v, r] : llvm::zip(received, recv.getResults()))
        mapping.map(v, r);
    }
    for (int64_t i = stage.begin; i < stage.end; ++i) {
      cloneFreeOperands(g.ops[i], builder, mapping, k, placedParameters);
      builder.clone(*g.ops[i], mapping);
    }
    SmallVector<Value> results;
    if (!resultIndices.empty())
      cloneFreeOperands(returnOp, builder, mapping, k, placedParameters);
    for (unsigned i : resultIndices)
      results.push_back(mapping.lookup(returnOp.getOperand(i)));
    if (last) {
      func::ReturnOp::create(builder, returnOp.getLoc(), results);
    } else {
      // A stage whose successor needs nothing from it (a branch fed only by constants)
      // sends nothing.
      if (std::vector<Value> sent = g.crossing(stage.end); !sent.empty()) {
        SmallVector<Value> operands;
        for (Value v : sent)
          operands.push_back(mapping.lookup(v));
        pipe::SendOp::create(builder, main.getLoc(), operands, k + 1, nameArray(sent));
      }
      func::ReturnOp::create(builder, main.getLoc(), results);
    }
  }
  main.erase();
  return success();
}

namespace {

/// Plans and outlines the stages; devices default to cpu:0 .. cpu:<stages-1>.
struct PartitionPipelinePass
    : public cleave::impl::PartitionPipelinePassBase<PartitionPipelinePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t count = stages.getValue();
    std::string list = devices.getValue();
    if (list.empty())
      list = "cpu:0-" + std::to_string(std::max<int64_t>(count, 1) - 1);
    Cluster cluster;
    std::string error;
    if (!makeCluster(list, deviceFile.getValue(), cluster, error)) {
      module.emitError(error);
      return signalPassFailure();
    }
    if (count == 0)
      count = static_cast<int64_t>(cluster.devices.size());
    FailureOr<PipelinePlan> plan = planPipeline(module, cluster, count);
    if (failed(plan) || failed(outlineStages(module, *plan)))
      return signalPassFailure();
  }
};

} // namespace
