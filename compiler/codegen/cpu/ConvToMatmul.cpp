// CPU code generation: rewrites into ops the CPU schedules and loop lowering handle well:
// 2-D convolutions as im2col + matmul, memref copies as linalg copies.
#include "compiler/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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
      return rewriter.notifyMatchFailure(conv, "batch 1 only (BatchedConv splits batches)");
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
    int64_t k = c * kh * kw, p = oh * ow;
    auto col2Type = RankedTensorType::get({k, p}, elementType);
    Value col2;
    if (kh == 1 && kw == 1 && sh == 1 && sw == 1 && inType.getDimSize(2) == oh &&
        inType.getDimSize(3) == ow) {
      // A 1x1 convolution over the whole input: its column matrix is the input itself.
      col2 = tensor::CollapseShapeOp::create(
          rewriter, loc, col2Type, input, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
    } else {
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
      col2 = tensor::CollapseShapeOp::create(
          rewriter, loc, col2Type, col, ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4}});
    }
    auto filter2Type = RankedTensorType::get({f, k}, elementType);
    Value filter2 = tensor::CollapseShapeOp::create(
        rewriter, loc, filter2Type, filter, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});

    // The convolution accumulates into its init; so do the matmuls.
    auto acc2Type = RankedTensorType::get({f, p}, elementType);
    Value acc = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get({1, f, p}, elementType), init,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    acc = tensor::CollapseShapeOp::create(rewriter, loc, acc2Type, acc,
                                          ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    // The columns [0, main) (a multiple of 16) multiply in place; the last p - main < 16,
    // if any, are padded to 16 in a small copy and multiplied separately, so that the
    // column matrix and the output are never copied whole.
    int64_t main = p / kColumnMultiple * kColumnMultiple, tail = p - main;
    auto columns = [&](Value value, int64_t rows, int64_t begin, int64_t count) {
      SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0), rewriter.getIndexAttr(begin)};
      SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(rows), rewriter.getIndexAttr(count)};
      SmallVector<OpFoldResult> strides = {rewriter.getIndexAttr(1), rewriter.getIndexAttr(1)};
      return std::make_tuple(offsets, sizes, strides,
                             RankedTensorType::get({rows, count}, elementType));
    };
    Value product = acc;
    if (tail == 0) {
      product = linalg::MatmulOp::create(rewriter, loc, ValueRange{filter2, col2}, ValueRange{acc})
                    .getResult(0);
    } else {
      if (main > 0) {
        auto [co, cs, cst, ct] = columns(col2, k, 0, main);
        Value colMain = tensor::ExtractSliceOp::create(rewriter, loc, ct, col2, co, cs, cst);
        auto [ao, as, ast, at] = columns(acc, f, 0, main);
        Value accMain = tensor::ExtractSliceOp::create(rewriter, loc, at, acc, ao, as, ast);
        Value mm = linalg::MatmulOp::create(rewriter, loc, ValueRange{filter2, colMain},
                                            ValueRange{accMain})
                       .getResult(0);
        product = tensor::InsertSliceOp::create(rewriter, loc, mm, product, ao, as, ast);
      }
      auto [co, cs, cst, ct] = columns(col2, k, main, tail);
      Value colTail = padColumns(
          rewriter, loc, tensor::ExtractSliceOp::create(rewriter, loc, ct, col2, co, cs, cst),
          kColumnMultiple);
      auto [ao, as, ast, at] = columns(acc, f, main, tail);
      Value accTail = padColumns(
          rewriter, loc, tensor::ExtractSliceOp::create(rewriter, loc, at, product, ao, as, ast),
          kColumnMultiple);
      Value mm = linalg::MatmulOp::create(rewriter, loc, ValueRange{filter2, colTail},
                                          ValueRange{accTail})
                     .getResult(0);
      auto [to, ts, tst, tt] = columns(mm, f, 0, tail);
      mm = tensor::ExtractSliceOp::create(rewriter, loc, tt, mm, to, ts, tst);
      product = tensor::InsertSliceOp::create(rewriter, loc, mm, product, ao, as, ast);
    }
    Value result = tensor::ExpandShapeOp::create(
        rewriter, loc, outType, product, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
    rewriter.replaceOp(conv, result);
    return success();
  }
};

/// A 2-D convolution over a batch of N > 1: an scf.for over the samples whose body is the
/// same convolution of one sample (extract_slice of input and accumulator, insert_slice of
/// the result), which ConvToMatmul then rewrites. Every sample so runs the batch-1 im2col +
/// matmul kernel; folding the batch into the matmul columns would need a transpose of the
/// [F, N*P] product back to [N, F, P].
struct BatchedConv : OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp conv,
                                PatternRewriter &rewriter) const override {
    Value input = conv.getInputs()[0], filter = conv.getInputs()[1];
    Value init = conv.getOutputs()[0];
    auto inType = dyn_cast<RankedTensorType>(input.getType());
    auto outType = dyn_cast<RankedTensorType>(init.getType());
    if (!inType || !outType || !inType.hasStaticShape() || !outType.hasStaticShape() ||
        conv.getNumResults() != 1)
      return rewriter.notifyMatchFailure(conv, "needs static tensors");
    int64_t n = inType.getDimSize(0);
    if (n <= 1)
      return rewriter.notifyMatchFailure(conv, "not batched");
    Location loc = conv.getLoc();
    auto sampleType = [](RankedTensorType type) {
      SmallVector<int64_t> shape(type.getShape());
      shape[0] = 1;
      return RankedTensorType::get(shape, type.getElementType());
    };
    auto sliceArgs = [&](RankedTensorType type, Value index) {
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
      offsets[0] = index;
      SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(1)};
      for (int64_t d : type.getShape().drop_front())
        sizes.push_back(rewriter.getIndexAttr(d));
      SmallVector<OpFoldResult> strides(type.getRank(), rewriter.getIndexAttr(1));
      return std::make_tuple(offsets, sizes, strides);
    };
    Value lb = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value ub = arith::ConstantIndexOp::create(rewriter, loc, n);
    Value step = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto loop = scf::ForOp::create(
        rewriter, loc, lb, ub, step, ValueRange{init},
        [&](OpBuilder &b, Location l, Value iv, ValueRange iterArgs) {
          auto [inOffsets, inSizes, inStrides] = sliceArgs(inType, iv);
          Value sample = tensor::ExtractSliceOp::create(b, l, sampleType(inType), input,
                                                        inOffsets, inSizes, inStrides);
          auto [outOffsets, outSizes, outStrides] = sliceArgs(outType, iv);
          Value acc = tensor::ExtractSliceOp::create(b, l, sampleType(outType), iterArgs[0],
                                                     outOffsets, outSizes, outStrides);
          Value y = linalg::Conv2DNchwFchwOp::create(
                        b, l, sampleType(outType), ValueRange{sample, filter}, ValueRange{acc},
                        conv.getStrides(), conv.getDilations())
                        .getResult(0);
          Value next = tensor::InsertSliceOp::create(b, l, y, iterArgs[0], outOffsets,
                                                     outSizes, outStrides);
          scf::YieldOp::create(b, l, next);
        });
    rewriter.replaceOp(conv, loop.getResults());
    return success();
  }
};

/// A grouped 2-D convolution (input [N, G, C/G, H, W], filter [G, F/G, C/G, KH, KW]) as an
/// scf.for over the groups whose body is the plain convolution of one group (rank-reducing
/// slices of input, filter and accumulator), which BatchedConv and ConvToMatmul then rewrite.
struct GroupedConv : OpRewritePattern<linalg::Conv2DNgchwGfchwOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNgchwGfchwOp conv,
                                PatternRewriter &rewriter) const override {
    Value input = conv.getInputs()[0], filter = conv.getInputs()[1];
    Value init = conv.getOutputs()[0];
    auto inType = dyn_cast<RankedTensorType>(input.getType());
    auto filterType = dyn_cast<RankedTensorType>(filter.getType());
    auto outType = dyn_cast<RankedTensorType>(init.getType());
    if (!inType || !filterType || !outType || !inType.hasStaticShape() ||
        !filterType.hasStaticShape() || !outType.hasStaticShape() ||
        conv.getNumResults() != 1)
      return rewriter.notifyMatchFailure(conv, "needs static tensors");
    Location loc = conv.getLoc();
    int64_t groups = inType.getDimSize(1);
    // Slices taking one index of dim `dim` and the whole of the others, that dim dropped.
    auto slice = [&](RankedTensorType type, int64_t dim, Value index) {
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
      offsets[dim] = index;
      SmallVector<OpFoldResult> sizes;
      SmallVector<int64_t> shape;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        sizes.push_back(rewriter.getIndexAttr(d == dim ? 1 : type.getDimSize(d)));
        if (d != dim)
          shape.push_back(type.getDimSize(d));
      }
      SmallVector<OpFoldResult> strides(type.getRank(), rewriter.getIndexAttr(1));
      return std::make_tuple(offsets, sizes, strides,
                             RankedTensorType::get(shape, type.getElementType()));
    };
    Value lb = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value ub = arith::ConstantIndexOp::create(rewriter, loc, groups);
    Value step = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto loop = scf::ForOp::create(
        rewriter, loc, lb, ub, step, ValueRange{init},
        [&](OpBuilder &b, Location l, Value iv, ValueRange iterArgs) {
          auto [io, is, ist, it] = slice(inType, 1, iv);
          Value x = tensor::ExtractSliceOp::create(b, l, it, input, io, is, ist);
          auto [fo, fs, fst, ft] = slice(filterType, 0, iv);
          Value w = tensor::ExtractSliceOp::create(b, l, ft, filter, fo, fs, fst);
          auto [oo, os, ost, ot] = slice(outType, 1, iv);
          Value acc = tensor::ExtractSliceOp::create(b, l, ot, iterArgs[0], oo, os, ost);
          Value y = linalg::Conv2DNchwFchwOp::create(b, l, ot, ValueRange{x, w},
                                                     ValueRange{acc}, conv.getStrides(),
                                                     conv.getDilations())
                        .getResult(0);
          Value next = tensor::InsertSliceOp::create(b, l, y, iterArgs[0], oo, os, ost);
          scf::YieldOp::create(b, l, next);
        });
    rewriter.replaceOp(conv, loop.getResults());
    return success();
  }
};

/// A 1-D convolution as a 2-D one of height 1 (then im2col + matmul like any other): the
/// input [N, C, W] becomes [N, C, 1, W], the filter [F, C, K] becomes [F, C, 1, K].
struct Conv1DTo2D : OpRewritePattern<linalg::Conv1DNcwFcwOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv1DNcwFcwOp conv,
                                PatternRewriter &rewriter) const override {
    Value input = conv.getInputs()[0], filter = conv.getInputs()[1];
    Value init = conv.getOutputs()[0];
    auto inType = dyn_cast<RankedTensorType>(input.getType());
    auto filterType = dyn_cast<RankedTensorType>(filter.getType());
    auto outType = dyn_cast<RankedTensorType>(init.getType());
    if (!inType || !filterType || !outType || !inType.hasStaticShape() ||
        !filterType.hasStaticShape() || !outType.hasStaticShape() ||
        conv.getNumResults() != 1)
      return rewriter.notifyMatchFailure(conv, "needs static tensors");
    Location loc = conv.getLoc();
    auto addHeight = [&](Value v) {
      auto type = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape = {type.getDimSize(0), type.getDimSize(1), 1,
                                    type.getDimSize(2)};
      return tensor::ExpandShapeOp::create(
                 rewriter, loc, RankedTensorType::get(shape, type.getElementType()), v,
                 ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}})
          .getResult();
    };
    Value input2 = addHeight(input), filter2 = addHeight(filter), init2 = addHeight(init);
    int64_t stride = attrAt(conv.getStrides(), 0), dilation = attrAt(conv.getDilations(), 0);
    Value y = linalg::Conv2DNchwFchwOp::create(
                  rewriter, loc, init2.getType(), ValueRange{input2, filter2},
                  ValueRange{init2}, rewriter.getI64TensorAttr({1, stride}),
                  rewriter.getI64TensorAttr({1, dilation}))
                  .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        conv, outType, y, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    return success();
  }
};

struct CpuConvToMatmulPass : cleave::impl::CpuConvToMatmulPassBase<CpuConvToMatmulPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ConvToMatmul, BatchedConv, GroupedConv, Conv1DTo2D>(&getContext());
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
