// The onnx-level dialect: shared verifiers, cost defaults, and the generated op definitions.
#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace cleave::onnxir;

std::optional<SmallVector<int64_t>>
cleave::onnxir::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    result[i] = da == 1 ? db : da;
  }
  return result;
}

FailureOr<SmallVector<int64_t>>
cleave::onnxir::inferBroadcastShape(TypeRange operands,
                                    function_ref<InFlightDiagnostic()> emitError) {
  SmallVector<int64_t> shape;
  for (Type type : operands) {
    auto merged = broadcastShapes(shape, cast<RankedTensorType>(type).getShape());
    if (!merged)
      return emitError() << "operand shapes do not broadcast: " << operands;
    shape = *merged;
  }
  return shape;
}

LogicalResult cleave::onnxir::verifyBroadcastOp(Operation *op) {
  auto shape = inferBroadcastShape(op->getOperandTypes(), [&] { return op->emitOpError(); });
  if (failed(shape))
    return failure();
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  if (resultType.getShape() != ArrayRef<int64_t>(*shape))
    return op->emitOpError("expects result shape to be the broadcast shape of its operands, got ")
           << resultType;
  return success();
}

LogicalResult cleave::onnxir::verifyResultShape(Operation *op, ArrayRef<int64_t> expected) {
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  if (result.getShape() != expected)
    return op->emitOpError("expects result shape ")
           << RankedTensorType::get(expected, result.getElementType()) << ", got " << result;
  return success();
}

int64_t cleave::onnxir::tensorBytes(Type type) {
  auto shaped = dyn_cast<RankedTensorType>(type);
  if (!shaped || !shaped.hasStaticShape())
    return 0;
  int64_t bits = shaped.getElementType().getIntOrFloatBitWidth();
  return shaped.getNumElements() * std::max<int64_t>(1, bits / 8);
}

int64_t cleave::onnxir::defaultFlops(Operation *op) {
  int64_t flops = 0;
  for (Type type : op->getResultTypes())
    if (auto shaped = dyn_cast<RankedTensorType>(type); shaped && shaped.hasStaticShape())
      flops += shaped.getNumElements();
  return flops;
}

int64_t cleave::onnxir::defaultBytes(Operation *op) {
  int64_t bytes = 0;
  for (Type type : op->getOperandTypes())
    bytes += tensorBytes(type);
  for (Type type : op->getResultTypes())
    bytes += tensorBytes(type);
  return bytes;
}

std::optional<int64_t> cleave::onnxir::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

StringRef cleave::onnxir::nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().getValue();
  return {};
}

std::string cleave::onnxir::nodeName(Operation *op) {
  StringRef name = nodeName(op->getLoc());
  return (name.empty() ? op->getName().getStringRef() : name).str();
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

#include "dialects/Onnx/IR/OnnxInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/Onnx/IR/OnnxOps.cpp.inc"
