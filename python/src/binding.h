// binding.h - What the parts of the _cleave extension module share: errors and registration.
//
// The extension includes only compiler/driver/Driver.h (standard types) and runtime headers.
// Errors reach Python as cleave.Error (a RuntimeError) carrying the one-line message the
// command-line tools print after "error: ", and for runtime failures the status code's name.
#ifndef CLEAVE_PYTHON_BINDING_H
#define CLEAVE_PYTHON_BINDING_H

#include "cleave/runtime.h"

#include <pybind11/pybind11.h>

#include <exception>
#include <string>

namespace cleave::python {

/// A failure to report as cleave.Error: thrown inside the binding only, and translated at
/// the boundary into the Python exception (no C++ exception reaches the runtime or Python).
class Error : public std::exception {
public:
  /// `message` is made one line; `code` is a StatusCode name ("INVALID_ARGUMENT") or empty.
  Error(std::string message, std::string code);
  const char *what() const noexcept override { return message_.c_str(); }
  /// The status code's name, or "" for failures without one (compile errors).
  const std::string &code() const { return code_; }

private:
  std::string message_;
  std::string code_;
};

/// Throws Error for a failed `status` (with its code); does nothing on success.
void throwIfFailed(const Status &status);

/// Throws Error(message, "INVALID_ARGUMENT"): a bad argument found by the binding itself.
[[noreturn]] void throwInvalid(const std::string &message);

/// Defines cleave.Error in `module` and translates Error into it.
void registerErrors(pybind11::module_ &module);

/// Defines compile() (and explain through it) in `module`.
void registerCompiler(pybind11::module_ &module);

/// Defines InferenceSession, NodeArg, aligned_empty and _shutdown in `module`.
void registerSession(pybind11::module_ &module);

/// Defines _generate (the generation loop; cleave.generate wraps it) in `module`.
void registerGenerate(pybind11::module_ &module);

} // namespace cleave::python

#endif // CLEAVE_PYTHON_BINDING_H
