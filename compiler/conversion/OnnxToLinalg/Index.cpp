// onnx -> linalg lowering: ops that compute or follow indices (ArgMax, ArgMin,
// GatherElements, GatherND, ScatterElements, ScatterND, NegativeLogLikelihoodLoss).
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
// GatherND
//===----------------------------------------------------------------------===//

/// Each result element reads its index tuple from `indices` and then the data.
struct GatherNDLowering : OnnxLowering<onnxir::GatherNDOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::GatherNDOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataType = cast<RankedTensorType>(data.getType());
    auto indicesType = cast<RankedTensorType>(indices.getType());
    int64_t batchDims = op.getBatchDims();
    int64_t q = indicesType.getRank(), k = indicesType.getDimSize(q - 1);
    Value result = buildIndexedGeneric(
        rewriter, op.getLoc(), type, {}, {},
        [&](OpBuilder &b, Location l, ValueRange loop, ValueRange) -> Value {
          SmallVector<Value> position(loop.take_front(q - 1));
          SmallVector<Value> source(loop.take_front(batchDims));
          for (int64_t j = 0; j < k; ++j) {
            position.push_back(indexConstant(b, l, j));
            Value v = tensor::ExtractOp::create(b, l, indices, position);
            position.pop_back();
            source.push_back(wrappedIndex(b, l, v, dataType.getDimSize(batchDims + j)));
          }
          llvm::append_range(source, loop.drop_front(q - 1));
          return tensor::ExtractOp::create(b, l, data, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ScatterElements, ScatterND
//===----------------------------------------------------------------------===//

/// `update` combined into `current` by a scatter's `reduction`.
Value combineScatter(OpBuilder &b, Location loc, StringRef reduction, Value current, Value update,
                     bool isUnsigned) {
  bool isFloat = isa<FloatType>(update.getType());
  if (reduction == "add")
    return isFloat ? (Value)arith::AddFOp::create(b, loc, current, update)
                   : (Value)arith::AddIOp::create(b, loc, current, update);
  if (reduction == "mul")
    return isFloat ? (Value)arith::MulFOp::create(b, loc, current, update)
                   : (Value)arith::MulIOp::create(b, loc, current, update);
  if (reduction == "max")
    return isFloat      ? (Value)arith::MaximumFOp::create(b, loc, current, update)
           : isUnsigned ? (Value)arith::MaxUIOp::create(b, loc, current, update)
                        : (Value)arith::MaxSIOp::create(b, loc, current, update);
  if (reduction == "min")
    return isFloat      ? (Value)arith::MinimumFOp::create(b, loc, current, update)
           : isUnsigned ? (Value)arith::MinUIOp::create(b, loc, current, update)
                        : (Value)arith::MinSIOp::create(b, loc, current, update);
  return update;
}

/// A generic over the data's dims (parallel) and `reductionDims` more dims (the update
/// positions that may land on an element), starting from the data. `indices` is read
/// through `indicesMap` only to give the loop bounds of the extra dims; `body` gets the loop
/// indices and the current value and yields the new one.
Value buildScatter(
    OpBuilder &b, Location loc, Value data, int64_t reductionDims, Value indices,
    AffineMap indicesMap,
    function_ref<Value(OpBuilder &, Location, ValueRange loop, Value current)> body) {
  MLIRContext *context = b.getContext();
  auto type = cast<RankedTensorType>(data.getType());
  int64_t rank = type.getRank(), total = rank + reductionDims;
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  iterators.append(reductionDims, utils::IteratorType::reduction);
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(getAffineDimExpr(d, context));
  SmallVector<AffineMap> maps = {indicesMap, AffineMap::get(total, 0, exprs, context)};
  auto generic = linalg::GenericOp::create(
      b, loc, type, indices, data, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> loop;
        for (int64_t d = 0; d < total; ++d)
          loop.push_back(linalg::IndexOp::create(nb, nl, d));
        linalg::YieldOp::create(nb, nl, body(nb, nl, loop, args[1]));
      });
  return generic.getResult(0);
}

/// Element i of the result looks at the updates u that agree with i off the axis and whose
/// index equals i's coordinate on the axis: O(data x updates along the axis).
struct ScatterElementsLowering : OnnxLowering<onnxir::ScatterElementsOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::ScatterElementsOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData(), indices = adaptor.getIndices(), updates = adaptor.getUpdates();
    auto dataType = cast<RankedTensorType>(data.getType());
    auto updatesType = cast<RankedTensorType>(updates.getType());
    int64_t rank = dataType.getRank(), axis = op.getAxis();
    bool isUnsigned = getElementTypeOrSelf(op.getData().getType()).isUnsignedInteger();
    StringRef reduction = op.getReduction();
    // The indices, read at 0 off the axis and at the extra dim on it, bound that dim.
    MLIRContext *context = rewriter.getContext();
    SmallVector<AffineExpr> boundExprs(rank, getAffineConstantExpr(0, context));
    boundExprs[axis] = getAffineDimExpr(rank, context);
    Value result = buildScatter(
        rewriter, op.getLoc(), data, 1, indices, AffineMap::get(rank + 1, 0, boundExprs, context),
        [&](OpBuilder &b, Location l, ValueRange loop, Value current) -> Value {
          Value inBounds = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
          SmallVector<Value> position;
          for (int64_t d = 0; d < rank; ++d) {
            if (d == axis) {
              position.push_back(loop[rank]);
              continue;
            }
            if (updatesType.getDimSize(d) == dataType.getDimSize(d)) {
              position.push_back(loop[d]);
              continue;
            }
            // Off the updates' extent: read a valid position and drop the result.
            Value size = indexConstant(b, l, updatesType.getDimSize(d));
            Value inside = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, loop[d], size);
            inBounds = arith::AndIOp::create(b, l, inBounds, inside);
            position.push_back(
                arith::SelectOp::create(b, l, inside, loop[d], indexConstant(b, l, 0)));
          }
          Value index = wrappedIndex(b, l, tensor::ExtractOp::create(b, l, indices, position),
                                     dataType.getDimSize(axis));
          Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, index, loop[axis]);
          hit = arith::AndIOp::create(b, l, hit, inBounds);
          Value update = tensor::ExtractOp::create(b, l, updates, position);
          Value combined = combineScatter(b, l, reduction, current, update, isUnsigned);
          return arith::SelectOp::create(b, l, hit, combined, current);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Element i of the result looks at every index tuple: O(data x tuples).
struct ScatterNDLowering : OnnxLowering<onnxir::ScatterNDOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::ScatterNDOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData(), indices = adaptor.getIndices(), updates = adaptor.getUpdates();
    auto dataType = cast<RankedTensorType>(data.getType());
    auto indicesType = cast<RankedTensorType>(indices.getType());
    int64_t rank = dataType.getRank(), q = indicesType.getRank();
    int64_t k = indicesType.getDimSize(q - 1);
    bool isUnsigned = getElementTypeOrSelf(op.getData().getType()).isUnsignedInteger();
    StringRef reduction = op.getReduction();
    // The indices, read at the extra dims and 0 in the tuple dim, bound those dims.
    MLIRContext *context = rewriter.getContext();
    SmallVector<AffineExpr> boundExprs;
    for (int64_t d = 0; d + 1 < q; ++d)
      boundExprs.push_back(getAffineDimExpr(rank + d, context));
    boundExprs.push_back(getAffineConstantExpr(0, context));
    Value result = buildScatter(
        rewriter, op.getLoc(), data, q - 1, indices,
        AffineMap::get(rank + q - 1, 0, boundExprs, context),
        [&](OpBuilder &b, Location l, ValueRange loop, Value current) -> Value {
          SmallVector<Value> tuple(loop.drop_front(rank));
          Value hit = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
          for (int64_t j = 0; j < k; ++j) {
            tuple.push_back(indexConstant(b, l, j));
            Value index = wrappedIndex(b, l, tensor::ExtractOp::create(b, l, indices, tuple),
                                       dataType.getDimSize(j));
            tuple.pop_back();
            hit = arith::AndIOp::create(
                b, l, hit, arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, index, loop[j]));
          }
          SmallVector<Value> position(loop.drop_front(rank));
          llvm::append_range(position, loop.slice(k, rank - k));
          Value update = tensor::ExtractOp::create(b, l, updates, position);
          Value combined = combineScatter(b, l, reduction, current, update, isUnsigned);
          return arith::SelectOp::create(b, l, hit, combined, current);
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
               GatherNDLowering, ScatterElementsLowering, ScatterNDLowering,
               NegativeLogLikelihoodLossLowering>(converter, context);
}
