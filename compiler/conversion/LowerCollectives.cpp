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

/// The collectives this pass lowers: the value of `cleave.collective` on the declaration,
/// the runtime function a call becomes and its type after (ctx, in, out, count, dtype).
struct CollectiveKind {
  StringRef name, runtime;
  bool hasOp; ///< takes a reduction op (all-reduce) before the group
};
constexpr CollectiveKind kAllReduce{"all_reduce_sum", "cleave_rt_all_reduce", true};
constexpr CollectiveKind kAllGather{"all_gather", "cleave_rt_all_gather", false};

struct LowerCollectivesPass : cleave::impl::LowerCollectivesPassBase<LowerCollectivesPass> {
  /// The runtime function of `kind`, declared on first use.
  func::FuncOp runtimeDecl(ModuleOp module, const CollectiveKind &kind) {
    if (auto decl = module.lookupSymbol<func::FuncOp>(kind.runtime))
      return decl;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    auto ptr = LLVM::LLVMPointerType::get(&getContext());
    auto i32 = b.getI32Type(), i64 = b.getI64Type();
    SmallVector<Type> inputs{ptr, ptr, ptr, i64, i32};
    if (kind.hasOp)
      inputs.push_back(i32);
    inputs.push_back(i32);
    auto decl =
        func::FuncOp::create(b, module.getLoc(), kind.runtime, b.getFunctionType(inputs, {}));
    decl.setPrivate();
    return decl;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    SmallVector<std::pair<func::CallOp, const CollectiveKind *>> calls;
    bool unknown = false;
    module.walk([&](func::CallOp call) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || !callee->hasAttr(kCollectiveAttr))
        return;
      auto kind = callee->getAttrOfType<StringAttr>(kCollectiveAttr);
      if (kind && kind.getValue() == kAllReduce.name) {
        calls.push_back({call, &kAllReduce});
      } else if (kind && kind.getValue() == kAllGather.name) {
        calls.push_back({call, &kAllGather});
      } else {
        call.emitOpError("calls a collective of unknown kind ")
            << callee->getAttr(kCollectiveAttr) << " (expected \"" << kAllReduce.name << "\" or \""
            << kAllGather.name << "\")";
        unknown = true;
      }
    });
    if (unknown)
      return signalPassFailure();
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
    auto i64 = b.getI64Type();
    for (auto [call, kind] : calls) {
      if (call->getParentOfType<func::FuncOp>() != main || call.getNumOperands() != 1 ||
          call.getNumResults() != 1) {
        call.emitOpError("expects a collective call with one operand and one result in @main");
        return signalPassFailure();
      }
      bool gather = kind == &kAllGather;
      auto type = dyn_cast<MemRefType>(call.getOperand(0).getType());
      auto resultType = dyn_cast<MemRefType>(call.getResult(0).getType());
      int32_t dtype =
          type ? (gather ? allGatherDType(type.getElementType()) : allReduceDType(type.getElementType()))
               : -1;
      if (!type || !type.hasStaticShape() || dtype < 0) {
        if (gather)
          call.emitOpError("all-gather of ")
              << call.getOperand(0).getType()
              << " is not supported (static f32, f16, bf16, f64 or integers of 8 to 64 bits)";
        else
          call.emitOpError("all-reduce of ")
              << call.getOperand(0).getType() << " is not supported (static f32, f64, i32, i64)";
        return signalPassFailure();
      }
      // All-reduce: the result has the operand's shape; all-gather: one leading dim more,
      // the group's size (the ranks' operands, rank-major).
      if (!resultType || !resultType.hasStaticShape() ||
          resultType.getElementType() != type.getElementType() ||
          (gather ? resultType.getRank() != type.getRank() + 1 ||
                        resultType.getShape().drop_front() != type.getShape() ||
                        resultType.getDimSize(0) < 1
                  : resultType.getShape() != type.getShape())) {
        call.emitOpError(gather ? "all-gather of " : "all-reduce of ")
            << type << " cannot give " << call.getResult(0).getType()
            << (gather ? " (expected the operand's shape after a leading group-size dim)"
                       : " (expected the operand's shape)");
        return signalPassFailure();
      }
      Location loc = call.getLoc();
      b.setInsertionPoint(call);
      auto contiguous = MemRefType::get(type.getShape(), type.getElementType());
      auto contiguousResult = MemRefType::get(resultType.getShape(), resultType.getElementType());
      Value in = call.getOperand(0);
      if (!type.getLayout().isIdentity()) {
        Value copy = memref::AllocOp::create(b, loc, contiguous);
        memref::CopyOp::create(b, loc, in, copy);
        in = copy;
      }
      Value out = memref::AllocOp::create(b, loc, contiguousResult, b.getI64IntegerAttr(64));
      auto pointer = [&](Value buffer) -> Value {
        Value index = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
        Value word = arith::IndexCastOp::create(b, loc, i64, index);
        return LLVM::IntToPtrOp::create(b, loc, ptrType, word);
      };
      Value inPtr = pointer(in), outPtr = pointer(out);
      // count: the elements each rank contributes.
      Value count = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(type.getNumElements()));
      Value dt = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(dtype));
      Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
      SmallVector<Value> operands{ctx, inPtr, outPtr, count, dt};
      // op 0: sum; group 0: the stage's tensor-parallel group.
      if (kind->hasOp)
        operands.push_back(zero);
      operands.push_back(zero);
      func::CallOp::create(b, loc, runtimeDecl(module, *kind), operands);
      Value result = out;
      if (call.getResult(0).getType() != contiguousResult)
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
