// onnx -> linalg lowering: normalisation, softmax and reductions.
//
// Every reduction is a linalg.generic with reduction iterators into a filled init, its
// reduced dims dropped from the result; values that broadcast back over the input are
// reshaped to the keepdims shape and combined with `buildElementwise`, so that elementwise
// fusion can merge the chains. f16 softmax and layer normalisation accumulate in f32.
#include "compiler/conversion/OnnxToLinalg/Patterns.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace cleave;

namespace {

using CombineFn = function_ref<Value(OpBuilder &, Location, Value element, Value acc)>;

/// A linalg.generic that folds `input` over the sorted `dims` into a tensor with those dims
/// dropped, starting from `init` (a scalar) and combining with `combine`.
Value buildReduction(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> dims, Value init,
                     CombineFn combine) {
  MLIRContext *context = b.getContext();
  auto inType = cast<RankedTensorType>(input.getType());
  int64_t rank = inType.getRank();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> exprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    if (llvm::is_contained(dims, d)) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    shape.push_back(inType.getDimSize(d));
    exprs.push_back(getAffineDimExpr(d, context));
  }
  auto outType = RankedTensorType::get(shape, inType.getElementType());
  Value acc = filledTensor(b, loc, outType, init);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, context),
                                 AffineMap::get(rank, 0, exprs, context)};
  auto generic = linalg::GenericOp::create(
      b, loc, outType, input, acc, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc, combine(nested, nestedLoc, args[0], args[1]));
      });
  return generic.getResult(0);
}

/// `type`'s shape with `dims` set to 1: where reduced values are broadcast back from.
RankedTensorType keepDimsType(RankedTensorType type, ArrayRef<int64_t> dims, Type elementType) {
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t d : dims)
    shape[d] = 1;
  return RankedTensorType::get(shape, elementType);
}

/// Reduces over `dims` and reshapes the result to the keepdims shape.
Value buildKeepDimsReduction(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> dims,
                             Value init, CombineFn combine) {
  auto inType = cast<RankedTensorType>(input.getType());
  Value reduced = buildReduction(b, loc, input, dims, init, combine);
  return reshapeTensor(b, loc, reduced, keepDimsType(inType, dims, inType.getElementType()));
}

Value addF(OpBuilder &b, Location loc, Value x, Value acc) {
  return arith::AddFOp::create(b, loc, x, acc);
}
Value maxF(OpBuilder &b, Location loc, Value x, Value acc) {
  return arith::MaximumFOp::create(b, loc, x, acc);
}

/// A float scalar converted to the float type `to` (extended or truncated).
Value convertFloat(OpBuilder &b, Location loc, Value v, Type to) {
  auto from = cast<FloatType>(v.getType());
  if (from == to)
    return v;
  if (from.getWidth() < cast<FloatType>(to).getWidth())
    return arith::ExtFOp::create(b, loc, to, v);
  return arith::TruncFOp::create(b, loc, to, v);
}

/// A float tensor converted elementwise to `elementType`.
Value convertFloatTensor(OpBuilder &b, Location loc, Value v, Type elementType) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType() == elementType)
    return v;
  return buildElementwise(b, loc, type.clone(elementType), v,
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            return convertFloat(nb, nl, a[0], elementType);
                          });
}

/// The type arithmetic runs in for values of `elementType`: f16 accumulates in f32.
Type computeType(Type elementType) {
  return elementType.isF16() ? Float32Type::get(elementType.getContext()) : elementType;
}

/// The [C, 1, ..., 1] type a per-channel tensor of `channelType` ([C]) is reshaped to, so
/// that it broadcasts along dim 1 of a rank-`rank` input.
RankedTensorType channelBroadcastType(RankedTensorType channelType, int64_t rank) {
  SmallVector<int64_t> shape(rank - 1, 1);
  shape[0] = channelType.getDimSize(0);
  return RankedTensorType::get(shape, channelType.getElementType());
}

/// Batch normalisation of `input` with per-channel statistics `mean` and `var` (the running
/// ones at inference, the batch's in training): a = scale / sqrt(var + epsilon) and
/// b = bias - mean * a per channel, then y = x * a + b with a and b broadcast along dim 1.
Value normalizeChannels(OpBuilder &builder, Location loc, RankedTensorType resultType, Value input,
                        Value scale, Value bias, Value mean, Value var, double epsilon) {
  Type type = resultType.getElementType();
  auto channelType = cast<RankedTensorType>(scale.getType());
  Value factor =
      buildElementwise(builder, loc, channelType, {scale, var},
                       [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                         Value sum =
                             arith::AddFOp::create(b, l, a[1], scalarConstant(b, l, type, epsilon));
                         return arith::DivFOp::create(b, l, a[0], math::SqrtOp::create(b, l, sum));
                       });
  Value shift = buildElementwise(builder, loc, channelType, {bias, mean, factor},
                                 [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                   Value scaled = arith::MulFOp::create(b, l, a[1], a[2]);
                                   return arith::SubFOp::create(b, l, a[0], scaled);
                                 });
  auto broadcastType = channelBroadcastType(channelType, resultType.getRank());
  factor = reshapeTensor(builder, loc, factor, broadcastType);
  shift = reshapeTensor(builder, loc, shift, broadcastType);
  return buildElementwise(builder, loc, resultType, {input, factor, shift},
                          [](OpBuilder &b, Location l, ValueRange a) -> Value {
                            Value scaled = arith::MulFOp::create(b, l, a[0], a[1]);
                            return arith::AddFOp::create(b, l, scaled, a[2]);
                          });
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

enum class ReduceKind { Sum, Mean, Max, Min, Prod };

template <typename OpTy, ReduceKind kind> struct ReduceLowering : OnnxLowering<OpTy> {
  using OnnxLowering<OpTy>::OnnxLowering;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType resultType = this->convertedType(op);
    Type elementType = resultType.getElementType();
    bool isFloat = isa<FloatType>(elementType);
    bool isUnsigned = getElementTypeOrSelf(op.getInput().getType()).isUnsignedInteger();

    // The identity of the combining operation: 0, 1, or the lowest / highest value.
    Value init;
    if (kind == ReduceKind::Sum || kind == ReduceKind::Mean) {
      init = scalarConstant(rewriter, loc, elementType, 0.0);
    } else if (kind == ReduceKind::Prod) {
      init = scalarConstant(rewriter, loc, elementType, 1.0);
    } else if (isFloat) {
      init = scalarConstant(rewriter, loc, elementType,
                            kind == ReduceKind::Max ? -INFINITY : INFINITY);
    } else {
      unsigned width = elementType.getIntOrFloatBitWidth();
      APInt value = kind == ReduceKind::Max
                        ? (isUnsigned ? APInt::getMinValue(width) : APInt::getSignedMinValue(width))
                        : (isUnsigned ? APInt::getMaxValue(width) : APInt::getSignedMaxValue(width));
      init = arith::ConstantOp::create(rewriter, loc, rewriter.getIntegerAttr(elementType, value));
    }
    auto combine = [&](OpBuilder &b, Location l, Value x, Value acc) -> Value {
      switch (kind) {
      case ReduceKind::Sum:
      case ReduceKind::Mean:
        return isFloat ? (Value)arith::AddFOp::create(b, l, x, acc)
                       : (Value)arith::AddIOp::create(b, l, x, acc);
      case ReduceKind::Prod:
        return isFloat ? (Value)arith::MulFOp::create(b, l, x, acc)
                       : (Value)arith::MulIOp::create(b, l, x, acc);
      case ReduceKind::Max:
        if (isFloat)
          return arith::MaximumFOp::create(b, l, x, acc);
        return isUnsigned ? (Value)arith::MaxUIOp::create(b, l, x, acc)
                          : (Value)arith::MaxSIOp::create(b, l, x, acc);
      case ReduceKind::Min:
        if (isFloat)
          return arith::MinimumFOp::create(b, l, x, acc);
        return isUnsigned ? (Value)arith::MinUIOp::create(b, l, x, acc)
                          : (Value)arith::MinSIOp::create(b, l, x, acc);
      }
      llvm_unreachable("covered switch");
    };
    ArrayRef<int64_t> axes = op.getAxes();
    Value reduced = buildReduction(rewriter, loc, adaptor.getInput(), axes, init, combine);

    if (kind == ReduceKind::Mean) {
      auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
      int64_t count = 1;
      for (int64_t d : axes)
        count *= inType.getDimSize(d);
      reduced =
          buildElementwise(rewriter, loc, cast<RankedTensorType>(reduced.getType()), reduced,
                           [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                             if (isFloat)
                               return arith::MulFOp::create(
                                   b, l, a[0], scalarConstant(b, l, elementType, 1.0 / count));
                             Value n = scalarConstant(b, l, elementType, count);
                             return isUnsigned ? (Value)arith::DivUIOp::create(b, l, a[0], n)
                                               : (Value)arith::DivSIOp::create(b, l, a[0], n);
                           });
    }
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, reduced, resultType));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// softmax = e / sum(e) and log_softmax = (x - max) - log(sum(e)), e = exp(x - max), the
/// max and sum taken along the axis.
template <typename OpTy, bool isLog> struct SoftmaxLowering : OnnxLowering<OpTy> {
  using OnnxLowering<OpTy>::OnnxLowering;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType resultType = this->convertedType(op);
    int64_t axis = *onnxir::normalizeAxis(op.getAxis(), resultType.getRank());
    Type type = computeType(resultType.getElementType());
    auto fullType = resultType.clone(type);
    auto keepType = keepDimsType(fullType, axis, type);

    Value x = convertFloatTensor(rewriter, loc, adaptor.getInput(), type);
    Value max = buildKeepDimsReduction(rewriter, loc, x, axis,
                                       scalarConstant(rewriter, loc, type, -INFINITY), maxF);
    Value shifted = buildElementwise(rewriter, loc, fullType, {x, max},
                                     [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                       return arith::SubFOp::create(b, l, a[0], a[1]);
                                     });
    Value exp = buildElementwise(rewriter, loc, fullType, shifted,
                                 [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                   return math::ExpOp::create(b, l, a[0]);
                                 });
    Value sum = buildKeepDimsReduction(rewriter, loc, exp, axis,
                                       scalarConstant(rewriter, loc, type, 0.0), addF);
    Value result;
    if (isLog) {
      Value logSum = buildElementwise(rewriter, loc, keepType, sum,
                                      [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                        return math::LogOp::create(b, l, a[0]);
                                      });
      result = buildElementwise(rewriter, loc, fullType, {shifted, logSum},
                                [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                  return arith::SubFOp::create(b, l, a[0], a[1]);
                                });
    } else {
      result = buildElementwise(rewriter, loc, fullType, {exp, sum},
                                [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                  return arith::DivFOp::create(b, l, a[0], a[1]);
                                });
    }
    rewriter.replaceOp(op, convertFloatTensor(rewriter, loc, result, resultType.getElementType()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

/// mean = sum(x) / N, d = x - mean, inv = 1 / sqrt(sum(d * d) / N + epsilon),
/// y = d * inv * scale + bias, over dims axis .. rank-1.
struct LayerNormalizationLowering : OnnxLowering<onnxir::LayerNormalizationOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::LayerNormalizationOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType resultType = convertedType(op);
    int64_t rank = resultType.getRank();
    int64_t axis = *onnxir::normalizeAxis(op.getAxis(), rank);
    SmallVector<int64_t> dims;
    int64_t count = 1;
    for (int64_t d = axis; d < rank; ++d) {
      dims.push_back(d);
      count *= resultType.getDimSize(d);
    }
    Type type = computeType(resultType.getElementType());
    auto fullType = resultType.clone(type);
    auto keepType = keepDimsType(fullType, dims, type);
    Value zero = scalarConstant(rewriter, loc, type, 0.0);
    auto scaleBy = [&](double factor) {
      return [=](OpBuilder &b, Location l, ValueRange a) -> Value {
        return arith::MulFOp::create(b, l, a[0], scalarConstant(b, l, type, factor));
      };
    };

    Value x = convertFloatTensor(rewriter, loc, adaptor.getInput(), type);
    Value sum = buildKeepDimsReduction(rewriter, loc, x, dims, zero, addF);
    Value mean = buildElementwise(rewriter, loc, keepType, sum, scaleBy(1.0 / count));
    Value centered = buildElementwise(rewriter, loc, fullType, {x, mean},
                                      [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                        return arith::SubFOp::create(b, l, a[0], a[1]);
                                      });
    Value squared = buildElementwise(rewriter, loc, fullType, centered,
                                     [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                       return arith::MulFOp::create(b, l, a[0], a[0]);
                                     });
    Value sumSquares = buildKeepDimsReduction(rewriter, loc, squared, dims, zero, addF);
    double epsilon = op.getEpsilon().convertToDouble();
    Value invStdDev = buildElementwise(
        rewriter, loc, keepType, sumSquares, [&](OpBuilder &b, Location l, ValueRange a) {
          Value var = arith::MulFOp::create(b, l, a[0], scalarConstant(b, l, type, 1.0 / count));
          Value shifted = arith::AddFOp::create(b, l, var, scalarConstant(b, l, type, epsilon));
          Value root = math::SqrtOp::create(b, l, shifted);
          return (Value)arith::DivFOp::create(b, l, scalarConstant(b, l, type, 1.0), root);
        });

    SmallVector<Value> operands = {centered, invStdDev, adaptor.getScale()};
    if (adaptor.getBias())
      operands.push_back(adaptor.getBias());
    Type resultElementType = resultType.getElementType();
    Value y = buildElementwise(
        rewriter, loc, resultType, operands, [&](OpBuilder &b, Location l, ValueRange a) {
          Value v = arith::MulFOp::create(b, l, a[0], a[1]);
          v = arith::MulFOp::create(b, l, v, convertFloat(b, l, a[2], type));
          if (a.size() > 3)
            v = arith::AddFOp::create(b, l, v, convertFloat(b, l, a[3], type));
          return convertFloat(b, l, v, resultElementType);
        });

    SmallVector<Value> results = {y};
    if (!op.getStatistics().empty()) {
      Type statType = convertedType(op, /*i=*/1).getElementType();
      results.push_back(convertFloatTensor(rewriter, loc, mean, statType));
      results.push_back(convertFloatTensor(rewriter, loc, invStdDev, statType));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// Normalisation with the running statistics (normalizeChannels).
struct BatchNormalizationLowering : OnnxLowering<onnxir::BatchNormalizationOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::BatchNormalizationOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, normalizeChannels(rewriter, op.getLoc(), convertedType(op),
                                             adaptor.getInput(), adaptor.getScale(),
                                             adaptor.getBias(), adaptor.getMean(), adaptor.getVar(),
                                             op.getEpsilon().convertToDouble()));
    return success();
  }
};

/// Training mode: per channel the batch mean m = sum(x) / count and biased variance
/// v = sum((x - m)^2) / count over every dim but 1, then y as in inference with (m, v),
/// and the running statistics mean * momentum + m * (1 - momentum) (likewise for var).
struct BatchNormalizationTrainingLowering : OnnxLowering<onnxir::BatchNormalizationTrainingOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::BatchNormalizationTrainingOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType resultType = convertedType(op);
    Type type = resultType.getElementType();
    auto channelType = cast<RankedTensorType>(adaptor.getScale().getType());
    double epsilon = op.getEpsilon().convertToDouble();
    double momentum = op.getMomentum().convertToDouble();
    int64_t rank = resultType.getRank();
    SmallVector<int64_t> dims;
    for (int64_t d = 0; d < rank; ++d)
      if (d != 1)
        dims.push_back(d);
    double count = static_cast<double>(resultType.getNumElements() / channelType.getDimSize(0));
    Value zero = scalarConstant(rewriter, loc, type, 0.0);
    auto addCombine = [](OpBuilder &b, Location l, Value x, Value acc) -> Value {
      return arith::AddFOp::create(b, l, x, acc);
    };
    auto divideByCount = [&](Value sum) {
      return buildElementwise(rewriter, loc, channelType, {sum},
                              [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                return arith::DivFOp::create(
                                    b, l, a[0], scalarConstant(b, l, type, count));
                              });
    };
    Value input = adaptor.getInput();
    Value mean = divideByCount(buildReduction(rewriter, loc, input, dims, zero, addCombine));
    Value squares = buildElementwise(
        rewriter, loc, resultType,
        {input, reshapeTensor(rewriter, loc, mean, channelBroadcastType(channelType, rank))},
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value diff = arith::SubFOp::create(b, l, a[0], a[1]);
          return arith::MulFOp::create(b, l, diff, diff);
        });
    Value var = divideByCount(buildReduction(rewriter, loc, squares, dims, zero, addCombine));
    Value y = normalizeChannels(rewriter, loc, resultType, input, adaptor.getScale(),
                                adaptor.getBias(), mean, var, epsilon);
    auto running = [&](Value old, Value current) {
      return buildElementwise(
          rewriter, loc, channelType, {old, current},
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value kept = arith::MulFOp::create(b, l, a[0], scalarConstant(b, l, type, momentum));
            Value added =
                arith::MulFOp::create(b, l, a[1], scalarConstant(b, l, type, 1.0 - momentum));
            return arith::AddFOp::create(b, l, kept, added);
          });
    };
    rewriter.replaceOp(op, ValueRange{y, running(adaptor.getMean(), mean),
                                      running(adaptor.getVar(), var)});
    return success();
  }
};

} // namespace

void cleave::populateNormToLinalgPatterns(const OnnxTypeConverter &converter,
                                          RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ReduceLowering<onnxir::ReduceSumOp, ReduceKind::Sum>,
               ReduceLowering<onnxir::ReduceMeanOp, ReduceKind::Mean>,
               ReduceLowering<onnxir::ReduceMaxOp, ReduceKind::Max>,
               ReduceLowering<onnxir::ReduceMinOp, ReduceKind::Min>,
               ReduceLowering<onnxir::ReduceProdOp, ReduceKind::Prod>,
               SoftmaxLowering<onnxir::SoftmaxOp, /*isLog=*/false>,
               SoftmaxLowering<onnxir::LogSoftmaxOp, /*isLog=*/true>, LayerNormalizationLowering,
               BatchNormalizationLowering, BatchNormalizationTrainingLowering>(converter,
                                                                               context);
}
