//===- tensor_file.cc - Reading and writing tensor files ------------------===//

#include "io/tensor_file.h"

#include "io/npy.h"
#include "io/onnx_tensor.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace cleave {
namespace io {

namespace {
struct FileCloser {
  void operator()(std::FILE *file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

bool endsWith(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}
} // namespace

StatusOr<std::vector<uint8_t>> readFileBytes(const std::string &path) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    int error = errno;
    std::string message = "cannot open '" + path + "': " + std::strerror(error);
    return error == ENOENT ? notFoundError(message)
                           : invalidArgumentError(message);
  }
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  size_t count;
  while ((count = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0)
    bytes.insert(bytes.end(), buffer, buffer + count);
  if (std::ferror(file.get()))
    return invalidArgumentError("cannot read '" + path +
                                "': " + std::strerror(errno));
  return bytes;
}

Status writeFileBytes(const std::string &path, const void *data, size_t size) {
  FilePtr file(std::fopen(path.c_str(), "wb"));
  if (!file)
    return invalidArgumentError("cannot create '" + path +
                                "': " + std::strerror(errno));
  if (size && std::fwrite(data, 1, size, file.get()) != size)
    return internalError("cannot write '" + path +
                         "': " + std::strerror(errno));
  if (std::fclose(file.release()) != 0)
    return internalError("cannot write '" + path +
                         "': " + std::strerror(errno));
  return Status();
}

StatusOr<Tensor> readTensorFile(const std::string &path,
                                uint64_t maxDataBytes) {
  bool isNpy = endsWith(path, ".npy");
  if (!isNpy && !endsWith(path, ".pb"))
    return invalidArgumentError("'" + path +
                                "': unknown tensor file type (expected a "
                                ".npy or ONNX TensorProto .pb file)");
  if (isNpy)
    return readNpyFile(path, maxDataBytes);
  StatusOr<std::vector<uint8_t>> bytes = readFileBytes(path);
  if (!bytes.ok())
    return bytes.status();
  StatusOr<Tensor> tensor =
      parseTensorProto(bytes->data(), bytes->size());
  if (!tensor.ok())
    return Status(tensor.status().code(),
                  "'" + path + "': " + tensor.status().message());
  return tensor;
}

} // namespace io
} // namespace cleave
