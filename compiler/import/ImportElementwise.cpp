// ONNX import patterns: elementwise ops (arithmetic, activations, comparisons, casts).
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/IR/TypeUtilities.h"

#include <cfloat>

using namespace mlir;
using namespace cleave;

namespace {

/// The result type of a broadcasting op over `operands`, with `elementType`.
FailureOr<RankedTensorType> broadcastType(NodeImporter &n, ArrayRef<Value> operands,
                                          Type elementType) {
  auto shape =
      onnxir::inferBroadcastShape(ValueRange(operands).getTypes(), [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  return RankedTensorType::get(*shape, elementType);
}

bool isFloatType(Type t) { return isa<FloatType>(t); }
bool isBoolType(Type t) { return t.isInteger(1); }
bool isNumericType(Type t) { return !isBoolType(t); }
bool isSignedOrFloatType(Type t) { return !isBoolType(t) && !t.isUnsignedInteger(); }

/// Before opset 7, binary ops broadcast only with `broadcast=1`, aligning the second
/// operand at `axis` of the first (its trailing dims by default). Returns the second
/// operand reshaped so that numpy broadcasting gives the same result.
FailureOr<Value> legacyBroadcastRhs(NodeImporter &n, Value lhs, Value rhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  if (n.getInt("broadcast", 0) == 0) {
    if (lhsType.getShape() != rhsType.getShape()) {
      n.emitError() << "operand shapes differ (" << lhsType << ", " << rhsType
                    << ") and attribute 'broadcast' is 0";
      return failure();
    }
    return rhs;
  }
  if (!n.hasAttr("axis"))
    return rhs;
  int64_t axis = n.getInt("axis", 0);
  if (axis < 0)
    axis += lhsType.getRank();
  bool aligned = axis >= 0 && axis + rhsType.getRank() <= lhsType.getRank();
  for (int64_t i = 0; aligned && i < rhsType.getRank(); ++i)
    aligned = rhsType.getDimSize(i) == 1 || rhsType.getDimSize(i) == lhsType.getDimSize(axis + i);
  if (!aligned) {
    n.emitError() << "attribute 'axis' = " << n.getInt("axis", 0) << " does not align a " << rhsType
                  << " operand with " << lhsType;
    return failure();
  }
  SmallVector<int64_t> shape(rhsType.getShape());
  shape.append(lhsType.getRank() - axis - rhsType.getRank(), 1);
  auto type = RankedTensorType::get(shape, rhsType.getElementType());
  if (type == rhsType)
    return rhs;
  return Value(onnxir::ReshapeOp::create(n.builder, n.loc, type, rhs));
}

/// A binary op over two operands of one element type; `IsCompare` ops give i1. `legacy`
/// handles the `broadcast`/`axis` attributes of opsets before 7.
template <typename OpTy, bool IsCompare = false>
ImportFn binary(bool (*allowed)(Type), bool legacy = false) {
  return [=](NodeImporter &n, SmallVectorImpl<Value> &results) -> LogicalResult {
    Value lhs = n.operand(0), rhs = n.operand(1);
    if (!lhs || !rhs)
      return n.emitError() << "expects two inputs";
    Type elementType = n.operandType(0).getElementType();
    if (elementType != n.operandType(1).getElementType())
      return n.emitError() << "operand element types differ: " << n.operandType(0) << ", "
                           << n.operandType(1);
    if (!allowed(elementType))
      return n.emitError() << "unsupported element type " << elementType;
    if (legacy) {
      auto adjusted = legacyBroadcastRhs(n, lhs, rhs);
      if (failed(adjusted))
        return failure();
      rhs = *adjusted;
    }
    Type resultElement = IsCompare ? n.builder.getI1Type() : elementType;
    auto type = broadcastType(n, {lhs, rhs}, resultElement);
    if (failed(type))
      return failure();
    results.push_back(OpTy::create(n.builder, n.loc, *type, lhs, rhs));
    return success();
  };
}

/// Pow: the exponent may have another element type; the result has the base's.
ImportFn pow(bool legacy) {
  return [=](NodeImporter &n, SmallVectorImpl<Value> &results) -> LogicalResult {
    Value base = n.operand(0), exponent = n.operand(1);
    if (!base || !exponent)
      return n.emitError() << "expects two inputs";
    if (legacy) {
      auto adjusted = legacyBroadcastRhs(n, base, exponent);
      if (failed(adjusted))
        return failure();
      exponent = *adjusted;
    }
    auto type = broadcastType(n, {base, exponent}, n.operandType(0).getElementType());
    if (failed(type))
      return failure();
    results.push_back(onnxir::PowOp::create(n.builder, n.loc, *type, base, exponent));
    return success();
  };
}

/// Min and Max: one or more operands of one element type, broadcast together.
template <typename OpTy> ImportFn variadic() {
  return [](NodeImporter &n, SmallVectorImpl<Value> &results) -> LogicalResult {
    SmallVector<Value> inputs;
    for (size_t i = 0; i < n.numOperands(); ++i)
      if (n.operand(i))
        inputs.push_back(n.operand(i));
    if (inputs.empty())
      return n.emitError() << "expects at least one input";
    Type elementType = getElementTypeOrSelf(inputs[0].getType());
    for (Value v : inputs)
      if (getElementTypeOrSelf(v.getType()) != elementType)
        return n.emitError() << "operand element types differ: " << inputs[0].getType() << ", "
                             << v.getType();
    auto type = broadcastType(n, inputs, elementType);
    if (failed(type))
      return failure();
    results.push_back(OpTy::create(n.builder, n.loc, *type, inputs));
    return success();
  };
}

/// A unary op whose result has the input's type.
template <typename OpTy> ImportFn unary(bool (*allowed)(Type)) {
  return [=](NodeImporter &n, SmallVectorImpl<Value> &results) -> LogicalResult {
    if (!n.operand(0))
      return n.emitError() << "expects one input";
    if (!allowed(n.operandType(0).getElementType()))
      return n.emitError() << "unsupported element type " << n.operandType(0).getElementType();
    results.push_back(OpTy::create(n.builder, n.loc, n.operand(0)));
    return success();
  };
}

/// Checks that the node has a float input; returns its type.
FailureOr<RankedTensorType> floatInput(NodeImporter &n) {
  RankedTensorType type = n.operandType(0);
  if (!type) {
    n.emitError() << "expects one input";
    return failure();
  }
  if (!isFloatType(type.getElementType())) {
    n.emitError() << "unsupported element type " << type.getElementType();
    return failure();
  }
  return type;
}

LogicalResult importLeakyRelu(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = floatInput(n);
  if (failed(type))
    return failure();
  results.push_back(
      onnxir::LeakyReluOp::create(n.builder, n.loc, *type, n.operand(0),
                                  n.builder.getF32FloatAttr(n.getFloat("alpha", 0.01f))));
  return success();
}

LogicalResult importElu(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = floatInput(n);
  if (failed(type))
    return failure();
  results.push_back(onnxir::EluOp::create(n.builder, n.loc, *type, n.operand(0),
                                          n.builder.getF32FloatAttr(n.getFloat("alpha", 1.0f))));
  return success();
}

LogicalResult importSelu(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = floatInput(n);
  if (failed(type))
    return failure();
  results.push_back(onnxir::SeluOp::create(
      n.builder, n.loc, *type, n.operand(0),
      n.builder.getF32FloatAttr(n.getFloat("alpha", 1.67326319217681884765625f)),
      n.builder.getF32FloatAttr(n.getFloat("gamma", 1.05070102214813232421875f))));
  return success();
}

LogicalResult importHardSigmoid(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = floatInput(n);
  if (failed(type))
    return failure();
  results.push_back(onnxir::HardSigmoidOp::create(
      n.builder, n.loc, *type, n.operand(0), n.builder.getF32FloatAttr(n.getFloat("alpha", 0.2f)),
      n.builder.getF32FloatAttr(n.getFloat("beta", 0.5f))));
  return success();
}

LogicalResult importCelu(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = floatInput(n);
  if (failed(type))
    return failure();
  results.push_back(onnxir::CeluOp::create(n.builder, n.loc, *type, n.operand(0),
                                           n.builder.getF32FloatAttr(n.getFloat("alpha", 1.0f))));
  return success();
}

LogicalResult importThresholdedRelu(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = floatInput(n);
  if (failed(type))
    return failure();
  results.push_back(onnxir::ThresholdedReluOp::create(
      n.builder, n.loc, *type, n.operand(0), n.builder.getF32FloatAttr(n.getFloat("alpha", 1.0f))));
  return success();
}

LogicalResult importShrink(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = floatInput(n);
  if (failed(type))
    return failure();
  results.push_back(onnxir::ShrinkOp::create(
      n.builder, n.loc, *type, n.operand(0), n.builder.getF32FloatAttr(n.getFloat("bias", 0.0f)),
      n.builder.getF32FloatAttr(n.getFloat("lambd", 0.5f))));
  return success();
}

LogicalResult importIsNaN(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = floatInput(n);
  if (failed(type))
    return failure();
  results.push_back(onnxir::IsNaNOp::create(n.builder, n.loc, type->clone(n.builder.getI1Type()),
                                            n.operand(0)));
  return success();
}

LogicalResult importIsInf(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = floatInput(n);
  if (failed(type))
    return failure();
  results.push_back(onnxir::IsInfOp::create(
      n.builder, n.loc, type->clone(n.builder.getI1Type()), n.operand(0),
      n.builder.getBoolAttr(n.getInt("detect_negative", 1) != 0),
      n.builder.getBoolAttr(n.getInt("detect_positive", 1) != 0)));
  return success();
}

/// Checks that a binary node has two inputs of one element type that `allowed` accepts, and
/// gives their broadcast result type.
FailureOr<RankedTensorType> binaryType(NodeImporter &n, bool (*allowed)(Type)) {
  if (!n.operand(0) || !n.operand(1)) {
    n.emitError() << "expects two inputs";
    return failure();
  }
  Type elementType = n.operandType(0).getElementType();
  if (elementType != n.operandType(1).getElementType()) {
    n.emitError() << "operand element types differ: " << n.operandType(0) << ", "
                  << n.operandType(1);
    return failure();
  }
  if (!allowed(elementType)) {
    n.emitError() << "unsupported element type " << elementType;
    return failure();
  }
  return broadcastType(n, {n.operand(0), n.operand(1)}, elementType);
}

LogicalResult importMod(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = binaryType(n, isNumericType);
  if (failed(type))
    return failure();
  bool fmod = n.getInt("fmod", 0) != 0;
  if (!fmod && isFloatType(type->getElementType()))
    return n.emitError() << "attribute 'fmod' must be 1 for floating-point inputs";
  results.push_back(onnxir::ModOp::create(n.builder, n.loc, *type, n.operand(0), n.operand(1),
                                          n.builder.getBoolAttr(fmod)));
  return success();
}

LogicalResult importBitShift(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = binaryType(n, [](Type t) { return t.isUnsignedInteger(); });
  if (failed(type))
    return failure();
  std::string direction = n.getString("direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    return n.emitError() << "attribute 'direction' must be LEFT or RIGHT, got '" << direction
                         << "'";
  results.push_back(onnxir::BitShiftOp::create(n.builder, n.loc, *type, n.operand(0),
                                               n.operand(1),
                                               n.builder.getBoolAttr(direction == "LEFT")));
  return success();
}

/// PRelu: the slope broadcasts to the input (unidirectionally).
LogicalResult importPRelu(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = binaryType(n, isSignedOrFloatType);
  if (failed(type))
    return failure();
  if (type->getShape() != n.operandType(0).getShape())
    return n.emitError() << "slope " << n.operandType(1) << " does not broadcast to the input "
                         << n.operandType(0);
  results.push_back(
      onnxir::PReluOp::create(n.builder, n.loc, *type, n.operand(0), n.operand(1)));
  return success();
}

/// Sum and Mean: the broadcast sum of one or more inputs of one element type, divided by
/// their count for Mean.
template <bool IsMean>
LogicalResult importSumOrMean(NodeImporter &n, SmallVectorImpl<Value> &results) {
  SmallVector<Value> inputs;
  for (size_t i = 0; i < n.numOperands(); ++i)
    if (n.operand(i))
      inputs.push_back(n.operand(i));
  if (inputs.empty())
    return n.emitError() << "expects at least one input";
  Type elementType = getElementTypeOrSelf(inputs[0].getType());
  if (!isNumericType(elementType) || (IsMean && !isFloatType(elementType)))
    return n.emitError() << "unsupported element type " << elementType;
  Value sum = inputs[0];
  for (Value v : ArrayRef<Value>(inputs).drop_front()) {
    if (getElementTypeOrSelf(v.getType()) != elementType)
      return n.emitError() << "operand element types differ: " << inputs[0].getType() << ", "
                           << v.getType();
    auto type = broadcastType(n, {sum, v}, elementType);
    if (failed(type))
      return failure();
    sum = onnxir::AddOp::create(n.builder, n.loc, *type, sum, v);
  }
  if (IsMean && inputs.size() > 1) {
    Value count = n.constantScalar(elementType, static_cast<double>(inputs.size()));
    sum = onnxir::DivOp::create(n.builder, n.loc, sum.getType(), sum, count);
  }
  if (sum == inputs[0])
    sum = onnxir::IdentityOp::create(n.builder, n.loc, sum);
  results.push_back(sum);
  return success();
}

/// A Clip bound given as an input (opset 11+): a one-element tensor of the input's type,
/// reshaped to rank 0.
FailureOr<Value> clipBound(NodeImporter &n, size_t index, StringRef name) {
  Value bound = n.operand(index);
  if (!bound)
    return Value();
  RankedTensorType type = n.operandType(index);
  if (type.getNumElements() != 1 || type.getElementType() != n.operandType(0).getElementType()) {
    n.emitError() << "expects input '" << name << "' to be a scalar of "
                  << n.operandType(0).getElementType() << ", got " << type;
    return failure();
  }
  if (type.getRank() == 0)
    return bound;
  auto scalarType = RankedTensorType::get({}, type.getElementType());
  return Value(onnxir::ReshapeOp::create(n.builder, n.loc, scalarType, bound));
}

LogicalResult importClip(NodeImporter &n, SmallVectorImpl<Value> &results) {
  if (!n.operand(0))
    return n.emitError() << "expects an input";
  auto min = clipBound(n, 1, "min");
  auto max = clipBound(n, 2, "max");
  if (failed(min) || failed(max))
    return failure();
  results.push_back(
      onnxir::ClipOp::create(n.builder, n.loc, n.operandType(0), n.operand(0), *min, *max));
  return success();
}

/// Clip before opset 11: `min` and `max` attributes, each absent meaning unbounded.
LogicalResult importClipAttrs(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto type = floatInput(n);
  if (failed(type))
    return failure();
  Type elementType = type->getElementType();
  Value min, max;
  if (n.hasAttr("min"))
    min = n.constantScalar(elementType, n.getFloat("min", -FLT_MAX));
  if (n.hasAttr("max"))
    max = n.constantScalar(elementType, n.getFloat("max", FLT_MAX));
  results.push_back(onnxir::ClipOp::create(n.builder, n.loc, *type, n.operand(0), min, max));
  return success();
}

LogicalResult importWhere(NodeImporter &n, SmallVectorImpl<Value> &results) {
  Value cond = n.operand(0), lhs = n.operand(1), rhs = n.operand(2);
  if (!cond || !lhs || !rhs)
    return n.emitError() << "expects three inputs";
  if (!isBoolType(n.operandType(0).getElementType()))
    return n.emitError() << "expects a bool condition, got " << n.operandType(0);
  Type elementType = n.operandType(1).getElementType();
  if (elementType != n.operandType(2).getElementType())
    return n.emitError() << "operand element types differ: " << n.operandType(1) << ", "
                         << n.operandType(2);
  auto type = broadcastType(n, {cond, lhs, rhs}, elementType);
  if (failed(type))
    return failure();
  results.push_back(onnxir::WhereOp::create(n.builder, n.loc, *type, cond, lhs, rhs));
  return success();
}

/// The element type a Cast-1 `to` string names; null if unsupported.
Type elementTypeFromName(MLIRContext *context, StringRef name) {
  static const std::pair<StringRef, int> names[] = {
      {"FLOAT", 1},   {"UINT8", 2},   {"INT8", 3},     {"UINT16", 4},   {"INT16", 5},
      {"INT32", 6},   {"INT64", 7},   {"BOOL", 9},     {"FLOAT16", 10}, {"DOUBLE", 11},
      {"UINT32", 12}, {"UINT64", 13}, {"BFLOAT16", 16}};
  for (auto [n, code] : names)
    if (name.equals_insensitive(n))
      return convertElementType(context, code);
  return {};
}

Value castTo(NodeImporter &n, Value input, Type elementType) {
  auto type = cast<RankedTensorType>(input.getType()).clone(elementType);
  return onnxir::CastOp::create(n.builder, n.loc, type, input);
}

LogicalResult importCast(NodeImporter &n, SmallVectorImpl<Value> &results) {
  if (!n.operand(0))
    return n.emitError() << "expects one input";
  Type to;
  if (n.opset < 6) {
    std::string name = n.getString("to", "");
    to = elementTypeFromName(n.builder.getContext(), name);
    if (!to)
      return n.emitError() << "unsupported value '" << name << "' of attribute 'to'";
  } else {
    if (!n.hasAttr("to"))
      return n.emitError() << "expects attribute 'to'";
    int64_t code = n.getInt("to", 0);
    to = convertElementType(n.builder.getContext(), static_cast<int>(code));
    if (!to)
      return n.emitError() << "unsupported value " << code
                           << " of attribute 'to' (a data type Cleave does not support)";
  }
  results.push_back(castTo(n, n.operand(0), to));
  return success();
}

LogicalResult importCastLike(NodeImporter &n, SmallVectorImpl<Value> &results) {
  if (!n.operand(0) || !n.operand(1))
    return n.emitError() << "expects two inputs";
  results.push_back(castTo(n, n.operand(0), n.operandType(1).getElementType()));
  return success();
}

LogicalResult importIdentity(NodeImporter &n, SmallVectorImpl<Value> &results) {
  if (!n.operand(0))
    return n.emitError() << "expects one input";
  results.push_back(onnxir::IdentityOp::create(n.builder, n.loc, n.operand(0)));
  return success();
}

/// Dropout at inference (or with ratio 0): the output is the input and the optional mask is
/// all true (of the input's type before opset 10, bool after).
LogicalResult importDropout(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType type = n.operandType(0);
  if (!type)
    return n.emitError() << "expects an input";
  if (n.opset < 7 && n.hasAttr("is_test") && n.getInt("is_test", 0) == 0)
    return n.emitError() << "attribute 'is_test' = 0 (training mode) is not supported";
  // With a ratio of 0, training-mode dropout drops nothing: it is the identity too.
  bool zeroRatio = false;
  if (n.opset >= 12) {
    if (Value ratio = n.operand(1)) {
      auto values = n.getConstantFloats(ratio);
      zeroRatio = values && llvm::all_of(*values, [](double v) { return v == 0.0; });
    }
  } else {
    zeroRatio = n.getFloat("ratio", 0.5f) == 0.0f;
  }
  if (Value training = n.operand(2); training && !zeroRatio) {
    auto value = n.getConstantInts(training);
    if (!value)
      return n.emitError() << "input 'training_mode' must be a compile-time constant";
    if (llvm::any_of(*value, [](int64_t v) { return v != 0; }))
      return n.emitError() << "input 'training_mode' = true is not supported (inference only)";
  }
  results.push_back(onnxir::IdentityOp::create(n.builder, n.loc, n.operand(0)));
  if (n.numResults() > 1) {
    Type maskElement = n.opset < 10 ? type.getElementType() : n.builder.getI1Type();
    auto maskType = type.clone(maskElement);
    Attribute one = isa<FloatType>(maskElement)
                        ? Attribute(n.builder.getFloatAttr(maskElement, 1.0))
                        : Attribute(n.builder.getIntegerAttr(maskElement, 1));
    results.push_back(
        onnxir::ConstantOp::create(n.builder, n.loc, DenseElementsAttr::get(maskType, one)));
  }
  return success();
}

} // namespace

void cleave::populateElementwiseImporters(OpImporterRegistry &registry) {
  // Before opset 7 the arithmetic and comparison ops broadcast only with `broadcast=1`
  // (and `axis`); from 7 on they broadcast numpy-style.
  registry.add("Add", 1, binary<onnxir::AddOp>(isNumericType, /*legacy=*/true));
  registry.add("Add", 7, binary<onnxir::AddOp>(isNumericType));
  registry.add("Sub", 1, binary<onnxir::SubOp>(isNumericType, /*legacy=*/true));
  registry.add("Sub", 7, binary<onnxir::SubOp>(isNumericType));
  registry.add("Mul", 1, binary<onnxir::MulOp>(isNumericType, /*legacy=*/true));
  registry.add("Mul", 7, binary<onnxir::MulOp>(isNumericType));
  registry.add("Div", 1, binary<onnxir::DivOp>(isNumericType, /*legacy=*/true));
  registry.add("Div", 7, binary<onnxir::DivOp>(isNumericType));
  registry.add("Pow", 1, pow(/*legacy=*/true));
  registry.add("Pow", 7, pow(/*legacy=*/false));
  registry.add("Min", 1, variadic<onnxir::MinOp>());
  registry.add("Max", 1, variadic<onnxir::MaxOp>());

  registry.add("Equal", 1, binary<onnxir::EqualOp, true>(isNumericType, /*legacy=*/true));
  // Opset 11 added bool (and float) operands to Equal.
  registry.add("Equal", 7, binary<onnxir::EqualOp, true>([](Type) { return true; }));
  registry.add("Less", 1, binary<onnxir::LessOp, true>(isNumericType, /*legacy=*/true));
  registry.add("Less", 7, binary<onnxir::LessOp, true>(isNumericType));
  registry.add("Greater", 1, binary<onnxir::GreaterOp, true>(isNumericType, /*legacy=*/true));
  registry.add("Greater", 7, binary<onnxir::GreaterOp, true>(isNumericType));
  registry.add("LessOrEqual", 12, binary<onnxir::LessOrEqualOp, true>(isNumericType));
  registry.add("GreaterOrEqual", 12, binary<onnxir::GreaterOrEqualOp, true>(isNumericType));
  registry.add("Not", 1, unary<onnxir::NotOp>(isBoolType));
  registry.add("And", 1, binary<onnxir::AndOp>(isBoolType, /*legacy=*/true));
  registry.add("And", 7, binary<onnxir::AndOp>(isBoolType));
  registry.add("Or", 1, binary<onnxir::OrOp>(isBoolType, /*legacy=*/true));
  registry.add("Or", 7, binary<onnxir::OrOp>(isBoolType));
  registry.add("Xor", 1, binary<onnxir::XorOp>(isBoolType, /*legacy=*/true));
  registry.add("Xor", 7, binary<onnxir::XorOp>(isBoolType));
  registry.add("Where", 9, importWhere);

  // Opsets before 6 carry a `consumed_inputs` attribute, an in-place hint to ignore.
  registry.add("Neg", 1, unary<onnxir::NegOp>(isSignedOrFloatType));
  registry.add("Abs", 1, unary<onnxir::AbsOp>(isNumericType));
  registry.add("Sqrt", 1, unary<onnxir::SqrtOp>(isFloatType));
  registry.add("Exp", 1, unary<onnxir::ExpOp>(isFloatType));
  registry.add("Log", 1, unary<onnxir::LogOp>(isFloatType));
  registry.add("Reciprocal", 1, unary<onnxir::ReciprocalOp>(isFloatType));
  registry.add("Tanh", 1, unary<onnxir::TanhOp>(isFloatType));
  registry.add("Floor", 1, unary<onnxir::FloorOp>(isFloatType));
  registry.add("Ceil", 1, unary<onnxir::CeilOp>(isFloatType));
  registry.add("Round", 11, unary<onnxir::RoundOp>(isFloatType));
  registry.add("Sign", 9, unary<onnxir::SignOp>(isFloatType));
  registry.add("Sin", 7, unary<onnxir::SinOp>(isFloatType));
  registry.add("Cos", 7, unary<onnxir::CosOp>(isFloatType));
  registry.add("Tan", 7, unary<onnxir::TanOp>(isFloatType));
  registry.add("Asin", 7, unary<onnxir::AsinOp>(isFloatType));
  registry.add("Acos", 7, unary<onnxir::AcosOp>(isFloatType));
  registry.add("Atan", 7, unary<onnxir::AtanOp>(isFloatType));
  registry.add("Sinh", 9, unary<onnxir::SinhOp>(isFloatType));
  registry.add("Cosh", 9, unary<onnxir::CoshOp>(isFloatType));
  registry.add("Asinh", 9, unary<onnxir::AsinhOp>(isFloatType));
  registry.add("Acosh", 9, unary<onnxir::AcoshOp>(isFloatType));
  registry.add("Atanh", 9, unary<onnxir::AtanhOp>(isFloatType));
  registry.add("IsNaN", 9, importIsNaN);
  registry.add("IsInf", 10, importIsInf);
  registry.add("Celu", 12, importCelu);
  registry.add("ThresholdedRelu", 10, importThresholdedRelu);
  registry.add("Shrink", 9, importShrink);
  registry.add("PRelu", 7, importPRelu);
  registry.add("Mod", 10, importMod);
  registry.add("BitShift", 11, importBitShift);
  // Before opset 8 Sum and Mean did not broadcast; broadcasting equal shapes is the same.
  registry.add("Sum", 1, importSumOrMean</*IsMean=*/false>);
  registry.add("Mean", 1, importSumOrMean</*IsMean=*/true>);
  registry.add("Softplus", 1, unary<onnxir::SoftplusOp>(isFloatType));
  registry.add("Softsign", 1, unary<onnxir::SoftsignOp>(isFloatType));
  registry.add("Elu", 1, importElu);
  registry.add("Selu", 1, importSelu);
  registry.add("Erf", 9, unary<onnxir::ErfOp>(isFloatType));
  registry.add("Relu", 1, unary<onnxir::ReluOp>(isSignedOrFloatType));
  registry.add("Sigmoid", 1, unary<onnxir::SigmoidOp>(isFloatType));
  registry.add("HardSwish", 14, unary<onnxir::HardSwishOp>(isFloatType));
  registry.add("LeakyRelu", 1, importLeakyRelu);
  registry.add("HardSigmoid", 1, importHardSigmoid);
  registry.add("Clip", 1, importClipAttrs);
  registry.add("Clip", 11, importClip);

  registry.add("Cast", 1, importCast);
  registry.add("CastLike", 15, importCastLike);
  registry.add("Identity", 1, importIdentity);
  registry.add("Dropout", 1, importDropout);
}
