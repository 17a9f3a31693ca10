// The onnx-level dialect: verifiers and folders of the shape and data-movement ops.
#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace cleave::onnxir;

namespace {

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

/// The static result type of `op` if it is small enough to fold into.
RankedTensorType foldableResultType(Operation *op) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!type.hasStaticShape() || type.getNumElements() > kMaxFoldElements)
    return {};
  return type;
}

/// Row-major strides of `shape`.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Builds a constant of `resultType` whose element at each multi-index is the element of
/// `input` at the linear index `source(index)` returns.
DenseElementsAttr gatherElements(DenseElementsAttr input, RankedTensorType resultType,
                                 llvm::function_ref<int64_t(ArrayRef<int64_t>)> source) {
  SmallVector<Attribute> in(input.getValues<Attribute>());
  SmallVector<Attribute> out;
  out.reserve(resultType.getNumElements());
  ArrayRef<int64_t> shape = resultType.getShape();
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t n = 0; n < resultType.getNumElements(); ++n) {
    out.push_back(in[source(index)]);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return DenseElementsAttr::get(resultType, out);
}

/// Folds a data-movement op whose result element at each multi-index is the element of its
/// constant `input` at the linear index `source(index, strides)`, `strides` being the input's
/// row-major strides. Null when the input is not a constant or the result is too large.
OpFoldResult foldByIndex(Operation *op, Attribute input,
                         llvm::function_ref<int64_t(ArrayRef<int64_t>, ArrayRef<int64_t>)> source) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(input);
  RankedTensorType type = foldableResultType(op);
  if (!dense || !type)
    return {};
  if (dense.isSplat())
    return DenseElementsAttr::get(type, dense.getSplatValue<Attribute>());
  SmallVector<int64_t> strides = stridesOf(dense.getType().getShape());
  return gatherElements(dense, type,
                        [&](ArrayRef<int64_t> index) { return source(index, strides); });
}

} // namespace

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.hasStaticShape() && out.hasStaticShape() && in.getNumElements() != out.getNumElements())
    return emitOpError("changes the element count: ") << in << " to " << out;
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(cast<ShapedType>(getResult().getType()));
  return {};
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
TransposeOp::inferShape(ArrayRef<int64_t> input, ArrayRef<int64_t> perm,
                        function_ref<InFlightDiagnostic()> emitError) {
  int64_t rank = input.size();
  if (static_cast<int64_t>(perm.size()) != rank)
    return emitError() << "expects a permutation of " << rank << " dims, got " << perm.size();
  SmallVector<bool> seen(rank, false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return emitError() << "perm is not a permutation";
    seen[p] = true;
    shape.push_back(input[p]);
  }
  return shape;
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return getInput();
  return foldByIndex(*this, adaptor.getInput(),
                     [&](ArrayRef<int64_t> index, ArrayRef<int64_t> strides) {
                       int64_t linear = 0;
                       for (auto [d, i] : llvm::enumerate(index))
                         linear += i * strides[perm[d]];
                       return linear;
                     });
}

LogicalResult TransposeOp::verify() {
  auto shape =
      inferShape(tensorType(getInput()).getShape(), getPerm(), [&] { return emitOpError(); });
  return failed(shape) ? failure() : verifyResultShape(*this, *shape);
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> ConcatOp::inferShape(TypeRange inputs, int64_t axis,
                                                     function_ref<InFlightDiagnostic()> emitError) {
  if (inputs.empty())
    return emitError() << "expects at least one input";
  auto first = cast<RankedTensorType>(inputs.front());
  int64_t rank = first.getRank();
  if (axis < 0 || axis >= rank)
    return emitError() << "axis " << axis << " is out of range for rank " << rank;
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Type input : inputs) {
    auto type = cast<RankedTensorType>(input);
    if (type.getRank() != rank)
      return emitError() << "expects every input to have rank " << rank << ", got " << type;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && type.getDimSize(d) != shape[d])
        return emitError() << "expects input dim " << d << " to be " << shape[d] << ", got "
                           << type;
    shape[axis] += type.getDimSize(axis);
  }
  return shape;
}

LogicalResult ConcatOp::verify() {
  auto shape = inferShape(getInputs().getTypes(), getAxis(), [&] { return emitOpError(); });
  return failed(shape) ? failure() : verifyResultShape(*this, *shape);
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  RankedTensorType type = foldableResultType(*this);
  if (!type)
    return {};
  int64_t axis = getAxis();
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= type.getDimSize(d);
  SmallVector<SmallVector<Attribute>> inputs;
  SmallVector<int64_t> blocks;
  for (auto [value, attr] : llvm::zip(getInputs(), adaptor.getInputs())) {
    auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
    if (!dense)
      return {};
    inputs.emplace_back(dense.getValues<Attribute>());
    int64_t elements = tensorType(value).getNumElements();
    blocks.push_back(outer == 0 ? 0 : elements / outer);
  }
  SmallVector<Attribute> out;
  out.reserve(type.getNumElements());
  for (int64_t o = 0; o < outer; ++o)
    for (auto [elements, block] : llvm::zip(inputs, blocks))
      out.append(elements.begin() + o * block, elements.begin() + (o + 1) * block);
  return DenseElementsAttr::get(type, out);
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::verify() {
  auto in = tensorType(getInput());
  auto out = tensorType(getResult());
  ArrayRef<int64_t> starts = getStarts(), steps = getSteps();
  if (out.getRank() != in.getRank())
    return emitOpError("expects a result of rank ") << in.getRank() << ", got " << out;
  if (static_cast<int64_t>(starts.size()) != in.getRank() ||
      static_cast<int64_t>(steps.size()) != in.getRank())
    return emitOpError("expects one start and one step per dim (") << in.getRank() << ")";
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (steps[d] == 0)
      return emitOpError("step of dim ") << d << " is zero";
    int64_t size = out.getDimSize(d);
    if (size == 0)
      continue;
    int64_t last = starts[d] + (size - 1) * steps[d];
    if (starts[d] < 0 || starts[d] >= in.getDimSize(d) || last < 0 || last >= in.getDimSize(d))
      return emitOpError("dim ") << d << " reads [" << starts[d] << ", " << last << "] outside [0, "
                                 << in.getDimSize(d) << ")";
  }
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getStarts(), [](int64_t s) { return s == 0; }) &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  ArrayRef<int64_t> starts = getStarts(), steps = getSteps();
  return foldByIndex(*this, adaptor.getInput(),
                     [&](ArrayRef<int64_t> index, ArrayRef<int64_t> strides) {
                       int64_t linear = 0;
                       for (auto [d, i] : llvm::enumerate(index))
                         linear += (starts[d] + i * steps[d]) * strides[d];
                       return linear;
                     });
}

//===----------------------------------------------------------------------===//
// GatherOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> GatherOp::inferShape(ArrayRef<int64_t> data,
                                                     ArrayRef<int64_t> indices, int64_t axis,
                                                     function_ref<InFlightDiagnostic()> emitError) {
  if (axis < 0 || axis >= static_cast<int64_t>(data.size()))
    return emitError() << "axis " << axis << " is out of range for rank " << data.size();
  SmallVector<int64_t> shape(data.take_front(axis));
  llvm::append_range(shape, indices);
  llvm::append_range(shape, data.drop_front(axis + 1));
  return shape;
}

LogicalResult GatherOp::verify() {
  auto data = tensorType(getData());
  auto shape = inferShape(data.getShape(), tensorType(getIndices()).getShape(), getAxis(),
                          [&] { return emitOpError(); });
  if (failed(shape))
    return failure();
  if (tensorType(getResult()).getElementType() != data.getElementType())
    return emitOpError("expects the result element type to be ") << data.getElementType();
  return verifyResultShape(*this, *shape);
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto data = dyn_cast_or_null<DenseElementsAttr>(adaptor.getData());
  auto indices = dyn_cast_or_null<DenseElementsAttr>(adaptor.getIndices());
  RankedTensorType type = foldableResultType(*this);
  if (!data || !indices || !type)
    return {};
  auto dataType = tensorType(getData());
  int64_t axis = getAxis(), dim = dataType.getDimSize(axis);
  int64_t indexRank = tensorType(getIndices()).getRank();
  SmallVector<int64_t> indexValues;
  for (const APInt &v : indices.getValues<APInt>()) {
    int64_t i = v.getSExtValue();
    i = i < 0 ? i + dim : i;
    if (i < 0 || i >= dim)
      return {}; // out of range: leave it to run time rather than fold garbage
    indexValues.push_back(i);
  }
  SmallVector<int64_t> dataStrides = stridesOf(dataType.getShape());
  SmallVector<int64_t> indexStrides = stridesOf(tensorType(getIndices()).getShape());
  return gatherElements(data, type, [&](ArrayRef<int64_t> index) {
    int64_t position = 0;
    for (int64_t k = 0; k < indexRank; ++k)
      position += index[axis + k] * indexStrides[k];
    int64_t linear = indexValues[position] * dataStrides[axis];
    for (int64_t d = 0; d < axis; ++d)
      linear += index[d] * dataStrides[d];
    for (int64_t d = axis + 1; d < dataType.getRank(); ++d)
      linear += index[d - 1 + indexRank] * dataStrides[d];
    return linear;
  });
}

//===----------------------------------------------------------------------===//
// ExpandOp
//===----------------------------------------------------------------------===//

LogicalResult ExpandOp::verify() {
  auto in = tensorType(getInput());
  auto out = tensorType(getResult());
  auto shape = broadcastShapes(in.getShape(), out.getShape());
  if (!shape || ArrayRef<int64_t>(*shape) != out.getShape())
    return emitOpError("cannot broadcast ") << in << " to " << out;
  return success();
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto in = tensorType(getInput());
  int64_t offset = getType().getRank() - in.getRank();
  return foldByIndex(*this, adaptor.getInput(),
                     [&](ArrayRef<int64_t> index, ArrayRef<int64_t> strides) {
                       int64_t linear = 0;
                       for (int64_t d = 0; d < in.getRank(); ++d)
                         linear += (in.getDimSize(d) == 1 ? 0 : index[d + offset]) * strides[d];
                       return linear;
                     });
}

//===----------------------------------------------------------------------===//
// TileOp
//===----------------------------------------------------------------------===//

LogicalResult TileOp::verify() {
  auto in = tensorType(getInput());
  auto out = tensorType(getResult());
  if (in.getRank() != out.getRank())
    return emitOpError("expects a result of rank ") << in.getRank() << ", got " << out;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t i = in.getDimSize(d), o = out.getDimSize(d);
    if (i == 0 ? o != 0 : o % i != 0)
      return emitOpError("result dim ") << d << " (" << o << ") is not a multiple of " << i;
  }
  return success();
}

OpFoldResult TileOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto in = tensorType(getInput());
  return foldByIndex(*this, adaptor.getInput(),
                     [&](ArrayRef<int64_t> index, ArrayRef<int64_t> strides) {
                       int64_t linear = 0;
                       for (int64_t d = 0; d < in.getRank(); ++d)
                         linear += (index[d] % in.getDimSize(d)) * strides[d];
                       return linear;
                     });
}

//===----------------------------------------------------------------------===//
// ConstantOfShapeOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOfShapeOp::verify() {
  auto out = tensorType(getResult());
  if (getValue().getType() != out.getElementType())
    return emitOpError("expects a value of type ")
           << out.getElementType() << ", got " << getValue().getType();
  return success();
}

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor) {
  RankedTensorType type = foldableResultType(*this);
  if (!type)
    return {};
  return DenseElementsAttr::get(type, cast<Attribute>(getValue()));
}

//===----------------------------------------------------------------------===//
// PadOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> PadOp::inferShape(ArrayRef<int64_t> input, ArrayRef<int64_t> pads,
                                                  function_ref<InFlightDiagnostic()> emitError) {
  int64_t rank = input.size();
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return emitError() << "expects " << 2 * rank << " pads, got " << pads.size();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t before = pads[d], after = pads[d + rank], dim = input[d];
    if (before < -dim || after < -dim || dim + before + after < 0)
      return emitError() << "pads of dim " << d << " crop more than the dim holds";
    shape.push_back(dim + before + after);
  }
  return shape;
}

LogicalResult PadOp::verify() {
  auto in = tensorType(getInput());
  ArrayRef<int64_t> pads = getPads();
  int64_t rank = in.getRank();
  auto shape = inferShape(in.getShape(), pads, [&] { return emitOpError(); });
  if (failed(shape) || failed(verifyResultShape(*this, *shape)))
    return failure();
  for (int64_t d = 0; d < rank; ++d) {
    int64_t before = pads[d], after = pads[d + rank], dim = in.getDimSize(d);
    if (getMode() == "reflect" && std::max(before, after) >= std::max<int64_t>(dim, 1))
      return emitOpError("reflect pads of dim ")
             << d << " must be smaller than the dim (" << dim << ")";
    if (getMode() == "edge" && dim == 0 && std::max(before, after) > 0)
      return emitOpError("edge mode cannot pad the empty dim ") << d;
  }
  if (Value value = getConstantValue()) {
    auto type = tensorType(value);
    if (type.getElementType() != in.getElementType() || type.getNumElements() != 1)
      return emitOpError("expects a one-element constant_value of ")
             << in.getElementType() << ", got " << type;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ResizeOp
//===----------------------------------------------------------------------===//

LogicalResult ResizeOp::verify() {
  auto in = tensorType(getInput());
  auto out = tensorType(getResult());
  auto scales = tensorType(getScales());
  if (out.getRank() != in.getRank())
    return emitOpError("expects a result of rank ") << in.getRank() << ", got " << out;
  if (scales.getRank() != 1 || scales.getDimSize(0) != in.getRank())
    return emitOpError("expects ") << in.getRank() << " scales, got " << scales;
  if (getMode() != "nearest" && !isa<FloatType>(in.getElementType()))
    return emitOpError(getMode()) << " mode expects a float tensor, got " << in;
  bool crop = getCoordinateTransformationMode() == "tf_crop_and_resize";
  if (crop != getRoi().has_value())
    return emitOpError("expects a roi exactly with tf_crop_and_resize");
  if (crop && static_cast<int64_t>(getRoi()->size()) != 2 * in.getRank())
    return emitOpError("expects a roi of ") << 2 * in.getRank() << " entries, got "
                                            << getRoi()->size();
  return success();
}

int64_t ResizeOp::getFlops() {
  auto in = tensorType(getInput());
  auto out = tensorType(getResult());
  int64_t perElement = 1;
  int64_t perDim = getMode() == "linear" ? 3 : getMode() == "cubic" ? 20 : 1;
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (in.getDimSize(d) != out.getDimSize(d))
      perElement *= perDim;
  return out.getNumElements() * perElement;
}

//===----------------------------------------------------------------------===//
// TriluOp
//===----------------------------------------------------------------------===//

LogicalResult TriluOp::verify() {
  if (tensorType(getInput()).getRank() < 2)
    return emitOpError("expects an input of rank 2 or more, got ") << getInput().getType();
  if (Value k = getK(); k && tensorType(k).getNumElements() != 1)
    return emitOpError("expects a one-element k, got ") << k.getType();
  return success();
}

//===----------------------------------------------------------------------===//
// RangeOp
//===----------------------------------------------------------------------===//

LogicalResult RangeOp::verify() {
  auto start = tensorType(getStart());
  auto out = tensorType(getResult());
  if (start.getRank() != 0)
    return emitOpError("expects scalar (rank-0) operands, got ") << start;
  if (out.getRank() != 1 || out.getElementType() != start.getElementType())
    return emitOpError("expects a 1-D result of ") << start.getElementType() << ", got " << out;
  return success();
}

OpFoldResult RangeOp::fold(FoldAdaptor adaptor) {
  auto start = dyn_cast_or_null<DenseElementsAttr>(adaptor.getStart());
  auto delta = dyn_cast_or_null<DenseElementsAttr>(adaptor.getDelta());
  RankedTensorType type = foldableResultType(*this);
  if (!start || !delta || !type)
    return {};
  Type elementType = type.getElementType();
  SmallVector<Attribute> out;
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    double s = start.getSplatValue<APFloat>().convertToDouble();
    double step = delta.getSplatValue<APFloat>().convertToDouble();
    for (int64_t i = 0; i < type.getNumElements(); ++i)
      out.push_back(FloatAttr::get(floatType, s + static_cast<double>(i) * step));
  } else {
    int64_t s = start.getSplatValue<APInt>().getSExtValue();
    int64_t step = delta.getSplatValue<APInt>().getSExtValue();
    for (int64_t i = 0; i < type.getNumElements(); ++i)
      out.push_back(IntegerAttr::get(elementType, s + i * step));
  }
  return DenseElementsAttr::get(type, out);
}
