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

/// One index of dim `dim` of a tensor of type `type` and the whole of its other dims: the
/// arguments of extract_slice / insert_slice, and the slice's type (that dim dropped when
/// `drop`, kept with size 1 otherwise).
struct DimSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  RankedTensorType type;
};

DimSlice sliceAt(OpBuilder &b, RankedTensorType type, int64_t dim, Value index, bool drop) {
  DimSlice slice;
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    slice.offsets.push_back(d == dim ? OpFoldResult(index) : b.getIndexAttr(0));
    slice.sizes.push_back(b.getIndexAttr(d == dim ? 1 : type.getDimSize(d)));
    slice.strides.push_back(b.getIndexAttr(1));
    if (d != dim || !drop)
      shape.push_back(d == dim ? 1 : type.getDimSize(d));
  }
  slice.type = RankedTensorType::get(shape, type.getElementType());
  return slice;
}

/// Where a convolution loop slices its operands: the dim of the input, of the filter (-1: the
/// whole filter in every iteration) and of the accumulator, and whether slicing drops it.
struct ConvLoopDims {
  int64_t input, filter, output;
  bool drop;
};

/// Replaces `conv` (result `init`'s type) by an scf.for over `count` indices whose body is the
/// plain 2-D convolution of the operands' slices at that index, which ConvToMatmul then
/// rewrites; the results are inserted back into the accumulator.
void replaceByConvLoop(PatternRewriter &rewriter, Operation *conv, Value input, Value filter,
                       Value init, DenseIntElementsAttr strides, DenseIntElementsAttr dilations,
                       int64_t count, ConvLoopDims dims) {
  Location loc = conv->getLoc();
  auto inType = cast<RankedTensorType>(input.getType());
  auto filterType = cast<RankedTensorType>(filter.getType());
  auto outType = cast<RankedTensorType>(init.getType());
  Value lb = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value ub = arith::ConstantIndexOp::create(rewriter, loc, count);
  Value step = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto loop = scf::ForOp::create(
      rewriter, loc, lb, ub, step, ValueRange{init},
      [&](OpBuilder &b, Location l, Value iv, ValueRange iterArgs) {
        DimSlice in = sliceAt(b, inType, dims.input, iv, dims.drop);
        Value x = tensor::ExtractSliceOp::create(b, l, in.type, input, in.offsets, in.sizes,
                                                 in.strides);
        Value w = filter;
        if (dims.filter >= 0) {
          DimSlice f = sliceAt(b, filterType, dims.filter, iv, dims.drop);
          w = tensor::ExtractSliceOp::create(b, l, f.type, filter, f.offsets, f.sizes,
                                             f.strides);
        }
        DimSlice out = sliceAt(b, outType, dims.output, iv, dims.drop);
        Value acc = tensor::ExtractSliceOp::create(b, l, out.type, iterArgs[0], out.offsets,
                                                   out.sizes, out.strides);
        Value y = linalg::Conv2DNchwFchwOp::create(b, l, out.type, ValueRange{x, w},
                                                   ValueRange{acc}, strides, dilations)
                      .getResult(0);
        Value next = tensor::InsertSliceOp::create(b, l, y, iterArgs[0], out.offsets,
                                                   out.sizes, out.strides);
        scf::YieldOp::create(b, l, next);
      });
  rewriter.replaceOp(conv, loop.getResults());
}

/// A 2-D convolution over a batch of N > 1: a loop over the samples whose body is the same
/// convolution of one sample. Every sample so runs the batch-1 im2col + matmul kernel; folding
/// the batch into the matmul columns would need a transpose of the [F, N*P] product back to
/// [N, F, P].
struct BatchedConv : OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp conv,
                                PatternRewriter &rewriter) const override {
    Value input = conv.getInputs()[0], filter = conv.getInputs()[1];
    Value init = conv.getOutputs()[0];
    auto inType = dyn_cast<RankedTensorType>(input.getType());
    auto filterType = dyn_cast<RankedTensorType>(filter.getType());
    auto outType = dyn_cast<RankedTensorType>(init.getType());
    if (!inType || !filterType || !outType || !inType.hasStaticShape() ||
        !outType.hasStaticShape() || conv.getNumResults() != 1)
      return rewriter.notifyMatchFailure(conv, "needs static tensors");
    int64_t n = inType.getDimSize(0);
    if (n <= 1)
      return rewriter.notifyMatchFailure(conv, "not batched");
    replaceByConvLoop(rewriter, conv, input, filter, init, conv.getStrides(),
                      conv.getDilations(), n, {/*input=*/0, /*filter=*/-1, /*output=*/0,
                                               /*drop=*/false});
    return success();
  }
};

/// A grouped 2-D convolution (input [N, G, C/G, H, W], filter [G, F/G, C/G, KH, KW]) as a
/// loop over the groups whose body is the plain convolution of one group (rank-reducing
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
    replaceByConvLoop(rewriter, conv, input, filter, init, conv.getStrides(),
                      conv.getDilations(), inType.getDimSize(1),
                      {/*input=*/1, /*filter=*/0, /*output=*/1, /*drop=*/true});
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
