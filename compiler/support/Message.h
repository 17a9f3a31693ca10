// Error messages for the terminal: one line, with the bytes a model may smuggle in made visible.
#ifndef CLEAVE_COMPILER_SUPPORT_MESSAGE_H
#define CLEAVE_COMPILER_SUPPORT_MESSAGE_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace cleave {

/// Returns `text` as one line fit to print: line breaks and runs of whitespace (ASCII ones,
/// and U+0085, U+2028, U+2029) become one space, leading and trailing whitespace is dropped,
/// and every byte that is not printable is written `\xNN` (lowercase hex): ASCII controls,
/// DEL, bytes that are not valid UTF-8, and the UTF-8 bytes of C1 controls and of the
/// bidirectional formatting characters (which reorder what a terminal shows). Printable
/// UTF-8 is kept. Backslashes are kept as they are, so applying the function twice gives
/// what applying it once gives.
///
/// Model names reach messages verbatim (a node may be called "a\nb\x1b[2J"), and libonnx's
/// checker writes several lines; every error a tool prints goes through this function so
/// that it stays the one line the command-line contract promises.
std::string oneLineMessage(llvm::StringRef text);

} // namespace cleave

#endif // CLEAVE_COMPILER_SUPPORT_MESSAGE_H
