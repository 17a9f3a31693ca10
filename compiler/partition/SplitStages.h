// Splitting a partitioned module into one module per stage for per-device code generation.
#ifndef CLEAVE_COMPILER_PARTITION_SPLITSTAGES_H
#define CLEAVE_COMPILER_PARTITION_SPLITSTAGES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <vector>

namespace cleave {

/// Turns a module outlined by cleave-partition-pipeline (functions `@stage_<k>`) into one
/// module per stage, in stage order, each holding a single `func.func @main` that the
/// single-device pipelines accept: received tensors become the leading arguments, tagged
/// `cleave.recv = #cleave.transfer<"name", k - 1>`; graph inputs keep `onnx.name`; sent
/// tensors become results tagged `cleave.send = #cleave.transfer<"name", k + 1>`; graph outputs
/// keep `onnx.name`. The stage's `cleave.*` attributes stay on @main. `partitioned` is
/// left unchanged. Emits one error and fails on a module that is not such a partition.
mlir::FailureOr<std::vector<mlir::OwningOpRef<mlir::ModuleOp>>>
splitStages(mlir::ModuleOp partitioned);

} // namespace cleave

#endif // CLEAVE_COMPILER_PARTITION_SPLITSTAGES_H
