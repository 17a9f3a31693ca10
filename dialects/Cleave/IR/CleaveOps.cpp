// The cleave dialect's collectives: verifiers, memory effects and bufferization.
#include "dialects/Cleave/IR/CleaveOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace cleave::plan;

namespace {

/// Both operands tensors (then one result of `init`'s type) or both buffers (no result);
/// static shapes of one element type the runtime names, and `checkShapes` on the shapes.
LogicalResult verifyCollective(Operation *op, Type inputType, Type initType,
                               function_ref<LogicalResult(ShapedType, ShapedType)> checkShapes) {
  auto input = cast<ShapedType>(inputType), init = cast<ShapedType>(initType);
  bool tensors = isa<RankedTensorType>(input);
  if (tensors != isa<RankedTensorType>(init))
    return op->emitOpError("expects input and init both tensors or both buffers, got ")
           << input << " and " << init;
  if (tensors != (op->getNumResults() == 1))
    return op->emitOpError(tensors ? "on tensors returns one result"
                                   : "on buffers returns nothing");
  if (tensors && op->getResult(0).getType() != init)
    return op->emitOpError("expects the result to have the init's type ")
           << init << ", got " << op->getResult(0).getType();
  if (!input.hasStaticShape() || !init.hasStaticShape())
    return op->emitOpError("expects static shapes, got ") << input << " and " << init;
  if (input.getElementType() != init.getElementType())
    return op->emitOpError("expects one element type, got ") << input << " and " << init;
  if (!dtypeOf(input.getElementType()))
    return op->emitOpError("cannot move elements of type ")
           << input.getElementType() << " (the runtime has no such dtype)";
  return checkShapes(input, init);
}

/// The collective `op` on buffers, replacing the tensor form.
template <typename OpT>
LogicalResult bufferizeCollective(OpT op, RewriterBase &rewriter,
                                  const BufferizationOptions &options,
                                  BufferizationState &state) {
  if (!isa<TensorType>(op.getInit().getType()))
    return success();
  FailureOr<Value> input = getBuffer(rewriter, op.getInput(), options, state);
  if (failed(input))
    return failure();
  FailureOr<Value> init = getBuffer(rewriter, op.getInit(), options, state);
  if (failed(init))
    return failure();
  rewriter.setInsertionPoint(op);
  OpT::create(rewriter, op.getLoc(), TypeRange(), *input, *init);
  replaceOpWithBufferizedValues(rewriter, op, *init);
  return success();
}

/// Collectives read `input` (operand 0) and write all of `init` (operand 1).
void addCollectiveEffects(
    Operation *op, SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  if (isa<MemRefType>(op->getOperand(0).getType()))
    effects.emplace_back(MemoryEffects::Read::get(), &op->getOpOperand(0),
                         SideEffects::DefaultResource::get());
  if (isa<MemRefType>(op->getOperand(1).getType()))
    effects.emplace_back(MemoryEffects::Write::get(), &op->getOpOperand(1),
                         SideEffects::DefaultResource::get());
  // The ranks of the group meet here: the op must neither move past another collective nor
  // disappear when its result goes unused on one rank.
  effects.emplace_back(MemoryEffects::Write::get(), SideEffects::DefaultResource::get());
}

} // namespace

//===----------------------------------------------------------------------===//
// AllReduceOp
//===----------------------------------------------------------------------===//

LogicalResult AllReduceOp::verify() {
  return verifyCollective(*this, getInput().getType(), getInit().getType(),
                          [&](ShapedType input, ShapedType init) -> LogicalResult {
                            if (input.getShape() != init.getShape())
                              return emitOpError("expects input and init of one shape, got ")
                                     << input << " and " << init;
                            if (!isReducibleType(input.getElementType()))
                              return emitOpError("sums only f32, f64, i32 or i64, got ")
                                     << input.getElementType();
                            return success();
                          });
}

//===----------------------------------------------------------------------===//
// AllGatherOp
//===----------------------------------------------------------------------===//

LogicalResult AllGatherOp::verify() {
  return verifyCollective(
      *this, getInput().getType(), getInit().getType(),
      [&](ShapedType input, ShapedType init) -> LogicalResult {
        if (init.getRank() != input.getRank() + 1 ||
            init.getShape().drop_front() != input.getShape() || init.getDimSize(0) < 1)
          return emitOpError("expects init of the input's shape after a leading group-size "
                             "dim, got ")
                 << input << " and " << init;
        return success();
      });
}

// The interface methods both collectives share are defined in CleaveOps.td
// (Cleave_CollectiveOp's extraClassDefinition), over the helpers above.
#define GET_OP_CLASSES
#include "dialects/Cleave/IR/CleaveOps.cpp.inc"
