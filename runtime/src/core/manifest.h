//===- manifest.h - The artifact manifest's schema ------------------------===//
//
// The manifest is the JSON part of a `.cleave` file (docs/artifact-format.md).
// This reads it into typed descriptions and checks everything that does not
// need the file itself: types, ranges, unique names and cross-references.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_CORE_MANIFEST_H
#define CLEAVE_RUNTIME_CORE_MANIFEST_H

#include "cleave/runtime.h"

#include <string_view>
#include <vector>

namespace cleave {

/// The typed content of a manifest.
struct Manifest {
  Provenance provenance;
  std::vector<TensorDesc> inputs;
  std::vector<TensorDesc> outputs;
  std::vector<DeviceDesc> devices;
  std::vector<ParameterDesc> parameters;
  std::vector<StageDesc> stages;
  std::vector<SectionDesc> sections;
  /// options.microbatches, 1 when absent.
  int microbatches = 1;
};

/// Parses and checks manifest JSON, including the pipeline rules of
/// distributed plans (send/recv pairs between adjacent stages, inputs on the
/// first stage, outputs on the last, batch dims divisible by microbatches).
/// Errors name the field at fault, e.g. "inputs[0].shape[1]: expected a
/// non-negative integer, got \"a\"".
StatusOr<Manifest> parseManifest(std::string_view text);

} // namespace cleave

#endif // CLEAVE_RUNTIME_CORE_MANIFEST_H
