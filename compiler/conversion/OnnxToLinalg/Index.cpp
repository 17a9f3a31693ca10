// onnx -> linalg lowering: ops that compute or follow indices (ArgMax, ArgMin).
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

} // namespace

void cleave::populateIndexToLinalgPatterns(const OnnxTypeConverter &converter,
                                           RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ArgReduceLowering<onnxir::ArgMaxOp, /*isMax=*/true>,
               ArgReduceLowering<onnxir::ArgMinOp, /*isMax=*/false>>(converter, context);
}
