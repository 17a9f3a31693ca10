// ONNX import: turns an ONNX model (parsed with libonnx) into the onnx-level dialect.
#ifndef CLEAVE_COMPILER_IMPORT_IMPORTER_H
#define CLEAVE_COMPILER_IMPORT_IMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <string_view>
#include <string>
#include <vector>

namespace cleave {

/// What the user asked of the import: dynamic-dim bindings from `--input-shape`.
struct ImportOptions {
  /// The model's bytes when the caller holds them (the path then only names the model and
  /// locates its external data); empty: read the path. They must outlive the import.
  std::string_view modelBytes;
  /// Input name -> full static shape.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Lets a binding replace dims the model fixes: microbatching imports the model with
  /// dim 0 of every input divided by the microbatch count.
  bool overrideStaticDims = false;
  /// Filled, when set, with the shape of every value the import produced (ONNX name ->
  /// shape): what a later import at another batch reads as `exportShapes`.
  llvm::StringMap<std::vector<int64_t>> *recordShapes = nullptr;
  /// When the model is imported again at another batch (microbatching, --batch-sizes):
  /// the value shapes of its import at the export batch. Reshape, Expand and Tile shapes
  /// that hard-code the export batch are then rewritten to this import's batch, by
  /// tracking which dim of each value holds it (docs/partitioning.md).
  const llvm::StringMap<std::vector<int64_t>> *exportShapes = nullptr;
  /// Filled, when set, with every node's name (as its ops' locations hold it) and ONNX op
  /// type, in graph order: what `--profile-ops` reports beside its op groups.
  std::vector<std::pair<std::string, std::string>> *recordNodes = nullptr;
};

/// Facts about the source model that end up in the artifact's provenance.
struct ModelInfo {
  std::string path;
  std::string sha256;
  int64_t opset = 0;
  std::string producer;
};

/// Reads the model file at `path` into `bytes`; false with a one-line `error` when it cannot
/// be read or is past protobuf's 2 GiB limit (checked before reading).
bool readModelFile(const std::string &path, std::string &bytes, std::string &error);

/// Loads `path`, checks it, binds dynamic dims, runs ONNX shape inference and builds a
/// module holding `func.func @main` in the onnx-level dialect. On failure, emits one error
/// (at the offending node's location where there is one) and returns null.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxModel(mlir::MLIRContext &context,
                                                  const std::string &path,
                                                  const ImportOptions &options,
                                                  ModelInfo *info);

} // namespace cleave

#endif // CLEAVE_COMPILER_IMPORT_IMPORTER_H
