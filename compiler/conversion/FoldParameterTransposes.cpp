// Folds transposes of weights into the weights' stored data.
#include "compiler/Passes.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_FOLDPARAMETERTRANSPOSESPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

/// The raw bytes of a parameter's value; empty if they cannot be read (i1, splats).
ArrayRef<char> parameterBytes(onnxir::ParameterOp param) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(param.getValue()))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
  if (auto dense = dyn_cast<DenseElementsAttr>(param.getValue()))
    if (!dense.isSplat() && !dense.getElementType().isInteger(1))
      return dense.getRawData();
  return {};
}

/// Permutes row-major `data` of `shape` (elements of `elementBytes`) by `perm`.
std::vector<char> permute(ArrayRef<char> data, ArrayRef<int64_t> shape, ArrayRef<int64_t> perm,
                          size_t elementBytes) {
  int64_t rank = shape.size();
  SmallVector<int64_t> inStrides(rank, 1), outShape(rank), outStrides(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    inStrides[i] = inStrides[i + 1] * shape[i + 1];
  for (int64_t i = 0; i < rank; ++i)
    outShape[i] = shape[perm[i]];
  for (int64_t i = rank - 2; i >= 0; --i)
    outStrides[i] = outStrides[i + 1] * outShape[i + 1];
  std::vector<char> out(data.size());
  int64_t count = data.size() / elementBytes;
  SmallVector<int64_t> index(rank, 0);
  for (int64_t o = 0; o < count; ++o) {
    int64_t source = 0;
    for (int64_t i = 0; i < rank; ++i)
      source += index[i] * inStrides[perm[i]];
    memcpy(out.data() + o * elementBytes, data.data() + source * elementBytes, elementBytes);
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (++index[i] < outShape[i])
        break;
      index[i] = 0;
    }
  }
  return out;
}

struct FoldParameterTransposesPass
    : cleave::impl::FoldParameterTransposesPassBase<FoldParameterTransposesPass> {
  void runOnOperation() override {
    SmallVector<linalg::TransposeOp> transposes;
    getOperation().walk([&](linalg::TransposeOp op) {
      if (op.hasPureTensorSemantics() && op.getInput().getDefiningOp<onnxir::ParameterOp>())
        transposes.push_back(op);
    });
    for (linalg::TransposeOp op : transposes) {
      auto param = op.getInput().getDefiningOp<onnxir::ParameterOp>();
      auto type = cast<RankedTensorType>(param.getType());
      ArrayRef<char> bytes = parameterBytes(param);
      if (bytes.empty())
        continue;
      size_t elementBytes = type.getElementTypeBitWidth() / 8;
      std::vector<char> permuted = permute(bytes, type.getShape(), op.getPermutation(),
                                           elementBytes);
      auto resultType = cast<RankedTensorType>(op.getResult()[0].getType());
      // Keep the parameter's (possibly unsigned) element type.
      auto newType = RankedTensorType::get(resultType.getShape(), type.getElementType());
      auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(permuted), 64);
      auto value = DenseResourceElementsAttr::get(newType, "param", std::move(blob));
      bool onlyUse = param->hasOneUse();
      std::string name = param.getName().str() + (onlyUse ? "" : ".T");
      OpBuilder b(param);
      auto folded = onnxir::ParameterOp::create(b, param.getLoc(), newType, name, value);
      Value replacement = folded.getResult();
      if (newType != resultType) {
        b.setInsertionPoint(op);
        replacement = UnrealizedConversionCastOp::create(b, op.getLoc(), resultType, replacement)
                          .getResult(0);
      }
      op.getResult()[0].replaceAllUsesWith(replacement);
      op.erase();
      if (param->use_empty())
        param.erase();
    }
  }
};

} // namespace
