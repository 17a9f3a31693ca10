// Compilation pipelines and their named phases (`cleave-compile --compile-to=PHASE`).
#ifndef CLEAVE_COMPILER_PIPELINES_PIPELINES_H
#define CLEAVE_COMPILER_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

#include <optional>
#include <string>

namespace cleave {

/// The phases a user can stop after to look at the IR.
enum class Phase {
  Import,    ///< the onnx-level dialect as imported
  Partition, ///< one function per pipeline stage, pipe.send/pipe.recv at the cuts
  Linalg,   ///< linalg/tensor/arith on tensors, parameters as arguments, fused
  LLVM,     ///< the LLVM dialect with the runtime's entry points
  Artifact, ///< the full compile: writes the artifact
};

std::optional<Phase> parsePhase(llvm::StringRef name);
/// The names accepted by --compile-to, comma-separated, for help and errors.
const char *phaseNames();

/// Parses a textual pipeline (the body of `builtin.module(...)`) into `pm`. The texts are
/// the compiler's own, so a parse failure is a bug: it aborts with the message.
void addPassPipeline(mlir::OpPassManager &pm, llvm::StringRef pipeline);

/// onnx-level dialect -> linalg on tensors with parameters as function arguments.
void buildLinalgPipeline(mlir::OpPassManager &pm);

} // namespace cleave

#endif // CLEAVE_COMPILER_PIPELINES_PIPELINES_H
