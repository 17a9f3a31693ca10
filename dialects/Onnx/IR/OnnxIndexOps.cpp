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

FailureOr<SmallVector<int64_t>>
GatherNDOp::inferShape(ArrayRef<int64_t> data, ArrayRef<int64_t> indices, int64_t batchDims,
                       function_ref<InFlightDiagnostic()> emitError) {
  int64_t q = indices.size(), r = data.size();
  if (q == 0 || indices.back() == ShapedType::kDynamic)
    return emitError() << "expects indices of rank 1 or more with a static last dim";
  int64_t k = indices.back();
  if (batchDims >= std::min(q, r) || k < 1 || batchDims + k > r)
    return emitError() << "expects 1 <= k <= rank(data) - batch_dims and batch_dims < "
                          "rank(indices), rank(data); got k = "
                       << k << ", batch_dims = " << batchDims << ", rank(data) = " << r;
  if (data.take_front(batchDims) != indices.take_front(batchDims))
    return emitError() << "expects data and indices to agree on the first " << batchDims
                       << " (batch) dims";
  SmallVector<int64_t> shape(indices.drop_back());
  llvm::append_range(shape, data.drop_front(batchDims + k));
  return shape;
}

LogicalResult GatherNDOp::verify() {
  auto shape = inferShape(tensorType(getData()).getShape(), tensorType(getIndices()).getShape(),
                          getBatchDims(), [&] { return emitOpError(); });
  return failed(shape) ? failure() : verifyResultShape(*this, *shape);
}

LogicalResult ScatterElementsOp::verify() {
  auto data = tensorType(getData());
  auto indices = tensorType(getIndices());
  auto updates = tensorType(getUpdates());
  if (data.getRank() == 0 || indices.getRank() != data.getRank() ||
      indices.getShape() != updates.getShape())
    return emitOpError("expects indices and updates of one shape and the data's rank, got ")
           << indices << " and " << updates;
  if (getAxis() >= data.getRank())
    return emitOpError("axis ") << getAxis() << " is out of range for an input of rank "
                                << data.getRank();
  for (int64_t d = 0; d < data.getRank(); ++d)
    if (d != getAxis() && updates.getDimSize(d) > data.getDimSize(d))
      return emitOpError("expects updates no larger than the data outside the axis, got ")
             << updates << " for " << data;
  return success();
}

LogicalResult ScatterNDOp::verify() {
  auto data = tensorType(getData());
  auto indices = tensorType(getIndices());
  auto updates = tensorType(getUpdates());
  int64_t q = indices.getRank(), r = data.getRank();
  int64_t k = q > 0 ? indices.getDimSize(q - 1) : 0;
  if (q == 0 || k < 1 || k > r)
    return emitOpError("expects indices whose last dim k is between 1 and the data's rank, got ")
           << indices;
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(k));
  if (updates.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("expects updates of shape ")
           << RankedTensorType::get(expected, updates.getElementType()) << ", got " << updates;
  return success();
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
