// compile.cpp - cleave._compile: the compile driver (compiler/driver/Driver.h) for Python.
//
// The package's compile() and explain() (python/cleave/__init__.py) normalise their
// arguments and call this; it fills CompileOptions exactly as cleave-compile's options do,
// runs the driver without the GIL and writes or returns the artifact.
#include "binding.h"

#include "compiler/driver/Driver.h"

#include <pybind11/stl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace cleave::python {

namespace {

using InputShape = std::pair<std::string, std::vector<int64_t>>;

/// Throws cleave.Error (no status code: a compile error) with `message`.
[[noreturn]] void throwCompileError(const std::string &message) { throw Error(message, ""); }

/// Writes `bytes` to `path`; the one-line error cleave-compile gives otherwise, or "".
std::string writeFile(const std::string &path, const std::string &bytes) {
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return "cannot write '" + path + "': " + std::strerror(errno);
  size_t written = std::fwrite(bytes.data(), 1, bytes.size(), file);
  int error = written == bytes.size() ? 0 : errno;
  if (std::fclose(file) != 0 && error == 0)
    error = errno;
  if (error != 0)
    return "cannot write '" + path + "': " + std::strerror(error);
  return "";
}

/// Compiles per the arguments (see cleave.compile); returns the explain text with
/// `explain`, None when the artifact was written to `output`, or its bytes.
py::object compileModel(const std::string &modelPath, const py::object &modelBytes,
                        const py::object &output, const std::string &devices, int64_t pp,
                        int64_t tp, int64_t microbatches,
                        const std::vector<InputShape> &inputShapes, const std::string &deviceFile,
                        const std::string &cpu, const std::string &cudaArch,
                        const std::string &rocmArch, bool explain,
                        const std::string &plan, const std::vector<int64_t> &batchSizes,
                        bool generate, int64_t maxSeqLen, bool profileOps) {
  CompileOptions options;
  options.modelPath = modelPath;
  if (!modelBytes.is_none()) {
    options.modelBytes = std::string(py::bytes(modelBytes));
    if (options.modelBytes.empty())
      throwCompileError("the model's bytes are empty");
  }
  options.devices = devices;
  options.deviceFile = deviceFile;
  options.pp = pp;
  options.tp = tp;
  options.microbatches = microbatches;
  // Each binding goes through the command line's parser, so that a bad one gets the
  // message --input-shape would.
  for (const InputShape &shape : inputShapes) {
    InputShape parsed;
    std::string error;
    if (!parseInputShape(formatInputShape(shape), parsed, error))
      throwCompileError(error);
    if (parsed != shape)
      throwCompileError("--input-shape for '" + shape.first + "': cannot be written as " +
                        formatInputShape(shape));
    options.inputShapes.push_back(std::move(parsed));
  }
  options.cpu = cpu;
  options.cudaArch = cudaArch;
  options.rocmArch = rocmArch;
  options.explain = explain;
  options.profileOps = profileOps;
  if (plan != "auto" && plan != "manual")
    throwCompileError("--plan expects auto or manual, got '" + plan + "'");
  options.autoPlan = plan == "auto";
  options.batchSizes = batchSizes;
  options.generate = generate;
  options.maxSeqLen = maxSeqLen;
  std::string outputPath = output.is_none() ? "" : py::str(output).cast<std::string>();

  CompileResult result;
  std::string writeError;
  {
    py::gil_scoped_release nogil;
    result = compile(options);
    if (result.ok() && !explain && !outputPath.empty())
      writeError = writeFile(outputPath, result.artifact);
  }
  if (!result.ok())
    throwCompileError(result.error);
  if (explain)
    return py::str(result.explain);
  if (!writeError.empty())
    throwCompileError(writeError);
  if (!outputPath.empty())
    return py::none();
  return py::bytes(result.artifact);
}

} // namespace

void registerCompiler(py::module_ &module) {
  module.def("_compile", &compileModel, py::arg("model_path"), py::arg("model_bytes"),
             py::arg("output"), py::arg("devices"), py::arg("pp"), py::arg("tp"),
             py::arg("microbatches"), py::arg("input_shapes"), py::arg("device_file"),
             py::arg("cpu"), py::arg("cuda_arch"), py::arg("rocm_arch"), py::arg("explain"),
             py::arg("plan"), py::arg("batch_sizes"), py::arg("generate"),
             py::arg("max_seq_len"), py::arg("profile_ops") = false,
             "The compile driver; call cleave.compile or cleave.explain instead.");
}

} // namespace cleave::python
