// ONNX import patterns: elementwise ops (arithmetic, activations, comparisons, casts).
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave;

namespace {

/// The result type of a broadcasting op over `operands`, with `elementType`.
FailureOr<RankedTensorType> broadcastType(NodeImporter &n, ArrayRef<Value> operands,
                                          Type elementType) {
  SmallVector<int64_t> shape;
  for (Value v : operands) {
    auto merged = onnxir::broadcastShapes(shape, cast<RankedTensorType>(v.getType()).getShape());
    if (!merged) {
      n.emitError() << "operand shapes do not broadcast";
      return failure();
    }
    shape = *merged;
  }
  return RankedTensorType::get(shape, elementType);
}

template <typename OpTy>
ImportFn binary() {
  return [](NodeImporter &n, SmallVectorImpl<Value> &results) -> LogicalResult {
    Value lhs = n.operand(0), rhs = n.operand(1);
    if (!lhs || !rhs)
      return n.emitError() << "expects two inputs";
    if (n.operandType(0).getElementType() != n.operandType(1).getElementType())
      return n.emitError() << "operand element types differ: " << n.operandType(0) << ", "
                           << n.operandType(1);
    auto type = broadcastType(n, {lhs, rhs}, n.operandType(0).getElementType());
    if (failed(type))
      return failure();
    results.push_back(OpTy::create(n.builder, n.loc, *type, lhs, rhs));
    return success();
  };
}

template <typename OpTy>
ImportFn unary() {
  return [](NodeImporter &n, SmallVectorImpl<Value> &results) -> LogicalResult {
    if (!n.operand(0))
      return n.emitError() << "expects one input";
    results.push_back(OpTy::create(n.builder, n.loc, n.operand(0)));
    return success();
  };
}

} // namespace

void cleave::populateElementwiseImporters(OpImporterRegistry &registry) {
  // Opset 7 introduced numpy broadcasting for the arithmetic ops; earlier versions (with
  // `broadcast`/`axis` attributes) are not supported.
  registry.add("Add", 7, binary<onnxir::AddOp>());
  registry.add("Sub", 7, binary<onnxir::SubOp>());
  registry.add("Mul", 7, binary<onnxir::MulOp>());
  registry.add("Div", 7, binary<onnxir::DivOp>());
  registry.add("Relu", 6, unary<onnxir::ReluOp>());
}
