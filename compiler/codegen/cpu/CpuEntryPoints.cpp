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
    for (unsigned i = 0; i < impl.getNumArguments(); ++i) {
      Value slot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, args,
                                       ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
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
    // The stage implementation is internal: only the C entry points are the ABI.
    impl.setLinkage(LLVM::Linkage::Internal);
  }
};

} // namespace
