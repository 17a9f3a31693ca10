// Compilation pipelines shared by the targets (the phases are in compiler/driver/Driver.h).
#ifndef CLEAVE_COMPILER_PIPELINES_PIPELINES_H
#define CLEAVE_COMPILER_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace cleave {

/// Parses a textual pipeline (the body of `builtin.module(...)`) into `pm`. The texts are
/// the compiler's own, so a parse failure is a bug: it aborts with the message.
void addPassPipeline(mlir::OpPassManager &pm, llvm::StringRef pipeline);

/// onnx-level dialect -> linalg on tensors with parameters as function arguments.
void buildLinalgPipeline(mlir::OpPassManager &pm);

} // namespace cleave

#endif // CLEAVE_COMPILER_PIPELINES_PIPELINES_H
