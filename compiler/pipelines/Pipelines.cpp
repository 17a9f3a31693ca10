// Compilation pipelines shared by the targets.
#include "compiler/pipelines/Pipelines.h"

#include "compiler/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace cleave;

void cleave::addPassPipeline(OpPassManager &pm, llvm::StringRef pipeline) {
  std::string message;
  llvm::raw_string_ostream os(message);
  if (failed(parsePassPipeline(pipeline, pm, os)))
    llvm::report_fatal_error(llvm::Twine("invalid built-in pass pipeline '") + pipeline +
                             "': " + message);
}

void cleave::buildLinalgPipeline(OpPassManager &pm) {
  // Fold what import left foldable (reshapes of constants, identities).
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertOnnxToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  // Layout changes of weights (Gemm's transB, transposed projections) happen once, here,
  // instead of at every run.
  pm.addPass(createFoldParameterTransposesPass());
  // Weights become stage-function arguments.
  pm.addPass(createParametersToArgumentsPass());
  // Chains of elementwise linalg.generic ops become one loop nest each; contractions keep
  // their plain form for the schedules.
  pm.addNestedPass<func::FuncOp>(createFuseElementwisePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}
