// onnx -> linalg lowering: elementwise ops, one linalg.generic each.
#include "compiler/conversion/OnnxToLinalg/Patterns.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace cleave;

namespace {

/// The scalar computation of one elementwise op: gets the original (onnx-level) op for its
/// attributes and element types, the converted scalar operands, and returns the result.
using ScalarFn = Value (*)(Operation *op, OpBuilder &b, Location loc, ValueRange args);

template <typename OpTy> struct ElementwiseLowering : OnnxLowering<OpTy> {
  ElementwiseLowering(const TypeConverter &converter, MLIRContext *context, ScalarFn fn)
      : OnnxLowering<OpTy>(converter, context), fn(fn) {}

  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = this->convertedType(op);
    Operation *original = op.getOperation();
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) { return fn(original, b, loc, args); });
    rewriter.replaceOp(op, result);
    return success();
  }

  ScalarFn fn;
};

/// Identity (and Dropout at inference) is its input.
struct IdentityLowering : OnnxLowering<onnxir::IdentityOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::IdentityOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }
/// Whether the onnx-level operand `i` of `op` has an unsigned (or bool) element type.
bool isUnsigned(Operation *op, unsigned i = 0) {
  Type type = getElementTypeOrSelf(op->getOperand(i).getType());
  return type.isUnsignedInteger() || type.isInteger(1);
}

/// Converts a float scalar to another float type (extf or truncf).
Value convertFloat(OpBuilder &b, Location loc, Value v, FloatType to) {
  auto from = cast<FloatType>(v.getType());
  if (from == to)
    return v;
  if (from.getWidth() < to.getWidth())
    return arith::ExtFOp::create(b, loc, to, v);
  return arith::TruncFOp::create(b, loc, to, v);
}

/// Computes `fn` on f16 values in f32: the libm calls that lower transcendental math ops
/// exist only for f32 and f64.
template <typename Fn> Value viaF32(OpBuilder &b, Location loc, Value x, Fn fn) {
  auto type = cast<FloatType>(x.getType());
  if (type.getWidth() >= 32)
    return fn(x);
  Value wide = fn(convertFloat(b, loc, x, b.getF32Type()));
  return convertFloat(b, loc, wide, type);
}

Value minOf(OpBuilder &b, Location loc, Value x, Value y, bool isUnsignedInt) {
  if (isFloat(x))
    return arith::MinimumFOp::create(b, loc, x, y);
  if (isUnsignedInt)
    return arith::MinUIOp::create(b, loc, x, y);
  return arith::MinSIOp::create(b, loc, x, y);
}

Value maxOf(OpBuilder &b, Location loc, Value x, Value y, bool isUnsignedInt) {
  if (isFloat(x))
    return arith::MaximumFOp::create(b, loc, x, y);
  if (isUnsignedInt)
    return arith::MaxUIOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}

/// Widens a bfloat16 scalar to f32 exactly: its bits are the high half of the f32's.
Value bf16ToF32(OpBuilder &b, Location loc, Value v) {
  Value bits = arith::BitcastOp::create(b, loc, b.getI16Type(), v);
  Value wide = arith::ExtUIOp::create(b, loc, b.getI32Type(), bits);
  Value shifted = arith::ShLIOp::create(b, loc, wide, scalarConstant(b, loc, b.getI32Type(), 16));
  return arith::BitcastOp::create(b, loc, b.getF32Type(), shifted);
}

/// Narrows an f32 scalar to bfloat16 by dropping the low 16 bits of its mantissa (NaN
/// payloads keep their high bits). Cast-13 leaves the rounding open; ONNX's reference
/// outputs for it truncate, and so does Cleave, rather than rounding to nearest even.
Value f32ToBF16(OpBuilder &b, Location loc, Value v) {
  Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), v);
  Value high = arith::ShRUIOp::create(b, loc, bits, scalarConstant(b, loc, b.getI32Type(), 16));
  Value narrow = arith::TruncIOp::create(b, loc, b.getI16Type(), high);
  return arith::BitcastOp::create(b, loc, b.getBF16Type(), narrow);
}

/// Converts a scalar between element types as ONNX Cast does. `from` and `to` are the
/// onnx-level element types (their signedness decides the extension); `v` is signless.
/// bfloat16 goes through f32 on both sides, with integer bit operations only, so that
/// no conversion routine of the compiler runtime is needed.
Value castScalar(OpBuilder &b, Location loc, Value v, Type from, Type to) {
  if (from == to)
    return v;
  if (from.isBF16())
    return castScalar(b, loc, bf16ToF32(b, loc, v), b.getF32Type(), to);
  if (to.isBF16())
    return f32ToBF16(b, loc, castScalar(b, loc, v, from, b.getF32Type()));
  auto toFloat = dyn_cast<FloatType>(to);
  bool fromUnsigned = from.isUnsignedInteger() || from.isInteger(1);
  if (isa<FloatType>(from)) {
    if (toFloat)
      return convertFloat(b, loc, v, toFloat);
    if (to.isInteger(1)) {
      // NaN != 0 is true, hence the unordered predicate.
      Value zero = scalarConstant(b, loc, v.getType(), 0.0);
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v, zero);
    }
    Type target = b.getIntegerType(to.getIntOrFloatBitWidth());
    if (to.isUnsignedInteger())
      return arith::FPToUIOp::create(b, loc, target, v);
    return arith::FPToSIOp::create(b, loc, target, v);
  }
  if (toFloat) {
    if (fromUnsigned)
      return arith::UIToFPOp::create(b, loc, toFloat, v);
    return arith::SIToFPOp::create(b, loc, toFloat, v);
  }
  if (to.isInteger(1) && !from.isInteger(1)) {
    Value zero = scalarConstant(b, loc, v.getType(), 0.0);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v, zero);
  }
  unsigned fromWidth = from.getIntOrFloatBitWidth(), toWidth = to.getIntOrFloatBitWidth();
  Type target = b.getIntegerType(toWidth);
  if (fromWidth == toWidth)
    return v;
  if (fromWidth > toWidth)
    return arith::TruncIOp::create(b, loc, target, v);
  if (fromUnsigned)
    return arith::ExtUIOp::create(b, loc, target, v);
  return arith::ExtSIOp::create(b, loc, target, v);
}

//===----------------------------------------------------------------------===//
// Scalar computations
//===----------------------------------------------------------------------===//

Value addFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return isFloat(a[0]) ? (Value)arith::AddFOp::create(b, loc, a[0], a[1])
                       : (Value)arith::AddIOp::create(b, loc, a[0], a[1]);
}
Value subFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return isFloat(a[0]) ? (Value)arith::SubFOp::create(b, loc, a[0], a[1])
                       : (Value)arith::SubIOp::create(b, loc, a[0], a[1]);
}
Value mulFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return isFloat(a[0]) ? (Value)arith::MulFOp::create(b, loc, a[0], a[1])
                       : (Value)arith::MulIOp::create(b, loc, a[0], a[1]);
}
Value divFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  if (isFloat(a[0]))
    return arith::DivFOp::create(b, loc, a[0], a[1]);
  if (isUnsigned(op))
    return arith::DivUIOp::create(b, loc, a[0], a[1]);
  return arith::DivSIOp::create(b, loc, a[0], a[1]);
}

/// Pow computes in the base's float type; integer bases go through f64 and back.
Value powFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  Type baseType = getElementTypeOrSelf(op->getOperand(0).getType());
  Type expType = getElementTypeOrSelf(op->getOperand(1).getType());
  auto computeType = dyn_cast<FloatType>(baseType);
  if (!computeType)
    computeType = b.getF64Type();
  Value base = castScalar(b, loc, a[0], baseType, computeType);
  Value exponent = castScalar(b, loc, a[1], expType, computeType);
  Value result = viaF32(b, loc, base, [&](Value x) {
    Value e = convertFloat(b, loc, exponent, cast<FloatType>(x.getType()));
    return (Value)math::PowFOp::create(b, loc, x, e);
  });
  return castScalar(b, loc, result, computeType, baseType);
}

Value minFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  Value result = a[0];
  for (Value v : a.drop_front())
    result = minOf(b, loc, result, v, isUnsigned(op));
  return result;
}
Value maxFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  Value result = a[0];
  for (Value v : a.drop_front())
    result = maxOf(b, loc, result, v, isUnsigned(op));
  return result;
}

Value negFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  if (isFloat(a[0]))
    return arith::NegFOp::create(b, loc, a[0]);
  return arith::SubIOp::create(b, loc, scalarConstant(b, loc, a[0].getType(), 0.0), a[0]);
}
Value absFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  if (isFloat(a[0]))
    return math::AbsFOp::create(b, loc, a[0]);
  if (isUnsigned(op))
    return a[0];
  return math::AbsIOp::create(b, loc, a[0]);
}
Value sqrtFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return math::SqrtOp::create(b, loc, a[0]);
}
Value expFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return viaF32(b, loc, a[0], [&](Value x) { return (Value)math::ExpOp::create(b, loc, x); });
}
Value logFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return viaF32(b, loc, a[0], [&](Value x) { return (Value)math::LogOp::create(b, loc, x); });
}
Value reciprocalFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  Value one = scalarConstant(b, loc, a[0].getType(), 1.0);
  return arith::DivFOp::create(b, loc, one, a[0]);
}
Value tanhFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return viaF32(b, loc, a[0], [&](Value x) { return (Value)math::TanhOp::create(b, loc, x); });
}
Value erfFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return viaF32(b, loc, a[0], [&](Value x) { return (Value)math::ErfOp::create(b, loc, x); });
}

Value floorFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return math::FloorOp::create(b, loc, a[0]);
}
Value ceilFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return math::CeilOp::create(b, loc, a[0]);
}
Value roundFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return math::RoundEvenOp::create(b, loc, a[0]);
}
Value signFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  Value x = a[0];
  Value zero = scalarConstant(b, loc, x.getType(), 0.0);
  Value one = scalarConstant(b, loc, x.getType(), 1.0);
  Value minusOne = scalarConstant(b, loc, x.getType(), -1.0);
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
  Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
  Value result = arith::SelectOp::create(b, loc, negative, minusOne, zero);
  return arith::SelectOp::create(b, loc, positive, one, result);
}
Value sinFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return viaF32(b, loc, a[0], [&](Value x) { return (Value)math::SinOp::create(b, loc, x); });
}
Value cosFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return viaF32(b, loc, a[0], [&](Value x) { return (Value)math::CosOp::create(b, loc, x); });
}
Value softplusFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return viaF32(b, loc, a[0], [&](Value x) {
    return (Value)math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, x));
  });
}
Value softsignFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  Value one = scalarConstant(b, loc, a[0].getType(), 1.0);
  Value denominator = arith::AddFOp::create(b, loc, one, math::AbsFOp::create(b, loc, a[0]));
  return arith::DivFOp::create(b, loc, a[0], denominator);
}
/// alpha * (exp(x) - 1) for x < 0, else x; the shared part of Elu and Selu.
Value expLinear(OpBuilder &b, Location loc, Value x, double alpha) {
  return viaF32(b, loc, x, [&](Value v) {
    Value zero = scalarConstant(b, loc, v.getType(), 0.0);
    Value em1 = math::ExpM1Op::create(b, loc, v);
    Value scaled = arith::MulFOp::create(b, loc, em1, scalarConstant(b, loc, v.getType(), alpha));
    Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, v, zero);
    return (Value)arith::SelectOp::create(b, loc, negative, scaled, v);
  });
}
Value eluFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  return expLinear(b, loc, a[0], cast<onnxir::EluOp>(op).getAlpha().convertToDouble());
}
Value seluFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  auto selu = cast<onnxir::SeluOp>(op);
  Value y = expLinear(b, loc, a[0], selu.getAlpha().convertToDouble());
  return arith::MulFOp::create(
      b, loc, y, scalarConstant(b, loc, y.getType(), selu.getGamma().convertToDouble()));
}

/// A transcendental math op, computed in f32 for f16 inputs.
template <typename MathOp> Value mathFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return viaF32(b, loc, a[0], [&](Value x) { return (Value)MathOp::create(b, loc, x); });
}
Value isNaNFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, a[0], a[0]);
}
Value isInfFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  auto isInf = cast<onnxir::IsInfOp>(op);
  Type type = a[0].getType();
  Value result = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
  if (isInf.getDetectPositive())
    result = arith::OrIOp::create(
        b, loc, result,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, a[0],
                              scalarConstant(b, loc, type, INFINITY)));
  if (isInf.getDetectNegative())
    result = arith::OrIOp::create(
        b, loc, result,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, a[0],
                              scalarConstant(b, loc, type, -INFINITY)));
  return result;
}
/// max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
Value celuFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  double alpha = cast<onnxir::CeluOp>(op).getAlpha().convertToDouble();
  return viaF32(b, loc, a[0], [&](Value x) {
    Type type = x.getType();
    Value zero = scalarConstant(b, loc, type, 0.0);
    Value scaled = arith::DivFOp::create(b, loc, x, scalarConstant(b, loc, type, alpha));
    Value em1 = math::ExpM1Op::create(b, loc, scaled);
    Value negative = arith::MulFOp::create(b, loc, em1, scalarConstant(b, loc, type, alpha));
    return (Value)arith::AddFOp::create(b, loc, arith::MaximumFOp::create(b, loc, x, zero),
                                        arith::MinimumFOp::create(b, loc, negative, zero));
  });
}
Value thresholdedReluFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  double alpha = cast<onnxir::ThresholdedReluOp>(op).getAlpha().convertToDouble();
  Type type = a[0].getType();
  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, a[0],
                                      scalarConstant(b, loc, type, alpha));
  return arith::SelectOp::create(b, loc, above, a[0], scalarConstant(b, loc, type, 0.0));
}
Value shrinkFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  auto shrink = cast<onnxir::ShrinkOp>(op);
  double bias = shrink.getBias().convertToDouble();
  double lambd = shrink.getLambd().convertToDouble();
  Value x = a[0];
  Type type = x.getType();
  Value below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                      scalarConstant(b, loc, type, -lambd));
  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                      scalarConstant(b, loc, type, lambd));
  Value plus = arith::AddFOp::create(b, loc, x, scalarConstant(b, loc, type, bias));
  Value minus = arith::SubFOp::create(b, loc, x, scalarConstant(b, loc, type, bias));
  Value result = arith::SelectOp::create(b, loc, above, minus, scalarConstant(b, loc, type, 0.0));
  return arith::SelectOp::create(b, loc, below, plus, result);
}
Value preluFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  Value x = a[0], slope = a[1];
  Value zero = scalarConstant(b, loc, x.getType(), 0.0);
  if (isFloat(x)) {
    Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
    return arith::SelectOp::create(b, loc, negative, arith::MulFOp::create(b, loc, x, slope), x);
  }
  Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
  return arith::SelectOp::create(b, loc, negative, arith::MulIOp::create(b, loc, x, slope), x);
}
/// fmod: the remainder truncated toward zero (sign of the dividend); otherwise floored (sign
/// of the divisor), as Python's %.
Value modFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  Value x = a[0], y = a[1];
  if (isFloat(x))
    return viaF32(b, loc, x, [&](Value wideX) {
      Value wideY = convertFloat(b, loc, y, cast<FloatType>(wideX.getType()));
      return (Value)arith::RemFOp::create(b, loc, wideX, wideY);
    });
  if (isUnsigned(op))
    return arith::RemUIOp::create(b, loc, x, y);
  Value rem = arith::RemSIOp::create(b, loc, x, y);
  if (cast<onnxir::ModOp>(op).getFmod())
    return rem;
  // Where the remainder is non-zero and its sign differs from the divisor's, add the divisor.
  Value zero = scalarConstant(b, loc, x.getType(), 0.0);
  Value nonZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rem, zero);
  Value remNegative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, rem, zero);
  Value divisorNegative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y, zero);
  Value signsDiffer = arith::XOrIOp::create(b, loc, remNegative, divisorNegative);
  Value adjust = arith::AndIOp::create(b, loc, nonZero, signsDiffer);
  return arith::SelectOp::create(b, loc, adjust, arith::AddIOp::create(b, loc, rem, y), rem);
}
/// Shifts by the bit width or more give 0 (LLVM's shifts would be poison there).
Value bitShiftFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  Value x = a[0], amount = a[1];
  Type type = x.getType();
  Value shifted = cast<onnxir::BitShiftOp>(op).getLeft()
                      ? (Value)arith::ShLIOp::create(b, loc, x, amount)
                      : (Value)arith::ShRUIOp::create(b, loc, x, amount);
  Value width = scalarConstant(b, loc, type, type.getIntOrFloatBitWidth());
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, amount, width);
  return arith::SelectOp::create(b, loc, inRange, shifted, scalarConstant(b, loc, type, 0.0));
}

Value reluFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  Value zero = scalarConstant(b, loc, a[0].getType(), 0.0);
  return maxOf(b, loc, a[0], zero, /*isUnsignedInt=*/false);
}
Value leakyReluFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  double alpha = cast<onnxir::LeakyReluOp>(op).getAlpha().convertToDouble();
  Value x = a[0];
  Value zero = scalarConstant(b, loc, x.getType(), 0.0);
  Value scaled = arith::MulFOp::create(b, loc, x, scalarConstant(b, loc, x.getType(), alpha));
  Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
  return arith::SelectOp::create(b, loc, negative, scaled, x);
}
Value sigmoidFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return viaF32(b, loc, a[0], [&](Value x) {
    Value one = scalarConstant(b, loc, x.getType(), 1.0);
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return (Value)arith::DivFOp::create(b, loc, one, arith::AddFOp::create(b, loc, one, e));
  });
}
/// max(0, min(1, alpha * x + beta)).
Value hardSigmoid(OpBuilder &b, Location loc, Value x, double alpha, double beta) {
  Type type = x.getType();
  Value y = arith::MulFOp::create(b, loc, x, scalarConstant(b, loc, type, alpha));
  y = arith::AddFOp::create(b, loc, y, scalarConstant(b, loc, type, beta));
  y = arith::MinimumFOp::create(b, loc, y, scalarConstant(b, loc, type, 1.0));
  return arith::MaximumFOp::create(b, loc, y, scalarConstant(b, loc, type, 0.0));
}
Value hardSigmoidFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  auto hs = cast<onnxir::HardSigmoidOp>(op);
  return hardSigmoid(b, loc, a[0], hs.getAlpha().convertToDouble(), hs.getBeta().convertToDouble());
}
Value hardSwishFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return arith::MulFOp::create(b, loc, a[0], hardSigmoid(b, loc, a[0], 1.0 / 6.0, 0.5));
}
/// Clip: the present bounds follow the input among the scalar operands; max applies last.
Value clipFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  auto clip = cast<onnxir::ClipOp>(op);
  bool isUnsignedInt = isUnsigned(op);
  Value x = a[0];
  size_t next = 1;
  if (clip.getMin())
    x = maxOf(b, loc, x, a[next++], isUnsignedInt);
  if (clip.getMax())
    x = minOf(b, loc, x, a[next++], isUnsignedInt);
  return x;
}

/// A comparison with the float and the signed/unsigned integer predicates.
template <arith::CmpFPredicate F, arith::CmpIPredicate S, arith::CmpIPredicate U>
Value compareFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  if (isFloat(a[0]))
    return arith::CmpFOp::create(b, loc, F, a[0], a[1]);
  return arith::CmpIOp::create(b, loc, isUnsigned(op) ? U : S, a[0], a[1]);
}
Value notFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  Value one = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  return arith::XOrIOp::create(b, loc, a[0], one);
}
Value andFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return arith::AndIOp::create(b, loc, a[0], a[1]);
}
Value orFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return arith::OrIOp::create(b, loc, a[0], a[1]);
}
Value xorFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return arith::XOrIOp::create(b, loc, a[0], a[1]);
}
Value whereFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
}
Value castFn(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  return castScalar(b, loc, a[0], getElementTypeOrSelf(op->getOperand(0).getType()),
                    getElementTypeOrSelf(op->getResult(0).getType()));
}

} // namespace

void cleave::populateElementwiseToLinalgPatterns(const OnnxTypeConverter &converter,
                                                 RewritePatternSet &patterns) {
  using namespace onnxir;
  using P = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  MLIRContext *context = patterns.getContext();
  patterns.add<ElementwiseLowering<AddOp>>(converter, context, addFn);
  patterns.add<ElementwiseLowering<SubOp>>(converter, context, subFn);
  patterns.add<ElementwiseLowering<MulOp>>(converter, context, mulFn);
  patterns.add<ElementwiseLowering<DivOp>>(converter, context, divFn);
  patterns.add<ElementwiseLowering<PowOp>>(converter, context, powFn);
  patterns.add<ElementwiseLowering<MinOp>>(converter, context, minFn);
  patterns.add<ElementwiseLowering<MaxOp>>(converter, context, maxFn);
  patterns.add<ElementwiseLowering<NegOp>>(converter, context, negFn);
  patterns.add<ElementwiseLowering<AbsOp>>(converter, context, absFn);
  patterns.add<ElementwiseLowering<SqrtOp>>(converter, context, sqrtFn);
  patterns.add<ElementwiseLowering<ExpOp>>(converter, context, expFn);
  patterns.add<ElementwiseLowering<LogOp>>(converter, context, logFn);
  patterns.add<ElementwiseLowering<ReciprocalOp>>(converter, context, reciprocalFn);
  patterns.add<ElementwiseLowering<TanhOp>>(converter, context, tanhFn);
  patterns.add<ElementwiseLowering<FloorOp>>(converter, context, floorFn);
  patterns.add<ElementwiseLowering<CeilOp>>(converter, context, ceilFn);
  patterns.add<ElementwiseLowering<RoundOp>>(converter, context, roundFn);
  patterns.add<ElementwiseLowering<SignOp>>(converter, context, signFn);
  patterns.add<ElementwiseLowering<SinOp>>(converter, context, sinFn);
  patterns.add<ElementwiseLowering<CosOp>>(converter, context, cosFn);
  patterns.add<ElementwiseLowering<TanOp>>(converter, context, mathFn<math::TanOp>);
  patterns.add<ElementwiseLowering<AsinOp>>(converter, context, mathFn<math::AsinOp>);
  patterns.add<ElementwiseLowering<AcosOp>>(converter, context, mathFn<math::AcosOp>);
  patterns.add<ElementwiseLowering<AtanOp>>(converter, context, mathFn<math::AtanOp>);
  patterns.add<ElementwiseLowering<SinhOp>>(converter, context, mathFn<math::SinhOp>);
  patterns.add<ElementwiseLowering<CoshOp>>(converter, context, mathFn<math::CoshOp>);
  patterns.add<ElementwiseLowering<AsinhOp>>(converter, context, mathFn<math::AsinhOp>);
  patterns.add<ElementwiseLowering<AcoshOp>>(converter, context, mathFn<math::AcoshOp>);
  patterns.add<ElementwiseLowering<AtanhOp>>(converter, context, mathFn<math::AtanhOp>);
  patterns.add<ElementwiseLowering<IsNaNOp>>(converter, context, isNaNFn);
  patterns.add<ElementwiseLowering<IsInfOp>>(converter, context, isInfFn);
  patterns.add<ElementwiseLowering<CeluOp>>(converter, context, celuFn);
  patterns.add<ElementwiseLowering<ThresholdedReluOp>>(converter, context, thresholdedReluFn);
  patterns.add<ElementwiseLowering<ShrinkOp>>(converter, context, shrinkFn);
  patterns.add<ElementwiseLowering<PReluOp>>(converter, context, preluFn);
  patterns.add<ElementwiseLowering<ModOp>>(converter, context, modFn);
  patterns.add<ElementwiseLowering<BitShiftOp>>(converter, context, bitShiftFn);
  patterns.add<ElementwiseLowering<SoftplusOp>>(converter, context, softplusFn);
  patterns.add<ElementwiseLowering<SoftsignOp>>(converter, context, softsignFn);
  patterns.add<ElementwiseLowering<EluOp>>(converter, context, eluFn);
  patterns.add<ElementwiseLowering<SeluOp>>(converter, context, seluFn);
  patterns.add<ElementwiseLowering<ErfOp>>(converter, context, erfFn);
  patterns.add<ElementwiseLowering<ReluOp>>(converter, context, reluFn);
  patterns.add<ElementwiseLowering<LeakyReluOp>>(converter, context, leakyReluFn);
  patterns.add<ElementwiseLowering<SigmoidOp>>(converter, context, sigmoidFn);
  patterns.add<ElementwiseLowering<HardSigmoidOp>>(converter, context, hardSigmoidFn);
  patterns.add<ElementwiseLowering<HardSwishOp>>(converter, context, hardSwishFn);
  patterns.add<ElementwiseLowering<ClipOp>>(converter, context, clipFn);
  patterns.add<ElementwiseLowering<EqualOp>>(converter, context, compareFn<P::OEQ, I::eq, I::eq>);
  patterns.add<ElementwiseLowering<LessOp>>(converter, context, compareFn<P::OLT, I::slt, I::ult>);
  patterns.add<ElementwiseLowering<LessOrEqualOp>>(converter, context,
                                                   compareFn<P::OLE, I::sle, I::ule>);
  patterns.add<ElementwiseLowering<GreaterOp>>(converter, context,
                                               compareFn<P::OGT, I::sgt, I::ugt>);
  patterns.add<ElementwiseLowering<GreaterOrEqualOp>>(converter, context,
                                                      compareFn<P::OGE, I::sge, I::uge>);
  patterns.add<ElementwiseLowering<NotOp>>(converter, context, notFn);
  patterns.add<ElementwiseLowering<AndOp>>(converter, context, andFn);
  patterns.add<ElementwiseLowering<OrOp>>(converter, context, orFn);
  patterns.add<ElementwiseLowering<XorOp>>(converter, context, xorFn);
  patterns.add<ElementwiseLowering<WhereOp>>(converter, context, whereFn);
  patterns.add<ElementwiseLowering<CastOp>>(converter, context, castFn);
  patterns.add<IdentityLowering>(converter, context);
}
