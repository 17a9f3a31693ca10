//===- onnx_tensor.cc - A hand-written onnx.TensorProto decoder -----------===//
//
// The runtime does not link libprotobuf; a TensorProto needs only the wire
// format's varints, fixed-width numbers and length-delimited fields.
//
//===----------------------------------------------------------------------===//

#include "io/onnx_tensor.h"

#include "io/tensor_file.h"

#include <cstring>
#include <limits>

namespace cleave {
namespace io {

namespace {
/// Thrown inside the decoder only.
struct DecodeError {
  std::string message;
};

enum WireType { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 };

/// onnx.TensorProto.DataType names, for messages.
const char *onnxTypeName(int64_t type) {
  static const char *names[] = {
      "UNDEFINED",     "FLOAT",        "UINT8",          "INT8",
      "UINT16",        "INT16",        "INT32",          "INT64",
      "STRING",        "BOOL",         "FLOAT16",        "DOUBLE",
      "UINT32",        "UINT64",       "COMPLEX64",      "COMPLEX128",
      "BFLOAT16",      "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
      "FLOAT8E5M2FNUZ"};
  if (type >= 0 && type < int64_t(sizeof(names) / sizeof(names[0])))
    return names[type];
  return "unknown";
}

bool toDType(int64_t type, DType *dtype) {
  switch (type) {
  case 1:
    *dtype = DType::Float32;
    return true;
  case 2:
    *dtype = DType::UInt8;
    return true;
  case 3:
    *dtype = DType::Int8;
    return true;
  case 4:
    *dtype = DType::UInt16;
    return true;
  case 5:
    *dtype = DType::Int16;
    return true;
  case 6:
    *dtype = DType::Int32;
    return true;
  case 7:
    *dtype = DType::Int64;
    return true;
  case 9:
    *dtype = DType::Bool;
    return true;
  case 10:
    *dtype = DType::Float16;
    return true;
  case 11:
    *dtype = DType::Float64;
    return true;
  case 12:
    *dtype = DType::UInt32;
    return true;
  case 13:
    *dtype = DType::UInt64;
    return true;
  case 16:
    *dtype = DType::BFloat16;
    return true;
  default:
    return false;
  }
}

class Reader {
public:
  Reader(const uint8_t *begin, const uint8_t *end) : p_(begin), end_(end) {}
  bool done() const { return p_ >= end_; }

  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_)
        throw DecodeError{"truncated varint"};
      uint8_t byte = *p_++;
      value |= uint64_t(byte & 0x7F) << shift;
      if (!(byte & 0x80))
        return value;
    }
    throw DecodeError{"malformed varint"};
  }
  template <typename T> T fixed() {
    if (size_t(end_ - p_) < sizeof(T))
      throw DecodeError{"truncated fixed-width field"};
    T value;
    std::memcpy(&value, p_, sizeof(T));
    p_ += sizeof(T);
    return value;
  }
  Reader bytes() {
    uint64_t length = varint();
    if (length > uint64_t(end_ - p_))
      throw DecodeError{"truncated length-delimited field"};
    Reader inner(p_, p_ + length);
    p_ += length;
    return inner;
  }
  void skip(int wireType) {
    switch (wireType) {
    case Varint:
      varint();
      return;
    case Fixed64:
      fixed<uint64_t>();
      return;
    case LengthDelimited:
      bytes();
      return;
    case Fixed32:
      fixed<uint32_t>();
      return;
    default:
      throw DecodeError{"unsupported wire type " + std::to_string(wireType)};
    }
  }
  const uint8_t *begin() const { return p_; }
  size_t size() const { return size_t(end_ - p_); }

private:
  const uint8_t *p_;
  const uint8_t *end_;
};

/// The fields of a TensorProto the runtime uses.
struct Proto {
  Shape dims;
  int64_t dataType = 0;
  std::string name;
  const uint8_t *raw = nullptr;
  size_t rawSize = 0;
  bool hasRaw = false;
  std::vector<float> floats;
  std::vector<int64_t> int32s; // int32_data, as decoded varints
  std::vector<int64_t> int64s;
  std::vector<double> doubles;
  std::vector<uint64_t> uint64s; // uint64_data (uint32 and uint64 tensors)
  bool external = false;
};

/// Reads a repeated scalar field, packed or not.
template <typename T, typename Read>
void repeated(Reader &reader, int wireType, int scalarWireType,
              std::vector<T> &out, Read read) {
  if (wireType == LengthDelimited) {
    Reader packed = reader.bytes();
    while (!packed.done())
      out.push_back(read(packed));
  } else if (wireType == scalarWireType) {
    out.push_back(read(reader));
  } else {
    throw DecodeError{"unexpected wire type " + std::to_string(wireType)};
  }
}

Proto decode(Reader reader) {
  Proto proto;
  auto varint = [](Reader &r) { return static_cast<int64_t>(r.varint()); };
  while (!reader.done()) {
    uint64_t key = reader.varint();
    int field = static_cast<int>(key >> 3);
    int wireType = static_cast<int>(key & 7);
    auto expectWire = [&](int wanted) {
      if (wireType != wanted)
        throw DecodeError{"field " + std::to_string(field) + " has wire type " +
                          std::to_string(wireType) + ", expected " +
                          std::to_string(wanted)};
    };
    switch (field) {
    case 1: // dims
      repeated(reader, wireType, Varint, proto.dims, varint);
      break;
    case 2: // data_type
      expectWire(Varint);
      proto.dataType = varint(reader);
      break;
    case 4: // float_data
      repeated(reader, wireType, Fixed32, proto.floats,
               [](Reader &r) { return r.fixed<float>(); });
      break;
    case 5: // int32_data
      repeated(reader, wireType, Varint, proto.int32s, varint);
      break;
    case 7: // int64_data
      repeated(reader, wireType, Varint, proto.int64s, varint);
      break;
    case 8: { // name
      expectWire(LengthDelimited);
      Reader text = reader.bytes();
      proto.name.assign(reinterpret_cast<const char *>(text.begin()),
                        text.size());
      break;
    }
    case 9: { // raw_data
      expectWire(LengthDelimited);
      Reader raw = reader.bytes();
      proto.raw = raw.begin();
      proto.rawSize = raw.size();
      proto.hasRaw = true;
      break;
    }
    case 10: // double_data
      repeated(reader, wireType, Fixed64, proto.doubles,
               [](Reader &r) { return r.fixed<double>(); });
      break;
    case 11: // uint64_data
      repeated(reader, wireType, Varint, proto.uint64s,
               [](Reader &r) { return r.varint(); });
      break;
    case 13: // external_data
      proto.external = true;
      reader.skip(wireType);
      break;
    case 14: // data_location
      expectWire(Varint);
      proto.external |= reader.varint() == 1;
      break;
    default: // segment, string_data, doc_string and fields from newer ONNX
             // versions
      reader.skip(wireType);
    }
  }
  return proto;
}

template <typename T, typename S>
void convert(const std::vector<S> &from, void *to) {
  T *out = static_cast<T *>(to);
  for (size_t i = 0; i < from.size(); ++i)
    out[i] = static_cast<T>(from[i]);
}

/// How many elements the typed data field of `dtype` holds.
size_t typedCount(const Proto &proto, DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return proto.floats.size();
  case DType::Float64:
    return proto.doubles.size();
  case DType::Int64:
    return proto.int64s.size();
  case DType::UInt32:
  case DType::UInt64:
    return proto.uint64s.size();
  default: // the rest are int32_data
    return proto.int32s.size();
  }
}

StatusOr<Tensor> toTensor(const Proto &proto) {
  std::string typeName = std::string(onnxTypeName(proto.dataType)) + " (" +
                         std::to_string(proto.dataType) + ")";
  DType dtype;
  if (!toDType(proto.dataType, &dtype))
    return invalidArgumentError(
        "unsupported ONNX data type " + typeName +
        " (supported: FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT64, INT32, INT16, "
        "INT8, UINT64, UINT32, UINT16, UINT8, BOOL)");
  if (proto.external)
    return invalidArgumentError("tensor data is stored in an external file, "
                                "which is not supported");
  for (int64_t dim : proto.dims)
    if (dim < 0)
      return invalidArgumentError("negative dimension in shape " +
                                  shapeToString(proto.dims));
  // Sizes are checked against the data present before anything is
  // allocated: a few bytes of dims must not make the reader allocate more.
  int64_t elements = numElements(proto.dims);
  size_t elementSize = dtypeSize(dtype);
  if (elements < 0 || static_cast<uint64_t>(elements) >
                          std::numeric_limits<int64_t>::max() / elementSize)
    return invalidArgumentError("invalid shape " + shapeToString(proto.dims) +
                                " (its byte size overflows)");
  size_t count = static_cast<size_t>(elements);
  size_t bytes = count * elementSize;
  if (proto.hasRaw && proto.rawSize != bytes)
    return invalidArgumentError(
        "raw_data holds " + std::to_string(proto.rawSize) + " bytes, a " +
        dtypeName(dtype) + shapeToString(proto.dims) + " tensor needs " +
        std::to_string(bytes));
  if (!proto.hasRaw && typedCount(proto, dtype) != count)
    return invalidArgumentError(
        "tensor of type " + typeName + " and shape " +
        shapeToString(proto.dims) + " has " + std::to_string(count) +
        " elements, its data fields hold " +
        std::to_string(typedCount(proto, dtype)));
  StatusOr<Tensor> tensor = Tensor::create(dtype, proto.dims);
  if (!tensor.ok())
    return tensor;
  if (proto.hasRaw) {
    if (proto.rawSize)
      std::memcpy(tensor->data(), proto.raw, proto.rawSize);
    return tensor;
  }
  size_t given = 0;
  switch (dtype) {
  case DType::Float32:
    given = proto.floats.size();
    if (given == count)
      convert<float>(proto.floats, tensor->data());
    break;
  case DType::Float64:
    given = proto.doubles.size();
    if (given == count)
      convert<double>(proto.doubles, tensor->data());
    break;
  case DType::Int64:
    given = proto.int64s.size();
    if (given == count)
      convert<int64_t>(proto.int64s, tensor->data());
    break;
  case DType::Int32:
    given = proto.int32s.size();
    if (given == count)
      convert<int32_t>(proto.int32s, tensor->data());
    break;
  case DType::Float16:  // int32_data holds the IEEE half bit patterns
  case DType::BFloat16: // and the bfloat16 ones
  case DType::UInt16:
    given = proto.int32s.size();
    if (given == count)
      convert<uint16_t>(proto.int32s, tensor->data());
    break;
  case DType::Int16:
    given = proto.int32s.size();
    if (given == count)
      convert<int16_t>(proto.int32s, tensor->data());
    break;
  case DType::Int8:
    given = proto.int32s.size();
    if (given == count)
      convert<int8_t>(proto.int32s, tensor->data());
    break;
  case DType::UInt32:
    given = proto.uint64s.size();
    if (given == count)
      convert<uint32_t>(proto.uint64s, tensor->data());
    break;
  case DType::UInt64:
    given = proto.uint64s.size();
    if (given == count)
      convert<uint64_t>(proto.uint64s, tensor->data());
    break;
  case DType::UInt8:
  case DType::Bool:
    given = proto.int32s.size();
    if (given == count)
      convert<uint8_t>(proto.int32s, tensor->data());
    break;
  }
  if (given != count)
    return invalidArgumentError(
        "tensor of type " + typeName + " and shape " +
        shapeToString(proto.dims) + " has " + std::to_string(count) +
        " elements, its data fields hold " + std::to_string(given));
  return tensor;
}
} // namespace

StatusOr<Tensor> parseTensorProto(const uint8_t *data, size_t size,
                                  std::string *name) {
  Proto proto;
  try {
    proto = decode(Reader(data, data + size));
  } catch (const DecodeError &error) {
    return invalidArgumentError("not a valid ONNX TensorProto: " +
                                error.message);
  }
  if (name)
    *name = proto.name;
  return toTensor(proto);
}

StatusOr<Tensor> readTensorProto(const std::string &path, std::string *name) {
  StatusOr<std::vector<uint8_t>> bytes = readFileBytes(path);
  if (!bytes.ok())
    return bytes.status();
  StatusOr<Tensor> tensor =
      parseTensorProto(bytes->data(), bytes->size(), name);
  if (!tensor.ok())
    return Status(tensor.status().code(),
                  "'" + path + "': " + tensor.status().message());
  return tensor;
}

} // namespace io
} // namespace cleave
