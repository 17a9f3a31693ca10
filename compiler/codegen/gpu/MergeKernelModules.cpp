// Gathers the outlined kernels of a module into one gpu.module, so that one binary holds them.
#include "compiler/Passes.h"

#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_GPUMERGEKERNELMODULESPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

/// The name of the merged kernel module.
constexpr llvm::StringLiteral kMergedName = "cleave_kernels";

struct GpuMergeKernelModulesPass
    : cleave::impl::GpuMergeKernelModulesPassBase<GpuMergeKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> sources(module.getOps<gpu::GPUModuleOp>());
    if (sources.empty())
      return;
    if (module.lookupSymbol(kMergedName)) {
      module.emitError("the symbol '") << kMergedName << "' is already taken";
      return signalPassFailure();
    }
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto merged = gpu::GPUModuleOp::create(b, sources.front().getLoc(), kMergedName);
    if (auto targets = sources.front().getTargetsAttr())
      merged.setTargetsAttr(targets);
    Block &body = merged.getBodyRegion().front();

    // Old (module, kernel) -> new kernel name.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp source : sources) {
      SmallVector<Operation *> ops;
      for (Operation &op : source.getBodyRegion().front())
        ops.push_back(&op);
      bool single = llvm::count_if(ops, [](Operation *op) {
                      return isa<gpu::GPUFuncOp>(op);
                    }) == 1;
      for (Operation *op : ops) {
        auto func = dyn_cast<gpu::GPUFuncOp>(op);
        if (!func) {
          source.emitError("holds an op other than kernels: ") << op->getName();
          return signalPassFailure();
        }
        StringAttr oldName = func.getNameAttr();
        StringAttr newName =
            single ? source.getNameAttr()
                   : b.getStringAttr(source.getName() + "_" + oldName.getValue());
        func->moveBefore(&body, body.end());
        SymbolTable::setSymbolName(func, newName);
        renamed[{source.getNameAttr(), oldName}] = newName;
      }
    }
    WalkResult result = module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = renamed.find({launch.getKernelModuleName(), launch.getKernelName()});
      if (it == renamed.end()) {
        launch.emitError("launches an unknown kernel ") << launch.getKernel();
        return WalkResult::interrupt();
      }
      launch.setKernelAttr(SymbolRefAttr::get(
          b.getStringAttr(kMergedName), {FlatSymbolRefAttr::get(it->second)}));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    for (gpu::GPUModuleOp source : sources)
      source.erase();
  }
};

} // namespace
