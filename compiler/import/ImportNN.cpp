// ONNX import patterns: matmul/gemm/einsum, convolution, transposed convolution, pooling.
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringExtras.h"

#include <map>

using namespace mlir;
using namespace cleave;

namespace {

LogicalResult importMatMul(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType lhs = n.operandType(0), rhs = n.operandType(1);
  if (!lhs || !rhs)
    return n.emitError() << "expects two inputs";
  auto shape =
      onnxir::MatMulOp::inferShape(lhs.getShape(), rhs.getShape(), [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  auto type = RankedTensorType::get(*shape, lhs.getElementType());
  results.push_back(onnxir::MatMulOp::create(n.builder, n.loc, type, n.operand(0), n.operand(1)));
  return success();
}

/// Einsum 12 without ellipsis or repeated indices in one operand: each operand transposed
/// to the order of the indices (output indices first, then the summed ones) and reshaped
/// with 1s for the indices it lacks, the operands multiplied with broadcasting, and the
/// summed indices reduced away. The product is as large as all indices together: fine for
/// the small contractions exporters write, not a matmul kernel.
LogicalResult importEinsum(NodeImporter &n, SmallVectorImpl<Value> &results) {
  std::string equation;
  for (char c : n.getString("equation", ""))
    if (c != ' ')
      equation += c;
  if (equation.find("...") != std::string::npos)
    return n.emitError() << "equation '" << equation << "': an ellipsis is not supported";
  StringRef eq(equation);
  auto [lhs, rhs] = eq.split("->");
  bool explicitOutput = eq.contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != n.numOperands() || llvm::any_of(llvm::seq<size_t>(0, terms.size()),
                                                       [&](size_t i) { return !n.operandType(i); }))
    return n.emitError() << "equation '" << equation << "' has " << terms.size()
                         << " operand terms for " << n.numOperands() << " inputs";
  llvm::StringMap<int64_t> count;
  std::map<char, int64_t> sizes;
  Type elementType = n.operandType(0).getElementType();
  for (auto [i, term] : llvm::enumerate(terms)) {
    RankedTensorType type = n.operandType(i);
    if (type.getElementType() != elementType)
      return n.emitError() << "expects inputs of one element type, got " << type;
    if (static_cast<int64_t>(term.size()) != type.getRank())
      return n.emitError() << "equation term '" << term << "' has " << term.size()
                           << " indices for a rank-" << type.getRank() << " input";
    for (auto [d, c] : llvm::enumerate(term)) {
      if (!llvm::isAlpha(c))
        return n.emitError() << "equation '" << equation << "': '" << c
                             << "' is not an index letter";
      if (term.find(c) != d)
        return n.emitError() << "equation term '" << term << "' repeats index '" << c
                             << "' (a diagonal), which is not supported";
      auto [it, inserted] = sizes.try_emplace(c, type.getDimSize(d));
      if (!inserted && it->second != type.getDimSize(d))
        return n.emitError() << "index '" << c << "' has sizes " << it->second << " and "
                             << type.getDimSize(d);
      ++count[StringRef(&c, 1)];
    }
  }
  // Implicit output: the indices that appear once, in alphabetical order.
  std::string output = rhs.str();
  if (!explicitOutput) {
    output.clear();
    for (auto [c, size] : sizes)
      if (count[StringRef(&c, 1)] == 1)
        output += c;
  }
  for (auto [d, c] : llvm::enumerate(output))
    if (!sizes.count(c) || output.find(c) != d)
      return n.emitError() << "equation '" << equation << "': output index '" << c
                           << "' is not an input index or appears twice";
  std::string all = output;
  for (StringRef term : terms)
    for (char c : term)
      if (all.find(c) == std::string::npos)
        all += c;
  SmallVector<int64_t> fullShape;
  for (char c : all)
    fullShape.push_back(sizes[c]);

  Value product;
  for (auto [i, term] : llvm::enumerate(terms)) {
    // The operand's dims in the order of `all`, then 1s where it lacks an index.
    SmallVector<int64_t> perm, permuted, aligned;
    for (char c : all)
      if (size_t d = term.find(c); d != StringRef::npos) {
        perm.push_back(d);
        permuted.push_back(sizes[c]);
      }
    for (char c : all)
      aligned.push_back(term.contains(c) ? sizes[c] : 1);
    Value v = n.operand(i);
    if (!llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
      v = onnxir::TransposeOp::create(n.builder, n.loc,
                                      RankedTensorType::get(permuted, elementType), v,
                                      n.builder.getDenseI64ArrayAttr(perm));
    v = onnxir::ReshapeOp::create(n.builder, n.loc, RankedTensorType::get(aligned, elementType),
                                  v);
    if (!product) {
      product = v;
      continue;
    }
    SmallVector<int64_t> shape;
    for (auto [a, b] : llvm::zip(cast<RankedTensorType>(product.getType()).getShape(), aligned))
      shape.push_back(std::max(a, b));
    product = onnxir::MulOp::create(n.builder, n.loc, RankedTensorType::get(shape, elementType),
                                    product, v);
  }
  SmallVector<int64_t> summed =
      llvm::to_vector(llvm::seq<int64_t>(output.size(), all.size()));
  auto productType = cast<RankedTensorType>(product.getType());
  SmallVector<int64_t> outShape(productType.getShape().take_front(output.size()));
  auto outType = RankedTensorType::get(outShape, elementType);
  if (summed.empty())
    product = onnxir::ReshapeOp::create(n.builder, n.loc, outType, product);
  else
    product = onnxir::ReduceSumOp::create(n.builder, n.loc, outType, product,
                                          n.builder.getDenseI64ArrayAttr(summed),
                                          n.builder.getBoolAttr(false));
  results.push_back(product);
  return success();
}

/// Gemm from opset 7: C broadcasts; from 11 it is optional (read the same way). Before 7
/// (`legacyBroadcast`), C broadcasts only with the `broadcast` attribute set.
LogicalResult importGemm(NodeImporter &n, SmallVectorImpl<Value> &results,
                         bool legacyBroadcast) {
  RankedTensorType a = n.operandType(0), b = n.operandType(1), c = n.operandType(2);
  if (!a || !b)
    return n.emitError() << "expects inputs A and B";
  bool transA = n.getInt("transA", 0) != 0, transB = n.getInt("transB", 0) != 0;
  auto shape = onnxir::GemmOp::inferShape(a, b, transA, transB, [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  if (c && legacyBroadcast && n.getInt("broadcast", 0) == 0 &&
      c.getShape() != ArrayRef<int64_t>(*shape))
    return n.emitError() << "C of type " << c << " needs broadcast = 1 to broadcast to "
                         << (*shape)[0] << "x" << (*shape)[1];
  auto type = RankedTensorType::get(*shape, a.getElementType());
  results.push_back(onnxir::GemmOp::create(
      n.builder, n.loc, type, n.operand(0), n.operand(1), n.operand(2),
      n.builder.getF32FloatAttr(n.getFloat("alpha", 1.0f)),
      n.builder.getF32FloatAttr(n.getFloat("beta", 1.0f)), n.builder.getBoolAttr(transA),
      n.builder.getBoolAttr(transB)));
  return success();
}

/// A per-spatial-dim attribute (`strides`, `dilations`, ...): `rank` entries, or
/// `defaultValue` repeated when absent.
FailureOr<SmallVector<int64_t>> spatialAttr(NodeImporter &n, StringRef name, int64_t rank,
                                            int64_t defaultValue) {
  if (!n.hasAttr(name))
    return SmallVector<int64_t>(rank, defaultValue);
  SmallVector<int64_t> values = n.getInts(name);
  if (static_cast<int64_t>(values.size()) != rank)
    return n.emitError() << "expects " << rank << " '" << name << "' entries, got "
                         << values.size();
  return values;
}

/// The explicit pads (begins, then ends) of a convolution or pooling node, resolving
/// `auto_pad`. `window` is the dilated kernel extent of each spatial dim.
FailureOr<SmallVector<int64_t>> resolvePads(NodeImporter &n, ArrayRef<int64_t> spatial,
                                            ArrayRef<int64_t> window,
                                            ArrayRef<int64_t> strides) {
  int64_t rank = spatial.size();
  std::string autoPad = n.getString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    if (!n.hasAttr("pads"))
      return SmallVector<int64_t>(2 * rank, 0);
    SmallVector<int64_t> pads = n.getInts("pads");
    if (static_cast<int64_t>(pads.size()) != 2 * rank)
      return n.emitError() << "expects " << 2 * rank << " 'pads' entries, got "
                           << pads.size();
    if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
      return n.emitError() << "expects non-negative pads";
    return pads;
  }
  if (autoPad == "VALID")
    return SmallVector<int64_t>(2 * rank, 0);
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return n.emitError() << "unsupported auto_pad '" << autoPad << "'";
  // SAME: the output has ceil(input / stride) positions; the odd pad goes at the end
  // (SAME_UPPER) or at the beginning (SAME_LOWER).
  SmallVector<int64_t> pads(2 * rank, 0);
  for (int64_t i = 0; i < rank; ++i) {
    int64_t out = (spatial[i] + strides[i] - 1) / strides[i];
    int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] + window[i] - spatial[i]);
    int64_t small = total / 2;
    pads[i] = autoPad == "SAME_UPPER" ? small : total - small;
    pads[i + rank] = total - pads[i];
  }
  return pads;
}

/// Kernel shape of a convolution: the weight's spatial dims; `kernel_shape`, if given, must
/// agree.
LogicalResult checkKernelShape(NodeImporter &n, RankedTensorType weight) {
  if (!n.hasAttr("kernel_shape"))
    return success();
  SmallVector<int64_t> kernel = n.getInts("kernel_shape");
  if (ArrayRef<int64_t>(kernel) != weight.getShape().drop_front(2))
    return n.emitError() << "kernel_shape does not match the weight " << weight;
  return success();
}

/// What Conv and ConvTranspose nodes read alike: the spatial rank, strides and dilations.
struct ConvAttrs {
  int64_t rank;
  SmallVector<int64_t> strides, dilations;
};

/// Checks the operands Conv and ConvTranspose share (X and W, of types `x` and `w`: the
/// node's first two inputs, or what ConvInteger widens them to) and reads their common
/// attributes.
FailureOr<ConvAttrs> readConvAttrs(NodeImporter &n, RankedTensorType x, RankedTensorType w) {
  if (!x || !w)
    return n.emitError() << "expects inputs X and W";
  if (!isa<FloatType>(x.getElementType()))
    return n.emitError() << "expects a floating-point input, got " << x;
  if (x.getRank() < 3 || w.getRank() != x.getRank())
    return n.emitError() << "expects X of rank 3 or more and W of the same rank, got " << x
                         << " and " << w;
  if (failed(checkKernelShape(n, w)))
    return failure();
  int64_t rank = x.getRank() - 2;
  auto strides = spatialAttr(n, "strides", rank, 1);
  auto dilations = spatialAttr(n, "dilations", rank, 1);
  if (failed(strides) || failed(dilations))
    return failure();
  return ConvAttrs{rank, *strides, *dilations};
}

/// A convolution of `input` by `weight` (plus `bias`, optional) with the node's attributes.
FailureOr<Value> buildConv(NodeImporter &n, Value input, Value weight, Value bias) {
  auto x = cast<RankedTensorType>(input.getType()), w = cast<RankedTensorType>(weight.getType());
  auto attrs = readConvAttrs(n, x, w);
  if (failed(attrs))
    return failure();
  SmallVector<int64_t> window;
  for (int64_t i = 0; i < attrs->rank; ++i)
    window.push_back((w.getDimSize(i + 2) - 1) * attrs->dilations[i] + 1);
  auto pads = resolvePads(n, x.getShape().drop_front(2), window, attrs->strides);
  if (failed(pads))
    return failure();
  int64_t group = n.getInt("group", 1);
  auto shape = onnxir::ConvOp::inferShape(x.getShape(), w.getShape(), attrs->strides, *pads,
                                          attrs->dilations, group, [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  auto type = RankedTensorType::get(*shape, x.getElementType());
  OpBuilder &b = n.builder;
  return Value(onnxir::ConvOp::create(b, n.loc, type, input, weight, bias,
                                      b.getDenseI64ArrayAttr(attrs->strides),
                                      b.getDenseI64ArrayAttr(*pads),
                                      b.getDenseI64ArrayAttr(attrs->dilations),
                                      b.getI64IntegerAttr(group)));
}

LogicalResult importConv(NodeImporter &n, SmallVectorImpl<Value> &results) {
  if (!n.operand(0) || !n.operand(1))
    return n.emitError() << "expects inputs X and W";
  auto conv = buildConv(n, n.operand(0), n.operand(1), n.operand(2));
  if (failed(conv))
    return failure();
  results.push_back(*conv);
  return success();
}

/// ConvInteger 10: (x - x_zero_point) conv (w - w_zero_point) as int32. The convolution runs
/// in float64 on the widened operands, which is exact: each product of two 8-bit values is
/// below 2^17, so sums stay integers below 2^53 for any kernel of fewer than 2^36 terms.
LogicalResult importConvInteger(NodeImporter &n, SmallVectorImpl<Value> &results) {
  Type f64 = n.builder.getF64Type();
  auto x = widenMinusZeroPoint(n, 0, 2, "x", f64);
  if (failed(x))
    return failure();
  auto w = widenMinusZeroPoint(n, 1, 3, "w", f64);
  if (failed(w))
    return failure();
  auto conv = buildConv(n, *x, *w, Value());
  if (failed(conv))
    return failure();
  auto type = cast<RankedTensorType>(conv->getType()).clone(n.builder.getI32Type());
  results.push_back(onnxir::CastOp::create(n.builder, n.loc, type, *conv));
  return success();
}

/// ConvTranspose: `output_shape` and `auto_pad` become explicit (possibly negative) pads.
LogicalResult importConvTranspose(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType x = n.operandType(0), w = n.operandType(1);
  auto attrs = readConvAttrs(n, x, w);
  if (failed(attrs))
    return failure();
  int64_t rank = attrs->rank;
  SmallVector<int64_t> &strides = attrs->strides, &dilations = attrs->dilations;
  auto outputPadding = spatialAttr(n, "output_padding", rank, 0);
  if (failed(outputPadding))
    return failure();
  std::string autoPad = n.getString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return n.emitError() << "unsupported auto_pad '" << autoPad << "'";

  // The size each spatial dim would have without padding.
  SmallVector<int64_t> full;
  for (int64_t i = 0; i < rank; ++i)
    full.push_back(strides[i] * (x.getDimSize(i + 2) - 1) + (*outputPadding)[i] +
                   (w.getDimSize(i + 2) - 1) * dilations[i] + 1);

  SmallVector<int64_t> pads(2 * rank, 0);
  SmallVector<int64_t> outputShape = n.getInts("output_shape");
  if (!outputShape.empty() || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    if (outputShape.empty()) {
      for (int64_t i = 0; i < rank; ++i)
        outputShape.push_back(x.getDimSize(i + 2) * strides[i]);
    }
    // output_shape may also list N and C.
    if (static_cast<int64_t>(outputShape.size()) == rank + 2)
      outputShape.erase(outputShape.begin(), outputShape.begin() + 2);
    if (static_cast<int64_t>(outputShape.size()) != rank)
      return n.emitError() << "expects " << rank << " 'output_shape' entries, got "
                           << outputShape.size();
    // As ONNX specifies: the odd pad goes at the end for SAME_UPPER, else at the beginning.
    // An output_shape larger than the unpadded size grows the end (as onnxruntime does).
    for (int64_t i = 0; i < rank; ++i) {
      int64_t total = full[i] - outputShape[i];
      int64_t half = total / 2;
      pads[i] = total < 0 ? 0 : autoPad == "SAME_UPPER" ? half : total - half;
      pads[i + rank] = total - pads[i];
    }
  } else if (autoPad == "NOTSET" && n.hasAttr("pads")) {
    pads = n.getInts("pads");
    if (static_cast<int64_t>(pads.size()) != 2 * rank)
      return n.emitError() << "expects " << 2 * rank << " 'pads' entries, got "
                           << pads.size();
  }
  int64_t group = n.getInt("group", 1);
  auto shape =
      onnxir::ConvTransposeOp::inferShape(x.getShape(), w.getShape(), strides, pads, dilations,
                                          *outputPadding, group, [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  auto type = RankedTensorType::get(*shape, x.getElementType());
  OpBuilder &b = n.builder;
  results.push_back(onnxir::ConvTransposeOp::create(
      b, n.loc, type, n.operand(0), n.operand(1), n.operand(2), b.getDenseI64ArrayAttr(strides),
      b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(dilations),
      b.getDenseI64ArrayAttr(*outputPadding), b.getI64IntegerAttr(group)));
  return success();
}

/// What a pooling node's attributes resolve to, and the result shape they give.
struct PoolAttrs {
  SmallVector<int64_t> kernel, strides, pads, dilations;
  bool ceilMode = false;
  SmallVector<int64_t> shape;
};

/// Reads MaxPool / AveragePool attributes and infers the result shape. Every opset reads the same
/// way: attributes an opset lacks (`ceil_mode`, `dilations` before 10) are refused by the ONNX
/// checker.
FailureOr<PoolAttrs> readPoolAttrs(NodeImporter &n) {
  RankedTensorType x = n.operandType(0);
  if (!x)
    return n.emitError() << "expects an input X";
  if (x.getRank() < 3)
    return n.emitError() << "expects X of rank 3 or more (N, C, spatial dims), got " << x;
  int64_t rank = x.getRank() - 2;
  PoolAttrs attrs;
  attrs.kernel = n.getInts("kernel_shape");
  if (static_cast<int64_t>(attrs.kernel.size()) != rank)
    return n.emitError() << "expects " << rank << " 'kernel_shape' entries, got "
                         << attrs.kernel.size();
  auto strides = spatialAttr(n, "strides", rank, 1);
  auto dilations = spatialAttr(n, "dilations", rank, 1);
  if (failed(strides) || failed(dilations))
    return failure();
  attrs.strides = *strides;
  attrs.dilations = *dilations;
  SmallVector<int64_t> window;
  for (int64_t i = 0; i < rank; ++i)
    window.push_back((attrs.kernel[i] - 1) * attrs.dilations[i] + 1);
  auto pads = resolvePads(n, x.getShape().drop_front(2), window, attrs.strides);
  if (failed(pads))
    return failure();
  attrs.pads = *pads;
  // ceil_mode only matters for explicit pads: auto_pad fixes the output size.
  attrs.ceilMode =
      n.getInt("ceil_mode", 0) != 0 && n.getString("auto_pad", "NOTSET") == "NOTSET";
  auto shape =
      onnxir::inferPoolShape(x.getShape(), attrs.kernel, attrs.strides, attrs.pads, attrs.dilations,
                             attrs.ceilMode, [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  attrs.shape = std::move(*shape);
  return attrs;
}

LogicalResult importMaxPool(NodeImporter &n, SmallVectorImpl<Value> &results) {
  bool wantIndices = n.numResults() > 1 && !n.node.output(1).empty();
  int64_t storageOrder = n.getInt("storage_order", 0);
  if (storageOrder != 0 && storageOrder != 1)
    return n.emitError() << "unsupported storage_order " << storageOrder
                         << " (expects 0 or 1)";
  auto attrs = readPoolAttrs(n);
  if (failed(attrs))
    return failure();
  RankedTensorType x = n.operandType(0);
  ArrayRef<int64_t> shape = attrs->shape;
  OpBuilder &b = n.builder;
  Type indicesType = wantIndices ? RankedTensorType::get(shape, b.getI64Type()) : Type();
  auto op = onnxir::MaxPoolOp::create(
      b, n.loc, RankedTensorType::get(shape, x.getElementType()), indicesType, n.operand(0),
      b.getDenseI64ArrayAttr(attrs->kernel), b.getDenseI64ArrayAttr(attrs->strides),
      b.getDenseI64ArrayAttr(attrs->pads), b.getDenseI64ArrayAttr(attrs->dilations),
      b.getBoolAttr(attrs->ceilMode), b.getI64IntegerAttr(storageOrder));
  results.push_back(op.getResult());
  if (n.numResults() > 1)
    results.push_back(wantIndices ? op.getIndices() : Value());
  return success();
}

/// AveragePool (`count_include_pad` from opset 7, `ceil_mode` from 10).
LogicalResult importAveragePool(NodeImporter &n, SmallVectorImpl<Value> &results) {
  auto attrs = readPoolAttrs(n);
  if (failed(attrs))
    return failure();
  RankedTensorType x = n.operandType(0);
  ArrayRef<int64_t> shape = attrs->shape;
  OpBuilder &b = n.builder;
  results.push_back(onnxir::AveragePoolOp::create(
      b, n.loc, RankedTensorType::get(shape, x.getElementType()), n.operand(0),
      b.getDenseI64ArrayAttr(attrs->kernel), b.getDenseI64ArrayAttr(attrs->strides),
      b.getDenseI64ArrayAttr(attrs->pads), b.getDenseI64ArrayAttr(attrs->dilations),
      b.getBoolAttr(attrs->ceilMode), b.getBoolAttr(n.getInt("count_include_pad", 0) != 0)));
  return success();
}

template <typename OpTy>
LogicalResult importGlobalPool(NodeImporter &n, SmallVectorImpl<Value> &results) {
  RankedTensorType x = n.operandType(0);
  if (!x)
    return n.emitError() << "expects an input X";
  auto shape = onnxir::inferGlobalPoolShape(x, [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  results.push_back(OpTy::create(n.builder, n.loc,
                                 RankedTensorType::get(*shape, x.getElementType()), n.operand(0)));
  return success();
}

} // namespace

void cleave::populateNNImporters(OpImporterRegistry &registry) {
  registry.add("MatMul", 1, importMatMul);
  registry.add("Einsum", 12, importEinsum);
  registry.add("Gemm", 1, [](NodeImporter &n, SmallVectorImpl<Value> &results) {
    return importGemm(n, results, /*legacyBroadcast=*/true);
  });
  registry.add("Gemm", 7, [](NodeImporter &n, SmallVectorImpl<Value> &results) {
    return importGemm(n, results, /*legacyBroadcast=*/false);
  });
  registry.add("Conv", 1, importConv);
  registry.add("ConvInteger", 10, importConvInteger);
  registry.add("ConvTranspose", 1, importConvTranspose);
  registry.add("MaxPool", 1, importMaxPool);
  registry.add("AveragePool", 1, importAveragePool);
  registry.add("GlobalAveragePool", 1, importGlobalPool<onnxir::GlobalAveragePoolOp>);
  registry.add("GlobalMaxPool", 1, importGlobalPool<onnxir::GlobalMaxPoolOp>);
}
