//===- tensor.cc - Element types, shapes and host tensors -----------------===//

#include "cleave/runtime.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <unistd.h>

namespace cleave {

namespace {
/// Host buffers are aligned for AVX-512 loads and for the entry-point ABI.
constexpr size_t kTensorAlignment = 64;

struct DTypeInfo {
  DType dtype;
  const char *name;
  size_t size;
};
/// Every element type, from the contract's one list (cleave/abi.h).
constexpr DTypeInfo kDTypes[] = {
#define CLEAVE_DTYPE_INFO(name, code, numpy, bytes)                            \
  {static_cast<DType>(code), numpy, bytes},
    CLEAVE_DTYPES(CLEAVE_DTYPE_INFO)
#undef CLEAVE_DTYPE_INFO
};
} // namespace

const char *dtypeName(DType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info.name;
  return "unknown";
}

StatusOr<DType> parseDType(std::string_view name) {
  for (const DTypeInfo &info : kDTypes)
    if (name == info.name)
      return info.dtype;
  std::string known;
  for (const DTypeInfo &info : kDTypes)
    known += (known.empty() ? "" : ", ") + std::string(info.name);
  return invalidArgumentError("unknown dtype '" + std::string(name) +
                              "' (expected one of " + known + ")");
}

size_t dtypeSize(DType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info.size;
  return 0;
}

std::string shapeToString(const Shape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

int64_t numElements(const Shape &shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return -1;
    if (dim != 0 && count > std::numeric_limits<int64_t>::max() / dim)
      return -1;
    count *= dim;
  }
  return count;
}

size_t TensorDesc::byteSize() const {
  int64_t count = numElements(shape);
  return count < 0 ? 0 : static_cast<size_t>(count) * dtypeSize(dtype);
}

std::string TensorDesc::toString() const {
  return name + ": " + dtypeName(dtype) + shapeToString(shape);
}

void Tensor::FreeDeleter::operator()(void *ptr) const { std::free(ptr); }

StatusOr<Tensor> Tensor::create(DType dtype, Shape shape) {
  int64_t count = cleave::numElements(shape);
  size_t elementSize = dtypeSize(dtype);
  if (count < 0 || static_cast<uint64_t>(count) >
                       std::numeric_limits<size_t>::max() / 2 / elementSize)
    return invalidArgumentError("invalid tensor shape " + shapeToString(shape));
  size_t bytes = static_cast<size_t>(count) * elementSize;
  // The memory is zeroed below, so an allocation the kernel overcommits would
  // bring in the out-of-memory killer: refuse what no machine of this size
  // could hold.
  static const uint64_t physical = [] {
    long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && pageSize > 0
               ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize)
               : std::numeric_limits<uint64_t>::max();
  }();
  if (bytes > physical)
    return resourceExhaustedError(
        "a " + std::string(dtypeName(dtype)) + shapeToString(shape) +
        " tensor (" + std::to_string(bytes) +
        " bytes) is larger than this machine's memory (" +
        std::to_string(physical) + " bytes)");
  // aligned_alloc wants a multiple of the alignment, and a zero-size tensor
  // still gets a valid pointer to hand to generated code.
  size_t rounded =
      (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (rounded == 0)
    rounded = kTensorAlignment;
  void *data = std::aligned_alloc(kTensorAlignment, rounded);
  if (!data)
    return resourceExhaustedError(
        "out of memory allocating a " + std::string(dtypeName(dtype)) +
        shapeToString(shape) + " tensor (" + std::to_string(bytes) + " bytes)");
  std::memset(data, 0, rounded);
  Tensor tensor;
  tensor.dtype_ = dtype;
  tensor.shape_ = std::move(shape);
  tensor.byteSize_ = bytes;
  tensor.data_.reset(data);
  return tensor;
}

StatusOr<Tensor> Tensor::fromBytes(DType dtype, Shape shape, const void *bytes,
                                   size_t size) {
  StatusOr<Tensor> tensor = create(dtype, std::move(shape));
  if (!tensor.ok())
    return tensor;
  if (tensor->byteSize() != size)
    return invalidArgumentError(
        "a " + std::string(dtypeName(dtype)) + shapeToString(tensor->shape()) +
        " tensor holds " + std::to_string(tensor->byteSize()) + " bytes, got " +
        std::to_string(size));
  if (size)
    std::memcpy(tensor->data(), bytes, size);
  return tensor;
}

StatusOr<Tensor> Tensor::clone() const {
  return fromBytes(dtype_, shape_, data(), byteSize_);
}

} // namespace cleave
