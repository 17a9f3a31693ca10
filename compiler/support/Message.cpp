// One-line messages: what every error Cleave prints goes through.
#include "compiler/support/Message.h"

#include "llvm/ADT/StringExtras.h"

std::string cleave::oneLineMessage(llvm::StringRef message) {
  std::string line;
  bool space = false;
  for (unsigned char c : message.trim()) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      space = true;
      continue;
    }
    if (space && !line.empty())
      line += ' ';
    space = false;
    if (c >= 0x20 && c < 0x7f) {
      line += static_cast<char>(c);
    } else {
      line += "\\x";
      line += llvm::hexdigit(c >> 4, /*LowerCase=*/true);
      line += llvm::hexdigit(c & 15, /*LowerCase=*/true);
    }
  }
  return line;
}
