// Writes the `.cleave` artifact (docs/artifact-format.md).
#ifndef CLEAVE_COMPILER_ARTIFACT_ARTIFACTWRITER_H
#define CLEAVE_COMPILER_ARTIFACT_ARTIFACTWRITER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cleave {

struct ArtifactTensor {
  std::string name;
  std::string dtype; ///< numpy name: float32, int64, bool, ...
  std::vector<int64_t> shape;
};

struct ArtifactParameter {
  ArtifactTensor tensor;
  int64_t rank = 0;
  llvm::ArrayRef<char> data; ///< must outlive the write
};

struct ArtifactArg {
  std::string kind; ///< input, param, output, send or recv
  std::string name;
  /// send and recv only: the peer stage (`to` / `from`) and the per-microbatch tensor.
  int64_t peer = -1;
  ArtifactTensor tensor;
};

struct ArtifactStage {
  int64_t id = 0, rank = 0, device = 0;
  std::string codeSection, entry;
  std::vector<ArtifactArg> args;
  int64_t flops = 0, bytes = 0;
  double seconds = 0; ///< the cost model's time per microbatch; written when positive
  /// GPU stages: the host program the runtime replays (kernels, buffers, launches).
  std::optional<llvm::json::Object> gpuProgram;
  /// Tensor-parallel stages: the ranks that run this stage id together (each has its own
  /// entry), the ops whose weights are split between them and the collectives the split
  /// needs (informative). Written when the group has more than one rank.
  std::vector<int64_t> group;
  llvm::json::Array shardings;
  llvm::json::Array collectives;
};

struct ArtifactDevice {
  int64_t rank = 0;
  std::string kind;
  int64_t index = 0;
};

struct ArtifactCode {
  std::string section, kind; ///< kind: cpu-elf-so, ...
  std::string bytes;
};

struct ArtifactSpec {
  llvm::json::Object source;  ///< path, sha256, opset, producer
  llvm::json::Object options; ///< as the user gave them
  std::vector<ArtifactTensor> inputs, outputs;
  std::vector<ArtifactDevice> devices;
  std::vector<ArtifactParameter> parameters;
  std::vector<ArtifactStage> stages;
  std::vector<ArtifactCode> code;
};

/// The compiler version recorded in artifacts.
const char *compilerVersion();

/// Writes `spec` to `path`; false with `error` set on failure.
bool writeArtifact(const std::string &path, ArtifactSpec spec, std::string &error);

} // namespace cleave

#endif // CLEAVE_COMPILER_ARTIFACT_ARTIFACTWRITER_H
