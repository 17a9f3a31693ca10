// onnx -> linalg lowering: the pass, the type converter and the shared builders.
#include "compiler/Passes.h"
#include "compiler/conversion/OnnxToLinalg/Patterns.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_CONVERTONNXTOLINALGPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

OnnxTypeConverter::OnnxTypeConverter() {
  addConversion([](Type type) { return type; });
  addConversion([](IntegerType type) -> Type {
    if (type.isSignless())
      return type;
    return IntegerType::get(type.getContext(), type.getWidth());
  });
  addConversion([this](RankedTensorType type) -> Type {
    return RankedTensorType::get(type.getShape(), convertType(type.getElementType()));
  });
  auto cast = [](OpBuilder &b, Type type, ValueRange inputs, Location loc) -> Value {
    return UnrealizedConversionCastOp::create(b, loc, type, inputs).getResult(0);
  };
  addSourceMaterialization(cast);
  addTargetMaterialization(cast);
}

AffineMap cleave::broadcastMap(MLIRContext *context, RankedTensorType operandType,
                               int64_t resultRank) {
  SmallVector<AffineExpr> exprs;
  int64_t offset = resultRank - operandType.getRank();
  for (int64_t i = 0; i < operandType.getRank(); ++i)
    exprs.push_back(operandType.getDimSize(i) == 1 ? getAffineConstantExpr(0, context)
                                                   : getAffineDimExpr(i + offset, context));
  return AffineMap::get(resultRank, 0, exprs, context);
}

Value cleave::buildElementwise(
    OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange operands,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *context = b.getContext();
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  for (Value operand : operands)
    maps.push_back(broadcastMap(context, cast<RankedTensorType>(operand.getType()), rank));
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, operands, init, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value cleave::scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, value));
  return arith::ConstantOp::create(b, loc,
                                   b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value cleave::filledTensor(OpBuilder &b, Location loc, RankedTensorType type, Value value) {
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

Value cleave::indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value cleave::buildIndexedGeneric(
    OpBuilder &b, Location loc, RankedTensorType type, ValueRange inputs,
    ArrayRef<AffineMap> inputMaps,
    function_ref<Value(OpBuilder &, Location, ValueRange indices, ValueRange args)> body) {
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, type, inputs, init, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rank; ++d)
          indices.push_back(linalg::IndexOp::create(nb, nl, d));
        linalg::YieldOp::create(nb, nl, body(nb, nl, indices, args.drop_back()));
      });
  return generic.getResult(0);
}

Value cleave::reshapeTensor(OpBuilder &b, Location loc, Value input, RankedTensorType type) {
  auto inType = cast<RankedTensorType>(input.getType());
  if (inType == type)
    return input;
  if (auto reassociation = getReassociationIndicesForReshape(inType, type)) {
    if (inType.getRank() > type.getRank())
      return tensor::CollapseShapeOp::create(b, loc, type, input, *reassociation);
    return tensor::ExpandShapeOp::create(b, loc, type, input, *reassociation);
  }
  // General case: collapse to 1-D, then expand to the target shape.
  auto flatType = RankedTensorType::get({inType.getNumElements()}, inType.getElementType());
  Value flat = input;
  if (inType.getRank() != 1) {
    SmallVector<ReassociationIndices> all(1);
    for (int64_t i = 0; i < inType.getRank(); ++i)
      all[0].push_back(i);
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, input,
                                           inType.getRank() == 0
                                               ? SmallVector<ReassociationIndices>{}
                                               : all);
  }
  if (type.getRank() == 1)
    return flat;
  SmallVector<ReassociationIndices> all(1);
  for (int64_t i = 0; i < type.getRank(); ++i)
    all[0].push_back(i);
  return tensor::ExpandShapeOp::create(
      b, loc, type, flat, type.getRank() == 0 ? SmallVector<ReassociationIndices>{} : all);
}

namespace {

/// Constants become arith.constant, with unsigned element types made signless.
struct ConstantLowering : OnnxLowering<onnxir::ConstantOp> {
  using OnnxLowering::OnnxLowering;
  LogicalResult matchAndRewrite(onnxir::ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedType(op);
    auto value = dyn_cast<DenseElementsAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "expects dense elements");
    if (value.getType() != type)
      value = value.bitcast(type.getElementType());
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, value);
    return success();
  }
};

/// Collectives keep their place; their element types are made signless like their
/// operands', with a fresh destination of the converted type.
template <typename OpT> struct CollectiveTypes : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    SmallVector<Type> types;
    if (failed(this->getTypeConverter()->convertTypes(op->getResultTypes(), types)) ||
        types.size() != 1)
      return rewriter.notifyMatchFailure(op, "expects one convertible tensor result");
    auto type = cast<RankedTensorType>(types.front());
    Value init = tensor::EmptyOp::create(rewriter, op.getLoc(), type.getShape(),
                                         type.getElementType());
    rewriter.replaceOpWithNewOp<OpT>(op, TypeRange{type}, adaptor.getInput(), init);
    return success();
  }
};

struct ConvertOnnxToLinalgPass
    : cleave::impl::ConvertOnnxToLinalgPassBase<ConvertOnnxToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    OnnxTypeConverter converter;
    RewritePatternSet patterns(context);
    patterns.add<ConstantLowering, CollectiveTypes<plan::AllReduceOp>,
                 CollectiveTypes<plan::AllGatherOp>>(converter, context);
    populateElementwiseToLinalgPatterns(converter, patterns);
    populateNNToLinalgPatterns(converter, patterns);
    populateNormToLinalgPatterns(converter, patterns);
    populateIndexToLinalgPatterns(converter, patterns);
    populateShapeToLinalgPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);

    ConversionTarget target(*context);
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect, arith::ArithDialect,
                           math::MathDialect, scf::SCFDialect>();
    target.addIllegalDialect<onnxir::OnnxDialect>();
    // Parameters become function arguments in their own pass.
    target.addLegalOp<onnxir::ParameterOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType());
    });
    target.addDynamicallyLegalOp<func::ReturnOp>(
        [&](func::ReturnOp op) { return converter.isLegal(op.getOperandTypes()); });
    target.addDynamicallyLegalDialect<plan::CleaveDialect>(
        [&](Operation *op) { return converter.isLegal(op); });
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
