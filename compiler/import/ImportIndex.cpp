// ONNX import patterns: ops that read or produce indices (GatherElements, the losses).
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave;

namespace {

using Results = SmallVectorImpl<Value>;

LogicalResult importGatherElements(NodeImporter &n, Results &results) {
  RankedTensorType data = n.operandType(0), indices = n.operandType(1);
  if (!data || !indices)
    return n.emitError() << "expects data and indices inputs";
  int64_t axis = n.getInt("axis", 0);
  auto normalized = onnxir::normalizeAxis(axis, data.getRank());
  if (data.getRank() == 0 || !normalized)
    return n.emitError() << "axis " << axis << " is out of range for an input of rank "
                         << data.getRank();
  if (indices.getRank() != data.getRank())
    return n.emitError() << "expects indices of the data's rank " << data.getRank() << ", got "
                         << indices;
  results.push_back(onnxir::GatherElementsOp::create(
      n.builder, n.loc, indices.clone(data.getElementType()), n.operand(0), n.operand(1),
      n.builder.getI64IntegerAttr(*normalized)));
  return success();
}

LogicalResult importGatherND(NodeImporter &n, Results &results) {
  RankedTensorType data = n.operandType(0), indices = n.operandType(1);
  if (!data || !indices)
    return n.emitError() << "expects data and indices inputs";
  int64_t batchDims = n.getInt("batch_dims", 0);
  if (batchDims < 0)
    return n.emitError() << "attribute 'batch_dims' must not be negative, got " << batchDims;
  auto shape = onnxir::GatherNDOp::inferShape(data.getShape(), indices.getShape(), batchDims,
                                              [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  results.push_back(onnxir::GatherNDOp::create(
      n.builder, n.loc, RankedTensorType::get(*shape, data.getElementType()), n.operand(0),
      n.operand(1), n.builder.getI64IntegerAttr(batchDims)));
  return success();
}

/// The `reduction` attribute of the scatters (opset 16+; "none" before).
FailureOr<StringAttr> scatterReduction(NodeImporter &n) {
  std::string reduction = n.getString("reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul" && reduction != "max" &&
      reduction != "min") {
    n.emitError() << "attribute 'reduction' must be none, add, mul, max or min, got '"
                  << reduction << "'";
    return failure();
  }
  return n.builder.getStringAttr(reduction);
}

/// ScatterElements, and Scatter (its deprecated name, opset 9-10).
LogicalResult importScatterElements(NodeImporter &n, Results &results) {
  RankedTensorType data = n.operandType(0);
  if (!data || !n.operand(1) || !n.operand(2))
    return n.emitError() << "expects data, indices and updates inputs";
  int64_t axis = n.getInt("axis", 0);
  auto normalized = onnxir::normalizeAxis(axis, data.getRank());
  if (data.getRank() == 0 || !normalized)
    return n.emitError() << "axis " << axis << " is out of range for an input of rank "
                         << data.getRank();
  auto reduction = scatterReduction(n);
  if (failed(reduction))
    return failure();
  results.push_back(onnxir::ScatterElementsOp::create(
      n.builder, n.loc, data, n.operand(0), n.operand(1), n.operand(2),
      n.builder.getI64IntegerAttr(*normalized), *reduction));
  return success();
}

LogicalResult importScatterND(NodeImporter &n, Results &results) {
  RankedTensorType data = n.operandType(0);
  if (!data || !n.operand(1) || !n.operand(2))
    return n.emitError() << "expects data, indices and updates inputs";
  auto reduction = scatterReduction(n);
  if (failed(reduction))
    return failure();
  results.push_back(onnxir::ScatterNDOp::create(n.builder, n.loc, data, n.operand(0),
                                                n.operand(1), n.operand(2), *reduction));
  return success();
}

/// The negative log-likelihood of `logProb` (N x C x ...) at `target`, with the node's
/// `reduction` and `ignore_index`.
FailureOr<Value> nllLoss(NodeImporter &n, Value logProb, Value target, Value weight) {
  auto inType = cast<RankedTensorType>(logProb.getType());
  auto targetType = cast<RankedTensorType>(target.getType());
  if (inType.getRank() < 2) {
    n.emitError() << "expects an input of rank 2 or more (N x C x ...), got " << inType;
    return failure();
  }
  std::string reduction = n.getString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    n.emitError() << "attribute 'reduction' must be none, sum or mean, got '" << reduction
                  << "'";
    return failure();
  }
  IntegerAttr ignoreIndex;
  if (n.hasAttr("ignore_index"))
    ignoreIndex = n.builder.getI64IntegerAttr(n.getInt("ignore_index", 0));
  ArrayRef<int64_t> shape = reduction == "none" ? targetType.getShape() : ArrayRef<int64_t>{};
  auto type = RankedTensorType::get(shape, inType.getElementType());
  return Value(onnxir::NegativeLogLikelihoodLossOp::create(
      n.builder, n.loc, type, logProb, target, weight, n.builder.getStringAttr(reduction),
      ignoreIndex));
}

LogicalResult importNegativeLogLikelihoodLoss(NodeImporter &n, Results &results) {
  if (!n.operand(0) || !n.operand(1))
    return n.emitError() << "expects input and target inputs";
  auto loss = nllLoss(n, n.operand(0), n.operand(1), n.operand(2));
  if (failed(loss))
    return failure();
  results.push_back(*loss);
  return success();
}

/// SoftmaxCrossEntropyLoss: log-softmax over the classes (dim 1), then the negative
/// log-likelihood; the optional second output is the log-softmax.
LogicalResult importSoftmaxCrossEntropyLoss(NodeImporter &n, Results &results) {
  RankedTensorType scores = n.operandType(0);
  if (!scores || !n.operand(1))
    return n.emitError() << "expects scores and labels inputs";
  if (scores.getRank() < 2)
    return n.emitError() << "expects scores of rank 2 or more (N x C x ...), got " << scores;
  Value logProb = onnxir::LogSoftmaxOp::create(n.builder, n.loc, n.operand(0), 1);
  auto loss = nllLoss(n, logProb, n.operand(1), n.operand(2));
  if (failed(loss))
    return failure();
  results.push_back(*loss);
  if (n.numResults() > 1)
    results.push_back(logProb);
  return success();
}

/// `0, 1, .., count - 1` as an i64 constant of rank `rank`, laid along dim `dim`.
Value iota(NodeImporter &n, int64_t count, int64_t rank, int64_t dim) {
  SmallVector<int64_t> shape(rank, 1);
  shape[dim] = count;
  return n.constantI64(llvm::to_vector(llvm::seq<int64_t>(0, count)), ArrayRef<int64_t>(shape));
}

/// A rank-0 element of a 1-D tensor, read with a gather (so that it may be a run-time value).
Value element(NodeImporter &n, Value tensor, int64_t index) {
  Type elementType = cast<RankedTensorType>(tensor.getType()).getElementType();
  return onnxir::GatherOp::create(n.builder, n.loc, RankedTensorType::get({}, elementType),
                                  tensor, n.constantI64({index}, ArrayRef<int64_t>{}),
                                  n.builder.getI64IntegerAttr(0));
}

/// OneHot: `values[1]` where the (wrapped) index equals the position along the new `axis`,
/// `values[0]` elsewhere. The depth decides the result shape: it must be a constant, or ONNX
/// shape inference must know the result type; the index arithmetic uses its value.
LogicalResult importOneHot(NodeImporter &n, Results &results) {
  RankedTensorType indices = n.operandType(0), depthType = n.operandType(1),
                   valuesType = n.operandType(2);
  if (!indices || !depthType || !valuesType)
    return n.emitError() << "expects indices, depth and values inputs";
  if (indices.getElementType().isInteger(1))
    return n.emitError() << "unsupported element type " << indices.getElementType();
  if (depthType.getNumElements() != 1 || valuesType.getRank() != 1 ||
      valuesType.getDimSize(0) != 2)
    return n.emitError() << "expects a one-element depth and two values, got " << depthType
                         << " and " << valuesType;
  int64_t rank = indices.getRank() + 1;
  int64_t axis = n.getInt("axis", -1);
  if (axis < -rank || axis >= rank)
    return n.emitError() << "axis " << axis << " is out of range for a result of rank " << rank;
  if (axis < 0)
    axis += rank;
  Type i64 = n.builder.getI64Type();
  int64_t depth;
  Value depthValue;
  if (auto values = n.getConstantFloats(n.operand(1))) {
    depth = static_cast<int64_t>((*values)[0]);
    depthValue = n.constantScalar(i64, depth);
  } else if (RankedTensorType inferred = n.inferredType(0); inferred && inferred.getRank() == rank) {
    depth = inferred.getDimSize(axis);
    Value scalar = depthType.getRank() == 0
                       ? n.operand(1)
                       : onnxir::ReshapeOp::create(n.builder, n.loc,
                                                   RankedTensorType::get({}, depthType.getElementType()),
                                                   n.operand(1));
    depthValue = onnxir::CastOp::create(n.builder, n.loc, RankedTensorType::get({}, i64), scalar);
  } else {
    return n.emitError() << "the depth input must be a compile-time constant (the result shape "
                            "depends on it)";
  }
  if (depth <= 0)
    return n.emitError() << "depth must be positive, got " << depth;

  auto indexType = indices.clone(i64);
  Value index = n.operand(0);
  if (indices.getElementType() != i64)
    index = onnxir::CastOp::create(n.builder, n.loc, indexType, index);
  Value zero = n.constantScalar(i64, 0);
  Value negative = onnxir::LessOp::create(n.builder, n.loc, indexType.clone(n.builder.getI1Type()),
                                          index, zero);
  Value shifted = onnxir::AddOp::create(n.builder, n.loc, indexType, index, depthValue);
  index = onnxir::WhereOp::create(n.builder, n.loc, indexType, negative, shifted, index);
  SmallVector<int64_t> shape(indices.getShape());
  shape.insert(shape.begin() + axis, 1);
  index = onnxir::ReshapeOp::create(n.builder, n.loc, RankedTensorType::get(shape, i64), index);
  shape[axis] = depth;
  auto boolType = RankedTensorType::get(shape, n.builder.getI1Type());
  Value hot = onnxir::EqualOp::create(n.builder, n.loc, boolType, index, iota(n, depth, rank, axis));
  Value off = element(n, n.operand(2), 0), on = element(n, n.operand(2), 1);
  results.push_back(onnxir::WhereOp::create(
      n.builder, n.loc, RankedTensorType::get(shape, valuesType.getElementType()), hot, on, off));
  return success();
}

/// EyeLike: ones where column - row equals `k`, of the type `dtype` (default the input's).
LogicalResult importEyeLike(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  if (in.getRank() != 2)
    return n.emitError() << "expects a rank-2 input, got " << in;
  Type elementType = in.getElementType();
  if (n.hasAttr("dtype")) {
    int64_t code = n.getInt("dtype", 0);
    elementType = convertElementType(n.builder.getContext(), static_cast<int>(code));
    if (!elementType || elementType.isBF16())
      return n.emitError() << "unsupported value " << code << " of attribute 'dtype'";
  }
  Type i64 = n.builder.getI64Type();
  auto diffType = RankedTensorType::get(in.getShape(), i64);
  Value diff = onnxir::SubOp::create(n.builder, n.loc, diffType, iota(n, in.getDimSize(1), 2, 1),
                                     iota(n, in.getDimSize(0), 2, 0));
  Value eye = onnxir::EqualOp::create(n.builder, n.loc, diffType.clone(n.builder.getI1Type()), diff,
                                      n.constantScalar(i64, n.getInt("k", 0)));
  results.push_back(onnxir::CastOp::create(n.builder, n.loc, in.clone(elementType), eye));
  return success();
}

} // namespace

void cleave::populateIndexImporters(OpImporterRegistry &registry) {
  registry.add("GatherElements", 11, importGatherElements);
  registry.add("GatherND", 11, importGatherND);
  registry.add("Scatter", 9, importScatterElements);
  registry.add("ScatterElements", 11, importScatterElements);
  registry.add("ScatterND", 11, importScatterND);
  registry.add("NegativeLogLikelihoodLoss", 12, importNegativeLogLikelihoodLoss);
  registry.add("SoftmaxCrossEntropyLoss", 12, importSoftmaxCrossEntropyLoss);
  registry.add("OneHot", 9, importOneHot);
  registry.add("EyeLike", 9, importEyeLike);
}
