// onnx -> linalg lowering: shape and data-movement ops.
#include "compiler/conversion/OnnxToLinalg/Patterns.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace cleave;

namespace {

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> values) {
  return llvm::map_to_vector(values, [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); });
}

/// The single element of a one-element tensor (rank 0 or 1), read before the computation.
Value extractScalar(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> zeros(type.getRank(), indexConstant(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, tensor, zeros);
}

//===----------------------------------------------------------------------===//
// Reshape, Transpose, Concat, Slice
//===----------------------------------------------------------------------===//

struct ReshapeLowering : OnnxLowering<onnxir::ReshapeOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       reshapeTensor(rewriter, op.getLoc(), adaptor.getInput(), convertedType(op)));
    return success();
  }
};

struct TransposeLowering : OnnxLowering<onnxir::TransposeOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::TransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    Value init =
        tensor::EmptyOp::create(rewriter, op.getLoc(), type.getShape(), type.getElementType());
    rewriter.replaceOp(op, linalg::TransposeOp::create(rewriter, op.getLoc(), adaptor.getInput(),
                                                       init, op.getPerm())
                               .getResult());
    return success();
  }
};

/// Concat: each input inserted at its offset along the axis of an empty result.
struct ConcatLowering : OnnxLowering<onnxir::ConcatOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::ConcatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    Value result = tensor::EmptyOp::create(rewriter, loc, type.getShape(), type.getElementType());
    SmallVector<int64_t> offsets(type.getRank(), 0), strides(type.getRank(), 1);
    for (Value input : adaptor.getInputs()) {
      auto inputType = cast<RankedTensorType>(input.getType());
      if (inputType.getDimSize(axis) == 0)
        continue;
      result = tensor::InsertSliceOp::create(
          rewriter, loc, input, result, indexAttrs(rewriter, offsets),
          indexAttrs(rewriter, inputType.getShape()), indexAttrs(rewriter, strides));
      offsets[axis] += inputType.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Slice: positive steps are a strided tensor.extract_slice; a negative step reads
/// backwards, which extract_slice cannot, so those slices gather element by element.
struct SliceLowering : OnnxLowering<onnxir::SliceOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::SliceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    Location loc = op.getLoc();
    ArrayRef<int64_t> starts = op.getStarts(), steps = op.getSteps();
    if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, type, adaptor.getInput(), indexAttrs(rewriter, starts),
          indexAttrs(rewriter, type.getShape()), indexAttrs(rewriter, steps));
      return success();
    }
    Value input = adaptor.getInput();
    Value result = buildIndexedGeneric(
        rewriter, loc, type, {}, {},
        [&](OpBuilder &b, Location l, ValueRange indices, ValueRange) -> Value {
          SmallVector<Value> source;
          for (auto [d, i] : llvm::enumerate(indices)) {
            Value scaled = arith::MulIOp::create(b, l, i, indexConstant(b, l, steps[d]));
            source.push_back(arith::AddIOp::create(b, l, scaled, indexConstant(b, l, starts[d])));
          }
          return tensor::ExtractOp::create(b, l, input, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Gather, Expand, Tile, ConstantOfShape
//===----------------------------------------------------------------------===//

/// Gather: the indices tensor is read by the generic, the data by tensor.extract.
struct GatherLowering : OnnxLowering<onnxir::GatherOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::GatherOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    auto dataType = cast<RankedTensorType>(adaptor.getData().getType());
    auto indicesType = cast<RankedTensorType>(adaptor.getIndices().getType());
    int64_t indexRank = indicesType.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t k = 0; k < indexRank; ++k)
      exprs.push_back(rewriter.getAffineDimExpr(axis + k));
    AffineMap indicesMap = AffineMap::get(type.getRank(), 0, exprs, rewriter.getContext());
    Value data = adaptor.getData();
    int64_t dim = dataType.getDimSize(axis);
    Value result = buildIndexedGeneric(
        rewriter, loc, type, adaptor.getIndices(), indicesMap,
        [&](OpBuilder &b, Location l, ValueRange indices, ValueRange args) -> Value {
          Value index = arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value zero = indexConstant(b, l, 0);
          Value negative = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, index, zero);
          Value wrapped = arith::AddIOp::create(b, l, index, indexConstant(b, l, dim));
          index = arith::SelectOp::create(b, l, negative, wrapped, index);
          SmallVector<Value> source(indices.take_front(axis));
          source.push_back(index);
          llvm::append_range(source, indices.drop_front(axis + indexRank));
          return tensor::ExtractOp::create(b, l, data, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ExpandLowering : OnnxLowering<onnxir::ExpandOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::ExpandOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), convertedType(op), adaptor.getInput(),
                             [](OpBuilder &, Location, ValueRange args) { return args[0]; }));
    return success();
  }
};

/// Tile: broadcast into [r0, d0, r1, d1, ...] (repeat count before each dim), then collapse
/// each pair, so the copy stays a projected-permutation generic.
struct TileLowering : OnnxLowering<onnxir::TileOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::TileOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t rank = inType.getRank();
    SmallVector<int64_t> wide;
    SmallVector<AffineExpr> exprs;
    SmallVector<ReassociationIndices> pairs;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t dim = inType.getDimSize(d);
      wide.push_back(dim == 0 ? 1 : type.getDimSize(d) / dim);
      wide.push_back(dim);
      exprs.push_back(rewriter.getAffineDimExpr(2 * d + 1));
      pairs.push_back({2 * d, 2 * d + 1});
    }
    auto wideType = RankedTensorType::get(wide, type.getElementType());
    AffineMap inputMap = AffineMap::get(2 * rank, 0, exprs, rewriter.getContext());
    Value init = tensor::EmptyOp::create(rewriter, loc, wide, type.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, wideType, adaptor.getInput(), init,
        ArrayRef<AffineMap>{inputMap, rewriter.getMultiDimIdentityMap(2 * rank)},
        SmallVector<utils::IteratorType>(2 * rank, utils::IteratorType::parallel),
        [](OpBuilder &b, Location l, ValueRange args) { linalg::YieldOp::create(b, l, args[0]); });
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, type, generic.getResult(0), pairs);
    return success();
  }
};

struct ConstantOfShapeLowering : OnnxLowering<onnxir::ConstantOfShapeOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::ConstantOfShapeOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    TypedAttr value = op.getValue();
    if (auto integer = dyn_cast<IntegerAttr>(value))
      value = IntegerAttr::get(type.getElementType(), integer.getValue());
    Value scalar = arith::ConstantOp::create(rewriter, op.getLoc(), value);
    rewriter.replaceOp(op, filledTensor(rewriter, op.getLoc(), type, scalar));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

/// Constant padding is a fill plus an insert_slice of the (cropped) input; reflect and edge
/// padding compute each output element's source index.
struct PadLowering : OnnxLowering<onnxir::PadOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::PadOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    int64_t rank = inType.getRank();
    ArrayRef<int64_t> pads = op.getPads();
    if (op.getMode() == "constant") {
      // Negative pads crop first.
      SmallVector<int64_t> offsets, sizes, strides(rank, 1), inserted;
      bool crops = false;
      for (int64_t d = 0; d < rank; ++d) {
        int64_t before = pads[d], after = pads[d + rank];
        offsets.push_back(std::max<int64_t>(0, -before));
        sizes.push_back(inType.getDimSize(d) + std::min<int64_t>(0, before) +
                        std::min<int64_t>(0, after));
        inserted.push_back(std::max<int64_t>(0, before));
        crops |= before < 0 || after < 0;
      }
      if (crops)
        input = tensor::ExtractSliceOp::create(
            rewriter, loc, RankedTensorType::get(sizes, type.getElementType()), input,
            indexAttrs(rewriter, offsets), indexAttrs(rewriter, sizes),
            indexAttrs(rewriter, strides));
      Value value = adaptor.getConstantValue()
                        ? extractScalar(rewriter, loc, adaptor.getConstantValue())
                        : scalarConstant(rewriter, loc, type.getElementType(), 0);
      Value result = filledTensor(rewriter, loc, type, value);
      if (llvm::all_of(sizes, [](int64_t s) { return s > 0; }))
        result = tensor::InsertSliceOp::create(
            rewriter, loc, input, result, indexAttrs(rewriter, inserted),
            indexAttrs(rewriter, sizes), indexAttrs(rewriter, strides));
      rewriter.replaceOp(op, result);
      return success();
    }
    bool reflect = op.getMode() == "reflect";
    Value result = buildIndexedGeneric(
        rewriter, loc, type, {}, {},
        [&](OpBuilder &b, Location l, ValueRange indices, ValueRange) -> Value {
          SmallVector<Value> source;
          for (int64_t d = 0; d < rank; ++d) {
            Value i = indices[d];
            int64_t before = pads[d], last = inType.getDimSize(d) - 1;
            if (before == 0 && pads[d + rank] == 0) {
              source.push_back(i);
              continue;
            }
            i = arith::SubIOp::create(b, l, i, indexConstant(b, l, before));
            Value zero = indexConstant(b, l, 0), lastV = indexConstant(b, l, last);
            if (reflect) {
              // Mirror once at each end: -i below 0, 2*last - i above last.
              Value low = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
              i = arith::SelectOp::create(b, l, low, arith::SubIOp::create(b, l, zero, i), i);
              Value high = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, i, lastV);
              Value mirrored = arith::SubIOp::create(b, l, indexConstant(b, l, 2 * last), i);
              i = arith::SelectOp::create(b, l, high, mirrored, i);
            } else {
              i = arith::MaxSIOp::create(b, l, i, zero);
              i = arith::MinSIOp::create(b, l, i, lastV);
            }
            source.push_back(i);
          }
          return tensor::ExtractOp::create(b, l, input, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

Value f32Constant(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(static_cast<float>(v)));
}

Value indexToF32(OpBuilder &b, Location loc, Value index) {
  Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), i);
}

Value f32ToIndex(OpBuilder &b, Location loc, Value value) {
  Value i = arith::FPToSIOp::create(b, loc, b.getI64Type(), value);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), i);
}

/// Resize: one generic over the output; per resized dim the output index maps to an input
/// coordinate, which is rounded (nearest) or interpolated between its 2 (linear) or 4
/// (cubic) neighbours; the result sums the products of per-dim weights over all tap
/// combinations. tf_crop_and_resize yields extrapolation_value where a coordinate leaves the
/// input.
struct ResizeLowering : OnnxLowering<onnxir::ResizeOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::ResizeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    int64_t rank = inType.getRank();
    StringRef coordinates = op.getCoordinateTransformationMode();
    StringRef nearestMode = op.getNearestMode();
    StringRef mode = op.getMode();
    bool crop = coordinates == "tf_crop_and_resize";
    SmallVector<float> roi;
    if (crop)
      roi.assign(op.getRoi()->begin(), op.getRoi()->end());
    double a = op.getCubicCoeffA().convertToDouble();
    bool excludeOutside = op.getExcludeOutside();

    // A dim with an unchanged size and a scale of 1 (or a run-time scale) maps identically;
    // with tf_crop_and_resize one with an unchanged size and the whole roi [0, 1] does.
    DenseElementsAttr constantScales;
    matchPattern(op.getScales(), m_Constant(&constantScales));
    SmallVector<int64_t> resized;
    SmallVector<Value> scales(rank);
    for (int64_t d = 0; d < rank; ++d) {
      bool same = inType.getDimSize(d) == type.getDimSize(d);
      if (crop) {
        if (same && roi[d] == 0.0f && roi[rank + d] == 1.0f)
          continue;
      } else if (constantScales) {
        float s = constantScales.getValues<float>()[d];
        if (same && s == 1.0f)
          continue;
        scales[d] = f32Constant(rewriter, loc, s);
      } else {
        if (same)
          continue;
        scales[d] = tensor::ExtractOp::create(rewriter, loc, adaptor.getScales(),
                                              ValueRange{indexConstant(rewriter, loc, d)});
      }
      resized.push_back(d);
    }

    auto elementType = type.getElementType();
    Value result = buildIndexedGeneric(
        rewriter, loc, type, {}, {},
        [&](OpBuilder &b, Location l, ValueRange indices, ValueRange) -> Value {
          // Per resized dim: the taps (input indices) and their weights (none for nearest).
          SmallVector<SmallVector<Value>> taps(rank), weights(rank);
          Value inside; // tf_crop_and_resize: whether every coordinate lies in the input.
          for (int64_t d : resized) {
            int64_t inSize = inType.getDimSize(d), outSize = type.getDimSize(d);
            Value xOut = indexToF32(b, l, indices[d]);
            Value x;
            Value maxV = f32Constant(b, l, inSize - 1);
            if (crop) {
              // x * (end - start) * (inSize - 1) / (outSize - 1) + start * (inSize - 1).
              double start = roi[d], end = roi[rank + d];
              double offset = start * (inSize - 1);
              if (outSize == 1) {
                x = f32Constant(b, l, (end - start) * (inSize - 1) / 2 + offset);
              } else {
                double step = (end - start) * (inSize - 1) / (outSize - 1);
                x = arith::AddFOp::create(
                    b, l, arith::MulFOp::create(b, l, xOut, f32Constant(b, l, step)),
                    f32Constant(b, l, offset));
              }
              Value ge = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, x,
                                               f32Constant(b, l, 0));
              Value le = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLE, x, maxV);
              Value in = arith::AndIOp::create(b, l, ge, le);
              inside = inside ? Value(arith::AndIOp::create(b, l, inside, in)) : in;
            } else {
              x = inputCoordinate(b, l, coordinates, xOut, scales[d], inSize, outSize);
            }
            if (mode == "nearest") {
              Value rounded;
              if (nearestMode == "floor")
                rounded = math::FloorOp::create(b, l, x);
              else if (nearestMode == "ceil")
                rounded = math::CeilOp::create(b, l, x);
              else if (nearestMode == "round_prefer_ceil")
                rounded = math::FloorOp::create(
                    b, l, arith::AddFOp::create(b, l, x, f32Constant(b, l, 0.5)));
              else
                rounded = math::CeilOp::create(
                    b, l, arith::SubFOp::create(b, l, x, f32Constant(b, l, 0.5)));
              rounded = arith::MaximumFOp::create(b, l, rounded, f32Constant(b, l, 0));
              rounded = arith::MinimumFOp::create(b, l, rounded, maxV);
              taps[d].push_back(f32ToIndex(b, l, rounded));
              continue;
            }
            if (mode == "linear") {
              x = arith::MaximumFOp::create(b, l, x, f32Constant(b, l, 0));
              x = arith::MinimumFOp::create(b, l, x, maxV);
              Value floor = math::FloorOp::create(b, l, x);
              Value w = arith::SubFOp::create(b, l, x, floor);
              Value low = f32ToIndex(b, l, floor);
              taps[d] = {low, arith::MinSIOp::create(
                                  b, l, arith::AddIOp::create(b, l, low, indexConstant(b, l, 1)),
                                  indexConstant(b, l, inSize - 1))};
              weights[d] = {arith::SubFOp::create(b, l, f32Constant(b, l, 1), w), w};
              continue;
            }
            // Cubic: taps floor-1 .. floor+2, clamped to the border.
            Value floor = math::FloorOp::create(b, l, x);
            Value r = arith::SubFOp::create(b, l, x, floor);
            Value base = f32ToIndex(b, l, floor);
            auto cubic = [&](Value t, bool near) -> Value {
              // Keys' kernel at distance t: (A+2)t^3 - (A+3)t^2 + 1 for t <= 1,
              // A t^3 - 5A t^2 + 8A t - 4A for 1 < t < 2 (Horner form as ONNX writes it).
              auto c = [&](double v) { return f32Constant(b, l, v); };
              auto mul = [&](Value p, Value q) -> Value { return arith::MulFOp::create(b, l, p, q); };
              auto add = [&](Value p, Value q) -> Value { return arith::AddFOp::create(b, l, p, q); };
              if (near)
                return add(mul(mul(add(mul(c(a + 2), t), c(-(a + 3))), t), t), c(1));
              return add(mul(add(mul(add(mul(c(a), t), c(-5 * a)), t), c(8 * a)), t), c(-4 * a));
            };
            Value one = f32Constant(b, l, 1);
            Value oneMinusR = arith::SubFOp::create(b, l, one, r);
            SmallVector<Value> w = {cubic(arith::AddFOp::create(b, l, r, one), false),
                                    cubic(r, true), cubic(oneMinusR, true),
                                    cubic(arith::AddFOp::create(b, l, oneMinusR, one), false)};
            Value zeroI = indexConstant(b, l, 0), lastI = indexConstant(b, l, inSize - 1);
            Value sum;
            for (int64_t k = 0; k < 4; ++k) {
              Value i = arith::AddIOp::create(b, l, base, indexConstant(b, l, k - 1));
              if (excludeOutside) {
                Value ge = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, i, zeroI);
                Value le = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sle, i, lastI);
                w[k] = arith::SelectOp::create(b, l, arith::AndIOp::create(b, l, ge, le), w[k],
                                               f32Constant(b, l, 0));
                sum = sum ? Value(arith::AddFOp::create(b, l, sum, w[k])) : w[k];
              }
              i = arith::MaxSIOp::create(b, l, i, zeroI);
              taps[d].push_back(arith::MinSIOp::create(b, l, i, lastI));
            }
            if (excludeOutside)
              for (Value &wk : w)
                wk = arith::DivFOp::create(b, l, wk, sum);
            weights[d] = w;
          }
          // Sum over all tap combinations of the products of per-dim weights.
          SmallVector<size_t> choice(resized.size(), 0);
          Value total;
          while (true) {
            SmallVector<Value> source(indices);
            Value w;
            for (auto [k, d] : llvm::enumerate(resized)) {
              source[d] = taps[d][choice[k]];
              if (!weights[d].empty())
                w = w ? Value(arith::MulFOp::create(b, l, w, weights[d][choice[k]]))
                      : weights[d][choice[k]];
            }
            Value term = tensor::ExtractOp::create(b, l, input, source);
            if (w) {
              if (elementType != w.getType())
                w = elementType.getIntOrFloatBitWidth() > 32
                        ? Value(arith::ExtFOp::create(b, l, elementType, w))
                        : Value(arith::TruncFOp::create(b, l, elementType, w));
              term = arith::MulFOp::create(b, l, w, term);
            }
            total = total ? Value(arith::AddFOp::create(b, l, total, term)) : term;
            size_t k = 0;
            for (; k < resized.size(); ++k) {
              if (++choice[k] < taps[resized[k]].size())
                break;
              choice[k] = 0;
            }
            if (k == resized.size())
              break;
          }
          if (!inside)
            return total;
          double fill = op.getExtrapolationValue().convertToDouble();
          TypedAttr fillAttr =
              isa<FloatType>(elementType)
                  ? TypedAttr(b.getFloatAttr(elementType, fill))
                  : TypedAttr(b.getIntegerAttr(elementType, static_cast<int64_t>(fill)));
          return arith::SelectOp::create(b, l, inside, total,
                                         arith::ConstantOp::create(b, l, fillAttr));
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  /// ONNX's coordinate_transformation_mode: output coordinate `x` to an input coordinate.
  static Value inputCoordinate(OpBuilder &b, Location l, StringRef mode, Value x, Value scale,
                               int64_t inSize, int64_t outSize) {
    Value half = f32Constant(b, l, 0.5);
    if (mode == "asymmetric")
      return arith::DivFOp::create(b, l, x, scale);
    if (mode == "align_corners") {
      // ONNX takes the resized length before flooring: inSize * scale.
      if (outSize == 1)
        return f32Constant(b, l, 0);
      Value length = arith::MulFOp::create(b, l, f32Constant(b, l, inSize), scale);
      Value denominator = arith::SubFOp::create(b, l, length, f32Constant(b, l, 1));
      Value scaled = arith::MulFOp::create(b, l, x, f32Constant(b, l, inSize - 1));
      return arith::DivFOp::create(b, l, scaled, denominator);
    }
    Value shifted = arith::DivFOp::create(b, l, arith::AddFOp::create(b, l, x, half), scale);
    if (mode == "tf_half_pixel_for_nn")
      return shifted;
    if (mode == "pytorch_half_pixel" && outSize == 1)
      return f32Constant(b, l, 0);
    return arith::SubFOp::create(b, l, shifted, half);
  }
};

//===----------------------------------------------------------------------===//
// Trilu, Range
//===----------------------------------------------------------------------===//

struct TriluLowering : OnnxLowering<onnxir::TriluOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::TriluOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    Location loc = op.getLoc();
    int64_t rank = type.getRank();
    Value k = adaptor.getK()
                  ? Value(arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(),
                                                     extractScalar(rewriter, loc, adaptor.getK())))
                  : indexConstant(rewriter, loc, 0);
    Value zero = scalarConstant(rewriter, loc, type.getElementType(), 0);
    bool upper = op.getUpper();
    Value result = buildIndexedGeneric(
        rewriter, loc, type, adaptor.getInput(), rewriter.getMultiDimIdentityMap(rank),
        [&](OpBuilder &b, Location l, ValueRange indices, ValueRange args) -> Value {
          Value diff = arith::SubIOp::create(b, l, indices[rank - 1], indices[rank - 2]);
          Value keep = arith::CmpIOp::create(
              b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle, diff, k);
          return arith::SelectOp::create(b, l, keep, args[0], zero);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Range that did not fold (run-time start/delta, or a long result): start + i * delta.
struct RangeLowering : OnnxLowering<onnxir::RangeOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::RangeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    Location loc = op.getLoc();
    Value start = extractScalar(rewriter, loc, adaptor.getStart());
    Value delta = extractScalar(rewriter, loc, adaptor.getDelta());
    Type elementType = type.getElementType();
    Value result = buildIndexedGeneric(
        rewriter, loc, type, {}, {},
        [&](OpBuilder &b, Location l, ValueRange indices, ValueRange) -> Value {
          if (isa<FloatType>(elementType)) {
            Value i = arith::IndexCastOp::create(b, l, b.getI64Type(), indices[0]);
            Value f = arith::SIToFPOp::create(b, l, elementType, i);
            return arith::AddFOp::create(b, l, start, arith::MulFOp::create(b, l, f, delta));
          }
          Value i = arith::IndexCastOp::create(b, l, elementType, indices[0]);
          return arith::AddIOp::create(b, l, start, arith::MulIOp::create(b, l, i, delta));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void cleave::populateShapeToLinalgPatterns(const OnnxTypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, TransposeLowering, ConcatLowering, SliceLowering, GatherLowering,
               ExpandLowering, TileLowering, ConstantOfShapeLowering, PadLowering, ResizeLowering,
               TriluLowering, RangeLowering>(converter, patterns.getContext());
}
