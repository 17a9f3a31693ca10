//===- crc32_test.cc - Tests for CRC-32 -----------------------------------===//

#include "core/crc32.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#ifdef CLEAVE_HAVE_ZLIB
#include <zlib.h>
#endif

namespace cleave {
namespace {

TEST(Crc32Test, KnownValues) {
  EXPECT_EQ(crc32("", 0), 0u);
  EXPECT_EQ(crc32("123456789", 9), 0xCBF43926u);
  std::string fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(crc32(fox.data(), fox.size()), 0x414FA339u);
}

TEST(Crc32Test, IncrementalEqualsWhole) {
  std::string text = "Cleave splits models into pipeline stages";
  uint32_t whole = crc32(text.data(), text.size());
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    uint32_t part = crc32(0, text.data(), cut);
    part = crc32(part, text.data() + cut, text.size() - cut);
    EXPECT_EQ(part, whole) << "cut at " << cut;
  }
}

#ifdef CLEAVE_HAVE_ZLIB
TEST(Crc32Test, MatchesZlib) {
  std::mt19937 rng(7);
  for (size_t size : {1, 7, 8, 9, 63, 64, 65, 1000, 4096, 100003}) {
    std::vector<uint8_t> bytes(size);
    for (uint8_t &b : bytes)
      b = static_cast<uint8_t>(rng());
    // Unaligned starts exercise the slicing loop's memcpy path.
    for (size_t start : {0, 1, 3}) {
      if (start >= size)
        continue;
      uLong expected =
          ::crc32(0L, bytes.data() + start, static_cast<uInt>(size - start));
      EXPECT_EQ(cleave::crc32(bytes.data() + start, size - start), expected)
          << "size " << size << " start " << start;
    }
  }
}
#endif

} // namespace
} // namespace cleave
