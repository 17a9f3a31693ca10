// One-line messages: what every error Cleave prints goes through.
#ifndef CLEAVE_COMPILER_SUPPORT_MESSAGE_H
#define CLEAVE_COMPILER_SUPPORT_MESSAGE_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace cleave {

/// `message` on one line: line breaks and runs of white space become one space, other
/// bytes outside printable ASCII become `\xNN`, and leading and trailing space goes.
std::string oneLineMessage(llvm::StringRef message);

} // namespace cleave

#endif // CLEAVE_COMPILER_SUPPORT_MESSAGE_H
