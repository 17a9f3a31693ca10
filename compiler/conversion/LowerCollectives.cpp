// Lowers collectives on buffers, after bufferization, to calls of the runtime through ctx.
#include "compiler/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_LOWERCOLLECTIVESPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

struct LowerCollectivesPass : cleave::impl::LowerCollectivesPassBase<LowerCollectivesPass> {
  /// The runtime function `name`, declared on first use: (ctx, in, out, count, dtype[, op],
  /// group).
  func::FuncOp runtimeDecl(ModuleOp module, StringRef name, bool takesOp) {
    if (auto decl = module.lookupSymbol<func::FuncOp>(name))
      return decl;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    auto ptr = LLVM::LLVMPointerType::get(&getContext());
    auto i32 = b.getI32Type(), i64 = b.getI64Type();
    SmallVector<Type> inputs{ptr, ptr, ptr, i64, i32};
    if (takesOp)
      inputs.push_back(i32);
    inputs.push_back(i32);
    auto decl = func::FuncOp::create(b, module.getLoc(), name, b.getFunctionType(inputs, {}));
    decl.setPrivate();
    return decl;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    SmallVector<Operation *> collectives;
    bool onTensors = false;
    module.walk([&](Operation *op) {
      if (!isa<plan::AllReduceOp, plan::AllGatherOp>(op))
        return;
      collectives.push_back(op);
      onTensors |= op->getNumResults() != 0;
    });
    if (collectives.empty())
      return;
    if (onTensors) {
      collectives.front()->emitOpError("must be bufferized before its collectives are lowered");
      return signalPassFailure();
    }
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main) {
      module.emitError("collectives need the stage function @main");
      return signalPassFailure();
    }
    auto ptrType = LLVM::LLVMPointerType::get(context);
    if (!main->hasAttr(plan::CleaveDialect::kCtxArgAttr)) {
      if (failed(main.insertArgument(0, ptrType, {}, main.getLoc())))
        return signalPassFailure();
      main->setAttr(plan::CleaveDialect::kCtxArgAttr, UnitAttr::get(context));
    }
    Value ctx = main.getArgument(0);

    OpBuilder b(context);
    auto i64 = b.getI64Type(), i32 = b.getI32Type();
    for (Operation *op : collectives) {
      if (op->getParentOfType<func::FuncOp>() != main) {
        op->emitOpError("must be in the stage function @main");
        return signalPassFailure();
      }
      bool reduce = isa<plan::AllReduceOp>(op);
      Value in = op->getOperand(0), out = op->getOperand(1);
      auto inType = cast<MemRefType>(in.getType()), outType = cast<MemRefType>(out.getType());
      Location loc = op->getLoc();
      b.setInsertionPoint(op);
      // The runtime reads and writes contiguous elements: strided views go through copies.
      auto contiguous = [&](MemRefType type) {
        return MemRefType::get(type.getShape(), type.getElementType());
      };
      if (!inType.getLayout().isIdentity()) {
        Value copy = memref::AllocOp::create(b, loc, contiguous(inType));
        memref::CopyOp::create(b, loc, in, copy);
        in = copy;
      }
      Value target = out;
      if (!outType.getLayout().isIdentity())
        target = memref::AllocOp::create(b, loc, contiguous(outType), b.getI64IntegerAttr(64));
      auto pointer = [&](Value buffer) -> Value {
        Value index = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
        Value word = arith::IndexCastOp::create(b, loc, i64, index);
        return LLVM::IntToPtrOp::create(b, loc, ptrType, word);
      };
      auto constant = [&](Type type, int64_t value) -> Value {
        return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, value));
      };
      cleave_dtype dtype = reduce ? cast<plan::AllReduceOp>(op).getDType()
                                  : cast<plan::AllGatherOp>(op).getDType();
      // count: the elements each rank contributes.
      SmallVector<Value> operands{ctx, pointer(in), pointer(target),
                                  constant(i64, inType.getNumElements()), constant(i32, dtype)};
      if (reduce)
        operands.push_back(constant(i32, CLEAVE_REDUCE_SUM));
      operands.push_back(constant(i32, CLEAVE_GROUP_STAGE));
      func::CallOp::create(b, loc, runtimeDecl(module, reduce ? plan::kAllReduceRuntimeFn : plan::kAllGatherRuntimeFn, reduce),
                           operands);
      if (target != out)
        memref::CopyOp::create(b, loc, target, out);
      op->erase();
    }
  }
};

} // namespace
