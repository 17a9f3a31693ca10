// Registration of every dialect, pass and translation Cleave's tools use.
#include "compiler/InitAll.h"

#include "compiler/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void cleave::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<cleave::onnxir::OnnxDialect, cleave::pipe::PipeDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

void cleave::registerAllPasses() {
  mlir::registerAllPasses();
  cleave::registerCleavePasses();
}
