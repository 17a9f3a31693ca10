// ONNX import patterns: ops that read or produce indices (GatherElements, the losses,
// GridSample).
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


/// GridSample 16 (4-D): builds the sampling of X [N, C, H, W] at the grid's points, as
/// onnxruntime's CPU kernel computes it.
class GridSampler {
public:
  GridSampler(NodeImporter &n, RankedTensorType x, RankedTensorType grid, bool alignCorners,
              bool nearest, StringRef padding)
      : n(n), b(n.builder), x(x), alignCorners(alignCorners), nearest(nearest),
        padding(padding.str()), batch(x.getDimSize(0)), channels(x.getDimSize(1)),
        height(x.getDimSize(2)), width(x.getDimSize(3)), outH(grid.getDimSize(1)),
        outW(grid.getDimSize(2)), elementType(x.getElementType()),
        pointType(RankedTensorType::get({batch, 1, outH, outW}, elementType)) {}

  Value build(Value input, Value grid) {
    flat = onnxir::ReshapeOp::create(
        b, n.loc, RankedTensorType::get({batch, channels, height * width}, elementType), input);
    Value px = coordinate(grid, 0, width), py = coordinate(grid, 1, height);
    if (nearest)
      return sample(px, py);
    Value x0 = onnxir::FloorOp::create(b, n.loc, px), y0 = onnxir::FloorOp::create(b, n.loc, py);
    Value x1 = add(x0, scalar(1)), y1 = add(y0, scalar(1));
    Value wx1 = sub(px, x0), wx0 = sub(x1, px), wy1 = sub(py, y0), wy0 = sub(y1, py);
    Value top = add(mul(wx0, sample(x0, y0)), mul(wx1, sample(x1, y0)));
    Value bottom = add(mul(wx0, sample(x0, y1)), mul(wx1, sample(x1, y1)));
    return add(mul(wy0, top), mul(wy1, bottom));
  }

private:
  Value scalar(double v) { return n.constantScalar(elementType, v); }
  RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }
  /// The broadcast type of `l` and `r`: the sampled values are N x C x H_out x W_out, the
  /// coordinates and weights N x 1 x H_out x W_out, the constants scalars.
  RankedTensorType wider(Value l, Value r) {
    RankedTensorType tl = typeOf(l), tr = typeOf(r);
    if (tl.getRank() != tr.getRank())
      return tl.getRank() > tr.getRank() ? tl : tr;
    SmallVector<int64_t> shape;
    for (auto [a, c] : llvm::zip(tl.getShape(), tr.getShape()))
      shape.push_back(std::max(a, c));
    return tl.clone(shape);
  }
  Value add(Value l, Value r) { return onnxir::AddOp::create(b, n.loc, wider(l, r), l, r); }
  Value sub(Value l, Value r) { return onnxir::SubOp::create(b, n.loc, wider(l, r), l, r); }
  Value mul(Value l, Value r) { return onnxir::MulOp::create(b, n.loc, wider(l, r), l, r); }
  Value div(Value l, Value r) { return onnxir::DivOp::create(b, n.loc, wider(l, r), l, r); }
  Value less(Value l, Value r) {
    return onnxir::LessOp::create(b, n.loc, wider(l, r).clone(b.getI1Type()), l, r);
  }
  Value greater(Value l, Value r) {
    return onnxir::GreaterOp::create(b, n.loc, wider(l, r).clone(b.getI1Type()), l, r);
  }
  Value select(Value c, Value l, Value r) {
    return onnxir::WhereOp::create(b, n.loc, pointType, c, l, r);
  }
  Value clip(Value v, double lo, double hi) {
    return onnxir::ClipOp::create(b, n.loc, pointType, v, scalar(lo), scalar(hi));
  }

  /// Grid component `component` (0: x, 1: y) in pixels of a dim of `size`, rounded for
  /// nearest, and moved into range for the border and reflection paddings.
  Value coordinate(Value grid, int64_t component, int64_t size) {
    auto sliceType = RankedTensorType::get({batch, outH, outW, 1}, elementType);
    Value g = onnxir::SliceOp::create(b, n.loc, sliceType, grid,
                                      b.getDenseI64ArrayAttr({0, 0, 0, component}),
                                      b.getDenseI64ArrayAttr({1, 1, 1, 1}));
    g = onnxir::ReshapeOp::create(b, n.loc, pointType, g);
    // align_corners: -1 and 1 are the centres of the edge pixels; else their outer edges.
    Value p = alignCorners ? mul(add(g, scalar(1)), scalar(0.5 * (size - 1)))
                           : div(sub(mul(add(g, scalar(1)), scalar(size)), scalar(1)), scalar(2));
    if (nearest)
      p = onnxir::RoundOp::create(b, n.loc, p);
    if (padding == "border")
      return clip(p, 0, size - 1);
    if (padding == "reflection")
      return reflect(p, alignCorners ? 0.0 : -0.5, alignCorners ? size - 1 : size - 0.5);
    return p;
  }

  /// `p` reflected into [lo, hi] as often as needed.
  Value reflect(Value p, double lo, double hi) {
    double range = hi - lo;
    if (range <= 0)
      return clip(p, lo, hi);
    Value below = less(p, scalar(lo)), above = greater(p, scalar(hi));
    Value distance = select(below, sub(scalar(lo), p), sub(p, scalar(hi)));
    Value folds = onnxir::FloorOp::create(b, n.loc, div(distance, scalar(range)));
    Value rest = sub(distance, mul(folds, scalar(range)));
    Value parity = onnxir::ModOp::create(b, n.loc, pointType, folds, scalar(2),
                                         b.getBoolAttr(true));
    Value even = onnxir::EqualOp::create(b, n.loc, pointType.clone(b.getI1Type()), parity,
                                         scalar(0));
    Value fromLo = add(scalar(lo), rest), fromHi = sub(scalar(hi), rest);
    Value low = select(even, fromLo, fromHi), high = select(even, fromHi, fromLo);
    return select(below, low, select(above, high, p));
  }

  /// X at the integer-valued pixel coordinates (px, py), per the padding mode outside the
  /// image: 0 (zeros), the nearest edge pixel (border), the mirrored pixel (reflection).
  Value sample(Value px, Value py) {
    Value valid;
    if (padding == "zeros") {
      Value inX = onnxir::AndOp::create(b, n.loc, pointType.clone(b.getI1Type()),
                                        onnxir::NotOp::create(b, n.loc, less(px, scalar(0))),
                                        onnxir::NotOp::create(b, n.loc,
                                                              greater(px, scalar(width - 1))));
      Value inY = onnxir::AndOp::create(b, n.loc, pointType.clone(b.getI1Type()),
                                        onnxir::NotOp::create(b, n.loc, less(py, scalar(0))),
                                        onnxir::NotOp::create(b, n.loc,
                                                              greater(py, scalar(height - 1))));
      valid = onnxir::AndOp::create(b, n.loc, pointType.clone(b.getI1Type()), inX, inY);
    } else if (padding == "reflection" && alignCorners) {
      // Bilinear corners lie at most one pixel outside [0, size - 1].
      px = mirror(px, width);
      py = mirror(py, height);
    }
    px = clip(px, 0, width - 1);
    py = clip(py, 0, height - 1);
    Value linear = add(mul(py, scalar(width)), px);
    auto indexType = RankedTensorType::get({batch, 1, outH * outW}, b.getI64Type());
    Value index = onnxir::CastOp::create(b, n.loc, pointType.clone(b.getI64Type()), linear);
    index = onnxir::ReshapeOp::create(b, n.loc, indexType, index);
    auto allChannels = RankedTensorType::get({batch, channels, outH * outW}, b.getI64Type());
    index = onnxir::ExpandOp::create(b, n.loc, allChannels, index);
    Value v = onnxir::GatherElementsOp::create(b, n.loc, allChannels.clone(elementType), flat,
                                               index, b.getI64IntegerAttr(2));
    auto resultType = RankedTensorType::get({batch, channels, outH, outW}, elementType);
    v = onnxir::ReshapeOp::create(b, n.loc, resultType, v);
    if (valid)
      v = onnxir::WhereOp::create(b, n.loc, resultType, valid, v, scalar(0));
    return v;
  }

  /// -p below 0, 2 (size - 1) - p above size - 1.
  Value mirror(Value p, int64_t size) {
    Value neg = onnxir::NegOp::create(b, n.loc, p);
    Value back = sub(scalar(2.0 * (size - 1)), p);
    return select(less(p, scalar(0)), neg, select(greater(p, scalar(size - 1)), back, p));
  }

  NodeImporter &n;
  OpBuilder &b;
  RankedTensorType x;
  bool alignCorners, nearest;
  std::string padding;
  int64_t batch, channels, height, width, outH, outW;
  Type elementType;
  RankedTensorType pointType;
  Value flat;
};

/// GridSample 16: bilinear and nearest sampling of a 4-D X at a grid of normalised
/// coordinates, with zeros, border and reflection padding.
LogicalResult importGridSample(NodeImporter &n, Results &results) {
  RankedTensorType x = n.operandType(0), grid = n.operandType(1);
  if (!x || !grid)
    return n.emitError() << "expects inputs X and grid";
  if (!isa<FloatType>(x.getElementType()) || grid.getElementType() != x.getElementType())
    return n.emitError() << "expects a float X and a grid of the same type, got " << x
                         << " and " << grid;
  if (x.getRank() != 4 || grid.getRank() != 4 || grid.getDimSize(0) != x.getDimSize(0) ||
      grid.getDimSize(3) != 2)
    return n.emitError() << "expects X of shape N x C x H x W and a grid of shape "
                         << "N x H_out x W_out x 2, got " << x << " and " << grid;
  std::string mode = n.getString("mode", "bilinear");
  if (mode != "bilinear" && mode != "nearest")
    return n.emitError() << "mode '" << mode << "' is not supported (bilinear and nearest are)";
  std::string padding = n.getString("padding_mode", "zeros");
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return n.emitError() << "attribute 'padding_mode' must be zeros, border or reflection, got '"
                         << padding << "'";
  GridSampler sampler(n, x, grid, n.getInt("align_corners", 0) != 0, mode == "nearest",
                      padding);
  results.push_back(sampler.build(n.operand(0), n.operand(1)));
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
  registry.add("GridSample", 16, importGridSample);
}
