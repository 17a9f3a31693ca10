// Turns onnx.parameter ops into arguments of the entry function.
#include "compiler/Passes.h"

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
        NamedAttribute attrs[] = {
            b.getNamedAttr("cleave.param", param.getNameAttr()),
            b.getNamedAttr("bufferization.writable", b.getBoolAttr(false))};
        if (failed(func.insertArgument(index, param.getType(),
                                       b.getDictionaryAttr(attrs), param.getLoc())))
          return signalPassFailure();
        param.getResult().replaceAllUsesWith(entry.getArgument(index));
        param.erase();
      }
    }
  }
};

} // namespace
