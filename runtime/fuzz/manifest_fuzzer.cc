//===- manifest_fuzzer.cc - libFuzzer target: the manifest parser ---------===//
//
// Bytes as manifest JSON: the JSON parser, the schema and the cross-stage
// checks (parseManifest), which the artifact loader runs once the manifest's
// checksum matches.
//
//===----------------------------------------------------------------------===//

#include "core/manifest.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)cleave::parseManifest(
      std::string_view(reinterpret_cast<const char *>(data), size));
  return 0;
}
