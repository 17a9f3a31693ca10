// module.cpp - The _cleave extension module: cleave.Error and the registration of its parts.
#include "binding.h"

#include <algorithm>
#include <utility>

namespace py = pybind11;

namespace cleave::python {

namespace {
/// The cleave.Error type object, created once with the module and never freed.
PyObject *gErrorType = nullptr;
} // namespace

Error::Error(std::string message, std::string code)
    : message_(std::move(message)), code_(std::move(code)) {
  std::replace(message_.begin(), message_.end(), '\n', ' ');
  std::replace(message_.begin(), message_.end(), '\r', ' ');
}

void throwIfFailed(const Status &status) {
  if (!status.ok())
    throw Error(status.message(), statusCodeName(status.code()));
}

void throwInvalid(const std::string &message) {
  throw Error(message, statusCodeName(StatusCode::InvalidArgument));
}

void registerErrors(py::module_ &module) {
  gErrorType = PyErr_NewExceptionWithDoc(
      "cleave.Error",
      "A Cleave failure: args[0] is the one-line message (the same the command-line tools "
      "print after 'error: '); code is the runtime's status code name, e.g. "
      "'INVALID_ARGUMENT', or None for compile errors.",
      PyExc_RuntimeError, nullptr);
  if (!gErrorType)
    throw py::error_already_set();
  module.add_object("Error", py::handle(gErrorType));
  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown)
        std::rethrow_exception(thrown);
    } catch (const Error &error) {
      py::gil_scoped_acquire gil;
      PyObject *instance = PyObject_CallFunction(gErrorType, "s", error.what());
      if (!instance)
        return; // the failure to build it is the Python error now
      py::object code = error.code().empty() ? py::none() : py::object(py::str(error.code()));
      if (PyObject_SetAttrString(instance, "code", code.ptr()) == 0)
        PyErr_SetObject(gErrorType, instance);
      Py_DECREF(instance);
    }
  });
}

} // namespace cleave::python

PYBIND11_MODULE(_cleave, module) {
  module.doc() = "Cleave's extension module; use the package `cleave`, which re-exports it.";
  cleave::python::registerErrors(module);
  cleave::python::registerCompiler(module);
  cleave::python::registerSession(module);
  cleave::python::registerGenerate(module);
}
