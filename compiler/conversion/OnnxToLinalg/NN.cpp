// onnx -> linalg lowering: matmul/gemm, convolution, transposed convolution, pooling.
#include "compiler/conversion/OnnxToLinalg/Patterns.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace cleave;

namespace {

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

Value add(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

/// The `[d0, ..., dn) -> (d_dim)` map of a 1-D operand read along dim `dim` of a rank-n
/// iteration space.
AffineMap dimMap(MLIRContext *context, int64_t rank, int64_t dim) {
  return AffineMap::get(rank, 0, getAffineDimExpr(dim, context));
}

/// A rank-`type` tensor holding `vector` (1-D) broadcast along dim `dim`: the conv bias.
Value broadcastAlongDim(OpBuilder &b, Location loc, Value vector, RankedTensorType type,
                        int64_t dim) {
  MLIRContext *context = b.getContext();
  int64_t rank = type.getRank();
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<AffineMap> maps{dimMap(context, rank, dim),
                              AffineMap::getMultiDimIdentityMap(rank, context)};
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(b, loc, type, vector, init, maps, iterators,
                                   [](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                                     linalg::YieldOp::create(nested, nestedLoc, args[0]);
                                   })
      .getResult(0);
}

/// Pads dims 2.. of an N x C x spatial tensor by `low` / `high` (one entry per spatial dim,
/// non-negative) with `padValue`; returns `input` when nothing is padded.
Value padSpatial(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
                 ArrayRef<int64_t> high, Value padValue) {
  if (llvm::all_of(low, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(high, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  SmallVector<OpFoldResult> lows(2, b.getIndexAttr(0)), highs(2, b.getIndexAttr(0));
  for (size_t i = 0; i < low.size(); ++i) {
    shape[i + 2] += low[i] + high[i];
    lows.push_back(b.getIndexAttr(low[i]));
    highs.push_back(b.getIndexAttr(high[i]));
  }
  auto padded = RankedTensorType::get(shape, type.getElementType());
  return tensor::PadOp::create(b, loc, padded, input, lows, highs, padValue);
}

/// A 1-D i64 elements attribute, the form named linalg convolutions take strides in.
DenseIntElementsAttr i64Vector(OpBuilder &b, ArrayRef<int64_t> values) {
  return b.getI64TensorAttr(values);
}

/// Convolution of an already padded `input` (N x C x spatial) with `weight`
/// (M x C/group x kernel), accumulating into `init` (N x M x out). Uses the named linalg op
/// where one exists (plain 1-D/2-D/3-D, depthwise, grouped 2-D) and a linalg.generic
/// otherwise.
Value buildConvolution(OpBuilder &b, Location loc, Value input, Value weight, Value init,
                       ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations, int64_t group) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  auto initType = cast<RankedTensorType>(init.getType());
  Type elementType = initType.getElementType();
  int64_t rank = inputType.getRank() - 2;
  int64_t channels = inputType.getDimSize(1), outChannels = weightType.getDimSize(0);
  DenseIntElementsAttr stridesAttr = i64Vector(b, strides);
  DenseIntElementsAttr dilationsAttr = i64Vector(b, dilations);
  ValueRange inits(init);

  if (group == 1) {
    SmallVector<Value> inputs{input, weight};
    if (rank == 1)
      return linalg::Conv1DNcwFcwOp::create(b, loc, initType, inputs, inits, stridesAttr,
                                            dilationsAttr)
          .getResult(0);
    if (rank == 2)
      return linalg::Conv2DNchwFchwOp::create(b, loc, initType, inputs, inits, stridesAttr,
                                              dilationsAttr)
          .getResult(0);
    if (rank == 3)
      return linalg::Conv3DNcdhwFcdhwOp::create(b, loc, initType, inputs, inits, stridesAttr,
                                                dilationsAttr)
          .getResult(0);
  }

  if (group == channels && outChannels == channels && rank <= 3) {
    // Depthwise with multiplier 1: the weight is C x 1 x kernel; drop the unit dim.
    SmallVector<int64_t> shape{channels};
    llvm::append_range(shape, weightType.getShape().drop_front(2));
    Value filter = reshapeTensor(b, loc, weight, RankedTensorType::get(shape, elementType));
    SmallVector<Value> inputs{input, filter};
    if (rank == 1)
      return linalg::DepthwiseConv1DNcwCwOp::create(b, loc, initType, inputs, inits,
                                                    stridesAttr, dilationsAttr)
          .getResult(0);
    if (rank == 2)
      return linalg::DepthwiseConv2DNchwChwOp::create(b, loc, initType, inputs, inits,
                                                      stridesAttr, dilationsAttr)
          .getResult(0);
    return linalg::DepthwiseConv3DNcdhwCdhwOp::create(b, loc, initType, inputs, inits,
                                                      stridesAttr, dilationsAttr)
        .getResult(0);
  }

  // Grouped: split the channel dims into (group, channels per group).
  auto splitDim = [&](Value v, int64_t dim) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(type.getShape().take_front(dim));
    shape.push_back(group);
    shape.push_back(type.getDimSize(dim) / group);
    llvm::append_range(shape, type.getShape().drop_front(dim + 1));
    return reshapeTensor(b, loc, v, RankedTensorType::get(shape, type.getElementType()));
  };
  Value groupedInput = splitDim(input, 1); // N x G x C/G x spatial
  Value groupedWeight = splitDim(weight, 0); // G x M/G x C/G x kernel
  Value groupedInit = splitDim(init, 1);   // N x G x M/G x out
  auto groupedType = cast<RankedTensorType>(groupedInit.getType());
  Value result;
  if (rank == 2) {
    result = linalg::Conv2DNgchwGfchwOp::create(b, loc, groupedType,
                                                ValueRange{groupedInput, groupedWeight},
                                                ValueRange{groupedInit}, stridesAttr,
                                                dilationsAttr)
                 .getResult(0);
  } else {
    // Iteration space: n, g, f, out[rank], c, k[rank].
    MLIRContext *context = b.getContext();
    int64_t numDims = 4 + 2 * rank;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, context); };
    int64_t cDim = 3 + rank, kDim = 4 + rank;
    SmallVector<AffineExpr> inputExprs{d(0), d(1), d(cDim)}, weightExprs{d(1), d(2), d(cDim)},
        outExprs{d(0), d(1), d(2)};
    for (int64_t i = 0; i < rank; ++i) {
      inputExprs.push_back(d(3 + i) * strides[i] + d(kDim + i) * dilations[i]);
      weightExprs.push_back(d(kDim + i));
      outExprs.push_back(d(3 + i));
    }
    SmallVector<AffineMap> maps{AffineMap::get(numDims, 0, inputExprs, context),
                                AffineMap::get(numDims, 0, weightExprs, context),
                                AffineMap::get(numDims, 0, outExprs, context)};
    SmallVector<utils::IteratorType> iterators(3 + rank, utils::IteratorType::parallel);
    iterators.append(1 + rank, utils::IteratorType::reduction);
    result = linalg::GenericOp::create(
                 b, loc, groupedType, ValueRange{groupedInput, groupedWeight},
                 ValueRange{groupedInit}, maps, iterators,
                 [](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                   Value product = mul(nested, nestedLoc, args[0], args[1]);
                   linalg::YieldOp::create(nested, nestedLoc,
                                           add(nested, nestedLoc, args[2], product));
                 })
                 .getResult(0);
  }
  return reshapeTensor(b, loc, result, initType);
}

/// The accumulator a convolution starts from: the bias broadcast along channels, or zeros.
Value convInit(OpBuilder &b, Location loc, RankedTensorType type, Value bias) {
  if (bias)
    return broadcastAlongDim(b, loc, bias, type, 1);
  return filledTensor(b, loc, type, scalarConstant(b, loc, type.getElementType(), 0.0));
}

//===----------------------------------------------------------------------===//
// MatMul and Gemm
//===----------------------------------------------------------------------===//

/// MatMul: a 2-D right operand -> linalg.matmul (the left operand's batch dims folded into
/// its rows); batched -> linalg.batch_matmul after broadcasting and flattening the batch
/// dims; 1-D operands get a unit dim that is dropped afterwards.
struct MatMulLowering : OnnxLowering<onnxir::MatMulOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::MatMulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType resultType = convertedType(op);
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

    if (rhsType.getRank() == 2) {
      // A weight-like right operand: the left operand's batch dims join its rows, so the
      // weight is neither broadcast nor copied.
      int64_t rows = 1;
      for (int64_t d : lhsType.getShape().drop_back())
        rows *= d;
      if (lhsType.getRank() != 2)
        lhs = reshapeTensor(rewriter, loc, lhs, RankedTensorType::get({rows, k}, elementType));
      auto type = RankedTensorType::get({rows, n}, elementType);
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

/// Gemm: transposed operands go through linalg.transpose so the product stays a plain
/// linalg.matmul; with alpha == 1 the matmul accumulates into beta * C, otherwise an
/// elementwise generic computes alpha * AB + beta * C.
struct GemmLowering : OnnxLowering<onnxir::GemmOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::GemmOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType resultType = convertedType(op);
    Type elementType = resultType.getElementType();
    auto transpose = [&](Value v) {
      auto type = cast<RankedTensorType>(v.getType());
      Value init = tensor::EmptyOp::create(
          rewriter, loc, ArrayRef<int64_t>{type.getDimSize(1), type.getDimSize(0)},
          elementType);
      return linalg::TransposeOp::create(rewriter, loc, v, init, ArrayRef<int64_t>{1, 0})
          .getResult()[0];
    };
    Value a = op.getTransA() ? transpose(adaptor.getA()) : adaptor.getA();
    Value b = op.getTransB() ? transpose(adaptor.getB()) : adaptor.getB();
    Value c = adaptor.getC();
    double alpha = op.getAlpha().convertToDouble(), beta = op.getBeta().convertToDouble();
    if (beta == 0.0)
      c = Value();
    Value alphaValue =
        alpha == 1.0 ? Value() : scalarConstant(rewriter, loc, elementType, alpha);
    Value betaValue =
        !c || beta == 1.0 ? Value() : scalarConstant(rewriter, loc, elementType, beta);

    Value init;
    if (c && alpha == 1.0) {
      init = buildElementwise(rewriter, loc, resultType, c,
                              [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                                return beta == 1.0 ? args[0]
                                                   : mul(nested, nestedLoc, args[0], betaValue);
                              });
    } else {
      init = filledTensor(rewriter, loc, resultType,
                          scalarConstant(rewriter, loc, elementType, 0.0));
    }
    Value result =
        linalg::MatmulOp::create(rewriter, loc, ValueRange{a, b}, ValueRange{init}).getResult(0);
    if (alpha != 1.0) {
      SmallVector<Value> operands{result};
      if (c)
        operands.push_back(c);
      result = buildElementwise(
          rewriter, loc, resultType, operands,
          [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
            Value scaled = mul(nested, nestedLoc, args[0], alphaValue);
            if (args.size() == 1)
              return scaled;
            Value addend =
                beta == 1.0 ? args[1] : mul(nested, nestedLoc, args[1], betaValue);
            return add(nested, nestedLoc, scaled, addend);
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Conv and ConvTranspose
//===----------------------------------------------------------------------===//

/// Conv: zero padding with tensor.pad, then the named linalg convolution (or a generic),
/// accumulating into the broadcast bias.
struct ConvLowering : OnnxLowering<onnxir::ConvOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::ConvOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType resultType = convertedType(op);
    int64_t rank = resultType.getRank() - 2;
    ArrayRef<int64_t> pads = op.getPads();
    Value zero = scalarConstant(rewriter, loc, resultType.getElementType(), 0.0);
    Value input = padSpatial(rewriter, loc, adaptor.getInput(), pads.take_front(rank),
                             pads.drop_front(rank), zero);
    Value init = convInit(rewriter, loc, resultType, adaptor.getBias());
    rewriter.replaceOp(op, buildConvolution(rewriter, loc, input, adaptor.getWeight(), init,
                                            op.getStrides(), op.getDilations(),
                                            op.getGroup()));
    return success();
  }
};

/// A 2-D ConvTranspose whose kernel equals its strides (no padding, dilation, output padding
/// or groups: the upsampling of U-Net and FPN heads) writes each input pixel's C-vector
/// times the kernel into its own s x s block of the output. Per sample that is one matmul,
/// Z[M*KH*KW, H*W] = W^T[M*KH*KW, C] x X[C, H*W], then Y[n, m, h*KH + a, w*KW + b] =
/// Z[n, (m, a, b), (h, w)] + bias[m]: no zeros spread into the input, no im2col. Returns a
/// null value where the op has another form.
Value nonOverlappingTranspose(OpBuilder &b, Location loc, onnxir::ConvTransposeOp op,
                              onnxir::ConvTransposeOp::Adaptor adaptor,
                              RankedTensorType resultType) {
  Value input = adaptor.getInput(), weight = adaptor.getWeight();
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  if (inputType.getRank() != 4 || op.getGroup() != 1 || !inputType.hasStaticShape() ||
      !weightType.hasStaticShape() || !resultType.hasStaticShape())
    return {};
  ArrayRef<int64_t> strides = op.getStrides();
  for (int64_t i = 0; i < 2; ++i)
    if (weightType.getDimSize(i + 2) != strides[i] || op.getDilations()[i] != 1 ||
        op.getOutputPadding()[i] != 0)
      return {};
  if (llvm::any_of(op.getPads(), [](int64_t p) { return p != 0; }))
    return {};
  MLIRContext *context = b.getContext();
  Type elementType = resultType.getElementType();
  int64_t n = inputType.getDimSize(0), c = inputType.getDimSize(1), h = inputType.getDimSize(2),
          w = inputType.getDimSize(3), m = weightType.getDimSize(1), kh = strides[0],
          kw = strides[1];
  if (resultType.getDimSize(1) != m || resultType.getDimSize(2) != h * kh ||
      resultType.getDimSize(3) != w * kw)
    return {};
  int64_t rows = m * kh * kw, columns = h * w;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, context); };
  auto copy = [](OpBuilder &nested, Location nestedLoc, ValueRange args) {
    linalg::YieldOp::create(nested, nestedLoc, args[0]);
  };
  // W [C, M, KH, KW] -> [C, M*KH*KW] -> W^T [M*KH*KW, C].
  Value w2 = reshapeTensor(b, loc, weight, RankedTensorType::get({c, rows}, elementType));
  Value wtInit = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rows, c}, elementType);
  Value wt = linalg::GenericOp::create(
                 b, loc, wtInit.getType(), w2, wtInit,
                 SmallVector<AffineMap>{AffineMap::get(2, 0, {d(1), d(0)}, context),
                                        AffineMap::getMultiDimIdentityMap(2, context)},
                 SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel), copy)
                 .getResult(0);
  Value x3 =
      reshapeTensor(b, loc, input, RankedTensorType::get({n, c, columns}, elementType));
  auto zType = RankedTensorType::get({n, rows, columns}, elementType);
  Value z = tensor::EmptyOp::create(b, loc, zType.getShape(), elementType);
  auto sampleType = RankedTensorType::get({rows, columns}, elementType);
  Value zero = scalarConstant(b, loc, elementType, 0.0);
  SmallVector<OpFoldResult> unit(3, b.getIndexAttr(1));
  for (int64_t i = 0; i < n; ++i) {
    SmallVector<OpFoldResult> xOffsets = {b.getIndexAttr(i), b.getIndexAttr(0),
                                          b.getIndexAttr(0)};
    SmallVector<OpFoldResult> xSizes = {b.getIndexAttr(1), b.getIndexAttr(c),
                                        b.getIndexAttr(columns)};
    Value xs = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({c, columns}, elementType), x3, xOffsets, xSizes, unit);
    Value acc = filledTensor(b, loc, sampleType, zero);
    Value product =
        linalg::MatmulOp::create(b, loc, ValueRange{wt, xs}, ValueRange{acc}).getResult(0);
    SmallVector<OpFoldResult> zSizes = {b.getIndexAttr(1), b.getIndexAttr(rows),
                                        b.getIndexAttr(columns)};
    z = tensor::InsertSliceOp::create(b, loc, product, z, xOffsets, zSizes, unit);
  }
  // Z [N, M, KH, KW, H, W] -> Y [N, M, H, KH, W, KW] (+ bias), then [N, M, H*KH, W*KW].
  Value z6 = reshapeTensor(b, loc, z, RankedTensorType::get({n, m, kh, kw, h, w}, elementType));
  auto y6Type = RankedTensorType::get({n, m, h, kh, w, kw}, elementType);
  Value yInit = tensor::EmptyOp::create(b, loc, y6Type.getShape(), elementType);
  SmallVector<Value> ins = {z6};
  SmallVector<AffineMap> maps = {
      AffineMap::get(6, 0, {d(0), d(1), d(3), d(5), d(2), d(4)}, context)};
  if (Value bias = adaptor.getBias()) {
    ins.push_back(bias);
    maps.push_back(AffineMap::get(6, 0, {d(1)}, context));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(6, context));
  Value y6 = linalg::GenericOp::create(
                 b, loc, y6Type, ins, yInit, maps,
                 SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
                 [](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                   Value v = args[0];
                   if (args.size() == 3)
                     v = add(nested, nestedLoc, v, args[1]);
                   linalg::YieldOp::create(nested, nestedLoc, v);
                 })
                 .getResult(0);
  return reshapeTensor(b, loc, y6, resultType);
}

/// ConvTranspose as a stride-1 convolution: the input is spread out by the strides (zeros
/// between elements) and padded by (kernel extent - 1 - pad) on each side, the kernel is
/// flipped and its channel dims swapped per group. Negative paddings become slices.
struct ConvTransposeLowering : OnnxLowering<onnxir::ConvTransposeOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::ConvTransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    RankedTensorType resultType = convertedType(op);
    Type elementType = resultType.getElementType();
    Value input = adaptor.getInput(), weight = adaptor.getWeight();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto weightType = cast<RankedTensorType>(weight.getType());
    int64_t rank = inputType.getRank() - 2, group = op.getGroup();
    ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations(),
                      pads = op.getPads(), outputPadding = op.getOutputPadding();
    Value zero = scalarConstant(rewriter, loc, elementType, 0.0);

    if (Value result = nonOverlappingTranspose(rewriter, loc, op, adaptor, resultType)) {
      rewriter.replaceOp(op, result);
      return success();
    }

    // Spread and pad the input: a zero tensor with the input inserted at stride s, offset
    // by the (non-negative part of the) low padding; negative paddings are sliced off.
    SmallVector<int64_t> low, high, paddedShape(inputType.getShape().take_front(2));
    bool needsSlice = false;
    for (int64_t i = 0; i < rank; ++i) {
      int64_t extent = (weightType.getDimSize(i + 2) - 1) * dilations[i];
      low.push_back(extent - pads[i]);
      high.push_back(extent - pads[i + rank] + outputPadding[i]);
      needsSlice |= low.back() < 0 || high.back() < 0;
      paddedShape.push_back(std::max<int64_t>(low.back(), 0) +
                            (inputType.getDimSize(i + 2) - 1) * strides[i] + 1 +
                            std::max<int64_t>(high.back(), 0));
    }
    Value spread;
    if (llvm::all_of(strides, [](int64_t s) { return s == 1; }) && !needsSlice) {
      spread = padSpatial(rewriter, loc, input, low, high, zero);
    } else {
      auto paddedType = RankedTensorType::get(paddedShape, elementType);
      Value buffer = filledTensor(rewriter, loc, paddedType, zero);
      SmallVector<OpFoldResult> offsets(2, rewriter.getIndexAttr(0)), sizes,
          steps(2, rewriter.getIndexAttr(1));
      for (int64_t d : inputType.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      for (int64_t i = 0; i < rank; ++i) {
        offsets.push_back(rewriter.getIndexAttr(std::max<int64_t>(low[i], 0)));
        steps.push_back(rewriter.getIndexAttr(strides[i]));
      }
      spread =
          tensor::InsertSliceOp::create(rewriter, loc, input, buffer, offsets, sizes, steps);
      if (needsSlice) {
        SmallVector<OpFoldResult> sliceOffsets(2, rewriter.getIndexAttr(0)), sliceSizes,
            unitSteps(inputType.getRank(), rewriter.getIndexAttr(1));
        SmallVector<int64_t> slicedShape(paddedShape.begin(), paddedShape.begin() + 2);
        sliceSizes.push_back(rewriter.getIndexAttr(paddedShape[0]));
        sliceSizes.push_back(rewriter.getIndexAttr(paddedShape[1]));
        for (int64_t i = 0; i < rank; ++i) {
          int64_t begin = std::max<int64_t>(-low[i], 0), end = std::max<int64_t>(-high[i], 0);
          slicedShape.push_back(paddedShape[i + 2] - begin - end);
          sliceOffsets.push_back(rewriter.getIndexAttr(begin));
          sliceSizes.push_back(rewriter.getIndexAttr(slicedShape.back()));
        }
        spread = tensor::ExtractSliceOp::create(
            rewriter, loc, RankedTensorType::get(slicedShape, elementType), spread,
            sliceOffsets, sliceSizes, unitSteps);
      }
    }

    // The kernel of the equivalent convolution: C x M/G x k (grouped as G x C/G x M/G x k)
    // becomes M x C/G x k (G x M/G x C/G x k), flipped along every spatial dim.
    int64_t channels = weightType.getDimSize(0), perGroupOut = weightType.getDimSize(1);
    SmallVector<int64_t> groupedShape{group, channels / group, perGroupOut};
    SmallVector<int64_t> flippedShape{group, perGroupOut, channels / group};
    for (int64_t i = 0; i < rank; ++i) {
      groupedShape.push_back(weightType.getDimSize(i + 2));
      flippedShape.push_back(weightType.getDimSize(i + 2));
    }
    Value grouped =
        reshapeTensor(rewriter, loc, weight, RankedTensorType::get(groupedShape, elementType));
    int64_t numDims = 3 + rank;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, context); };
    SmallVector<AffineExpr> readExprs{d(0), d(2), d(1)};
    for (int64_t i = 0; i < rank; ++i)
      readExprs.push_back(weightType.getDimSize(i + 2) - 1 - d(3 + i));
    auto flippedType = RankedTensorType::get(flippedShape, elementType);
    Value flipInit = tensor::EmptyOp::create(rewriter, loc, flippedShape, elementType);
    Value flipped =
        linalg::GenericOp::create(
            rewriter, loc, flippedType, grouped, flipInit,
            SmallVector<AffineMap>{AffineMap::get(numDims, 0, readExprs, context),
                                   AffineMap::getMultiDimIdentityMap(numDims, context)},
            SmallVector<utils::IteratorType>(numDims, utils::IteratorType::parallel),
            [](OpBuilder &nested, Location nestedLoc, ValueRange args) {
              linalg::YieldOp::create(nested, nestedLoc, args[0]);
            })
            .getResult(0);
    SmallVector<int64_t> kernelShape{group * perGroupOut, channels / group};
    llvm::append_range(kernelShape, weightType.getShape().drop_front(2));
    Value kernel =
        reshapeTensor(rewriter, loc, flipped, RankedTensorType::get(kernelShape, elementType));

    Value init = convInit(rewriter, loc, resultType, adaptor.getBias());
    SmallVector<int64_t> unitStrides(rank, 1);
    rewriter.replaceOp(op, buildConvolution(rewriter, loc, spread, kernel, init, unitStrides,
                                            dilations, group));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

enum class PoolKind { Max, Sum };

/// Pools an already padded N x C x spatial `input` into `init` (N x C x out): the named
/// linalg pooling op for floats in 1-D and 2-D, a linalg.generic otherwise (3-D, and
/// integers, whose max needs the signedness the named ops do not know).
Value buildPooling(OpBuilder &b, Location loc, PoolKind kind, Value input, Value init,
                   ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                   ArrayRef<int64_t> dilations, bool isUnsigned) {
  auto initType = cast<RankedTensorType>(init.getType());
  Type elementType = initType.getElementType();
  int64_t rank = initType.getRank() - 2;
  Value window = tensor::EmptyOp::create(b, loc, kernel, elementType);
  if (isa<FloatType>(elementType) && rank <= 2) {
    SmallVector<Value> inputs{input, window};
    ValueRange inits(init);
    DenseIntElementsAttr stridesAttr = i64Vector(b, strides);
    DenseIntElementsAttr dilationsAttr = i64Vector(b, dilations);
    if (kind == PoolKind::Max && rank == 1)
      return linalg::PoolingNcwMaxOp::create(b, loc, initType, inputs, inits, stridesAttr,
                                             dilationsAttr)
          .getResult(0);
    if (kind == PoolKind::Max)
      return linalg::PoolingNchwMaxOp::create(b, loc, initType, inputs, inits, stridesAttr,
                                              dilationsAttr)
          .getResult(0);
    if (rank == 1)
      return linalg::PoolingNcwSumOp::create(b, loc, initType, inputs, inits, stridesAttr,
                                             dilationsAttr)
          .getResult(0);
    return linalg::PoolingNchwSumOp::create(b, loc, initType, inputs, inits, stridesAttr,
                                            dilationsAttr)
        .getResult(0);
  }
  // Iteration space: n, c, out[rank], k[rank].
  MLIRContext *context = b.getContext();
  int64_t numDims = 2 + 2 * rank;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, context); };
  SmallVector<AffineExpr> inputExprs{d(0), d(1)}, windowExprs, outExprs{d(0), d(1)};
  for (int64_t i = 0; i < rank; ++i) {
    inputExprs.push_back(d(2 + i) * strides[i] + d(2 + rank + i) * dilations[i]);
    windowExprs.push_back(d(2 + rank + i));
    outExprs.push_back(d(2 + i));
  }
  SmallVector<AffineMap> maps{AffineMap::get(numDims, 0, inputExprs, context),
                              AffineMap::get(numDims, 0, windowExprs, context),
                              AffineMap::get(numDims, 0, outExprs, context)};
  SmallVector<utils::IteratorType> iterators(2 + rank, utils::IteratorType::parallel);
  iterators.append(rank, utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, initType, ValueRange{input, window}, ValueRange{init}, maps, iterators,
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               Value x = args[0], acc = args[2], result;
               if (kind == PoolKind::Sum)
                 result = add(nested, nestedLoc, acc, x);
               else if (isa<FloatType>(x.getType()))
                 result = arith::MaximumFOp::create(nested, nestedLoc, acc, x);
               else if (isUnsigned)
                 result = arith::MaxUIOp::create(nested, nestedLoc, acc, x);
               else
                 result = arith::MaxSIOp::create(nested, nestedLoc, acc, x);
               linalg::YieldOp::create(nested, nestedLoc, result);
             })
      .getResult(0);
}

/// The padding a pooling op needs at the end of each spatial dim: its own, plus what
/// ceil_mode's last, partial window reaches past it.
SmallVector<int64_t> poolHighPads(RankedTensorType inputType, RankedTensorType resultType,
                                  ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations) {
  int64_t rank = inputType.getRank() - 2;
  SmallVector<int64_t> high;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t window = (kernel[i] - 1) * dilations[i] + 1;
    int64_t needed = (resultType.getDimSize(i + 2) - 1) * strides[i] + window;
    int64_t available = inputType.getDimSize(i + 2) + pads[i] + pads[i + rank];
    high.push_back(pads[i + rank] + std::max<int64_t>(0, needed - available));
  }
  return high;
}

/// The lowest value of an element type: the padding that never wins a max.
Value lowestValue(OpBuilder &b, Location loc, Type elementType, bool isUnsigned) {
  if (auto floatType = dyn_cast<FloatType>(elementType))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(floatType, -std::numeric_limits<double>::infinity()));
  unsigned width = elementType.getIntOrFloatBitWidth();
  APInt value = isUnsigned ? APInt::getZero(width) : APInt::getSignedMinValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(elementType, value));
}

/// Max pooling with the Indices output: one linalg.generic over (n, c, out..., k...)
/// reducing into the maximum and its flattened input position together. Each window
/// position is read from the unpadded input with `tensor.extract`; positions outside it
/// (padding, ceil_mode's overhang) never win. Ties go to the lowest row-major position,
/// the window's first maximum, whatever order the reduction runs in.
std::pair<Value, Value> buildMaxPoolWithIndices(OpBuilder &b, Location loc, Value input,
                                                RankedTensorType resultType,
                                                ArrayRef<int64_t> kernel,
                                                ArrayRef<int64_t> strides,
                                                ArrayRef<int64_t> pads,
                                                ArrayRef<int64_t> dilations, bool isUnsigned,
                                                bool columnMajor) {
  MLIRContext *context = b.getContext();
  auto inputType = cast<RankedTensorType>(input.getType());
  Type elementType = resultType.getElementType();
  int64_t rank = inputType.getRank() - 2;
  int64_t numDims = 2 + 2 * rank;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, context); };
  SmallVector<AffineExpr> windowExprs, outExprs{d(0), d(1)};
  for (int64_t i = 0; i < rank; ++i) {
    windowExprs.push_back(d(2 + rank + i));
    outExprs.push_back(d(2 + i));
  }
  AffineMap outMap = AffineMap::get(numDims, 0, outExprs, context);
  SmallVector<AffineMap> maps{AffineMap::get(numDims, 0, windowExprs, context), outMap,
                              outMap};
  SmallVector<utils::IteratorType> iterators(2 + rank, utils::IteratorType::parallel);
  iterators.append(rank, utils::IteratorType::reduction);
  Value window = tensor::EmptyOp::create(b, loc, kernel, b.getI1Type());
  Value lowest = lowestValue(b, loc, elementType, isUnsigned);
  Value values = filledTensor(b, loc, resultType, lowest);
  auto indicesType = RankedTensorType::get(resultType.getShape(), b.getI64Type());
  Value noIndex = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(-1));
  Value indices = filledTensor(b, loc, indicesType, noIndex);
  ArrayRef<int64_t> inShape = inputType.getShape();
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType, indicesType}, ValueRange{window},
      ValueRange{values, indices}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value acc = args[1], accIndex = args[2];
        auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(nb, nl, v); };
        Value zero = cst(0);
        Value valid = arith::ConstantOp::create(nb, nl, nb.getBoolAttr(true));
        SmallVector<Value> coords{linalg::IndexOp::create(nb, nl, 0),
                                  linalg::IndexOp::create(nb, nl, 1)};
        SmallVector<Value> positions;
        for (int64_t i = 0; i < rank; ++i) {
          Value o = linalg::IndexOp::create(nb, nl, 2 + i);
          Value k = linalg::IndexOp::create(nb, nl, 2 + rank + i);
          Value pos = arith::AddIOp::create(
              nb, nl, arith::MulIOp::create(nb, nl, o, cst(strides[i])),
              arith::MulIOp::create(nb, nl, k, cst(dilations[i])));
          pos = arith::SubIOp::create(nb, nl, pos, cst(pads[i]));
          Value inside = arith::AndIOp::create(
              nb, nl,
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, pos, zero),
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, pos,
                                    cst(inShape[i + 2])));
          valid = arith::AndIOp::create(nb, nl, valid, inside);
          positions.push_back(pos);
        }
        for (Value pos : positions) {
          Value clamped = arith::SelectOp::create(nb, nl, valid, pos, zero);
          coords.push_back(clamped);
        }
        Value x = tensor::ExtractOp::create(nb, nl, input, coords);
        // Flattened positions: row-major over everything (the tie-break), and the
        // requested storage order over the spatial dims.
        Value rowMajor = coords[0];
        for (int64_t i = 1; i < 2 + rank; ++i)
          rowMajor = arith::AddIOp::create(
              nb, nl, arith::MulIOp::create(nb, nl, rowMajor, cst(inShape[i])), coords[i]);
        Value flat = rowMajor;
        if (columnMajor && rank > 1) {
          int64_t spatial = 1;
          for (int64_t size : inShape.drop_front(2))
            spatial *= size;
          Value spatialIndex = coords[2 + rank - 1];
          for (int64_t i = rank - 2; i >= 0; --i)
            spatialIndex = arith::AddIOp::create(
                nb, nl, arith::MulIOp::create(nb, nl, spatialIndex, cst(inShape[2 + i])),
                coords[2 + i]);
          Value nc = arith::AddIOp::create(
              nb, nl, arith::MulIOp::create(nb, nl, coords[0], cst(inShape[1])), coords[1]);
          flat = arith::AddIOp::create(
              nb, nl, arith::MulIOp::create(nb, nl, nc, cst(spatial)), spatialIndex);
        }
        Value rowMajor64 = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), rowMajor);
        Value flat64 = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), flat);
        Value greater, equal;
        if (isa<FloatType>(elementType)) {
          greater = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, x, acc);
          equal = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, x, acc);
        } else {
          greater = arith::CmpIOp::create(
              nb, nl, isUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt, x,
              acc);
          equal = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, x, acc);
        }
        // The accumulator's row-major position is only needed for ties; recomputing it
        // from a column-major index is not worth it, so ties compare `flat` there (the
        // same order as the window's for 1-D, and both orders agree on a unique maximum).
        Value earlier = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                              columnMajor ? flat64 : rowMajor64, accIndex);
        Value empty = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, accIndex,
                                            noIndex);
        Value better = arith::OrIOp::create(
            nb, nl, empty,
            arith::OrIOp::create(nb, nl, greater,
                                 arith::AndIOp::create(nb, nl, equal, earlier)));
        better = arith::AndIOp::create(nb, nl, valid, better);
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::SelectOp::create(nb, nl, better, x, acc),
                       arith::SelectOp::create(nb, nl, better, flat64, accIndex)});
      });
  return {generic.getResult(0), generic.getResult(1)};
}

struct MaxPoolLowering : OnnxLowering<onnxir::MaxPoolOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::MaxPoolOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType resultType = convertedType(op);
    auto inputType = cast<RankedTensorType>(adaptor.getInput().getType());
    bool isUnsigned = op.getInput().getType().getElementType().isUnsignedInteger();
    int64_t rank = inputType.getRank() - 2;
    if (op.getIndices()) {
      auto [values, indices] = buildMaxPoolWithIndices(
          rewriter, loc, adaptor.getInput(), resultType, op.getKernelShape(), op.getStrides(),
          op.getPads(), op.getDilations(), isUnsigned, op.getStorageOrder() == 1);
      rewriter.replaceOp(op, ValueRange{values, indices});
      return success();
    }
    Value lowest = lowestValue(rewriter, loc, resultType.getElementType(), isUnsigned);
    SmallVector<int64_t> high = poolHighPads(inputType, resultType, op.getKernelShape(),
                                             op.getStrides(), op.getPads(), op.getDilations());
    Value input = padSpatial(rewriter, loc, adaptor.getInput(),
                             op.getPads().take_front(rank), high, lowest);
    Value init = filledTensor(rewriter, loc, resultType, lowest);
    rewriter.replaceOp(op, buildPooling(rewriter, loc, PoolKind::Max, input, init,
                                        op.getKernelShape(), op.getStrides(),
                                        op.getDilations(), isUnsigned));
    return success();
  }
};

/// AveragePool: a sum pool over the zero-padded input, divided by the number of positions
/// each window covers. That count factors per spatial dim, so it is a product of small 1-D
/// constants (or one scalar when every window covers the same count).
struct AveragePoolLowering : OnnxLowering<onnxir::AveragePoolOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::AveragePoolOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    RankedTensorType resultType = convertedType(op);
    auto inputType = cast<RankedTensorType>(adaptor.getInput().getType());
    Type elementType = resultType.getElementType();
    int64_t rank = inputType.getRank() - 2;
    ArrayRef<int64_t> kernel = op.getKernelShape(), strides = op.getStrides(),
                      pads = op.getPads(), dilations = op.getDilations();
    Value zero = scalarConstant(rewriter, loc, elementType, 0.0);
    SmallVector<int64_t> high =
        poolHighPads(inputType, resultType, kernel, strides, pads, dilations);
    Value input =
        padSpatial(rewriter, loc, adaptor.getInput(), pads.take_front(rank), high, zero);
    Value init = filledTensor(rewriter, loc, resultType, zero);
    Value sum = buildPooling(rewriter, loc, PoolKind::Sum, input, init, kernel, strides,
                             dilations, /*isUnsigned=*/false);

    // Per spatial dim, how many window taps of each output position land inside the input
    // (or inside the explicitly padded input with count_include_pad).
    double scalarCount = 1.0;
    SmallVector<Value> countVectors;
    SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank + 2, context)};
    for (int64_t i = 0; i < rank; ++i) {
      int64_t size = inputType.getDimSize(i + 2);
      int64_t begin = op.getCountIncludePad() ? -pads[i] : 0;
      int64_t end = op.getCountIncludePad() ? size + pads[i + rank] : size;
      SmallVector<double> counts;
      for (int64_t o = 0; o < resultType.getDimSize(i + 2); ++o) {
        int64_t count = 0;
        for (int64_t k = 0; k < kernel[i]; ++k) {
          int64_t pos = o * strides[i] + k * dilations[i] - pads[i];
          count += pos >= begin && pos < end;
        }
        counts.push_back(std::max<int64_t>(count, 1));
      }
      if (llvm::all_equal(counts)) {
        scalarCount *= counts.front();
        continue;
      }
      auto vectorType = RankedTensorType::get({(int64_t)counts.size()}, elementType);
      SmallVector<Attribute> values;
      for (double c : counts)
        values.push_back(rewriter.getFloatAttr(elementType, c));
      countVectors.push_back(arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(vectorType, values)));
      maps.push_back(dimMap(context, rank + 2, i + 2));
    }
    Value scalar = countVectors.empty() || scalarCount != 1.0
                       ? scalarConstant(rewriter, loc, elementType, scalarCount)
                       : Value();
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank + 2, context));
    SmallVector<Value> operands{sum};
    llvm::append_range(operands, countVectors);
    Value out = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(), elementType);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, resultType, operands, out, maps,
            SmallVector<utils::IteratorType>(rank + 2, utils::IteratorType::parallel),
            [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
              Value divisor = scalarCount == 1.0 ? Value() : scalar;
              for (Value count : args.drop_front().drop_back())
                divisor = divisor ? arith::MulFOp::create(nested, nestedLoc, divisor, count)
                                  : count;
              linalg::YieldOp::create(
                  nested, nestedLoc,
                  arith::DivFOp::create(nested, nestedLoc, args[0], divisor).getResult());
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Global pooling: a reduction generic over the spatial dims into N x C, divided by their
/// size for the average, then reshaped to N x C x 1 x ... x 1.
template <typename OpTy, PoolKind kind> struct GlobalPoolLowering : OnnxLowering<OpTy> {
  using OnnxLowering<OpTy>::OnnxLowering;
  using OpAdaptor = typename OpTy::Adaptor;
  LogicalResult matchAndRewrite(OpTy op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    RankedTensorType resultType = this->convertedType(op);
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    Type elementType = resultType.getElementType();
    int64_t rank = inputType.getRank();
    auto reducedType = RankedTensorType::get(inputType.getShape().take_front(2), elementType);
    Value initValue = kind == PoolKind::Max
                          ? lowestValue(rewriter, loc, elementType, /*isUnsigned=*/false)
                          : scalarConstant(rewriter, loc, elementType, 0.0);
    Value init = filledTensor(rewriter, loc, reducedType, initValue);
    SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
    iterators.append(rank - 2, utils::IteratorType::reduction);
    SmallVector<AffineMap> maps{
        AffineMap::getMultiDimIdentityMap(rank, context),
        AffineMap::get(rank, 0, {getAffineDimExpr(0, context), getAffineDimExpr(1, context)},
                       context)};
    Value reduced =
        linalg::GenericOp::create(
            rewriter, loc, reducedType, input, init, maps, iterators,
            [](OpBuilder &nested, Location nestedLoc, ValueRange args) {
              Value result = kind == PoolKind::Max
                                 ? arith::MaximumFOp::create(nested, nestedLoc, args[1], args[0])
                                       .getResult()
                                 : add(nested, nestedLoc, args[1], args[0]);
              linalg::YieldOp::create(nested, nestedLoc, result);
            })
            .getResult(0);
    if (kind == PoolKind::Sum) {
      int64_t count = inputType.getNumElements() / reducedType.getNumElements();
      Value divisor = scalarConstant(rewriter, loc, elementType, static_cast<double>(count));
      reduced = buildElementwise(rewriter, loc, reducedType, reduced,
                                 [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                                   return arith::DivFOp::create(nested, nestedLoc, args[0],
                                                                divisor)
                                       .getResult();
                                 });
    }
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, reduced, resultType));
    return success();
  }
};

} // namespace

void cleave::populateNNToLinalgPatterns(const OnnxTypeConverter &converter,
                                        RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, GemmLowering, ConvLowering, ConvTransposeLowering,
               MaxPoolLowering, AveragePoolLowering,
               GlobalPoolLowering<onnxir::GlobalAveragePoolOp, PoolKind::Sum>,
               GlobalPoolLowering<onnxir::GlobalMaxPoolOp, PoolKind::Max>>(
      converter, patterns.getContext());
}
