// Brackets each op group of a stage with calls of the runtime that time it (--profile-ops).
#include "compiler/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_CPUPROFILEOPSPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

/// The ONNX node names in `loc`, in order, added to `names`.
void collectNodeNames(Location loc, llvm::SetVector<StringRef> &names) {
  loc->walk([&](Location inner) {
    if (auto name = dyn_cast<NameLoc>(inner))
      names.insert(name.getName().getValue());
    return WalkResult::advance();
  });
}

/// Whether `op` does work worth timing: anything with a region, a call, or an op that
/// writes memory. Allocations, deallocations, views and pure ops do none.
bool doesWork(Operation *op) {
  if (op->getNumRegions() != 0 || isa<CallOpInterface>(op))
    return true;
  if (isa<ViewLikeOpInterface>(op) || isPure(op))
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return true;
  return effects.hasEffect<MemoryEffects::Write>() || effects.hasEffect<MemoryEffects::Read>();
}

struct Group {
  Operation *first = nullptr, *last = nullptr;
  llvm::SetVector<StringRef> nodes;
};

struct CpuProfileOpsPass : cleave::impl::CpuProfileOpsPassBase<CpuProfileOpsPass> {
  func::FuncOp declare(ModuleOp module, StringRef name) {
    if (auto decl = module.lookupSymbol<func::FuncOp>(name))
      return decl;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    auto ptr = LLVM::LLVMPointerType::get(&getContext());
    auto decl = func::FuncOp::create(b, module.getLoc(), name,
                                     b.getFunctionType({ptr, b.getI32Type()}, {}));
    decl.setPrivate();
    return decl;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main || main.isExternal()) {
      module.emitError("profiling op groups needs the stage function @main");
      return signalPassFailure();
    }
    if (!main.getBody().hasOneBlock()) {
      main.emitOpError("must have one block to have its op groups timed");
      return signalPassFailure();
    }

    // Groups: runs of working ops from the same nodes. An op of no node joins the group
    // before it (the copies bufferization adds into results).
    std::vector<Group> groups;
    for (Operation &op : main.getBody().front().without_terminator()) {
      if (!doesWork(&op))
        continue;
      llvm::SetVector<StringRef> nodes;
      collectNodeNames(op.getLoc(), nodes);
      op.walk([&](Operation *nested) { collectNodeNames(nested->getLoc(), nodes); });
      if (!groups.empty() && (nodes.empty() || nodes == groups.back().nodes)) {
        groups.back().last = &op;
        continue;
      }
      groups.push_back({&op, &op, std::move(nodes)});
    }
    if (groups.empty())
      return;

    auto ptrType = LLVM::LLVMPointerType::get(context);
    if (!main->hasAttr(plan::CleaveDialect::kCtxArgAttr)) {
      if (failed(main.insertArgument(0, ptrType, {}, main.getLoc())))
        return signalPassFailure();
      main->setAttr(plan::CleaveDialect::kCtxArgAttr, UnitAttr::get(context));
    }
    Value ctx = main.getArgument(0);
    func::FuncOp begin = declare(module, plan::kProfBeginRuntimeFn);
    func::FuncOp end = declare(module, plan::kProfEndRuntimeFn);

    OpBuilder b(context);
    SmallVector<Attribute> records;
    for (auto [index, group] : llvm::enumerate(groups)) {
      auto id = static_cast<int32_t>(index);
      Location loc = group.first->getLoc();
      b.setInsertionPoint(group.first);
      Value idValue = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(id));
      func::CallOp::create(b, loc, begin, ValueRange{ctx, idValue});
      b.setInsertionPointAfter(group.last);
      func::CallOp::create(b, group.last->getLoc(), end, ValueRange{ctx, idValue});
      SmallVector<Attribute> nodes;
      for (StringRef node : group.nodes)
        nodes.push_back(b.getStringAttr(node));
      records.push_back(plan::OpGroupAttr::get(context, id, b.getArrayAttr(nodes)));
    }
    module->setAttr(plan::CleaveDialect::kOpGroupsAttr, b.getArrayAttr(records));
  }
};

} // namespace
