// The onnx-level dialect: verifiers and costs of the normalisation, softmax and reduction ops.
#include "dialects/Onnx/IR/OnnxOps.h"

#include <algorithm>

using namespace mlir;
using namespace cleave::onnxir;

namespace {

int64_t numElements(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return type.hasStaticShape() ? type.getNumElements() : 0;
}

/// Shared verifier of the reductions.
LogicalResult verifyReduce(Operation *op, ArrayRef<int64_t> axes, bool keepdims) {
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  auto shape = inferReducedShape(in.getShape(), axes, keepdims, [&] { return op->emitOpError(); });
  return failed(shape) ? failure() : verifyResultShape(op, *shape);
}

LogicalResult verifySoftmax(Operation *op, int64_t axis) {
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  if (in.getRank() == 0)
    return op->emitOpError("expects an input of rank 1 or more");
  if (!normalizeAxis(axis, in.getRank()))
    return op->emitOpError("axis ")
           << axis << " is out of range for an input of rank " << in.getRank();
  return success();
}

/// Whether `operand` broadcasts unidirectionally (numpy-style, right-aligned) to `shape`.
bool broadcastsTo(RankedTensorType operand, ArrayRef<int64_t> shape) {
  if (operand.getRank() > static_cast<int64_t>(shape.size()))
    return false;
  int64_t offset = shape.size() - operand.getRank();
  for (int64_t i = 0; i < operand.getRank(); ++i)
    if (operand.getDimSize(i) != 1 && operand.getDimSize(i) != shape[i + offset])
      return false;
  return true;
}

/// Folds a reduction of a constant of signed integers (shape arithmetic: the element count
/// of some dims, the largest index): `combine` starting from `init` over each reduced slice
/// (wrapping as the lowering's integer arithmetic does). Null for other element types, an
/// empty Max/Min or a result too large to fold into.
OpFoldResult foldIntReduce(Operation *op, Attribute input, ArrayRef<int64_t> axes,
                           std::optional<int64_t> init,
                           function_ref<int64_t(int64_t, int64_t)> combine) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(input);
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  Type elementType = type.getElementType();
  if (!dense || !type.hasStaticShape() || type.getNumElements() > kMaxFoldElements ||
      !elementType.isSignlessInteger() || elementType.isInteger(1))
    return {};
  ArrayRef<int64_t> shape = dense.getType().getShape();
  if (!init && dense.getNumElements() == 0)
    return {};
  SmallVector<std::optional<int64_t>> out(type.getNumElements(), init);
  SmallVector<int64_t> index(shape.size(), 0);
  for (const APInt &v : dense.getValues<APInt>()) {
    int64_t linear = 0;
    for (auto [d, i] : llvm::enumerate(index))
      if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
        linear = linear * shape[d] + i;
    std::optional<int64_t> &acc = out[linear];
    acc = acc ? combine(*acc, v.getSExtValue()) : v.getSExtValue();
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  SmallVector<APInt> values;
  for (const std::optional<int64_t> &v : out)
    values.push_back(APInt(elementType.getIntOrFloatBitWidth(), static_cast<uint64_t>(*v),
                           /*isSigned=*/false, /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, values);
}

int64_t wrap(uint64_t v) { return static_cast<int64_t>(v); }

} // namespace

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

OpFoldResult ReduceSumOp::fold(FoldAdaptor adaptor) {
  return foldIntReduce(*this, adaptor.getInput(), getAxes(), 0, [](int64_t a, int64_t b) {
    return wrap(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  });
}

OpFoldResult ReduceProdOp::fold(FoldAdaptor adaptor) {
  return foldIntReduce(*this, adaptor.getInput(), getAxes(), 1, [](int64_t a, int64_t b) {
    return wrap(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  });
}

OpFoldResult ReduceMaxOp::fold(FoldAdaptor adaptor) {
  return foldIntReduce(*this, adaptor.getInput(), getAxes(), std::nullopt,
                       [](int64_t a, int64_t b) { return std::max(a, b); });
}

OpFoldResult ReduceMinOp::fold(FoldAdaptor adaptor) {
  return foldIntReduce(*this, adaptor.getInput(), getAxes(), std::nullopt,
                       [](int64_t a, int64_t b) { return std::min(a, b); });
}

FailureOr<SmallVector<int64_t>>
cleave::onnxir::inferReducedShape(ArrayRef<int64_t> input, ArrayRef<int64_t> axes, bool keepdims,
                                  function_ref<InFlightDiagnostic()> emitError) {
  int64_t rank = input.size();
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= rank)
      return emitError() << "axis " << axis << " is out of range for an input of rank " << rank;
    if (i > 0 && axes[i - 1] >= axis)
      return emitError() << "expects axes sorted and unique";
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(input[d]);
    else if (keepdims)
      shape.push_back(1);
  }
  return shape;
}

LogicalResult ReduceSumOp::verify() { return verifyReduce(*this, getAxes(), getKeepdims()); }
LogicalResult ReduceMeanOp::verify() { return verifyReduce(*this, getAxes(), getKeepdims()); }
LogicalResult ReduceMaxOp::verify() { return verifyReduce(*this, getAxes(), getKeepdims()); }
LogicalResult ReduceMinOp::verify() { return verifyReduce(*this, getAxes(), getKeepdims()); }
LogicalResult ReduceProdOp::verify() { return verifyReduce(*this, getAxes(), getKeepdims()); }

/// Shared verifier of ArgMax and ArgMin: a non-negative axis in range, and the reduced shape.
static LogicalResult verifyArgReduce(Operation *op, int64_t axis, bool keepdims) {
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  if (axis < 0 || axis >= in.getRank())
    return op->emitOpError("axis ") << axis << " is out of range for an input of rank "
                                    << in.getRank();
  return verifyReduce(op, {axis}, keepdims);
}
LogicalResult ArgMaxOp::verify() { return verifyArgReduce(*this, getAxis(), getKeepdims()); }
LogicalResult ArgMinOp::verify() { return verifyArgReduce(*this, getAxis(), getKeepdims()); }

// One add or compare per input element; the mean also scales each result element.
int64_t ReduceSumOp::getFlops() { return numElements(getInput()); }
int64_t ReduceMaxOp::getFlops() { return numElements(getInput()); }
int64_t ReduceMinOp::getFlops() { return numElements(getInput()); }
int64_t ReduceProdOp::getFlops() { return numElements(getInput()); }
int64_t ReduceMeanOp::getFlops() { return numElements(getInput()) + numElements(getResult()); }

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() { return verifySoftmax(*this, getAxis()); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmax(*this, getAxis()); }

// Per element: max, subtract, exp, sum, and a divide (softmax) or subtract (log-softmax).
int64_t SoftmaxOp::getFlops() { return 5 * numElements(getInput()); }
int64_t LogSoftmaxOp::getFlops() { return 5 * numElements(getInput()); }

//===----------------------------------------------------------------------===//
// LayerNormalizationOp
//===----------------------------------------------------------------------===//

LogicalResult LayerNormalizationOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  if (getResult().getType() != in)
    return emitOpError("expects the result type to be the input type ")
           << in << ", got " << getResult().getType();
  auto axis = normalizeAxis(getAxis(), in.getRank());
  if (in.getRank() == 0 || !axis)
    return emitOpError("axis ") << getAxis() << " is out of range for an input of rank "
                                << in.getRank();
  auto scale = cast<RankedTensorType>(getScale().getType());
  if (scale.getElementType() != in.getElementType() || !broadcastsTo(scale, in.getShape()))
    return emitOpError(
               "expects a scale that matches the element type of, and broadcasts to, the input ")
           << in << ", got " << scale;
  if (Value bias = getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getElementType() != in.getElementType() || !broadcastsTo(biasType, in.getShape()))
      return emitOpError(
                 "expects a bias that matches the element type of, and broadcasts to, the input ")
             << in << ", got " << biasType;
  }
  ValueRange stats = getStatistics();
  if (stats.empty())
    return success();
  if (stats.size() != 2)
    return emitOpError("expects no statistics results or two (mean, inverse standard "
                       "deviation), got ")
           << stats.size();
  SmallVector<int64_t> statShape = inferStatisticsShape(in.getShape(), *axis);
  for (Value stat : stats) {
    auto type = cast<RankedTensorType>(stat.getType());
    if (type.getShape() != ArrayRef<int64_t>(statShape) || type != stats[0].getType())
      return emitOpError("expects statistics of shape ")
             << RankedTensorType::get(statShape, type.getElementType()) << ", got " << type;
  }
  return success();
}

SmallVector<int64_t> LayerNormalizationOp::inferStatisticsShape(ArrayRef<int64_t> input,
                                                                int64_t axis) {
  SmallVector<int64_t> shape(input);
  std::fill(shape.begin() + axis, shape.end(), 1);
  return shape;
}

// Per element: sum, subtract, square, sum, multiply by the inverse deviation, scale, shift.
int64_t LayerNormalizationOp::getFlops() { return 7 * numElements(getInput()); }

//===----------------------------------------------------------------------===//
// BatchNormalizationOp
//===----------------------------------------------------------------------===//

LogicalResult BatchNormalizationOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  if (in.getRank() < 2)
    return emitOpError("expects an input of rank 2 or more (N x C x ...), got ") << in;
  int64_t channels = in.getDimSize(1);
  for (Value v : {getScale(), getBias(), getMean(), getVar()}) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() != 1 || type.getDimSize(0) != channels)
      return emitOpError("expects scale, bias, mean and var of shape [")
             << channels << "], got " << type;
  }
  return success();
}

// Per element a multiply and an add, once the per-channel factors are computed.
int64_t BatchNormalizationOp::getFlops() {
  return 2 * numElements(getInput()) + 4 * numElements(getScale());
}

//===----------------------------------------------------------------------===//
// BatchNormalizationTrainingOp
//===----------------------------------------------------------------------===//

LogicalResult BatchNormalizationTrainingOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  if (in.getRank() < 2)
    return emitOpError("expects an input of rank 2 or more (N x C x ...), got ") << in;
  auto type = cast<RankedTensorType>(getScale().getType());
  if (type.getRank() != 1 || type.getDimSize(0) != in.getDimSize(1))
    return emitOpError("expects scale, bias, mean and var of shape [")
           << in.getDimSize(1) << "], got " << type;
  return success();
}

// Per element: the mean's add, the variance's subtract, multiply and add, then a multiply
// and an add to normalise; per channel a few more for the factors and running statistics.
int64_t BatchNormalizationTrainingOp::getFlops() {
  return 6 * numElements(getInput()) + 10 * numElements(getScale());
}
