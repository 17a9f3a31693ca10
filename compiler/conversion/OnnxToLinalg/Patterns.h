// onnx -> linalg lowering: the pattern sets of each op family and the helpers they share.
#ifndef CLEAVE_COMPILER_CONVERSION_ONNXTOLINALG_PATTERNS_H
#define CLEAVE_COMPILER_CONVERSION_ONNXTOLINALG_PATTERNS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace cleave {

/// Maps the onnx dialect's tensor types to those upstream ops accept: unsigned integer
/// element types become signless (ui8 -> i8).
class OnnxTypeConverter : public mlir::TypeConverter {
public:
  OnnxTypeConverter();
};

/// Base of the onnx -> linalg patterns: gives the converted type (unsigned element types
/// made signless) of an op's result, the type the lowering builds.
template <typename OpTy> struct OnnxLowering : mlir::OpConversionPattern<OpTy> {
  using mlir::OpConversionPattern<OpTy>::OpConversionPattern;

  /// The converted type of result `i` of `op`.
  mlir::RankedTensorType convertedType(mlir::Operation *op, unsigned i = 0) const {
    return llvm::cast<mlir::RankedTensorType>(
        this->getTypeConverter()->convertType(op->getResult(i).getType()));
  }
};

/// Builds `body` into a `linalg.generic` over the result's iteration space, with operands
/// broadcast numpy-style (right-aligned; size-1 dims read index 0). `body` receives one
/// scalar per operand and returns the result scalar.
mlir::Value buildElementwise(
    mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType resultType,
    mlir::ValueRange operands,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>
        body);

/// The indexing map that reads `operandType` broadcast into a result of `resultRank`.
mlir::AffineMap broadcastMap(mlir::MLIRContext *context, mlir::RankedTensorType operandType,
                             int64_t resultRank);

/// A scalar constant of `type` (float or integer).
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                           double value);

/// A `tensor.empty` filled with `value` (a scalar of the element type).
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
                         mlir::Value value);

/// An `index` constant.
mlir::Value indexConstant(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// A `linalg.generic` over `type`, reading `inputs` through `inputMaps`, whose body computes
/// each element from the loop indices and the input scalars (for gathers that read with
/// `tensor.extract`).
mlir::Value buildIndexedGeneric(
    mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
    mlir::ValueRange inputs, llvm::ArrayRef<mlir::AffineMap> inputMaps,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::ValueRange indices,
                                   mlir::ValueRange args)>
        body);

/// Reshapes a tensor to `type` (same element count), as collapse + expand when possible.
mlir::Value reshapeTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                          mlir::RankedTensorType type);

void populateElementwiseToLinalgPatterns(const OnnxTypeConverter &converter,
                                         mlir::RewritePatternSet &patterns);
void populateNNToLinalgPatterns(const OnnxTypeConverter &converter,
                                mlir::RewritePatternSet &patterns);
void populateNormToLinalgPatterns(const OnnxTypeConverter &converter,
                                  mlir::RewritePatternSet &patterns);
void populateIndexToLinalgPatterns(const OnnxTypeConverter &converter,
                                   mlir::RewritePatternSet &patterns);
void populateShapeToLinalgPatterns(const OnnxTypeConverter &converter,
                                   mlir::RewritePatternSet &patterns);

} // namespace cleave

#endif // CLEAVE_COMPILER_CONVERSION_ONNXTOLINALG_PATTERNS_H
