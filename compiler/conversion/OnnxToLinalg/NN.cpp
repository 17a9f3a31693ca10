// onnx -> linalg lowering: matmul/gemm, convolution, pooling, normalisation, reductions.
#include "compiler/conversion/OnnxToLinalg/Patterns.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace cleave;

namespace {

/// MatMul: 2-D -> linalg.matmul; batched -> linalg.batch_matmul after broadcasting and
/// flattening the batch dims; 1-D operands get a unit dim that is dropped afterwards.
struct MatMulLowering : OpConversionPattern<onnxir::MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(onnxir::MatMulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType =
        cast<RankedTensorType>(getTypeConverter()->convertType(op.getResult().getType()));
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    Type elementType = resultType.getElementType();
    // Promote 1-D operands as numpy does.
    if (lhsType.getRank() == 1) {
      lhsType = RankedTensorType::get({1, lhsType.getDimSize(0)}, elementType);
      lhs = reshapeTensor(rewriter, loc, lhs, lhsType);
    }
    if (rhsType.getRank() == 1) {
      rhsType = RankedTensorType::get({rhsType.getDimSize(0), 1}, elementType);
      rhs = reshapeTensor(rewriter, loc, rhs, rhsType);
    }
    int64_t m = lhsType.getDimSize(lhsType.getRank() - 2);
    int64_t k = lhsType.getShape().back();
    int64_t n = rhsType.getShape().back();
    Value zero = scalarConstant(rewriter, loc, elementType, 0.0);

    if (lhsType.getRank() == 2 && rhsType.getRank() == 2) {
      auto type = RankedTensorType::get({m, n}, elementType);
      Value init = filledTensor(rewriter, loc, type, zero);
      Value result =
          linalg::MatmulOp::create(rewriter, loc, ValueRange{lhs, rhs}, ValueRange{init})
              .getResult(0);
      rewriter.replaceOp(op, reshapeTensor(rewriter, loc, result, resultType));
      return success();
    }

    // Batched: broadcast both to the common batch shape, flatten it, batch_matmul.
    auto batch = *onnxir::broadcastShapes(lhsType.getShape().drop_back(2),
                                        rhsType.getShape().drop_back(2));
    int64_t batchCount = 1;
    for (int64_t d : batch)
      batchCount *= d;
    auto broadcastTo = [&](Value v, RankedTensorType type, int64_t rows, int64_t cols) {
      SmallVector<int64_t> shape(batch);
      shape.push_back(rows);
      shape.push_back(cols);
      auto full = RankedTensorType::get(shape, elementType);
      if (type != full)
        v = buildElementwise(rewriter, loc, full, v,
                             [](OpBuilder &, Location, ValueRange a) { return a[0]; });
      return reshapeTensor(rewriter, loc, v,
                           RankedTensorType::get({batchCount, rows, cols}, elementType));
    };
    Value lhs3 = broadcastTo(lhs, lhsType, m, k);
    Value rhs3 = broadcastTo(rhs, rhsType, k, n);
    auto type = RankedTensorType::get({batchCount, m, n}, elementType);
    Value init = filledTensor(rewriter, loc, type, zero);
    Value result =
        linalg::BatchMatmulOp::create(rewriter, loc, ValueRange{lhs3, rhs3}, ValueRange{init})
            .getResult(0);
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, result, resultType));
    return success();
  }
};

} // namespace

void cleave::populateNNToLinalgPatterns(const OnnxTypeConverter &converter,
                                        RewritePatternSet &patterns) {
  patterns.add<MatMulLowering>(converter, patterns.getContext());
}
