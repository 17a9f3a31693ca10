// onnx -> linalg lowering: shape and data-movement ops.
#include "compiler/conversion/OnnxToLinalg/Patterns.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace cleave;

namespace {

struct ReshapeLowering : OpConversionPattern<onnxir::ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(onnxir::ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    rewriter.replaceOp(op, reshapeTensor(rewriter, op.getLoc(), adaptor.getInput(), type));
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<onnxir::TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(onnxir::TransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    Value init = tensor::EmptyOp::create(rewriter, op.getLoc(), type.getShape(),
                                         type.getElementType());
    rewriter.replaceOp(op, linalg::TransposeOp::create(rewriter, op.getLoc(),
                                                       adaptor.getInput(), init, op.getPerm())
                               .getResult());
    return success();
  }
};

} // namespace

void cleave::populateShapeToLinalgPatterns(const OnnxTypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, TransposeLowering>(converter, patterns.getContext());
}
