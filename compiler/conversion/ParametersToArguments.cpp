// Turns onnx.parameter ops into arguments of the entry function.
#include "compiler/Passes.h"

#include "dialects/Cleave/IR/CleaveOps.h"
#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_PARAMETERSTOARGUMENTSPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

struct ParametersToArgumentsPass
    : cleave::impl::ParametersToArgumentsPassBase<ParametersToArgumentsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<onnxir::ParameterOp> params;
      func.walk([&](onnxir::ParameterOp op) { params.push_back(op); });
      Block &entry = func.getBody().front();
      OpBuilder b(func);
      // Graph inputs are never written by the stage (bufferization must not reuse them).
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        func.setArgAttr(i, "bufferization.writable", b.getBoolAttr(false));
      for (onnxir::ParameterOp param : params) {
        unsigned index = func.getNumArguments();
        // After lowering, unsigned weights are used through casts to signless types.
        auto paramType = cast<RankedTensorType>(param.getType());
        Type elementType = paramType.getElementType();
        if (auto intType = dyn_cast<IntegerType>(elementType); intType && !intType.isSignless())
          elementType = IntegerType::get(intType.getContext(), intType.getWidth());
        auto argType = RankedTensorType::get(paramType.getShape(), elementType);
        NamedAttribute attrs[] = {
            b.getNamedAttr(plan::CleaveDialect::kParamAttr, param.getNameAttr()),
            b.getNamedAttr(plan::CleaveDialect::kParamValueAttr, param.getValue()),
            b.getNamedAttr("bufferization.writable", b.getBoolAttr(false))};
        if (failed(func.insertArgument(index, argType, b.getDictionaryAttr(attrs),
                                       param.getLoc())))
          return signalPassFailure();
        Value arg = entry.getArgument(index);
        for (OpOperand &use : llvm::make_early_inc_range(param->getUses())) {
          auto castOp = dyn_cast<UnrealizedConversionCastOp>(use.getOwner());
          if (castOp && castOp->getNumResults() == 1 && castOp.getResult(0).getType() == argType) {
            castOp.getResult(0).replaceAllUsesWith(arg);
            castOp.erase();
          } else if (argType == paramType) {
            use.set(arg);
          }
        }
        if (!param->use_empty()) {
          param.emitError("parameter '") << param.getName() << "' has a use of another type";
          return signalPassFailure();
        }
        param.erase();
      }
    }
  }
};

} // namespace
