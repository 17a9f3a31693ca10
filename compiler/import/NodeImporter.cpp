// ONNX import: attribute and constant accessors for op patterns, tensor conversion.
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "onnx/onnx_pb.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace cleave;

RankedTensorType NodeImporter::operandType(size_t i) const {
  Value v = operand(i);
  return v ? dyn_cast<RankedTensorType>(v.getType()) : RankedTensorType();
}

size_t NodeImporter::numResults() const { return node.output_size(); }

const ::onnx::AttributeProto *NodeImporter::findAttr(StringRef name) const {
  for (const auto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

bool NodeImporter::hasAttr(StringRef name) const { return findAttr(name) != nullptr; }

int64_t NodeImporter::getInt(StringRef name, int64_t defaultValue) const {
  const auto *attr = findAttr(name);
  return attr ? attr->i() : defaultValue;
}

float NodeImporter::getFloat(StringRef name, float defaultValue) const {
  const auto *attr = findAttr(name);
  return attr ? attr->f() : defaultValue;
}

std::string NodeImporter::getString(StringRef name, StringRef defaultValue) const {
  const auto *attr = findAttr(name);
  return attr ? attr->s() : defaultValue.str();
}

SmallVector<int64_t> NodeImporter::getInts(StringRef name) const {
  SmallVector<int64_t> values;
  if (const auto *attr = findAttr(name))
    values.assign(attr->ints().begin(), attr->ints().end());
  return values;
}

SmallVector<float> NodeImporter::getFloats(StringRef name) const {
  SmallVector<float> values;
  if (const auto *attr = findAttr(name))
    values.assign(attr->floats().begin(), attr->floats().end());
  return values;
}

std::vector<std::string> NodeImporter::getStrings(StringRef name) const {
  std::vector<std::string> values;
  if (const auto *attr = findAttr(name))
    values.assign(attr->strings().begin(), attr->strings().end());
  return values;
}

DenseElementsAttr NodeImporter::getTensor(StringRef name) const {
  const auto *attr = findAttr(name);
  if (!attr || !attr->has_t())
    return {};
  std::string error;
  return convertTensorProto(builder.getContext(), attr->t(), error);
}

DenseElementsAttr NodeImporter::getConstant(Value value) const {
  if (!value)
    return {};
  DenseElementsAttr attr;
  if (matchPattern(value, m_Constant(&attr)))
    return attr;
  return {};
}

std::optional<SmallVector<int64_t>> NodeImporter::getConstantInts(Value value) const {
  DenseElementsAttr attr = getConstant(value);
  if (!attr || !attr.getElementType().isInteger())
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &v : attr.getValues<APInt>())
    values.push_back(attr.getElementType().isInteger(1) ? v.getZExtValue() : v.getSExtValue());
  return values;
}

std::optional<SmallVector<double>> NodeImporter::getConstantFloats(Value value) const {
  DenseElementsAttr attr = getConstant(value);
  if (!attr)
    return std::nullopt;
  SmallVector<double> values;
  if (isa<FloatType>(attr.getElementType())) {
    for (const APFloat &v : attr.getValues<APFloat>())
      values.push_back(v.convertToDouble());
  } else {
    for (const APInt &v : attr.getValues<APInt>())
      values.push_back(static_cast<double>(v.getSExtValue()));
  }
  return values;
}

InFlightDiagnostic NodeImporter::emitError() const {
  std::string name = node.name().empty() ? node.op_type() : node.name();
  return mlir::emitError(loc) << "node '" << name << "' (" << node.op_type() << "): ";
}

Value NodeImporter::constantI64(ArrayRef<int64_t> values,
                                std::optional<ArrayRef<int64_t>> shape) {
  SmallVector<int64_t> dims = shape ? SmallVector<int64_t>(*shape)
                                    : SmallVector<int64_t>{(int64_t)values.size()};
  auto type = RankedTensorType::get(dims, builder.getI64Type());
  return onnxir::ConstantOp::create(builder, loc, DenseElementsAttr::get(type, values));
}

Value NodeImporter::constantScalar(Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute element;
  if (auto floatType = dyn_cast<FloatType>(elementType))
    element = builder.getFloatAttr(floatType, value);
  else
    element = builder.getIntegerAttr(elementType, static_cast<int64_t>(value));
  return onnxir::ConstantOp::create(builder, loc, DenseElementsAttr::get(type, element));
}

void OpImporterRegistry::add(StringRef opType, int64_t sinceVersion, ImportFn fn) {
  auto &list = patterns[opType];
  list.emplace_back(sinceVersion, std::move(fn));
  llvm::sort(list, [](const auto &a, const auto &b) { return a.first < b.first; });
}

const ImportFn *OpImporterRegistry::lookup(StringRef opType, int64_t opset) const {
  auto it = patterns.find(opType);
  if (it == patterns.end())
    return nullptr;
  const ImportFn *best = nullptr;
  for (const auto &[since, fn] : it->second)
    if (since <= opset)
      best = &fn;
  return best;
}

std::vector<std::string> OpImporterRegistry::opTypes() const {
  std::vector<std::string> names;
  for (const auto &entry : patterns)
    names.push_back(entry.getKey().str());
  llvm::sort(names);
  return names;
}

//===----------------------------------------------------------------------===//
// TensorProto conversion
//===----------------------------------------------------------------------===//

Type cleave::convertElementType(MLIRContext *context, int onnxDataType) {
  Builder b(context);
  switch (onnxDataType) {
  case ::onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case ::onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case ::onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case ::onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case ::onnx::TensorProto::INT64:
    return b.getI64Type();
  case ::onnx::TensorProto::INT32:
    return b.getI32Type();
  case ::onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case ::onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case ::onnx::TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case ::onnx::TensorProto::UINT16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case ::onnx::TensorProto::UINT32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case ::onnx::TensorProto::UINT64:
    return b.getIntegerType(64, /*isSigned=*/false);
  case ::onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return {};
  }
}

namespace {
/// Copies `count` typed values out of a repeated proto field into `out` as raw bytes.
template <typename Dst, typename Field>
void copyField(const Field &field, std::vector<char> &out) {
  out.resize(field.size() * sizeof(Dst));
  Dst *dst = reinterpret_cast<Dst *>(out.data());
  for (int i = 0; i < field.size(); ++i)
    dst[i] = static_cast<Dst>(field.Get(i));
}
} // namespace

bool cleave::readTensorBytes(const ::onnx::TensorProto &tensor, RankedTensorType type,
                             std::vector<char> &bytes, std::string &error) {
  bytes.clear();
  if (tensor.has_raw_data()) {
    bytes.assign(tensor.raw_data().begin(), tensor.raw_data().end());
  } else {
    switch (tensor.data_type()) {
    case ::onnx::TensorProto::FLOAT:
      copyField<float>(tensor.float_data(), bytes);
      break;
    case ::onnx::TensorProto::DOUBLE:
      copyField<double>(tensor.double_data(), bytes);
      break;
    case ::onnx::TensorProto::INT64:
      copyField<int64_t>(tensor.int64_data(), bytes);
      break;
    case ::onnx::TensorProto::INT32:
      copyField<int32_t>(tensor.int32_data(), bytes);
      break;
    case ::onnx::TensorProto::INT8:
      copyField<int8_t>(tensor.int32_data(), bytes);
      break;
    case ::onnx::TensorProto::INT16:
      copyField<int16_t>(tensor.int32_data(), bytes);
      break;
    case ::onnx::TensorProto::UINT16:
      copyField<uint16_t>(tensor.int32_data(), bytes);
      break;
    // ONNX keeps uint32 and uint64 values in uint64_data.
    case ::onnx::TensorProto::UINT32:
      copyField<uint32_t>(tensor.uint64_data(), bytes);
      break;
    case ::onnx::TensorProto::UINT64:
      copyField<uint64_t>(tensor.uint64_data(), bytes);
      break;
    case ::onnx::TensorProto::UINT8:
    case ::onnx::TensorProto::BOOL:
      copyField<uint8_t>(tensor.int32_data(), bytes);
      break;
    case ::onnx::TensorProto::FLOAT16:
    case ::onnx::TensorProto::BFLOAT16:
      copyField<uint16_t>(tensor.int32_data(), bytes);
      break;
    }
  }
  size_t expected = static_cast<size_t>(tensorByteSize(type));
  if (bytes.size() != expected) {
    error = "tensor '" + tensor.name() + "' holds " + std::to_string(bytes.size()) +
            " bytes, its shape needs " + std::to_string(expected);
    return false;
  }
  return true;
}

RankedTensorType cleave::tensorProtoType(MLIRContext *context,
                                         const ::onnx::TensorProto &tensor,
                                         std::string &error) {
  Type elementType = convertElementType(context, tensor.data_type());
  if (!elementType) {
    error = "tensor '" + tensor.name() + "' has unsupported data type " +
            std::to_string(tensor.data_type());
    return {};
  }
  unsigned bits = elementType.getIntOrFloatBitWidth();
  int64_t bytes = bits == 1 ? 1 : bits / 8;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0) {
      error = "tensor '" + tensor.name() + "' has a negative dimension";
      return {};
    }
    // Sizes and strides are products of dims; one that overflows would wrap around to a
    // small size that the data then appears to match. Zero dims are left out so that no
    // stride of an empty tensor overflows either.
    if (llvm::MulOverflow(bytes, std::max<int64_t>(dim, 1), bytes)) {
      std::string dims;
      llvm::raw_string_ostream os(dims);
      llvm::interleave(tensor.dims(), os, "x");
      error = "tensor '" + tensor.name() + "' has shape " + dims +
              ", too large to hold (its size in bytes overflows 64 bits)";
      return {};
    }
  }
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  return RankedTensorType::get(shape, elementType);
}

int64_t cleave::tensorByteSize(RankedTensorType type) {
  unsigned bits = type.getElementType().getIntOrFloatBitWidth();
  return type.getNumElements() * (bits == 1 ? 1 : bits / 8);
}

DenseElementsAttr cleave::convertTensorProto(MLIRContext *context,
                                             const ::onnx::TensorProto &tensor,
                                             std::string &error) {
  RankedTensorType type = tensorProtoType(context, tensor, error);
  if (!type)
    return {};
  std::vector<char> bytes;
  if (!readTensorBytes(tensor, type, bytes, error))
    return {};
  unsigned bits = type.getElementType().getIntOrFloatBitWidth();
  if (bits == 1) {
    // MLIR's raw i1 buffers are bit-packed; build from bools instead.
    SmallVector<bool> values(bytes.begin(), bytes.end());
    return DenseElementsAttr::get(type, values);
  }
  bool splat = false;
  if (!DenseElementsAttr::isValidRawBuffer(type, ArrayRef<char>(bytes), splat)) {
    error = "tensor '" + tensor.name() + "' has an invalid buffer";
    return {};
  }
  return DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(bytes));
}

//===----------------------------------------------------------------------===//
// Rebatching: shapes that hard-code the export batch
//===----------------------------------------------------------------------===//

namespace {

/// The ONNX ops whose inputs broadcast against each other dim by dim (Concat: every dim
/// but its axis), so that a dim of one input that holds the batch tells that the same dim
/// of the others does too.
bool alignsInputs(StringRef opType) {
  return llvm::is_contained({"Concat", "Add", "Sub", "Mul", "Div", "Where", "Max", "Min", "Sum",
                             "Mean", "Equal", "Less", "Greater", "And", "Or"},
                            opType);
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleaveComma(shape, os);
  os << "]";
  return text;
}

} // namespace

FailureOr<std::optional<SmallVector<int64_t>>>
NodeImporter::rebatchedShape(ArrayRef<int64_t> shape, BatchLayout layout) const {
  using Result = std::optional<SmallVector<int64_t>>;
  if (!rebatch || rebatch->exportBatch == rebatch->batch || node.input_size() == 0 ||
      node.output_size() == 0 || !operandType(0))
    return Result();
  auto inIt = rebatch->exportShapes.find(node.input(0));
  auto outIt = rebatch->exportShapes.find(node.output(0));
  if (inIt == rebatch->exportShapes.end() || outIt == rebatch->exportShapes.end())
    return Result();
  ArrayRef<int64_t> exportIn = inIt->second, exportOut = outIt->second;
  ArrayRef<int64_t> nowIn = operandType(0).getShape();
  SmallVector<int64_t> out(exportOut);
  int64_t rank = out.size();

  // The input's batch dim: the one dim whose size differs from the export's.
  SmallVector<int64_t> changed;
  if (exportIn.size() == nowIn.size())
    for (auto [d, sizes] : llvm::enumerate(llvm::zip(exportIn, nowIn)))
      if (std::get<0>(sizes) != std::get<1>(sizes))
        changed.push_back(d);
  if (exportIn.size() != nowIn.size() || changed.size() > 1)
    return emitError() << "its input has shape " << shapeString(nowIn) << " here and "
                       << shapeString(exportIn)
                       << " at the export batch, not one batch dim apart";

  if (changed.size() == 1) {
    int64_t d = changed.front(), from = exportIn[d], to = nowIn[d];
    // Scales output dim j by to/from where that is exact and j can hold the batch (whole,
    // merged with the dims after it, or as the outer part of a dim it was merged into).
    auto scale = [&](int64_t j) {
      if (j < 0 || j >= rank || (out[j] == 1 && from != 1) || (out[j] * to) % from != 0)
        return false;
      out[j] = out[j] * to / from;
      return true;
    };
    bool found = false;
    if (layout == BatchLayout::Reshape) {
      int64_t outer = 1, prefix = 1;
      for (int64_t k = 0; k < d; ++k)
        outer *= exportIn[k];
      for (int64_t j = 0; j < rank && prefix <= outer && !found; ++j) {
        found = prefix == outer && scale(j);
        prefix *= exportOut[j];
      }
    } else {
      found = scale(d + rank - static_cast<int64_t>(exportIn.size()));
    }
    int64_t inElements = 1, outElements = 1;
    for (int64_t v : nowIn)
      inElements *= v;
    for (int64_t v : out)
      outElements *= v;
    if (!found || (layout == BatchLayout::Reshape && inElements != outElements))
      return emitError() << "cannot tell which dim of its output " << shapeString(exportOut)
                         << " holds the batch (dim " << d << " of its input, " << from
                         << " at the export batch, " << to << " here)";
    return out == ArrayRef<int64_t>(shape) ? Result() : Result(out);
  }

  // The input has no batch dim. A shape computed from this import's values (Shape) is
  // already right; one equal to the export's may have the export batch written in.
  if (ArrayRef<int64_t>(shape) != exportOut || layout == BatchLayout::Reshape)
    return Result();
  bool rewritten = false;
  for (int64_t j = 0; j < rank; ++j) {
    int64_t inDim = j - rank + static_cast<int64_t>(exportIn.size());
    if (out[j] != rebatch->exportBatch || (inDim >= 0 && exportIn[inDim] == out[j]))
      continue;
    // Proof that dim j is the batch: a node reading the output lines it up with a dim of
    // another input that holds the batch.
    std::optional<int64_t> proven;
    auto consumers = rebatch->consumers.find(node.output(0));
    if (consumers != rebatch->consumers.end()) {
      for (const ::onnx::NodeProto *user : consumers->second) {
        if (!alignsInputs(user->op_type()))
          continue;
        for (const std::string &other : user->input()) {
          auto otherType = dyn_cast_or_null<RankedTensorType>(rebatch->currentType(other));
          auto otherExport = rebatch->exportShapes.find(other);
          if (other == node.output(0) || !otherType ||
              otherExport == rebatch->exportShapes.end() ||
              static_cast<int64_t>(otherExport->second.size()) != otherType.getRank())
            continue;
          int64_t p = j - rank + otherType.getRank();
          if (user->op_type() == "Concat") {
            int64_t axis = 0;
            for (const auto &attr : user->attribute())
              if (attr.name() == "axis")
                axis = attr.i();
            if (otherType.getRank() != rank || (axis < 0 ? axis + rank : axis) == j)
              continue;
          }
          if (p >= 0 && otherExport->second[p] == out[j] &&
              otherType.getDimSize(p) != out[j])
            proven = otherType.getDimSize(p);
        }
      }
    }
    if (proven) {
      out[j] = *proven;
      rewritten = true;
    } else if (j == 0 && rebatch->exportBatch > 1) {
      return emitError() << "its shape " << shapeString(exportOut)
                         << " gives dim 0 the export batch (" << rebatch->exportBatch
                         << ") but its input has no batch dim, and nothing that reads it shows "
                            "whether dim 0 is the batch; compute the shape from the input's "
                            "Shape to rebatch it";
    }
  }
  return rewritten ? Result(out) : Result();
}
