//===- artifact_fuzzer.cc - libFuzzer target: the artifact loader ---------===//
//
// Bytes as a .cleave file, opened with Artifact::open (every section checked)
// and, when it loads, described (cleave-run --info). Random bytes rarely carry
// matching checksums, which would stop the loader at the header: when the
// input starts with the magic, the header and manifest checksums are set to
// what the bytes call for before loading, so the fuzzer reaches the manifest
// parser and the section and parameter bounds checks. (Section checksums are
// left as they are: they are checked last.)
//
//===----------------------------------------------------------------------===//

#include "cleave/abi.h"
#include "cleave/runtime.h"
#include "core/crc32.h"
#include "fuzz/fuzz_file.h"

#include <cstring>
#include <vector>

namespace {
void putLE32(uint8_t *at, uint32_t value) { std::memcpy(at, &value, 4); }
uint64_t readLE64(const uint8_t *at) {
  uint64_t value;
  std::memcpy(&value, at, 8);
  return value;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  if (size >= CLEAVE_HEADER_SIZE &&
      std::memcmp(data, CLEAVE_MAGIC, CLEAVE_MAGIC_SIZE) == 0) {
    uint64_t offset = readLE64(&bytes[CLEAVE_HEADER_MANIFEST_OFFSET_OFFSET]);
    uint64_t length = readLE64(&bytes[CLEAVE_HEADER_MANIFEST_SIZE_OFFSET]);
    if (offset <= size && length <= size - offset)
      putLE32(&bytes[CLEAVE_HEADER_MANIFEST_CRC_OFFSET],
              cleave::crc32(bytes.data() + offset, length));
    putLE32(&bytes[CLEAVE_HEADER_CRC_OFFSET],
            cleave::crc32(bytes.data(), CLEAVE_HEADER_CRC_OFFSET));
  }
  cleave::fuzz::FuzzFile file(bytes.data(), bytes.size());
  cleave::StatusOr<std::unique_ptr<cleave::Artifact>> artifact =
      cleave::Artifact::open(file.path());
  if (artifact.ok()) {
    (void)(*artifact)->describe();
    for (const cleave::ParameterDesc &param : (*artifact)->parameters())
      (void)(*artifact)->parameterData(param);
  }
  return 0;
}
