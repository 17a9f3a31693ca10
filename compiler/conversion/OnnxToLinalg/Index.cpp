// onnx -> linalg lowering: ops that compute or follow indices (ArgMax, ArgMin,
// GatherElements, NegativeLogLikelihoodLoss).
#include "compiler/conversion/OnnxToLinalg/Patterns.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace cleave;

namespace {

//===----------------------------------------------------------------------===//
// ArgMax, ArgMin
//===----------------------------------------------------------------------===//

/// One linalg.generic reducing along the axis into (best value, best index): an element
/// replaces the best when strictly better, or also when equal with `select_last_index`.
template <typename OpTy, bool isMax> struct ArgReduceLowering : OnnxLowering<OpTy> {
  using OnnxLowering<OpTy>::OnnxLowering;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    RankedTensorType resultType = this->convertedType(op);
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    Type elementType = inType.getElementType();
    bool isFloat = isa<FloatType>(elementType);
    bool isUnsigned = getElementTypeOrSelf(op.getInput().getType()).isUnsignedInteger();
    bool last = op.getSelectLastIndex();
    int64_t rank = inType.getRank(), axis = op.getAxis();

    SmallVector<int64_t> shape;
    SmallVector<AffineExpr> exprs;
    SmallVector<utils::IteratorType> iterators;
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis) {
        iterators.push_back(utils::IteratorType::reduction);
        continue;
      }
      iterators.push_back(utils::IteratorType::parallel);
      shape.push_back(inType.getDimSize(d));
      exprs.push_back(getAffineDimExpr(d, context));
    }
    Value init;
    if (isFloat) {
      init = scalarConstant(rewriter, loc, elementType, isMax ? -INFINITY : INFINITY);
    } else {
      unsigned width = elementType.getIntOrFloatBitWidth();
      APInt value = isMax ? (isUnsigned ? APInt::getMinValue(width)
                                        : APInt::getSignedMinValue(width))
                          : (isUnsigned ? APInt::getMaxValue(width)
                                        : APInt::getSignedMaxValue(width));
      init = arith::ConstantOp::create(rewriter, loc, rewriter.getIntegerAttr(elementType, value));
    }
    Value bestValues = filledTensor(rewriter, loc, RankedTensorType::get(shape, elementType), init);
    Type i64 = rewriter.getI64Type();
    Value bestIndices = filledTensor(rewriter, loc, RankedTensorType::get(shape, i64),
                                     scalarConstant(rewriter, loc, i64, 0.0));
    AffineMap outMap = AffineMap::get(rank, 0, exprs, context);
    SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, context), outMap,
                                   outMap};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{bestValues.getType(), bestIndices.getType()}, input,
        ValueRange{bestValues, bestIndices}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], best = args[1], bestIndex = args[2];
          Value index = arith::IndexCastOp::create(b, l, i64, linalg::IndexOp::create(b, l, axis));
          Value better;
          if (isFloat) {
            using P = arith::CmpFPredicate;
            better = arith::CmpFOp::create(b, l, isMax ? (last ? P::OGE : P::OGT)
                                                       : (last ? P::OLE : P::OLT),
                                           x, best);
          } else {
            using P = arith::CmpIPredicate;
            P pred = isMax ? (isUnsigned ? (last ? P::uge : P::ugt) : (last ? P::sge : P::sgt))
                           : (isUnsigned ? (last ? P::ule : P::ult) : (last ? P::sle : P::slt));
            better = arith::CmpIOp::create(b, l, pred, x, best);
          }
          // The first element always counts, so that a slice of only the initial value (or
          // only NaN) still gives a valid index.
          Value first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, index,
                                              scalarConstant(b, l, i64, 0.0));
          better = arith::OrIOp::create(b, l, better, first);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, better, x, best),
                         arith::SelectOp::create(b, l, better, index, bestIndex)});
        });
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, generic.getResult(1), resultType));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// GatherElements
//===----------------------------------------------------------------------===//

/// An index read from an index tensor, as `index`, with negative values counted from the end
/// of a dim of size `dim`.
Value wrappedIndex(OpBuilder &b, Location loc, Value value, int64_t dim) {
  Value index = arith::IndexCastOp::create(b, loc, b.getIndexType(), value);
  Value zero = indexConstant(b, loc, 0);
  Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index, zero);
  Value wrapped = arith::AddIOp::create(b, loc, index, indexConstant(b, loc, dim));
  return arith::SelectOp::create(b, loc, negative, wrapped, index);
}

struct GatherElementsLowering : OnnxLowering<onnxir::GatherElementsOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::GatherElementsOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    Value data = adaptor.getData();
    int64_t axis = op.getAxis();
    int64_t dim = cast<RankedTensorType>(data.getType()).getDimSize(axis);
    Value result = buildIndexedGeneric(
        rewriter, op.getLoc(), type, adaptor.getIndices(),
        rewriter.getMultiDimIdentityMap(type.getRank()),
        [&](OpBuilder &b, Location l, ValueRange indices, ValueRange args) -> Value {
          SmallVector<Value> source(indices);
          source[axis] = wrappedIndex(b, l, args[0], dim);
          return tensor::ExtractOp::create(b, l, data, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// NegativeLogLikelihoodLoss
//===----------------------------------------------------------------------===//

/// The sum of every element of `input`, as a rank-0 tensor.
Value sumAll(OpBuilder &b, Location loc, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  auto scalarType = RankedTensorType::get({}, type.getElementType());
  Value init = filledTensor(b, loc, scalarType, scalarConstant(b, loc, type.getElementType(), 0.0));
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, {}, b.getContext())};
  auto generic = linalg::GenericOp::create(
      b, loc, scalarType, input, init, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::reduction),
      [](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, Value(arith::AddFOp::create(nb, nl, args[0], args[1])));
      });
  return generic.getResult(0);
}

/// One generic over the target's shape gives each element's loss and the weight it took
/// (0 where ignored); "sum" and "mean" then reduce them.
struct NegativeLogLikelihoodLossLowering : OnnxLowering<onnxir::NegativeLogLikelihoodLossOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::NegativeLogLikelihoodLossOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value input = adaptor.getInput(), weight = adaptor.getWeight();
    auto targetType = cast<RankedTensorType>(adaptor.getTarget().getType());
    Type elementType = cast<RankedTensorType>(input.getType()).getElementType();
    int64_t rank = targetType.getRank();
    auto lossType = RankedTensorType::get(targetType.getShape(), elementType);
    std::optional<int64_t> ignoreIndex = op.getIgnoreIndex();

    Value lossInit = tensor::EmptyOp::create(rewriter, loc, lossType.getShape(), elementType);
    Value weightInit = tensor::EmptyOp::create(rewriter, loc, lossType.getShape(), elementType);
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, context);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{lossType, lossType}, adaptor.getTarget(),
        ValueRange{lossInit, weightInit}, SmallVector<AffineMap>(3, id),
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value target = args[0];
          Type targetElement = target.getType();
          Value ignored = arith::ConstantOp::create(b, l, b.getBoolAttr(false));
          if (ignoreIndex)
            ignored = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, target,
                                            scalarConstant(b, l, targetElement, *ignoreIndex));
          // An ignored target may be out of range: read class 0 instead.
          Value cls = arith::SelectOp::create(b, l, ignored, scalarConstant(b, l, targetElement, 0),
                                              target);
          Value clsIndex = arith::IndexCastOp::create(b, l, b.getIndexType(), cls);
          SmallVector<Value> source;
          for (int64_t d = 0; d < rank; ++d) {
            source.push_back(linalg::IndexOp::create(b, l, d));
            if (d == 0)
              source.push_back(clsIndex);
          }
          Value x = tensor::ExtractOp::create(b, l, input, source);
          Value w = weight ? (Value)tensor::ExtractOp::create(b, l, weight, clsIndex)
                           : scalarConstant(b, l, elementType, 1.0);
          w = arith::SelectOp::create(b, l, ignored, scalarConstant(b, l, elementType, 0.0), w);
          Value loss = arith::NegFOp::create(b, l, arith::MulFOp::create(b, l, x, w));
          linalg::YieldOp::create(b, l, ValueRange{loss, w});
        });
    Value losses = generic.getResult(0);
    StringRef reduction = op.getReduction();
    if (reduction == "none") {
      rewriter.replaceOp(op, losses);
      return success();
    }
    Value sum = sumAll(rewriter, loc, losses);
    if (reduction == "mean") {
      Value weights = sumAll(rewriter, loc, generic.getResult(1));
      sum = buildElementwise(rewriter, loc, cast<RankedTensorType>(sum.getType()), {sum, weights},
                             [](OpBuilder &b, Location l, ValueRange a) -> Value {
                               return arith::DivFOp::create(b, l, a[0], a[1]);
                             });
    }
    rewriter.replaceOp(op, sum);
    return success();
  }
};

} // namespace

void cleave::populateIndexToLinalgPatterns(const OnnxTypeConverter &converter,
                                           RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ArgReduceLowering<onnxir::ArgMaxOp, /*isMax=*/true>,
               ArgReduceLowering<onnxir::ArgMinOp, /*isMax=*/false>, GatherElementsLowering,
               NegativeLogLikelihoodLossLowering>(converter, context);
}
