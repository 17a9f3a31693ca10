//===- npy.cc - numpy .npy reader and writer ------------------------------===//
//
// The header is a Python dict literal; only the subset numpy writes is parsed
// (string keys; string, bool and int-tuple values).
//
//===----------------------------------------------------------------------===//

#include "io/npy.h"

#include "io/tensor_file.h"

#include "core/message.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <sys/stat.h>

namespace cleave {
namespace io {

namespace {
constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct FileCloser {
  void operator()(std::FILE *file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

struct Descr {
  const char *code; // without the byte-order character
  DType dtype;
};
constexpr Descr kDescrs[] = {
    {"f4", DType::Float32}, {"f2", DType::Float16}, {"f8", DType::Float64},
    {"i8", DType::Int64},   {"i4", DType::Int32},   {"i1", DType::Int8},
    {"u1", DType::UInt8},   {"b1", DType::Bool},    {"i2", DType::Int16},
    {"u2", DType::UInt16},  {"u4", DType::UInt32},  {"u8", DType::UInt64},
};

/// Thrown inside the header parser only.
struct HeaderError {
  std::string message;
};

struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  bool hasFortranOrder = false;
  Shape shape;
  bool hasShape = false;
};

class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  NpyHeader parse() {
    NpyHeader header;
    expect('{');
    while (true) {
      skipSpace();
      if (peek() == '}')
        break;
      std::string key = parseString();
      expect(':');
      skipSpace();
      if (key == "descr") {
        header.descr = parseString();
      } else if (key == "fortran_order") {
        header.fortranOrder = parseBool();
        header.hasFortranOrder = true;
      } else if (key == "shape") {
        header.shape = parseTuple();
        header.hasShape = true;
      } else {
        throw HeaderError{"unexpected header key " + quotedPrefix(key)};
      }
      skipSpace();
      if (peek() == ',')
        ++pos_;
    }
    if (header.descr.empty() || !header.hasFortranOrder || !header.hasShape)
      throw HeaderError{"header lacks descr, fortran_order or shape"};
    return header;
  }

private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skipSpace() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\n')
      ++pos_;
  }
  void expect(char c) {
    skipSpace();
    if (peek() != c)
      throw HeaderError{std::string("malformed header: expected '") + c + "'"};
    ++pos_;
  }
  std::string parseString() {
    skipSpace();
    char quote = peek();
    if (quote != '\'' && quote != '"')
      throw HeaderError{"malformed header: expected a string"};
    size_t end = text_.find(quote, ++pos_);
    if (end == std::string_view::npos)
      throw HeaderError{"malformed header: unterminated string"};
    std::string value(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return value;
  }
  bool parseBool() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    throw HeaderError{"malformed header: expected True or False"};
  }
  Shape parseTuple() {
    expect('(');
    Shape shape;
    while (true) {
      skipSpace();
      if (peek() == ')') {
        ++pos_;
        return shape;
      }
      int64_t dim = 0;
      size_t digits = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (dim > (INT64_MAX - 9) / 10)
          throw HeaderError{"shape dimension too large"};
        dim = dim * 10 + (text_[pos_++] - '0');
        ++digits;
      }
      if (!digits)
        throw HeaderError{"malformed header: expected a dimension"};
      if (peek() == 'L') // Python 2 longs
        ++pos_;
      shape.push_back(dim);
      skipSpace();
      if (peek() == ',')
        ++pos_;
      else if (peek() != ')')
        throw HeaderError{"malformed header: expected ',' or ')' in shape"};
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

DType dtypeFromDescr(const std::string &descr) {
  if (descr.size() == 3) {
    char order = descr[0];
    std::string code = descr.substr(1);
    for (const Descr &entry : kDescrs) {
      if (code != entry.code)
        continue;
      bool singleByte = dtypeSize(entry.dtype) == 1;
      if (order == '<' || order == '=' || (singleByte && order == '|') ||
          (singleByte && order == '>'))
        return entry.dtype;
      if (order == '>')
        throw HeaderError{"big-endian data (" + quotedPrefix(descr) +
                          ") is not supported; convert it with "
                          "a.astype('<" +
                          code + "')"};
    }
  }
  throw HeaderError{"unsupported dtype " + quotedPrefix(descr) +
                    " (supported: float32, float16, float64, int64, int32, "
                    "int16, int8, uint64, uint32, uint16, uint8, bool)"};
}

std::string descrFor(DType dtype) {
  // numpy has no bfloat16: its bit patterns are written as uint16, as
  // onnx.numpy_helper represents bfloat16 tensors.
  if (dtype == DType::BFloat16)
    return "<u2";
  for (const Descr &entry : kDescrs)
    if (entry.dtype == dtype)
      return (dtypeSize(dtype) == 1 ? "|" : "<") + std::string(entry.code);
  return "";
}
} // namespace

StatusOr<NpyHeaderInfo> parseNpyHeader(const uint8_t *data, size_t size) {
  if (size < 10 || std::memcmp(data, kMagic, kMagicSize) != 0)
    return invalidArgumentError("not a .npy file (bad magic bytes)");
  uint8_t major = data[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = data[8] | (size_t(data[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      return invalidArgumentError("truncated .npy header");
    headerLength = data[8] | (size_t(data[9]) << 8) | (size_t(data[10]) << 16) |
                   (size_t(data[11]) << 24);
    headerStart = 12;
  } else {
    return invalidArgumentError(".npy format version " + std::to_string(major) +
                                "." + std::to_string(data[7]) +
                                " is not supported");
  }
  if (headerLength > kMaxNpyHeaderLength)
    return invalidArgumentError(".npy header of " +
                                std::to_string(headerLength) +
                                " bytes is too long (at most " +
                                std::to_string(kMaxNpyHeaderLength) + ")");
  if (headerLength > size - headerStart)
    return invalidArgumentError("truncated .npy header");
  NpyHeader header;
  NpyHeaderInfo info;
  try {
    header =
        HeaderParser(
            std::string_view(reinterpret_cast<const char *>(data) + headerStart,
                             headerLength))
            .parse();
    info.dtype = dtypeFromDescr(header.descr);
  } catch (const HeaderError &error) {
    return invalidArgumentError(error.message);
  }
  if (header.fortranOrder && header.shape.size() > 1)
    return invalidArgumentError(
        "Fortran-order arrays are not supported; save the array with "
        "np.save(path, np.ascontiguousarray(a))");
  int64_t count = numElements(header.shape);
  size_t elementSize = dtypeSize(info.dtype);
  // The byte size must fit in size_t (and in a file), checked before use.
  if (count < 0 || static_cast<uint64_t>(count) >
                       std::numeric_limits<int64_t>::max() / elementSize)
    return invalidArgumentError("invalid shape " + shapeToString(header.shape) +
                                " (its byte size overflows)");
  info.shape = std::move(header.shape);
  info.dataOffset = headerStart + headerLength;
  info.dataBytes = static_cast<size_t>(count) * elementSize;
  return info;
}

namespace {
Status dataSizeMismatch(const NpyHeaderInfo &info, uint64_t payload) {
  return invalidArgumentError(
      std::string(payload < info.dataBytes ? "truncated" : "oversized") +
      " data: a " + dtypeName(info.dtype) + shapeToString(info.shape) +
      " array holds " + std::to_string(info.dataBytes) +
      " bytes, the file has " + std::to_string(payload));
}
} // namespace

StatusOr<Tensor> parseNpy(const uint8_t *data, size_t size) {
  StatusOr<NpyHeaderInfo> info = parseNpyHeader(data, size);
  if (!info.ok())
    return info.status();
  size_t payload = size - info->dataOffset;
  if (payload != info->dataBytes)
    return dataSizeMismatch(*info, payload);
  return Tensor::fromBytes(info->dtype, info->shape, data + info->dataOffset,
                           payload);
}

StatusOr<Tensor> readNpyFile(const std::string &path, uint64_t maxDataBytes) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    int error = errno;
    std::string message = "cannot open '" + path + "': " + std::strerror(error);
    return error == ENOENT ? notFoundError(message)
                           : invalidArgumentError(message);
  }
  auto fail = [&path](const Status &status) {
    return Status(status.code(), "'" + path + "': " + status.message());
  };
  struct stat st;
  if (::fstat(::fileno(file.get()), &st) != 0 || !S_ISREG(st.st_mode))
    return invalidArgumentError("'" + path + "': not a regular file");
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  // The header first, then the data only once its size is known to match the
  // file's: a damaged or hostile header never makes the reader allocate.
  std::vector<uint8_t> head(
      static_cast<size_t>(std::min<uint64_t>(fileSize, 12)));
  if (std::fread(head.data(), 1, head.size(), file.get()) != head.size())
    return invalidArgumentError("cannot read '" + path + "'");
  StatusOr<NpyHeaderInfo> info = parseNpyHeader(head.data(), head.size());
  if (!info.ok() && head.size() == 12) {
    // Read exactly the header the prefix announces, if the file holds it.
    size_t start = head[6] == 1 ? 10 : 12;
    uint64_t length = head[8] | (uint64_t(head[9]) << 8);
    if (start == 12)
      length |= (uint64_t(head[10]) << 16) | (uint64_t(head[11]) << 24);
    if (length <= kMaxNpyHeaderLength && start + length > 12 &&
        start + length <= fileSize) {
      head.resize(start + length);
      if (std::fread(head.data() + 12, 1, head.size() - 12, file.get()) !=
          head.size() - 12)
        return invalidArgumentError("cannot read '" + path + "'");
      info = parseNpyHeader(head.data(), head.size());
    }
  }
  if (!info.ok())
    return fail(info.status());
  uint64_t payload = fileSize - info->dataOffset;
  if (payload != info->dataBytes)
    return fail(dataSizeMismatch(*info, payload));
  if (info->dataBytes > maxDataBytes)
    return fail(resourceExhaustedError(
        "a " + std::string(dtypeName(info->dtype)) +
        shapeToString(info->shape) + " array of " +
        std::to_string(info->dataBytes) + " bytes is more than the input can "
        "take (" + std::to_string(maxDataBytes) + " bytes at most)"));
  if (std::fseek(file.get(), static_cast<long>(info->dataOffset), SEEK_SET) !=
      0)
    return invalidArgumentError("cannot read '" + path + "'");
  StatusOr<Tensor> tensor = Tensor::create(info->dtype, info->shape);
  if (!tensor.ok())
    return fail(tensor.status());
  if (info->dataBytes &&
      std::fread(tensor->data(), 1, info->dataBytes, file.get()) !=
          info->dataBytes)
    return invalidArgumentError("cannot read '" + path +
                                "': it changed while being read");
  return tensor;
}

std::vector<uint8_t> encodeNpy(const Tensor &tensor) {
  // The shape tuple as numpy prints it: "()", "(3,)" or "(2, 3)".
  std::string dict = "{'descr': '" + descrFor(tensor.dtype()) +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < tensor.shape().size(); ++i)
    dict += (i ? ", " : "") + std::to_string(tensor.shape()[i]);
  if (tensor.shape().size() == 1)
    dict += ",";
  dict += "), }";
  // numpy pads the header with spaces and a newline to a 64-byte boundary;
  // version 2.0 only differs in a 4-byte length for huge headers.
  auto paddedLength = [&](size_t prefix) {
    return (prefix + dict.size() + 1 + 63) / 64 * 64 - prefix;
  };
  bool wide = paddedLength(10) > 65535;
  size_t length = paddedLength(wide ? 12 : 10);
  dict.append(length - dict.size() - 1, ' ');
  dict += '\n';
  std::vector<uint8_t> bytes(kMagic, kMagic + kMagicSize);
  bytes.push_back(wide ? 2 : 1);
  bytes.push_back(0);
  for (size_t i = 0; i < (wide ? 4u : 2u); ++i)
    bytes.push_back(static_cast<uint8_t>(length >> (8 * i)));
  bytes.insert(bytes.end(), dict.begin(), dict.end());
  const auto *data = static_cast<const uint8_t *>(tensor.data());
  if (tensor.byteSize())
    bytes.insert(bytes.end(), data, data + tensor.byteSize());
  return bytes;
}

StatusOr<Tensor> readNpy(const std::string &path) {
  return readNpyFile(path, std::numeric_limits<uint64_t>::max());
}

Status writeNpy(const std::string &path, const Tensor &tensor) {
  std::vector<uint8_t> bytes = encodeNpy(tensor);
  return writeFileBytes(path, bytes.data(), bytes.size());
}

} // namespace io
} // namespace cleave
