// ONNX import patterns: normalisation, softmax and reductions.
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace cleave;

namespace {

/// Whether the node lists output `i` under a non-empty name.
bool wantsOutput(NodeImporter &n, int i) {
  return i < n.node.output_size() && !n.node.output(i).empty();
}

/// The node's `axis` attribute (`defaultAxis` when absent) normalised for its input, or
/// failure after reporting it out of range (a rank-0 input has no axis).
FailureOr<int64_t> inputAxis(NodeImporter &n, int64_t defaultAxis) {
  RankedTensorType in = n.operandType(0);
  int64_t axis = n.getInt("axis", defaultAxis);
  auto normalized = onnxir::normalizeAxis(axis, in.getRank());
  if (in.getRank() == 0 || !normalized)
    return n.emitError() << "axis " << axis << " is out of range for an input of rank "
                         << in.getRank();
  return *normalized;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// How a reduction is built from a ReduceSum, ReduceMin, ... op: an elementwise op applied
/// before (ReduceL1: abs, ReduceSumSquare and ReduceL2: square, ReduceLogSumExp: exp) and
/// one after (ReduceL2: sqrt, ReduceLogSum and ReduceLogSumExp: log).
enum class Pre { None, Abs, Square, Exp };
enum class Post { None, Sqrt, Log };

/// Imports a reduction given its ONNX axes (possibly negative; empty reduces every dim,
/// unless `noopWithEmptyAxes`, when only the `pre` and `post` steps apply).
template <typename OpTy, Pre pre = Pre::None, Post post = Post::None>
LogicalResult importReduce(NodeImporter &n, ArrayRef<int64_t> onnxAxes, bool noopWithEmptyAxes,
                           SmallVectorImpl<Value> &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects a data input";
  bool needsFloat = pre == Pre::Exp || post != Post::None;
  if (needsFloat && !isa<FloatType>(in.getElementType()))
    return n.emitError() << "unsupported element type " << in.getElementType();
  bool keepdims = n.getInt("keepdims", 1) != 0;
  SmallVector<int64_t> axes;
  for (int64_t axis : onnxAxes) {
    auto normalized = onnxir::normalizeAxis(axis, in.getRank());
    if (!normalized || in.getRank() == 0)
      return n.emitError() << "axis " << axis << " is out of range for an input of rank "
                           << in.getRank();
    if (llvm::is_contained(axes, *normalized))
      return n.emitError() << "axis " << axis << " appears more than once in axes";
    axes.push_back(*normalized);
  }
  bool noop = axes.empty() && noopWithEmptyAxes;
  if (axes.empty())
    for (int64_t d = 0; d < in.getRank(); ++d)
      axes.push_back(d);
  llvm::sort(axes);
  // A scalar has nothing to reduce.
  noop |= axes.empty();

  Value value = n.operand(0);
  switch (pre) {
  case Pre::None:
    break;
  case Pre::Abs:
    value = onnxir::AbsOp::create(n.builder, n.loc, value);
    break;
  case Pre::Square:
    value = onnxir::MulOp::create(n.builder, n.loc, in, value, value);
    break;
  case Pre::Exp:
    value = onnxir::ExpOp::create(n.builder, n.loc, value);
    break;
  }
  if (!noop) {
    auto shape =
        onnxir::inferReducedShape(in.getShape(), axes, keepdims, [&] { return n.emitError(); });
    if (failed(shape))
      return failure();
    auto type = RankedTensorType::get(*shape, in.getElementType());
    value = OpTy::create(n.builder, n.loc, type, value, n.builder.getDenseI64ArrayAttr(axes),
                         n.builder.getBoolAttr(keepdims));
  }
  switch (post) {
  case Post::None:
    break;
  case Post::Sqrt:
    value = onnxir::SqrtOp::create(n.builder, n.loc, value);
    break;
  case Post::Log:
    value = onnxir::LogOp::create(n.builder, n.loc, value);
    break;
  }
  results.push_back(value);
  return success();
}

/// Reductions before ReduceSum 13 / the others 18: `axes` is an attribute.
template <typename OpTy, Pre pre = Pre::None, Post post = Post::None>
LogicalResult importReduceAxesAttr(NodeImporter &n, SmallVectorImpl<Value> &results) {
  return importReduce<OpTy, pre, post>(n, n.getInts("axes"), /*noopWithEmptyAxes=*/false,
                                       results);
}

/// ReduceSum 13+ and the others 18+: `axes` is an optional input, constant at compile time.
template <typename OpTy, Pre pre = Pre::None, Post post = Post::None>
LogicalResult importReduceAxesInput(NodeImporter &n, SmallVectorImpl<Value> &results) {
  SmallVector<int64_t> axes;
  if (Value axesInput = n.operand(1)) {
    auto values = n.getConstantInts(axesInput);
    if (!values)
      return n.emitError() << "the axes input must be a compile-time constant (the result shape "
                              "depends on it)";
    axes = *values;
  }
  bool noop = n.getInt("noop_with_empty_axes", 0) != 0;
  return importReduce<OpTy, pre, post>(n, axes, noop, results);
}

/// Registers a reduction with `axes` as an attribute from opset 1 and as an input from 18.
template <typename OpTy, Pre pre = Pre::None, Post post = Post::None>
void addReduction(OpImporterRegistry &registry, StringRef opType) {
  registry.add(opType, 1, importReduceAxesAttr<OpTy, pre, post>);
  registry.add(opType, 18, importReduceAxesInput<OpTy, pre, post>);
}

/// ArgMax and ArgMin: the index along `axis` (default 0) as i64; `select_last_index`
/// (opset 12) picks the last of equal extremes.
template <typename OpTy>
LogicalResult importArgReduce(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  if (!isa<FloatType>(in.getElementType()) && !isa<IntegerType>(in.getElementType()))
    return n.emitError() << "unsupported element type " << in.getElementType();
  if (in.getElementType().isInteger(1))
    return n.emitError() << "unsupported element type " << in.getElementType();
  auto axis = inputAxis(n, /*defaultAxis=*/0);
  if (failed(axis))
    return failure();
  bool keepdims = n.getInt("keepdims", 1) != 0;
  auto shape =
      onnxir::inferReducedShape(in.getShape(), {*axis}, keepdims, [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  auto type = RankedTensorType::get(*shape, n.builder.getI64Type());
  results.push_back(OpTy::create(n.builder, n.loc, type, n.operand(0),
                                 n.builder.getI64IntegerAttr(*axis),
                                 n.builder.getBoolAttr(keepdims),
                                 n.builder.getBoolAttr(n.getInt("select_last_index", 0) != 0)));
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// Softmax and LogSoftmax 13+: over the single `axis` (default -1).
template <typename OpTy>
LogicalResult importSoftmax(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  auto normalized = inputAxis(n, /*defaultAxis=*/-1);
  if (failed(normalized))
    return failure();
  results.push_back(OpTy::create(n.builder, n.loc, n.operand(0), *normalized));
  return success();
}

/// Softmax and LogSoftmax before 13: the input is coerced to 2-D at `axis` (default 1) and
/// the softmax taken over the flattened trailing dims, so import as a reshape around a
/// softmax over dim 1.
template <typename OpTy>
LogicalResult importSoftmaxCoerced(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  auto normalized = inputAxis(n, /*defaultAxis=*/1);
  if (failed(normalized))
    return failure();
  // Over the last dim the two forms agree.
  if (*normalized == in.getRank() - 1) {
    results.push_back(OpTy::create(n.builder, n.loc, n.operand(0), *normalized));
    return success();
  }
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < in.getRank(); ++d)
    (d < *normalized ? outer : inner) *= in.getDimSize(d);
  auto flatType = RankedTensorType::get({outer, inner}, in.getElementType());
  Value flat = onnxir::ReshapeOp::create(n.builder, n.loc, flatType, n.operand(0));
  Value softmax = OpTy::create(n.builder, n.loc, flat, 1);
  results.push_back(onnxir::ReshapeOp::create(n.builder, n.loc, in, softmax));
  return success();
}

/// Hardmax 13+: 1 where the element is the first maximum along `axis`, else 0, built as
/// `equal(iota, arg_max(x))` cast to the input type.
Value buildHardmax(NodeImporter &n, Value input, int64_t axis) {
  auto in = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> keepShape(in.getShape());
  keepShape[axis] = 1;
  auto indexType = RankedTensorType::get(keepShape, n.builder.getI64Type());
  Value argMax = onnxir::ArgMaxOp::create(n.builder, n.loc, indexType, input,
                                          n.builder.getI64IntegerAttr(axis),
                                          n.builder.getBoolAttr(true), n.builder.getBoolAttr(false));
  SmallVector<int64_t> iotaShape(in.getRank(), 1);
  iotaShape[axis] = in.getDimSize(axis);
  Value iota = n.constantI64(llvm::to_vector(llvm::seq<int64_t>(0, in.getDimSize(axis))),
                             ArrayRef<int64_t>(iotaShape));
  Value isMax = onnxir::EqualOp::create(n.builder, n.loc, in.clone(n.builder.getI1Type()), iota,
                                        argMax);
  return onnxir::CastOp::create(n.builder, n.loc, in, isMax);
}

LogicalResult importHardmax(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  auto axis = inputAxis(n, /*defaultAxis=*/-1);
  if (failed(axis))
    return failure();
  results.push_back(buildHardmax(n, n.operand(0), *axis));
  return success();
}

/// Hardmax before 13: over the input coerced to 2-D at `axis` (default 1).
LogicalResult importHardmaxCoerced(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  auto axis = inputAxis(n, /*defaultAxis=*/1);
  if (failed(axis))
    return failure();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < in.getRank(); ++d)
    (d < *axis ? outer : inner) *= in.getDimSize(d);
  auto flatType = RankedTensorType::get({outer, inner}, in.getElementType());
  Value flat = onnxir::ReshapeOp::create(n.builder, n.loc, flatType, n.operand(0));
  results.push_back(onnxir::ReshapeOp::create(n.builder, n.loc, in, buildHardmax(n, flat, 1)));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

/// LayerNormalization 17: the Mean and InvStdDev outputs are produced when asked for.
LogicalResult importLayerNormalization(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType in = n.operandType(0);
  if (!in || !n.operand(1))
    return n.emitError() << "expects X and Scale inputs";
  auto normalized = inputAxis(n, /*defaultAxis=*/-1);
  if (failed(normalized))
    return failure();
  int64_t stashType = n.getInt("stash_type", ::onnx::TensorProto::FLOAT);
  if (stashType != ::onnx::TensorProto::FLOAT)
    return n.emitError() << "stash_type " << stashType << " is not supported (only 1, float)";
  SmallVector<Type> statTypes;
  if (wantsOutput(n, 1) || wantsOutput(n, 2)) {
    // ONNX gives the statistics the stash type.
    auto type = RankedTensorType::get(
        onnxir::LayerNormalizationOp::inferStatisticsShape(in.getShape(), *normalized),
        n.builder.getF32Type());
    statTypes.assign(2, type);
  }
  auto op = onnxir::LayerNormalizationOp::create(
      n.builder, n.loc, in, statTypes, n.operand(0), n.operand(1), n.operand(2),
      n.builder.getI64IntegerAttr(*normalized),
      n.builder.getF32FloatAttr(n.getFloat("epsilon", 1e-5f)));
  results.push_back(op.getResult());
  for (int i = 0; i < 2; ++i)
    results.push_back(statTypes.empty() ? Value() : op.getStatistics()[i]);
  return success();
}

/// BatchNormalization, every opset. Before 7 `is_test` must be 1 and before 9 `spatial`
/// must be 1 (inference only there); from 14 `training_mode=1` normalises with the batch
/// statistics and yields the running mean and variance (opset 14/15 have exactly these
/// three outputs). `momentum` and opset 1's `consumed_inputs` do not matter for inference.
LogicalResult importBatchNormalization(NodeImporter &n, SmallVectorImpl<Value> &results) {
  for (int i = 0; i < 5; ++i)
    if (!n.operand(i))
      return n.emitError() << "expects X, scale, B, input_mean and input_var inputs";
  // The op verifiers (run on what this builds) check the ranks and channel counts.
  RankedTensorType in = n.operandType(0);
  if (n.getInt("training_mode", 0) != 0) {
    auto op = onnxir::BatchNormalizationTrainingOp::create(
        n.builder, n.loc, TypeRange{in, n.operandType(3), n.operandType(4)}, n.operand(0),
        n.operand(1), n.operand(2), n.operand(3), n.operand(4),
        n.builder.getF32FloatAttr(n.getFloat("epsilon", 1e-5f)),
        n.builder.getF32FloatAttr(n.getFloat("momentum", 0.9f)));
    for (int i = 0; i < n.node.output_size(); ++i)
      results.push_back(i < 3 ? op->getResult(i) : Value());
    return success();
  }
  if (n.opset < 7 && n.getInt("is_test", 0) == 0)
    return n.emitError() << "is_test=0 (training) is not supported (inference only)";
  if (n.opset < 9 && n.getInt("spatial", 1) == 0)
    return n.emitError() << "spatial=0 is not supported";
  for (int i = 1; i < n.node.output_size(); ++i)
    if (wantsOutput(n, i))
      return n.emitError() << "the training outputs (running and saved mean and variance) "
                              "are not supported (inference only)";
  results.push_back(onnxir::BatchNormalizationOp::create(
      n.builder, n.loc, in, n.operand(0), n.operand(1), n.operand(2), n.operand(3), n.operand(4),
      n.builder.getF32FloatAttr(n.getFloat("epsilon", 1e-5f))));
  for (int i = 1; i < n.node.output_size(); ++i)
    results.push_back(Value());
  return success();
}

/// (x - mean) / sqrt(var + epsilon) over `axes` (sorted), mean and variance by
/// `reduce_mean`; with `stdEpsilon`, (x - mean) / (sqrt(var) + epsilon) instead, as
/// MeanVarianceNormalization's definition has it.
Value normalizeOver(NodeImporter &n, Value x, ArrayRef<int64_t> axes, double epsilon,
                    bool stdEpsilon) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> keepShape(type.getShape());
  for (int64_t d : axes)
    keepShape[d] = 1;
  auto keepType = RankedTensorType::get(keepShape, type.getElementType());
  auto mean = [&](Value v) -> Value {
    return onnxir::ReduceMeanOp::create(n.builder, n.loc, keepType, v,
                                        n.builder.getDenseI64ArrayAttr(axes),
                                        n.builder.getBoolAttr(true));
  };
  Value centered = onnxir::SubOp::create(n.builder, n.loc, type, x, mean(x));
  Value squares = onnxir::MulOp::create(n.builder, n.loc, type, centered, centered);
  Value var = mean(squares);
  Value eps = n.constantScalar(type.getElementType(), epsilon);
  Value deviation;
  if (stdEpsilon) {
    Value std = onnxir::SqrtOp::create(n.builder, n.loc, var);
    deviation = onnxir::AddOp::create(n.builder, n.loc, keepType, std, eps);
  } else {
    Value shifted = onnxir::AddOp::create(n.builder, n.loc, keepType, var, eps);
    deviation = onnxir::SqrtOp::create(n.builder, n.loc, shifted);
  }
  return onnxir::DivOp::create(n.builder, n.loc, type, centered, deviation);
}

/// InstanceNormalization: normalise each (n, c) over the spatial dims, then scale and shift
/// per channel.
LogicalResult importInstanceNormalization(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType in = n.operandType(0), scale = n.operandType(1), bias = n.operandType(2);
  if (!in || !scale || !bias)
    return n.emitError() << "expects input, scale and B inputs";
  if (!isa<FloatType>(in.getElementType()))
    return n.emitError() << "unsupported element type " << in.getElementType();
  if (in.getRank() < 3)
    return n.emitError() << "expects an input of rank 3 or more (N x C x D1 x ...), got " << in;
  int64_t channels = in.getDimSize(1);
  for (RankedTensorType t : {scale, bias})
    if (t.getRank() != 1 || t.getDimSize(0) != channels || t.getElementType() != in.getElementType())
      return n.emitError() << "expects scale and B of shape [" << channels
                           << "] and the input's element type, got " << t;
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(2, in.getRank()));
  Value y = normalizeOver(n, n.operand(0), axes, n.getFloat("epsilon", 1e-5f), false);
  SmallVector<int64_t> channelShape(in.getRank() - 1, 1);
  channelShape[0] = channels;
  auto channelType = RankedTensorType::get(channelShape, in.getElementType());
  Value s = onnxir::ReshapeOp::create(n.builder, n.loc, channelType, n.operand(1));
  Value b = onnxir::ReshapeOp::create(n.builder, n.loc, channelType, n.operand(2));
  y = onnxir::MulOp::create(n.builder, n.loc, in, y, s);
  results.push_back(onnxir::AddOp::create(n.builder, n.loc, in, y, b));
  return success();
}

/// MeanVarianceNormalization over `axes` (default [0, 2, 3]).
LogicalResult importMeanVarianceNormalization(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  if (!isa<FloatType>(in.getElementType()))
    return n.emitError() << "unsupported element type " << in.getElementType();
  SmallVector<int64_t> axes;
  SmallVector<int64_t> onnxAxes = n.hasAttr("axes") ? n.getInts("axes") : SmallVector<int64_t>{0, 2, 3};
  for (int64_t axis : onnxAxes) {
    auto normalized = onnxir::normalizeAxis(axis, in.getRank());
    if (!normalized)
      return n.emitError() << "axis " << axis << " is out of range for an input of rank "
                           << in.getRank();
    if (llvm::is_contained(axes, *normalized))
      return n.emitError() << "axis " << axis << " appears more than once in axes";
    axes.push_back(*normalized);
  }
  llvm::sort(axes);
  results.push_back(normalizeOver(n, n.operand(0), axes, 1e-9, /*stdEpsilon=*/true));
  return success();
}

} // namespace

void cleave::populateNormImporters(OpImporterRegistry &registry) {
  // Axes moved from an attribute to an optional input in ReduceSum 13 and in the other
  // reductions in 18.
  registry.add("ReduceSum", 1, importReduceAxesAttr<onnxir::ReduceSumOp>);
  registry.add("ReduceSum", 13, importReduceAxesInput<onnxir::ReduceSumOp>);
  addReduction<onnxir::ReduceMeanOp>(registry, "ReduceMean");
  addReduction<onnxir::ReduceMaxOp>(registry, "ReduceMax");
  addReduction<onnxir::ReduceMinOp>(registry, "ReduceMin");
  addReduction<onnxir::ReduceProdOp>(registry, "ReduceProd");
  addReduction<onnxir::ReduceSumOp, Pre::Abs>(registry, "ReduceL1");
  addReduction<onnxir::ReduceSumOp, Pre::Square, Post::Sqrt>(registry, "ReduceL2");
  addReduction<onnxir::ReduceSumOp, Pre::Square>(registry, "ReduceSumSquare");
  addReduction<onnxir::ReduceSumOp, Pre::None, Post::Log>(registry, "ReduceLogSum");
  addReduction<onnxir::ReduceSumOp, Pre::Exp, Post::Log>(registry, "ReduceLogSumExp");
  registry.add("ArgMax", 1, importArgReduce<onnxir::ArgMaxOp>);
  registry.add("ArgMin", 1, importArgReduce<onnxir::ArgMinOp>);
  // Softmax 13 changed from "coerce to 2-D at axis" to "along axis".
  registry.add("Softmax", 1, importSoftmaxCoerced<onnxir::SoftmaxOp>);
  registry.add("Softmax", 13, importSoftmax<onnxir::SoftmaxOp>);
  registry.add("LogSoftmax", 1, importSoftmaxCoerced<onnxir::LogSoftmaxOp>);
  registry.add("LogSoftmax", 13, importSoftmax<onnxir::LogSoftmaxOp>);
  registry.add("Hardmax", 1, importHardmaxCoerced);
  registry.add("Hardmax", 13, importHardmax);
  registry.add("LayerNormalization", 17, importLayerNormalization);
  registry.add("InstanceNormalization", 1, importInstanceNormalization);
  registry.add("MeanVarianceNormalization", 9, importMeanVarianceNormalization);
  registry.add("BatchNormalization", 1, importBatchNormalization);
}
