// Lowers collective calls, after bufferization, to calls of the runtime through ctx.
#include "compiler/Passes.h"
#include "compiler/partition/TensorParallel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_LOWERCOLLECTIVESPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

/// The runtime's DType number of `type` (runtime/include/cleave/runtime.h), or -1 where the
/// runtime's all-reduce does not support it.
int32_t runtimeDType(Type type) {
  if (type.isF32())
    return 0;
  if (type.isF64())
    return 2;
  if (type.isInteger(64))
    return 3;
  if (type.isInteger(32))
    return 4;
  return -1;
}

struct LowerCollectivesPass : cleave::impl::LowerCollectivesPassBase<LowerCollectivesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) {
      if (auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee()))
        if (callee->hasAttr(kCollectiveAttr))
          calls.push_back(call);
    });
    if (calls.empty())
      return;
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main) {
      module.emitError("collectives need the stage function @main");
      return signalPassFailure();
    }
    auto ptrType = LLVM::LLVMPointerType::get(context);
    if (!main->hasAttr("cleave.ctx_arg")) {
      if (failed(main.insertArgument(0, ptrType, {}, main.getLoc())))
        return signalPassFailure();
      main->setAttr("cleave.ctx_arg", UnitAttr::get(context));
    }
    Value ctx = main.getArgument(0);

    OpBuilder b(context);
    auto i32 = b.getI32Type(), i64 = b.getI64Type();
    auto runtime = module.lookupSymbol<func::FuncOp>("cleave_rt_all_reduce");
    if (!runtime) {
      b.setInsertionPointToStart(module.getBody());
      runtime = func::FuncOp::create(
          b, module.getLoc(), "cleave_rt_all_reduce",
          b.getFunctionType({ptrType, ptrType, ptrType, i64, i32, i32, i32}, {}));
      runtime.setPrivate();
    }
    for (func::CallOp call : calls) {
      if (call->getParentOfType<func::FuncOp>() != main || call.getNumOperands() != 1 ||
          call.getNumResults() != 1) {
        call.emitOpError("expects a collective call with one operand and one result in @main");
        return signalPassFailure();
      }
      auto type = dyn_cast<MemRefType>(call.getOperand(0).getType());
      int32_t dtype = type ? runtimeDType(type.getElementType()) : -1;
      if (!type || !type.hasStaticShape() || dtype < 0) {
        call.emitOpError("all-reduce of ") << call.getOperand(0).getType()
                                           << " is not supported (static f32, f64, i32, i64)";
        return signalPassFailure();
      }
      Location loc = call.getLoc();
      b.setInsertionPoint(call);
      auto contiguous = MemRefType::get(type.getShape(), type.getElementType());
      Value in = call.getOperand(0);
      if (!type.getLayout().isIdentity()) {
        Value copy = memref::AllocOp::create(b, loc, contiguous);
        memref::CopyOp::create(b, loc, in, copy);
        in = copy;
      }
      Value out = memref::AllocOp::create(b, loc, contiguous, b.getI64IntegerAttr(64));
      auto pointer = [&](Value buffer) -> Value {
        Value index = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
        Value word = arith::IndexCastOp::create(b, loc, i64, index);
        return LLVM::IntToPtrOp::create(b, loc, ptrType, word);
      };
      Value inPtr = pointer(in), outPtr = pointer(out);
      Value count = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(type.getNumElements()));
      Value dt = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(dtype));
      Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
      // op 0: sum; group 0: the stage's tensor-parallel group.
      func::CallOp::create(b, loc, runtime, ValueRange{ctx, inPtr, outPtr, count, dt, zero, zero});
      Value result = out;
      if (call.getResult(0).getType() != contiguous)
        result = memref::CastOp::create(b, loc, call.getResult(0).getType(), out);
      call.getResult(0).replaceAllUsesWith(result);
      call.erase();
    }
    for (func::FuncOp decl : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (decl->hasAttr(kCollectiveAttr) && decl.symbolKnownUseEmpty(module))
        decl.erase();
  }
};

} // namespace
