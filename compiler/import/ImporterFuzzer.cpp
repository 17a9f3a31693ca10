// libFuzzer target: the ONNX importer (bytes -> protobuf parse, checker, shape inference, import).
//
// Built with -DCLEAVE_FUZZ=ON (the importer and the dialects, linked to MLIR and libonnx); run with
// scripts/fuzz.sh importer SECONDS. The bytes are the model. Like a user binding every dynamic
// dim, the target binds each graph input's unknown dims to 2 (so that mutations get past the
// binding step); external data resolves against a directory that does not exist, so nothing
// outside is read.
#include "compiler/import/Importer.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include "onnx/onnx_pb.h"

#include <string_view>
#include <unordered_set>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext context; // the importer loads the dialects it builds
  context.disableMultithreading();
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) {
    return mlir::success(); // errors are expected: only crashes are findings
  });
  cleave::ImportOptions options;
  options.modelBytes = std::string_view(reinterpret_cast<const char *>(data), size);
  ::onnx::ModelProto parsed;
  if (parsed.ParseFromArray(data, static_cast<int>(size))) {
    std::unordered_set<std::string> initializers;
    for (const auto &init : parsed.graph().initializer())
      initializers.insert(init.name());
    for (const auto &input : parsed.graph().input()) {
      if (initializers.count(input.name()) || !input.type().has_tensor_type() ||
          !input.type().tensor_type().has_shape())
        continue;
      std::vector<int64_t> dims;
      bool dynamic = false;
      for (const auto &dim : input.type().tensor_type().shape().dim()) {
        bool known = dim.has_dim_value() && dim.dim_value() >= 0;
        dynamic |= !known;
        dims.push_back(known ? dim.dim_value() : 2);
      }
      if (dynamic)
        options.inputShapes[input.name()] = dims;
    }
  }
  cleave::ModelInfo info;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      cleave::importOnnxModel(context, "/nonexistent-cleave-fuzz/model.onnx", options, &info);
  if (module)
    (void)mlir::verify(*module);
  return 0;
}
