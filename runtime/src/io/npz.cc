//===- npz.cc - numpy .npz archives (uncompressed) ------------------------===//
//
// The members are found through the zip central directory (numpy's local
// headers carry zip64 placeholders instead of sizes), then read from their
// local headers.
//
//===----------------------------------------------------------------------===//

#include "io/npz.h"

#include "core/crc32.h"
#include "io/npy.h"

#include <cstring>
#include <fstream>
#include <iterator>

namespace cleave {
namespace io {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64Marker = 0xFFFFFFFF;

uint16_t get16(const uint8_t *p) { return uint16_t(p[0] | p[1] << 8); }
uint32_t get32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
         uint32_t(p[3]) << 24;
}
uint64_t get64(const uint8_t *p) {
  return uint64_t(get32(p)) | uint64_t(get32(p + 4)) << 32;
}
void put16(std::vector<uint8_t> &out, uint32_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}
void put32(std::vector<uint8_t> &out, uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}

} // namespace

StatusOr<std::vector<NamedTensor>> readNpz(const std::string &path,
                                           uint64_t maxDataBytes) {
  auto bad = [&](const std::string &why) {
    return invalidArgumentError("'" + path + "': " + why);
  };
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return notFoundError("cannot open '" + path + "'");
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
  if (in.bad())
    return bad("read error");
  const size_t size = file.size();
  const uint8_t *data = file.data();
  // The end record is in the last 22 + 65535 bytes (its comment).
  size_t end = size;
  if (size >= 22) {
    size_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
    for (size_t at = size - 22 + 1; at-- > lowest;)
      if (get32(data + at) == kEndSig) {
        end = at;
        break;
      }
  }
  if (end == size)
    return bad("not a .npz file (no zip end record)");
  uint64_t count = get16(data + end + 10);
  uint64_t central = get32(data + end + 16);
  if (central == kZip64Marker || count == 0xFFFF)
    return bad("zip64 archives (over 4 GiB or 65535 arrays) are not supported");
  std::vector<NamedTensor> arrays;
  size_t at = central;
  for (uint64_t i = 0; i < count; ++i) {
    if (at + 46 > size || get32(data + at) != kCentralSig)
      return bad("damaged zip central directory");
    uint16_t method = get16(data + at + 10);
    uint64_t compressed = get32(data + at + 20);
    uint64_t uncompressed = get32(data + at + 24);
    size_t nameLength = get16(data + at + 28);
    size_t extraLength = get16(data + at + 30);
    size_t commentLength = get16(data + at + 32);
    uint64_t local = get32(data + at + 42);
    if (at + 46 + nameLength + extraLength > size)
      return bad("damaged zip central directory");
    std::string name(reinterpret_cast<const char *>(data + at + 46),
                     nameLength);
    // Zip64 extra field: the 8-byte values of the fields set to the marker.
    const uint8_t *extra = data + at + 46 + nameLength;
    for (size_t e = 0; e + 4 <= extraLength;) {
      uint16_t id = get16(extra + e), length = get16(extra + e + 2);
      if (e + 4 + length > extraLength)
        break;
      if (id == 1) {
        const uint8_t *v = extra + e + 4;
        size_t left = length;
        for (uint64_t *field : {&uncompressed, &compressed, &local})
          if (*field == kZip64Marker && left >= 8) {
            *field = get64(v);
            v += 8;
            left -= 8;
          }
      }
      e += 4 + length;
    }
    at += 46 + nameLength + extraLength + commentLength;
    if (method != 0)
      return bad("member '" + name +
                 "' is compressed (numpy.savez_compressed); write the "
                 "archive with numpy.savez");
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".npy") != 0)
      return bad("member '" + name + "' is not a .npy array");
    if (local + 30 > size || get32(data + local) != kLocalSig)
      return bad("damaged zip local header of '" + name + "'");
    uint64_t start =
        local + 30 + get16(data + local + 26) + get16(data + local + 28);
    if (start > size || uncompressed > size - start ||
        compressed != uncompressed)
      return bad("member '" + name + "' ends past the end of the file");
    StatusOr<NpyHeaderInfo> header =
        parseNpyHeader(data + start, size_t(uncompressed));
    if (!header.ok())
      return bad("member '" + name + "': " + header.status().message());
    if (header->dataBytes > maxDataBytes)
      return resourceExhaustedError(
          "'" + path + "': member '" + name + "' holds " +
          std::to_string(header->dataBytes) + " bytes, more than the " +
          std::to_string(maxDataBytes) + " expected");
    StatusOr<Tensor> tensor = parseNpy(data + start, size_t(uncompressed));
    if (!tensor.ok())
      return bad("member '" + name + "': " + tensor.status().message());
    arrays.emplace_back(name.substr(0, name.size() - 4),
                        std::move(tensor).value());
  }
  return arrays;
}

std::vector<uint8_t> encodeNpz(const std::vector<NamedTensor> &arrays) {
  std::vector<uint8_t> out, central;
  uint16_t count = 0;
  for (const NamedTensor &array : arrays) {
    std::vector<uint8_t> member = encodeNpy(array.second);
    std::string name = array.first + ".npy";
    uint32_t crc = crc32(member.data(), member.size());
    uint32_t offset = uint32_t(out.size());
    // Local header: version 2.0, no flags, stored, DOS time 1980-01-01.
    put32(out, kLocalSig);
    put16(out, 20);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0x21);
    put32(out, crc);
    put32(out, uint32_t(member.size()));
    put32(out, uint32_t(member.size()));
    put16(out, uint32_t(name.size()));
    put16(out, 0);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), member.begin(), member.end());
    put32(central, kCentralSig);
    put16(central, 20);
    put16(central, 20);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0x21);
    put32(central, crc);
    put32(central, uint32_t(member.size()));
    put32(central, uint32_t(member.size()));
    put16(central, uint32_t(name.size()));
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put32(central, 0);
    put32(central, offset);
    central.insert(central.end(), name.begin(), name.end());
    ++count;
  }
  uint32_t centralOffset = uint32_t(out.size());
  out.insert(out.end(), central.begin(), central.end());
  put32(out, kEndSig);
  put16(out, 0);
  put16(out, 0);
  put16(out, count);
  put16(out, count);
  put32(out, uint32_t(central.size()));
  put32(out, centralOffset);
  put16(out, 0);
  return out;
}

} // namespace io
} // namespace cleave
