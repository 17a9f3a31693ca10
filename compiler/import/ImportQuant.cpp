// ONNX import patterns: QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear, composed
// of elementwise ops and reductions.
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave;

namespace {

using Results = SmallVectorImpl<Value>;

/// The smallest and largest value of an 8-bit (or 32-bit) quantized type.
std::pair<double, double> quantRange(Type type) {
  unsigned width = type.getIntOrFloatBitWidth();
  if (type.isUnsignedInteger())
    return {0.0, static_cast<double>((uint64_t{1} << width) - 1)};
  return {-static_cast<double>(int64_t{1} << (width - 1)),
          static_cast<double>((int64_t{1} << (width - 1)) - 1)};
}

bool isQuantType(Type type) { return type.isInteger(8) || type.isUnsignedInteger(8); }

Value castTo(NodeImporter &n, Value input, Type elementType) {
  auto type = cast<RankedTensorType>(input.getType()).clone(elementType);
  return onnxir::CastOp::create(n.builder, n.loc, type, input);
}

/// `param` (the scale or zero point: a scalar, or a 1-D tensor of one value per element of
/// dim `axis`, the attribute) reshaped to broadcast against an input of `inType`; `what`
/// names it in errors.
FailureOr<Value> broadcastParam(NodeImporter &n, Value param, RankedTensorType inType,
                                StringRef what) {
  auto type = cast<RankedTensorType>(param.getType());
  if (type.getNumElements() == 1 && type.getRank() <= 1) {
    auto scalar = RankedTensorType::get({}, type.getElementType());
    return type.getRank() == 0
               ? param
               : Value(onnxir::ReshapeOp::create(n.builder, n.loc, scalar, param));
  }
  int64_t attr = n.getInt("axis", 1);
  auto normalized = onnxir::normalizeAxis(attr, inType.getRank());
  if (!normalized)
    return n.emitError() << "axis " << attr << " is out of range for rank " << inType.getRank();
  int64_t axis = *normalized;
  if (type.getRank() != 1 || type.getDimSize(0) != inType.getDimSize(axis))
    return n.emitError() << "the " << what << " must be a scalar or hold one value per element "
                         << "of dim " << axis << " (" << inType.getDimSize(axis) << "), got "
                         << type;
  SmallVector<int64_t> shape(inType.getRank(), 1);
  shape[axis] = type.getDimSize(0);
  return Value(onnxir::ReshapeOp::create(
      n.builder, n.loc, RankedTensorType::get(shape, type.getElementType()), param));
}

/// saturate(round(x / scale) + zeroPoint) as `resultType`'s element type; `x`, `scale` and
/// `zeroPoint` are float and broadcast.
Value quantize(NodeImporter &n, Value x, Value scale, Value zeroPoint, Type quantType) {
  auto type = cast<RankedTensorType>(x.getType());
  Type floatType = type.getElementType();
  Value scaled = onnxir::DivOp::create(n.builder, n.loc, type, x, scale);
  Value rounded = onnxir::RoundOp::create(n.builder, n.loc, scaled);
  Value shifted = zeroPoint ? Value(onnxir::AddOp::create(n.builder, n.loc, type, rounded,
                                                           zeroPoint))
                            : rounded;
  auto [lo, hi] = quantRange(quantType);
  Value clipped = onnxir::ClipOp::create(n.builder, n.loc, type, shifted,
                                         n.constantScalar(floatType, lo),
                                         n.constantScalar(floatType, hi));
  return castTo(n, clipped, quantType);
}

/// QuantizeLinear 10 (per tensor) and 13 (per axis): y = saturate(round(x / y_scale) +
/// y_zero_point), halves rounded to even; y has the zero point's type (uint8 without one).
LogicalResult importQuantizeLinear(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0), scaleType = n.operandType(1);
  if (!in || !scaleType)
    return n.emitError() << "expects x and y_scale inputs";
  if (!isa<FloatType>(in.getElementType()) || scaleType.getElementType() != in.getElementType())
    return n.emitError() << "expects a float x and a y_scale of the same type, got " << in
                         << " and " << scaleType;
  Type quantType = n.builder.getIntegerType(8, /*isSigned=*/false);
  if (RankedTensorType zp = n.operandType(2)) {
    quantType = zp.getElementType();
    if (!isQuantType(quantType))
      return n.emitError() << "expects an int8 or uint8 y_zero_point, got " << zp;
  }
  auto scale = broadcastParam(n, n.operand(1), in, "y_scale");
  if (failed(scale))
    return failure();
  Value zeroPoint;
  if (n.operand(2)) {
    auto zp = broadcastParam(n, n.operand(2), in, "y_zero_point");
    if (failed(zp))
      return failure();
    zeroPoint = castTo(n, *zp, in.getElementType());
  }
  results.push_back(quantize(n, n.operand(0), *scale, zeroPoint, quantType));
  return success();
}

/// DequantizeLinear 10 and 13: y = (x - x_zero_point) * x_scale, in x_scale's float type.
LogicalResult importDequantizeLinear(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0), scaleType = n.operandType(1);
  if (!in || !scaleType)
    return n.emitError() << "expects x and x_scale inputs";
  Type floatType = scaleType.getElementType();
  if (!isa<FloatType>(floatType))
    return n.emitError() << "expects a float x_scale, got " << scaleType;
  if (!isQuantType(in.getElementType()) && !in.getElementType().isInteger(32))
    return n.emitError() << "expects an int8, uint8 or int32 x, got " << in;
  RankedTensorType zpType = n.operandType(2);
  if (zpType && zpType.getElementType() != in.getElementType())
    return n.emitError() << "expects an x_zero_point of x's type, got " << zpType;
  auto scale = broadcastParam(n, n.operand(1), in, "x_scale");
  if (failed(scale))
    return failure();
  auto type = in.clone(floatType);
  Value x = castTo(n, n.operand(0), floatType);
  if (zpType) {
    auto zp = broadcastParam(n, n.operand(2), in, "x_zero_point");
    if (failed(zp))
      return failure();
    x = onnxir::SubOp::create(n.builder, n.loc, type, x, castTo(n, *zp, floatType));
  }
  results.push_back(onnxir::MulOp::create(n.builder, n.loc, type, x, *scale));
  return success();
}

/// DynamicQuantizeLinear 11: uint8 quantization with the scale and zero point that map
/// [min(0, min x), max(0, max x)] onto [0, 255]; outputs y, y_scale and y_zero_point.
LogicalResult importDynamicQuantizeLinear(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in || !in.getElementType().isF32())
    return n.emitError() << "expects a float32 input";
  Type f32 = in.getElementType();
  auto scalarType = RankedTensorType::get({}, f32);
  SmallVector<int64_t> all = llvm::to_vector(llvm::seq<int64_t>(0, in.getRank()));
  auto axes = n.builder.getDenseI64ArrayAttr(all);
  auto noKeep = n.builder.getBoolAttr(false);
  Value zero = n.constantScalar(f32, 0.0);
  Value lo = onnxir::ClipOp::create(
      n.builder, n.loc, scalarType,
      onnxir::ReduceMinOp::create(n.builder, n.loc, scalarType, n.operand(0), axes, noKeep),
      Value(), zero);
  Value hi = onnxir::ClipOp::create(
      n.builder, n.loc, scalarType,
      onnxir::ReduceMaxOp::create(n.builder, n.loc, scalarType, n.operand(0), axes, noKeep),
      zero, Value());
  Value range = onnxir::SubOp::create(n.builder, n.loc, scalarType, hi, lo);
  Value scale = onnxir::DivOp::create(n.builder, n.loc, scalarType, range,
                                      n.constantScalar(f32, 255.0));
  Value negLo = onnxir::NegOp::create(n.builder, n.loc, lo);
  Type u8 = n.builder.getIntegerType(8, /*isSigned=*/false);
  Value zeroPoint = quantize(n, negLo, scale, Value(), u8);
  results.push_back(quantize(n, n.operand(0), scale, castTo(n, zeroPoint, f32), u8));
  results.push_back(scale);
  results.push_back(zeroPoint);
  return success();
}

/// MatMulInteger 10: (A - a_zero_point) x (B - b_zero_point) in int32.
LogicalResult importMatMulInteger(NodeImporter &n, Results &results) {
  RankedTensorType a = n.operandType(0), b = n.operandType(1);
  if (!a || !b || a.getRank() < 1 || b.getRank() < 1)
    return n.emitError() << "expects A and B inputs";
  Type i32 = n.builder.getI32Type();
  auto lhs = widenMinusZeroPoint(n, 0, 2, "A", i32);
  auto rhs = widenMinusZeroPoint(n, 1, 3, "B", i32);
  if (failed(lhs) || failed(rhs))
    return failure();
  auto shape =
      onnxir::MatMulOp::inferShape(a.getShape(), b.getShape(), [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  results.push_back(onnxir::MatMulOp::create(
      n.builder, n.loc, RankedTensorType::get(*shape, n.builder.getI32Type()), *lhs, *rhs));
  return success();
}

} // namespace

FailureOr<Value> cleave::widenMinusZeroPoint(NodeImporter &n, size_t operand, size_t zeroPoint,
                                             StringRef what, Type wideType) {
  RankedTensorType type = n.operandType(operand);
  if (!type || !isQuantType(type.getElementType()))
    return n.emitError() << "expects an int8 or uint8 " << what << ", got " << type;
  Value v = castTo(n, n.operand(operand), wideType);
  RankedTensorType zpType = n.operandType(zeroPoint);
  if (!zpType)
    return v;
  if (zpType.getElementType() != type.getElementType())
    return n.emitError() << "expects the " << what << " zero point of " << what
                         << "'s type, got " << zpType;
  if (zpType.getNumElements() != 1 || zpType.getRank() > 1)
    return n.emitError() << "the " << what << " zero point must be a scalar (per-row and "
                         << "per-column zero points are not supported), got " << zpType;
  Value zp = onnxir::ReshapeOp::create(
      n.builder, n.loc, RankedTensorType::get({}, zpType.getElementType()), n.operand(zeroPoint));
  return Value(
      onnxir::SubOp::create(n.builder, n.loc, type.clone(wideType), v, castTo(n, zp, wideType)));
}

void cleave::populateQuantImporters(OpImporterRegistry &registry) {
  registry.add("QuantizeLinear", 10, importQuantizeLinear);
  registry.add("DequantizeLinear", 10, importDequantizeLinear);
  registry.add("DynamicQuantizeLinear", 11, importDynamicQuantizeLinear);
  registry.add("MatMulInteger", 10, importMatMulInteger);
}
