// ONNX import patterns: ops that move elements between dims, imported as reshape, transpose,
// reshape chains (DepthToSpace, SpaceToDepth).
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave;

namespace {

using Results = SmallVectorImpl<Value>;

/// Reshapes `input` to `split`, permutes with `perm`, and reshapes to `shape`.
Value rearrange(NodeImporter &n, Value input, ArrayRef<int64_t> split, ArrayRef<int64_t> perm,
                ArrayRef<int64_t> shape) {
  Type elementType = cast<RankedTensorType>(input.getType()).getElementType();
  Value v = onnxir::ReshapeOp::create(n.builder, n.loc, RankedTensorType::get(split, elementType),
                                      input);
  SmallVector<int64_t> permuted;
  for (int64_t p : perm)
    permuted.push_back(split[p]);
  v = onnxir::TransposeOp::create(n.builder, n.loc, RankedTensorType::get(permuted, elementType), v,
                                  n.builder.getDenseI64ArrayAttr(perm));
  return onnxir::ReshapeOp::create(n.builder, n.loc, RankedTensorType::get(shape, elementType), v);
}

/// The N x C x H x W input and the positive `blocksize`, or failure after reporting.
FailureOr<std::pair<RankedTensorType, int64_t>> blockInput(NodeImporter &n) {
  RankedTensorType in = n.operandType(0);
  if (!in) {
    n.emitError() << "expects one input";
    return failure();
  }
  if (in.getRank() != 4) {
    n.emitError() << "expects a rank-4 input (N x C x H x W), got " << in;
    return failure();
  }
  int64_t block = n.getInt("blocksize", 0);
  if (block <= 0) {
    n.emitError() << "attribute 'blocksize' must be positive, got " << block;
    return failure();
  }
  return std::make_pair(in, block);
}

LogicalResult importDepthToSpace(NodeImporter &n, Results &results) {
  auto parsed = blockInput(n);
  if (failed(parsed))
    return failure();
  auto [in, b] = *parsed;
  int64_t N = in.getDimSize(0), C = in.getDimSize(1), H = in.getDimSize(2), W = in.getDimSize(3);
  if (C % (b * b) != 0)
    return n.emitError() << "the channel count " << C << " is not a multiple of blocksize^2 = "
                         << b * b;
  std::string mode = n.opset < 11 ? "DCR" : n.getString("mode", "DCR");
  SmallVector<int64_t> shape = {N, C / (b * b), H * b, W * b};
  if (mode == "DCR") {
    results.push_back(rearrange(n, n.operand(0), {N, b, b, C / (b * b), H, W},
                                {0, 3, 4, 1, 5, 2}, shape));
  } else if (mode == "CRD") {
    results.push_back(rearrange(n, n.operand(0), {N, C / (b * b), b, b, H, W},
                                {0, 1, 4, 2, 5, 3}, shape));
  } else {
    return n.emitError() << "attribute 'mode' must be DCR or CRD, got '" << mode << "'";
  }
  return success();
}

LogicalResult importSpaceToDepth(NodeImporter &n, Results &results) {
  auto parsed = blockInput(n);
  if (failed(parsed))
    return failure();
  auto [in, b] = *parsed;
  int64_t N = in.getDimSize(0), C = in.getDimSize(1), H = in.getDimSize(2), W = in.getDimSize(3);
  if (H % b != 0 || W % b != 0)
    return n.emitError() << "the spatial dims " << H << " x " << W
                         << " are not multiples of blocksize " << b;
  results.push_back(rearrange(n, n.operand(0), {N, C, H / b, b, W / b, b}, {0, 3, 5, 1, 2, 4},
                              {N, C * b * b, H / b, W / b}));
  return success();
}

} // namespace

void cleave::populateLayoutImporters(OpImporterRegistry &registry) {
  registry.add("DepthToSpace", 1, importDepthToSpace);
  registry.add("SpaceToDepth", 1, importSpaceToDepth);
}
