//===- sha256.h - SHA-256 of a file, for the server's audit records -------===//
//
// The audit log names the artifact that answered a request by its SHA-256;
// the runtime has no crypto library, and this is the whole of what it needs.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_SERVE_SHA256_H
#define CLEAVE_RUNTIME_SERVE_SHA256_H

#include "cleave/runtime.h"

#include <cstddef>
#include <string>

namespace cleave::serve {

/// The SHA-256 of `size` bytes at `data`, as 64 lowercase hex digits.
std::string sha256Hex(const void *data, size_t size);

/// The SHA-256 of the file at `path`, as 64 lowercase hex digits.
StatusOr<std::string> sha256File(const std::string &path);

} // namespace cleave::serve

#endif // CLEAVE_RUNTIME_SERVE_SHA256_H
