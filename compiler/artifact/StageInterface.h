// Reads a rank's stage interface, as the cleave dialect records it, into manifest entries.
#ifndef CLEAVE_COMPILER_ARTIFACT_STAGEINTERFACE_H
#define CLEAVE_COMPILER_ARTIFACT_STAGEINTERFACE_H

#include "compiler/artifact/ArtifactWriter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <map>
#include <string>
#include <vector>

namespace cleave {

/// What the manifest says of one rank's stage function.
struct StageInterface {
  /// The entry point's buffers in order: received tensors, graph inputs, parameters, sent
  /// tensors, graph outputs.
  std::vector<artifact::Arg> args;
  /// The rank's parameters; their bytes live in the module's context.
  std::vector<artifact::Parameter> parameters;
  /// The graph's inputs and outputs this stage reads or writes, with full-batch shapes.
  std::vector<artifact::Tensor> inputs, outputs;
};

/// The full-batch shape of each graph input and output, by name (a stage's own types hold
/// one microbatch).
using BatchShapes = std::map<std::string, std::vector<int64_t>>;

/// Reads `main` as buildLinalgPipeline left it: arguments tagged `cleave.recv`, `onnx.name`
/// (graph inputs) or `cleave.param` with `cleave.param_value`, results tagged `cleave.send`
/// or `onnx.name`. `argTypes` and `resultTypes` are @main's types before lowering, which
/// keep unsigned element types. Removes every `cleave.param_value` (code generation does not
/// want the data; it stays alive in the context). `rank` is the rank holding the parameters.
/// Emits an error at the function and fails on a tensor the runtime cannot hold or an
/// argument that is none of these.
mlir::FailureOr<StageInterface> readStageInterface(mlir::func::FuncOp main,
                                                   mlir::TypeRange argTypes,
                                                   mlir::TypeRange resultTypes,
                                                   const BatchShapes &batchShapes, int64_t rank);

} // namespace cleave

#endif // CLEAVE_COMPILER_ARTIFACT_STAGEINTERFACE_H
