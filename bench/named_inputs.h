// The benchmark tools' `--input NAME=FILE` arguments, read into tensors in the artifact's
// input order (each 64-byte aligned, so runs read them in place).
#pragma once

#include "cleave/runtime.h"

#include "io/tensor_file.h"

#include <string>
#include <vector>

namespace cleave::bench {

inline Status readNamedInputs(const Artifact &artifact, const std::vector<std::string> &specs,
                              std::vector<Tensor> *inputs) {
  inputs->clear();
  inputs->resize(artifact.inputs().size());
  for (const std::string &spec : specs) {
    size_t equals = spec.rfind('=');
    std::string name = spec.substr(0, equals);
    size_t index = 0;
    while (index < inputs->size() && artifact.inputs()[index].name != name)
      ++index;
    if (equals == std::string::npos || index == inputs->size())
      return invalidArgumentError("no input named '" + name + "'");
    StatusOr<Tensor> tensor = io::readTensorFile(spec.substr(equals + 1));
    if (!tensor.ok())
      return tensor.status();
    (*inputs)[index] = std::move(tensor).value();
  }
  return Status();
}

} // namespace cleave::bench
