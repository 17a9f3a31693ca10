// ONNX import patterns: shape and data-movement ops.
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace cleave;

namespace {

using Results = SmallVectorImpl<Value>;

/// The static type ONNX shape inference gave output `i`, with `elementType`; used where an
/// input that decides a shape (axes, repeats, sizes) is only known at run time but the
/// shape is not. Emits an error naming `what` and returns null when there is none.
RankedTensorType inferredOrError(NodeImporter &n, size_t i, Type elementType, StringRef what) {
  RankedTensorType type = n.inferredType(i);
  if (!type || !type.hasStaticShape()) {
    n.emitError() << "the " << what
                  << " input must be a compile-time constant (the output shape depends on it)";
    return {};
  }
  return RankedTensorType::get(type.getShape(), elementType);
}

/// Replaces `type` by the one its node must have at this import's batch when its shape
/// hard-codes the export batch (NodeImporter::rebatchedShape, broadcast layout).
LogicalResult rebatch(NodeImporter &n, RankedTensorType &type) {
  auto rebatched = n.rebatchedShape(type.getShape(), BatchLayout::Broadcast);
  if (failed(rebatched))
    return failure();
  if (*rebatched)
    type = RankedTensorType::get(**rebatched, type.getElementType());
  return success();
}

/// The constant integer values of input `i`; std::nullopt when absent or not constant.
std::optional<SmallVector<int64_t>> constantInput(NodeImporter &n, size_t i) {
  return n.operand(i) ? n.getConstantInts(n.operand(i)) : std::nullopt;
}

//===----------------------------------------------------------------------===//
// Reshape, Flatten, Squeeze, Unsqueeze: all become onnx.reshape
//===----------------------------------------------------------------------===//

LogicalResult reshapeTo(NodeImporter &n, ArrayRef<int64_t> target, Results &results) {
  RankedTensorType in = n.operandType(0);
  bool allowZero = n.getInt("allowzero", 0) != 0;
  SmallVector<int64_t> shape;
  int64_t inferIndex = -1, known = 1;
  for (auto [i, entry] : llvm::enumerate(target)) {
    int64_t d = entry;
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
    if (llvm::MulOverflow(known, d, known))
      return n.emitError() << "shape has more elements than 64 bits can count";
  }
  if (inferIndex >= 0) {
    if (known == 0 || in.getNumElements() % known != 0)
      return n.emitError() << "cannot infer the -1 dim of the shape for " << in;
    shape[inferIndex] = in.getNumElements() / known;
  }
  auto rebatched = n.rebatchedShape(shape, BatchLayout::Reshape);
  if (failed(rebatched))
    return failure();
  if (*rebatched)
    shape = std::move(**rebatched);
  // The op's verifier checks that the element count is kept.
  auto type = RankedTensorType::get(shape, in.getElementType());
  results.push_back(onnxir::ReshapeOp::create(n.builder, n.loc, type, n.operand(0)));
  return success();
}

/// Reshape-1: the target shape is the `shape` attribute.
LogicalResult importReshapeV1(NodeImporter &n, Results &results) {
  if (!n.operandType(0))
    return n.emitError() << "expects a data input";
  return reshapeTo(n, n.getInts("shape"), results);
}

/// Reshape-5: the target shape is an input; ONNX shape inference decides it when the input
/// is only known at run time.
LogicalResult importReshape(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in || !n.operand(1))
    return n.emitError() << "expects data and shape inputs";
  if (auto target = constantInput(n, 1))
    return reshapeTo(n, *target, results);
  RankedTensorType type = inferredOrError(n, 0, in.getElementType(), "shape");
  if (!type)
    return failure();
  results.push_back(onnxir::ReshapeOp::create(n.builder, n.loc, type, n.operand(0)));
  return success();
}

LogicalResult importFlatten(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  int64_t axis = n.getInt("axis", 1);
  if (axis < 0)
    axis += in.getRank();
  if (axis < 0 || axis > in.getRank())
    return n.emitError() << "axis " << n.getInt("axis", 1) << " is out of range for rank "
                         << in.getRank();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < in.getRank(); ++d)
    (d < axis ? outer : inner) *= in.getDimSize(d);
  auto type = RankedTensorType::get({outer, inner}, in.getElementType());
  results.push_back(onnxir::ReshapeOp::create(n.builder, n.loc, type, n.operand(0)));
  return success();
}

/// Squeeze with `axes` (from the attribute or a constant input; none = every unit dim).
LogicalResult squeeze(NodeImporter &n, std::optional<SmallVector<int64_t>> axes, Results &results) {
  RankedTensorType in = n.operandType(0);
  SmallVector<bool> drop(in.getRank(), false);
  if (!axes || axes->empty()) {
    for (int64_t d = 0; d < in.getRank(); ++d)
      drop[d] = in.getDimSize(d) == 1;
  }
  for (int64_t axis : axes ? *axes : SmallVector<int64_t>{}) {
    auto d = onnxir::normalizeAxis(axis, in.getRank());
    if (!d)
      return n.emitError() << "axis " << axis << " is out of range for rank " << in.getRank();
    if (in.getDimSize(*d) != 1)
      return n.emitError() << "cannot squeeze dim " << *d << " of size " << in.getDimSize(*d);
    drop[*d] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (!drop[d])
      shape.push_back(in.getDimSize(d));
  auto type = RankedTensorType::get(shape, in.getElementType());
  results.push_back(onnxir::ReshapeOp::create(n.builder, n.loc, type, n.operand(0)));
  return success();
}

LogicalResult importSqueezeV1(NodeImporter &n, Results &results) {
  if (!n.operandType(0))
    return n.emitError() << "expects a data input";
  return squeeze(n, n.getInts("axes"), results);
}

LogicalResult importSqueeze(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects a data input";
  if (!n.operand(1))
    return squeeze(n, std::nullopt, results);
  if (auto axes = constantInput(n, 1))
    return squeeze(n, axes, results);
  RankedTensorType type = inferredOrError(n, 0, in.getElementType(), "axes");
  if (!type)
    return failure();
  results.push_back(onnxir::ReshapeOp::create(n.builder, n.loc, type, n.operand(0)));
  return success();
}

LogicalResult unsqueeze(NodeImporter &n, ArrayRef<int64_t> axes, Results &results) {
  RankedTensorType in = n.operandType(0);
  int64_t rank = in.getRank() + axes.size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t axis : axes) {
    auto d = onnxir::normalizeAxis(axis, rank);
    if (!d)
      return n.emitError() << "axis " << axis << " is out of range for rank " << rank;
    if (inserted[*d])
      return n.emitError() << "axis " << axis << " is repeated";
    inserted[*d] = true;
  }
  SmallVector<int64_t> shape;
  int64_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(inserted[d] ? 1 : in.getDimSize(next++));
  auto type = RankedTensorType::get(shape, in.getElementType());
  results.push_back(onnxir::ReshapeOp::create(n.builder, n.loc, type, n.operand(0)));
  return success();
}

LogicalResult importUnsqueezeV1(NodeImporter &n, Results &results) {
  if (!n.operandType(0))
    return n.emitError() << "expects a data input";
  return unsqueeze(n, n.getInts("axes"), results);
}

LogicalResult importUnsqueeze(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in || !n.operand(1))
    return n.emitError() << "expects data and axes inputs";
  if (auto axes = constantInput(n, 1))
    return unsqueeze(n, *axes, results);
  RankedTensorType type = inferredOrError(n, 0, in.getElementType(), "axes");
  if (!type)
    return failure();
  results.push_back(onnxir::ReshapeOp::create(n.builder, n.loc, type, n.operand(0)));
  return success();
}

LogicalResult importTranspose(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  SmallVector<int64_t> perm = n.getInts("perm");
  if (perm.empty())
    for (int64_t i = in.getRank() - 1; i >= 0; --i)
      perm.push_back(i);
  auto shape = onnxir::TransposeOp::inferShape(in.getShape(), perm, [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  auto type = RankedTensorType::get(*shape, in.getElementType());
  results.push_back(onnxir::TransposeOp::create(n.builder, n.loc, type, n.operand(0),
                                                n.builder.getDenseI64ArrayAttr(perm)));
  return success();
}

//===----------------------------------------------------------------------===//
// Concat, Split, Slice
//===----------------------------------------------------------------------===//

LogicalResult importConcat(NodeImporter &n, Results &results) {
  RankedTensorType first = n.operandType(0);
  if (!first)
    return n.emitError() << "expects at least one input";
  if (!n.hasAttr("axis"))
    return n.emitError() << "expects an axis attribute";
  int64_t axis = n.getInt("axis", 0);
  auto d = onnxir::normalizeAxis(axis, first.getRank());
  if (!d || first.getRank() == 0)
    return n.emitError() << "axis " << axis << " is out of range for rank " << first.getRank();
  SmallVector<Value> inputs;
  for (size_t i = 0; i < n.numOperands(); ++i) {
    if (!n.operand(i))
      return n.emitError() << "input " << i << " is missing";
    inputs.push_back(n.operand(i));
  }
  auto shape = onnxir::ConcatOp::inferShape(ValueRange(inputs).getTypes(), *d,
                                            [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  auto type = RankedTensorType::get(*shape, first.getElementType());
  results.push_back(onnxir::ConcatOp::create(n.builder, n.loc, type, inputs, *d));
  return success();
}

/// Emits a unit-step slice of `size` elements from `offset` along `axis` of the data input.
Value sliceAlong(NodeImporter &n, int64_t axis, int64_t offset, int64_t size) {
  RankedTensorType in = n.operandType(0);
  SmallVector<int64_t> shape(in.getShape()), starts(in.getRank(), 0), steps(in.getRank(), 1);
  shape[axis] = size;
  starts[axis] = size == 0 ? 0 : offset;
  auto type = RankedTensorType::get(shape, in.getElementType());
  return onnxir::SliceOp::create(n.builder, n.loc, type, n.operand(0),
                                 n.builder.getDenseI64ArrayAttr(starts),
                                 n.builder.getDenseI64ArrayAttr(steps));
}

/// Split with explicit sizes (`split`, when given) or into equal parts.
LogicalResult split(NodeImporter &n, std::optional<SmallVector<int64_t>> sizes, Results &results) {
  RankedTensorType in = n.operandType(0);
  int64_t axis = n.getInt("axis", 0);
  auto d = onnxir::normalizeAxis(axis, in.getRank());
  if (!d || in.getRank() == 0)
    return n.emitError() << "axis " << axis << " is out of range for rank " << in.getRank();
  int64_t dim = in.getDimSize(*d), parts = n.numResults();
  if (!sizes || sizes->empty()) {
    if (parts == 0 || dim % parts != 0)
      return n.emitError() << "cannot split dim " << *d << " of size " << dim << " into " << parts
                           << " equal parts";
    sizes = SmallVector<int64_t>(parts, dim / parts);
  }
  if (static_cast<int64_t>(sizes->size()) != parts)
    return n.emitError() << "split has " << sizes->size() << " entries for " << parts << " outputs";
  int64_t offset = 0;
  for (int64_t size : *sizes) {
    if (size < 0 || offset + size > dim)
      return n.emitError() << "split sizes do not fit dim " << *d << " of size " << dim;
    results.push_back(sliceAlong(n, *d, offset, size));
    offset += size;
  }
  if (offset != dim)
    return n.emitError() << "split sizes add up to " << offset << ", the dim has " << dim;
  return success();
}

LogicalResult importSplitV1(NodeImporter &n, Results &results) {
  if (!n.operandType(0))
    return n.emitError() << "expects a data input";
  if (n.operand(1)) {
    auto sizes = constantInput(n, 1);
    if (!sizes)
      return n.emitError() << "the split input must be a compile-time constant";
    return split(n, sizes, results);
  }
  return split(n, n.getInts("split"), results);
}

LogicalResult importSplit(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects a data input";
  if (!n.operand(1))
    return split(n, std::nullopt, results);
  if (auto sizes = constantInput(n, 1))
    return split(n, sizes, results);
  // Run-time sizes: ONNX shape inference knows the outputs' shapes.
  SmallVector<int64_t> sizes;
  auto d = onnxir::normalizeAxis(n.getInt("axis", 0), in.getRank());
  for (size_t i = 0; i < n.numResults(); ++i) {
    RankedTensorType type = inferredOrError(n, i, in.getElementType(), "split");
    if (!type)
      return failure();
    if (!d || type.getRank() != in.getRank())
      return n.emitError() << "output " << i << " has unexpected type " << type;
    sizes.push_back(type.getDimSize(*d));
  }
  return split(n, sizes, results);
}

/// Slice with ONNX's starts/ends/axes/steps, resolved to in-range starts and sizes.
LogicalResult slice(NodeImporter &n, ArrayRef<int64_t> startList, ArrayRef<int64_t> endList,
                    SmallVector<int64_t> axes, SmallVector<int64_t> stepList, Results &results) {
  RankedTensorType in = n.operandType(0);
  int64_t rank = in.getRank();
  if (startList.size() != endList.size())
    return n.emitError() << "starts and ends differ in length";
  if (axes.empty())
    for (size_t i = 0; i < startList.size(); ++i)
      axes.push_back(i);
  if (stepList.empty())
    stepList.assign(startList.size(), 1);
  if (axes.size() != startList.size() || stepList.size() != startList.size())
    return n.emitError() << "starts, ends, axes and steps differ in length";
  SmallVector<int64_t> shape(in.getShape()), starts(rank, 0), steps(rank, 1);
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < startList.size(); ++i) {
    auto d = onnxir::normalizeAxis(axes[i], rank);
    if (!d)
      return n.emitError() << "axis " << axes[i] << " is out of range for rank " << rank;
    if (seen[*d])
      return n.emitError() << "axis " << axes[i] << " is repeated";
    seen[*d] = true;
    int64_t dim = in.getDimSize(*d), step = stepList[i];
    int64_t start = startList[i], end = endList[i];
    if (step == 0)
      return n.emitError() << "step of axis " << axes[i] << " is zero";
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    int64_t size;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      size = end > start ? (end - start + step - 1) / step : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      size = start > end ? (start - end - step - 1) / -step : 0;
    }
    shape[*d] = size;
    starts[*d] = size == 0 ? 0 : start;
    steps[*d] = size == 0 ? 1 : step;
  }
  auto type = RankedTensorType::get(shape, in.getElementType());
  results.push_back(onnxir::SliceOp::create(n.builder, n.loc, type, n.operand(0),
                                            n.builder.getDenseI64ArrayAttr(starts),
                                            n.builder.getDenseI64ArrayAttr(steps)));
  return success();
}

LogicalResult importSliceV1(NodeImporter &n, Results &results) {
  if (!n.operandType(0))
    return n.emitError() << "expects a data input";
  return slice(n, n.getInts("starts"), n.getInts("ends"), n.getInts("axes"), {}, results);
}

LogicalResult importSlice(NodeImporter &n, Results &results) {
  if (!n.operandType(0) || !n.operand(1) || !n.operand(2))
    return n.emitError() << "expects data, starts and ends inputs";
  auto starts = constantInput(n, 1), ends = constantInput(n, 2);
  auto axes = constantInput(n, 3), steps = constantInput(n, 4);
  if (!starts || !ends || (n.operand(3) && !axes) || (n.operand(4) && !steps))
    return n.emitError()
           << "the starts, ends, axes and steps inputs must be compile-time constants";
  return slice(n, *starts, *ends, axes.value_or(SmallVector<int64_t>{}),
               steps.value_or(SmallVector<int64_t>{}), results);
}

//===----------------------------------------------------------------------===//
// Gather, Expand, Tile
//===----------------------------------------------------------------------===//

LogicalResult importGather(NodeImporter &n, Results &results) {
  RankedTensorType data = n.operandType(0), indices = n.operandType(1);
  if (!data || !indices)
    return n.emitError() << "expects data and indices inputs";
  int64_t axis = n.getInt("axis", 0);
  auto d = onnxir::normalizeAxis(axis, data.getRank());
  if (!d || data.getRank() == 0)
    return n.emitError() << "axis " << axis << " is out of range for rank " << data.getRank();
  auto shape = onnxir::GatherOp::inferShape(data.getShape(), indices.getShape(), *d,
                                            [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  auto type = RankedTensorType::get(*shape, data.getElementType());
  results.push_back(
      onnxir::GatherOp::create(n.builder, n.loc, type, n.operand(0), n.operand(1), *d));
  return success();
}

LogicalResult importExpand(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in || !n.operand(1))
    return n.emitError() << "expects input and shape inputs";
  RankedTensorType type;
  if (auto target = constantInput(n, 1)) {
    auto shape = onnxir::broadcastShapes(in.getShape(), *target);
    if (!shape)
      return n.emitError() << "cannot broadcast " << in << " to shape [" << *target << "]";
    type = RankedTensorType::get(*shape, in.getElementType());
  } else if (!(type = inferredOrError(n, 0, in.getElementType(), "shape"))) {
    return failure();
  }
  if (failed(rebatch(n, type)))
    return failure();
  results.push_back(onnxir::ExpandOp::create(n.builder, n.loc, type, n.operand(0)));
  return success();
}

LogicalResult importTile(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in || !n.operand(1))
    return n.emitError() << "expects input and repeats inputs";
  RankedTensorType type;
  if (auto repeats = constantInput(n, 1)) {
    if (static_cast<int64_t>(repeats->size()) != in.getRank())
      return n.emitError() << "repeats has " << repeats->size() << " entries for a rank-"
                           << in.getRank() << " input";
    SmallVector<int64_t> shape;
    for (auto [dim, r] : llvm::zip(in.getShape(), *repeats)) {
      if (r < 0)
        return n.emitError() << "negative repeat " << r;
      shape.push_back(dim * r);
    }
    type = RankedTensorType::get(shape, in.getElementType());
  } else if (!(type = inferredOrError(n, 0, in.getElementType(), "repeats"))) {
    return failure();
  }
  if (failed(rebatch(n, type)))
    return failure();
  results.push_back(onnxir::TileOp::create(n.builder, n.loc, type, n.operand(0)));
  return success();
}

//===----------------------------------------------------------------------===//
// Shape, ConstantOfShape, Constant, Range: compile-time values
//===----------------------------------------------------------------------===//

/// Shape is always a constant: every shape is static after import.
LogicalResult importShape(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  int64_t rank = in.getRank();
  int64_t start = n.getInt("start", 0), end = n.getInt("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  SmallVector<int64_t> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(in.getDimSize(d));
  results.push_back(n.constantI64(dims));
  return success();
}

/// Size: the input's element count, a rank-0 i64 constant.
LogicalResult importSize(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects one input";
  results.push_back(n.constantI64({in.getNumElements()}, ArrayRef<int64_t>{}));
  return success();
}

LogicalResult importConstantOfShape(NodeImporter &n, Results &results) {
  if (!n.operand(0))
    return n.emitError() << "expects a shape input";
  TypedAttr value = n.builder.getF32FloatAttr(0.0f);
  if (n.hasAttr("value")) {
    DenseElementsAttr tensor = n.getTensor("value");
    if (!tensor || tensor.getNumElements() != 1)
      return n.emitError() << "the value attribute must be a one-element tensor of a "
                              "supported type";
    value = cast<TypedAttr>(*tensor.getValues<Attribute>().begin());
  }
  RankedTensorType type;
  if (auto shape = constantInput(n, 0)) {
    if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
      return n.emitError() << "negative dim in shape [" << *shape << "]";
    type = RankedTensorType::get(*shape, value.getType());
  } else if (!(type = inferredOrError(n, 0, value.getType(), "shape"))) {
    return failure();
  }
  results.push_back(onnxir::ConstantOfShapeOp::create(n.builder, n.loc, type, value));
  return success();
}

/// Constant-12's scalar and list forms (`value` itself is imported like an initializer).
LogicalResult importConstant(NodeImporter &n, Results &results) {
  Builder &b = n.builder;
  DenseElementsAttr attr;
  if (n.hasAttr("value_float")) {
    attr = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                  n.getFloat("value_float", 0));
  } else if (n.hasAttr("value_floats")) {
    SmallVector<float> values = n.getFloats("value_floats");
    attr = DenseElementsAttr::get(RankedTensorType::get({(int64_t)values.size()}, b.getF32Type()),
                                  ArrayRef(values));
  } else if (n.hasAttr("value_int")) {
    attr =
        DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()), n.getInt("value_int", 0));
  } else if (n.hasAttr("value_ints")) {
    SmallVector<int64_t> values = n.getInts("value_ints");
    attr = DenseElementsAttr::get(RankedTensorType::get({(int64_t)values.size()}, b.getI64Type()),
                                  ArrayRef(values));
  } else {
    StringRef which = n.hasAttr("sparse_value")    ? "sparse_value"
                      : n.hasAttr("value_string")  ? "value_string"
                      : n.hasAttr("value_strings") ? "value_strings"
                                                   : "";
    if (which.empty())
      return n.emitError() << "has no value attribute";
    return n.emitError() << "attribute '" << which << "' is not supported";
  }
  results.push_back(onnxir::ConstantOp::create(n.builder, n.loc, attr));
  return success();
}

LogicalResult importRange(NodeImporter &n, Results &results) {
  RankedTensorType startType = n.operandType(0);
  if (!startType || !n.operand(1) || !n.operand(2))
    return n.emitError() << "expects start, limit and delta inputs";
  auto start = n.getConstantFloats(n.operand(0)), limit = n.getConstantFloats(n.operand(1));
  auto delta = n.getConstantFloats(n.operand(2));
  RankedTensorType type;
  if (start && limit && delta && start->size() == 1 && limit->size() == 1 && delta->size() == 1) {
    if ((*delta)[0] == 0)
      return n.emitError() << "delta is zero";
    double count = std::ceil(((*limit)[0] - (*start)[0]) / (*delta)[0]);
    type = RankedTensorType::get({std::max<int64_t>(0, static_cast<int64_t>(count))},
                                 startType.getElementType());
  } else if (!(type = inferredOrError(n, 0, startType.getElementType(),
                                      "start, limit and "
                                      "delta"))) {
    return failure();
  }
  results.push_back(
      onnxir::RangeOp::create(n.builder, n.loc, type, n.operand(0), n.operand(1), n.operand(2)));
  return success();
}

//===----------------------------------------------------------------------===//
// Pad, Trilu
//===----------------------------------------------------------------------===//

LogicalResult pad(NodeImporter &n, ArrayRef<int64_t> pads, Value value, Results &results) {
  RankedTensorType in = n.operandType(0);
  std::string mode = n.getString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return n.emitError() << "mode '" << mode << "' is not supported";
  auto shape = onnxir::PadOp::inferShape(in.getShape(), pads, [&] { return n.emitError(); });
  if (failed(shape))
    return failure();
  auto type = RankedTensorType::get(*shape, in.getElementType());
  results.push_back(onnxir::PadOp::create(
      n.builder, n.loc, type, n.operand(0), mode == "constant" ? value : Value(),
      n.builder.getDenseI64ArrayAttr(pads), n.builder.getStringAttr(mode)));
  return success();
}

/// Pad-2: `pads` and `value` are attributes.
LogicalResult importPadV2(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects a data input";
  Value value;
  if (float v = n.getFloat("value", 0.0f); v != 0.0f)
    value = n.constantScalar(in.getElementType(), v);
  return pad(n, n.getInts("pads"), value, results);
}

/// Pad-11: `pads` and `constant_value` are inputs; the value may be a run-time scalar.
LogicalResult importPad(NodeImporter &n, Results &results) {
  if (!n.operandType(0) || !n.operand(1))
    return n.emitError() << "expects data and pads inputs";
  auto pads = constantInput(n, 1);
  if (!pads)
    return n.emitError() << "the pads input must be a compile-time constant";
  return pad(n, *pads, n.operand(2), results);
}

LogicalResult importTrilu(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects a data input";
  results.push_back(onnxir::TriluOp::create(n.builder, n.loc, in, n.operand(0), n.operand(1),
                                            n.getInt("upper", 1) != 0));
  return success();
}

//===----------------------------------------------------------------------===//
// Resize, Upsample
//===----------------------------------------------------------------------===//

struct ResizeModes {
  std::string mode, coordinates, nearest;
  float cubicCoeffA = -0.75f;
  bool excludeOutside = false;
  float extrapolationValue = 0.0f;
};

/// Builds onnx.resize from constant `scales`, constant `sizes`, or a run-time `scalesValue`
/// (whose output shape ONNX shape inference gives).
LogicalResult resize(NodeImporter &n, const ResizeModes &modes, Value scalesValue, Value sizesValue,
                     Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!llvm::is_contained({"nearest", "linear", "cubic"}, modes.mode))
    return n.emitError() << "mode '" << modes.mode << "' is not supported";
  if (!llvm::is_contained({"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                           "tf_half_pixel_for_nn", "tf_crop_and_resize"},
                          modes.coordinates))
    return n.emitError() << "coordinate_transformation_mode '" << modes.coordinates
                         << "' is not supported";
  if (!llvm::is_contained({"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"},
                          modes.nearest))
    return n.emitError() << "nearest_mode '" << modes.nearest << "' is not supported";
  if (modes.mode != "nearest" && !isa<FloatType>(in.getElementType()))
    return n.emitError() << modes.mode << " mode needs a float input, got " << in;

  int64_t rank = in.getRank();
  // tf_crop_and_resize crops to the roi input: starts of every dim, then ends.
  DenseF32ArrayAttr roiAttr;
  SmallVector<float> roi;
  if (modes.coordinates == "tf_crop_and_resize") {
    std::optional<SmallVector<double>> values;
    if (Value roiValue = n.operand(1))
      values = n.getConstantFloats(roiValue);
    if (!values)
      return n.emitError() << "tf_crop_and_resize needs a constant roi input";
    if (static_cast<int64_t>(values->size()) != 2 * rank)
      return n.emitError() << "roi has " << values->size() << " entries for a rank-" << rank
                           << " input";
    for (double v : *values)
      roi.push_back(static_cast<float>(v));
    roiAttr = n.builder.getDenseF32ArrayAttr(roi);
  }
  auto scalesType = RankedTensorType::get({rank}, n.builder.getF32Type());
  SmallVector<int64_t> shape;
  Value scales;
  if (sizesValue) {
    auto sizes = n.getConstantInts(sizesValue);
    RankedTensorType type;
    if (sizes)
      type = RankedTensorType::get(*sizes, in.getElementType());
    else if (!(type = inferredOrError(n, 0, in.getElementType(), "sizes")))
      return failure();
    if (type.getRank() != rank)
      return n.emitError() << "sizes has " << type.getRank() << " entries for a rank-" << rank
                           << " input";
    shape.assign(type.getShape().begin(), type.getShape().end());
    SmallVector<float> values;
    for (int64_t d = 0; d < rank; ++d)
      values.push_back(in.getDimSize(d) == 0 ? 1.0f
                                             : static_cast<float>(shape[d]) / in.getDimSize(d));
    scales = onnxir::ConstantOp::create(n.builder, n.loc,
                                        DenseElementsAttr::get(scalesType, ArrayRef(values)));
  } else {
    RankedTensorType given = cast<RankedTensorType>(scalesValue.getType());
    if (given.getNumElements() != rank || !given.getElementType().isF32())
      return n.emitError() << "expects " << rank << " f32 scales, got " << given;
    if (auto values = n.getConstantFloats(scalesValue)) {
      for (int64_t d = 0; d < rank; ++d) {
        float s = static_cast<float>((*values)[d]);
        if (s <= 0)
          return n.emitError() << "scale " << s << " of dim " << d << " is not positive";
        // As ONNX shape inference and the reference, also for tf_crop_and_resize.
        shape.push_back(static_cast<int64_t>(std::floor(in.getDimSize(d) * s)));
      }
    } else {
      RankedTensorType type = inferredOrError(n, 0, in.getElementType(), "scales");
      if (!type)
        return failure();
      shape.assign(type.getShape().begin(), type.getShape().end());
    }
    scales = scalesValue;
    if (given != scalesType)
      scales = onnxir::ReshapeOp::create(n.builder, n.loc, scalesType, scalesValue);
  }
  auto type = RankedTensorType::get(shape, in.getElementType());
  results.push_back(onnxir::ResizeOp::create(
      n.builder, n.loc, type, n.operand(0), scales, n.builder.getStringAttr(modes.mode),
      n.builder.getStringAttr(modes.coordinates), n.builder.getStringAttr(modes.nearest),
      n.builder.getF32FloatAttr(modes.cubicCoeffA), n.builder.getBoolAttr(modes.excludeOutside),
      roiAttr, n.builder.getF32FloatAttr(modes.extrapolationValue)));
  return success();
}

/// Upsample-7: scales attribute; Upsample-9 and Resize-10: scales input. All use asymmetric
/// coordinates and round nearest down.
LogicalResult importUpsampleV7(NodeImporter &n, Results &results) {
  RankedTensorType in = n.operandType(0);
  if (!in)
    return n.emitError() << "expects a data input";
  SmallVector<float> values = n.getFloats("scales");
  if (static_cast<int64_t>(values.size()) != in.getRank())
    return n.emitError() << "scales has " << values.size() << " entries for a rank-" << in.getRank()
                         << " input";
  auto scalesType = RankedTensorType::get({in.getRank()}, n.builder.getF32Type());
  Value scales = onnxir::ConstantOp::create(n.builder, n.loc,
                                            DenseElementsAttr::get(scalesType, ArrayRef(values)));
  return resize(n, {n.getString("mode", "nearest"), "asymmetric", "floor"}, scales, {}, results);
}

LogicalResult importResizeV10(NodeImporter &n, Results &results) {
  if (!n.operandType(0) || !n.operand(1))
    return n.emitError() << "expects data and scales inputs";
  return resize(n, {n.getString("mode", "nearest"), "asymmetric", "floor"}, n.operand(1), {},
                results);
}

/// Resize-11 and 13: inputs X, roi, scales, sizes; exactly one of scales and sizes is set.
LogicalResult importResize(NodeImporter &n, Results &results) {
  if (!n.operandType(0))
    return n.emitError() << "expects a data input";
  ResizeModes modes{n.getString("mode", "nearest"),
                    n.getString("coordinate_transformation_mode", "half_pixel"),
                    n.getString("nearest_mode", "round_prefer_floor"),
                    n.getFloat("cubic_coeff_a", -0.75f), n.getInt("exclude_outside", 0) != 0,
                    n.getFloat("extrapolation_value", 0.0f)};
  RankedTensorType sizesType = n.operandType(3), scalesType = n.operandType(2);
  bool hasSizes = sizesType && sizesType.getNumElements() > 0;
  bool hasScales = scalesType && scalesType.getNumElements() > 0;
  if (hasSizes == hasScales)
    return n.emitError() << "expects exactly one of the scales and sizes inputs";
  return resize(n, modes, hasScales ? n.operand(2) : Value(), hasSizes ? n.operand(3) : Value(),
                results);
}

} // namespace

void cleave::populateShapeImporters(OpImporterRegistry &registry) {
  registry.add("Reshape", 1, importReshapeV1);
  registry.add("Reshape", 5, importReshape);
  registry.add("Transpose", 1, importTranspose);
  registry.add("Flatten", 1, importFlatten);
  registry.add("Squeeze", 1, importSqueezeV1);
  registry.add("Squeeze", 13, importSqueeze);
  registry.add("Unsqueeze", 1, importUnsqueezeV1);
  registry.add("Unsqueeze", 13, importUnsqueeze);
  registry.add("Concat", 1, importConcat);
  registry.add("Split", 1, importSplitV1);
  registry.add("Split", 13, importSplit);
  registry.add("Slice", 1, importSliceV1);
  registry.add("Slice", 10, importSlice);
  registry.add("Gather", 1, importGather);
  registry.add("Expand", 8, importExpand);
  registry.add("Tile", 1, importTile);
  registry.add("Shape", 1, importShape);
  registry.add("Size", 1, importSize);
  registry.add("ConstantOfShape", 9, importConstantOfShape);
  registry.add("Constant", 1, importConstant);
  registry.add("Range", 11, importRange);
  registry.add("Pad", 2, importPadV2);
  registry.add("Pad", 11, importPad);
  registry.add("Trilu", 14, importTrilu);
  registry.add("Upsample", 7, importUpsampleV7);
  registry.add("Upsample", 9, importResizeV10);
  registry.add("Resize", 10, importResizeV10);
  registry.add("Resize", 11, importResize);
}
