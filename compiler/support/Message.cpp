// Error messages for the terminal: one line, with the bytes a model may smuggle in made visible.
#include "compiler/support/Message.h"

#include "llvm/Support/ConvertUTF.h"

using namespace cleave;

namespace {

/// Code points that end a line as far as a terminal or a log reader is concerned.
bool isLineBreak(llvm::UTF32 c) { return c == 0x85 || c == 0x2028 || c == 0x2029; }

/// Printable code points of two or more UTF-8 bytes: not a C1 control, and not a
/// bidirectional formatting character (marks, embeddings, overrides, isolates).
bool isPrintableNonAscii(llvm::UTF32 c) {
  if (c < 0xA0)
    return false;
  if (c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069))
    return false;
  return true;
}

void appendEscaped(std::string &out, unsigned char byte) {
  static const char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xF];
}

} // namespace

std::string cleave::oneLineMessage(llvm::StringRef text) {
  std::string out;
  out.reserve(text.size());
  bool pendingSpace = false;
  auto emit = [&](llvm::StringRef piece) {
    if (pendingSpace && !out.empty())
      out += ' ';
    pendingSpace = false;
    out += piece;
  };
  const auto *p = reinterpret_cast<const llvm::UTF8 *>(text.data());
  const auto *end = p + text.size();
  while (p < end) {
    unsigned char byte = *p;
    if (byte == ' ' || byte == '\t' || byte == '\n' || byte == '\v' || byte == '\f' ||
        byte == '\r') {
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
        emit(llvm::StringRef(reinterpret_cast<const char *>(p), 1));
      }
      ++p;
      continue;
    }
    // A multi-byte sequence: kept if it is valid UTF-8 for a printable code point.
    const llvm::UTF8 *next = p;
    llvm::UTF32 c = 0;
    if (llvm::convertUTF8Sequence(&next, end, &c, llvm::strictConversion) == llvm::conversionOK &&
        next > p) {
      if (isLineBreak(c)) {
        pendingSpace = true;
      } else if (isPrintableNonAscii(c)) {
        emit(llvm::StringRef(reinterpret_cast<const char *>(p), next - p));
      } else {
        std::string escaped;
        for (const llvm::UTF8 *q = p; q < next; ++q)
          appendEscaped(escaped, *q);
        emit(escaped);
      }
      p = next;
      continue;
    }
    std::string escaped;
    appendEscaped(escaped, byte);
    emit(escaped);
    ++p;
  }
  return out;
}
