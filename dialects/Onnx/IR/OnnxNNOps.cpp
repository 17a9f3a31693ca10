// The onnx-level dialect: verifiers and costs of the neural-network ops.
#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave::onnxir;

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> MatMulOp::inferShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                                                     function_ref<InFlightDiagnostic()> emitError) {
  if (lhs.empty() || rhs.empty())
    return emitError() << "expects operands of rank 1 or more";
  // 1-D operands are promoted as numpy does: a unit dim before (lhs) or after (rhs), which
  // the result does not have.
  int64_t k = lhs.back();
  int64_t rhsK = rhs.size() == 1 ? rhs[0] : rhs[rhs.size() - 2];
  if (k != rhsK)
    return emitError() << "contraction dims differ: " << k << " vs " << rhsK;
  auto shape = broadcastShapes(lhs.drop_back(lhs.size() >= 2 ? 2 : 1),
                               rhs.drop_back(rhs.size() >= 2 ? 2 : 1));
  if (!shape)
    return emitError() << "batch dims do not broadcast";
  if (lhs.size() >= 2)
    shape->push_back(lhs[lhs.size() - 2]);
  if (rhs.size() >= 2)
    shape->push_back(rhs.back());
  return *shape;
}

LogicalResult MatMulOp::verify() {
  auto shape = inferShape(getLhs().getType().getShape(), getRhs().getType().getShape(),
                          [&] { return emitOpError(); });
  return failed(shape) ? failure() : verifyResultShape(*this, *shape);
}

int64_t MatMulOp::getFlops() {
  auto lhs = cast<RankedTensorType>(getLhs().getType());
  return 2 * cast<RankedTensorType>(getResult().getType()).getNumElements() *
         lhs.getShape().back();
}

//===----------------------------------------------------------------------===//
// GemmOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> GemmOp::inferShape(RankedTensorType a, RankedTensorType b,
                                                   bool transA, bool transB,
                                                   function_ref<InFlightDiagnostic()> emitError) {
  if (a.getRank() != 2 || b.getRank() != 2)
    return emitError() << "expects rank-2 A and B, got " << a << " and " << b;
  int64_t m = a.getDimSize(transA ? 1 : 0), k = a.getDimSize(transA ? 0 : 1);
  int64_t bK = b.getDimSize(transB ? 1 : 0), n = b.getDimSize(transB ? 0 : 1);
  if (k != bK)
    return emitError() << "contraction dims differ: " << k << " vs " << bK;
  return SmallVector<int64_t>{m, n};
}

LogicalResult GemmOp::verify() {
  auto shape = inferShape(getA().getType(), getB().getType(), getTransA(), getTransB(),
                          [&] { return emitOpError(); });
  if (failed(shape))
    return failure();
  int64_t m = (*shape)[0], n = (*shape)[1];
  auto result = cast<RankedTensorType>(getResult().getType());
  if (result.getShape() != ArrayRef<int64_t>(*shape))
    return emitOpError("expects result shape ") << m << "x" << n << ", got " << result;
  if (Value c = getC()) {
    auto cType = cast<RankedTensorType>(c.getType());
    auto merged = broadcastShapes(cType.getShape(), *shape);
    if (cType.getRank() > 2 || !merged || *merged != *shape)
      return emitOpError("expects C to broadcast to ") << m << "x" << n << ", got " << cType;
  }
  return success();
}

int64_t GemmOp::getFlops() {
  auto a = cast<RankedTensorType>(getA().getType());
  int64_t k = a.getDimSize(getTransA() ? 0 : 1);
  int64_t mn = cast<RankedTensorType>(getResult().getType()).getNumElements();
  return 2 * mn * k + (getC() ? 2 * mn : 0);
}

//===----------------------------------------------------------------------===//
// Convolutions and pooling: shared spatial-attribute checks
//===----------------------------------------------------------------------===//

/// Checks that `input` is NC + r spatial dims with r >= 1 and that the spatial attributes
/// have r (pads: 2r) entries, strides and dilations positive.
static LogicalResult verifySpatialAttrs(ArrayRef<int64_t> input, ArrayRef<int64_t> strides,
                                        ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                                        function_ref<InFlightDiagnostic()> emitError) {
  if (input.size() < 3)
    return emitError() << "expects an input of rank 3 or more (N, C, spatial dims), got rank "
                       << input.size();
  size_t r = input.size() - 2;
  if (strides.size() != r)
    return emitError() << "expects " << r << " strides, got " << strides.size();
  if (dilations.size() != r)
    return emitError() << "expects " << r << " dilations, got " << dilations.size();
  if (pads.size() != 2 * r)
    return emitError() << "expects " << 2 * r << " pads, got " << pads.size();
  if (llvm::any_of(strides, [](int64_t s) { return s <= 0; }))
    return emitError() << "expects positive strides";
  if (llvm::any_of(dilations, [](int64_t d) { return d <= 0; }))
    return emitError() << "expects positive dilations";
  return success();
}

/// The spatial-attribute checks, and a weight of the input's rank: what both convolutions
/// require.
static LogicalResult verifyConvOperands(ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
                                        ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                                        ArrayRef<int64_t> dilations,
                                        function_ref<InFlightDiagnostic()> emitError) {
  if (failed(verifySpatialAttrs(input, strides, pads, dilations, emitError)))
    return failure();
  if (weight.size() != input.size())
    return emitError() << "expects a weight of rank " << input.size() << ", got rank "
                       << weight.size();
  return success();
}

static LogicalResult verifyBias(Operation *op, Value bias, int64_t channels) {
  if (!bias)
    return success();
  auto type = cast<RankedTensorType>(bias.getType());
  if (type.getRank() != 1 || type.getDimSize(0) != channels)
    return op->emitOpError("expects a bias of ") << channels << " elements, got " << type;
  return success();
}

static int64_t product(ArrayRef<int64_t> values) {
  int64_t p = 1;
  for (int64_t v : values)
    p *= v;
  return p;
}

//===----------------------------------------------------------------------===//
// ConvOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
ConvOp::inferShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weight, ArrayRef<int64_t> strides,
                   ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations, int64_t group,
                   function_ref<InFlightDiagnostic()> emitError) {
  if (failed(verifyConvOperands(input, weight, strides, pads, dilations, emitError)))
    return failure();
  size_t r = input.size() - 2;
  if (group <= 0 || input[1] % group != 0 || weight[0] % group != 0)
    return emitError() << "group " << group << " does not divide the " << input[1]
                       << " input and " << weight[0] << " output channels";
  if (weight[1] * group != input[1])
    return emitError() << "expects " << input[1] / group
                       << " input channels per group in the weight, got " << weight[1];
  SmallVector<int64_t> shape{input[0], weight[0]};
  for (size_t i = 0; i < r; ++i) {
    int64_t window = (weight[i + 2] - 1) * dilations[i] + 1;
    int64_t padded = input[i + 2] + pads[i] + pads[i + r];
    if (pads[i] < 0 || pads[i + r] < 0)
      return emitError() << "expects non-negative pads";
    if (padded < window)
      return emitError() << "kernel extent " << window << " exceeds padded spatial dim " << i
                         << " of size " << padded;
    shape.push_back((padded - window) / strides[i] + 1);
  }
  return shape;
}

LogicalResult ConvOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto weight = cast<RankedTensorType>(getWeight().getType());
  auto shape = inferShape(input.getShape(), weight.getShape(), getStrides(), getPads(),
                          getDilations(), getGroup(), [&] { return emitOpError(); });
  if (failed(shape) || failed(verifyBias(*this, getBias(), weight.getDimSize(0))))
    return failure();
  return verifyResultShape(*this, *shape);
}

int64_t ConvOp::getFlops() {
  auto weight = cast<RankedTensorType>(getWeight().getType());
  int64_t outputs = cast<RankedTensorType>(getResult().getType()).getNumElements();
  // One multiply-add per weight element of a group, per output element.
  return 2 * outputs * product(weight.getShape().drop_front()) + (getBias() ? outputs : 0);
}

//===----------------------------------------------------------------------===//
// ConvTransposeOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> ConvTransposeOp::inferShape(
    ArrayRef<int64_t> input, ArrayRef<int64_t> weight, ArrayRef<int64_t> strides,
    ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations, ArrayRef<int64_t> outputPadding,
    int64_t group, function_ref<InFlightDiagnostic()> emitError) {
  if (failed(verifyConvOperands(input, weight, strides, pads, dilations, emitError)))
    return failure();
  size_t r = input.size() - 2;
  if (outputPadding.size() != r)
    return emitError() << "expects " << r << " output_padding entries, got "
                       << outputPadding.size();
  if (llvm::any_of(outputPadding, [](int64_t p) { return p < 0; }))
    return emitError() << "expects non-negative output_padding";
  if (group <= 0 || input[1] % group != 0)
    return emitError() << "group " << group << " does not divide the " << input[1]
                       << " input channels";
  if (weight[0] != input[1])
    return emitError() << "expects the weight's first dim to be the " << input[1]
                       << " input channels, got " << weight[0];
  SmallVector<int64_t> shape{input[0], weight[1] * group};
  for (size_t i = 0; i < r; ++i) {
    int64_t size = strides[i] * (input[i + 2] - 1) + outputPadding[i] +
                   (weight[i + 2] - 1) * dilations[i] + 1 - pads[i] - pads[i + r];
    if (size <= 0)
      return emitError() << "spatial dim " << i << " of the result would have size " << size;
    shape.push_back(size);
  }
  return shape;
}

LogicalResult ConvTransposeOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto weight = cast<RankedTensorType>(getWeight().getType());
  auto shape =
      inferShape(input.getShape(), weight.getShape(), getStrides(), getPads(), getDilations(),
                 getOutputPadding(), getGroup(), [&] { return emitOpError(); });
  if (failed(shape) ||
      failed(verifyBias(*this, getBias(), weight.getDimSize(1) * getGroup())))
    return failure();
  return verifyResultShape(*this, *shape);
}

int64_t ConvTransposeOp::getFlops() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto weight = cast<RankedTensorType>(getWeight().getType());
  int64_t outputs = cast<RankedTensorType>(getResult().getType()).getNumElements();
  // Every input element meets M/group output channels times the kernel window.
  return 2 * input.getNumElements() * product(weight.getShape().drop_front()) +
         (getBias() ? outputs : 0);
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
cleave::onnxir::inferPoolShape(ArrayRef<int64_t> input, ArrayRef<int64_t> kernelShape,
                               ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                               ArrayRef<int64_t> dilations, bool ceilMode,
                               function_ref<InFlightDiagnostic()> emitError) {
  if (failed(verifySpatialAttrs(input, strides, pads, dilations, emitError)))
    return failure();
  size_t r = input.size() - 2;
  if (kernelShape.size() != r)
    return emitError() << "expects " << r << " kernel_shape entries, got "
                       << kernelShape.size();
  SmallVector<int64_t> shape{input[0], input[1]};
  for (size_t i = 0; i < r; ++i) {
    if (kernelShape[i] <= 0)
      return emitError() << "expects a positive kernel_shape";
    if (pads[i] < 0 || pads[i + r] < 0)
      return emitError() << "expects non-negative pads";
    int64_t window = (kernelShape[i] - 1) * dilations[i] + 1;
    int64_t padded = input[i + 2] + pads[i] + pads[i + r];
    if (padded < window)
      return emitError() << "kernel extent " << window << " exceeds padded spatial dim " << i
                         << " of size " << padded;
    int64_t steps = padded - window;
    shape.push_back((ceilMode ? (steps + strides[i] - 1) / strides[i] : steps / strides[i]) +
                    1);
  }
  return shape;
}

LogicalResult MaxPoolOp::verify() {
  if (getResult().getType().getElementType() != getInput().getType().getElementType())
    return emitOpError("expects the result element type to match the input's, got ")
           << getResult().getType().getElementType() << " and "
           << getInput().getType().getElementType();
  auto shape =
      inferPoolShape(getInput().getType().getShape(), getKernelShape(), getStrides(), getPads(),
                     getDilations(), getCeilMode(), [&] { return emitOpError(); });
  if (failed(shape) || failed(verifyResultShape(*this, *shape)))
    return failure();
  if (getIndices() && getIndices().getType().getShape() != ArrayRef<int64_t>(*shape))
    return emitOpError("expects indices of the result's shape, got ")
           << getIndices().getType() << " for " << getResult().getType();
  return success();
}

LogicalResult AveragePoolOp::verify() {
  auto shape =
      inferPoolShape(getInput().getType().getShape(), getKernelShape(), getStrides(), getPads(),
                     getDilations(), getCeilMode(), [&] { return emitOpError(); });
  return failed(shape) ? failure() : verifyResultShape(*this, *shape);
}

int64_t MaxPoolOp::getFlops() {
  return getResult().getType().getNumElements() * product(getKernelShape());
}

int64_t AveragePoolOp::getFlops() {
  // The window sum, then one division.
  return getResult().getType().getNumElements() * (product(getKernelShape()) + 1);
}

//===----------------------------------------------------------------------===//
// Global pooling
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
cleave::onnxir::inferGlobalPoolShape(RankedTensorType input,
                                     function_ref<InFlightDiagnostic()> emitError) {
  if (input.getRank() < 3)
    return emitError() << "expects an input of rank 3 or more (N, C, spatial dims), got " << input;
  SmallVector<int64_t> shape(input.getShape().take_front(2));
  shape.append(input.getRank() - 2, 1);
  return shape;
}

LogicalResult GlobalAveragePoolOp::verify() {
  auto shape = inferGlobalPoolShape(getInput().getType(), [&] { return emitOpError(); });
  return failed(shape) ? failure() : verifyResultShape(*this, *shape);
}

LogicalResult GlobalMaxPoolOp::verify() {
  auto shape = inferGlobalPoolShape(getInput().getType(), [&] { return emitOpError(); });
  return failed(shape) ? failure() : verifyResultShape(*this, *shape);
}

int64_t GlobalAveragePoolOp::getFlops() { return getInput().getType().getNumElements(); }
int64_t GlobalMaxPoolOp::getFlops() { return getInput().getType().getNumElements(); }
