// Splitting a partitioned module into one module per stage for per-device code generation.
#include "compiler/partition/SplitStages.h"

#include "compiler/Passes.h"
#include "dialects/Cleave/IR/CleaveOps.h"
#include "dialects/Pipe/IR/PipeOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace cleave {
#define GEN_PASS_DEF_SPLITSTAGESPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

using namespace mlir;
using namespace cleave;

namespace {

/// Rewrites a stage function (already cloned into its own module) into the @main shape.
LogicalResult rewriteStage(func::FuncOp func) {
  MLIRContext *context = func.getContext();
  Builder b(context);
  SmallVector<pipe::RecvOp> recvs(func.getOps<pipe::RecvOp>());
  SmallVector<pipe::SendOp> sends;
  func.walk([&](pipe::SendOp op) { sends.push_back(op); });
  SmallVector<pipe::RecvOp> allRecvs;
  func.walk([&](pipe::RecvOp op) { allRecvs.push_back(op); });
  if (allRecvs.size() > 1 || sends.size() > 1 || allRecvs.size() != recvs.size())
    return func.emitError("stage '")
           << func.getSymName()
           << "' must hold at most one pipe.recv and one pipe.send, in its body";
  Block &entry = func.getBody().front();
  if (!recvs.empty()) {
    pipe::RecvOp recv = recvs.front();
    unsigned count = recv.getNumResults();
    SmallVector<unsigned> indices(count, 0);
    SmallVector<Type> types(recv.getResultTypes());
    SmallVector<DictionaryAttr> attrs;
    SmallVector<Location> locs(count, recv.getLoc());
    for (Attribute name : recv.getNames())
      attrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
          plan::CleaveDialect::kRecvAttr,
          plan::TransferAttr::get(context, cast<StringAttr>(name), recv.getFrom()))));
    if (failed(func.insertArguments(indices, types, attrs, locs)))
      return func.emitError("cannot add the received tensors as arguments");
    for (unsigned i = 0; i < count; ++i)
      recv.getResult(i).replaceAllUsesWith(entry.getArgument(i));
    recv.erase();
  }
  if (!sends.empty()) {
    pipe::SendOp send = sends.front();
    auto ret = dyn_cast<func::ReturnOp>(send->getNextNode());
    if (!ret || send->getBlock() != &entry)
      return func.emitError("stage '") << func.getSymName() << "' must end with its pipe.send";
    unsigned first = func.getNumResults();
    SmallVector<unsigned> indices(send.getValues().size(), first);
    SmallVector<Type> types(send.getValues().getTypes());
    SmallVector<DictionaryAttr> attrs;
    for (Attribute name : send.getNames())
      attrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
          plan::CleaveDialect::kSendAttr,
          plan::TransferAttr::get(context, cast<StringAttr>(name), send.getTo()))));
    if (failed(func.insertResults(indices, types, attrs)))
      return func.emitError("cannot add the sent tensors as results");
    ret->insertOperands(ret->getNumOperands(), send.getValues());
    send.erase();
  }
  func.setSymName("main");
  return success();
}

} // namespace

FailureOr<std::vector<OwningOpRef<ModuleOp>>> cleave::splitStages(ModuleOp partitioned) {
  partitioned.getContext()->loadDialect<plan::CleaveDialect>();
  std::vector<func::FuncOp> stages;
  for (auto func : partitioned.getOps<func::FuncOp>()) {
    std::optional<int64_t> id = plan::stageOf(func);
    if (!id)
      return partitioned.emitError("function '")
             << func.getSymName() << "' is not a pipeline stage (no cleave.stage)";
    if (*id != static_cast<int64_t>(stages.size()))
      return partitioned.emitError("expects stages in order 0, 1, ..., got stage ")
             << *id << " at position " << stages.size();
    stages.push_back(func);
  }
  if (stages.empty())
    return partitioned.emitError("expects pipeline stages (functions with cleave.stage)");
  std::vector<OwningOpRef<ModuleOp>> modules;
  for (func::FuncOp stage : stages) {
    OwningOpRef<ModuleOp> module = ModuleOp::create(partitioned.getLoc());
    OpBuilder builder = OpBuilder::atBlockEnd(module->getBody());
    auto func = cast<func::FuncOp>(builder.clone(*stage));
    if (failed(rewriteStage(func)))
      return failure();
    modules.push_back(std::move(module));
  }
  return modules;
}

namespace {

/// Replaces the module's content by the stage modules, nested, for inspection.
struct SplitStagesPass : public cleave::impl::SplitStagesPassBase<SplitStagesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto modules = splitStages(module);
    if (failed(modules))
      return signalPassFailure();
    // Only the stage modules remain, nested, named after their stages.
    for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
      op.erase();
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    for (auto [k, stage] : llvm::enumerate(*modules)) {
      ModuleOp nested = stage.release();
      nested.setSymName("stage_" + std::to_string(k));
      builder.insert(nested);
    }
  }
};

} // namespace
