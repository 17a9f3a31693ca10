// onnx -> linalg lowering: elementwise ops, one linalg.generic each.
#include "compiler/conversion/OnnxToLinalg/Patterns.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace cleave;

namespace {

/// The scalar computation of one elementwise op: gets the original (onnx-level) op for its
/// attributes and element types, the converted scalar operands, and returns the result.
using ScalarFn = Value (*)(Operation *op, OpBuilder &b, Location loc, ValueRange args);

template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  ElementwiseLowering(const TypeConverter &converter, MLIRContext *context, ScalarFn fn)
      : OpConversionPattern<OpTy>(converter, context), fn(fn) {}

  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(
        this->getTypeConverter()->convertType(op->getResult(0).getType()));
    Operation *original = op.getOperation();
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) { return fn(original, b, loc, args); });
    rewriter.replaceOp(op, result);
    return success();
  }

  ScalarFn fn;
};

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }
/// Whether the onnx-level operand `i` of `op` has an unsigned element type.
bool isUnsigned(Operation *op, unsigned i = 0) {
  return getElementTypeOrSelf(op->getOperand(i).getType()).isUnsignedInteger();
}

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
Value reluFn(Operation *, OpBuilder &b, Location loc, ValueRange a) {
  Value zero = scalarConstant(b, loc, a[0].getType(), 0.0);
  return arith::MaximumFOp::create(b, loc, a[0], zero);
}

} // namespace

void cleave::populateElementwiseToLinalgPatterns(const OnnxTypeConverter &converter,
                                                 RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ElementwiseLowering<onnxir::AddOp>>(converter, context, addFn);
  patterns.add<ElementwiseLowering<onnxir::SubOp>>(converter, context, subFn);
  patterns.add<ElementwiseLowering<onnxir::MulOp>>(converter, context, mulFn);
  patterns.add<ElementwiseLowering<onnxir::DivOp>>(converter, context, divFn);
  patterns.add<ElementwiseLowering<onnxir::ReluOp>>(converter, context, reluFn);
}
