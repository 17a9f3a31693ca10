// The onnx-level dialect: verifiers, folders and costs of the elementwise ops.
#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace cleave::onnxir;

//===----------------------------------------------------------------------===//
// Constant folding on small tensors
//===----------------------------------------------------------------------===//

namespace {

/// One element of a constant, widened: floats as double, integers (bool included) as
/// int64 extended according to their own signedness. Only the field matching the element
/// type is meaningful.
struct Scalar {
  double f = 0;
  int64_t i = 0;
};

bool isUnsignedOrBool(Type elementType) {
  return elementType.isUnsignedInteger() || elementType.isInteger(1);
}

/// The elements of a dense constant, or std::nullopt if `attr` is not one.
std::optional<SmallVector<Scalar>> readScalars(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  Type elementType = dense.getElementType();
  SmallVector<Scalar> values;
  values.reserve(dense.getNumElements());
  if (isa<FloatType>(elementType)) {
    for (const APFloat &v : dense.getValues<APFloat>())
      values.push_back({v.convertToDouble(), 0});
  } else if (elementType.isUnsignedInteger(64)) {
    // Values past INT64_MAX would order and divide as negatives once widened to int64.
    return std::nullopt;
  } else if (elementType.isIntOrIndex()) {
    bool zext = isUnsignedOrBool(elementType);
    for (const APInt &v : dense.getValues<APInt>())
      values.push_back({0, zext ? static_cast<int64_t>(v.getZExtValue()) : v.getSExtValue()});
  } else {
    return std::nullopt;
  }
  return values;
}

/// A dense constant of `type` from widened elements (integers wrap to the element width).
Attribute writeScalars(RankedTensorType type, ArrayRef<Scalar> values) {
  Type elementType = type.getElementType();
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    SmallVector<APFloat> elements;
    for (const Scalar &v : values) {
      APFloat element(v.f);
      bool lostInfo = false;
      element.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lostInfo);
      elements.push_back(element);
    }
    return DenseElementsAttr::get(type, elements);
  }
  if (elementType.isInteger(1)) {
    SmallVector<bool> elements;
    for (const Scalar &v : values)
      elements.push_back(v.i != 0);
    return DenseElementsAttr::get(type, elements);
  }
  unsigned width = elementType.getIntOrFloatBitWidth();
  SmallVector<APInt> elements;
  for (const Scalar &v : values)
    elements.push_back(APInt(width, static_cast<uint64_t>(v.i), /*isSigned=*/false,
                             /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, elements);
}

/// The scalar computation of a folder; std::nullopt where it must not fold (division by
/// zero, a value out of the target's range).
using ScalarFn = function_ref<std::optional<Scalar>(ArrayRef<Scalar>)>;

/// Folds an elementwise op whose operands are all dense constants: evaluates `fn` at every
/// element of the result, reading the operands broadcast numpy-style.
Attribute foldElementwise(ArrayRef<Attribute> operands, Type resultType, ScalarFn fn) {
  auto type = dyn_cast<RankedTensorType>(resultType);
  if (!type || !type.hasStaticShape() || type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t rank = type.getRank();
  SmallVector<SmallVector<Scalar>> values;
  SmallVector<SmallVector<int64_t>> strides;
  for (Attribute attr : operands) {
    auto elements = readScalars(attr);
    if (!elements)
      return {};
    auto shape = cast<ShapedType>(cast<TypedAttr>(attr).getType()).getShape();
    if (static_cast<int64_t>(shape.size()) > rank)
      return {};
    // Strides of the operand in the result's index space; broadcast dims read index 0.
    SmallVector<int64_t> operandStrides(rank, 0);
    int64_t stride = 1;
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      int64_t resultDim = d + rank - static_cast<int64_t>(shape.size());
      if (shape[d] != 1)
        operandStrides[resultDim] = stride;
      stride *= shape[d];
    }
    values.push_back(std::move(*elements));
    strides.push_back(std::move(operandStrides));
  }

  SmallVector<Scalar> results;
  results.reserve(type.getNumElements());
  SmallVector<int64_t> index(rank, 0);
  SmallVector<Scalar> args(operands.size());
  for (int64_t n = 0; n < type.getNumElements(); ++n) {
    for (size_t k = 0; k < operands.size(); ++k) {
      int64_t offset = 0;
      for (int64_t d = 0; d < rank; ++d)
        offset += index[d] * strides[k][d];
      args[k] = values[k][offset];
    }
    std::optional<Scalar> result = fn(args);
    if (!result)
      return {};
    results.push_back(*result);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < type.getDimSize(d))
        break;
      index[d] = 0;
    }
  }
  return writeScalars(type, results);
}

bool isFloatTensor(Value v) { return isa<FloatType>(getElementTypeOrSelf(v.getType())); }

/// Integer arithmetic that wraps instead of overflowing (the result is truncated to the
/// element width when written).
int64_t wrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t wrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

/// Folds a binary arithmetic op with a float and an integer version of its computation.
template <typename FloatFn, typename IntFn>
Attribute foldArithmetic(Operation *op, ArrayRef<Attribute> operands, FloatFn floatFn,
                         IntFn intFn) {
  bool isFloat = isFloatTensor(op->getOperand(0));
  return foldElementwise(operands, op->getResult(0).getType(),
                         [&](ArrayRef<Scalar> a) -> std::optional<Scalar> {
                           if (isFloat)
                             return Scalar{floatFn(a[0].f, a[1].f), 0};
                           std::optional<int64_t> r = intFn(a[0].i, a[1].i);
                           if (!r)
                             return std::nullopt;
                           return Scalar{0, *r};
                         });
}

/// Folds a comparison: `cmp` gets -1, 0 or 1 (or std::nullopt for an unordered float pair)
/// and says whether the predicate holds.
template <typename Predicate>
Attribute foldCompare(Operation *op, ArrayRef<Attribute> operands, Predicate holds) {
  bool isFloat = isFloatTensor(op->getOperand(0));
  return foldElementwise(operands, op->getResult(0).getType(),
                         [&](ArrayRef<Scalar> a) -> std::optional<Scalar> {
                           std::optional<int> order;
                           if (isFloat) {
                             if (!std::isnan(a[0].f) && !std::isnan(a[1].f))
                               order = a[0].f < a[1].f ? -1 : (a[0].f > a[1].f ? 1 : 0);
                           } else {
                             order = a[0].i < a[1].i ? -1 : (a[0].i > a[1].i ? 1 : 0);
                           }
                           return Scalar{0, order && holds(*order) ? 1 : 0};
                         });
}

/// Minimum (or maximum) of two widened elements; a NaN operand gives NaN, and -0 orders
/// before +0, as arith.minimumf/maximumf do.
Scalar minMax(const Scalar &a, const Scalar &b, bool isFloat, bool isMax) {
  if (!isFloat)
    return (a.i < b.i) != isMax ? a : b;
  if (std::isnan(a.f) || std::isnan(b.f))
    return {std::numeric_limits<double>::quiet_NaN(), 0};
  if (a.f == b.f)
    return std::signbit(a.f) != isMax ? a : b;
  return (a.f < b.f) != isMax ? a : b;
}

Attribute foldMinMax(Operation *op, ArrayRef<Attribute> operands, bool isMax) {
  bool isFloat = isFloatTensor(op->getResult(0));
  return foldElementwise(operands, op->getResult(0).getType(),
                         [&](ArrayRef<Scalar> a) -> std::optional<Scalar> {
                           Scalar result = a[0];
                           for (const Scalar &v : a.drop_front())
                             result = minMax(result, v, isFloat, isMax);
                           return result;
                         });
}

/// Converts one widened element from `from` to `to` as ONNX Cast does; std::nullopt for a
/// float that has no value in the integer type (NaN, out of range).
std::optional<Scalar> castScalar(const Scalar &v, Type from, Type to) {
  bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
  if (toFloat)
    return Scalar{fromFloat ? v.f : static_cast<double>(v.i), 0};
  if (!fromFloat)
    return Scalar{0, to.isInteger(1) ? (v.i != 0) : v.i};
  if (to.isInteger(1))
    return Scalar{0, v.f != 0 ? 1 : 0};
  double truncated = std::trunc(v.f);
  if (std::isnan(truncated) || truncated < -9.2e18 || truncated > 9.2e18)
    return std::nullopt;
  return Scalar{0, static_cast<int64_t>(truncated)};
}

} // namespace

//===----------------------------------------------------------------------===//
// Binary arithmetic
//===----------------------------------------------------------------------===//

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      getOperation(), adaptor.getOperands(), [](double a, double b) { return a + b; },
      [](int64_t a, int64_t b) -> std::optional<int64_t> { return wrapAdd(a, b); });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      getOperation(), adaptor.getOperands(), [](double a, double b) { return a - b; },
      [](int64_t a, int64_t b) -> std::optional<int64_t> { return wrapSub(a, b); });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      getOperation(), adaptor.getOperands(), [](double a, double b) { return a * b; },
      [](int64_t a, int64_t b) -> std::optional<int64_t> { return wrapMul(a, b); });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  // C++ integer division truncates toward zero, as onnxruntime's does.
  return foldArithmetic(
      getOperation(), adaptor.getOperands(), [](double a, double b) { return a / b; },
      [](int64_t a, int64_t b) -> std::optional<int64_t> {
        if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1))
          return std::nullopt;
        return a / b;
      });
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldMinMax(getOperation(), adaptor.getOperands(), /*isMax=*/false);
}

int64_t MinOp::getFlops() {
  return std::max<int64_t>(1, getInputs().size() - 1) * defaultFlops(getOperation());
}

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldMinMax(getOperation(), adaptor.getOperands(), /*isMax=*/true);
}

int64_t MaxOp::getFlops() {
  return std::max<int64_t>(1, getInputs().size() - 1) * defaultFlops(getOperation());
}

//===----------------------------------------------------------------------===//
// Unary math and activations
//===----------------------------------------------------------------------===//

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(adaptor.getOperands(), getType(),
                         [](ArrayRef<Scalar> a) -> std::optional<Scalar> {
                           return Scalar{-a[0].f, wrapSub(0, a[0].i)};
                         });
}

OpFoldResult AbsOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(), [](ArrayRef<Scalar> a) -> std::optional<Scalar> {
        return Scalar{std::fabs(a[0].f), a[0].i < 0 ? wrapSub(0, a[0].i) : a[0].i};
      });
}

/// Folds a unary float op through `fn` on doubles (rounded back to the element type).
template <typename Fn>
Attribute foldFloatUnary(Operation *op, ArrayRef<Attribute> operands, Fn fn) {
  if (!isFloatTensor(op->getOperand(0)))
    return {};
  return foldElementwise(operands, op->getResult(0).getType(),
                         [&](ArrayRef<Scalar> a) -> std::optional<Scalar> {
                           return Scalar{fn(a[0].f), 0};
                         });
}

OpFoldResult SqrtOp::fold(FoldAdaptor adaptor) {
  return foldFloatUnary(*this, adaptor.getOperands(), [](double x) { return std::sqrt(x); });
}

OpFoldResult ReciprocalOp::fold(FoldAdaptor adaptor) {
  return foldFloatUnary(*this, adaptor.getOperands(), [](double x) { return 1.0 / x; });
}

OpFoldResult FloorOp::fold(FoldAdaptor adaptor) {
  return foldFloatUnary(*this, adaptor.getOperands(), [](double x) { return std::floor(x); });
}

OpFoldResult CeilOp::fold(FoldAdaptor adaptor) {
  return foldFloatUnary(*this, adaptor.getOperands(), [](double x) { return std::ceil(x); });
}

OpFoldResult RoundOp::fold(FoldAdaptor adaptor) {
  // Halves to even: nearbyint in the default rounding mode.
  return foldFloatUnary(*this, adaptor.getOperands(), [](double x) { return std::nearbyint(x); });
}

OpFoldResult SignOp::fold(FoldAdaptor adaptor) {
  bool isFloat = isFloatTensor(getInput());
  return foldElementwise(adaptor.getOperands(), getType(),
                         [&](ArrayRef<Scalar> a) -> std::optional<Scalar> {
                           if (isFloat && std::isnan(a[0].f))
                             return std::nullopt;
                           return Scalar{static_cast<double>((a[0].f > 0) - (a[0].f < 0)),
                                         (a[0].i > 0) - (a[0].i < 0)};
                         });
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  bool floatBase = isFloatTensor(getBase()), floatExponent = isFloatTensor(getExponent());
  return foldElementwise(
      adaptor.getOperands(), getType(), [&](ArrayRef<Scalar> a) -> std::optional<Scalar> {
        double base = floatBase ? a[0].f : static_cast<double>(a[0].i);
        double exponent = floatExponent ? a[1].f : static_cast<double>(a[1].i);
        double result = std::pow(base, exponent);
        if (floatBase)
          return Scalar{result, 0};
        // Integer bases: computed in f64 and truncated back, as the lowering does.
        if (!std::isfinite(result) || std::fabs(result) > 9.2e18)
          return std::nullopt;
        return Scalar{0, static_cast<int64_t>(result)};
      });
}

OpFoldResult ModOp::fold(FoldAdaptor adaptor) {
  bool isFloat = isFloatTensor(getLhs()), fmod = getFmod();
  return foldElementwise(
      adaptor.getOperands(), getType(), [&](ArrayRef<Scalar> a) -> std::optional<Scalar> {
        if (isFloat)
          return Scalar{std::fmod(a[0].f, a[1].f), 0};
        int64_t x = a[0].i, y = a[1].i;
        if (y == 0 || (x == std::numeric_limits<int64_t>::min() && y == -1))
          return std::nullopt;
        int64_t r = x % y;
        // Without fmod the remainder takes the divisor's sign (Python's %).
        if (!fmod && r != 0 && ((r < 0) != (y < 0)))
          r += y;
        return Scalar{0, r};
      });
}

int64_t LeakyReluOp::getFlops() { return 2 * defaultFlops(getOperation()); }
int64_t SigmoidOp::getFlops() { return 4 * defaultFlops(getOperation()); }
int64_t HardSigmoidOp::getFlops() { return 4 * defaultFlops(getOperation()); }
int64_t HardSwishOp::getFlops() { return 5 * defaultFlops(getOperation()); }

LogicalResult ClipOp::verify() {
  Type elementType = getElementTypeOrSelf(getInput().getType());
  for (auto [name, bound] : {std::pair<StringRef, Value>{"min", getMin()}, {"max", getMax()}}) {
    if (!bound)
      continue;
    auto type = cast<RankedTensorType>(bound.getType());
    if (type.getRank() != 0 || type.getElementType() != elementType)
      return emitOpError("expects ")
             << name << " to be a rank-0 tensor of " << elementType << ", got " << type;
  }
  return success();
}

int64_t ClipOp::getFlops() {
  int64_t bounds = (getMin() ? 1 : 0) + (getMax() ? 1 : 0);
  return std::max<int64_t>(1, bounds) * defaultFlops(getOperation());
}

//===----------------------------------------------------------------------===//
// Comparisons, logic and selection
//===----------------------------------------------------------------------===//

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(getOperation(), adaptor.getOperands(), [](int order) { return order == 0; });
}

OpFoldResult LessOp::fold(FoldAdaptor adaptor) {
  return foldCompare(getOperation(), adaptor.getOperands(), [](int order) { return order < 0; });
}

OpFoldResult LessOrEqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(getOperation(), adaptor.getOperands(), [](int order) { return order <= 0; });
}

OpFoldResult GreaterOp::fold(FoldAdaptor adaptor) {
  return foldCompare(getOperation(), adaptor.getOperands(), [](int order) { return order > 0; });
}

OpFoldResult GreaterOrEqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(getOperation(), adaptor.getOperands(), [](int order) { return order >= 0; });
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(adaptor.getOperands(), getType(),
                         [](ArrayRef<Scalar> a) -> std::optional<Scalar> {
                           return Scalar{0, a[0].i == 0 ? 1 : 0};
                         });
}

/// Folds a logical op given as a function of two bools.
template <typename Fn>
static Attribute foldLogical(Operation *op, ArrayRef<Attribute> operands, Fn fn) {
  return foldElementwise(operands, op->getResult(0).getType(),
                         [&](ArrayRef<Scalar> a) -> std::optional<Scalar> {
                           return Scalar{0, fn(a[0].i != 0, a[1].i != 0) ? 1 : 0};
                         });
}

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  return foldLogical(getOperation(), adaptor.getOperands(), [](bool a, bool b) { return a && b; });
}

OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  return foldLogical(getOperation(), adaptor.getOperands(), [](bool a, bool b) { return a || b; });
}

OpFoldResult XorOp::fold(FoldAdaptor adaptor) {
  return foldLogical(getOperation(), adaptor.getOperands(), [](bool a, bool b) { return a != b; });
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [](ArrayRef<Scalar> a) -> std::optional<Scalar> { return a[0].i ? a[1] : a[2]; });
}

//===----------------------------------------------------------------------===//
// Casts and identities
//===----------------------------------------------------------------------===//

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  Type from = getElementTypeOrSelf(getInput().getType());
  Type to = getElementTypeOrSelf(getType());
  // The lowering truncates to bfloat16; APFloat would round to nearest even.
  if (to.isBF16())
    return {};
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [&](ArrayRef<Scalar> a) -> std::optional<Scalar> { return castScalar(a[0], from, to); });
}

OpFoldResult IdentityOp::fold(FoldAdaptor) { return getInput(); }

int64_t EluOp::getFlops() { return 4 * defaultFlops(getOperation()); }
int64_t SeluOp::getFlops() { return 5 * defaultFlops(getOperation()); }
int64_t CeluOp::getFlops() { return 5 * defaultFlops(getOperation()); }
