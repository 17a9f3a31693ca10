// Error messages for the terminal: one line, with the bytes a model may smuggle in made visible.
#ifndef CLEAVE_COMPILER_SUPPORT_MESSAGE_H
#define CLEAVE_COMPILER_SUPPORT_MESSAGE_H

// cleave::oneLineMessage(std::string_view) is implemented once, in plain C++ in the runtime
// (runtime/src/core/message.cc, documented there), and compiled into CleaveSupport as well, so
// that cleave-compile and cleave-run fold and escape messages alike.
#include "core/message.h"

#endif // CLEAVE_COMPILER_SUPPORT_MESSAGE_H
