//===- npy_fuzzer.cc - libFuzzer target: the .npy reader ------------------===//
//
// Bytes as a .npy image (parseNpy) and as a file (readNpyFile, which reads the
// header first and sizes the file against it).
//
//===----------------------------------------------------------------------===//

#include "fuzz/fuzz_file.h"
#include "io/npy.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cleave::StatusOr<cleave::Tensor> tensor = cleave::io::parseNpy(data, size);
  if (tensor.ok() && tensor->byteSize()) {
    // Touch every byte, so that a size mismatch shows up under ASan.
    volatile uint8_t sum = 0;
    const auto *bytes = static_cast<const uint8_t *>(tensor->data());
    for (size_t i = 0; i < tensor->byteSize(); ++i)
      sum += bytes[i];
    (void)sum;
  }
  cleave::fuzz::FuzzFile file(data, size);
  (void)cleave::io::readNpyFile(file.path(), uint64_t(1) << 24);
  return 0;
}
