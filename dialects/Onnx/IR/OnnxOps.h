// The onnx-level dialect: op classes and the helpers their verifiers and importers share.
#ifndef CLEAVE_DIALECTS_ONNX_IR_ONNXOPS_H
#define CLEAVE_DIALECTS_ONNX_IR_ONNXOPS_H

#include "dialects/Onnx/IR/OnnxDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>
#include <string>

namespace cleave::onnxir {

/// Folders build constants of at most this many elements, so that shape computations fold
/// while data-sized tensors stay computations for the generated code.
constexpr int64_t kMaxFoldElements = 4096;

/// Numpy-style broadcast of two shapes; std::nullopt if they do not broadcast.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// The numpy-style broadcast shape of all `operands` (ranked tensors): the result shape of
/// every elementwise op. Failure after reporting through `emitError` if they do not
/// broadcast.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferBroadcastShape(mlir::TypeRange operands,
                    llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

/// The result shape of MaxPool and AveragePool on an `input` of this shape, or failure
/// after reporting the problem through `emitError`.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferPoolShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernelShape,
               llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> pads,
               llvm::ArrayRef<int64_t> dilations, bool ceilMode,
               llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

/// The result shape of GlobalAveragePool and GlobalMaxPool, N x C x 1 x ... x 1, or failure
/// after reporting the problem through `emitError`.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferGlobalPoolShape(mlir::RankedTensorType input,
                     llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

/// The result shape of the reductions: `input` with `axes` (sorted, unique, non-negative)
/// set to 1 (`keepdims`) or dropped; failure after reporting the problem through
/// `emitError`.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferReducedShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> axes, bool keepdims,
                  llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

/// Verifies that the operands of an elementwise op broadcast together to the result shape.
llvm::LogicalResult verifyBroadcastOp(mlir::Operation *op);

/// Verifies that the first result of `op` has the shape `expected` its shape function
/// computed (the function the importer builds the result type with).
llvm::LogicalResult verifyResultShape(mlir::Operation *op, llvm::ArrayRef<int64_t> expected);

/// Default cost: one operation per result element.
int64_t defaultFlops(mlir::Operation *op);
/// Default bytes: the sizes of every ranked-tensor operand and result.
int64_t defaultBytes(mlir::Operation *op);
/// Byte size of a statically shaped tensor type (bool counts one byte per element).
int64_t tensorBytes(mlir::Type type);

/// Normalises a possibly negative ONNX axis for a tensor of `rank`; std::nullopt if out of
/// range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// The name of the ONNX node `loc` points at (the importer gives every op its node's name as
/// a NameLoc); empty where it is not one, as for ops a pass created.
llvm::StringRef nodeName(mlir::Location loc);

/// The ONNX node name of `op`, else its op name (`onnx.add`): how plans and diagnostics
/// refer to an op.
std::string nodeName(mlir::Operation *op);

namespace OpTrait {

/// Ops that compute each result element from the operand elements at the same position,
/// the operands broadcast numpy-style (right-aligned, size-1 dims repeated) to the result
/// shape. Declared in ODS as `Onnx_Elementwise`; a pass that only needs to know that an op
/// works element by element (split propagation) asks for the trait, not for a list of ops.
/// Verifies that the operands broadcast to the result shape.
template <typename ConcreteType>
class Elementwise : public mlir::OpTrait::TraitBase<ConcreteType, Elementwise> {
public:
  static llvm::LogicalResult verifyTrait(mlir::Operation *op) { return verifyBroadcastOp(op); }
};

} // namespace OpTrait

/// Whether `op` carries the Elementwise trait.
inline bool isElementwise(mlir::Operation *op) { return op->hasTrait<OpTrait::Elementwise>(); }

} // namespace cleave::onnxir

#include "dialects/Onnx/IR/OnnxInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/Onnx/IR/OnnxOps.h.inc"

#endif // CLEAVE_DIALECTS_ONNX_IR_ONNXOPS_H
