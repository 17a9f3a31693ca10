// The onnx-level dialect: verifiers and costs of the neural-network ops.
#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave::onnxir;

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::verify() {
  auto lhs = cast<RankedTensorType>(getLhs().getType());
  auto rhs = cast<RankedTensorType>(getRhs().getType());
  if (lhs.getRank() == 0 || rhs.getRank() == 0)
    return emitOpError("expects operands of rank 1 or more");
  int64_t k = lhs.getShape().back();
  int64_t rhsK = rhs.getRank() == 1 ? rhs.getDimSize(0) : rhs.getDimSize(rhs.getRank() - 2);
  if (k != rhsK)
    return emitOpError("contraction dims differ: ") << k << " vs " << rhsK;
  SmallVector<int64_t> lhsBatch(lhs.getShape().drop_back(lhs.getRank() >= 2 ? 2 : 1));
  SmallVector<int64_t> rhsBatch(rhs.getShape().drop_back(rhs.getRank() >= 2 ? 2 : 1));
  auto batch = broadcastShapes(lhsBatch, rhsBatch);
  if (!batch)
    return emitOpError("batch dims do not broadcast");
  SmallVector<int64_t> expected = *batch;
  if (lhs.getRank() >= 2)
    expected.push_back(lhs.getDimSize(lhs.getRank() - 2));
  if (rhs.getRank() >= 2)
    expected.push_back(rhs.getShape().back());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (result.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("expects result shape ")
           << RankedTensorType::get(expected, result.getElementType()) << ", got " << result;
  return success();
}

int64_t MatMulOp::getFlops() {
  auto lhs = cast<RankedTensorType>(getLhs().getType());
  return 2 * cast<RankedTensorType>(getResult().getType()).getNumElements() *
         lhs.getShape().back();
}
