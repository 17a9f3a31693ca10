// libFuzzer target: the ONNX importer (bytes -> protobuf parse, checker, shape inference, import).
//
// Built with -DCLEAVE_FUZZ=ON (the importer and the dialects, linked to MLIR and libonnx); run with
// scripts/fuzz.sh importer SECONDS. The bytes are the model; dims are bound for the inputs
// of the test models (x, input) so that their mutations get past the binding step; external
// data resolves against a directory that does not exist, so nothing outside is read.
#include "compiler/import/Importer.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext context; // the importer loads the dialects it builds
  context.disableMultithreading();
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) {
    return mlir::success(); // errors are expected: only crashes are findings
  });
  cleave::ImportOptions options;
  options.modelBytes = std::string_view(reinterpret_cast<const char *>(data), size);
  options.inputShapes["x"] = {2, 4};
  options.inputShapes["input"] = {4, 16};
  cleave::ModelInfo info;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      cleave::importOnnxModel(context, "/nonexistent-cleave-fuzz/model.onnx", options, &info);
  if (module)
    (void)mlir::verify(*module);
  return 0;
}
