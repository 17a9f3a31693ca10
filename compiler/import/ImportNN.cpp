// ONNX import patterns: matmul/gemm, convolution, pooling, normalisation, softmax, reductions.
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave;

namespace {

LogicalResult importMatMul(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType lhs = n.operandType(0), rhs = n.operandType(1);
  if (!lhs || !rhs)
    return n.emitError() << "expects two inputs";
  if (lhs.getRank() == 0 || rhs.getRank() == 0)
    return n.emitError() << "expects inputs of rank 1 or more";
  SmallVector<int64_t> lhsBatch(lhs.getShape().drop_back(lhs.getRank() >= 2 ? 2 : 1));
  SmallVector<int64_t> rhsBatch(rhs.getShape().drop_back(rhs.getRank() >= 2 ? 2 : 1));
  auto shape = onnxir::broadcastShapes(lhsBatch, rhsBatch);
  if (!shape)
    return n.emitError() << "batch dims do not broadcast: " << lhs << ", " << rhs;
  if (lhs.getRank() >= 2)
    shape->push_back(lhs.getDimSize(lhs.getRank() - 2));
  if (rhs.getRank() >= 2)
    shape->push_back(rhs.getShape().back());
  auto type = RankedTensorType::get(*shape, lhs.getElementType());
  results.push_back(onnxir::MatMulOp::create(n.builder, n.loc, type, n.operand(0), n.operand(1)));
  return success();
}

} // namespace

void cleave::populateNNImporters(OpImporterRegistry &registry) {
  registry.add("MatMul", 1, importMatMul);
}
