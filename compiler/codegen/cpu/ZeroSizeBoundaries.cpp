// CPU code generation: zero-size tensors at the stage function's boundary become rank 1.
#include "compiler/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_CPUZEROSIZEBOUNDARIESPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

/// `tensor<0xT>` for a static zero-size tensor of another rank, null otherwise.
RankedTensorType flatEmptyType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || tensor.getNumElements() != 0 || tensor.getRank() == 1)
    return {};
  return RankedTensorType::get({0}, tensor.getElementType());
}

struct CpuZeroSizeBoundariesPass
    : cleave::impl::CpuZeroSizeBoundariesPassBase<CpuZeroSizeBoundariesPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<Type> inputs(func.getArgumentTypes());
      SmallVector<Type> results(func.getResultTypes());
      Block &entry = func.getBody().front();
      OpBuilder builder(&entry, entry.begin());
      for (BlockArgument arg : entry.getArguments()) {
        RankedTensorType flat = flatEmptyType(arg.getType());
        if (!flat)
          continue;
        // A zero-size tensor has no data to read: an empty tensor stands in for it.
        auto type = cast<RankedTensorType>(arg.getType());
        Value empty =
            tensor::EmptyOp::create(builder, arg.getLoc(), type.getShape(), type.getElementType());
        arg.replaceAllUsesWith(empty);
        arg.setType(flat);
        inputs[arg.getArgNumber()] = flat;
      }
      func.walk([&](func::ReturnOp ret) {
        OpBuilder b(ret);
        for (OpOperand &operand : ret->getOpOperands()) {
          RankedTensorType flat = flatEmptyType(operand.get().getType());
          if (!flat)
            continue;
          // Nothing is written to a zero-size result; what computed it becomes dead.
          operand.set(
              tensor::EmptyOp::create(b, ret.getLoc(), flat.getShape(), flat.getElementType()));
          results[operand.getOperandNumber()] = flat;
        }
      });
      func.setFunctionType(FunctionType::get(&getContext(), inputs, results));
    }
  }
};

} // namespace
