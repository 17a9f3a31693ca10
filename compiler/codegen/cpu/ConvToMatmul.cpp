// CPU code generation: rewrites into ops the CPU schedules and loop lowering handle well:
// 2-D convolutions as im2col + matmul, memref copies as linalg copies.
#include "compiler/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_CPUCONVTOMATMULPASS
#define GEN_PASS_DEF_CPUCOPIESTOLINALGPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

/// Columns are padded to a multiple of this, the narrowest register tile the matmul
/// schedule vectorises well.
constexpr int64_t kColumnMultiple = 16;

int64_t attrAt(DenseIntElementsAttr attr, int64_t i) {
  return (*(attr.getValues<int64_t>().begin() + i));
}

/// Pads a 2-D tensor with zero columns up to `columns` columns (no-op if it has them).
Value padColumns(PatternRewriter &rewriter, Location loc, Value value, int64_t columns) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getDimSize(1) == columns)
    return value;
  Type elementType = type.getElementType();
  Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(elementType, 0));
  SmallVector<OpFoldResult> low = {rewriter.getIndexAttr(0), rewriter.getIndexAttr(0)};
  SmallVector<OpFoldResult> high = {rewriter.getIndexAttr(0),
                                    rewriter.getIndexAttr(columns - type.getDimSize(1))};
  return tensor::PadOp::create(
      rewriter, loc, RankedTensorType::get({type.getDimSize(0), columns}, elementType), value,
      low, high, zero);
}

struct ConvToMatmul : OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp conv,
                                PatternRewriter &rewriter) const override {
    Value input = conv.getInputs()[0], filter = conv.getInputs()[1];
    Value init = conv.getOutputs()[0];
    auto inType = dyn_cast<RankedTensorType>(input.getType());
    auto filterType = dyn_cast<RankedTensorType>(filter.getType());
    auto outType = dyn_cast<RankedTensorType>(init.getType());
    if (!inType || !filterType || !outType || !inType.hasStaticShape() ||
        !filterType.hasStaticShape() || !outType.hasStaticShape())
      return rewriter.notifyMatchFailure(conv, "needs static tensors");
    if (inType.getDimSize(0) != 1)
      return rewriter.notifyMatchFailure(conv, "batch 1 only");
    Type elementType = outType.getElementType();
    if (!isa<FloatType>(elementType) || inType.getElementType() != elementType ||
        filterType.getElementType() != elementType)
      return rewriter.notifyMatchFailure(conv, "one float type only");

    MLIRContext *context = rewriter.getContext();
    Location loc = conv.getLoc();
    int64_t c = filterType.getDimSize(1), kh = filterType.getDimSize(2),
            kw = filterType.getDimSize(3), f = filterType.getDimSize(0);
    int64_t oh = outType.getDimSize(2), ow = outType.getDimSize(3);
    int64_t sh = attrAt(conv.getStrides(), 0), sw = attrAt(conv.getStrides(), 1);
    int64_t dh = attrAt(conv.getDilations(), 0), dw = attrAt(conv.getDilations(), 1);

    // col[c, kh, kw, oh, ow] = input[0, c, oh * sh + kh * dh, ow * sw + kw * dw]
    AffineExpr ec, ekh, ekw, eoh, eow;
    bindDims(context, ec, ekh, ekw, eoh, eow);
    AffineMap inputMap = AffineMap::get(
        5, 0,
        {getAffineConstantExpr(0, context), ec, eoh * sh + ekh * dh, eow * sw + ekw * dw},
        context);
    AffineMap colMap = AffineMap::getMultiDimIdentityMap(5, context);
    auto colType = RankedTensorType::get({c, kh, kw, oh, ow}, elementType);
    Value colInit = tensor::EmptyOp::create(rewriter, loc, colType.getShape(), elementType);
    SmallVector<utils::IteratorType> parallel(5, utils::IteratorType::parallel);
    Value col = linalg::GenericOp::create(
                    rewriter, loc, colType, input, colInit,
                    ArrayRef<AffineMap>{inputMap, colMap}, parallel,
                    [](OpBuilder &b, Location l, ValueRange args) {
                      linalg::YieldOp::create(b, l, args[0]);
                    })
                    .getResult(0);

    int64_t k = c * kh * kw, p = oh * ow;
    auto col2Type = RankedTensorType::get({k, p}, elementType);
    Value col2 = tensor::CollapseShapeOp::create(
        rewriter, loc, col2Type, col, ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4}});
    int64_t padded = (p + kColumnMultiple - 1) / kColumnMultiple * kColumnMultiple;
    col2 = padColumns(rewriter, loc, col2, padded);
    auto filter2Type = RankedTensorType::get({f, k}, elementType);
    Value filter2 = tensor::CollapseShapeOp::create(
        rewriter, loc, filter2Type, filter, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});

    // The convolution accumulates into its init; so does the matmul.
    auto acc2Type = RankedTensorType::get({f, p}, elementType);
    Value acc = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get({1, f, p}, elementType), init,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    acc = tensor::CollapseShapeOp::create(rewriter, loc, acc2Type, acc,
                                          ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    acc = padColumns(rewriter, loc, acc, padded);
    Value product =
        linalg::MatmulOp::create(rewriter, loc, ValueRange{filter2, col2}, ValueRange{acc})
            .getResult(0);
    if (padded != p) {
      SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0), rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(f), rewriter.getIndexAttr(p)};
      SmallVector<OpFoldResult> strides = {rewriter.getIndexAttr(1), rewriter.getIndexAttr(1)};
      product = tensor::ExtractSliceOp::create(rewriter, loc, acc2Type, product, offsets, sizes,
                                               strides);
    }
    Value result = tensor::ExpandShapeOp::create(
        rewriter, loc, outType, product, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
    rewriter.replaceOp(conv, result);
    return success();
  }
};

struct CpuConvToMatmulPass : cleave::impl::CpuConvToMatmulPassBase<CpuConvToMatmulPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ConvToMatmul>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

struct CopyToLinalg : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp copy,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(), copy.getTarget());
    return success();
  }
};

struct CpuCopiesToLinalgPass
    : cleave::impl::CpuCopiesToLinalgPassBase<CpuCopiesToLinalgPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<CopyToLinalg>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
