// Adds the runtime's C entry points to a module lowered to the LLVM dialect.
#include "compiler/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_CPUENTRYPOINTSPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

struct CpuEntryPointsPass : cleave::impl::CpuEntryPointsPassBase<CpuEntryPointsPass> {
  using CpuEntryPointsPassBase::CpuEntryPointsPassBase;

  /// Gives `decl` (whose first argument is ctx) a body that calls entry `slot` of the
  /// runtime's function table, which ctx's first member points to.
  void defineTableCall(LLVM::LLVMFuncOp decl, int32_t slot) {
    MLIRContext *context = &getContext();
    auto ptrType = LLVM::LLVMPointerType::get(context);
    Location loc = decl.getLoc();
    OpBuilder b(context);
    Block *block = decl.addEntryBlock(b);
    b.setInsertionPointToStart(block);
    Value table = LLVM::LoadOp::create(b, loc, ptrType, block->getArgument(0));
    Value entry = LLVM::GEPOp::create(b, loc, ptrType, ptrType, table,
                                      ArrayRef<LLVM::GEPArg>{slot});
    Value fn = LLVM::LoadOp::create(b, loc, ptrType, entry);
    SmallVector<Value> operands{fn};
    llvm::append_range(operands, block->getArguments());
    LLVM::CallOp::create(b, loc, decl.getFunctionType(), operands);
    LLVM::ReturnOp::create(b, loc, ValueRange{});
    decl.setLinkage(LLVM::Linkage::Internal);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    auto impl = module.lookupSymbol<LLVM::LLVMFuncOp>(implName.getValue());
    if (!impl) {
      module.emitError("the stage function '") << implName.getValue()
                        << "' could not be lowered to the LLVM dialect";
      return signalPassFailure();
    }
    auto ptrType = LLVM::LLVMPointerType::get(context);
    auto voidType = LLVM::LLVMVoidType::get(context);
    for (Type type : impl.getFunctionType().getParams())
      if (type != ptrType) {
        impl.emitError("expects only pointer arguments (bare-pointer memrefs), got ") << type;
        return signalPassFailure();
      }

    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = impl.getLoc();
    // void cleave_stage_N(void *ctx, void **args)
    auto entryType = LLVM::LLVMFunctionType::get(voidType, {ptrType, ptrType});
    auto entry = LLVM::LLVMFuncOp::create(b, loc, entryName.getValue(), entryType);
    Block *block = entry.addEntryBlock(b);
    b.setInsertionPointToStart(block);
    Value args = block->getArgument(1);
    SmallVector<Value> operands;
    // A stage that calls the runtime (cleave-lower-collectives) takes ctx first.
    unsigned first = impl->hasAttr("cleave.ctx_arg") ? 1 : 0;
    if (first)
      operands.push_back(block->getArgument(0));
    for (unsigned i = first; i < impl.getNumArguments(); ++i) {
      Value slot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, args,
                                       ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i - first)});
      operands.push_back(LLVM::LoadOp::create(b, loc, ptrType, slot));
    }
    LLVM::CallOp::create(b, loc, impl, operands);
    LLVM::ReturnOp::create(b, loc, ValueRange{});

    if (!module.lookupSymbol("cleave_abi_version")) {
      b.setInsertionPointToEnd(module.getBody());
      auto i32 = IntegerType::get(context, 32);
      auto versionFn = LLVM::LLVMFuncOp::create(b, loc, "cleave_abi_version",
                                                LLVM::LLVMFunctionType::get(i32, {}));
      Block *vb = versionFn.addEntryBlock(b);
      b.setInsertionPointToStart(vb);
      Value one = LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(1));
      LLVM::ReturnOp::create(b, loc, one);
    }
    // Runtime functions are reached through the table at ctx (CleaveStageContext in
    // runtime/src/core/stage_context.h), not as symbols of the host process.
    if (auto allReduce = module.lookupSymbol<LLVM::LLVMFuncOp>("cleave_rt_all_reduce");
        allReduce && allReduce.isExternal())
      defineTableCall(allReduce, /*slot=*/0);
    // The stage implementation is internal: only the C entry points are the ABI.
    impl.setLinkage(LLVM::Linkage::Internal);
  }
};

} // namespace
