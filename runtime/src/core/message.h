//===- message.h - Error messages fit for one terminal line ---------------===//
//
// Plain C++ (no LLVM), so that the runtime's tools and the compiler's print
// errors through the one implementation: the compiler compiles this file into
// its support library too.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_CORE_MESSAGE_H
#define CLEAVE_RUNTIME_CORE_MESSAGE_H

#include <string>
#include <string_view>

namespace cleave {

/// Returns `text` as one line fit to print: line breaks and runs of whitespace
/// (ASCII ones, and U+0085, U+2028, U+2029) become one space, leading and
/// trailing whitespace is dropped, and every byte that is not printable is
/// written `\xNN` (lowercase hex): ASCII controls, DEL, bytes that are not
/// valid UTF-8, and the UTF-8 bytes of C1 controls and of the bidirectional
/// formatting characters (which reorder what a terminal shows). Printable
/// UTF-8 is kept. Backslashes are kept as they are, so applying the function
/// twice gives what applying it once gives.
///
/// Model names reach messages verbatim (a node or input may be called
/// "a\nb\x1b[2J"), and libonnx's checker writes several lines; every error a
/// tool prints goes through this function so that it stays the one line the
/// command-line contract promises.
std::string oneLineMessage(std::string_view text);

/// `text` in single quotes for a message, cut after `max` bytes (at a UTF-8
/// character boundary, marked "...") so that a value read from a file never
/// makes a message quote the whole file.
std::string quotedPrefix(std::string_view text, size_t max = 64);

} // namespace cleave

#endif // CLEAVE_RUNTIME_CORE_MESSAGE_H
