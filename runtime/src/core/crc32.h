//===- crc32.h - CRC-32 (zlib polynomial) ---------------------------------===//

#ifndef CLEAVE_RUNTIME_CORE_CRC32_H
#define CLEAVE_RUNTIME_CORE_CRC32_H

#include <cstddef>
#include <cstdint>

namespace cleave {

/// Continues the CRC-32 `crc` over `size` bytes at `data`: the zlib
/// polynomial 0xEDB88320 (reflected, initial and final xor 0xFFFFFFFF), so
/// that crc32(0, ...) equals zlib's crc32(0, ...) and llvm::crc32(...).
uint32_t crc32(uint32_t crc, const void *data, size_t size);

/// CRC-32 of one buffer.
inline uint32_t crc32(const void *data, size_t size) {
  return crc32(0, data, size);
}

} // namespace cleave

#endif // CLEAVE_RUNTIME_CORE_CRC32_H
