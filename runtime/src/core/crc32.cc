//===- crc32.cc - CRC-32 with slicing-by-8 --------------------------------===//
//
// Slicing-by-8 makes checksumming a multi-gigabyte parameter section cost
// about a second instead of several.
//
//===----------------------------------------------------------------------===//

#include "core/crc32.h"

#include <array>
#include <cstring>

namespace cleave {

namespace {
using Tables = std::array<std::array<uint32_t, 256>, 8>;

Tables makeTables() {
  Tables tables{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    tables[0][i] = crc;
  }
  for (uint32_t i = 0; i < 256; ++i)
    for (int t = 1; t < 8; ++t)
      tables[t][i] =
          (tables[t - 1][i] >> 8) ^ tables[0][tables[t - 1][i] & 0xFF];
  return tables;
}

const Tables &tables() {
  static const Tables instance = makeTables();
  return instance;
}
} // namespace

uint32_t crc32(uint32_t crc, const void *data, size_t size) {
  const Tables &t = tables();
  const auto *bytes = static_cast<const uint8_t *>(data);
  crc = ~crc;
  while (size >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, bytes, 4);
    std::memcpy(&hi, bytes + 4, 4);
    // The runtime targets little-endian hosts only (x86-64, aarch64).
    lo ^= crc;
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^
          t[4][lo >> 24] ^ t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^
          t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    bytes += 8;
    size -= 8;
  }
  while (size--)
    crc = (crc >> 8) ^ t[0][(crc ^ *bytes++) & 0xFF];
  return ~crc;
}

} // namespace cleave
