// The onnx-level dialect: verifiers of the index ops (GatherElements, the losses).
#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave::onnxir;

namespace {

RankedTensorType tensorType(Value value) { return cast<RankedTensorType>(value.getType()); }

} // namespace

LogicalResult GatherElementsOp::verify() {
  auto data = tensorType(getData());
  auto indices = tensorType(getIndices());
  if (data.getRank() == 0 || indices.getRank() != data.getRank())
    return emitOpError("expects data and indices of one rank, 1 or more, got ")
           << data << " and " << indices;
  if (getAxis() >= data.getRank())
    return emitOpError("axis ") << getAxis() << " is out of range for an input of rank "
                                << data.getRank();
  return verifyResultShape(*this, indices.getShape());
}

LogicalResult NegativeLogLikelihoodLossOp::verify() {
  auto input = tensorType(getInput());
  auto target = tensorType(getTarget());
  if (input.getRank() < 2)
    return emitOpError("expects an input of rank 2 or more (N x C x ...), got ") << input;
  SmallVector<int64_t> targetShape(input.getShape());
  targetShape.erase(targetShape.begin() + 1);
  if (target.getShape() != ArrayRef<int64_t>(targetShape))
    return emitOpError("expects a target of shape ")
           << RankedTensorType::get(targetShape, target.getElementType()) << ", got " << target;
  if (Value weight = getWeight()) {
    auto type = tensorType(weight);
    if (type.getRank() != 1 || type.getDimSize(0) != input.getDimSize(1) ||
        type.getElementType() != input.getElementType())
      return emitOpError("expects a weight of shape [")
             << input.getDimSize(1) << "] and the input's element type, got " << type;
  }
  if (getReduction() == "none")
    return verifyResultShape(*this, targetShape);
  return verifyResultShape(*this, {});
}
