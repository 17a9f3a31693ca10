// ONNX import patterns: ops that select or accumulate along an axis given at compile time
// (CumSum, TopK, Compress), composed of matmul, arg_max/arg_min, gathers and concats.
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace cleave;

namespace {

using Results = SmallVectorImpl<Value>;

/// The longest CumSum axis and the largest TopK K composed at import.
constexpr int64_t kMaxCumSumAxis = 2048;
constexpr int64_t kMaxTopK = 1024;

/// The compile-time value of the single-element integer input `index` (`what` names it), or
/// failure after reporting that it must be a constant.
FailureOr<int64_t> constantScalarInput(NodeImporter &n, size_t index, StringRef what) {
  auto values = n.getConstantInts(n.operand(index));
  if (!values || values->size() != 1) {
    n.emitError() << "the " << what << " input must be a compile-time constant with one "
                  << "element (a graph input is not supported)";
    return failure();
  }
  return (*values)[0];
}

/// `input` with dims `a` and `b` swapped (itself when a == b).
Value swapDims(NodeImporter &n, Value input, int64_t a, int64_t b) {
  if (a == b)
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  std::swap(perm[a], perm[b]);
  SmallVector<int64_t> shape(type.getShape());
  std::swap(shape[a], shape[b]);
  return onnxir::TransposeOp::create(n.builder, n.loc, type.clone(shape), input,
                                     n.builder.getDenseI64ArrayAttr(perm));
}

/// CumSum 11 and 14 with a constant axis: a matmul with a 0/1 triangular matrix along the
/// axis (moved last): entry (i, j) is 1 when x[i] counts towards y[j], i <= j forward,
/// i >= j reversed, strictly with `exclusive`.
LogicalResult importCumSum(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in || !n.operand(1))
    return n.emitError() << "expects inputs x and axis";
  Type elementType = in.getElementType();
  if (!isa<FloatType>(elementType) &&
      !(elementType.isSignlessInteger(32) || elementType.isSignlessInteger(64)))
    return n.emitError() << "unsupported element type " << elementType
                         << " (float, double, int32 and int64 are supported)";
  auto attrAxis = constantScalarInput(n, 1, "axis");
  if (failed(attrAxis))
    return failure();
  auto axis = onnxir::normalizeAxis(*attrAxis, in.getRank());
  if (in.getRank() == 0 || !axis)
    return n.emitError() << "axis " << *attrAxis << " is out of range for rank " << in.getRank();
  bool exclusive = n.getInt("exclusive", 0) != 0, reverse = n.getInt("reverse", 0) != 0;
  int64_t size = in.getDimSize(*axis), last = in.getRank() - 1;
  // The triangle holds size^2 elements.
  if (size > kMaxCumSumAxis)
    return n.emitError() << "CumSum along a dim of more than " << kMaxCumSumAxis
                         << " elements is not supported, got " << size;
  SmallVector<Attribute> ones;
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = 0; j < size; ++j) {
      bool counts = reverse ? (exclusive ? i > j : i >= j) : (exclusive ? i < j : i <= j);
      ones.push_back(isa<FloatType>(elementType)
                         ? Attribute(n.builder.getFloatAttr(elementType, counts ? 1.0 : 0.0))
                         : Attribute(n.builder.getIntegerAttr(elementType, counts ? 1 : 0)));
    }
  auto triangleType = RankedTensorType::get({size, size}, elementType);
  Value triangle =
      onnxir::ConstantOp::create(n.builder, n.loc, DenseElementsAttr::get(triangleType, ones));
  Value moved = swapDims(n, n.operand(0), *axis, last);
  Value summed = onnxir::MatMulOp::create(n.builder, n.loc, moved.getType(), moved, triangle);
  results.push_back(swapDims(n, summed, *axis, last));
  return success();
}

/// The value that never wins a TopK round: -inf (largest) or +inf (smallest) for floats, the
/// type's minimum or maximum for integers.
Value losingValue(NodeImporter &n, Type elementType, bool largest) {
  if (isa<FloatType>(elementType))
    return n.constantScalar(elementType, largest ? -INFINITY : INFINITY);
  unsigned width = elementType.getIntOrFloatBitWidth();
  bool isUnsigned = elementType.isUnsignedInteger();
  APInt v = largest ? (isUnsigned ? APInt::getMinValue(width) : APInt::getSignedMinValue(width))
                    : (isUnsigned ? APInt::getMaxValue(width) : APInt::getSignedMaxValue(width));
  auto type = RankedTensorType::get({}, elementType);
  return onnxir::ConstantOp::create(
      n.builder, n.loc, DenseElementsAttr::get(type, n.builder.getIntegerAttr(elementType, v)));
}

/// TopK with a constant k: k rounds of arg_max (arg_min for the smallest), each taking the
/// first index among equal values (ties go to the lower index, as onnxruntime) and then
/// masking the element it took. Values and int64 indices come out sorted whatever `sorted`
/// says (ONNX leaves the order unspecified then). Cost: k passes over the axis, meant for
/// the small k detector heads use.
LogicalResult importTopK(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in || in.getRank() == 0)
    return n.emitError() << "expects an input X of rank 1 or more";
  Type elementType = in.getElementType();
  if (elementType.isInteger(1))
    return n.emitError() << "unsupported element type " << elementType;
  int64_t k;
  if (n.opset < 10) {
    k = n.getInt("k", -1);
  } else {
    if (!n.operand(1))
      return n.emitError() << "expects inputs X and K";
    auto value = constantScalarInput(n, 1, "K");
    if (failed(value))
      return failure();
    k = *value;
  }
  int64_t attrAxis = n.getInt("axis", -1);
  auto axis = onnxir::normalizeAxis(attrAxis, in.getRank());
  if (!axis)
    return n.emitError() << "axis " << attrAxis << " is out of range for rank " << in.getRank();
  int64_t size = in.getDimSize(*axis);
  if (k < 1 || k > size)
    return n.emitError() << "K must be between 1 and the axis size " << size << ", got " << k;
  // One round of ops per K.
  if (k > kMaxTopK)
    return n.emitError() << "K larger than " << kMaxTopK << " is not supported, got " << k;
  bool largest = n.opset < 11 || n.getInt("largest", 1) != 0;

  OpBuilder &b = n.builder;
  SmallVector<int64_t> oneShape(in.getShape());
  oneShape[*axis] = 1;
  auto indexType = RankedTensorType::get(oneShape, b.getI64Type());
  SmallVector<int64_t> iotaShape(in.getRank(), 1);
  iotaShape[*axis] = size;
  Value iota = k > 1 ? n.constantI64(llvm::to_vector(llvm::seq<int64_t>(0, size)),
                                     ArrayRef<int64_t>(iotaShape))
                     : Value();
  Value losing = k > 1 ? losingValue(n, elementType, largest) : Value();
  Value current = n.operand(0);
  SmallVector<Value> values, indices;
  for (int64_t round = 0; round < k; ++round) {
    Value index = largest
                      ? Value(onnxir::ArgMaxOp::create(b, n.loc, indexType, current,
                                                       b.getI64IntegerAttr(*axis),
                                                       b.getBoolAttr(true), b.getBoolAttr(false)))
                      : Value(onnxir::ArgMinOp::create(b, n.loc, indexType, current,
                                                       b.getI64IntegerAttr(*axis),
                                                       b.getBoolAttr(true), b.getBoolAttr(false)));
    indices.push_back(index);
    values.push_back(onnxir::GatherElementsOp::create(
        b, n.loc, indexType.clone(elementType), n.operand(0), index, b.getI64IntegerAttr(*axis)));
    if (round + 1 < k) {
      Value taken = onnxir::EqualOp::create(b, n.loc, in.clone(b.getI1Type()), iota, index);
      current = onnxir::WhereOp::create(b, n.loc, in, taken, losing, current);
    }
  }
  SmallVector<int64_t> outShape(in.getShape());
  outShape[*axis] = k;
  auto join = [&](ArrayRef<Value> parts, Type type) -> Value {
    if (parts.size() == 1)
      return parts[0];
    return onnxir::ConcatOp::create(b, n.loc, RankedTensorType::get(outShape, type), parts, *axis);
  };
  results.push_back(join(values, elementType));
  results.push_back(join(indices, b.getI64Type()));
  return success();
}

/// Compress 9 and 11 with a constant condition: a gather of the selected positions along
/// `axis` (of the flattened input without one). A condition shorter than the dim selects
/// nothing past its end, as in ONNX.
LogicalResult importCompress(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in || !n.operand(1))
    return n.emitError() << "expects inputs input and condition";
  auto condition = n.getConstantInts(n.operand(1));
  if (!condition)
    return n.emitError() << "the condition input must be a compile-time constant (a graph "
                         << "input is not supported: the result shape depends on it)";
  Value data = n.operand(0);
  int64_t axis = 0;
  if (n.hasAttr("axis")) {
    int64_t attrAxis = n.getInt("axis", 0);
    auto normalized = onnxir::normalizeAxis(attrAxis, in.getRank());
    if (!normalized)
      return n.emitError() << "axis " << attrAxis << " is out of range for rank " << in.getRank();
    axis = *normalized;
  } else {
    data = onnxir::ReshapeOp::create(
        n.builder, n.loc, RankedTensorType::get({in.getNumElements()}, in.getElementType()), data);
  }
  auto dataType = cast<RankedTensorType>(data.getType());
  int64_t size = dataType.getDimSize(axis);
  if (static_cast<int64_t>(condition->size()) > size)
    return n.emitError() << "the condition has " << condition->size() << " entries, more than the "
                         << size << " of the selected dim";
  SmallVector<int64_t> selected;
  for (auto [i, c] : llvm::enumerate(*condition))
    if (c)
      selected.push_back(static_cast<int64_t>(i));
  if (selected.empty())
    return n.emitError() << "the condition selects nothing (empty results are not supported)";
  SmallVector<int64_t> shape(dataType.getShape());
  shape[axis] = static_cast<int64_t>(selected.size());
  results.push_back(onnxir::GatherOp::create(n.builder, n.loc, dataType.clone(shape), data,
                                             n.constantI64(selected),
                                             n.builder.getI64IntegerAttr(axis)));
  return success();
}

} // namespace

void cleave::populateSelectImporters(OpImporterRegistry &registry) {
  registry.add("CumSum", 11, importCumSum);
  registry.add("TopK", 1, importTopK);
  registry.add("Compress", 9, importCompress);
}
