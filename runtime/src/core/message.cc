//===- message.cc - Error messages fit for one terminal line --------------===//

#include "core/message.h"

#include <cstdint>

namespace cleave {

namespace {

/// Code points that end a line as far as a terminal or a log reader is
/// concerned.
bool isLineBreak(uint32_t c) { return c == 0x85 || c == 0x2028 || c == 0x2029; }

/// Printable code points of two or more UTF-8 bytes: not a C1 control, and not
/// a bidirectional formatting character (marks, embeddings, overrides,
/// isolates).
bool isPrintableNonAscii(uint32_t c) {
  if (c < 0xA0)
    return false;
  if (c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
      (c >= 0x2066 && c <= 0x2069))
    return false;
  return true;
}

void appendEscaped(std::string &out, unsigned char byte) {
  static const char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xF];
}

/// Decodes one well-formed UTF-8 sequence of two to four bytes at `p`
/// (shortest form, no surrogates, at most U+10FFFF); returns its length, or 0.
size_t decodeUtf8(const unsigned char *p, const unsigned char *end,
                  uint32_t *code) {
  unsigned char lead = *p;
  size_t length;
  uint32_t c;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    c = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    c = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    c = lead & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < length)
    return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if ((length == 3 && c < 0x800) || (length == 4 && c < 0x10000) ||
      c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *code = c;
  return length;
}

} // namespace

std::string oneLineMessage(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pendingSpace = false;
  auto emit = [&](std::string_view piece) {
    if (pendingSpace && !out.empty())
      out += ' ';
    pendingSpace = false;
    out += piece;
  };
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  const auto *end = p + text.size();
  while (p < end) {
    unsigned char byte = *p;
    if (byte == ' ' || byte == '\t' || byte == '\n' || byte == '\v' ||
        byte == '\f' || byte == '\r') {
      pendingSpace = true;
      ++p;
      continue;
    }
    if (byte < 0x80) {
      if (byte < 0x20 || byte == 0x7F) {
        std::string escaped;
        appendEscaped(escaped, byte);
        emit(escaped);
      } else {
        emit(std::string_view(reinterpret_cast<const char *>(p), 1));
      }
      ++p;
      continue;
    }
    // A multi-byte sequence: kept if it is valid UTF-8 for a printable code
    // point.
    uint32_t c = 0;
    if (size_t length = decodeUtf8(p, end, &c)) {
      if (isLineBreak(c)) {
        pendingSpace = true;
      } else if (isPrintableNonAscii(c)) {
        emit(std::string_view(reinterpret_cast<const char *>(p), length));
      } else {
        std::string escaped;
        for (size_t i = 0; i < length; ++i)
          appendEscaped(escaped, p[i]);
        emit(escaped);
      }
      p += length;
      continue;
    }
    std::string escaped;
    appendEscaped(escaped, byte);
    emit(escaped);
    ++p;
  }
  return out;
}

std::string quotedPrefix(std::string_view text, size_t max) {
  if (text.size() <= max)
    return "'" + std::string(text) + "'";
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut; // not inside a UTF-8 sequence
  return "'" + std::string(text.substr(0, cut)) + "...' (" +
         std::to_string(text.size()) + " bytes)";
}

} // namespace cleave
