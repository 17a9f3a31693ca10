// ONNX import patterns: shape and data-movement ops.
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave;

namespace {

/// Reshape (opset 5+): the shape input must be known at compile time.
LogicalResult importReshape(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType in = n.operandType(0);
  if (!in || !n.operand(1))
    return n.emitError() << "expects data and shape inputs";
  auto target = n.getConstantInts(n.operand(1));
  if (!target)
    return n.emitError() << "the shape input must be a compile-time constant";
  bool allowZero = n.getInt("allowzero", 0) != 0;
  SmallVector<int64_t> shape;
  int64_t inferIndex = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d == -1) {
      if (inferIndex >= 0)
        return n.emitError() << "shape has more than one -1";
      inferIndex = i;
      shape.push_back(1);
      continue;
    }
    if (d == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= in.getRank())
        return n.emitError() << "shape copies dim " << i << " of a rank-" << in.getRank()
                             << " input";
      d = in.getDimSize(i);
    }
    if (d < 0)
      return n.emitError() << "invalid shape entry " << d;
    shape.push_back(d);
    known *= d;
  }
  if (inferIndex >= 0) {
    if (known == 0 || in.getNumElements() % known != 0)
      return n.emitError() << "cannot infer the -1 dim of the shape for " << in;
    shape[inferIndex] = in.getNumElements() / known;
  }
  auto type = RankedTensorType::get(shape, in.getElementType());
  if (type.getNumElements() != in.getNumElements())
    return n.emitError() << "cannot reshape " << in << " to " << type;
  results.push_back(onnxir::ReshapeOp::create(n.builder, n.loc, type, n.operand(0)));
  return success();
}

LogicalResult importTranspose(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  SmallVector<int64_t> perm = n.getInts("perm");
  if (perm.empty())
    for (int64_t i = in.getRank() - 1; i >= 0; --i)
      perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return n.emitError() << "perm has " << perm.size() << " entries for a rank-"
                         << in.getRank() << " input";
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank())
      return n.emitError() << "perm entry " << p << " out of range";
    shape.push_back(in.getDimSize(p));
  }
  auto type = RankedTensorType::get(shape, in.getElementType());
  results.push_back(onnxir::TransposeOp::create(n.builder, n.loc, type, n.operand(0),
                                              n.builder.getDenseI64ArrayAttr(perm)));
  return success();
}

} // namespace

void cleave::populateShapeImporters(OpImporterRegistry &registry) {
  registry.add("Reshape", 5, importReshape);
  registry.add("Transpose", 1, importTranspose);
}
